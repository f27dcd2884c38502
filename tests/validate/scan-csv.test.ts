import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCsvChunks } from "../../lib/validate/read-csv.js";
import { emptySummary, scanCsvChunks } from "../../lib/validate/scan-csv.js";
import { wasmCsvAvailable } from "../../lib/validate/wasm-csv.js";
import type { QuarantineRecord, ValueChunk } from "../../lib/validate/validator.js";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "scan-csv-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const COLUMNS = [
  { name: "ts", type: "timestamp" as const },
  { name: "device", type: "int32" as const },
  { name: "rpm", type: "float64" as const },
  { name: "state", type: "category" as const },
  { name: "ok", type: "bool" as const },
];

type Row = { line: number; values: unknown[] };

/** Rows as plain values (text columns decoded, NaN kept) plus quarantine records, from either reader. */
function flatten(chunks: { chunk: ValueChunk; quarantined: QuarantineRecord[] }[]): { rows: Row[]; quarantined: QuarantineRecord[] } {
  const rows: Row[] = [];
  const quarantined: QuarantineRecord[] = [];
  for (const { chunk, quarantined: q } of chunks) {
    quarantined.push(...q);
    for (let i = 0; i < chunk.length; i++) {
      const values = Object.keys(chunk.columns).map((name) => {
        const col = chunk.columns[name] as ArrayLike<unknown>;
        const labels = chunk.labels?.[name];
        const v = col[i];
        return labels ? ((v as number) < 0 ? null : labels[v as number]) : v;
      });
      rows.push({ line: chunk.lines![i], values });
    }
  }
  return { rows, quarantined };
}

type Columns = readonly { name: string; type: "timestamp" | "int32" | "float64" | "category" | "bool" }[];

async function both(text: string, opts: { chunkRows: number; bufferBytes: number; requireFinalNewline?: boolean; engine?: "js" | "wasm"; columns?: Columns }) {
  const columns = opts.columns ?? COLUMNS;
  const path = join(dir, "t.csv");
  await writeFile(path, text);
  const old: { chunk: ValueChunk; quarantined: QuarantineRecord[] }[] = [];
  const fresh: { chunk: ValueChunk; quarantined: QuarantineRecord[] }[] = [];
  let oldError: unknown = null;
  let newError: unknown = null;
  try {
    for await (const b of readCsvChunks(path, { columns: [...columns], chunkRows: opts.chunkRows, requireFinalNewline: opts.requireFinalNewline })) old.push(b);
  } catch (e) {
    oldError = e;
  }
  const summary = emptySummary();
  try {
    for await (const b of scanCsvChunks(path, { columns: [...columns], chunkRows: opts.chunkRows, bufferBytes: opts.bufferBytes, requireFinalNewline: opts.requireFinalNewline, sha256: true, engine: opts.engine }, summary)) fresh.push(b);
  } catch (e) {
    newError = e;
  }
  return { old: flatten(old), fresh: flatten(fresh), oldError, newError, summary, text };
}

const digits = fc.array(fc.constantFrom(..."0123456789"), { minLength: 1, maxLength: 4 }).map((d) => d.join(""));
const junkChar = fc.constantFrom(..."0123456789.eE+-xN ,\"\r\n".split(""));
const junk = fc.array(junkChar, { maxLength: 6 }).map((c) => c.join(""));
const quoted = (inner: fc.Arbitrary<string>) => inner.map((t) => `"${t.replace(/"/g, '""')}"`);
const stamp = fc.integer({ min: -2_000_000_000_000, max: 4_102_444_800_000 }).map((ms) => new Date(ms).toISOString());
const field = {
  ts: fc.oneof(
    stamp,
    stamp.map((s) => s.replace(".000Z", "Z")),
    // Edge instants: rollover days and hour 24 that Date.parse takes, minute/second 60 and month 13 that it refuses.
    fc.constantFrom("2026-02-30T00:00:00.000Z", "2026-01-01T24:00:00.000Z", "2026-01-01T23:60:00.000Z", "2026-01-01T00:00:60.000Z", "2026-13-01T00:00:00.000Z", "2026-00-10T00:00:00.000Z", "2024-02-29T12:00:00.000Z", "0000-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000+"),
    fc.constant(""),
    junk,
  ),
  device: fc.oneof(fc.integer({ min: -3_000_000_000, max: 3_000_000_000 }).map(String), fc.constant(""), digits.map((d) => `+${d}`), junk),
  rpm: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).map(String), fc.integer().map(String), digits.map((d) => `${d}.${d}e-${d.length}`), fc.constantFrom("NaN", "null", "", ".5", "5.", "-0", "1e400"), junk),
  state: fc.oneof(fc.constantFrom("RUN", "IDLE", "MAINT", "", "Ré"), quoted(fc.constantFrom("IDLE, waiting", 'say "hi"', "two\nlines")), junk),
  ok: fc.oneof(fc.constantFrom("true", "false", "1", "0", "TRUE", "False", "", "maybe"), junk),
};
/** Records of the given fields: mostly whole, some blank, short (two fields) or with a junk field too many. */
function records(fields: readonly fc.Arbitrary<string>[], wholeWeight: number): fc.Arbitrary<string> {
  const join = (f: string[]): string => f.join(",");
  return fc.oneof(
    { weight: wholeWeight, arbitrary: fc.tuple(...fields).map(join) },
    { weight: 1, arbitrary: fc.constant("") },
    { weight: 1, arbitrary: fc.tuple(fields[0], fields[1]).map(join) },
    { weight: 1, arbitrary: fc.tuple(...fields, junk).map(join) },
  );
}

/** A header line, then records each ending in one of `endings`, with or without a final line end. */
function csvFile(header: string, record: fc.Arbitrary<string>, endings: readonly string[], maxLength: number): fc.Arbitrary<string> {
  return fc.tuple(fc.array(fc.tuple(record, fc.constantFrom(...endings)), { maxLength }), fc.boolean()).map(([recs, finalNewline]) => {
    let text = `${header}\n` + recs.map(([r, end]) => r + end).join("");
    if (!finalNewline && text.endsWith("\n")) text = text.replace(/\r?\n$/, "");
    return text;
  });
}

const file = csvFile("ts,device,rpm,state,ok", records([field.ts, field.device, field.rpm, field.state, field.ok], 8), ["\n", "\n", "\r\n"], 25);

/** A schema the WebAssembly kernel reads (no boolean column), with two text columns. */
const KERNEL_COLUMNS = [
  { name: "ts", type: "timestamp" as const },
  { name: "device", type: "int32" as const },
  { name: "rpm", type: "float64" as const },
  { name: "state", type: "category" as const },
  { name: "zone", type: "category" as const },
];
const kernelEdges = {
  ts: fc.constantFrom("2000-02-29T00:00:00.000Z", "2100-02-29T00:00:00.000Z", "1900-02-28T23:59:59.999Z", "0000-02-29T00:00:00.000Z", "0000-03-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", "2026-04-31T00:00:00.000Z", "2026-01-01T00:00:00.000Zx", "2026-01-01 00:00:00.000Z"),
  device: fc.constantFrom("2147483647", "2147483648", "-2147483648", "-2147483649", "+0", "-0", "0000000001", "00000000001", "12a", "1.0", "1e3", ""),
  rpm: fc.constantFrom("1e22", "1e23", "123456789012345", "1234567890123456", "0.000000000000000000001", "1e-22", "1e-23", "-0.0", "-0", "+.5", "5.e3", "1.2.3", "1e", "1e+", "1E-05", "00012.500", "1e100000000", "-", "+", ".", ""),
};
const kernelField = {
  ts: fc.oneof(stamp, field.ts, kernelEdges.ts),
  device: fc.oneof(field.device, kernelEdges.device),
  rpm: fc.oneof(field.rpm, kernelEdges.rpm, fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((x) => x.toFixed(4))),
  state: fc.oneof(fc.constantFrom("RUN", "RUN", "IDLE", "MAINT", "", "Ré", "日本", "RUN\r", "a b"), junk),
};
const kernelFile = csvFile(
  "ts,device,rpm,state,zone",
  records([kernelField.ts, kernelField.device, kernelField.rpm, kernelField.state, kernelField.state], 12),
  ["\n", "\n", "\n", "\n", "\r\n"],
  40,
);

describe("byte-level CSV reader", () => {
  it("reads exactly what readCsvChunks reads: the same values, lines and quarantine reasons, at any buffer and chunk size", async () => {
    await fc.assert(
      fc.asyncProperty(file, fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 80 }), fc.boolean(), async (text, chunkRows, bufferBytes, requireFinalNewline) => {
        const r = await both(text, { chunkRows, bufferBytes, requireFinalNewline });
        expect(String(r.newError ?? "")).toBe(String(r.oldError ?? ""));
        expect(r.fresh.rows).toEqual(r.old.rows);
        expect(r.fresh.quarantined).toEqual(r.old.quarantined);
        expect(r.summary.sha256).toBe(createHash("sha256").update(text).digest("hex"));
        expect(r.summary.records).toBe(r.old.rows.length + r.old.quarantined.length);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it("the WebAssembly kernel reads exactly what readCsvChunks reads (no boolean column), at any buffer and chunk size", async () => {
    expect(wasmCsvAvailable()).toBe(true);
    await fc.assert(
      fc.asyncProperty(kernelFile, fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 300 }), fc.boolean(), async (text, chunkRows, bufferBytes, requireFinalNewline) => {
        const r = await both(text, { chunkRows, bufferBytes, requireFinalNewline, engine: "wasm", columns: KERNEL_COLUMNS });
        expect(String(r.newError ?? "")).toBe(String(r.oldError ?? ""));
        expect(r.fresh.rows).toEqual(r.old.rows);
        expect(r.fresh.quarantined).toEqual(r.old.quarantined);
        expect(r.summary.records).toBe(r.old.rows.length + r.old.quarantined.length);
        const js = await both(text, { chunkRows, bufferBytes, requireFinalNewline, engine: "js", columns: KERNEL_COLUMNS });
        expect(r.summary).toEqual(js.summary);
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it("the kernel's values equal the JavaScript path's bit for bit on many edge-case numbers, integers and timestamps", async () => {
    const n = 3000;
    // Mostly values a record is good with, some the fast grammars refuse; no junk that splits records.
    // Long mantissas: 15 digits take the fast path; 16 to 19 must take the exact route (naive scaling
    // of such a mantissa double-rounds some of them).
    const longMantissa = fc.tuple(fc.integer({ min: 15, max: 19 }), fc.bigInt({ min: 0n, max: 10n ** 19n - 1n }), fc.integer({ min: 0, max: 19 })).map(([digits, m, point]) => {
      const d = (m % 10n ** BigInt(digits)).toString().padStart(digits, "1");
      const at = Math.min(point, d.length);
      return at === d.length ? d : `${d.slice(0, d.length - at)}.${d.slice(d.length - at)}`;
    });
    const nums = fc.sample(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).map(String), kernelEdges.rpm, fc.double({ noNaN: true, min: -1e3, max: 1e3 }).map((x) => x.toFixed(3)), longMantissa), { numRuns: n, seed: 21 });
    const ints = fc.sample(fc.oneof({ weight: 20, arbitrary: fc.integer().map(String) }, { weight: 1, arbitrary: kernelEdges.device }), { numRuns: n, seed: 22 });
    const stamps = fc.sample(fc.oneof({ weight: 20, arbitrary: stamp }, { weight: 1, arbitrary: kernelEdges.ts }), { numRuns: n, seed: 23 });
    const labels = fc.sample(fc.constantFrom("RUN", "RUN", "IDLE", "MAINT", "", "Ré", "日本", "a b"), { numRuns: n, seed: 24 });
    const text = "ts,device,rpm,state,zone\n" + nums.map((x, i) => `${stamps[i]},${ints[i]},${x},${labels[i]},${labels[(i * 7) % n]}`).join("\n") + "\n";
    const wasm = await both(text, { chunkRows: 1000, bufferBytes: 1 << 12, engine: "wasm", columns: KERNEL_COLUMNS });
    const js = await both(text, { chunkRows: 1000, bufferBytes: 1 << 12, engine: "js", columns: KERNEL_COLUMNS });
    // Junk fields may hold commas, quotes and newlines, so records are not one per sample; most are.
    expect(wasm.fresh.rows.length).toBeGreaterThan(n / 2);
    // Object.is tells -0 from 0 and NaN from NaN; toEqual alone would not.
    const same = wasm.fresh.rows.every((row, i) => row.line === js.fresh.rows[i].line && row.values.every((v, k) => Object.is(v, js.fresh.rows[i].values[k])));
    expect(same).toBe(true);
    expect(wasm.fresh.rows.length).toBe(js.fresh.rows.length);
    expect(wasm.fresh.quarantined).toEqual(js.fresh.quarantined);
  });

  it("the kernel's label table tells apart labels whose hashes collide (FNV-1a: 7yzla and e6apa)", async () => {
    const labels = ["7yzla", "e6apa", "7yzla", "7yzla", "e6apa", ""];
    const text = "ts,device,rpm,state,zone\n" + Array.from({ length: 600 }, (_, i) => `2026-01-01T00:00:00.000Z,${i},1.5,${labels[i % labels.length]},${labels[(i * 5) % labels.length]}`).join("\n") + "\n";
    const wasm = await both(text, { chunkRows: 64, bufferBytes: 1 << 10, engine: "wasm", columns: KERNEL_COLUMNS });
    expect(wasm.fresh.quarantined).toEqual([]);
    expect(wasm.fresh.rows.map((r) => r.values[3])).toEqual(Array.from({ length: 600 }, (_, i) => labels[i % labels.length] || null));
    expect(wasm.fresh.rows.map((r) => r.values[4])).toEqual(Array.from({ length: 600 }, (_, i) => labels[(i * 5) % labels.length] || null));
  });

  it("more labels than the kernel's table holds, and labels longer than its arena, still read as the JavaScript path reads them", async () => {
    const many = Array.from({ length: 5000 }, (_, i) => `L${i}`);
    const long = Array.from({ length: 900 }, (_, i) => `${"x".repeat(100)}${i}`);
    const rows = Array.from({ length: 12000 }, (_, i) => `2026-01-01T00:00:00.000Z,${i},2.5,${many[(i * 7919) % many.length]},${long[i % long.length]}`);
    const text = "ts,device,rpm,state,zone\n" + rows.join("\n") + "\n";
    const wasm = await both(text, { chunkRows: 4096, bufferBytes: 1 << 16, engine: "wasm", columns: KERNEL_COLUMNS });
    expect(wasm.fresh.quarantined).toEqual([]);
    expect(wasm.fresh.rows.map((r) => r.values[3])).toEqual(Array.from({ length: 12000 }, (_, i) => many[(i * 7919) % many.length]));
    expect(wasm.fresh.rows.map((r) => r.values[4])).toEqual(Array.from({ length: 12000 }, (_, i) => long[i % long.length]));
  });

  it("engine wasm refuses a boolean column instead of falling back silently", async () => {
    const r = await both("ts,device,rpm,state,ok\n", { chunkRows: 4, bufferBytes: 64, engine: "wasm" });
    expect(String(r.newError)).toMatch(/engine "wasm".*boolean/);
  });

  it("parses numbers and the generators' timestamps from bytes to the same double as Number() and Date.parse", async () => {
    const numbers = fc.sample(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).map(String), fc.integer().map(String), digits.map((d) => `0.${d}${d}${d}${d}`)), { numRuns: 2000, seed: 3 });
    const stamps = fc.sample(stamp, { numRuns: 2000, seed: 4 });
    const text = "ts,device,rpm,state,ok\n" + numbers.map((x, i) => `${stamps[i]},1,${x},RUN,true`).join("\n") + "\n";
    const r = await both(text, { chunkRows: 512, bufferBytes: 1 << 12 });
    expect(r.fresh.quarantined).toEqual([]);
    expect(r.fresh.rows.map((row) => row.values[2])).toEqual(numbers.map((x) => +x));
    expect(r.fresh.rows.map((row) => row.values[0])).toEqual(stamps.map((s) => Date.parse(s)));
    expect(r.summary).toMatchObject({ canonicalTimestamps: true, nullWords: false, quotes: false, carriageReturns: false });
  });

  it("reports what it saw: quotes, CR LF, null words, other timestamp forms", async () => {
    const r = await both('ts,device,rpm,state,ok\r\n2026-01-01T00:00:00Z,1,NaN,"RUN",true\n', { chunkRows: 4, bufferBytes: 64 });
    expect(r.summary).toMatchObject({ canonicalTimestamps: false, nullWords: true, quotes: true, carriageReturns: true, endsWithNewline: true, records: 1, unparseable: 0 });
  });
});
