import { describe, expect, it } from "vitest";
import { gammaInterval, hajekRatio, horvitzThompson, horvitzThompsonDesignVariance, kishEss, selfNormalizedMean, weightDiagnostics } from "../../lib/sampling/estimators.js";
import { paretoK } from "../../lib/sampling/pareto.js";
import { createRng } from "../../lib/util/random.js";

// A small population: values and inclusion probabilities of 8 units.
const y = [0, 3, 1, 0, 7, 2, 0, 5];
const x = [2, 4, 1, 3, 6, 2, 5, 4];
const pi = [0.2, 0.5, 0.3, 0.9, 0.6, 0.25, 0.4, 0.75];

/** Every Poisson sample with its probability. */
function enumerate(): { units: number[]; p: number }[] {
  const out: { units: number[]; p: number }[] = [];
  for (let mask = 0; mask < 1 << y.length; mask++) {
    const units: number[] = [];
    let p = 1;
    for (let i = 0; i < y.length; i++) {
      if (mask & (1 << i)) {
        units.push(i);
        p *= pi[i];
      } else p *= 1 - pi[i];
    }
    out.push({ units, p });
  }
  return out;
}

describe("Horvitz-Thompson under Poisson sampling, by enumeration of all 256 samples", () => {
  const samples = enumerate();
  const Y = y.reduce((a, b) => a + b, 0);
  it("is exactly unbiased, and its variance estimator is exactly unbiased for the design variance", () => {
    let mean = 0;
    let second = 0;
    let meanV = 0;
    let total = 0;
    for (const s of samples) {
      const est = horvitzThompson(s.units.map((i) => y[i]), s.units.map((i) => pi[i]));
      mean += s.p * est.estimate;
      second += s.p * est.estimate * est.estimate;
      meanV += s.p * est.variance;
      total += s.p;
    }
    expect(total).toBeCloseTo(1, 12);
    expect(mean).toBeCloseTo(Y, 10);
    const designVar = horvitzThompsonDesignVariance(y, pi);
    expect(second - mean * mean).toBeCloseTo(designVar, 9);
    expect(meanV).toBeCloseTo(designVar, 9);
  });

  it("Hajek ratio is close to the population ratio on average (bias O(1/n)) and its linearized variance is near the true spread", () => {
    const R = y.reduce((a, b) => a + b, 0) / x.reduce((a, b) => a + b, 0);
    let mean = 0;
    let mass = 0;
    for (const s of samples) {
      if (s.units.length === 0) continue;
      const est = hajekRatio(s.units.map((i) => y[i]), s.units.map((i) => x[i]), s.units.map((i) => pi[i]));
      mean += s.p * est.estimate;
      mass += s.p;
    }
    expect(Math.abs(mean / mass - R) / R).toBeLessThan(0.1);
  });
});

describe("weights", () => {
  it("Kish ESS: n for equal weights, (sum w)^2 / sum w^2 otherwise", () => {
    expect(kishEss([2, 2, 2, 2])).toBe(4);
    expect(kishEss([1, 3])).toBeCloseTo(16 / 10, 12);
  });

  it("self-normalized mean with equal weights is the sample mean with variance s^2 (n-1)/n^2", () => {
    const v = [1, 2, 3, 4, 10];
    const est = selfNormalizedMean(v, [3, 3, 3, 3, 3]);
    expect(est.estimate).toBeCloseTo(4, 12);
    const m = 4;
    const ss = v.reduce((s, a) => s + (a - m) * (a - m), 0);
    expect(est.variance).toBeCloseTo(ss / 25, 12);
    expect(est.ess).toBe(5);
  });

  it("largest weight share and Pareto k: about 0.5 for weights from a Pareto tail with shape 1/2, about 0 for exponential weights", () => {
    const rng = createRng(11);
    const n = 20000;
    const pareto = Float64Array.from({ length: n }, () => Math.pow(1 - rng.uniform(), -0.5)); // GPD xi = 0.5
    const expo = Float64Array.from({ length: n }, () => rng.exponential());
    expect(paretoK(pareto).k).toBeGreaterThan(0.4);
    expect(paretoK(pareto).k).toBeLessThan(0.6);
    expect(Math.abs(paretoK(expo).k)).toBeLessThan(0.1);
    const heavy = Float64Array.from({ length: n }, () => Math.pow(1 - rng.uniform(), -1 / 0.8)); // xi = 1.25
    expect(paretoK(heavy).k).toBeGreaterThan(1);
    const d = weightDiagnostics([1, 1, 1, 7]);
    expect(d.maxWeightShare).toBeCloseTo(0.7, 12);
    expect(Number.isNaN(d.paretoK)).toBe(true);
  });
});

describe("gamma interval (Fay & Feuer 1997)", () => {
  it("reduces to the exact Garwood Poisson interval with unit weights: 5 events -> [1.6235, 11.6683]", () => {
    const ci = gammaInterval(5, 5, 1, 0.95);
    expect(ci.lower).toBeCloseTo(1.6235, 3);
    expect(ci.upper).toBeCloseTo(11.6683, 3);
    const zero = gammaInterval(0, 0, 1, 0.95);
    expect(zero.lower).toBe(0);
    expect(zero.upper).toBeCloseTo(3.6889, 3);
  });

  it("scales with a common weight w: interval of w * Poisson count is w times Garwood's", () => {
    const ci = gammaInterval(50, 500, 10, 0.95);
    expect(ci.lower).toBeCloseTo(16.235, 2);
    expect(ci.upper).toBeCloseTo(116.683, 2);
  });
});
