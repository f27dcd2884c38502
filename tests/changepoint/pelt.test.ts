import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { diffMadSigma, pelt } from "../../lib/changepoint/pelt.js";
import { COAL, COAL_START_YEAR } from "./helpers.js";

interface Case {
  cost: "l2" | "poisson";
  x: number[];
  exposure?: number[];
  minSize: number;
  penalty: number;
  ruptures: number[];
  bruteForce: number[];
  bruteForceCost: number;
}
const cases = JSON.parse(readFileSync(new URL("./fixtures/pelt.json", import.meta.url), "utf8")) as Case[];

describe("PELT against ruptures (jump=1) and brute-force optimal partitioning", () => {
  cases.forEach((c, i) => {
    it(`case ${i}: ${c.cost}, n=${c.x.length}, minSize=${c.minSize}, penalty=${c.penalty.toFixed(2)}`, () => {
      const r = pelt(c.x, { cost: c.cost, exposure: c.exposure, penalty: c.penalty, minSize: c.minSize });
      expect(Array.from(r.changepoints)).toEqual(c.ruptures);
      expect(Array.from(r.changepoints)).toEqual(c.bruteForce);
      // Segment cost of the optimum (our l2 cost is on centred data: same value up to rounding).
      expect(r.cost).toBeCloseTo(c.bruteForceCost, 6);
    });
  });
  expect(cases.some((c) => c.cost === "poisson")).toBe(true);
});

describe("PELT details", () => {
  it("BIC for l2 is sigma^2 log n with sigma from the MAD of differences", () => {
    const x = [0.1, -0.3, 0.2, 0.05, 3.1, 2.9, 3.3, 2.7, 3.05, 3.2];
    const r = pelt(x);
    const s = diffMadSigma(x);
    expect(r.penalty).toBeCloseTo(s * s * Math.log(10), 12);
    expect(Array.from(r.changepoints)).toEqual([4]);
  });

  it("British coal-mining disasters: PELT-Poisson places a change at 1890 +/- 2", () => {
    const bic = pelt(COAL, { cost: "poisson" });
    const years = Array.from(bic.changepoints).map((j) => COAL_START_YEAR + j);
    expect(years.filter((y) => Math.abs(y - 1890) <= 2).length).toBe(1);
    // With a modified-BIC-sized penalty (3 log n) it is the only change.
    const strict = pelt(COAL, { cost: "poisson", penalty: 3 * Math.log(COAL.length) });
    expect(strict.changepoints.length).toBe(1);
    expect(Math.abs(COAL_START_YEAR + strict.changepoints[0] - 1890)).toBeLessThanOrEqual(2);
  });
});
