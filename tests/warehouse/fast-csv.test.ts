import fc from "fast-check";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeIndustrial } from "../../lib/simulate/industrial.js";
import { createRng } from "../../lib/util/random.js";
import { openWarehouse, literal, type Warehouse } from "../../lib/warehouse/db.js";
import { ShapeScanner, charChecks, parseSql } from "../../lib/warehouse/fast-csv.js";
import { ingestFile } from "../../lib/warehouse/ingest.js";

// lib/validate's field grammars (lib/validate/read-csv.ts), restated as the independent reference.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

let wh: Warehouse;
let root = "";
beforeAll(async () => {
  wh = await openWarehouse({ path: ":memory:" });
  root = await mkdtemp(join(tmpdir(), "wh-fast-"));
});
afterAll(async () => {
  wh.close();
  await rm(root, { recursive: true, force: true });
});

/** What the fast path makes of each text as a column of `type`: null when it declines. */
async function fastParse(texts: readonly string[], type: "float64" | "int32" | "timestamp"): Promise<(number | null)[]> {
  const col = { name: "v", type, description: "" } as const;
  const { value, bad } = parseSql(col);
  const checks = charChecks([col]);
  const badAll = [bad, ...checks].join(" OR ");
  const asNumber = type === "timestamp" ? `CAST(epoch_ms(${value}) AS DOUBLE)` : `CAST(${value} AS DOUBLE)`;
  const rows = await wh.rows(
    `SELECT CASE WHEN coalesce(${badAll}, false) THEN NULL ELSE ${asNumber} END AS out, i FROM (SELECT unnest([${texts.map(literal).join(", ")}]) AS v, generate_subscripts([${texts.map(literal).join(", ")}], 1) AS i) ORDER BY i`,
  );
  return rows.map((r) => (r.out === null ? null : Number(r.out)));
}

const alphabet = fc.constantFrom(..."0123456789.eE+- _xXinfaN\t".split(""));
const junk = fc.array(alphabet, { maxLength: 9 }).map((cs) => cs.join(""));

describe("fast path parsing is never more lenient than lib/validate", () => {
  it("numbers: whatever the fast path accepts, lib/validate accepts with the same value", async () => {
    const texts = fc.sample(fc.oneof(junk, fc.double({ noNaN: true }).map(String), fc.integer().map(String)), { numRuns: 3000, seed: 17 }).filter((t) => t !== "");
    texts.push(" 12", "12 ", "1_000", "0x10", "inf", "-Infinity", "NaN", "1e400", "+.5", "5.", ".5", "1e5");
    const got = await fastParse(texts, "float64");
    let accepted = 0;
    texts.forEach((t, i) => {
      if (got[i] === null) return;
      accepted++;
      expect(NUMBER.test(t), t).toBe(true);
      expect(got[i], t).toBe(+t);
    });
    expect(accepted).toBeGreaterThan(1000);
  });

  it("integers: no rounding, no hex, no blanks", async () => {
    const texts = fc.sample(fc.oneof(junk, fc.integer().map(String), fc.double({ noNaN: true }).map(String)), { numRuns: 3000, seed: 18 }).filter((t) => t !== "");
    texts.push("7.5", "+.5", "1e5", "0x10", " 3", "1_0", "2147483648", "-2147483648", "+7");
    const got = await fastParse(texts, "int32");
    let accepted = 0;
    texts.forEach((t, i) => {
      if (got[i] === null) return;
      accepted++;
      expect(INTEGER.test(t), t).toBe(true);
      expect(got[i], t).toBe(Number(t));
    });
    expect(accepted).toBeGreaterThan(500);
  });

  it("timestamps: only the generators' form, to the same millisecond", async () => {
    const base = fc.integer({ min: 0, max: 4_102_444_800_000 }).map((ms) => new Date(ms).toISOString());
    const mutated = fc.tuple(base, fc.nat(30), alphabet, fc.boolean()).map(([s, at, ch, insert]) => (insert ? s.slice(0, at) + ch + s.slice(at) : s.slice(0, at) + ch + s.slice(at + 1)));
    const texts = fc.sample(fc.oneof(base, mutated), { numRuns: 3000, seed: 19 });
    texts.push(" 026-01-01T00:00:00.000Z", "2026-02-30T00:00:00.000Z", "2026-01-01T00:00:00Z", "2026-01-01 00:00:00.000Z", "2026-01-01T24:00:00.000Z");
    const got = await fastParse(texts, "timestamp");
    let accepted = 0;
    texts.forEach((t, i) => {
      if (got[i] === null) return;
      accepted++;
      expect(ISO.test(t), t).toBe(true);
      expect(got[i], t).toBe(Date.parse(t));
    });
    expect(accepted).toBeGreaterThan(1000);
  });
});

describe("fast path declines to the row validator", () => {
  it("on values DuckDB alone would take, which lib/validate then quarantines", async () => {
    const dir = join(root, "lenient");
    await writeIndustrial({ devices: 2, samplesPerDevice: 50 }, createRng(1), dir, ["csv"]);
    const path = join(dir, "industrial_telemetry.csv");
    const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
    const edit = (row: number, col: number, text: string) => {
      const f = lines[row + 1].split(",");
      f[col] = text;
      lines[row + 1] = f.join(",");
    };
    edit(3, 3, " 231.5"); // voltage with a leading blank
    edit(5, 4, "1_2.5"); // current with an underscore
    edit(7, 1, "0x1"); // device id in hex
    edit(9, 6, "inf"); // rpm infinite
    await writeFile(path, lines.join("\n") + "\n");
    const res = await ingestFile(wh, path);
    expect(res.engine).toBe("rows");
    expect(res.rowsQuarantined).toBe(4);
    expect(res.rowsStaged).toBe(96);
  });

  it("on blank lines and quoted fields, by the file's shape", () => {
    const shape = (text: string, split = 3) => {
      const s = new ShapeScanner();
      const b = Buffer.from(text);
      s.push(b.subarray(0, split));
      s.push(b.subarray(split));
      return s.shape();
    };
    expect(shape("a,b\n1,2\n")).toEqual({ newlines: 2, hasQuote: false, hasBlankLine: false, endsWithNewline: true });
    expect(shape("a,b\n\n1,2")).toMatchObject({ newlines: 2, hasBlankLine: true, endsWithNewline: false });
    expect(shape("a,b\r\n\r\n1,2\r\n", 5)).toMatchObject({ newlines: 3, hasBlankLine: true });
    expect(shape('a,b\n"x",2\n')).toMatchObject({ hasQuote: true, hasBlankLine: false });
  });
});
