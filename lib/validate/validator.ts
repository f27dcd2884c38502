/**
 * Chunked validation of a table against an expectation suite. Each chunk splits into good rows, which
 * pass on with their column types intact, and quarantined rows, each with every reason it failed; the
 * two always add up to the input. Stateless checks run first; uniqueness and per-group ordering then
 * see only rows that passed them, so a bad row cannot poison the state later rows are judged by.
 */
import { DataError } from "../errors.js";
import { type Expectation, type Suite, describeExpectation, expectationColumns } from "./expectations.js";

/** A column as the validator accepts it: a typed array or a plain array of JS values. */
export type ValueColumn = Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array | readonly unknown[];

/** A block of rows to validate. */
export interface ValueChunk {
  readonly length: number;
  readonly columns: Readonly<Record<string, ValueColumn>>;
  /** Source line of each row (1-based), when the rows came from a text file. */
  readonly lines?: ArrayLike<number>;
}

/** A quarantined row: where it was, why, and its values. */
export interface QuarantineRecord {
  /** 0-based row index in the input (data rows, header excluded). */
  row: number;
  /** 1-based source line, when known. */
  line?: number;
  reasons: string[];
  values: Record<string, unknown>;
}

/** The outcome of one expectation. */
export interface ExpectationResult {
  index: number;
  label: string;
  expectation: Expectation;
  success: boolean;
  elementCount: number;
  unexpectedCount: number;
  unexpectedPercent: number;
  /** Up to 10 failing rows with the offending value. */
  examples: { row: number; line?: number; value: unknown }[];
  note?: string;
}

/** A validation report (JSON-serializable). */
export interface ValidationReport {
  kind: "validation-report";
  version: 1;
  suite: string;
  source: string | null;
  success: boolean;
  rowsIn: number;
  rowsGood: number;
  rowsQuarantined: number;
  /** Rows the reader could not parse (included in rowsQuarantined). */
  rowsUnparseable: number;
  expectations: ExpectationResult[];
}

/** The result of validating one chunk. */
export interface ChunkValidation {
  good: ValueChunk;
  quarantined: QuarantineRecord[];
}

/** Options of a validator. */
export interface ValidatorOptions {
  /** Column specs that say how typed-array columns are decoded (category codes, bool bytes, epoch ms). */
  schema?: SchemaLike;
  /** What a missing column does: fail the expectations that need it (default) or throw a DataError. */
  missingColumns?: "report" | "error";
  /** Name of the input in messages and the report. */
  source?: string;
  /**
   * Keep every key for uniqueness even when the key is (groups, ordering column) and the suite also
   * expects that ordering. By default such keys are checked in O(groups) memory; a row that repeats an
   * older, out-of-order key is then quarantined as out of order rather than as a duplicate.
   */
  exactUniqueness?: boolean;
}

/** The part of a table schema the validator reads: column names, types and category labels. */
export interface SchemaLike {
  readonly columns: readonly { readonly name: string; readonly type: string; readonly categories?: readonly string[] }[];
}

type Getter = (i: number) => unknown;

function groupKey(gs: readonly Getter[], i: number): unknown {
  if (gs.length === 0) return "";
  if (gs.length === 1) return gs[0](i);
  let text = "";
  for (const g of gs) text += String(g(i)) + "\u0001";
  return text;
}

function isTyped(col: ValueColumn): col is Exclude<ValueColumn, readonly unknown[]> {
  return ArrayBuffer.isView(col);
}

function getter(col: ValueColumn, spec: SchemaLike["columns"][number] | undefined): Getter {
  if (isTyped(col)) {
    if (spec?.type === "category") {
      const cats = spec.categories!;
      return (i) => (col[i] < cats.length ? cats[col[i]] : col[i]);
    }
    if (spec?.type === "bool") return (i) => (col[i] === 1 ? true : col[i] === 0 ? false : col[i]);
    return (i) => {
      const v = col[i];
      return v === v ? v : null;
    };
  }
  return (i) => {
    const v = col[i];
    return v === undefined || v === "" || (typeof v === "number" && Number.isNaN(v)) ? null : v;
  };
}

function typeProblem(v: unknown, type: string): boolean {
  switch (type) {
    case "number":
      return typeof v !== "number" || !Number.isFinite(v);
    case "integer":
      return typeof v !== "number" || !Number.isInteger(v);
    case "string":
      return typeof v !== "string";
    case "boolean":
      return typeof v !== "boolean";
    default:
      return !((typeof v === "number" && Number.isFinite(v)) || (typeof v === "string" && Number.isFinite(Date.parse(v))));
  }
}

function show(v: unknown): string {
  if (Array.isArray(v)) return JSON.stringify(v);
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? v.slice(0, 57) + "..." : v);
  return String(v);
}

function gather(col: ValueColumn, idx: Int32Array, n: number): ValueColumn {
  if (isTyped(col)) {
    const Ctor = col.constructor as new (n: number) => Float64Array;
    const out = new Ctor(n);
    for (let k = 0; k < n; k++) out[k] = col[idx[k]];
    return out;
  }
  const out: unknown[] = new Array(n);
  for (let k = 0; k < n; k++) out[k] = col[idx[k]];
  return out;
}

interface Tally {
  elements: number;
  unexpected: number;
  examples: { row: number; line?: number; value: unknown }[];
  missing: string[];
}

/** Validates chunks against a suite, accumulating a report. */
export class Validator {
  private readonly tallies: Tally[];
  private readonly seen: (Set<unknown> | null)[];
  private readonly last: (Map<unknown, number> | null)[];
  private readonly lastKey: (Map<unknown, number> | null)[];
  private readonly orderedUnique: ({ column: string; groupBy: readonly string[] } | null)[];
  private rowsIn = 0;
  private rowsGood = 0;
  private rowsQuarantined = 0;
  private rowsUnparseable = 0;

  constructor(
    readonly suite: Suite,
    private readonly options: ValidatorOptions = {},
  ) {
    this.tallies = suite.expectations.map(() => ({ elements: 0, unexpected: 0, examples: [], missing: [] }));
    this.seen = suite.expectations.map((e) => (e.kind === "unique" ? new Set<unknown>() : null));
    this.last = suite.expectations.map((e) => (e.kind === "monotonic" ? new Map<unknown, number>() : null));
    // A key made of an ordering column plus its groups needs only each group's latest instant, when the
    // same suite also quarantines rows that go back in time: O(groups) memory instead of O(rows).
    this.orderedUnique = suite.expectations.map((e) => {
      if (e.kind !== "unique" || !e.quarantine || options.exactUniqueness) return null;
      const m = suite.expectations.find(
        (x): x is Extract<Expectation, { kind: "monotonic" }> =>
          x.kind === "monotonic" && x.quarantine && x.groupBy.length === e.columns.length - 1 && e.columns.includes(x.column) && x.groupBy.every((g) => e.columns.includes(g)),
      );
      return m ? { column: m.column, groupBy: m.groupBy } : null;
    });
    this.lastKey = this.orderedUnique.map((o) => (o ? new Map<unknown, number>() : null));
  }

  /** Count rows a reader quarantined before validation (so rowsIn stays the true input count). */
  addUnparseable(records: readonly QuarantineRecord[]): void {
    this.rowsIn += records.length;
    this.rowsQuarantined += records.length;
    this.rowsUnparseable += records.length;
  }

  /** Validate one chunk: good rows pass on, failing rows are quarantined with their reasons. */
  validate(chunk: ValueChunk): ChunkValidation {
    const n = chunk.length;
    const rowBase = this.rowsIn;
    const specOf = (name: string): SchemaLike["columns"][number] | undefined => this.options.schema?.columns.find((c) => c.name === name);
    const isTimestamp = (name: string): boolean => specOf(name)?.type === "timestamp";
    const getters = new Map<string, Getter>();
    const get = (name: string): Getter | null => {
      let g = getters.get(name);
      if (g) return g;
      const col = chunk.columns[name];
      if (col === undefined) return null;
      if (col.length < n) throw new DataError(`${this.options.source ?? "table"}: column "${name}" has ${col.length} values for ${n} rows`);
      g = getter(col, specOf(name));
      getters.set(name, g);
      return g;
    };
    const reasons: (string[] | null)[] = new Array(n).fill(null);
    const fail = (e: number, i: number, value: unknown, reason: string, quarantine: boolean): void => {
      const t = this.tallies[e];
      t.unexpected++;
      if (t.examples.length < 10) t.examples.push({ row: rowBase + i, line: chunk.lines?.[i], value });
      if (quarantine) (reasons[i] ??= []).push(reason);
    };
    const exps = this.suite.expectations;

    // Missing columns.
    const missingByExp = exps.map((e) => expectationColumns(e).filter((c) => chunk.columns[c] === undefined));
    if (this.options.missingColumns === "error") {
      const missing = [...new Set(missingByExp.flat())];
      if (missing.length > 0) throw new DataError(`${this.options.source ?? "table"}: missing column${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")}`);
    }

    // Pass 1: stateless expectations.
    for (let e = 0; e < exps.length; e++) {
      const ex = exps[e];
      const t = this.tallies[e];
      if (missingByExp[e].length > 0) {
        for (const m of missingByExp[e]) if (!t.missing.includes(m)) t.missing.push(m);
        continue;
      }
      if (ex.kind === "column_exists" || ex.kind === "row_count_between" || ex.kind === "unique" || ex.kind === "monotonic") continue;
      const g = get(ex.column)!;
      const label = describeExpectation(ex);
      t.elements += n;
      switch (ex.kind) {
        case "not_null":
          for (let i = 0; i < n; i++) if (g(i) === null) fail(e, i, null, `${label}: null`, ex.quarantine);
          break;
        case "column_type":
          for (let i = 0; i < n; i++) {
            const v = g(i);
            if (v !== null && typeProblem(v, ex.type)) fail(e, i, v, `${label}: ${show(v)} is not ${ex.type === "integer" ? "an integer" : `a ${ex.type}`}`, ex.quarantine);
          }
          break;
        case "values_between": {
          const lo = ex.min ?? -Infinity;
          const hi = ex.max ?? Infinity;
          for (let i = 0; i < n; i++) {
            const v = g(i);
            if (v === null) continue;
            if (typeof v !== "number") fail(e, i, v, `${label}: ${show(v)} is not a number`, ex.quarantine);
            else if (v < lo || v > hi || (ex.strictMin && v === lo) || (ex.strictMax && v === hi) || Number.isNaN(v)) {
              fail(e, i, v, `${label}: ${v} out of range`, ex.quarantine);
            }
          }
          break;
        }
        case "in_set": {
          const allowed = new Set<unknown>(ex.values);
          for (let i = 0; i < n; i++) {
            const v = g(i);
            if (v !== null && !allowed.has(v)) fail(e, i, v, `${label}: ${show(v)} not allowed`, ex.quarantine);
          }
          break;
        }
      }
    }

    // Pass 2: stateful expectations, in row order, over rows that passed pass 1. A row's keys and
    // instants are committed to the state only when the row passes every stateful check as well.
    const stateful = exps.map((ex, e) => ({ ex, e })).filter(({ ex, e }) => (ex.kind === "unique" || ex.kind === "monotonic") && missingByExp[e].length === 0);
    if (stateful.length > 0) {
      const plans = stateful.map(({ ex, e }) => {
        const label = describeExpectation(ex);
        if (ex.kind === "unique") {
          const ordered = this.orderedUnique[e];
          if (ordered) {
            return { kind: "ordered-unique" as const, e, ex, gs: ordered.groupBy.map((c) => get(c)!), g: get(ordered.column)!, label, stamp: isTimestamp(ordered.column) };
          }
          return { kind: "unique" as const, e, ex, gs: ex.columns.map((c) => get(c)!), g: null, label, stamp: false };
        }
        const m = ex as Extract<Expectation, { kind: "monotonic" }>;
        return { kind: "monotonic" as const, e, ex: m, g: get(m.column)!, gs: m.groupBy.map((c) => get(c)!), label, stamp: isTimestamp(m.column) };
      });
      const P = plans.length;
      const pendingKey: unknown[] = new Array(P);
      const pendingGroup: unknown[] = new Array(P);
      const pendingValue = new Float64Array(P);
      const commit = new Uint8Array(P);
      for (let i = 0; i < n; i++) {
        if (reasons[i] !== null) continue;
        let rowFailed = false;
        for (let q = 0; q < P; q++) {
          const p = plans[q];
          commit[q] = 0;
          this.tallies[p.e].elements++;
          if (p.kind === "unique") {
            let key: unknown;
            let anyNull = false;
            if (p.gs.length === 1) {
              key = p.gs[0](i);
              anyNull = key === null;
            } else {
              let text = "";
              for (const g of p.gs) {
                const v = g(i);
                if (v === null) anyNull = true;
                text += (typeof v === "string" ? "s" + v : String(v)) + "\u0001";
              }
              key = text;
            }
            if (anyNull) continue;
            if (this.seen[p.e]!.has(key)) {
              const parts = p.gs.map((g) => g(i));
              fail(p.e, i, parts.length === 1 ? parts[0] : parts, `${p.label}: duplicate key (${parts.map(show).join(", ")})`, p.ex.quarantine);
              rowFailed ||= p.ex.quarantine;
            } else {
              pendingKey[q] = key;
              commit[q] = 1;
            }
            continue;
          }
          const raw = p.g(i);
          if (raw === null) continue;
          const v = typeof raw === "number" ? raw : typeof raw === "string" ? Date.parse(raw) : NaN;
          if (!Number.isFinite(v)) {
            if (p.kind === "monotonic") {
              fail(p.e, i, raw, `${p.label}: ${show(raw)} is not orderable`, p.ex.quarantine);
              rowFailed ||= p.ex.quarantine;
            }
            continue;
          }
          const group = groupKey(p.gs, i);
          const prev = (p.kind === "monotonic" ? this.last[p.e] : this.lastKey[p.e])!.get(group);
          if (p.kind === "ordered-unique") {
            if (prev === v) {
              const parts = [...p.gs.map((g) => g(i)), raw];
              fail(p.e, i, parts, `${p.label}: duplicate key (${parts.map(show).join(", ")})`, p.ex.quarantine);
              rowFailed ||= p.ex.quarantine;
            } else if (prev === undefined || v > prev) {
              pendingGroup[q] = group;
              pendingValue[q] = v;
              commit[q] = 1;
            }
            // v < prev: out of order, which the ordering expectation quarantines.
            continue;
          }
          if (prev !== undefined && (v < prev || (p.ex.strict && v === prev))) {
            const before = p.stamp || typeof raw === "string" ? new Date(prev).toISOString() : String(prev);
            const shown = p.stamp && typeof raw === "number" ? new Date(raw).toISOString() : show(raw);
            fail(p.e, i, raw, `${p.label}: ${shown} is before the previous ${before} (group ${show(group)})`, p.ex.quarantine);
            rowFailed ||= p.ex.quarantine;
          } else {
            pendingGroup[q] = group;
            pendingValue[q] = v;
            commit[q] = 1;
          }
        }
        if (rowFailed) continue;
        for (let q = 0; q < P; q++) {
          if (commit[q] === 0) continue;
          const p = plans[q];
          if (p.kind === "unique") this.seen[p.e]!.add(pendingKey[q]);
          else (p.kind === "monotonic" ? this.last[p.e] : this.lastKey[p.e])!.set(pendingGroup[q], pendingValue[q]);
        }
      }
    }

    // Split.
    const goodIdx = new Int32Array(n);
    let ng = 0;
    const quarantined: QuarantineRecord[] = [];
    const names = Object.keys(chunk.columns);
    for (let i = 0; i < n; i++) {
      const r = reasons[i];
      if (r === null) {
        goodIdx[ng++] = i;
        continue;
      }
      const values: Record<string, unknown> = {};
      for (const name of names) values[name] = get(name)!(i);
      const rec: QuarantineRecord = { row: rowBase + i, reasons: r, values };
      if (chunk.lines) rec.line = chunk.lines[i];
      quarantined.push(rec);
    }
    const columns: Record<string, ValueColumn> = {};
    for (const name of names) columns[name] = ng === n ? chunk.columns[name] : gather(chunk.columns[name], goodIdx, ng);
    const good: ValueChunk = { length: ng, columns, lines: chunk.lines ? (gather(Float64Array.from(chunk.lines), goodIdx, ng) as Float64Array) : undefined };
    this.rowsIn += n;
    this.rowsGood += ng;
    this.rowsQuarantined += n - ng;
    return { good, quarantined };
  }

  /** The report so far (call after the last chunk). */
  report(): ValidationReport {
    const results: ExpectationResult[] = this.suite.expectations.map((ex, index) => {
      const t = this.tallies[index];
      const label = describeExpectation(ex);
      let success: boolean;
      let note: string | undefined;
      let elementCount = t.elements;
      let unexpected = t.unexpected;
      if (ex.kind === "row_count_between") {
        elementCount = this.rowsIn;
        success = this.rowsIn >= (ex.min ?? 0) && this.rowsIn <= (ex.max ?? Infinity);
        unexpected = success ? 0 : 1;
        if (!success) note = `row count ${this.rowsIn}`;
      } else if (t.missing.length > 0) {
        success = false;
        note = `missing column${t.missing.length > 1 ? "s" : ""} ${t.missing.join(", ")}`;
      } else if (ex.kind === "column_exists") {
        success = true;
      } else {
        const mostly = "mostly" in ex ? ex.mostly : 1;
        success = elementCount === 0 ? true : (elementCount - unexpected) / elementCount >= mostly - 1e-12;
      }
      return {
        index,
        label,
        expectation: ex,
        success,
        elementCount,
        unexpectedCount: unexpected,
        unexpectedPercent: elementCount > 0 ? (100 * unexpected) / elementCount : 0,
        examples: t.examples,
        ...(note ? { note } : {}),
      };
    });
    return {
      kind: "validation-report",
      version: 1,
      suite: this.suite.name,
      source: this.options.source ?? null,
      success: results.every((r) => r.success) && this.rowsUnparseable === 0,
      rowsIn: this.rowsIn,
      rowsGood: this.rowsGood,
      rowsQuarantined: this.rowsQuarantined,
      rowsUnparseable: this.rowsUnparseable,
      expectations: results,
    };
  }
}

/** Validate a whole table held in memory. */
export function validateTable(chunk: ValueChunk, suite: Suite, options: ValidatorOptions = {}): ChunkValidation & { report: ValidationReport } {
  const v = new Validator(suite, options);
  const r = v.validate(chunk);
  return { ...r, report: v.report() };
}

/** Render a report as a readable text summary. */
export function formatReport(report: ValidationReport): string {
  const lines: string[] = [];
  lines.push(`Validation ${report.success ? "PASSED" : "FAILED"}: suite "${report.suite}"${report.source ? ` on ${report.source}` : ""}`);
  lines.push(`rows: ${report.rowsIn} in, ${report.rowsGood} good, ${report.rowsQuarantined} quarantined${report.rowsUnparseable ? ` (${report.rowsUnparseable} unparseable)` : ""}`);
  const passed = report.expectations.filter((e) => e.success).length;
  lines.push(`expectations: ${passed} passed, ${report.expectations.length - passed} failed`);
  const width = Math.min(60, Math.max(10, ...report.expectations.map((e) => e.label.length)));
  for (const e of report.expectations) {
    const status = e.success ? "ok  " : "FAIL";
    const counts = e.expectation.kind === "column_exists" ? "" : `  ${e.unexpectedCount}/${e.elementCount} unexpected (${e.unexpectedPercent.toFixed(3)}%)`;
    const ex = !e.success && e.examples.length > 0 ? `  e.g. row ${e.examples[0].row}${e.examples[0].line ? ` (line ${e.examples[0].line})` : ""}: ${show(e.examples[0].value)}` : "";
    lines.push(`  ${status} ${e.label.padEnd(width)}${counts}${e.note ? `  [${e.note}]` : ""}${ex}`.trimEnd());
  }
  return lines.join("\n") + "\n";
}
