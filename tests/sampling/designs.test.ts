import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { importanceInclusion, mixInclusion, poissonSample, proportionalToSize, uniformInclusion } from "../../lib/sampling/inclusion.js";
import { allocate, neymanAllocation, quantileStrata, stratifiedInclusion } from "../../lib/sampling/stratified.js";
import { ConfigError } from "../../lib/errors.js";

const sum = (x: ArrayLike<number>): number => Array.from(x).reduce((a, b) => a + b, 0);

describe("proportional-to-size inclusion with caps", () => {
  it("meets the budget exactly, stays in [0, 1] and is proportional below the cap (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.001, max: 1000, noNaN: true }), { minLength: 2, maxLength: 60 }), fc.double({ min: 0.01, max: 0.99, noNaN: true }), (sizes, frac) => {
        const n = frac * sizes.length;
        const pi = proportionalToSize(sizes, n);
        expect(sum(pi)).toBeCloseTo(n, 9);
        let ratio = NaN;
        for (let i = 0; i < sizes.length; i++) {
          expect(pi[i]).toBeGreaterThan(0);
          expect(pi[i]).toBeLessThanOrEqual(1);
          if (pi[i] < 1) {
            const r = pi[i] / sizes[i];
            if (Number.isNaN(ratio)) ratio = r;
            else expect(r).toBeCloseTo(ratio, 9);
            // A capped unit is never smaller than an uncapped one.
          }
        }
        for (let i = 0; i < sizes.length; i++) for (let j = 0; j < sizes.length; j++) if (pi[i] === 1 && pi[j] < 1) expect(sizes[i]).toBeGreaterThanOrEqual(sizes[j]);
      }),
      { numRuns: 200 },
    );
  });

  it("keeps the budget when large capped units leave a tiny remainder (cancellation in the running total)", () => {
    const sizes = [172.5749035021826, 999.9853939699517, 999.9853939699528, 0.001, 0.001];
    const n = 0.877741862761319 * sizes.length;
    expect(sum(proportionalToSize(sizes, n))).toBeCloseTo(n, 12);
  });

  it("caps and redistributes: sizes 10,1,1,1,1 with n = 2 gives 1 and 1/4 each", () => {
    expect(Array.from(proportionalToSize([10, 1, 1, 1, 1], 2))).toEqual([1, 0.25, 0.25, 0.25, 0.25]);
  });

  it("rejects a budget above the population", () => {
    expect(() => proportionalToSize([1, 2], 3)).toThrow(ConfigError);
    expect(() => uniformInclusion(10, 11)).toThrow(/budget/);
  });

  it("importance floor bounds every weight by (N/n)(1+floor)/floor", () => {
    const risk = Array.from({ length: 500 }, (_, i) => (i % 50 === 0 ? 0 : Math.exp((i % 17) / 3)));
    for (const floor of [0.05, 0.1, 0.3]) {
      const n = 25;
      const pi = importanceInclusion(risk, n, { floor });
      expect(sum(pi)).toBeCloseTo(n, 9);
      const maxW = Math.max(...Array.from(pi, (p) => 1 / p));
      expect(maxW).toBeLessThanOrEqual(((500 / n) * (1 + floor)) / floor + 1e-9);
    }
  });

  it("exponent 1/2 samples proportional to sqrt(risk)", () => {
    const pi = importanceInclusion([1, 4, 16], 0.7, { floor: 0, exponent: 0.5 });
    expect(pi[1] / pi[0]).toBeCloseTo(2, 12);
    expect(pi[2] / pi[0]).toBeCloseTo(4, 12);
  });

  it("a defensive mixture keeps the budget and the uniform floor", () => {
    const a = uniformInclusion(4, 2);
    const b = proportionalToSize([1, 1, 1, 5], 2);
    const m = mixInclusion(a, b, 0.2);
    expect(sum(m)).toBeCloseTo(2, 12);
    for (const p of m) expect(p).toBeGreaterThanOrEqual(0.2 * 0.5);
  });

  it("Poisson sampling takes exactly the units whose permanent random number is below pi", () => {
    expect(Array.from(poissonSample([0.5, 0.2, 0.9, 0.1], [0.4, 0.3, 0.9, 0.05]))).toEqual([0, 3]);
  });
});

describe("Neyman allocation", () => {
  it("equals the closed form n N_h S_h / sum N_k S_k when no stratum is exhausted", () => {
    const N = [400, 300, 200, 100];
    const S = [0.5, 1, 2, 4];
    const n = 120;
    const alloc = neymanAllocation(N, S, n);
    const denom = N.reduce((s, Nh, h) => s + Nh * S[h], 0);
    N.forEach((Nh, h) => expect(alloc[h]).toBeCloseTo((n * Nh * S[h]) / denom, 12));
  });

  it("takes an over-allocated stratum whole and re-allocates the rest by the closed form", () => {
    // Uncapped: 150 * [1000, 100] / 1100 = [136.4, 13.6] > 100 for stratum 0, so it takes all 100
    // and stratum 1 gets the remaining 50.
    expect(Array.from(neymanAllocation([100, 100], [10, 1], 150))).toEqual([100, 50]);
  });

  it("minimizes the stratified variance sum N_h^2 S_h^2 / n_h among allocations with the same total (property)", () => {
    const N = [500, 300, 200];
    const S = [1, 3, 5];
    const n = 90;
    const best = neymanAllocation(N, S, n);
    const v = (a: ArrayLike<number>): number => N.reduce((s, Nh, h) => s + (Nh * Nh * S[h] * S[h]) / a[h] - Nh * S[h] * S[h], 0);
    fc.assert(
      fc.property(fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: -10, max: 10, noNaN: true }), (d1, d2) => {
        const other = [best[0] + d1, best[1] + d2, best[2] - d1 - d2];
        if (other.some((x) => x <= 0)) return;
        expect(v(other)).toBeGreaterThanOrEqual(v(best) - 1e-9);
      }),
    );
  });

  it("proportional and fixed allocations, and per-unit probabilities n_h / N_h", () => {
    expect(Array.from(allocate([100, 300], 40, { kind: "proportional" }))).toEqual([10, 30]);
    const fixed = allocate([100, 100], 30, { kind: "fixed", relativeRates: [2, 1] });
    expect(fixed[0]).toBeCloseTo(20, 12);
    expect(fixed[1]).toBeCloseTo(10, 12);
    const pi = stratifiedInclusion([0, 1, 1, 0], [1, 1], [2, 2]);
    expect(Array.from(pi)).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it("quantile strata split scores into equal-count bands", () => {
    const score = Array.from({ length: 100 }, (_, i) => i);
    const { strata } = quantileStrata(score, 4);
    const counts = [0, 0, 0, 0];
    for (const h of strata) counts[h]++;
    expect(counts).toEqual([25, 25, 25, 25]);
    expect(strata[0]).toBe(0);
    expect(strata[99]).toBe(3);
  });
});
