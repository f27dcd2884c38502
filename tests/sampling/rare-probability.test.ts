import { describe, expect, it } from "vitest";
import { crossEntropyImportanceSampling, crossEntropyShift, crudeMonteCarlo, gaussianTailIsRelativeError, linearStressSimulator, normalTail, shiftedImportanceSampling } from "../../lib/sampling/rare-probability.js";
import { createRng } from "../../lib/util/random.js";

const tail = (x: Float64Array): number => x[0];

describe("Gaussian tail P(Z > 4.75) by cross-entropy importance sampling", () => {
  it("the closed form is 1.0171e-6 (Abramowitz & Stegun table 26.1 gives Q(4.75) = 1.017083e-6)", () => {
    expect(normalTail(4.75)).toBeCloseTo(1.017083e-6, 11);
  });

  it("cross-entropy finds the shift near E[Z | Z > 4.75] ~ 4.95", () => {
    const ce = crossEntropyShift(tail, 1, 4.75, { ceSamples: 2000 }, createRng(3));
    expect(ce.levels[ce.levels.length - 1]).toBe(4.75);
    expect(ce.shift[0]).toBeGreaterThan(4.75);
    expect(ce.shift[0]).toBeLessThan(5.2);
  });

  it("2000 draws estimate it with the relative error the theory predicts (40 independent runs)", () => {
    const truth = normalTail(4.75);
    const runs = 40;
    const n = 2000;
    const est: number[] = [];
    const theory: number[] = [];
    let inside = 0;
    for (let r = 0; r < runs; r++) {
      const e = crossEntropyImportanceSampling(tail, 1, 4.75, n, { ceSamples: 1000 }, createRng(1000 + r));
      est.push(e.estimate);
      theory.push(gaussianTailIsRelativeError(4.75, e.shift[0], n));
      if (Math.abs(e.estimate - truth) <= 2 * Math.sqrt(e.variance)) inside++;
    }
    const mean = est.reduce((a, b) => a + b, 0) / runs;
    const sd = Math.sqrt(est.reduce((s, v) => s + (v - mean) * (v - mean), 0) / (runs - 1));
    const expected = theory.reduce((a, b) => a + b, 0) / runs; // about 5% at n = 2000 (per-draw relative SD ~2.3 at the optimal shift)
    expect(expected).toBeGreaterThan(0.03);
    expect(expected).toBeLessThan(0.08);
    // Mean within 4 standard errors of the closed form, empirical relative SD within 35% of theory.
    expect(Math.abs(mean - truth)).toBeLessThan((4 * sd) / Math.sqrt(runs));
    expect(sd / truth).toBeGreaterThan(0.65 * expected);
    expect(sd / truth).toBeLessThan(1.35 * expected);
    // Nominal 2-sigma intervals from the run's own variance estimate cover about 95% of the time.
    expect(inside).toBeGreaterThanOrEqual(33);
  });

  it("crude Monte Carlo at p = 1e-2 is unbiased within its standard error; at 1e-6 it sees nothing", () => {
    const sim = linearStressSimulator();
    const t = sim.thresholdFor(1e-2);
    expect(sim.probability(t)).toBeCloseTo(1e-2, 12);
    const c = crudeMonteCarlo(sim.limitState, sim.dim, t, 20000, createRng(5));
    expect(Math.abs(c.estimate - 1e-2)).toBeLessThan(4 * Math.sqrt(c.variance));
    const rare = crudeMonteCarlo(sim.limitState, sim.dim, sim.thresholdFor(1e-6), 20000, createRng(6));
    expect(rare.hits).toBe(0);
  });

  it("on the 5-dimensional stress simulator, CE-IS reaches 1e-7 within 10% with 10^4 draws", () => {
    const sim = linearStressSimulator();
    const t = sim.thresholdFor(1e-7);
    const e = crossEntropyImportanceSampling(sim.limitState, sim.dim, t, 10000, {}, createRng(9));
    expect(Math.abs(e.estimate / 1e-7 - 1)).toBeLessThan(0.1);
    expect(e.relativeError).toBeLessThan(0.05);
    // A shift of zero is crude Monte Carlo.
    const zero = shiftedImportanceSampling(sim.limitState, new Float64Array(sim.dim), sim.thresholdFor(1e-2), 10000, createRng(2));
    expect(zero.estimate).toBeGreaterThan(0.005);
  });
});
