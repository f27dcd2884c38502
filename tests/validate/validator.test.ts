import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError, DataError } from "../../lib/errors.js";
import { createRng } from "../../lib/util/random.js";
import { defineSuite, suiteFromTableSchema, type SuiteInput } from "../../lib/validate/expectations.js";
import { Validator, formatReport, validateTable, type ValueChunk } from "../../lib/validate/validator.js";
import { validateChunks } from "../../lib/validate/run.js";
import { FLEET_EVENTS_TABLE, createFleetSimulation } from "../../lib/simulate/fleet.js";
import { INDUSTRIAL_TABLE, simulateIndustrial } from "../../lib/simulate/industrial.js";

const suite = defineSuite({
  name: "telemetry",
  expectations: [
    { kind: "column_exists", column: "device" },
    { kind: "column_type", column: "rpm", type: "number" },
    { kind: "values_between", column: "rpm", min: 0, max: 8000 },
    { kind: "not_null", column: "device" },
    { kind: "in_set", column: "state", values: ["RUN", "IDLE", "MAINT"] },
    { kind: "unique", columns: ["device", "ts"] },
    { kind: "monotonic", column: "ts", groupBy: ["device"] },
  ],
} satisfies SuiteInput);

function table(rows: [unknown, unknown, unknown, unknown][]): ValueChunk {
  return {
    length: rows.length,
    columns: { device: rows.map((r) => r[0]), ts: rows.map((r) => r[1]), rpm: rows.map((r) => r[2]), state: rows.map((r) => r[3]) },
  };
}

/** The same rows as numeric typed arrays and a dictionary-coded text column, as the byte-level CSV reader delivers them. */
function typedTable(rows: [number | null, number | null, number | null, string | null][]): ValueChunk {
  const labels: string[] = [];
  const code = (s: string | null): number => (s === null ? -1 : labels.includes(s) ? labels.indexOf(s) : labels.push(s) - 1);
  const num = (k: 0 | 1 | 2): Float64Array => Float64Array.from(rows, (r) => (r[k] === null ? NaN : (r[k] as number)));
  return { length: rows.length, columns: { device: num(0), ts: num(1), rpm: num(2), state: Int32Array.from(rows, (r) => code(r[3])) }, labels: { state: labels } };
}

describe("expectation suites", () => {
  it("are data checked by zod: unknown kinds and keys are ConfigErrors naming the key", () => {
    expect(() => defineSuite({ name: "x", expectations: [{ kind: "values_between", column: "a", maxx: 3 }] })).toThrow(ConfigError);
    expect(() => defineSuite({ name: "x", expectations: [{ kind: "nonsense", column: "a" }] })).toThrow(/expectations\.0/);
  });
});

describe("row-level validation", () => {
  it("quarantines each bad-input case with its reason and passes good rows on", () => {
    const { good, quarantined, report } = validateTable(
      table([
        [1, 1000, 1500, "RUN"],
        [1, 2000, 9000, "RUN"], // rpm out of range
        [1, 3000, "fast", "RUN"], // wrong type
        [2, 1000, 1200, "BROKEN"], // unknown category
        [null, 1000, 1200, "RUN"], // null key
        [1, 1000, 1400, "IDLE"], // duplicate key (1, 1000)
        [1, 2500, 1400, "IDLE"], // fine (after 1000; the 2000 row was quarantined and never set the state)
        [1, 2400, 1400, "IDLE"], // out of order within device 1
        [2, 900, 1400, "IDLE"], // fine: device 2 has its own clock
      ]),
      suite,
    );
    expect(good.length + quarantined.length).toBe(9);
    expect(Array.from(good.columns.ts as unknown[])).toEqual([1000, 2500, 900]);
    const reasons = Object.fromEntries(quarantined.map((q) => [q.row, q.reasons.join(" | ")]));
    expect(reasons[1]).toMatch(/values_between\(rpm, 0\.\.8000\): 9000 out of range/);
    expect(reasons[2]).toMatch(/column_type\(rpm: number\): "fast" is not a number/);
    expect(reasons[3]).toMatch(/in_set\(state.*"BROKEN" not allowed/);
    expect(reasons[4]).toMatch(/not_null\(device\): null/);
    expect(reasons[5]).toMatch(/unique\(device, ts\): duplicate key/);
    expect(reasons[7]).toMatch(/monotonic\(ts per device\)/);
    expect(report.rowsIn).toBe(9);
    expect(report.rowsGood).toBe(3);
    expect(report.success).toBe(false);
    const byLabel = Object.fromEntries(report.expectations.map((e) => [e.label, e]));
    expect(byLabel["unique(device, ts)"].unexpectedCount).toBe(1);
    expect(byLabel["column_exists(device)"].success).toBe(true);
    const text = formatReport(report);
    expect(text).toMatch(/Validation FAILED/);
    // "fast" fails both the type and the range expectation.
    expect(text).toMatch(/FAIL values_between\(rpm, 0\.\.8000\)\s+2\/9 unexpected/);
    expect(text).toMatch(/FAIL unique\(device, ts\)\s+1\/5 unexpected .* row 5: \[1,1000\]/);
  });

  it("reports missing columns as failed expectations, or throws a DataError naming them", () => {
    const chunk: ValueChunk = { length: 1, columns: { device: [1], ts: [1] } };
    const { report, good } = validateTable(chunk, suite);
    expect(good.length).toBe(1);
    const failed = report.expectations.filter((e) => !e.success).map((e) => e.note);
    expect(failed).toContain("missing column rpm");
    expect(failed).toContain("missing column state");
    expect(() => validateTable(chunk, suite, { missingColumns: "error", source: "x.csv" })).toThrow(DataError);
    expect(() => validateTable(chunk, suite, { missingColumns: "error", source: "x.csv" })).toThrow(/x\.csv: missing columns "rpm", "state"/);
  });

  it("`mostly` decides pass/fail; quarantine:false only counts", () => {
    const s = defineSuite({ name: "m", expectations: [{ kind: "not_null", column: "x", mostly: 0.9, quarantine: false }] });
    const mk = (nulls: number): ValueChunk => ({ length: 100, columns: { x: Array.from({ length: 100 }, (_, i) => (i < nulls ? null : i)) } });
    const ok = validateTable(mk(10), s);
    expect(ok.report.success).toBe(true);
    expect(ok.good.length).toBe(100);
    const bad = validateTable(mk(11), s);
    expect(bad.report.success).toBe(false);
    expect(bad.report.expectations[0].unexpectedCount).toBe(11);
  });

  it("keeps state across chunks: duplicates and disorder spanning chunks are caught", () => {
    const v = new Validator(suite);
    v.validate(table([[1, 1000, 1, "RUN"]]));
    const second = v.validate(table([[1, 1000, 1, "RUN"], [1, 500, 1, "RUN"]]));
    expect(second.quarantined.map((q) => q.row)).toEqual([1, 2]);
    expect(v.report().rowsQuarantined).toBe(2);
  });

  it("checks keys exactly by default, or (group, ordered column) keys in O(groups) memory on request; typed and plain columns agree", () => {
    const data: [number, number, number, string][] = [
      [1, 1000, 1, "RUN"],
      [1, 2000, 1, "RUN"],
      [1, 1000, 1, "RUN"], // an old key again: a duplicate and out of order
      [1, 2000, 1, "RUN"], // the latest key again: a duplicate
    ];
    for (const rows of [table(data), typedTable(data)]) {
      const exact = validateTable(rows, suite);
      expect(exact.quarantined.map((q) => q.reasons.join(" | "))).toEqual([
        expect.stringMatching(/^unique\(device, ts\): duplicate key \(1, 1000\) \| monotonic\(ts per device\): 1000 is before the previous 2000/),
        "unique(device, ts): duplicate key (1, 2000)",
      ]);
      expect(exact.good.length).toBe(2);
      const ordered = validateTable(rows, suite, { exactUniqueness: false });
      expect(ordered.quarantined.map((q) => q.reasons.join(" | "))).toEqual([
        expect.stringMatching(/^monotonic\(ts per device\): 1000 is before the previous 2000/),
        "unique(device, ts): duplicate key (1, 2000)",
      ]);
    }
  });

  it("a quarantined row does not leave its key behind (exact mode)", () => {
    const rows = table([
      [1, 5000, 1, "RUN"],
      [1, 1000, 1, "RUN"], // out of order: quarantined, its key must not count as seen
      [2, 1000, 1, "RUN"],
    ]);
    const s = defineSuite({ name: "u", expectations: [{ kind: "unique", columns: ["ts"] }, { kind: "monotonic", column: "ts", groupBy: ["device"] }] });
    const r = validateTable(rows, s, { exactUniqueness: true });
    expect(r.quarantined.map((q) => q.row)).toEqual([1]);
    expect(r.good.length).toBe(2);
  });

  it("row_count_between checks the table size", () => {
    const s = defineSuite({ name: "n", expectations: [{ kind: "row_count_between", min: 2 }] });
    expect(validateTable({ length: 1, columns: {} }, s).report.success).toBe(false);
    expect(validateTable({ length: 2, columns: {} }, s).report.success).toBe(true);
  });

  it("never drops a row, and what passes re-validates clean (property)", () => {
    const value = fc.oneof(fc.integer({ min: -100, max: 9000 }), fc.constant(null), fc.constant("x"));
    const row = fc.tuple(fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constant(null)), fc.integer({ min: 0, max: 20 }), value, fc.constantFrom("RUN", "IDLE", "MAINT", "OFF"));
    fc.assert(
      fc.property(fc.array(fc.array(row, { maxLength: 30 }), { maxLength: 5 }), (chunks) => {
        const v = new Validator(suite);
        let total = 0;
        let kept = 0;
        let quarantined = 0;
        const goods: ValueChunk[] = [];
        for (const rows of chunks) {
          const r = v.validate(table(rows as [unknown, unknown, unknown, unknown][]));
          total += rows.length;
          kept += r.good.length;
          quarantined += r.quarantined.length;
          goods.push(r.good);
          for (const q of r.quarantined) expect(q.reasons.length).toBeGreaterThan(0);
        }
        expect(kept + quarantined).toBe(total);
        const again = new Validator(suite);
        for (const g of goods) expect(again.validate(g).quarantined).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe("fused checks on float64 columns", () => {
  it("give exactly the counts, examples, reasons and order of checking one expectation at a time (property)", () => {
    const suite = defineSuite({
      name: "fused",
      expectations: [
        { kind: "column_type", column: "a", type: "integer" },
        { kind: "not_null", column: "a" },
        { kind: "values_between", column: "a", min: 0, max: 10, strictMax: true },
        { kind: "not_null", column: "b", quarantine: false },
        { kind: "values_between", column: "c", min: -1, max: 1 },
        { kind: "column_type", column: "b", type: "number" },
        { kind: "values_between", column: "b", min: -5, max: 5, strictMin: true },
      ],
    });
    const v = fc.oneof(fc.integer({ min: -12, max: 12 }), fc.constantFrom(NaN, Infinity, -Infinity, 0.5, -0, 10, 5, -5, 1, -1));
    fc.assert(
      fc.property(fc.array(fc.tuple(v, v, v), { maxLength: 60 }), (rows) => {
        const typed: ValueChunk = { length: rows.length, columns: { a: Float64Array.from(rows, (r) => r[0]), b: Float64Array.from(rows, (r) => r[1]), c: Float64Array.from(rows, (r) => r[2]) } };
        // Plain arrays take the expectation-at-a-time path (nulls as null there).
        const plain: ValueChunk = { length: rows.length, columns: { a: rows.map((r) => (Number.isNaN(r[0]) ? null : r[0])), b: rows.map((r) => (Number.isNaN(r[1]) ? null : r[1])), c: rows.map((r) => (Number.isNaN(r[2]) ? null : r[2])) } };
        const fused = new Validator(suite);
        const single = new Validator(suite);
        const x = fused.validate(typed);
        const y = single.validate(plain);
        expect(x.quarantined.map((q) => [q.row, q.reasons])).toEqual(y.quarantined.map((q) => [q.row, q.reasons]));
        const rx = fused.report();
        const ry = single.report();
        expect(rx.expectations.map((e) => [e.label, e.unexpectedCount, e.elementCount, e.examples?.map((ex) => ex.row)])).toEqual(ry.expectations.map((e) => [e.label, e.unexpectedCount, e.elementCount, e.examples?.map((ex) => ex.row)]));
      }),
      { numRuns: 300 },
    );
  });
});

describe("generator output against its own schema", () => {
  it("decodes typed chunks (category codes, bools, epoch ms) and finds corrupted values", async () => {
    const sim = simulateIndustrial({ devices: 2, samplesPerDevice: 1000 }, createRng(9));
    const c = sim.table.columns;
    c.rpm[10] = 9500; // beyond 0..8000
    c.state[11] = 7; // a code with no category
    c.timestamp[12] = c.timestamp[8]; // device 1 at row 12 repeats the instant of row 8: duplicate key
    const report = await validateChunks([sim.table], suiteFromTableSchema(INDUSTRIAL_TABLE), { schema: INDUSTRIAL_TABLE });
    expect(report.rowsIn).toBe(2000);
    expect(report.rowsQuarantined).toBe(3);
    const failing = report.expectations.filter((e) => !e.success).map((e) => e.label);
    expect(failing).toEqual(expect.arrayContaining(["values_between(rpm, 0..8000)", "in_set(state, {RUN, IDLE, MAINT})", "unique(device_id, timestamp)"]));
  });

  it("fleet events stream validates clean chunk by chunk", async () => {
    const sim = createFleetSimulation({ days: 5, tripsPerDay: 2000, chunkRows: 1500 }, createRng(1));
    function* events() {
      for (const b of sim.blocks()) yield b.events;
    }
    const report = await validateChunks(events(), suiteFromTableSchema(FLEET_EVENTS_TABLE), { schema: FLEET_EVENTS_TABLE });
    expect(report.success).toBe(true);
    expect(report.rowsIn).toBeGreaterThan(1000);
  });
});

describe("typed kernels and exact uniqueness", () => {
  const cell = fc.tuple(
    fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
    fc.option(fc.integer({ min: 0, max: 6 }).map((k) => 1000 * k), { nil: null }),
    fc.option(fc.oneof(fc.integer({ min: -10, max: 9000 }), fc.constant(Infinity)), { nil: null }),
    fc.option(fc.constantFrom("RUN", "IDLE", "MAINT", "BROKEN"), { nil: null }),
  );
  const rowsArb = fc.array(cell, { maxLength: 40 });

  function outcome(rows: [number | null, number | null, number | null, string | null][], typed: boolean, exact: boolean, cuts: number[]) {
    const v = new Validator(suite, { exactUniqueness: exact });
    const quarantined: { row: number; reasons: string[] }[] = [];
    let start = 0;
    for (const end of [...cuts.filter((c) => c > 0 && c < rows.length).sort((a, b) => a - b), rows.length]) {
      const part = rows.slice(start, end) as [number, number, number, string][];
      const r = v.validate(typed ? typedTable(part) : table(part));
      quarantined.push(...r.quarantined.map((q) => ({ row: q.row, reasons: q.reasons })));
      start = end;
    }
    const report = v.report();
    return { quarantined, counts: report.expectations.map((e) => [e.elementCount, e.unexpectedCount]), good: report.rowsGood };
  }

  it("typed arrays with dictionary codes give the generic path's outcome, in any chunking, in both uniqueness modes", () => {
    fc.assert(
      fc.property(rowsArb, fc.array(fc.nat(40), { maxLength: 3 }), fc.boolean(), (rows, cuts, exact) => {
        const generic = outcome(rows, false, exact, []);
        expect(outcome(rows, true, exact, cuts)).toEqual(generic);
        expect(outcome(rows, false, exact, cuts)).toEqual(generic);
      }),
      { numRuns: 400, seed: 11 },
    );
  });

  it("exact by default: good rows have distinct keys, and a row quarantined for its key repeats an earlier good row's key", () => {
    fc.assert(
      fc.property(rowsArb, (rows) => {
        const r = validateTable(typedTable(rows), suite);
        expect(r.good.length + r.quarantined.length).toBe(rows.length);
        const reasonsOf = new Map(r.quarantined.map((q) => [q.row, q.reasons]));
        const goodKeys = new Set<string>();
        rows.forEach((row, i) => {
          const complete = row[0] !== null && row[1] !== null;
          const key = `${row[0]}|${row[1]}`;
          const reasons = reasonsOf.get(i);
          const dup = reasons?.some((x) => x.startsWith("unique(")) ?? false;
          // Named a duplicate: it truly repeats the key of an earlier good row.
          if (dup) expect(goodKeys.has(key)).toBe(true);
          // Repeats an earlier good row's key and passes the stateless checks: always named a duplicate.
          const stateless = reasons?.some((x) => !x.startsWith("unique(") && !x.startsWith("monotonic(")) ?? false;
          if (complete && goodKeys.has(key) && !stateless) expect(dup).toBe(true);
          if (reasons === undefined && complete) {
            expect(goodKeys.has(key)).toBe(false);
            goodKeys.add(key);
          }
        });
      }),
      { numRuns: 400, seed: 12 },
    );
  });
});
