import gammaln from "@stdlib/math-base-special-gammaln";
import gammainc from "@stdlib/math-base-special-gammainc";
import { describe, expect, it } from "vitest";
import { expNonPositive, lgamma, log1pNonNegative, logRising } from "../../lib/changepoint/special.js";
import { createPoissonKernel } from "../../lib/changepoint/wasm-bocpd.js";
import {
  hazardRatioCdf,
  hazardRatioExceedance,
  hazardRatioPosterior,
  hazardRatioQuantile,
} from "../../lib/changepoint/hazard-ratio.js";

describe("lgamma", () => {
  it("matches stdlib gammaln to 1e-14 relative over 1e-8..1e12", () => {
    for (let k = -80; k <= 120; k++) {
      const x = Math.pow(10, k / 10) * 1.37;
      const ref = gammaln(x);
      const err = Math.abs(lgamma(x) - ref) / Math.max(1, Math.abs(ref));
      expect(err, `x=${x}`).toBeLessThan(1e-14);
    }
  });
  it("logRising equals the difference of log-gammas", () => {
    for (const a of [0.3, 1, 7.5, 123.25, 1e9]) {
      for (const k of [0, 1, 2, 5, 16, 17, 400]) {
        // A plain sum of logs: the gammaln difference itself cancels catastrophically at a = 1e9.
        let ref = 0;
        for (let i = 0; i < k; i++) ref += Math.log(a + i);
        expect(Math.abs(logRising(a, k) - ref)).toBeLessThan(1e-9 * Math.max(1, Math.abs(ref)));
      }
    }
  });
});

// P(HR > c) by one-dimensional quadrature over lambda_before, with the Gamma upper tail of
// lambda_after from stdlib gammainc: a route independent of the beta relation used by the library.
function exceedanceByQuadrature(c: number, a1: number, b1: number, a2: number, b2: number): number {
  const mean = a1 / b1;
  const sd = Math.sqrt(a1) / b1;
  const lo = Math.max(1e-300, mean - 40 * sd);
  const hi = mean + 40 * sd;
  const steps = 40000;
  const h = (hi - lo) / steps;
  let s = 0;
  for (let k = 0; k <= steps; k++) {
    const l = lo + k * h;
    const dens = Math.exp(a1 * Math.log(b1) - gammaln(a1) + (a1 - 1) * Math.log(l) - b1 * l);
    const w = k === 0 || k === steps ? 1 : k % 2 === 1 ? 4 : 2;
    s += w * dens * gammainc(c * l * b2, a2, true, true);
  }
  return (s * h) / 3;
}

describe("hazard ratio of two Gamma posteriors", () => {
  const cases = [
    { a1: 12, b1: 40, a2: 20, b2: 35, c: 1.5 },
    { a1: 3.5, b1: 2, a2: 9, b2: 3, c: 2 },
    { a1: 128, b1: 41.6, a2: 65, b2: 70.6, c: 0.3 },
  ];
  it("P(HR > c) equals numerical integration", () => {
    for (const { a1, b1, a2, b2, c } of cases) {
      const lib = hazardRatioExceedance(c, { shape: a1, rate: b1 }, { shape: a2, rate: b2 });
      expect(lib).toBeCloseTo(exceedanceByQuadrature(c, a1, b1, a2, b2), 8);
      expect(lib + hazardRatioCdf(c, { shape: a1, rate: b1 }, { shape: a2, rate: b2 })).toBeCloseTo(1, 12);
    }
  });
  it("quantiles invert the CDF and the mean is the closed form", () => {
    const before = { shape: 12, rate: 40 };
    const after = { shape: 20, rate: 35 };
    for (const p of [0.025, 0.5, 0.975]) {
      expect(hazardRatioCdf(hazardRatioQuantile(p, before, after), before, after)).toBeCloseTo(p, 10);
    }
    const s = hazardRatioPosterior(before, after, { threshold: 1.5 });
    // E[lambda2] E[1/lambda1] = (a2/b2) * b1/(a1-1)
    expect(s.mean).toBeCloseTo((20 / 35) * (40 / 11), 12);
    expect(s.lower).toBeLessThan(s.median);
    expect(s.median).toBeLessThan(s.upper);
  });
});

describe("inlined exp and log1p of the BOCPD kernel", () => {
  it("expNonPositive is within 1e-15 relative of Math.exp on [-700, 0.35], 0 below -700, NaN for NaN", () => {
    let worst = 0;
    for (let i = 0; i <= 200000; i++) {
      // Dense near 0 (where most weights are) and across the whole range.
      const x = i % 2 === 0 ? -699.99 * Math.pow(i / 200000, 3) : 0.35 - 700.34 * (i / 200000);
      worst = Math.max(worst, Math.abs(expNonPositive(x) / Math.exp(x) - 1));
    }
    expect(worst).toBeLessThan(1e-15);
    expect(expNonPositive(0)).toBe(1);
    expect(expNonPositive(-1e-300)).toBe(1);
    expect(expNonPositive(-701)).toBe(0);
    expect(expNonPositive(-Infinity)).toBe(0);
    expect(expNonPositive(NaN)).toBeNaN();
  });

  it("log1pNonNegative is within 1e-15 relative of Math.log1p across its three branches", () => {
    let worst = 0;
    for (let i = 1; i <= 200000; i++) {
      const u = Math.pow(10, -12 + (16 * i) / 200000);
      worst = Math.max(worst, Math.abs(log1pNonNegative(u) / Math.log1p(u) - 1));
    }
    for (const u of [0.015625, 0.015624999, 0.25, 0.2499999]) worst = Math.max(worst, Math.abs(log1pNonNegative(u) / Math.log1p(u) - 1));
    expect(worst).toBeLessThan(1e-15);
    expect(log1pNonNegative(0)).toBe(0);
  });
});

describe("exp and log1p of the WebAssembly BOCPD kernel", () => {
  it("agree with Math.exp (1e-15) and Math.log1p (2e-14) across their branches", () => {
    const k = createPoissonKernel(16);
    expect(k).not.toBeNull();
    if (k === null) return;
    let worstExp = 0;
    let worstLog = 0;
    for (let i = 0; i <= 100000; i++) {
      const x = i % 2 === 0 ? -699.99 * Math.pow(i / 100000, 3) : 0.35 - 700.34 * (i / 100000);
      worstExp = Math.max(worstExp, Math.abs(k.exp(x) / Math.exp(x) - 1));
      const u = Math.pow(10, -12 + (18 * i) / 100000);
      worstLog = Math.max(worstLog, Math.abs(k.log1p(u) / Math.log1p(u) - 1));
    }
    for (const u of [0.015625, 0.015624999, Math.SQRT2 - 1, 1, 3, 1e10]) worstLog = Math.max(worstLog, Math.abs(k.log1p(u) / Math.log1p(u) - 1));
    expect(worstExp).toBeLessThan(1e-15);
    expect(worstLog).toBeLessThan(2e-14);
    expect(k.exp(-701)).toBe(0);
    expect(k.log1p(0)).toBe(0);
  });
});
