import gammaln from "@stdlib/math-base-special-gammaln";
import { describe, expect, it } from "vitest";
import { multipleChangepoints } from "../../lib/changepoint/multiple-changepoints.js";
import type { SegmentLengthPrior } from "../../lib/changepoint/segment-prior.js";
import { createRng } from "../../lib/util/random.js";
import { COAL, COAL_START_YEAR, logSumExp, segmentMarginalClosedForm } from "./helpers.js";

// Segment-length prior written independently: pmf from its formula, survival by summing the pmf.
function lengthPrior(prior: SegmentLengthPrior, n: number): { pmf: (L: number) => number; surv: (L: number) => number } {
  const pmf = (L: number): number => {
    const k = L - 1;
    if (prior.kind === "geometric") return prior.p * Math.pow(1 - prior.p, k);
    const r = prior.shape;
    return Math.exp(gammaln(k + r) - gammaln(r) - gammaln(k + 1) + r * Math.log(prior.p) + k * Math.log(1 - prior.p));
  };
  const surv = (L: number): number => {
    let s = 0;
    for (let l = 1; l < L; l++) s += pmf(l);
    return 1 - s;
  };
  void n;
  return { pmf, surv };
}

interface Brute {
  logZ: number;
  change: number[];
  rate: number[];
  exceed: number[];
  map: number[];
  probOf: Map<string, number>;
}

// Enumerate all 2^(n-1) segmentations.
function bruteForce(x: number[], e: number[], a: number, b: number, prior: SegmentLengthPrior, exceedLevel: number): Brute {
  const n = x.length;
  const { pmf, surv } = lengthPrior(prior, n);
  const logs: number[] = [];
  const segs: number[][] = [];
  for (let mask = 0; mask < 1 << (n - 1); mask++) {
    const bounds: number[] = [];
    for (let j = 1; j < n; j++) if (mask & (1 << (j - 1))) bounds.push(j);
    const edges = [0, ...bounds, n];
    let lw = 0;
    for (let s = 0; s + 1 < edges.length; s++) {
      const i = edges[s];
      const j = edges[s + 1];
      lw += segmentMarginalClosedForm(x.slice(i, j), e.slice(i, j), a, b);
      lw += Math.log(s + 2 === edges.length ? surv(j - i) : pmf(j - i));
    }
    logs.push(lw);
    segs.push(bounds);
  }
  const logZ = logSumExp(logs);
  const change = new Array<number>(n).fill(0);
  const rate = new Array<number>(n).fill(0);
  const exceed = new Array<number>(n).fill(0);
  const probOf = new Map<string, number>();
  let best = 0;
  logs.forEach((lw, idx) => {
    const p = Math.exp(lw - logZ);
    probOf.set(segs[idx].join(","), p);
    if (lw > logs[best]) best = idx;
    for (const j of segs[idx]) change[j] += p;
    const edges = [0, ...segs[idx], n];
    for (let s = 0; s + 1 < edges.length; s++) {
      let S = 0;
      let E = 0;
      for (let t = edges[s]; t < edges[s + 1]; t++) {
        S += x[t];
        E += e[t];
      }
      // P(lambda > level) for Gamma(a+S, b+E) by quadrature-free series: use the regularized upper gamma via summation.
      const tail = gammaUpperTail(exceedLevel * (b + E), a + S);
      for (let t = edges[s]; t < edges[s + 1]; t++) {
        rate[t] += (p * (a + S)) / (b + E);
        exceed[t] += p * tail;
      }
    }
  });
  return { logZ, change, rate, exceed, map: segs[best], probOf };
}

// Q(s, z) = Gamma(s, z) / Gamma(s) by the lower series P(s, z) = z^s e^-z / Gamma(s+1) * sum z^k / ((s+1)...(s+k)).
function gammaUpperTail(z: number, s: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 2000; k++) {
    term *= z / (s + k);
    sum += term;
    if (term < 1e-18 * sum) break;
  }
  const lower = Math.exp(s * Math.log(z) - z - gammaln(s + 1)) * sum;
  return 1 - lower;
}

const x = [0, 1, 0, 0, 1, 0, 4, 3, 5, 2, 0, 1];
const e = [10, 9, 11, 0, 10, 12, 10, 9, 11, 10, 10, 12];
const a = 1.5;
const b = 12;

describe("multipleChangepoints: exact recursion", () => {
  const priors: SegmentLengthPrior[] = [
    { kind: "geometric", p: 0.2 },
    { kind: "negative-binomial", shape: 2.5, p: 0.3 },
  ];
  for (const segmentPrior of priors) {
    it(`equals brute-force enumeration over all 2^11 segmentations (${segmentPrior.kind})`, () => {
      const level = 0.15;
      const ref = bruteForce(x, e, a, b, segmentPrior, level);
      for (const tolerance of [0, 1e-12]) {
        const r = multipleChangepoints(x, e, {
          prior: { shape: a, rate: b },
          segmentPrior,
          tolerance,
          exceedance: { baselineRate: level, ratio: 1 },
        });
        expect(r.logEvidence).toBeCloseTo(ref.logZ, 10);
        for (let t = 0; t < x.length; t++) {
          expect(r.changeProbability[t]).toBeCloseTo(ref.change[t], 11);
          expect(r.rateMean[t]).toBeCloseTo(ref.rate[t], 11);
          expect(r.exceedance![t]).toBeCloseTo(ref.exceed[t], 9);
        }
        expect(Array.from(r.mapChanges)).toEqual(ref.map);
      }
    });
  }

  it("posterior samples follow the exact posterior over segmentations (seeded)", () => {
    const segmentPrior: SegmentLengthPrior = { kind: "geometric", p: 0.2 };
    const ref = bruteForce(x, e, a, b, segmentPrior, 1);
    const r = multipleChangepoints(x, e, { prior: { shape: a, rate: b }, segmentPrior });
    const draws = 20000;
    const samples = r.sample(draws, createRng(11));
    const counts = new Map<string, number>();
    for (const s of samples) counts.set(Array.from(s).join(","), (counts.get(Array.from(s).join(",")) ?? 0) + 1);
    // Every segmentation with posterior mass above 1%: frequency within 5 binomial standard errors.
    let checked = 0;
    for (const [key, p] of ref.probOf) {
      if (p < 0.01) continue;
      const f = (counts.get(key) ?? 0) / draws;
      expect(Math.abs(f - p), key).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / draws));
      checked++;
    }
    expect(checked).toBeGreaterThan(3);
    // Same seed, same draws.
    expect(r.sample(5, createRng(3)).map((s) => Array.from(s))).toEqual(r.sample(5, createRng(3)).map((s) => Array.from(s)));
  });

  it("pruning at 1e-12 changes the change probabilities by less than 1e-9 on a longer series", () => {
    const rng = createRng(5);
    const n = 1500;
    const c = new Float64Array(n);
    const ex = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      ex[t] = 50 + 50 * rng.uniform();
      c[t] = rng.poisson((t > 700 && t < 900 ? 0.06 : 0.03) * ex[t]);
    }
    const opts = { prior: { shape: 1, rate: 30 }, segmentPrior: { kind: "geometric", p: 0.01 } as const };
    const exact = multipleChangepoints(c, ex, { ...opts, tolerance: 0 });
    const pruned = multipleChangepoints(c, ex, { ...opts, tolerance: 1e-12 });
    let worst = 0;
    for (let t = 0; t < n; t++) worst = Math.max(worst, Math.abs(exact.changeProbability[t] - pruned.changeProbability[t]));
    expect(worst).toBeLessThan(1e-9);
    expect(Math.abs(exact.logEvidence - pruned.logEvidence)).toBeLessThan(1e-9);
    expect(Array.from(pruned.mapChanges)).toEqual(Array.from(exact.mapChanges));
    expect(pruned.candidates.mean).toBeLessThan(n / 2);
  });

  it("British coal-mining disasters: MAP segmentation has its change at 1890 +/- 2", () => {
    const r = multipleChangepoints(COAL, undefined, {
      prior: { shape: 1, rate: 0.5 },
      segmentPrior: { kind: "geometric", p: 0.01 },
    });
    expect(r.mapChanges.length).toBeGreaterThanOrEqual(1);
    const near = Array.from(r.mapChanges).filter((j) => Math.abs(COAL_START_YEAR + j - 1890) <= 2);
    expect(near.length).toBe(1);
    // Posterior probability that the change falls in 1888..1892 (first year of the new rate).
    let p = 0;
    for (let y = 1888; y <= 1892; y++) p += r.changeProbability[y - COAL_START_YEAR];
    expect(p).toBeGreaterThan(0.5);
  });
});
