/**
 * Data expectations as plain data, in the spirit of Great Expectations: each expectation is a JSON
 * object with a `kind`, validated by zod, so suites live in config files and reports can quote them.
 */
import { z } from "zod";
import { ConfigError } from "../errors.js";
import type { TableSchema } from "../simulate/table.js";

/** Value types a column_type expectation can require. */
export const VALUE_TYPES = ["number", "integer", "string", "boolean", "timestamp"] as const;

const base = {
  /** Minimum share of non-failing rows for the expectation to pass (1 = every row). */
  mostly: z.number().min(0).max(1).default(1),
  /** Send failing rows to quarantine (false: count them only). */
  quarantine: z.boolean().default(true),
};

/** The expectation union (every kind strict: unknown keys are errors). */
export const ExpectationSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("column_exists"), column: z.string() }).strict(),
  z.object({ kind: z.literal("column_type"), column: z.string(), type: z.enum(VALUE_TYPES), ...base }).strict(),
  z
    .object({
      kind: z.literal("values_between"),
      column: z.string(),
      min: z.number().optional(),
      max: z.number().optional(),
      strictMin: z.boolean().default(false),
      strictMax: z.boolean().default(false),
      ...base,
    })
    .strict(),
  z.object({ kind: z.literal("not_null"), column: z.string(), ...base }).strict(),
  z.object({ kind: z.literal("in_set"), column: z.string(), values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1), ...base }).strict(),
  z.object({ kind: z.literal("unique"), columns: z.array(z.string()).min(1), ...base }).strict(),
  z
    .object({
      kind: z.literal("monotonic"),
      column: z.string(),
      groupBy: z.array(z.string()).default([]),
      strict: z.boolean().default(false),
      ...base,
    })
    .strict(),
  z.object({ kind: z.literal("row_count_between"), min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() }).strict(),
]);

/** One expectation (defaults applied). */
export type Expectation = z.output<typeof ExpectationSchema>;
/** One expectation as written by a user. */
export type ExpectationInput = z.input<typeof ExpectationSchema>;

/** A named list of expectations. */
export const SuiteSchema = z
  .object({
    name: z.string().min(1),
    expectations: z.array(ExpectationSchema),
  })
  .strict();

/** An expectation suite (defaults applied). */
export type Suite = z.output<typeof SuiteSchema>;
/** An expectation suite as written by a user. */
export type SuiteInput = z.input<typeof SuiteSchema>;

/** Validate a suite given as plain data, or fail with a ConfigError naming each bad key. */
export function defineSuite(input: SuiteInput | unknown): Suite {
  const r = SuiteSchema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  throw new ConfigError(`invalid expectation suite: ${problems.join("; ")}`, { cause: r.error });
}

/** Columns an expectation reads. */
export function expectationColumns(e: Expectation): string[] {
  switch (e.kind) {
    case "unique":
      return [...e.columns];
    case "monotonic":
      return [e.column, ...e.groupBy];
    case "row_count_between":
      return [];
    default:
      return [e.column];
  }
}

/** A short human label of an expectation ("values_between(rpm, 0..8000)"). */
export function describeExpectation(e: Expectation): string {
  switch (e.kind) {
    case "column_exists":
      return `column_exists(${e.column})`;
    case "column_type":
      return `column_type(${e.column}: ${e.type})`;
    case "values_between":
      return `values_between(${e.column}, ${e.min ?? "-inf"}..${e.max ?? "+inf"})`;
    case "not_null":
      return `not_null(${e.column}${e.mostly < 1 ? `, mostly ${e.mostly}` : ""})`;
    case "in_set":
      return `in_set(${e.column}, {${e.values.slice(0, 6).join(", ")}${e.values.length > 6 ? ", ..." : ""}})`;
    case "unique":
      return `unique(${e.columns.join(", ")})`;
    case "monotonic":
      return `monotonic(${e.column}${e.groupBy.length ? ` per ${e.groupBy.join(", ")}` : ""}${e.strict ? ", strict" : ""})`;
    case "row_count_between":
      return `row_count_between(${e.min ?? 0}..${e.max ?? "inf"})`;
  }
}

/**
 * The suite a table schema implies: every column present with its type, documented ranges, allowed
 * categories, non-null for non-nullable columns, the natural key unique, and the ordering column
 * non-decreasing per group.
 */
export function suiteFromTableSchema(schema: TableSchema, options: { nullableMostly?: number } = {}): Suite {
  const ex: ExpectationInput[] = [];
  for (const c of schema.columns) {
    ex.push({ kind: "column_exists", column: c.name });
    const type = c.type === "float64" ? "number" : c.type === "int32" ? "integer" : c.type === "bool" ? "boolean" : c.type === "category" ? "string" : "timestamp";
    ex.push({ kind: "column_type", column: c.name, type });
    if (!c.nullable) ex.push({ kind: "not_null", column: c.name });
    else if (options.nullableMostly !== undefined) ex.push({ kind: "not_null", column: c.name, mostly: options.nullableMostly, quarantine: false });
    if (c.min !== undefined || c.max !== undefined) ex.push({ kind: "values_between", column: c.name, min: c.min, max: c.max });
    if (c.type === "category") ex.push({ kind: "in_set", column: c.name, values: [...c.categories!] });
  }
  if (schema.key) ex.push({ kind: "unique", columns: [...schema.key] });
  if (schema.orderedBy) ex.push({ kind: "monotonic", column: schema.orderedBy.column, groupBy: [...schema.orderedBy.groupBy] });
  return defineSuite({ name: `${schema.name} (from schema)`, expectations: ex });
}
