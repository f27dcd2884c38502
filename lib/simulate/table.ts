/**
 * Column-oriented tables for the telemetry generators: a table schema is plain data (column names,
 * types, units, documented ranges); a chunk is a row count plus one typed array per column. Row types,
 * zod row schemas and JSON Schemas are all derived from the one schema value, so they cannot drift.
 */
import { z } from "zod";
import { DataError } from "../errors.js";

/** The storage types of generator columns. */
export type ColumnType = "float64" | "int32" | "bool" | "category" | "timestamp";

/** One column of a table schema. */
export interface ColumnSpec {
  readonly name: string;
  /**
   * float64: Float64Array, NaN is null when `nullable`; int32: Int32Array; bool: Uint8Array of 0/1;
   * category: Uint8Array of codes into `categories`; timestamp: Float64Array of epoch milliseconds,
   * written as ISO-8601 UTC text.
   */
  readonly type: ColumnType;
  readonly description: string;
  readonly unit?: string;
  readonly categories?: readonly string[];
  readonly nullable?: boolean;
  /** Decimal places the generator quantizes to (lets the text writers format without float printing). */
  readonly decimals?: number;
  /** Documented physical range (inclusive); validation suites derive range checks from it. */
  readonly min?: number;
  readonly max?: number;
}

/** A documented table: its columns, natural key and per-group ordering. */
export interface TableSchema {
  readonly name: string;
  readonly description: string;
  readonly columns: readonly ColumnSpec[];
  /** Columns whose values together identify a row. */
  readonly key?: readonly string[];
  /** A column that never decreases within each group of `groupBy`. */
  readonly orderedBy?: { readonly column: string; readonly groupBy: readonly string[] };
}

type ValueOf<C extends ColumnSpec> = C extends { readonly type: "category"; readonly categories: readonly (infer K)[] }
  ? K
  : C extends { readonly type: "bool" }
    ? boolean
    : C extends { readonly type: "timestamp" }
      ? string
      : C extends { readonly nullable: true }
        ? number | null
        : number;

type ArrayOf<C extends ColumnSpec> = C["type"] extends "float64" | "timestamp"
  ? Float64Array
  : C["type"] extends "int32"
    ? Int32Array
    : Uint8Array;

/** The row type of a schema as it appears in JSONL (categories as labels, timestamps as ISO text). */
export type RowOf<S extends TableSchema> = { [C in S["columns"][number] as C["name"]]: ValueOf<C> };

/** The typed-array columns of a schema. */
export type ColumnsOf<S extends TableSchema> = { [C in S["columns"][number] as C["name"]]: ArrayOf<C> };

/** Any typed array a generator column may hold. */
export type ColumnArray = Float64Array | Int32Array | Uint8Array;

/** A block of rows held column by column. */
export interface Chunk<S extends TableSchema = TableSchema> {
  readonly length: number;
  readonly columns: ColumnsOf<S>;
}

/** A chunk seen without its schema's static type. */
export interface AnyChunk {
  readonly length: number;
  readonly columns: Readonly<Record<string, ColumnArray>>;
}

/** Synchronous or asynchronous sequence of chunks. */
export type ChunkSource<S extends TableSchema = TableSchema> = Iterable<Chunk<S>> | AsyncIterable<Chunk<S>>;

/** Declare a table schema, keeping its literal types for RowOf/ColumnsOf and checking it once. */
export function defineTable<const S extends TableSchema>(schema: S): S {
  const seen = new Set<string>();
  for (const c of schema.columns) {
    if (seen.has(c.name)) throw new DataError(`table ${schema.name}: duplicate column "${c.name}"`);
    seen.add(c.name);
    if (c.type === "category") {
      if (!c.categories || c.categories.length === 0 || c.categories.length > 256) {
        throw new DataError(`table ${schema.name}: category column "${c.name}" needs 1..256 categories`);
      }
    }
  }
  for (const k of schema.key ?? []) {
    if (!seen.has(k)) throw new DataError(`table ${schema.name}: key column "${k}" is not a column`);
  }
  return schema;
}

/** Allocate an empty typed array for a column of the given length. */
export function allocColumn(spec: ColumnSpec, length: number): ColumnArray {
  switch (spec.type) {
    case "float64":
    case "timestamp":
      return new Float64Array(length);
    case "int32":
      return new Int32Array(length);
    default:
      return new Uint8Array(length);
  }
}

/** Allocate all columns of a schema (zero-filled) for `length` rows. */
export function allocChunk<S extends TableSchema>(schema: S, length: number): Chunk<S> {
  const columns: Record<string, ColumnArray> = {};
  for (const c of schema.columns) columns[c.name] = allocColumn(c, length);
  return { length, columns: columns as ColumnsOf<S> };
}

/** A view of the first `length` rows of a chunk (no copy). */
export function truncateChunk<S extends TableSchema>(chunk: Chunk<S>, length: number): Chunk<S> {
  if (length === chunk.length) return chunk;
  const columns: Record<string, ColumnArray> = {};
  for (const [name, arr] of Object.entries(chunk.columns as Record<string, ColumnArray>)) {
    columns[name] = arr.subarray(0, length);
  }
  return { length, columns: columns as ColumnsOf<S> };
}

/** Concatenate chunks of one schema into a single chunk (for the in-memory APIs). */
export function concatChunks<S extends TableSchema>(schema: S, chunks: readonly Chunk<S>[]): Chunk<S> {
  let total = 0;
  for (const ch of chunks) total += ch.length;
  const out = allocChunk(schema, total);
  const outCols = out.columns as Record<string, ColumnArray>;
  for (const c of schema.columns) {
    const target = outCols[c.name];
    let offset = 0;
    for (const ch of chunks) {
      const src = (ch.columns as Record<string, ColumnArray>)[c.name];
      (target as Float64Array).set(src as Float64Array, offset);
      offset += ch.length;
    }
  }
  return out;
}

/** Collect every chunk of a synchronous source into one chunk. */
export function collectChunks<S extends TableSchema>(schema: S, source: Iterable<Chunk<S>>): Chunk<S> {
  const parts: Chunk<S>[] = [];
  for (const ch of source) parts.push(ch);
  return concatChunks(schema, parts);
}

/** Look up a column spec by name or fail naming the table and column. */
export function columnSpec(schema: TableSchema, name: string): ColumnSpec {
  const c = schema.columns.find((col) => col.name === name);
  if (!c) throw new DataError(`table ${schema.name}: no column "${name}"`);
  return c;
}

/** Read row `i` of a chunk as a plain object (for tests, previews and error messages; not for hot loops). */
export function rowAt<S extends TableSchema>(schema: S, chunk: Chunk<S>, i: number): RowOf<S> {
  const row: Record<string, unknown> = {};
  const cols = chunk.columns as Record<string, ColumnArray>;
  for (const c of schema.columns) {
    const v = cols[c.name][i];
    switch (c.type) {
      case "category":
        row[c.name] = c.categories![v];
        break;
      case "bool":
        row[c.name] = v === 1;
        break;
      case "timestamp":
        row[c.name] = new Date(v).toISOString();
        break;
      default:
        row[c.name] = Number.isNaN(v) ? null : v;
    }
  }
  return row as RowOf<S>;
}

/** The code of a category label, or a DataError naming the column and label. */
export function categoryCode(schema: TableSchema, column: string, label: string): number {
  const c = columnSpec(schema, column);
  const code = c.categories?.indexOf(label) ?? -1;
  if (code < 0) throw new DataError(`table ${schema.name}: column "${column}" has no category "${label}"`);
  return code;
}

/** A zod schema of one row as written to JSONL (strict: unknown keys are errors). */
export function rowZodSchema(schema: TableSchema): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const c of schema.columns) {
    let t: z.ZodType;
    switch (c.type) {
      case "float64": {
        let n = z.number();
        if (c.min !== undefined) n = n.min(c.min);
        if (c.max !== undefined) n = n.max(c.max);
        t = c.nullable ? n.nullable() : n;
        break;
      }
      case "int32": {
        let n = z.number().int();
        n = n.min(c.min ?? -2147483648);
        n = n.max(c.max ?? 2147483647);
        t = n;
        break;
      }
      case "bool":
        t = z.boolean();
        break;
      case "category":
        t = z.enum(c.categories as [string, ...string[]]);
        break;
      case "timestamp":
        t = z.iso.datetime();
        break;
    }
    const unit = c.unit ? ` [${c.unit}]` : "";
    shape[c.name] = t.describe(c.description + unit);
  }
  return z.object(shape).strict().describe(schema.description);
}

/** The JSON Schema (draft 2020-12) of one output row of a table. */
export function rowJsonSchema(schema: TableSchema): Record<string, unknown> {
  const js = z.toJSONSchema(rowZodSchema(schema)) as Record<string, unknown>;
  js.title = schema.name;
  if (schema.key) js["x-key"] = [...schema.key];
  return js;
}
