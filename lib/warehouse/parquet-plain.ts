/**
 * A small streaming Parquet writer for staging typed columns into DuckDB: PLAIN encoding, except text
 * given as dictionary codes (RLE_DICTIONARY: a dictionary page of the labels a row group uses, then
 * bit-packed indices), no compression, one data page per column per row group, definition levels
 * (RLE/bit-packed, width 1) for OPTIONAL columns, page headers and the footer in Thrift compact
 * protocol. Values go from typed arrays into page buffers with bulk copies or plain loops; no object
 * is made per value. Bytes go to the file in the background (libuv's thread pool), so the caller's
 * thread goes on encoding while the previous row group is being written; `close()` waits for them.
 */
import { close as closeFd, closeSync, openSync, writev } from "node:fs";
import { DataError } from "../errors.js";

/** Physical/logical type of a column: INT32, INT64 TIMESTAMP(micros, not UTC-adjusted), DOUBLE, BOOLEAN, BYTE_ARRAY UTF8. */
export type ParquetColumnType = "int32" | "timestamp" | "double" | "bool" | "utf8";

/** One column of the file. */
export interface ParquetColumnSpec {
  name: string;
  type: ParquetColumnType;
  /** OPTIONAL (may hold nulls) or REQUIRED (a null is an error). */
  optional: boolean;
}

/**
 * One column's values for a row group. Numbers: `values` (int32: integers; timestamp: epoch
 * milliseconds whose micros are exact integers; bool: 0/1), with nulls given by `valid` (1 = value) or,
 * when `nanIsNull`, by NaN. Text: dictionary `codes` into `labels` (negative = null) or `strings`.
 */
export type ParquetColumnData =
  | { values: ArrayLike<number>; valid?: Uint8Array; nanIsNull?: boolean }
  | { codes: ArrayLike<number>; labels: readonly string[] }
  | { strings: readonly (string | null | undefined)[] };

const TYPE_CODE: Record<ParquetColumnType, number> = { bool: 0, int32: 1, timestamp: 2, double: 5, utf8: 6 };

/** Thrift compact protocol output for the (small) headers and footer. */
class Compact {
  private bytes: number[] = [];
  private last: number[] = [0];

  private varint(v: number): void {
    // Numbers below 2^53 only, so division instead of 32-bit shifts.
    while (v >= 128) {
      this.bytes.push((v % 128) | 128);
      v = Math.floor(v / 128);
    }
    this.bytes.push(v);
  }

  private zigzag(v: number): void {
    this.varint(v >= 0 ? 2 * v : -2 * v - 1);
  }

  private field(id: number, type: number): void {
    const delta = id - this.last[this.last.length - 1];
    if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
    else {
      this.bytes.push(type);
      this.zigzag(id);
    }
    this.last[this.last.length - 1] = id;
  }

  i32(id: number, v: number): this {
    this.field(id, 5);
    this.zigzag(v);
    return this;
  }

  i64(id: number, v: number): this {
    this.field(id, 6);
    this.zigzag(v);
    return this;
  }

  bool(id: number, v: boolean): this {
    this.field(id, v ? 1 : 2);
    return this;
  }

  string(id: number, s: string): this {
    this.field(id, 8);
    this.binary(s);
    return this;
  }

  private binary(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.varint(b.length);
    for (const x of b) this.bytes.push(x);
  }

  /** A struct field: `body` writes its fields. */
  struct(id: number, body: (w: this) => void): this {
    this.field(id, 12);
    this.last.push(0);
    body(this);
    this.bytes.push(0);
    this.last.pop();
    return this;
  }

  private listHeader(size: number, elem: number): void {
    if (size < 15) this.bytes.push((size << 4) | elem);
    else {
      this.bytes.push(0xf0 | elem);
      this.varint(size);
    }
  }

  listI32(id: number, values: readonly number[]): this {
    this.field(id, 9);
    this.listHeader(values.length, 5);
    for (const v of values) this.zigzag(v);
    return this;
  }

  listString(id: number, values: readonly string[]): this {
    this.field(id, 9);
    this.listHeader(values.length, 8);
    for (const v of values) this.binary(v);
    return this;
  }

  listStruct<T>(id: number, items: readonly T[], body: (w: this, item: T) => void): this {
    this.field(id, 9);
    this.listHeader(items.length, 12);
    for (const item of items) {
      this.last.push(0);
      body(this, item);
      this.bytes.push(0);
      this.last.pop();
    }
    return this;
  }

  /** Close the top-level struct and return its bytes. */
  end(): Buffer {
    this.bytes.push(0);
    return Buffer.from(this.bytes);
  }
}

function varintBytes(v: number): number[] {
  const out: number[] = [];
  while (v >= 128) {
    out.push((v % 128) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

interface ChunkMeta {
  column: number;
  offset: number;
  numValues: number;
  size: number;
  /** Offset of the dictionary page (dictionary-encoded chunks), then the data page follows. */
  dictionaryOffset: number | null;
  dataOffset: number;
}

/** Above this many labels a code column is written PLAIN (a per-row-group dictionary would not pay). */
const DICTIONARY_MAX_LABELS = 1 << 16;

interface RowGroupMeta {
  rows: number;
  offset: number;
  size: number;
  chunks: ChunkMeta[];
}

const TWO32 = 4294967296;

/** The widest instant a JavaScript Date holds (±100,000,000 days from 1970), in milliseconds. */
const MAX_TIMESTAMP_MS = 8.64e15;

/** Options of a writer. */
export interface ParquetWriterOptions {
  /**
   * Rows per row group for `append` (default 122880, DuckDB's own row group size: DuckDB inserts a
   * file whose row groups match its own on all its threads, and one row group at a time otherwise).
   */
  rowGroupRows?: number;
}

/** DuckDB's row group size (rows): row groups of this size let its inserts run in parallel. */
export const DUCKDB_ROW_GROUP_ROWS = 122_880;

/** Writes a Parquet file row group by row group; `close()` writes the footer. */
export class PlainParquetWriter {
  private fd: number;
  private offset = 0;
  private readonly groups: RowGroupMeta[] = [];
  private totalRows = 0;
  private closed = false;
  private readonly labelCache = new WeakMap<readonly string[], Buffer[]>();
  private readonly rowGroupRows: number;
  /** Rows given to `append` and not yet written: whole pieces, oldest first. */
  private pending: { rows: number; data: readonly ParquetColumnData[] }[] = [];
  private pendingRows = 0;
  /** Background writes not finished yet, their bytes, and the first that failed. */
  private writesInFlight = 0;
  private bytesInFlight = 0;
  private writeError: Error | null = null;
  private settled: (() => void)[] = [];
  /** Per label of the current code column: its index in the row group's dictionary, or -1. */
  private localCode = new Int32Array(0);

  /** Open `path` for writing (truncating it) with the given columns. */
  constructor(
    readonly path: string,
    readonly columns: readonly ParquetColumnSpec[],
    options: ParquetWriterOptions = {},
  ) {
    if (columns.length === 0) throw new DataError(`${path}: a Parquet file needs at least one column`);
    const groupRows = options.rowGroupRows ?? DUCKDB_ROW_GROUP_ROWS;
    if (!Number.isInteger(groupRows) || groupRows < 1) throw new DataError(`${path}: rowGroupRows must be a positive integer, got ${groupRows}`);
    this.rowGroupRows = groupRows;
    this.fd = openSync(path, "w");
    this.write([Buffer.from("PAR1", "latin1")]);
  }

  /** Rows given to the writer so far (written or waiting in `append`'s buffer). */
  get rows(): number {
    return this.totalRows + this.pendingRows;
  }

  /**
   * Add rows to the file: they are kept (by reference: the arrays must not change afterwards) until a
   * whole row group of `rowGroupRows` is there, which is then written; `close()` writes what is left
   * as a last, shorter row group.
   */
  append(rows: number, data: readonly ParquetColumnData[]): void {
    if (this.closed) throw new DataError(`${this.path}: writer is closed`);
    if (data.length !== this.columns.length) throw new DataError(`${this.path}: ${data.length} columns given, ${this.columns.length} expected`);
    if (rows === 0) return;
    this.pending.push({ rows, data });
    this.pendingRows += rows;
    while (this.pendingRows >= this.rowGroupRows) this.writePending(this.rowGroupRows);
  }

  /** Write the first `rows` pending rows as one row group (no copy when they are exactly one piece). */
  private writePending(rows: number): void {
    const first = this.pending[0];
    if (first.rows === rows) {
      this.pending.shift();
      this.pendingRows -= rows;
      this.writeRowGroup(rows, first.data);
      return;
    }
    const pieces: { rows: number; data: readonly ParquetColumnData[] }[] = [];
    let need = rows;
    while (need > 0) {
      const p = this.pending[0];
      if (p.rows <= need) {
        pieces.push(p);
        this.pending.shift();
        need -= p.rows;
      } else {
        pieces.push({ rows: need, data: p.data.map((d) => sliceColumn(d, 0, need)) });
        this.pending[0] = { rows: p.rows - need, data: p.data.map((d) => sliceColumn(d, need, p.rows)) };
        need = 0;
      }
    }
    this.pendingRows -= rows;
    this.writeRowGroup(rows, this.columns.map((_, k) => concatColumn(pieces.map((p) => p.data[k]), rows)));
  }

  /**
   * Queue `parts` at the current end of the file; a background write at an explicit position, so
   * writes may finish in any order. The first failure is thrown by the next append, settle or close.
   */
  private write(parts: readonly Uint8Array[]): void {
    if (this.writeError) throw this.writeError;
    let size = 0;
    for (const p of parts) size += p.length;
    if (size === 0) return;
    const position = this.offset;
    this.offset += size;
    this.writesInFlight++;
    this.bytesInFlight += size;
    const rest = (buffers: readonly Uint8Array[], at: number, left: number): void => {
      writev(this.fd, buffers as Uint8Array[], at, (error, written) => {
        if (!error && written < left) {
          // A short write: go on from the first byte not written.
          let skip = written;
          const more: Uint8Array[] = [];
          for (const b of buffers) {
            if (skip >= b.length) skip -= b.length;
            else {
              more.push(skip > 0 ? b.subarray(skip) : b);
              skip = 0;
            }
          }
          rest(more, at + written, left - written);
          return;
        }
        if (error) this.writeError ??= new DataError(`${this.path}: cannot write (${error.message})`, { cause: error });
        this.writesInFlight--;
        this.bytesInFlight -= size;
        if (this.writesInFlight === 0) for (const done of this.settled.splice(0)) done();
      });
    };
    rest(parts, position, size);
  }

  /** Bytes queued for the file and not yet written. */
  get pendingWriteBytes(): number {
    return this.bytesInFlight;
  }

  /** Wait until every queued byte is written; throws the first write failure. */
  async settle(): Promise<void> {
    if (this.writesInFlight > 0) await new Promise<void>((done) => this.settled.push(done));
    if (this.writeError) throw this.writeError;
  }

  /** Write `rows` rows as one row group (nothing for 0 rows); `data[k]` holds column k. */
  writeRowGroup(rows: number, data: readonly ParquetColumnData[]): void {
    if (this.closed) throw new DataError(`${this.path}: writer is closed`);
    if (data.length !== this.columns.length) throw new DataError(`${this.path}: ${data.length} columns given, ${this.columns.length} expected`);
    if (rows === 0) return;
    const start = this.offset;
    const chunks: ChunkMeta[] = [];
    for (let k = 0; k < this.columns.length; k++) {
      const spec = this.columns[k];
      const valid = this.validity(spec, data[k], rows);
      let present = rows;
      if (valid) {
        present = 0;
        for (let i = 0; i < rows; i++) present += valid[i];
        if (!spec.optional && present < rows) {
          let i = 0;
          while (valid[i] === 1) i++;
          throw new DataError(`${this.path}: column "${spec.name}" is REQUIRED but row ${this.totalRows + i} of the file is null`);
        }
      }
      const offset = this.offset;
      const dictionary = this.dictionaryEncode(spec, data[k], rows, present);
      let dictionaryOffset: number | null = null;
      if (dictionary) {
        dictionaryOffset = this.offset;
        const header = new Compact()
          .i32(1, 2)
          .i32(2, dictionary.page.length)
          .i32(3, dictionary.page.length)
          .struct(7, (w) => w.i32(1, dictionary.size).i32(2, 0))
          .end();
        this.write([header, dictionary.page]);
      }
      const body: Uint8Array[] = [];
      if (spec.optional) body.push(...definitionLevels(valid, rows, present));
      body.push(dictionary ? dictionary.indices : this.values(spec, data[k], rows, valid, present));
      let size = 0;
      for (const b of body) size += b.length;
      const header = new Compact()
        .i32(1, 0)
        .i32(2, size)
        .i32(3, size)
        .struct(5, (w) => w.i32(1, rows).i32(2, dictionary ? 8 : 0).i32(3, 3).i32(4, 3))
        .end();
      const dataOffset = this.offset;
      this.write([header, ...body]);
      chunks.push({ column: k, offset, numValues: rows, size: this.offset - offset, dictionaryOffset, dataOffset });
    }
    this.groups.push({ rows, offset: start, size: this.offset - start, chunks });
    this.totalRows += rows;
  }

  /** Per-row validity (1 = value) or null when every row holds a value. */
  private validity(spec: ParquetColumnSpec, d: ParquetColumnData, rows: number): Uint8Array | null {
    if ("codes" in d) {
      const v = new Uint8Array(rows);
      let all = true;
      for (let i = 0; i < rows; i++) {
        const ok = d.codes[i] >= 0 ? 1 : 0;
        v[i] = ok;
        if (ok === 0) all = false;
      }
      return all ? null : v;
    }
    if ("strings" in d) {
      const v = new Uint8Array(rows);
      let all = true;
      for (let i = 0; i < rows; i++) {
        const s = d.strings[i];
        const ok = s === null || s === undefined ? 0 : 1;
        v[i] = ok;
        if (ok === 0) all = false;
      }
      return all ? null : v;
    }
    if (spec.type === "utf8") throw new DataError(`${this.path}: column "${spec.name}" is text but was given numbers`);
    if (d.valid) return d.valid.subarray(0, rows);
    if (!d.nanIsNull) return null;
    // Most columns hold no null: find the first NaN before allocating anything.
    const values = d.values;
    let first = 0;
    while (first < rows && values[first] === values[first]) first++;
    if (first === rows) return null;
    const v = new Uint8Array(rows).fill(1, 0, first);
    for (let i = first; i < rows; i++) {
      const x = values[i];
      v[i] = x === x ? 1 : 0;
    }
    return v;
  }

  /**
   * UTF-8 bytes of each label, made once per label: a reader's dictionary is one array that grows
   * between chunks (labels are only appended), so the cache extends itself when the array has grown.
   */
  private labelBytes(labels: readonly string[]): Buffer[] {
    let out = this.labelCache.get(labels);
    if (!out) {
      out = [];
      this.labelCache.set(labels, out);
    }
    for (let k = out.length; k < labels.length; k++) out.push(Buffer.from(labels[k], "utf8"));
    return out;
  }

  /**
   * For text given as codes into at most DICTIONARY_MAX_LABELS labels: the dictionary page (PLAIN
   * labels the row group uses, in order of first use) and the RLE_DICTIONARY values (bit width, then
   * one bit-packed run of the non-null rows' indices); null for any other column.
   */
  private dictionaryEncode(spec: ParquetColumnSpec, d: ParquetColumnData, rows: number, present: number): { page: Uint8Array; indices: Uint8Array; size: number } | null {
    if (spec.type !== "utf8" || !("codes" in d) || d.labels.length > DICTIONARY_MAX_LABELS) return null;
    const bytes = this.labelBytes(d.labels);
    if (this.localCode.length < bytes.length) this.localCode = new Int32Array(Math.max(bytes.length, 2 * this.localCode.length)).fill(-1);
    const local = this.localCode;
    const used: number[] = [];
    const index = new Int32Array(present);
    for (let i = 0, j = 0; i < rows; i++) {
      const c = d.codes[i];
      if (c < 0) continue;
      if (c >= bytes.length) {
        for (const u of used) local[u] = -1;
        throw new DataError(`${this.path}: column "${spec.name}" row ${this.totalRows + i} has code ${c} outside its ${bytes.length} labels`);
      }
      let x = local[c];
      if (x < 0) {
        x = local[c] = used.length;
        used.push(c);
      }
      index[j++] = x;
    }
    let pageSize = 0;
    for (const u of used) pageSize += 4 + bytes[u].length;
    const page = Buffer.allocUnsafe(pageSize);
    let o = 0;
    for (const u of used) {
      local[u] = -1;
      page.writeUInt32LE(bytes[u].length, o);
      bytes[u].copy(page, o + 4);
      o += 4 + bytes[u].length;
    }
    const width = used.length <= 1 ? 1 : 32 - Math.clz32(used.length - 1);
    const groups = (present + 7) >> 3;
    const head = varintBytes(groups * 2 + 1);
    const indices = new Uint8Array(1 + head.length + groups * width);
    indices[0] = width;
    indices.set(head, 1);
    // Bit-packed, least significant bit first; the padding of the last group stays zero.
    let at = 1 + head.length;
    let acc = 0;
    let bits = 0;
    for (let j = 0; j < present; j++) {
      acc |= index[j] << bits;
      bits += width;
      while (bits >= 8) {
        indices[at++] = acc & 0xff;
        acc >>>= 8;
        bits -= 8;
      }
    }
    if (bits > 0) indices[at] = acc & 0xff;
    return { page, indices, size: used.length };
  }

  /** The PLAIN-encoded non-null values of a column. */
  private values(spec: ParquetColumnSpec, d: ParquetColumnData, rows: number, valid: Uint8Array | null, present: number): Uint8Array {
    if (spec.type === "utf8") {
      if ("codes" in d) {
        const bytes = this.labelBytes(d.labels);
        let size = 0;
        for (let i = 0; i < rows; i++) {
          const c = d.codes[i];
          if (c >= 0) {
            if (c >= bytes.length) throw new DataError(`${this.path}: column "${spec.name}" row ${this.totalRows + i} has code ${c} outside its ${bytes.length} labels`);
            size += 4 + bytes[c].length;
          }
        }
        const out = Buffer.allocUnsafe(size);
        let o = 0;
        for (let i = 0; i < rows; i++) {
          const c = d.codes[i];
          if (c < 0) continue;
          const b = bytes[c];
          out.writeUInt32LE(b.length, o);
          b.copy(out, o + 4);
          o += 4 + b.length;
        }
        return out;
      }
      if ("strings" in d) {
        let size = 0;
        for (let i = 0; i < rows; i++) {
          const s = d.strings[i];
          if (s !== null && s !== undefined) size += 4 + Buffer.byteLength(s, "utf8");
        }
        const out = Buffer.allocUnsafe(size);
        let o = 0;
        for (let i = 0; i < rows; i++) {
          const s = d.strings[i];
          if (s === null || s === undefined) continue;
          const n = out.write(s, o + 4, "utf8");
          out.writeUInt32LE(n, o);
          o += 4 + n;
        }
        return out;
      }
    }
    if (!("values" in d)) throw new DataError(`${this.path}: column "${spec.name}" is ${spec.type} but was given text`);
    const src = d.values;
    switch (spec.type) {
      case "double": {
        if (!valid && src instanceof Float64Array) {
          // A view, not a copy: the caller's arrays must not change until the file is closed.
          return new Uint8Array(src.buffer, src.byteOffset, rows * 8);
        }
        const out = new Float64Array(present);
        for (let i = 0, k = 0; i < rows; i++) if (!valid || valid[i] === 1) out[k++] = src[i];
        return new Uint8Array(out.buffer);
      }
      case "int32": {
        if (!valid && src instanceof Int32Array) return new Uint8Array(src.buffer, src.byteOffset, rows * 4);
        const out = new Int32Array(present);
        for (let i = 0, k = 0; i < rows; i++) {
          if (valid && valid[i] === 0) continue;
          const v = src[i];
          if (v !== Math.trunc(v) || v < -2147483648 || v > 2147483647) throw new DataError(`${this.path}: column "${spec.name}" row ${this.totalRows + i} value ${v} is not a 32-bit integer`);
          out[k++] = v;
        }
        return new Uint8Array(out.buffer);
      }
      case "timestamp": {
        // Little-endian int64 as two 32-bit words; micros below 2^53 (about 285 years either side of
        // 1970) split exactly with floor division, whole milliseconds further out (a 9999-12-31
        // sentinel) go through BigInt.
        const out = new Uint32Array(present * 2);
        for (let i = 0, k = 0; i < rows; i++) {
          if (valid && valid[i] === 0) continue;
          const ms = src[i];
          const us = ms * 1000;
          if (Number.isSafeInteger(us)) {
            const hi = Math.floor(us / TWO32);
            out[k++] = us - hi * TWO32;
            out[k++] = hi >>> 0;
            continue;
          }
          if (!Number.isSafeInteger(ms) || Math.abs(ms) > MAX_TIMESTAMP_MS) {
            throw new DataError(`${this.path}: column "${spec.name}" row ${this.totalRows + i} timestamp ${ms} ms is not a whole number of milliseconds within ±${MAX_TIMESTAMP_MS}`);
          }
          const big = BigInt.asUintN(64, BigInt(ms) * 1000n);
          out[k++] = Number(big & 0xffffffffn);
          out[k++] = Number(big >> 32n);
        }
        return new Uint8Array(out.buffer);
      }
      case "bool": {
        const out = new Uint8Array((present + 7) >> 3);
        for (let i = 0, k = 0; i < rows; i++) {
          if (valid && valid[i] === 0) continue;
          if (src[i] !== 0) out[k >> 3] |= 1 << (k & 7);
          k++;
        }
        return out;
      }
      default:
        throw new DataError(`${this.path}: column "${spec.name}" has unknown type ${spec.type}`);
    }
  }

  /** Write what `append` still holds and the footer, wait for every byte, and close the file. */
  async close(): Promise<void> {
    if (this.closed) return this.settle();
    if (this.pendingRows > 0) this.writePending(this.pendingRows);
    const w = new Compact();
    w.i32(1, 1);
    w.listStruct(2, [null, ...this.columns], (s, c) => {
      if (c === null) {
        s.string(4, "schema").i32(5, this.columns.length);
        return;
      }
      s.i32(1, TYPE_CODE[c.type]).i32(3, c.optional ? 1 : 0).string(4, c.name);
      if (c.type === "utf8") s.i32(6, 0).struct(10, (l) => l.struct(1, () => undefined));
      // TIMESTAMP(isAdjustedToUTC = false, MICROS): DuckDB reads it as TIMESTAMP, not TIMESTAMPTZ.
      if (c.type === "timestamp") s.struct(10, (l) => l.struct(8, (ts) => ts.bool(1, false).struct(2, (u) => u.struct(2, () => undefined))));
    });
    w.i64(3, this.totalRows);
    w.listStruct(4, this.groups, (g, rg) => {
      g.listStruct(1, rg.chunks, (cc, ch) => {
        const spec = this.columns[ch.column];
        cc.i64(2, ch.offset).struct(3, (m) => {
          m.i32(1, TYPE_CODE[spec.type])
            .listI32(2, [0, ...(spec.optional || ch.dictionaryOffset !== null ? [3] : []), ...(ch.dictionaryOffset !== null ? [8] : [])])
            .listString(3, [spec.name])
            .i32(4, 0)
            .i64(5, ch.numValues)
            .i64(6, ch.size)
            .i64(7, ch.size)
            .i64(9, ch.dataOffset);
          if (ch.dictionaryOffset !== null) m.i64(11, ch.dictionaryOffset);
        });
      });
      g.i64(2, rg.size).i64(3, rg.rows).i64(5, rg.offset).i64(6, rg.size);
    });
    w.string(6, "workbench parquet-plain");
    const footer = w.end();
    const tail = Buffer.alloc(8);
    tail.writeUInt32LE(footer.length, 0);
    tail.write("PAR1", 4, "latin1");
    this.write([footer, tail]);
    this.closed = true;
    try {
      await this.settle();
    } finally {
      await new Promise<void>((done) => closeFd(this.fd, () => done()));
    }
  }

  /** Close the file without a footer once queued writes are done (after a failure; the caller deletes it). */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.pending = [];
    this.pendingRows = 0;
    this.closed = true;
    if (this.writesInFlight > 0) await new Promise<void>((done) => this.settled.push(done));
    closeSync(this.fd);
  }
}

/** Rows [start, end) of a column's data (views, no copy, for typed arrays). */
function sliceColumn(d: ParquetColumnData, start: number, end: number): ParquetColumnData {
  const cut = (a: ArrayLike<number>): ArrayLike<number> => (ArrayBuffer.isView(a) ? (a as Float64Array).subarray(start, end) : Array.prototype.slice.call(a, start, end));
  if ("codes" in d) return { codes: cut(d.codes), labels: d.labels };
  if ("strings" in d) return { strings: d.strings.slice(start, end) };
  return { values: cut(d.values), valid: d.valid?.subarray(start, end), nanIsNull: d.nanIsNull };
}

/**
 * One column's pieces as one: numbers into a Float64Array (exact for every type the writer takes),
 * codes into an Int32Array when the pieces share one label array (a reader's dictionary only grows, so
 * the latest array covers every earlier code), otherwise as strings.
 */
function concatColumn(pieces: readonly ParquetColumnData[], rows: number): ParquetColumnData {
  const first = pieces[0];
  if ("codes" in first && pieces.every((p) => "codes" in p && p.labels === first.labels)) {
    const codes = new Int32Array(rows);
    let o = 0;
    for (const p of pieces as readonly { codes: ArrayLike<number> }[]) {
      codes.set(p.codes, o);
      o += p.codes.length;
    }
    return { codes, labels: first.labels };
  }
  if (pieces.every((p) => "codes" in p || "strings" in p)) {
    const strings: (string | null)[] = [];
    for (const p of pieces) {
      if ("strings" in p) for (const s of p.strings) strings.push(s ?? null);
      else if ("codes" in p) for (let i = 0; i < p.codes.length; i++) strings.push(p.codes[i] < 0 ? null : p.labels[p.codes[i]]);
    }
    return { strings };
  }
  if (!pieces.every((p) => "values" in p)) throw new DataError("parquet: a column was given both numbers and text");
  const numeric = pieces as readonly { values: ArrayLike<number>; valid?: Uint8Array; nanIsNull?: boolean }[];
  const values = new Float64Array(rows);
  // NaN as null must hold for every piece or for none: otherwise the pieces travel with explicit validity.
  const nanIsNull = numeric.every((p) => p.nanIsNull === true);
  const withValid = numeric.some((p) => p.valid !== undefined) || (!nanIsNull && numeric.some((p) => p.nanIsNull === true));
  const valid = withValid ? new Uint8Array(rows) : undefined;
  let o = 0;
  for (const p of numeric) {
    const n = p.values.length;
    values.set(p.values, o);
    if (valid) {
      if (p.valid) valid.set(p.valid.subarray(0, n), o);
      else for (let i = 0; i < n; i++) valid[o + i] = p.nanIsNull && p.values[i] !== p.values[i] ? 0 : 1;
    }
    o += n;
  }
  return valid ? { values, valid } : { values, nanIsNull };
}

/** Definition levels of one page (bit width 1), length-prefixed: one RLE run when all present, else bit-packed. */
function definitionLevels(valid: Uint8Array | null, rows: number, present: number): Uint8Array[] {
  let run: Uint8Array;
  if (!valid || present === rows) run = Uint8Array.from([...varintBytes(rows * 2), 1]);
  else if (present === 0) run = Uint8Array.from([...varintBytes(rows * 2), 0]);
  else {
    const groups = (rows + 7) >> 3;
    const head = varintBytes(groups * 2 + 1);
    run = new Uint8Array(head.length + groups);
    run.set(head, 0);
    const o = head.length;
    for (let i = 0; i < rows; i++) if (valid[i] === 1) run[o + (i >> 3)] |= 1 << (i & 7);
  }
  const len = Buffer.alloc(4);
  len.writeUInt32LE(run.length, 0);
  return [len, run];
}
