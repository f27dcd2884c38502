/**
 * A byte-level CSV reader with the same grammar, outcomes and quarantine reasons as readCsvChunks, for
 * speed: records are found with Buffer.indexOf, numbers, integers, booleans and the generators'
 * timestamps are parsed straight from the bytes into Float64Arrays (no string per field), and text
 * columns come out as Int32Array codes into a per-column dictionary (`chunk.labels`; -1 is null).
 * Only what the fast path cannot vouch for takes the string route: a record holding a double quote goes
 * through CsvRecordParser, a field outside the fast grammars is decoded and parsed by parseCsvField, and
 * a row with any problem is decoded and judged exactly as readCsvChunks judges it. Runs of plain
 * records (no quote, no carriage return, fields in the fast grammars) go through the WebAssembly kernel
 * of wasm-csv.ts, which gives the same values as the fast path here and hands back any record it cannot
 * vouch for (`engine` chooses; the property tests run both).
 */
import { createHash, type Hash } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";
import { ConfigError, DataError } from "../errors.js";
import { CsvRecordParser } from "./csv-parser.js";
import { type CsvBlock, type CsvColumn, type CsvValueType, type ReadCsvOptions, columnsOf, lastFieldError, parseCsvField } from "./read-csv.js";
import type { QuarantineRecord, ValueColumn } from "./validator.js";
import { WASM_CSV_WINDOW, WASM_STOP, WasmCsvKernel } from "./wasm-csv.js";

/** What a scan learned about a file besides its rows (complete once the chunks are exhausted). */
export interface CsvScanSummary {
  header: string[];
  /** Data records read (good + unparseable). */
  records: number;
  /** Records the reader quarantined (wrong field count, unparseable field, blank or truncated line). */
  unparseable: number;
  bytes: number;
  /** Hex sha256 of the bytes, when asked for. */
  sha256: string | null;
  /** Some byte was a double quote. */
  quotes: boolean;
  /** Some line ended in CR LF. */
  carriageReturns: boolean;
  /** Some numeric field held a null word (NaN, nan, null, NULL) instead of being empty. */
  nullWords: boolean;
  /** Every non-null timestamp had the generators' form 2026-01-01T00:00:00.000Z. */
  canonicalTimestamps: boolean;
  /** The last byte of the file was a line feed. */
  endsWithNewline: boolean;
}

/** Options of a byte-level scan. */
export interface ScanCsvOptions extends ReadCsvOptions {
  /** Compute the sha256 of the bytes in the same pass. */
  sha256?: boolean;
  /** Read buffer size in bytes (default 4 MiB). */
  bufferBytes?: number;
  /**
   * Who parses plain records: "wasm" (the WebAssembly kernel of wasm-csv.ts; an error where
   * WebAssembly is missing or a column is boolean), "js" (this file's fast path), or "auto" (default:
   * the kernel where it can). Both give the same values, reasons and counts.
   */
  engine?: "auto" | "js" | "wasm";
}

const enum Kind {
  Float = 0,
  Int = 1,
  Bool = 2,
  Time = 3,
  Text = 4,
}

const POW10 = new Float64Array(23);
POW10[0] = 1;
for (let i = 1; i < 23; i++) POW10[i] = POW10[i - 1] * 10;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days from 1970-01-01 to a proleptic Gregorian date (month 1-12). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Where the last fast field parse stopped (a module slot instead of a result object per field). */
let fieldEnd = 0;

/**
 * A number in lib/validate's grammar from bytes [p, end) up to a comma. fieldEnd is set to the end of
 * the field, to -1 when the bytes are not in the grammar, or to -2 when they are but need the string
 * route for exact rounding (more than 15 digits, or a large exponent).
 */
function scanNumber(b: Uint8Array, p: number, end: number): number {
  let i = p;
  let c = b[i];
  let neg = false;
  if (c === 45) {
    neg = true;
    i++;
  } else if (c === 43) i++;
  // One loop over digits and at most one point: m holds every digit, frac where the point was.
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < end; i++) {
    c = b[i];
    const d = c - 48;
    if (d >= 0 && d <= 9) {
      m = m * 10 + d;
      digits++;
    } else if (c === 46 && frac < 0) frac = digits;
    else break;
  }
  if (digits === 0) {
    fieldEnd = -1;
    return NaN;
  }
  let e = frac < 0 ? 0 : frac - digits;
  if (i < end && c !== 44) {
    if (c !== 101 && c !== 69) {
      fieldEnd = -1;
      return NaN;
    }
    i++;
    let eneg = false;
    if (i < end && (b[i] === 45 || b[i] === 43)) {
      eneg = b[i] === 45;
      i++;
    }
    let exp = 0;
    let ed = 0;
    for (; i < end; i++) {
      const d = b[i] - 48;
      if (d < 0 || d > 9) break;
      if (exp < 100000) exp = exp * 10 + d;
      ed++;
    }
    if (ed === 0 || (i < end && b[i] !== 44)) {
      fieldEnd = -1;
      return NaN;
    }
    e += eneg ? -exp : exp;
  }
  // Clinger's fast path: an exact integer below 2^53 times or over an exact power of ten rounds once.
  if (digits <= 15 && e >= -22 && e <= 22) {
    fieldEnd = i;
    if (m === 0) return neg ? -0 : 0;
    const v = e >= 0 ? m * POW10[e] : m / POW10[-e];
    return neg ? -v : v;
  }
  fieldEnd = -2;
  return NaN;
}

/** An int32 in lib/validate's grammar; fieldEnd = -1 when the bytes need the string route. */
function scanInt(b: Uint8Array, p: number, end: number): number {
  let i = p;
  let neg = false;
  if (i < end && (b[i] === 45 || b[i] === 43)) {
    neg = b[i] === 45;
    i++;
  }
  let v = 0;
  let digits = 0;
  while (i < end) {
    const c = b[i];
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
    digits++;
    i++;
  }
  if (digits === 0 || digits > 10 || (i < end && b[i] !== 44)) {
    fieldEnd = -1;
    return NaN;
  }
  if (neg) v = -v;
  if (v < -2147483648 || v > 2147483647) {
    fieldEnd = -1;
    return NaN;
  }
  fieldEnd = i;
  return v === 0 ? (neg ? -0 : 0) : v;
}

function digit2(b: Uint8Array, i: number): number {
  const a = b[i] - 48;
  const c = b[i + 1] - 48;
  return a >= 0 && a <= 9 && c >= 0 && c <= 9 ? a * 10 + c : -1;
}

/** The date part (first 10 bytes) of the last timestamp parsed, and its day number: telemetry repeats dates. */
const lastDate = new Uint8Array(10);
let lastDays = NaN;

/** Epoch ms of a 24-byte 2026-01-01T00:00:00.000Z at p, or NaN when the bytes are not exactly that form of a real instant. */
function scanTimestamp(b: Uint8Array, p: number): number {
  if (b[p + 4] !== 45 || b[p + 7] !== 45 || b[p + 10] !== 84 || b[p + 13] !== 58 || b[p + 16] !== 58 || b[p + 19] !== 46 || b[p + 23] !== 90) return NaN;
  if (lastDays === lastDays) {
    let same = true;
    for (let j = 0; j < 10; j++) {
      if (b[p + j] !== lastDate[j]) {
        same = false;
        break;
      }
    }
    if (same) {
      const h = digit2(b, p + 11);
      const mi = digit2(b, p + 14);
      const s = digit2(b, p + 17);
      const ms1 = digit2(b, p + 20);
      const ms2 = b[p + 22] - 48;
      if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 || ms1 < 0 || ms2 < 0 || ms2 > 9) return NaN;
      return lastDays * 86_400_000 + h * 3_600_000 + mi * 60_000 + s * 1000 + ms1 * 10 + ms2;
    }
  }
  const y1 = digit2(b, p);
  const y2 = digit2(b, p + 2);
  const mo = digit2(b, p + 5);
  const d = digit2(b, p + 8);
  const h = digit2(b, p + 11);
  const mi = digit2(b, p + 14);
  const s = digit2(b, p + 17);
  const ms1 = digit2(b, p + 20);
  const ms2 = b[p + 22] - 48;
  if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 || ms1 < 0 || ms2 < 0 || ms2 > 9) return NaN;
  const y = y1 * 100 + y2;
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 1 : 0;
  if (d > DAYS_IN_MONTH[mo - 1] + leap) return NaN;
  const days = daysFromCivil(y, mo, d);
  for (let j = 0; j < 10; j++) lastDate[j] = b[p + j];
  lastDays = days;
  return days * 86_400_000 + h * 3_600_000 + mi * 60_000 + s * 1000 + ms1 * 10 + ms2;
}

/** Text values of one column interned as codes; equal strings always share a code. */
class Dictionary {
  readonly labels: string[] = [];
  private readonly byText = new Map<string, number>();
  private bytes: Uint8Array[] = [];
  private hashes = new Int32Array(16);
  private table = new Int32Array(64).fill(-1);
  private entries = 0;
  /** The bytes and code of the last label found through the byte table (empty before any). */
  lastBytes: Uint8Array = new Uint8Array(0);
  lastCode = -1;

  /** The code of bytes [p, q), hashed as h. */
  code(b: Buffer, p: number, q: number, h: number): number {
    const mask = this.table.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const k = this.table[s];
      if (k < 0) break;
      if (this.hashes[k] !== h) continue;
      const x = this.bytes[k];
      if (x.length !== q - p) continue;
      let same = true;
      for (let j = 0; j < x.length; j++) {
        if (x[j] !== b[p + j]) {
          same = false;
          break;
        }
      }
      if (same) {
        this.lastBytes = x;
        this.lastCode = k;
        return k;
      }
    }
    return this.miss(b, p, q, h);
  }

  /** A first sighting of these bytes (kept out of the probe loop, which stays small for the optimizer). */
  private miss(b: Buffer, p: number, q: number, h: number): number {
    // Bytes that do not round-trip through UTF-8 never enter the byte table; they resolve by text.
    const text = b.toString("utf8", p, q);
    const k = this.ofText(text);
    if (Buffer.byteLength(text) === q - p && this.bytes[k].length === 0) this.addBytes(k, b.subarray(p, q), h);
    return k;
  }

  /** The code of a string. */
  ofText(text: string): number {
    let k = this.byText.get(text);
    if (k === undefined) {
      k = this.labels.length;
      this.labels.push(text);
      this.byText.set(text, k);
      this.bytes.push(new Uint8Array(0));
      if (k >= this.hashes.length) {
        const h = new Int32Array(this.hashes.length * 2);
        h.set(this.hashes);
        this.hashes = h;
      }
    }
    return k;
  }

  private addBytes(k: number, src: Uint8Array, h: number): void {
    this.bytes[k] = Uint8Array.from(src);
    this.hashes[k] = h;
    this.entries++;
    if (this.entries * 2 > this.table.length) {
      const table = new Int32Array(this.table.length * 4).fill(-1);
      const mask = table.length - 1;
      for (let j = 0; j < this.bytes.length; j++) {
        if (this.bytes[j].length === 0) continue;
        let s = this.hashes[j] & mask;
        while (table[s] >= 0) s = (s + 1) & mask;
        table[s] = j;
      }
      this.table = table;
      return;
    }
    const mask = this.table.length - 1;
    let s = h & mask;
    while (this.table[s] >= 0) s = (s + 1) & mask;
    this.table[s] = k;
  }
}

function kindOf(type: CsvValueType): Kind {
  switch (type) {
    case "float64":
      return Kind.Float;
    case "int32":
      return Kind.Int;
    case "bool":
      return Kind.Bool;
    case "timestamp":
      return Kind.Time;
    default:
      return Kind.Text;
  }
}

/**
 * Read a CSV file as typed chunks plus quarantined records, as readCsvChunks does, but from bytes; text
 * columns come as Int32Array codes with their labels in `chunk.labels`. `summary` fills in as it reads.
 */
export async function* scanCsvChunks(path: string, options: ScanCsvOptions, summary: CsvScanSummary = emptySummary()): AsyncGenerator<CsvBlock> {
  const scan = new Scanner(path, columnsOf(options.columns), options, summary);
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (cause) {
    throw new DataError(`${path}: cannot read (${(cause as Error).message})`, { cause });
  }
  try {
    scan.fileBytes = (await fh.stat()).size;
  } catch {
    // The size only sizes the first chunk's arrays.
  }
  const hash: Hash | null = options.sha256 ? createHash("sha256") : null;
  let buf = Buffer.allocUnsafe(options.bufferBytes ?? 1 << 22);
  let have = 0;
  try {
    for (;;) {
      if (have === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      let got: number;
      try {
        got = (await fh.read(buf, have, buf.length - have, null)).bytesRead;
      } catch (cause) {
        throw new DataError(`${path}: cannot read (${(cause as Error).message})`, { cause });
      }
      if (got > 0) {
        hash?.update(buf.subarray(have, have + got));
        summary.bytes += got;
        summary.endsWithNewline = buf[have + got - 1] === 10;
      }
      have += got;
      const final = got === 0;
      const used = scan.push(buf.subarray(0, have), final);
      while (scan.ready.length > 0) yield scan.ready.shift()!;
      if (final) break;
      buf.copyWithin(0, used, have);
      have -= used;
    }
  } finally {
    await fh.close();
  }
  scan.finish();
  while (scan.ready.length > 0) yield scan.ready.shift()!;
  summary.sha256 = hash ? hash.digest("hex") : null;
}

/** A summary before any byte is read. */
export function emptySummary(): CsvScanSummary {
  return { header: [], records: 0, unparseable: 0, bytes: 0, sha256: null, quotes: false, carriageReturns: false, nullWords: false, canonicalTimestamps: true, endsWithNewline: false };
}

class Scanner {
  readonly ready: CsvBlock[] = [];
  private header: string[] | null = null;
  private names: string[] = [];
  private kinds = new Int32Array(0);
  private types: CsvValueType[] = [];
  private dicts: (Dictionary | null)[] = [];
  private cols: (Float64Array | Int32Array)[] = [];
  private lines = new Float64Array(0);
  private filledOnce = false;
  /** The file's size when known, to size the first chunk's arrays for the rows it will likely hold. */
  fileBytes = 0;
  private expectedRows = 0;
  /** The WebAssembly record kernel (null: this file's fast path only). */
  private kernel: WasmCsvKernel | null = null;
  /** Records the JavaScript path takes before the kernel is tried again, after it refused a record. */
  private jsRecords = 0;
  /** Kernel calls in a row that refused their first record (backs off on files it cannot read). */
  private refusals = 0;
  private n = 0;
  private quarantined: QuarantineRecord[] = [];
  private line = 1;
  private dataRow = 0;
  private readonly chunkRows: number;

  constructor(
    private readonly path: string,
    private readonly expected: CsvColumn[],
    private readonly options: ScanCsvOptions,
    private readonly summary: CsvScanSummary,
  ) {
    this.chunkRows = options.chunkRows ?? 65_536;
  }

  /** Consume every complete record of b; returns the offset of the first byte not consumed. */
  push(b: Buffer, final: boolean): number {
    const len = b.length;
    let pos = 0;
    let nextQuote = b.indexOf(34, 0);
    if (nextQuote !== -1) this.summary.quotes = true;
    while (pos < len) {
      if (nextQuote !== -1 && nextQuote < pos) nextQuote = b.indexOf(34, pos);
      if (this.kernel !== null && this.header !== null && this.jsRecords === 0) {
        // The complete records before the next quote go through the kernel, which stops before any
        // record it cannot vouch for; that one (and, after repeated refusals, a few more) is read below.
        const lastNewline = b.lastIndexOf(10, (nextQuote === -1 ? len : nextQuote) - 1);
        if (lastNewline >= pos) {
          const stopped = this.kernelRecords(b, pos, lastNewline + 1);
          if (stopped > pos) {
            this.refusals = 0;
            pos = stopped;
            continue;
          }
          this.refusals++;
          this.jsRecords = Math.min(1024, 1 << Math.min(10, this.refusals - 1));
        }
      }
      if (this.jsRecords > 0) this.jsRecords--;
      const nl = b.indexOf(10, pos);
      if (nextQuote !== -1 && (nl === -1 || nextQuote < nl)) {
        const used = this.quotedRecord(b, pos, final);
        if (used < 0) break;
        pos = used;
        continue;
      }
      if (nl === -1 && !final) break;
      let end = nl === -1 ? len : nl;
      if (nl !== -1 && end > pos && b[end - 1] === 13) {
        end--;
        this.summary.carriageReturns = true;
      }
      const terminated = nl !== -1;
      if (this.header === null) {
        this.onHeader(b.toString("utf8", pos, end).split(","), this.line, false);
        this.estimateRows(b, nl + 1);
      }
      else if (end === pos || (!terminated && this.options.requireFinalNewline) || !this.fastRow(b, pos, end)) {
        this.slowRow(b.toString("utf8", pos, end).split(","), this.line, terminated, undefined);
      }
      this.line++;
      pos = nl === -1 ? len : nl + 1;
    }
    return pos;
  }

  /** Parse one record with quotes through CsvRecordParser; -1 when it needs more bytes. */
  private quotedRecord(b: Buffer, pos: number, final: boolean): number {
    for (let window = 1 << 16; ; window *= 2) {
      const stop = Math.min(b.length, pos + window);
      const whole = stop === b.length;
      const text = b.toString("utf8", pos, stop);
      const r = CsvRecordParser.recordAt(text, 0, this.line, final && whole);
      if (r === null) {
        if (whole) return -1;
        continue;
      }
      const rec = r.record;
      if (this.header === null) this.onHeader(rec.fields, rec.line, rec.error !== undefined, rec.error);
      else this.slowRow(rec.fields, rec.line, rec.terminated, rec.error);
      this.line += r.lines;
      if (!rec.terminated) this.line++;
      return pos + Buffer.byteLength(text.slice(0, r.next));
    }
  }

  private onHeader(fields: string[], line: number, bad: boolean, error?: string): void {
    if (bad) throw new DataError(`${this.path}: line ${line}: malformed header (${error})`);
    const header = fields.map((f) => f.trim());
    const dup = header.find((h, i) => header.indexOf(h) !== i);
    if (dup !== undefined) throw new DataError(`${this.path}: header repeats column "${dup}"`);
    const missing = this.expected.filter((c) => !header.includes(c.name)).map((c) => c.name);
    if (missing.length > 0 && (this.options.missingColumns ?? "error") === "error") {
      throw new DataError(`${this.path}: header lacks column${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")}`);
    }
    this.header = header;
    this.summary.header = header;
    this.names = header;
    // Columns the caller did not declare are kept as text.
    this.types = header.map((name) => this.expected.find((c) => c.name === name)?.type ?? "string");
    this.kinds = Int32Array.from(this.types.map(kindOf));
    this.dicts = this.types.map((t) => (kindOf(t) === Kind.Text ? new Dictionary() : null));
    const engine = this.options.engine ?? "auto";
    if (engine !== "js") this.kernel = WasmCsvKernel.create(this.kinds);
    if (engine === "wasm" && this.kernel === null) throw new ConfigError(`${this.path}: engine "wasm" asked for, but WebAssembly is unavailable here or a column is boolean (${this.types.join(", ")})`);
    this.alloc();
  }

  /** Expected data rows from the file size and the records in the first 64 KiB after the header; re-sizes the first chunk. */
  private estimateRows(b: Buffer, from: number): void {
    if (this.fileBytes <= 0 || from <= 0) return;
    const stop = Math.min(b.length, from + (1 << 16));
    let records = 0;
    let last = from;
    for (let at = b.indexOf(10, from); at !== -1 && at < stop; at = b.indexOf(10, at + 1)) {
      records++;
      last = at + 1;
    }
    if (records === 0) return;
    this.expectedRows = Math.ceil((((this.fileBytes - from) / (last - from)) * records) * 1.05);
    if (this.n === 0) this.alloc();
  }

  /**
   * Plain records of b[pos, end) (end just after a newline) through the kernel; returns where it
   * stopped: `end`, or the start of a record it left to the JavaScript path.
   */
  private kernelRecords(b: Buffer, pos: number, end: number): number {
    const kernel = this.kernel!;
    let at = pos;
    while (at < end) {
      const windowEnd = end - at <= WASM_CSV_WINDOW ? end : b.lastIndexOf(10, at + WASM_CSV_WINDOW - 1) + 1;
      // A record longer than the window goes to the JavaScript path.
      if (windowEnd <= at) return at;
      const { records, stoppedAt, reason, unresolved } = kernel.run(b, at, windowEnd, this.chunkRows - this.n);
      if (records > 0) this.takeKernelRecords(b, at, records, unresolved);
      at = stoppedAt;
      if (reason === WASM_STOP.anomaly) return at;
    }
    return at;
  }

  /** Copy the kernel's last `records` records (parsed from b at `start`) into the chunk's columns. */
  private takeKernelRecords(b: Buffer, start: number, records: number, unresolved: number): void {
    const kernel = this.kernel!;
    const n0 = this.n;
    while (this.lines.length < n0 + records) this.grow(this.lines.length);
    for (let k = 0; k < this.kinds.length; k++) {
      if (this.kinds[k] !== Kind.Text) {
        (this.cols[k] as Float64Array).set(kernel.values(k, records), n0);
        continue;
      }
      (this.cols[k] as Int32Array).set(kernel.textCodes(k, records), n0);
    }
    // Labels the kernel's tables do not hold yet: the dictionary gives their codes, and the kernel learns them.
    for (let i = 0; i < unresolved; i++) {
      const u = kernel.unresolvedAt(i);
      if (u.record >= records) continue;
      const p = start + u.start;
      const dict = this.dicts[u.column]!;
      const code = dict.code(b, p, p + u.length, u.hash);
      (this.cols[u.column] as Int32Array)[n0 + u.record] = code;
      kernel.learn(u.column, code, b.subarray(p, p + u.length), u.hash);
    }
    const lines = this.lines;
    for (let r = 0; r < records; r++) lines[n0 + r] = this.line + r;
    this.line += records;
    this.summary.records += records;
    this.dataRow += records;
    this.n = n0 + records;
    if (this.n === this.chunkRows) this.emit();
    else if (this.n === this.lines.length) this.grow(this.n);
  }

  private alloc(): void {
    // Columns start at the rows still expected (at least 4096) and double up to chunkRows, so a small
    // file (or the tail of one) does not allocate whole chunks and a larger one does not copy its first
    // chunk five times; without an estimate, once one chunk has filled the next starts at full size.
    const left = this.expectedRows - this.dataRow;
    const size = Math.min(this.chunkRows, this.filledOnce && left <= 0 ? this.chunkRows : Math.max(4096, left));
    this.cols = this.types.map((t) => (kindOf(t) === Kind.Text ? new Int32Array(size) : new Float64Array(size)));
    this.lines = new Float64Array(size);
    this.n = 0;
  }

  /** Row n is complete: emit a full chunk, or make room for the next row. */
  private advance(): void {
    const n = ++this.n;
    if (n === this.chunkRows) this.emit();
    else if (n === this.lines.length) this.grow(n);
  }

  private grow(n: number): void {
    {
      const size = Math.min(this.chunkRows, n * 2);
      this.cols = this.cols.map((c) => {
        const bigger = c instanceof Int32Array ? new Int32Array(size) : new Float64Array(size);
        bigger.set(c);
        return bigger;
      });
      const lines = new Float64Array(size);
      lines.set(this.lines);
      this.lines = lines;
    }
  }

  private emit(): void {
    const n = this.n;
    if (n === this.chunkRows) this.filledOnce = true;
    const columns: Record<string, ValueColumn> = {};
    const labels: Record<string, readonly string[]> = {};
    this.names.forEach((name, k) => {
      columns[name] = this.cols[k].subarray(0, n);
      const d = this.dicts[k];
      if (d) labels[name] = d.labels;
    });
    this.ready.push({ header: this.header!, chunk: { length: n, columns, lines: this.lines.subarray(0, n), labels }, quarantined: this.quarantined });
    this.quarantined = [];
    this.alloc();
  }

  /** Parse a record from bytes into row n; false when it needs the string route (any problem at all). */
  private fastRow(b: Buffer, pos: number, end: number): boolean {
    const kinds = this.kinds;
    const cols = this.cols;
    const dicts = this.dicts;
    const ncol = kinds.length;
    const n = this.n;
    let p = pos;
    for (let k = 0; k < ncol; k++) {
      if (k > 0) {
        if (p >= end || b[p] !== 44) return false;
        p++;
      }
      const kind = kinds[k];
      if (kind === Kind.Text) {
        // Most text columns repeat a few labels: try the column's last label before hashing.
        const d = dicts[k]!;
        const last = d.lastBytes;
        const len = last.length;
        if (len > 0 && p + len <= end && (p + len === end || b[p + len] === 44)) {
          let j = 0;
          while (j < len && b[p + j] === last[j]) j++;
          if (j === len) {
            (cols[k] as Int32Array)[n] = d.lastCode;
            p += len;
            continue;
          }
        }
        let h = 0x811c9dc5 | 0;
        let q = p;
        while (q < end) {
          const c = b[q];
          if (c === 44) break;
          h = Math.imul(h ^ c, 0x01000193);
          q++;
        }
        (cols[k] as Int32Array)[n] = q === p ? -1 : d.code(b, p, q, h);
        p = q;
        continue;
      }
      const col = cols[k] as Float64Array;
      if (p === end || b[p] === 44) {
        col[n] = NaN;
        continue;
      }
      if (kind === Kind.Float) {
        const v = scanNumber(b, p, end);
        if (fieldEnd >= 0) {
          col[n] = v;
          p = fieldEnd;
          continue;
        }
      } else if (kind === Kind.Int) {
        const v = scanInt(b, p, end);
        if (fieldEnd >= 0) {
          col[n] = v;
          p = fieldEnd;
          continue;
        }
      } else if (kind === Kind.Time) {
        if (p + 24 <= end && (p + 24 === end || b[p + 24] === 44)) {
          const v = scanTimestamp(b, p);
          if (v === v) {
            col[n] = v;
            p += 24;
            continue;
          }
        }
      }
      p = this.stringField(b, p, end, k, col, n);
      if (p < 0) return false;
    }
    if (p !== end) return false;
    this.lines[n] = this.line;
    this.summary.records++;
    this.dataRow++;
    this.advance();
    return true;
  }

  /** A numeric field outside the fast grammars, parsed by parseCsvField; the end of the field, or -1 when it does not parse. */
  private stringField(b: Buffer, p: number, end: number, k: number, col: Float64Array, n: number): number {
    let q = b.indexOf(44, p);
    if (q === -1 || q > end) q = end;
    const kind = this.kinds[k];
    const v = parseCsvField(b.toString("utf8", p, q), this.types[k]);
    if (lastFieldError() !== null) return -1;
    if (kind === Kind.Time) this.summary.canonicalTimestamps = false;
    else if (kind === Kind.Float && v !== v) this.summary.nullWords = true;
    col[n] = v as number;
    return q;
  }

  /** Judge a record from its fields exactly as readCsvChunks does. */
  private slowRow(fields: string[], line: number, terminated: boolean, error: string | undefined): void {
    const header = this.header!;
    const row = this.dataRow++;
    this.summary.records++;
    const reasons: string[] = [];
    if (fields.length === 1 && fields[0] === "" && terminated) reasons.push("blank line");
    else if (error) reasons.push(terminated ? error : `truncated: ${error}`);
    else if (fields.length !== header.length) {
      const what = `expected ${header.length} fields, found ${fields.length}`;
      reasons.push(terminated ? what : `truncated last line: ${what}`);
    } else if (!terminated && this.options.requireFinalNewline) {
      reasons.push("truncated last line: no line terminator");
    }
    const n = this.n;
    if (reasons.length === 0) {
      for (let k = 0; k < header.length; k++) {
        const kind = this.kinds[k];
        const value = parseCsvField(fields[k], this.types[k]);
        const problem = lastFieldError();
        if (problem !== null) reasons.push(`column ${header[k]}: ${problem}`);
        else if (kind === Kind.Text) (this.cols[k] as Int32Array)[n] = value === null ? -1 : this.dicts[k]!.ofText(value as string);
        else {
          (this.cols[k] as Float64Array)[n] = value as number;
          if (kind === Kind.Time && value === value && !(fields[k].length === 24 && scanTimestamp(Buffer.from(fields[k]), 0) === value)) this.summary.canonicalTimestamps = false;
          if (kind === Kind.Float && value !== value) this.summary.nullWords = true;
        }
      }
    }
    if (reasons.length > 0) {
      const values: Record<string, unknown> = {};
      fields.forEach((f, i) => (values[i < header.length ? header[i] : `_extra${i - header.length + 1}`] = f));
      this.quarantined.push({ row, line, reasons: reasons.map((r) => `line ${line}: ${r}`), values });
      this.summary.unparseable++;
      return;
    }
    this.lines[n] = line;
    this.advance();
  }

  finish(): void {
    if (this.header === null) throw new DataError(`${this.path}: empty file (no header line)`);
    if (this.n > 0 || this.quarantined.length > 0) this.emit();
  }
}
