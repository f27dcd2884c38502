/**
 * The fast path for clean CSV files: DuckDB parses the file in parallel as text, the expectation suite
 * is compiled to SQL over it with lib/validate's parsing rules (the same number, integer and boolean
 * grammars; timestamps only in the generators' exact ISO form), and a file that passes everything is
 * staged straight from DuckDB. The path is conservative: it answers only "is every row clean?". On
 * anything it cannot vouch for (a bad row, a blank line, quotes, a header problem, a suite it cannot
 * compile, a row count that does not match the file's line count) it declines, and the caller runs
 * the row-by-row validator (lib/validate), which quarantines with reasons. So the fast path changes
 * speed, never outcomes.
 */
import { createReadStream, openSync, readSync, closeSync } from "node:fs";
import { DataError } from "../errors.js";
import type { Expectation } from "../validate/expectations.js";
import { describeExpectation } from "../validate/expectations.js";
import type { ExpectationResult, ValidationReport } from "../validate/validator.js";
import { type Warehouse, ident, literal } from "./db.js";
import type { RawTable } from "./tables.js";

/** What the single pass over a file's bytes learned besides its checksum. */
export interface FileShape {
  /** Line feeds in the file. */
  newlines: number;
  /** Whether any double quote occurs (quoted fields may hide line breaks: no fast path). */
  hasQuote: boolean;
  /** Whether an empty line (or one holding only "\r") occurs. */
  hasBlankLine: boolean;
  /** Whether the last byte is a line feed. */
  endsWithNewline: boolean;
}

/** Accumulates a FileShape over successive chunks of bytes. */
export class ShapeScanner {
  private newlines = 0;
  private hasQuote = false;
  private hasBlank = false;
  private lineLength = 0;
  private lastByte = -1;

  /** Scan one chunk. */
  push(chunk: Uint8Array): void {
    if (!this.hasQuote && chunk.indexOf(34) !== -1) this.hasQuote = true;
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl === -1) break;
      const len = this.lineLength + (nl - from);
      const before = nl > 0 ? chunk[nl - 1] : this.lastByte;
      if (len === 0 || (len === 1 && before === 13)) this.hasBlank = true;
      this.newlines++;
      this.lineLength = 0;
      from = nl + 1;
    }
    this.lineLength += chunk.length - from;
    if (chunk.length > 0) this.lastByte = chunk[chunk.length - 1];
  }

  /** The shape so far. */
  shape(): FileShape {
    return { newlines: this.newlines, hasQuote: this.hasQuote, hasBlankLine: this.hasBlank, endsWithNewline: this.lastByte === 10 };
  }
}

/** The line shape of a file, in one streamed pass. */
export async function fileShape(path: string): Promise<FileShape> {
  const scanner = new ShapeScanner();
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) scanner.push(chunk as Buffer);
  } catch (cause) {
    throw new DataError(`${path}: cannot read (${(cause as Error).message})`, { cause });
  }
  return scanner.shape();
}

/** Characters a number (or an integer) in lib/validate's grammar may contain; anything else declines. */
const NUMBER_CHARS = "[0-9.eE+,-]*";
const INTEGER_CHARS = "[0-9+,-]*";
/** The generators' timestamp form, 2026-01-01T00:00:00.000Z (24 characters). */
const GENERATOR_TIMESTAMP = "%Y-%m-%dT%H:%M:%S.%gZ";

function firstLine(path: string): string | null {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(1 << 16);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString("utf8");
    const nl = text.indexOf("\n");
    if (nl < 0) return null;
    return text.slice(0, nl).replace(/\r$/, "");
  } finally {
    closeSync(fd);
  }
}

type Col = RawTable["schema"]["columns"][number];

/**
 * SQL of a column's typed value from its text (NULL when empty), and of "the text does not parse".
 * DuckDB's casts are more lenient than lib/validate (they trim blanks, take "1_000", hex and "inf", and
 * round "7.5" to an integer), so a number must also pass a per-row character check (`charChecks`),
 * be finite, and an integer may hold only digits and a sign.
 */
export function parseSql(c: Col): { value: string; bad: string } {
  const v = ident(c.name);
  switch (c.type) {
    case "float64":
      return { value: `TRY_CAST(${v} AS DOUBLE)`, bad: `(${v} IS NOT NULL AND NOT coalesce(isfinite(TRY_CAST(${v} AS DOUBLE)), false))` };
    case "int32":
      return { value: `TRY_CAST(${v} AS INTEGER)`, bad: `(${v} IS NOT NULL AND TRY_CAST(${v} AS INTEGER) IS NULL)` };
    case "bool":
      return {
        value: `CASE WHEN lower(${v}) IN ('true', '1') THEN true WHEN lower(${v}) IN ('false', '0') THEN false END`,
        bad: `(${v} IS NOT NULL AND lower(${v}) NOT IN ('true', '1', 'false', '0'))`,
      };
    case "timestamp":
      return {
        value: `try_strptime(${v}, ${literal(GENERATOR_TIMESTAMP)})`,
        bad: `(${v} IS NOT NULL AND (length(${v}) <> 24 OR NOT (${v}[1] BETWEEN '0' AND '9') OR try_strptime(${v}, ${literal(GENERATOR_TIMESTAMP)}) IS NULL))`,
      };
    default:
      return { value: v, bad: "false" };
  }
}

/** One regex per row over all numeric fields joined by commas (cheaper than one per field). */
export function charChecks(cols: readonly Col[]): string[] {
  const out: string[] = [];
  const floats = cols.filter((c) => c.type === "float64").map((c) => ident(c.name));
  const ints = cols.filter((c) => c.type === "int32").map((c) => ident(c.name));
  if (floats.length) out.push(`NOT regexp_full_match(concat_ws(',', ${floats.join(", ")}), ${literal(NUMBER_CHARS)})`);
  if (ints.length) out.push(`NOT regexp_full_match(concat_ws(',', ${ints.join(", ")}), ${literal(INTEGER_CHARS)})`);
  return out;
}

/** SQL counting the rows a stateless expectation fails on the typed scratch table, or null if not compilable. */
function failCountSql(e: Expectation, cols: Map<string, Col>): string | null {
  const colOf = (name: string): Col | null => cols.get(name) ?? null;
  switch (e.kind) {
    case "column_exists":
    case "row_count_between":
      return "0";
    case "not_null": {
      const c = colOf(e.column);
      return c ? `count_if(${ident(c.name)} IS NULL)` : null;
    }
    case "column_type": {
      const c = colOf(e.column);
      if (!c) return null;
      const want = { float64: "number", int32: "integer", bool: "boolean", timestamp: "timestamp", category: "string" }[c.type];
      if (e.type === want) return "0";
      if (e.type === "number" && c.type === "int32") return "0";
      if (e.type === "integer" && c.type === "float64") return `count_if(${ident(c.name)} <> floor(${ident(c.name)}))`;
      return null;
    }
    case "values_between": {
      const c = colOf(e.column);
      if (!c || (c.type !== "float64" && c.type !== "int32")) return null;
      const v = ident(c.name);
      const parts: string[] = [];
      if (e.min !== undefined) parts.push(`${v} ${e.strictMin ? "<=" : "<"} ${e.min}`);
      if (e.max !== undefined) parts.push(`${v} ${e.strictMax ? ">=" : ">"} ${e.max}`);
      return parts.length ? `count_if(${parts.join(" OR ")})` : "0";
    }
    case "in_set": {
      const c = colOf(e.column);
      if (!c) return null;
      if (c.type === "category" && e.values.every((x) => typeof x === "string")) {
        return `count_if(${ident(c.name)} NOT IN (${e.values.map((x) => literal(String(x))).join(", ")}))`;
      }
      if ((c.type === "int32" || c.type === "float64") && e.values.every((x) => typeof x === "number")) {
        return `count_if(${ident(c.name)} NOT IN (${e.values.join(", ")}))`;
      }
      return null;
    }
    case "unique":
    case "monotonic":
      // Stateful: counted by statefulCounts.
      return "0";
  }
}

/**
 * Failing-row counts of the unique and monotonic expectations. Each ordering runs one window pass that
 * counts rows going back in time and rows repeating the previous value of their group; a uniqueness
 * key made of that ordering's groups and column is then counted from the repeats, as lib/validate's
 * ordered-unique check does, instead of by a second pass. In a file where every row is clean each row
 * is compared with the previous non-null one of its group, exactly the validator's "last committed value".
 */
async function statefulCounts(wh: Warehouse, exps: readonly Expectation[], cols: Map<string, Col>, table: string): Promise<Map<number, number> | null> {
  const out = new Map<number, number>();
  const repeats = new Map<number, number>();
  for (let i = 0; i < exps.length; i++) {
    const e = exps[i];
    if (e.kind !== "monotonic") continue;
    const c = cols.get(e.column);
    const gs = e.groupBy.map((g) => cols.get(g));
    if (!c || gs.some((g) => g === undefined)) return null;
    const v = ident(c.name);
    const part = gs.length ? `PARTITION BY ${gs.map((g) => ident(g!.name)).join(", ")}` : "";
    const r = await wh.rows(
      `SELECT CAST(count_if(${v} < prev) AS DOUBLE) AS lt, CAST(count_if(${v} = prev) AS DOUBLE) AS eq FROM (SELECT ${v}, lag(${v}) OVER (${part} ORDER BY rowid) AS prev FROM ${table} WHERE ${v} IS NOT NULL)`,
    );
    const lt = Number(r[0].lt);
    const eq = Number(r[0].eq);
    out.set(i, e.strict ? lt + eq : lt);
    repeats.set(i, eq);
  }
  for (let i = 0; i < exps.length; i++) {
    const e = exps[i];
    if (e.kind !== "unique") continue;
    const ks = e.columns.map((k) => cols.get(k));
    if (ks.some((k) => k === undefined)) return null;
    const m = exps.findIndex(
      (x) => x.kind === "monotonic" && x.quarantine && e.quarantine && x.groupBy.length + 1 === e.columns.length && e.columns.every((k) => k === x.column || x.groupBy.includes(k)),
    );
    if (m >= 0) {
      // Exact when the ordering holds; when it does not, the file is declined anyway.
      out.set(i, repeats.get(m)!);
      continue;
    }
    const ids = ks.map((k) => ident(k!.name));
    // Rows with a null key part are not compared, as in lib/validate.
    const n = await wh.scalar(
      `SELECT CAST(coalesce(sum(n - 1), 0) AS DOUBLE) FROM (SELECT count(*) AS n FROM ${table} WHERE ${ids.map((x) => `${x} IS NOT NULL`).join(" AND ")} GROUP BY ${ids.join(", ")} HAVING count(*) > 1)`,
    );
    out.set(i, n ?? 0);
  }
  return out;
}

/** The outcome of a successful fast check: the scratch table holds the typed rows, its rowid in file order. */
export interface FastCheck {
  table: string;
  report: ValidationReport;
  extraColumns: string[];
}

/**
 * Parse and check a CSV file in DuckDB. Returns the typed scratch table and the report when every row
 * is clean, or null (with nothing left behind) when the row-by-row validator must decide.
 */
export async function fastCsvCheck(wh: Warehouse, t: RawTable, path: string, shape: FileShape): Promise<FastCheck | null> {
  if (shape.hasQuote || shape.hasBlankLine) return null;
  const header = firstLine(path);
  if (header === null) return null;
  const names = header.split(",").map((h) => h.trim());
  if (new Set(names).size !== names.length) return null;
  const cols = new Map(t.schema.columns.map((c) => [c.name, c]));
  if (t.schema.columns.some((c) => !names.includes(c.name))) return null;
  const rowsExpected = shape.newlines - 1 + (shape.endsWithNewline ? 0 : 1);
  const table = "_wh_fast";
  const spec = names.map((n) => `${literal(n)}: 'VARCHAR'`).join(", ");
  const source = `read_csv(${literal(path)}, header = true, columns = {${spec}}, auto_detect = false, strict_mode = true, null_padding = false, delim = ',', quote = '"', escape = '"')`;
  const typed = t.schema.columns.map((c) => `${parseSql(c).value} AS ${ident(c.name)}`);
  const bad = [...t.schema.columns.map((c) => parseSql(c).bad).filter((b) => b !== "false"), ...charChecks(t.schema.columns)];
  const sqls = t.suite.expectations.map((e) => failCountSql(e, cols));
  if (sqls.some((s) => s === null)) return null;
  try {
    await wh.exec(
      `CREATE OR REPLACE TEMP TABLE ${table} AS SELECT ${typed.join(", ")}, (${bad.length ? bad.join(" OR ") : "false"}) AS _bad FROM ${source}`,
    );
  } catch {
    // Field-count and encoding problems: the validator reports them line by line.
    await wh.exec(`DROP TABLE IF EXISTS ${table}`);
    return null;
  }
  const decline = async (): Promise<null> => {
    await wh.exec(`DROP TABLE IF EXISTS ${table}`);
    return null;
  };
  const rows = (await wh.scalar(`SELECT count(*)::DOUBLE FROM ${table}`)) ?? 0;
  if (rows !== rowsExpected) return decline();
  if (((await wh.scalar(`SELECT count_if(_bad)::DOUBLE FROM ${table}`)) ?? 0) > 0) return decline();
  const countsRow = await wh.rows(`SELECT ${sqls.map((s, i) => `CAST(${s} AS DOUBLE) AS e${i}`).join(", ")} FROM ${table}`);
  const counts = sqls.map((_, i) => Number((countsRow[0] ?? {})[`e${i}`] ?? 0));
  const stateful = await statefulCounts(wh, t.suite.expectations, cols, table);
  if (stateful === null) return decline();
  for (const [i, n] of stateful) counts[i] = n;
  const exps = t.suite.expectations;
  if (exps.some((e, i) => counts[i] > 0 && "quarantine" in e && e.quarantine)) return decline();
  const results: ExpectationResult[] = exps.map((e, index) => {
    const elementCount = e.kind === "column_exists" ? 0 : rows;
    let unexpected = counts[index];
    let success: boolean;
    let note: string | undefined;
    if (e.kind === "row_count_between") {
      success = rows >= (e.min ?? 0) && rows <= (e.max ?? Infinity);
      unexpected = success ? 0 : 1;
      if (!success) note = `row count ${rows}`;
    } else {
      const mostly = "mostly" in e ? e.mostly : 1;
      success = elementCount === 0 ? true : (elementCount - unexpected) / elementCount >= mostly - 1e-12;
    }
    return {
      index,
      label: describeExpectation(e),
      expectation: e,
      success,
      elementCount,
      unexpectedCount: unexpected,
      unexpectedPercent: elementCount > 0 ? (100 * unexpected) / elementCount : 0,
      examples: [],
      ...(note ? { note } : {}),
    };
  });
  await wh.exec(`ALTER TABLE ${table} DROP COLUMN _bad`);
  const report: ValidationReport = {
    kind: "validation-report",
    version: 1,
    suite: t.suite.name,
    source: path,
    success: results.every((r) => r.success),
    rowsIn: rows,
    rowsGood: rows,
    rowsQuarantined: 0,
    rowsUnparseable: 0,
    expectations: results,
  };
  return { table, report, extraColumns: names.filter((n) => !cols.has(n)) };
}
