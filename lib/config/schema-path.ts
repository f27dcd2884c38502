/**
 * Walking a zod schema by key path: what an override at `a.b.c` is expected to be, so a
 * command-line value is typed by the schema rather than guessed.
 */
import { z } from "zod";

/** The broad kind of value a schema position expects. */
export type ExpectedKind = "number" | "integer" | "string" | "boolean" | "array" | "object" | "enum" | "literal" | "any";

interface Def {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  entries?: Record<string, string | number>;
  checks?: { _zod?: { def?: { check?: string; format?: string } } }[];
  format?: string;
  options?: z.ZodType[];
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { def: Def }).def;
}

/** Remove default/optional/nullable/catch/readonly wrappers. */
export function unwrapSchema(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let i = 0; i < 20; i++) {
    const def = defOf(current);
    if (["default", "optional", "nullable", "prefault", "catch", "readonly", "nonoptional"].includes(def.type) && def.innerType) current = def.innerType;
    else if (def.type === "pipe") current = (def as unknown as { in: z.ZodType }).in;
    else break;
  }
  return current;
}

/** The schema at a dotted path, or undefined when the path names no key of the schema. */
export function schemaAt(schema: z.ZodType, path: readonly string[]): z.ZodType | undefined {
  let current: z.ZodType = schema;
  for (const key of path) {
    const inner = unwrapSchema(current);
    const def = defOf(inner);
    if (def.type === "object" && def.shape) {
      const next = def.shape[key];
      if (!next) return undefined;
      current = next;
    } else if (def.type === "record") {
      current = (def as unknown as { valueType: z.ZodType }).valueType;
    } else if (def.type === "array" && def.element && /^\d+$/.test(key)) {
      current = def.element;
    } else return undefined;
  }
  return current;
}

/** The keys an object schema position allows (for "did you mean" messages). */
export function knownKeys(schema: z.ZodType, path: readonly string[]): string[] {
  const at = schemaAt(schema, path);
  if (!at) return [];
  const def = defOf(unwrapSchema(at));
  return def.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

/** What kind of value the schema expects at a position. */
export function expectedKind(schema: z.ZodType): ExpectedKind {
  const def = defOf(unwrapSchema(schema));
  switch (def.type) {
    case "number": {
      const integer = def.format === "safeint" || def.format === "int32" || (def.checks ?? []).some((c) => c._zod?.def?.format === "safeint" || c._zod?.def?.check === "number_format");
      return integer ? "integer" : "number";
    }
    case "int":
      return "integer";
    case "string":
      return "string";
    case "boolean":
      return "boolean";
    case "array":
    case "tuple":
      return "array";
    case "object":
    case "record":
      return "object";
    case "enum":
      return "enum";
    case "literal":
      return "literal";
    default:
      return "any";
  }
}
