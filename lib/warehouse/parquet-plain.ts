/**
 * A small streaming Parquet writer for staging typed columns into DuckDB: PLAIN encoding, no
 * compression, one data page per column per row group, definition levels (RLE/bit-packed, width 1)
 * for OPTIONAL columns, page headers and the footer in Thrift compact protocol. Values go from typed
 * arrays into page buffers with bulk copies or plain loops; no object is made per value.
 */
import { closeSync, openSync, writeSync } from "node:fs";
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
}

interface RowGroupMeta {
  rows: number;
  offset: number;
  size: number;
  chunks: ChunkMeta[];
}

const TWO32 = 4294967296;

/** Writes a Parquet file row group by row group; `close()` writes the footer. */
export class PlainParquetWriter {
  private fd: number;
  private offset = 0;
  private readonly groups: RowGroupMeta[] = [];
  private totalRows = 0;
  private closed = false;
  private readonly labelCache = new WeakMap<readonly string[], Buffer[]>();

  /** Open `path` for writing (truncating it) with the given columns. */
  constructor(
    readonly path: string,
    readonly columns: readonly ParquetColumnSpec[],
  ) {
    if (columns.length === 0) throw new DataError(`${path}: a Parquet file needs at least one column`);
    this.fd = openSync(path, "w");
    this.write([Buffer.from("PAR1", "latin1")]);
  }

  private write(parts: readonly Uint8Array[]): void {
    for (const p of parts) {
      let done = 0;
      while (done < p.length) done += writeSync(this.fd, p, done, p.length - done);
      this.offset += p.length;
    }
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
      const body: Uint8Array[] = [];
      if (spec.optional) body.push(...definitionLevels(valid, rows, present));
      body.push(this.values(spec, data[k], rows, valid, present));
      let size = 0;
      for (const b of body) size += b.length;
      const header = new Compact()
        .i32(1, 0)
        .i32(2, size)
        .i32(3, size)
        .struct(5, (w) => w.i32(1, rows).i32(2, 0).i32(3, 3).i32(4, 3))
        .end();
      const offset = this.offset;
      this.write([header, ...body]);
      chunks.push({ column: k, offset, numValues: rows, size: header.length + size });
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
    const v = new Uint8Array(rows);
    let all = true;
    for (let i = 0; i < rows; i++) {
      const x = d.values[i];
      const ok = x === x ? 1 : 0;
      v[i] = ok;
      if (ok === 0) all = false;
    }
    return all ? null : v;
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
          const view = new Uint8Array(src.buffer, src.byteOffset, rows * 8);
          return Buffer.from(view);
        }
        const out = new Float64Array(present);
        for (let i = 0, k = 0; i < rows; i++) if (!valid || valid[i] === 1) out[k++] = src[i];
        return new Uint8Array(out.buffer);
      }
      case "int32": {
        if (!valid && src instanceof Int32Array) return Buffer.from(new Uint8Array(src.buffer, src.byteOffset, rows * 4));
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
        // Little-endian int64 as two 32-bit words; micros below 2^53 split exactly with floor division.
        const out = new Uint32Array(present * 2);
        for (let i = 0, k = 0; i < rows; i++) {
          if (valid && valid[i] === 0) continue;
          const ms = src[i];
          const us = ms * 1000;
          if (!Number.isSafeInteger(us)) throw new DataError(`${this.path}: column "${spec.name}" row ${this.totalRows + i} timestamp ${ms} ms is not a whole number of microseconds within ±2^53`);
          const hi = Math.floor(us / TWO32);
          out[k++] = us - hi * TWO32;
          out[k++] = hi >>> 0;
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

  /** Write the footer and close the file. */
  close(): void {
    if (this.closed) return;
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
        cc.i64(2, ch.offset).struct(3, (m) =>
          m
            .i32(1, TYPE_CODE[spec.type])
            .listI32(2, spec.optional ? [0, 3] : [0])
            .listString(3, [spec.name])
            .i32(4, 0)
            .i64(5, ch.numValues)
            .i64(6, ch.size)
            .i64(7, ch.size)
            .i64(9, ch.offset),
        );
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
    closeSync(this.fd);
  }

  /** Close the file without a footer (after a failure; the caller deletes it). */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
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
