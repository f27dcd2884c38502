/**
 * Typed, streaming CSV reading that survives corrupted input: records with the wrong number of fields,
 * values that do not parse as their column's type, malformed quoting and a truncated last line are
 * quarantined with their line number and reasons; everything else comes out as typed column chunks.
 * Structural problems that make the whole file unusable (no header, missing or duplicate columns)
 * raise a DataError naming the file and column.
 */
import { createReadStream } from "node:fs";
import { DataError } from "../errors.js";
import type { TableSchema } from "../simulate/table.js";
import { CsvRecordParser, type CsvRecord } from "./csv-parser.js";
import type { QuarantineRecord, ValueChunk, ValueColumn } from "./validator.js";

/** How a CSV column is parsed. */
export type CsvValueType = "float64" | "int32" | "bool" | "timestamp" | "category" | "string";

/** A typed CSV column. */
export interface CsvColumn {
  name: string;
  type: CsvValueType;
}

/** Options of the CSV reader. */
export interface ReadCsvOptions {
  /** Expected columns and their types (a generator's TableSchema works). */
  columns: readonly CsvColumn[] | TableSchema;
  /** Rows per chunk (default 65536). */
  chunkRows?: number;
  /** A header without an expected column: throw a DataError (default) or read on without it. */
  missingColumns?: "error" | "report";
  /** Quarantine a last line that lacks its line terminator even when it parses (default false). */
  requireFinalNewline?: boolean;
}

/** One block read from a CSV file. */
export interface CsvBlock {
  header: string[];
  chunk: ValueChunk;
  quarantined: QuarantineRecord[];
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** The expected columns of a reader, from a column list or a table schema. */
export function columnsOf(spec: readonly CsvColumn[] | TableSchema): CsvColumn[] {
  if ("columns" in spec && !Array.isArray(spec)) {
    return (spec as TableSchema).columns.map((c) => ({ name: c.name, type: c.type }));
  }
  return [...(spec as readonly CsvColumn[])];
}

/** The error of the last parseField call (a module slot instead of a result object per field). */
let fieldError: string | null = null;

/** The error message of the last parseCsvField call, or null when the field parsed. */
export function lastFieldError(): string | null {
  return fieldError;
}

/** Parse one CSV field by lib/validate's grammar: a number (NaN = null) for numeric types, the text (or null) otherwise; see lastFieldError(). */
export function parseCsvField(text: string, type: CsvValueType): number | string | null {
  return parseField(text, type);
}

function parseField(text: string, type: CsvValueType): number | string | null {
  fieldError = null;
  if (text === "") return type === "category" || type === "string" ? null : NaN;
  switch (type) {
    case "float64": {
      // Number() alone would accept hex, "Infinity" and blanks, which a CSV number must not be.
      if (NUMBER.test(text)) return +text;
      if (text === "NaN" || text === "nan" || text === "null" || text === "NULL") return NaN;
      fieldError = `${JSON.stringify(text)} is not a number`;
      return NaN;
    }
    case "int32":
      if (INTEGER.test(text)) {
        const v = Number(text);
        if (v >= -2147483648 && v <= 2147483647) return v;
        fieldError = `${text} is outside the 32-bit integer range`;
        return NaN;
      }
      fieldError = `${JSON.stringify(text)} is not an integer`;
      return NaN;
    case "bool": {
      if (text === "true" || text === "1") return 1;
      if (text === "false" || text === "0") return 0;
      const t = text.toLowerCase();
      if (t === "true") return 1;
      if (t === "false") return 0;
      fieldError = `${JSON.stringify(text)} is not a boolean`;
      return NaN;
    }
    case "timestamp": {
      const ms = ISO.test(text) ? Date.parse(text) : NaN;
      if (ms === ms) return ms;
      fieldError = `${JSON.stringify(text)} is not an ISO-8601 timestamp`;
      return NaN;
    }
    default:
      return text;
  }
}

/** Read a CSV file as typed chunks plus quarantined records, streaming with bounded memory. */
export async function* readCsvChunks(path: string, options: ReadCsvOptions): AsyncGenerator<CsvBlock> {
  const expected = columnsOf(options.columns);
  const chunkRows = options.chunkRows ?? 65_536;
  const parser = new CsvRecordParser();
  let header: string[] | null = null;
  let plan: { index: number; name: string; type: CsvValueType }[] = [];
  let numeric: boolean[] = [];
  let cols: ValueColumn[] = [];
  let lines = new Float64Array(chunkRows);
  let n = 0;
  let quarantined: QuarantineRecord[] = [];
  let dataRow = 0;
  const ready: CsvBlock[] = [];

  const alloc = (): void => {
    cols = plan.map((p, k) => (numeric[k] ? new Float64Array(chunkRows) : new Array<string | null>(chunkRows)));
    lines = new Float64Array(chunkRows);
    n = 0;
  };
  const emit = (): void => {
    const columns: Record<string, ValueColumn> = {};
    plan.forEach((p, k) => {
      const c = cols[k];
      columns[p.name] = ArrayBuffer.isView(c) ? (c as Float64Array).subarray(0, n) : (c as (string | null)[]).slice(0, n);
    });
    ready.push({ header: header!, chunk: { length: n, columns, lines: lines.subarray(0, n) }, quarantined });
    quarantined = [];
    alloc();
  };
  const rawValues = (fields: string[]): Record<string, unknown> => {
    const values: Record<string, unknown> = {};
    const names = header ?? [];
    fields.forEach((f, i) => (values[i < names.length ? names[i] : `_extra${i - names.length + 1}`] = f));
    return values;
  };

  const onRecord = (rec: CsvRecord): void => {
    if (header === null) {
      if (rec.error) throw new DataError(`${path}: line ${rec.line}: malformed header (${rec.error})`);
      header = rec.fields.map((f) => f.trim());
      const dup = header.find((h, i) => header!.indexOf(h) !== i);
      if (dup !== undefined) throw new DataError(`${path}: header repeats column "${dup}"`);
      const missing = expected.filter((c) => !header!.includes(c.name)).map((c) => c.name);
      if (missing.length > 0 && (options.missingColumns ?? "error") === "error") {
        throw new DataError(`${path}: header lacks column${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")}`);
      }
      // Columns the caller did not declare are kept as text.
      plan = header.map((name, index) => ({ index, name, type: expected.find((c) => c.name === name)?.type ?? "string" }));
      numeric = plan.map((p) => p.type !== "category" && p.type !== "string");
      alloc();
      return;
    }
    const row = dataRow++;
    const reasons: string[] = [];
    if (rec.fields.length === 1 && rec.fields[0] === "" && rec.terminated) reasons.push("blank line");
    else if (rec.error) reasons.push(rec.terminated ? rec.error : `truncated: ${rec.error}`);
    else if (rec.fields.length !== header.length) {
      const what = `expected ${header.length} fields, found ${rec.fields.length}`;
      reasons.push(rec.terminated ? what : `truncated last line: ${what}`);
    } else if (!rec.terminated && options.requireFinalNewline) {
      reasons.push("truncated last line: no line terminator");
    }
    if (reasons.length === 0) {
      for (let k = 0; k < plan.length; k++) {
        const p = plan[k];
        const value = parseField(rec.fields[p.index], p.type);
        if (fieldError !== null) reasons.push(`column ${p.name}: ${fieldError}`);
        else if (numeric[k]) (cols[k] as Float64Array)[n] = value as number;
        else (cols[k] as (string | null)[])[n] = value as string | null;
      }
    }
    if (reasons.length > 0) {
      quarantined.push({ row, line: rec.line, reasons: reasons.map((r) => `line ${rec.line}: ${r}`), values: rawValues(rec.fields) });
      return;
    }
    lines[n] = rec.line;
    n++;
    if (n === chunkRows) emit();
  };

  const stream = createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 });
  try {
    for await (const text of stream) {
      parser.push(text as string, onRecord);
      while (ready.length > 0) yield ready.shift()!;
    }
  } catch (cause) {
    if (cause instanceof DataError) throw cause;
    throw new DataError(`${path}: cannot read (${(cause as Error).message})`, { cause });
  }
  parser.end(onRecord);
  if (header === null) throw new DataError(`${path}: empty file (no header line)`);
  if (n > 0 || quarantined.length > 0) emit();
  while (ready.length > 0) yield ready.shift()!;
}
