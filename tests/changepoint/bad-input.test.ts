import { describe, expect, it } from "vitest";
import { DataError } from "../../lib/errors.js";
import { singleChangepoint } from "../../lib/changepoint/single-changepoint.js";
import { multipleChangepoints } from "../../lib/changepoint/multiple-changepoints.js";
import { createBocpd, runBocpd } from "../../lib/changepoint/bocpd.js";
import { poissonCusum } from "../../lib/changepoint/cusum.js";
import { pelt } from "../../lib/changepoint/pelt.js";

const poissonModel = { kind: "poisson-gamma", shape: 1, rate: 1 } as const;
const detectors: Array<[string, (x: number[], e?: number[]) => unknown]> = [
  ["singleChangepoint", (x, e) => singleChangepoint(x, e)],
  ["multipleChangepoints", (x, e) => multipleChangepoints(x, e)],
  ["runBocpd", (x, e) => runBocpd(poissonModel, x, e)],
  ["poissonCusum", (x, e) => poissonCusum(x, e, { lambda0: 1, hr: 1.5, h: 4 })],
  ["pelt poisson", (x, e) => pelt(x, { cost: "poisson", exposure: e })],
];

describe("bad input", () => {
  for (const [name, run] of detectors) {
    it(`${name}: empty series is a DataError`, () => {
      expect(() => run([])).toThrow(DataError);
      expect(() => run([])).toThrow(/empty/);
    });
    it(`${name}: NaN is a DataError naming the index`, () => {
      expect(() => run([1, 2, NaN, 0])).toThrow(/\[2\] is NaN/);
      expect(() => run([1, 2, 3], [1, NaN, 1])).toThrow(/exposure\[1\] is NaN/);
    });
    it(`${name}: negative or fractional counts and a count on a zero-exposure day are DataErrors`, () => {
      expect(() => run([1, -1])).toThrow(DataError);
      expect(() => run([1, 1.5])).toThrow(/\[1\] = 1.5/);
      expect(() => run([1, 2], [1, 0])).toThrow(/exposure\[1\] = 0/);
    });
  }
  it("pelt l2 and normal BOCPD reject NaN and Infinity with the index", () => {
    expect(() => pelt([1, NaN])).toThrow(/data\[1\] is NaN/);
    expect(() => runBocpd({ kind: "normal-gamma", mu: 0, kappa: 1, alpha: 1, beta: 1 }, [0, Infinity])).toThrow(/\[1\] = Infinity/);
    const det = createBocpd({ kind: "normal-gamma", mu: 0, kappa: 1, alpha: 1, beta: 1 });
    det.update(0.1);
    expect(() => det.update(NaN)).toThrow(/observation 1 is NaN/);
  });

  it("all-zero counts: defined answers that find no increase", () => {
    const zeros = new Array<number>(200).fill(0);
    const s = singleChangepoint(zeros);
    expect(s.pNoChange).toBeGreaterThan(0.5);
    // With no events the data cannot rule out HR > 1.5: the answer is finite and bounded by P(change).
    expect(s.pExceed).toBeGreaterThan(0);
    expect(s.pExceed).toBeLessThanOrEqual(1 - s.pNoChange);
    const m = multipleChangepoints(zeros);
    expect(m.expectedChanges).toBeLessThan(1);
    expect(m.mapChanges.length).toBe(0);
    expect(pelt(zeros, { cost: "poisson" }).changepoints.length).toBe(0);
    expect(poissonCusum(zeros, undefined, { lambda0: 1, hr: 1.5, h: 4 }).alarmDays.length).toBe(0);
    const b = runBocpd(poissonModel, zeros);
    expect(b.mapRunLength[199]).toBe(200);
  });

  it("all-zero exposure: the posterior is the prior (no information), not an error", () => {
    const s = singleChangepoint([0, 0, 0], [0, 0, 0], { prior: { shape: 2, rate: 3 } });
    expect(s.pooled.mean).toBeCloseTo(2 / 3, 12);
    expect(s.pNoChange).toBeCloseTo(0.5, 12);
    expect(s.logEvidence).toBeCloseTo(0, 12);
  });

  it("a single point: no change is possible, every detector answers", () => {
    const s = singleChangepoint([3]);
    expect(s.pNoChange).toBe(1);
    expect(s.mapChange).toBe(-1);
    expect(s.hazardRatio).toBeNull();
    const m = multipleChangepoints([3]);
    expect(Array.from(m.changeProbability)).toEqual([0]);
    expect(m.mapChanges.length).toBe(0);
    expect(m.sample(3, { uniform: () => 0.5 } as never).map((d) => d.length)).toEqual([0, 0, 0]);
    expect(pelt([3], { cost: "poisson" }).changepoints.length).toBe(0);
    expect(pelt([3]).changepoints.length).toBe(0);
    const b = runBocpd(poissonModel, [3]);
    expect(b.mapRunLength[0]).toBe(1);
    expect(b.changeProbability[0]).toBe(1);
  });
});
