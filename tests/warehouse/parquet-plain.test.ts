import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataError } from "../../lib/errors.js";
import { createRng } from "../../lib/util/random.js";
import { literal, openWarehouse, type Warehouse } from "../../lib/warehouse/db.js";
import { type ParquetColumnSpec, PlainParquetWriter } from "../../lib/warehouse/parquet-plain.js";

let root = "";
let wh: Warehouse;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "wh-parquet-"));
  wh = await openWarehouse({ path: ":memory:", ledger: false });
});

afterAll(async () => {
  wh.close();
  await rm(root, { recursive: true, force: true });
});

/** Values read back by DuckDB, each as text that keeps NaN, -0 and infinities apart (null stays null). */
async function readBack(path: string): Promise<{ types: Record<string, string>; rows: Record<string, unknown>[] }> {
  const described = await wh.rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${literal(path)}))`);
  const types = Object.fromEntries(described.map((r) => [String(r.column_name), String(r.column_type)]));
  const rows = await wh.rows(`SELECT * FROM read_parquet(${literal(path)})`);
  return { types, rows };
}

const doubleText = (v: unknown): string | null => (v === null ? null : Object.is(v, -0) ? "-0" : String(v));

describe("PlainParquetWriter", () => {
  it("round-trips every type with nulls, NaN, -0, infinities, empty and unicode text", async () => {
    const cols: ParquetColumnSpec[] = [
      { name: "i", type: "int32", optional: true },
      { name: "t", type: "timestamp", optional: true },
      { name: "d", type: "double", optional: true },
      { name: "b", type: "bool", optional: true },
      { name: "s", type: "utf8", optional: true },
      { name: "c", type: "utf8", optional: true },
      { name: "dr", type: "double", optional: false },
    ];
    const path = join(root, "all.parquet");
    const w = new PlainParquetWriter(path, cols);
    const ints = Float64Array.from([0, -1, 2147483647, -2147483648, NaN, 42, 7, 8, 9]);
    // Epoch ms: 1970, before 1970 (negative micros), 2025 with a millisecond, year 2200, 1900.
    const ts = Float64Array.from([0, -1, 1735689600123, 7258118400000, NaN, -2208988800000, 1.5, 86400000, -86399999]);
    const dbl = Float64Array.from([1.5, -0, Infinity, -Infinity, NaN, 5e-324, Number.MAX_VALUE, 0.1, 3]);
    const dblValid = Uint8Array.from([1, 1, 1, 1, 1, 0, 1, 1, 1]);
    const bools = Float64Array.from([1, 0, NaN, 1, 1, 0, 0, 1, 0]);
    const strs = ["plain", "", null, "ünïcødé ✓ 日本 🚀", "a,b\"c\nd", undefined, "x".repeat(300), "é", ""];
    const labels = ["none", "überhitzung", ""];
    const codes = Int32Array.from([0, 1, 2, -1, 0, 1, 2, 2, -1]);
    const required = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, NaN]);
    const data = [
      { values: ints, nanIsNull: true },
      { values: ts, nanIsNull: true },
      { values: dbl, valid: dblValid },
      { values: bools, nanIsNull: true },
      { strings: strs },
      { codes, labels },
      { values: required },
    ];
    // Two row groups: the first 4 rows, then the rest.
    w.writeRowGroup(4, data.map((d) => slice(d, 0, 4)));
    w.writeRowGroup(5, data.map((d) => slice(d, 4, 9)));
    await w.close();
    const { types, rows } = await readBack(path);
    expect(types).toEqual({ i: "INTEGER", t: "TIMESTAMP", d: "DOUBLE", b: "BOOLEAN", s: "VARCHAR", c: "VARCHAR", dr: "DOUBLE" });
    expect(rows).toHaveLength(9);
    // Timestamps compared through DuckDB's own epoch_us, independent of the JS conversion.
    const us = await wh.rows(`SELECT epoch_us(t)::DOUBLE AS us FROM read_parquet(${literal(path)})`);
    for (let r = 0; r < 9; r++) {
      const row = rows[r];
      expect(row.i, `i row ${r}`).toBe(Number.isNaN(ints[r]) ? null : ints[r]);
      expect(us[r].us, `t row ${r}`).toBe(Number.isNaN(ts[r]) ? null : ts[r] * 1000);
      expect(doubleText(row.d), `d row ${r}`).toBe(dblValid[r] === 0 ? null : doubleText(dbl[r]));
      expect(row.b, `b row ${r}`).toBe(Number.isNaN(bools[r]) ? null : bools[r] === 1);
      expect(row.s, `s row ${r}`).toBe(strs[r] ?? null);
      expect(row.c, `c row ${r}`).toBe(codes[r] < 0 ? null : labels[codes[r]]);
      expect(doubleText(row.dr), `dr row ${r}`).toBe(doubleText(required[r]));
    }
  });

  it("writes a file of 0 rows that DuckDB reads with its columns", async () => {
    const path = join(root, "empty.parquet");
    const w = new PlainParquetWriter(path, [
      { name: "a", type: "int32", optional: false },
      { name: "s", type: "utf8", optional: true },
    ]);
    w.writeRowGroup(0, [{ values: new Float64Array(0) }, { strings: [] }]);
    await w.close();
    const { types, rows } = await readBack(path);
    expect(types).toEqual({ a: "INTEGER", s: "VARCHAR" });
    expect(rows).toEqual([]);
  });

  it("many row groups of random data read back in order, equal to the input", async () => {
    const rng = createRng(11);
    const n = 50_000;
    const group = 997;
    const d = new Float64Array(n);
    const i32 = new Int32Array(n);
    const t = new Float64Array(n);
    const b = new Float64Array(n);
    const codes = new Int32Array(n);
    const labels = ["RUN", "IDLE", "MAINT"];
    for (let k = 0; k < n; k++) {
      d[k] = rng.uniform() < 0.1 ? NaN : rng.normal() * 1e3;
      i32[k] = Math.floor((rng.uniform() - 0.5) * 4e9);
      t[k] = 1.7e12 + Math.floor(rng.uniform() * 1e10);
      b[k] = rng.uniform() < 0.5 ? 1 : 0;
      codes[k] = Math.floor(rng.uniform() * 4) - 1;
    }
    const path = join(root, "many.parquet");
    const w = new PlainParquetWriter(path, [
      { name: "d", type: "double", optional: true },
      { name: "i", type: "int32", optional: false },
      { name: "t", type: "timestamp", optional: false },
      { name: "b", type: "bool", optional: false },
      { name: "c", type: "utf8", optional: true },
    ]);
    for (let s = 0; s < n; s += group) {
      const e = Math.min(n, s + group);
      w.writeRowGroup(e - s, [{ values: d.subarray(s, e), nanIsNull: true }, { values: i32.subarray(s, e) }, { values: t.subarray(s, e) }, { values: b.subarray(s, e) }, { codes: codes.subarray(s, e), labels }]);
    }
    await w.close();
    const meta = await wh.rows(`SELECT count(DISTINCT row_group_id)::INTEGER AS g FROM parquet_metadata(${literal(path)})`);
    expect(meta[0].g).toBe(Math.ceil(n / group));
    const cols = await wh.numericColumns(`SELECT d, i::DOUBLE AS i, epoch_ms(t)::DOUBLE AS t, b::DOUBLE AS b FROM read_parquet(${literal(path)})`);
    const text = await wh.textColumn(`SELECT c FROM read_parquet(${literal(path)})`);
    expect(cols.i).toEqual(Float64Array.from(i32));
    expect(cols.t).toEqual(t);
    expect(cols.b).toEqual(b);
    for (let k = 0; k < n; k++) {
      if (Number.isNaN(d[k])) expect(cols.d[k], `d ${k}`).toBeNaN();
      else expect(cols.d[k], `d ${k}`).toBe(d[k]);
    }
    expect(text).toEqual(Array.from(codes, (c) => (c < 0 ? null : labels[c])));
  });

  it("follows a dictionary that grows between row groups (the CSV reader appends labels)", async () => {
    const path = join(root, "grow.parquet");
    const w = new PlainParquetWriter(path, [{ name: "c", type: "utf8", optional: true }]);
    const labels: string[] = ["a"];
    w.writeRowGroup(2, [{ codes: Int32Array.from([0, -1]), labels }]);
    labels.push("ß", "c");
    w.writeRowGroup(3, [{ codes: Int32Array.from([2, 1, 0]), labels }]);
    await w.close();
    expect(await wh.textColumn(`SELECT c FROM read_parquet(${literal(path)})`)).toEqual(["a", null, "c", "ß", "a"]);
  });

  it("append writes row groups of exactly rowGroupRows across chunk boundaries, equal to the input", async () => {
    const rng = createRng(5);
    const path = join(root, "append.parquet");
    const groupRows = 1000;
    const w = new PlainParquetWriter(
      path,
      [
        { name: "d", type: "double", optional: true },
        { name: "t", type: "timestamp", optional: true },
        { name: "c", type: "utf8", optional: true },
        { name: "s", type: "utf8", optional: true },
      ],
      { rowGroupRows: groupRows },
    );
    const labels: string[] = [];
    const d: number[] = [];
    const t: number[] = [];
    const c: (string | null)[] = [];
    const s: (string | null)[] = [];
    let total = 0;
    // Pieces of every size around the row group: smaller, equal, larger, several groups at once;
    // nulls given by NaN in some pieces and by a validity array in others; text as codes into a
    // dictionary that grows between pieces, and once as plain strings.
    for (const n of [1, 999, 1000, 333, 2500, 7, 1000, 4001, 1]) {
      labels.push(`label-${labels.length}`);
      const dv = new Float64Array(n);
      const valid = new Uint8Array(n);
      const tv = new Float64Array(n);
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        dv[i] = rng.uniform() < 0.1 ? NaN : rng.normal();
        valid[i] = rng.uniform() < 0.1 ? 0 : 1;
        tv[i] = 1.7e12 + Math.floor(rng.uniform() * 1e9);
        codes[i] = Math.floor(rng.uniform() * (labels.length + 1)) - 1;
      }
      const useValid = n % 2 === 1;
      const asStrings = n === 333;
      for (let i = 0; i < n; i++) {
        d.push(useValid ? (valid[i] ? dv[i] : NaN) : dv[i]);
        t.push(tv[i]);
        c.push(codes[i] < 0 ? null : labels[codes[i]]);
        s.push(i % 5 === 0 ? null : `s${total + i}`);
      }
      w.append(n, [
        useValid ? { values: dv, valid } : { values: dv, nanIsNull: true },
        { values: tv },
        asStrings ? { strings: Array.from(codes, (k) => (k < 0 ? null : labels[k])) } : { codes, labels },
        { strings: s.slice(total, total + n) },
      ]);
      total += n;
    }
    expect(w.rows).toBe(total);
    await w.close();
    const groups = await wh.rows(`SELECT row_group_id, any_value(row_group_num_rows)::INTEGER AS n FROM parquet_metadata(${literal(path)}) GROUP BY ALL ORDER BY row_group_id`);
    const sizes = groups.map((g) => g.n);
    expect(sizes.slice(0, -1).every((n) => n === groupRows)).toBe(true);
    expect(sizes.reduce((a: number, b) => a + Number(b), 0)).toBe(total);
    const cols = await wh.numericColumns(`SELECT d, epoch_ms(t)::DOUBLE AS t FROM read_parquet(${literal(path)})`);
    for (let k = 0; k < total; k++) {
      if (Number.isNaN(d[k])) expect(cols.d[k], `d ${k}`).toBeNaN();
      else expect(cols.d[k], `d ${k}`).toBe(d[k]);
    }
    expect(Array.from(cols.t)).toEqual(t);
    expect(await wh.textColumn(`SELECT c FROM read_parquet(${literal(path)})`)).toEqual(c);
    expect(await wh.textColumn(`SELECT s FROM read_parquet(${literal(path)})`)).toEqual(s);
  });

  it("dictionary-encodes code columns (one, many and all-null labels) and writes huge label sets PLAIN", async () => {
    const path = join(root, "dict.parquet");
    const many = Array.from({ length: 70_000 }, (_, k) => `v${k}`);
    const w = new PlainParquetWriter(path, [
      { name: "one", type: "utf8", optional: false },
      { name: "few", type: "utf8", optional: true },
      { name: "none", type: "utf8", optional: true },
      { name: "huge", type: "utf8", optional: true },
    ]);
    const n = 300;
    const few = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    const fewCodes = Int32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? -1 : (i * 5) % few.length));
    const hugeCodes = Int32Array.from({ length: n }, (_, i) => (i * 233) % many.length);
    w.writeRowGroup(n, [
      { codes: new Int32Array(n).fill(0), labels: ["only"] },
      { codes: fewCodes, labels: few },
      { codes: new Int32Array(n).fill(-1), labels: few },
      { codes: hugeCodes, labels: many },
    ]);
    await w.close();
    const meta = await wh.rows(`SELECT path_in_schema AS c, encodings AS e FROM parquet_metadata(${literal(path)})`);
    const enc = Object.fromEntries(meta.map((m) => [String(m.c), String(m.e)]));
    expect(enc.one).toMatch(/RLE_DICTIONARY/);
    expect(enc.few).toMatch(/RLE_DICTIONARY/);
    expect(enc.huge).not.toMatch(/DICTIONARY/);
    expect(await wh.textColumn(`SELECT one FROM read_parquet(${literal(path)})`)).toEqual(new Array(n).fill("only"));
    expect(await wh.textColumn(`SELECT few FROM read_parquet(${literal(path)})`)).toEqual(Array.from(fewCodes, (k) => (k < 0 ? null : few[k])));
    expect(await wh.textColumn(`SELECT "none" FROM read_parquet(${literal(path)})`)).toEqual(new Array(n).fill(null));
    expect(await wh.textColumn(`SELECT huge FROM read_parquet(${literal(path)})`)).toEqual(Array.from(hugeCodes, (k) => many[k]));
  });

  it("writes timestamps beyond ±285 years of 1970 (a 9999-12-31 sentinel, year 1, the Date limits) exactly", async () => {
    const path = join(root, "far.parquet");
    const stamps = [Date.parse("9999-12-31T23:59:59.999Z"), Date.parse("0001-01-01T00:00:00.000Z"), 8.64e15, -8.64e15, Date.parse("2026-01-01T00:00:00.001Z")];
    const w = new PlainParquetWriter(path, [{ name: "t", type: "timestamp", optional: false }]);
    w.writeRowGroup(stamps.length, [{ values: Float64Array.from(stamps) }]);
    await w.close();
    const back = await wh.rows(`SELECT CAST(epoch_ms(t) AS VARCHAR) AS ms, CAST(t AS VARCHAR) AS text FROM read_parquet(${literal(path)})`);
    expect(back.map((r) => Number(r.ms))).toEqual(stamps);
    expect(String(back[0].text)).toBe("9999-12-31 23:59:59.999");
    const bad = new PlainParquetWriter(join(root, "far-bad.parquet"), [{ name: "t", type: "timestamp", optional: false }]);
    expect(() => bad.writeRowGroup(1, [{ values: Float64Array.from([8.64e15 + 1]) }])).toThrow(/whole number of milliseconds/);
    expect(() => bad.writeRowGroup(1, [{ values: Float64Array.from([1e13 + 0.5]) }])).toThrow(/whole number of milliseconds/);
    await bad.abort();
  });

  it("refuses a null in a REQUIRED column and a non-integer in an int32 column", async () => {
    const w = new PlainParquetWriter(join(root, "bad.parquet"), [{ name: "a", type: "int32", optional: false }]);
    expect(() => w.writeRowGroup(2, [{ values: Float64Array.from([1, NaN]), nanIsNull: true }])).toThrow(DataError);
    expect(() => w.writeRowGroup(1, [{ values: Float64Array.from([1.5]) }])).toThrow(/not a 32-bit integer/);
    await w.abort();
    expect(existsSync(join(root, "bad.parquet"))).toBe(true);
  });
});

type Data = { values: Float64Array; valid?: Uint8Array; nanIsNull?: boolean } | { codes: Int32Array; labels: readonly string[] } | { strings: readonly (string | null | undefined)[] };

function slice(d: Data, s: number, e: number): Data {
  if ("values" in d) return { ...d, values: d.values.subarray(s, e), valid: d.valid?.subarray(s, e) };
  if ("codes" in d) return { ...d, codes: d.codes.subarray(s, e) };
  return { strings: d.strings.slice(s, e) };
}
