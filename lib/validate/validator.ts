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
  /**
   * Dictionary-coded text columns: the column is an Int32Array of codes into these labels (-1 is
   * null), as the byte-level CSV reader produces them.
   */
  readonly labels?: Readonly<Record<string, readonly string[]>>;
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
   * Check uniqueness exactly (default true): a row whose key equals the key of any earlier good row is
   * quarantined as a duplicate. A key made of an ordering column plus its groups, whose ordering the
   * suite also quarantines, is then checked against each group's sorted history of instants (8 bytes
   * per good row, no hashing); other numeric keys go through a typed hash set. false: such ordered keys
   * keep only each group's latest instant (O(groups) memory); a row that repeats an older key is still
   * quarantined, but as out of order rather than as a duplicate.
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

function getter(col: ValueColumn, spec: SchemaLike["columns"][number] | undefined, labels?: readonly string[]): Getter {
  if (labels && col instanceof Int32Array) return (i) => (col[i] < 0 ? null : labels[col[i]]);
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

type Fail = (e: number, i: number, value: unknown, reason: string, quarantine: boolean) => void;
type NumericColumn = Exclude<ValueColumn, readonly unknown[]>;

/**
 * Column-at-a-time loops for the stateless expectations over numeric typed arrays and dictionary-coded
 * text; false when the column/expectation pair needs the generic per-value path. The outcomes are
 * those of the generic path (same failures, values and reasons).
 */
function statelessKernel(
  e: number,
  ex: Expectation,
  label: string,
  col: ValueColumn,
  labels: readonly string[] | undefined,
  spec: SchemaLike["columns"][number] | undefined,
  n: number,
  fail: Fail,
): boolean {
  if (!isTyped(col) || ex.kind === "column_exists" || ex.kind === "row_count_between" || ex.kind === "unique" || ex.kind === "monotonic") return false;
  const q = ex.quarantine;
  if (labels !== undefined) {
    if (!(col instanceof Int32Array)) return false;
    if (ex.kind === "not_null") {
      for (let i = 0; i < n; i++) if (col[i] < 0) fail(e, i, null, `${label}: null`, q);
      return true;
    }
    // Judge each label once, then look the verdict up by code.
    const reasonOf: (string | null)[] = labels.map((v) => {
      switch (ex.kind) {
        case "column_type":
          return typeProblem(v, ex.type) ? `${label}: ${show(v)} is not ${ex.type === "integer" ? "an integer" : `a ${ex.type}`}` : null;
        case "values_between":
          return `${label}: ${show(v)} is not a number`;
        case "in_set":
          return ex.values.includes(v) ? null : `${label}: ${show(v)} not allowed`;
      }
    });
    const bad = Uint8Array.from(reasonOf, (r) => (r === null ? 0 : 1));
    if (!bad.includes(1)) return true;
    for (let i = 0; i < n; i++) {
      const c = col[i];
      if (c >= 0 && bad[c] === 1) fail(e, i, labels[c], reasonOf[c]!, q);
    }
    return true;
  }
  if (spec?.type === "category" || spec?.type === "bool") return false;
  switch (ex.kind) {
    case "not_null":
      for (let i = 0; i < n; i++) if (col[i] !== col[i]) fail(e, i, null, `${label}: null`, q);
      return true;
    case "column_type":
      if (ex.type === "number" || ex.type === "timestamp") {
        for (let i = 0; i < n; i++) {
          const v = col[i];
          if (v === Infinity || v === -Infinity) fail(e, i, v, `${label}: ${show(v)} is not a ${ex.type}`, q);
        }
        return true;
      }
      if (ex.type === "integer") {
        for (let i = 0; i < n; i++) {
          const v = col[i];
          if (v === v && !Number.isInteger(v)) fail(e, i, v, `${label}: ${show(v)} is not an integer`, q);
        }
        return true;
      }
      return false;
    case "values_between": {
      const lo = ex.min ?? -Infinity;
      const hi = ex.max ?? Infinity;
      const sMin = ex.strictMin;
      const sMax = ex.strictMax;
      for (let i = 0; i < n; i++) {
        const v = col[i];
        if (v < lo || v > hi || (sMin && v === lo) || (sMax && v === hi)) fail(e, i, v, `${label}: ${v} out of range`, q);
      }
      return true;
    }
    default:
      return false;
  }
}

/** One check of a fused run over a float64 column (see numericRun). */
interface NumericCheck {
  e: number;
  kind: "not_null" | "finite" | "integer" | "range";
  label: string;
  reason: string;
  quarantine: boolean;
  lo: number;
  hi: number;
  strictMin: boolean;
  strictMax: boolean;
}

/** The checks of consecutive expectations on one column as a fused run, or null when one of them does not fuse. */
function numericChecks(run: readonly { e: number; ex: Expectation; label: string }[]): NumericCheck[] | null {
  const out: NumericCheck[] = [];
  let ranges = 0;
  for (const { e, ex, label } of run) {
    if (ex.kind !== "not_null" && ex.kind !== "column_type" && ex.kind !== "values_between") return null;
    const base = { e, label, quarantine: ex.quarantine, lo: -Infinity, hi: Infinity, strictMin: false, strictMax: false };
    if (ex.kind === "not_null") out.push({ ...base, kind: "not_null", reason: `${label}: null` });
    else if (ex.kind === "column_type" && (ex.type === "number" || ex.type === "timestamp")) out.push({ ...base, kind: "finite", reason: ex.type });
    else if (ex.kind === "column_type" && ex.type === "integer") out.push({ ...base, kind: "integer", reason: "" });
    else if (ex.kind === "values_between") {
      ranges++;
      out.push({ ...base, kind: "range", reason: "", lo: ex.min ?? -Infinity, hi: ex.max ?? Infinity, strictMin: ex.strictMin === true, strictMax: ex.strictMax === true });
    } else return null;
  }
  return ranges <= 1 ? out : null;
}

/**
 * Consecutive stateless checks on one float64 column in a single pass (what statelessKernel does one
 * expectation at a time): a row every check passes costs one test; any other row is judged check by
 * check in the suite's order, so counts, examples and reasons are exactly those of separate passes.
 */
function numericRun(checks: readonly NumericCheck[], col: Float64Array, n: number, fail: Fail): void {
  let lo = -Infinity;
  let hi = Infinity;
  let strictMin = false;
  let strictMax = false;
  let integer = false;
  for (const c of checks) {
    if (c.kind === "range") ({ lo, hi, strictMin, strictMax } = c);
    if (c.kind === "integer") integer = true;
  }
  for (let i = 0; i < n; i++) {
    const v = col[i];
    // NaN fails the comparisons, so nulls take the careful path too.
    if (v >= lo && v <= hi && v !== Infinity && v !== -Infinity && (!integer || Number.isInteger(v)) && !(strictMin && v === lo) && !(strictMax && v === hi)) continue;
    for (const c of checks) {
      switch (c.kind) {
        case "not_null":
          if (v !== v) fail(c.e, i, null, c.reason, c.quarantine);
          break;
        case "finite":
          if (v === Infinity || v === -Infinity) fail(c.e, i, v, `${c.label}: ${show(v)} is not a ${c.reason}`, c.quarantine);
          break;
        case "integer":
          if (v === v && !Number.isInteger(v)) fail(c.e, i, v, `${c.label}: ${show(v)} is not an integer`, c.quarantine);
          break;
        case "range":
          if (v < c.lo || v > c.hi || (c.strictMin && v === c.lo) || (c.strictMax && v === c.hi)) fail(c.e, i, v, `${c.label}: ${v} out of range`, c.quarantine);
          break;
      }
    }
  }
}

/** Group tuples of numeric columns to dense slot numbers (small non-negative integers index an array). */
class GroupIndex {
  private dense = new Int32Array(0);
  private readonly map = new Map<number | string, number>();
  size = 0;
  private lastRow = -1;
  private lastCols: readonly NumericColumn[] | null = null;
  private lastSlot = 0;

  constructor(private readonly arity: number) {}

  /** The slot of row i's group (cached for the row just asked about). */
  slot(cols: readonly NumericColumn[], i: number): number {
    if (i === this.lastRow && cols === this.lastCols) return this.lastSlot;
    let s: number;
    if (this.arity === 0) s = 0;
    else if (this.arity === 1) {
      const v = cols[0][i];
      if (v >= 0 && v < 1 << 22 && (v | 0) === v) {
        if (v >= this.dense.length) {
          const d = new Int32Array(Math.max(1024, Math.min(1 << 22, 2 * (v + 1)))).fill(-1);
          d.set(this.dense);
          this.dense = d;
        }
        s = this.dense[v];
        if (s < 0) s = this.dense[v] = this.map.get(v === 0 ? 0 : v) ?? this.size++;
      } else {
        const key = v === v ? v + 0 : NaN;
        s = this.map.get(key) ?? -1;
        if (s < 0) this.map.set(key, (s = this.size++));
      }
    } else {
      let key = "";
      for (const c of cols) key += String(c[i] === c[i] ? c[i] : null) + "\u0001";
      s = this.map.get(key) ?? -1;
      if (s < 0) this.map.set(key, (s = this.size++));
    }
    this.lastRow = i;
    this.lastCols = cols;
    this.lastSlot = s;
    return s;
  }
}

/** Per-group state of an ordering: the last good instant and, when asked, every good instant (sorted). */
class MonotonicState {
  readonly groups: GroupIndex;
  last = new Float64Array(64).fill(NaN);
  keepHistory = false;
  history: Float64Array[] = [];
  historyLength = new Int32Array(64);

  constructor(arity: number) {
    this.groups = new GroupIndex(arity);
  }

  ensure(slot: number): void {
    if (slot < this.last.length) return;
    const size = Math.max(slot + 1, this.last.length * 2);
    const last = new Float64Array(size).fill(NaN);
    last.set(this.last);
    this.last = last;
    const len = new Int32Array(size);
    len.set(this.historyLength);
    this.historyLength = len;
  }

  push(slot: number, v: number): void {
    let h = this.history[slot];
    const len = this.historyLength[slot];
    if (h === undefined || len === h.length) {
      const grown = new Float64Array(h === undefined ? 16 : h.length * 2);
      if (h !== undefined) grown.set(h);
      this.history[slot] = h = grown;
    }
    h[len] = v;
    this.historyLength[slot] = len + 1;
  }

  /** Whether v is among the group's good instants (binary search; they are strictly increasing). */
  has(slot: number, v: number): boolean {
    const h = this.history[slot];
    if (h === undefined) return false;
    let lo = 0;
    let hi = this.historyLength[slot] - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const x = h[mid];
      if (x === v) return true;
      if (x < v) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}

/** Single keys that are small non-negative integers (row ids, trip numbers) live in a bitmap. */
const BITMAP_LIMIT = 1 << 27;

/** An open-addressing hash set of numeric key tuples (-0 and 0 are one key). */
class NumericKeySet {
  private keys: Float64Array;
  private used: Uint8Array;
  private bits = new Uint8Array(0);
  private size = 0;
  private readonly f = new Float64Array(1);
  private readonly w = new Int32Array(this.f.buffer);

  constructor(private readonly arity: number) {
    this.keys = new Float64Array(1024 * arity);
    this.used = new Uint8Array(1024);
  }

  private hash(parts: Float64Array): number {
    let h = 0x9e3779b9 | 0;
    for (let j = 0; j < this.arity; j++) {
      this.f[0] = parts[j];
      h = Math.imul(h ^ this.w[0], 0x85ebca6b);
      h = Math.imul(h ^ this.w[1], 0xc2b2ae35);
      h ^= h >>> 15;
    }
    return h;
  }

  private find(parts: Float64Array): number {
    const mask = this.used.length - 1;
    const k = this.arity;
    for (let s = this.hash(parts) & mask; ; s = (s + 1) & mask) {
      if (this.used[s] === 0) return -1 - s;
      let same = true;
      for (let j = 0; j < k; j++) {
        if (this.keys[s * k + j] !== parts[j]) {
          same = false;
          break;
        }
      }
      if (same) return s;
    }
  }

  has(parts: Float64Array): boolean {
    if (this.arity === 1) {
      const v = parts[0];
      if (v >= 0 && v < BITMAP_LIMIT && (v | 0) === v) {
        const byte = v >>> 3;
        return byte < this.bits.length && (this.bits[byte] & (1 << (v & 7))) !== 0;
      }
    }
    return this.find(parts) >= 0;
  }

  add(parts: Float64Array): void {
    if (this.arity === 1) {
      const v = parts[0];
      if (v >= 0 && v < BITMAP_LIMIT && (v | 0) === v) {
        const byte = v >>> 3;
        if (byte >= this.bits.length) {
          const bits = new Uint8Array(Math.min(BITMAP_LIMIT >>> 3, Math.max(4096, 2 * (byte + 1))));
          bits.set(this.bits);
          this.bits = bits;
        }
        this.bits[byte] |= 1 << (v & 7);
        return;
      }
    }
    const at = this.find(parts);
    if (at >= 0) return;
    const s = -1 - at;
    this.used[s] = 1;
    this.keys.set(parts, s * this.arity);
    if (++this.size * 2 > this.used.length) this.grow();
  }

  private grow(): void {
    const k = this.arity;
    const oldKeys = this.keys;
    const oldUsed = this.used;
    this.keys = new Float64Array(oldUsed.length * 2 * k);
    this.used = new Uint8Array(oldUsed.length * 2);
    const parts = new Float64Array(k);
    const mask = this.used.length - 1;
    for (let s = 0; s < oldUsed.length; s++) {
      if (oldUsed[s] === 0) continue;
      for (let j = 0; j < k; j++) parts[j] = oldKeys[s * k + j];
      let t = this.hash(parts) & mask;
      while (this.used[t] === 1) t = (t + 1) & mask;
      this.used[t] = 1;
      this.keys.set(parts, t * k);
    }
  }
}

/** One stateful expectation on typed columns: check a row (true = it quarantines the row), then commit it if the row is good. */
interface FastPlan {
  check(i: number): boolean;
  commit(): void;
}

class MonotonicPlan implements FastPlan {
  private ok = false;
  private slot = 0;
  private value = 0;

  constructor(
    readonly e: number,
    readonly ex: Extract<Expectation, { kind: "monotonic" }>,
    private readonly label: string,
    readonly col: NumericColumn,
    readonly gs: readonly NumericColumn[],
    readonly state: MonotonicState,
    private readonly stamp: boolean,
    private readonly fail: Fail,
  ) {}

  groupText(i: number): string {
    if (this.gs.length === 0) return show("");
    if (this.gs.length === 1) return show(this.gs[0][i] === this.gs[0][i] ? this.gs[0][i] : null);
    let text = "";
    for (const g of this.gs) text += String(g[i] === g[i] ? g[i] : null) + "\u0001";
    return show(text);
  }

  check(i: number): boolean {
    this.ok = false;
    const v = this.col[i];
    if (v !== v) return false;
    if (v === Infinity || v === -Infinity) {
      this.fail(this.e, i, v, `${this.label}: ${show(v)} is not orderable`, this.ex.quarantine);
      return this.ex.quarantine;
    }
    const st = this.state;
    const slot = st.groups.slot(this.gs, i);
    st.ensure(slot);
    const prev = st.last[slot];
    if (prev === prev && (v < prev || (this.ex.strict && v === prev))) {
      const before = this.stamp ? new Date(prev).toISOString() : String(prev);
      const shown = this.stamp ? new Date(v).toISOString() : show(v);
      this.fail(this.e, i, v, `${this.label}: ${shown} is before the previous ${before} (group ${this.groupText(i)})`, this.ex.quarantine);
      return this.ex.quarantine;
    }
    this.ok = true;
    this.slot = slot;
    this.value = v;
    return false;
  }

  commit(): void {
    if (!this.ok) return;
    const st = this.state;
    if (st.keepHistory && !(st.last[this.slot] === this.value)) st.push(this.slot, this.value);
    st.last[this.slot] = this.value;
  }
}

/** A key of (the ordering's groups, its column): the latest instant decides, the sorted history settles older ones. */
class OrderedUniquePlan implements FastPlan {
  constructor(
    private readonly e: number,
    private readonly ex: Extract<Expectation, { kind: "unique" }>,
    private readonly label: string,
    private readonly cols: readonly NumericColumn[],
    private readonly m: MonotonicPlan,
    private readonly exact: boolean,
    private readonly fail: Fail,
  ) {}

  check(i: number): boolean {
    for (const c of this.cols) if (c[i] !== c[i]) return false;
    const v = this.m.col[i];
    if (v === Infinity || v === -Infinity) return false;
    const st = this.m.state;
    const slot = st.groups.slot(this.m.gs, i);
    st.ensure(slot);
    const last = st.last[slot];
    if (v === last || (this.exact && v < last && st.has(slot, v))) {
      const parts = this.cols.map((c) => c[i]);
      this.fail(this.e, i, parts.length === 1 ? parts[0] : parts, `${this.label}: duplicate key (${parts.map(show).join(", ")})`, this.ex.quarantine);
      return this.ex.quarantine;
    }
    return false;
  }

  commit(): void {
    // The ordering's plan records the instant.
  }
}

class HashUniquePlan implements FastPlan {
  private readonly parts: Float64Array;
  private ok = false;

  constructor(
    private readonly e: number,
    private readonly ex: Extract<Expectation, { kind: "unique" }>,
    private readonly label: string,
    private readonly cols: readonly NumericColumn[],
    private readonly set: NumericKeySet,
    private readonly fail: Fail,
  ) {
    this.parts = new Float64Array(cols.length);
  }

  check(i: number): boolean {
    this.ok = false;
    for (let j = 0; j < this.cols.length; j++) {
      const v = this.cols[j][i];
      if (v !== v) return false;
      this.parts[j] = v + 0;
    }
    if (this.set.has(this.parts)) {
      const parts = this.cols.map((c) => c[i]);
      this.fail(this.e, i, parts.length === 1 ? parts[0] : parts, `${this.label}: duplicate key (${parts.map(show).join(", ")})`, this.ex.quarantine);
      return this.ex.quarantine;
    }
    this.ok = true;
    return false;
  }

  commit(): void {
    if (this.ok) this.set.add(this.parts);
  }
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
  private fastState: Map<number, MonotonicState | NumericKeySet> | null = null;
  private statefulMode: "fast" | "generic" | null = null;
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
      if (e.kind !== "unique" || !e.quarantine || options.exactUniqueness !== false) return null;
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
      g = getter(col, specOf(name), chunk.labels?.[name]);
      getters.set(name, g);
      return g;
    };
    // Reasons only for failing rows; a byte per row says which rows those are.
    const failed = new Uint8Array(n);
    const reasonsOf = new Map<number, string[]>();
    const fail: Fail = (e: number, i: number, value: unknown, reason: string, quarantine: boolean): void => {
      const t = this.tallies[e];
      t.unexpected++;
      if (t.examples.length < 10) t.examples.push({ row: rowBase + i, line: chunk.lines?.[i], value });
      if (quarantine) {
        const r = reasonsOf.get(i);
        if (r) r.push(reason);
        else {
          reasonsOf.set(i, [reason]);
          failed[i] = 1;
        }
      }
    };
    const exps = this.suite.expectations;

    // Missing columns.
    const missingByExp = exps.map((e) => expectationColumns(e).filter((c) => chunk.columns[c] === undefined));
    if (this.options.missingColumns === "error") {
      const missing = [...new Set(missingByExp.flat())];
      if (missing.length > 0) throw new DataError(`${this.options.source ?? "table"}: missing column${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")}`);
    }

    // Pass 1: stateless expectations. Consecutive ones on the same float64 column run fused, in one pass.
    const fusable = (e: number): boolean => {
      const ex = exps[e];
      if (missingByExp[e].length > 0 || !(ex.kind === "not_null" || ex.kind === "column_type" || ex.kind === "values_between")) return false;
      const spec = specOf(ex.column);
      return chunk.columns[ex.column] instanceof Float64Array && chunk.labels?.[ex.column] === undefined && spec?.type !== "category" && spec?.type !== "bool";
    };
    for (let e = 0; e < exps.length; e++) {
      if (fusable(e)) {
        const column = (exps[e] as { column: string }).column;
        let end = e + 1;
        while (end < exps.length && fusable(end) && (exps[end] as { column: string }).column === column) end++;
        const run = [];
        for (let k = e; k < end; k++) run.push({ e: k, ex: exps[k], label: describeExpectation(exps[k]) });
        const checks = end - e > 1 ? numericChecks(run) : null;
        if (checks !== null) {
          for (let k = e; k < end; k++) this.tallies[k].elements += n;
          numericRun(checks, chunk.columns[column] as Float64Array, n, fail);
          e = end - 1;
          continue;
        }
      }
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
      if (statelessKernel(e, ex, label, chunk.columns[ex.column], chunk.labels?.[ex.column], specOf(ex.column), n, fail)) continue;
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
    const fast = stateful.length > 0 && this.statefulMode !== "generic" ? this.fastPlans(stateful, chunk, specOf, fail) : null;
    if (stateful.length > 0) {
      // Keys and instants of earlier chunks live in one representation; a stream must not switch.
      if (fast === null && this.statefulMode === "fast") {
        throw new DataError(`${this.options.source ?? "table"}: a chunk's key or ordering columns are not numeric typed arrays like the earlier chunks'`);
      }
      this.statefulMode = fast ? "fast" : "generic";
    }
    if (fast) {
      let entered = 0;
      const P = fast.length;
      for (let i = 0; i < n; i++) {
        if (failed[i] === 1) continue;
        entered++;
        let rowFailed = false;
        for (let q = 0; q < P; q++) if (fast[q].check(i)) rowFailed = true;
        if (!rowFailed) for (let q = 0; q < P; q++) fast[q].commit();
      }
      for (const { e } of stateful) this.tallies[e].elements += entered;
    } else if (stateful.length > 0) {
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
        if (failed[i] === 1) continue;
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
    const names = Object.keys(chunk.columns);
    const quarantined: QuarantineRecord[] = [];
    let ng = n;
    let goodIdx = new Int32Array(0);
    if (reasonsOf.size > 0) {
      goodIdx = new Int32Array(n);
      ng = 0;
      for (let i = 0; i < n; i++) {
        if (failed[i] === 0) {
          goodIdx[ng++] = i;
          continue;
        }
        const r = reasonsOf.get(i)!;
        const values: Record<string, unknown> = {};
        for (const name of names) values[name] = get(name)!(i);
        const rec: QuarantineRecord = { row: rowBase + i, reasons: r, values };
        if (chunk.lines) rec.line = chunk.lines[i];
        quarantined.push(rec);
      }
    }
    const columns: Record<string, ValueColumn> = {};
    for (const name of names) columns[name] = ng === n ? chunk.columns[name] : gather(chunk.columns[name], goodIdx, ng);
    const good: ValueChunk = {
      length: ng,
      columns,
      lines: chunk.lines ? (ng === n ? chunk.lines : (gather(Float64Array.from(chunk.lines), goodIdx, ng) as Float64Array)) : undefined,
      ...(chunk.labels ? { labels: chunk.labels } : {}),
    };
    this.rowsIn += n;
    this.rowsGood += ng;
    this.rowsQuarantined += n - ng;
    return { good, quarantined };
  }

  /**
   * Typed plans for the stateful expectations when every column they read is a plain numeric typed
   * array (null = NaN); null sends the chunk through the generic per-row path.
   */
  private fastPlans(
    stateful: { ex: Expectation; e: number }[],
    chunk: ValueChunk,
    specOf: (name: string) => SchemaLike["columns"][number] | undefined,
    fail: Fail,
  ): FastPlan[] | null {
    const numeric = (name: string): NumericColumn | null => {
      const col = chunk.columns[name];
      if (col === undefined || !isTyped(col) || chunk.labels?.[name] !== undefined) return null;
      const t = specOf(name)?.type;
      return t === "category" || t === "bool" || col.length < chunk.length ? null : col;
    };
    const state = (this.fastState ??= new Map());
    const plans: FastPlan[] = [];
    const monotonic = new Map<number, MonotonicPlan>();
    for (const { ex, e } of stateful) {
      if (ex.kind !== "monotonic") continue;
      const col = numeric(ex.column);
      const gs = ex.groupBy.map(numeric);
      if (!col || gs.some((g) => g === null)) return null;
      let st = state.get(e) as MonotonicState | undefined;
      if (!st) state.set(e, (st = new MonotonicState(ex.groupBy.length)));
      monotonic.set(e, new MonotonicPlan(e, ex, describeExpectation(ex), col, gs as NumericColumn[], st, specOf(ex.column)?.type === "timestamp", fail));
    }
    for (const { ex, e } of stateful) {
      if (ex.kind === "monotonic") {
        plans.push(monotonic.get(e)!);
        continue;
      }
      if (ex.kind !== "unique") return null;
      const cols = ex.columns.map(numeric);
      if (cols.some((c) => c === null)) return null;
      const pair = ex.quarantine
        ? [...monotonic.values()].find(
            (m) => m.ex.quarantine && m.ex.groupBy.length === ex.columns.length - 1 && ex.columns.includes(m.ex.column) && m.ex.groupBy.every((g) => ex.columns.includes(g)),
          )
        : undefined;
      if (pair) {
        const exact = this.options.exactUniqueness !== false;
        if (exact) pair.state.keepHistory = true;
        plans.push(new OrderedUniquePlan(e, ex, describeExpectation(ex), cols as NumericColumn[], pair, exact, fail));
        continue;
      }
      let st = state.get(e) as NumericKeySet | undefined;
      if (!st) state.set(e, (st = new NumericKeySet(ex.columns.length)));
      plans.push(new HashUniquePlan(e, ex, describeExpectation(ex), cols as NumericColumn[], st, fail));
    }
    return plans;
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
