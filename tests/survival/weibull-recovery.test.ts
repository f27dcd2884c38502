import { describe, expect, it } from "vitest";
import gammaln from "@stdlib/math-base-special-gammaln";
import { fitWeibull } from "../../lib/survival/weibull.js";
import { createRng } from "../../lib/util/random.js";

/** Smallest and largest success counts inside the central `level` mass of Binomial(n, p). */
function binomialRange(n: number, p: number, level: number): [number, number] {
  const pmf = (k: number): number => Math.exp(gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p));
  const tail = (1 - level) / 2;
  let lo = 0;
  for (let cdf = pmf(0); cdf < tail; cdf += pmf(++lo));
  let hi = n;
  for (let sf = pmf(n); sf < tail; sf += pmf(--hi));
  return [lo, hi];
}

describe("Weibull MLE parameter recovery", () => {
  it("95% Wald intervals for scale and shape cover the truth at the nominal rate over 200 seeded data sets", () => {
    const truth = { lambda: 8, rho: 1.7 };
    const replicates = 200;
    const n = 250;
    const root = createRng(4242);
    let coverLambda = 0;
    let coverRho = 0;
    let sumRho = 0;
    for (let r = 0; r < replicates; r++) {
      const rng = root.fork(r);
      const durations = new Float64Array(n);
      const events = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        // Inverse transform: H(T) = (T / lambda)^rho is Exp(1).
        const t = truth.lambda * Math.pow(rng.exponential(), 1 / truth.rho);
        // Independent uniform censoring on (0, 20): about 30% censored.
        const c = 20 * rng.uniform();
        durations[i] = Math.min(t, c);
        events[i] = t <= c ? 1 : 0;
      }
      const rows = fitWeibull({ durations, events }).summary().rows;
      const [lam, rho] = rows;
      if (lam.lower <= truth.lambda && truth.lambda <= lam.upper) coverLambda++;
      if (rho.lower <= truth.rho && truth.rho <= rho.upper) coverRho++;
      sumRho += rho.estimate;
    }
    const [lo, hi] = binomialRange(replicates, 0.95, 0.999);
    expect(coverLambda).toBeGreaterThanOrEqual(lo);
    expect(coverLambda).toBeLessThanOrEqual(hi);
    expect(coverRho).toBeGreaterThanOrEqual(lo);
    expect(coverRho).toBeLessThanOrEqual(hi);
    // The shape estimate is nearly unbiased at n = 250: its mean is within a few Monte Carlo errors
    // (sd of one estimate ~0.1, so the mean's sd ~0.007).
    expect(Math.abs(sumRho / replicates - truth.rho)).toBeLessThan(0.04);
  });

  it("the binomial range helper is right on a known case", () => {
    // Binomial(200, 0.95): mean 190, sd 3.08; the 99.9% central range is about 179..197.
    const [lo, hi] = binomialRange(200, 0.95, 0.999);
    expect(lo).toBeGreaterThanOrEqual(178);
    expect(lo).toBeLessThanOrEqual(181);
    expect(hi).toBeGreaterThanOrEqual(196);
    expect(hi).toBeLessThanOrEqual(199);
  });
});
