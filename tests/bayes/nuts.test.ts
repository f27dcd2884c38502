import { describe, expect, it } from "vitest";
import { ConvergenceError } from "../../lib/errors.js";
import { WindowedVariance } from "../../lib/bayes/adaptation.js";
import { defineModel } from "../../lib/bayes/model.js";
import { positive, real } from "../../lib/bayes/params.js";
import { sampleSync } from "../../lib/bayes/sample.js";

// A correlated 2-D Gaussian: sd 1 and 2, correlation 0.9.
const RHO = 0.9;
const S0 = 1;
const S1 = 2;
function gaussModel() {
  const det = S0 * S0 * S1 * S1 * (1 - RHO * RHO);
  const p00 = (S1 * S1) / det;
  const p11 = (S0 * S0) / det;
  const p01 = (-RHO * S0 * S1) / det;
  return defineModel({
    params: { x: real({ size: 2 }) },
    logDensity(t, p) {
      const a = t.index(p.x, 0);
      const b = t.index(p.x, 1);
      const q = t.add(t.add(t.mul(p00, t.square(a)), t.mul(p11, t.square(b))), t.mul(2 * p01, t.mul(a, b)));
      return t.mul(-0.5, q);
    },
  });
}

// Eight schools (Rubin 1981), non-centered, with the priors of the Stan / PyMC case studies.
const Y = Float64Array.from([28, 8, -3, 7, -1, 1, 18, 12]);
const SIGMA = Float64Array.from([15, 10, 16, 11, 9, 11, 10, 18]);
function eightSchools() {
  return defineModel({
    params: { mu: real(), tau: positive(), eta: real({ size: 8 }) },
    logDensity(t, p) {
      const theta = t.add(p.mu, t.mul(p.tau, p.eta));
      // tau ~ HalfCauchy(5): the Cauchy density on tau > 0 (the factor 2 is a constant).
      return t.add(t.add(t.normal(p.mu, 0, 5), t.cauchy(p.tau, 0, 5)), t.add(t.normal(p.eta, 0, 1), t.normal(Y, theta, SIGMA)));
    },
  });
}

function pooled(chains: Float64Array[]): Float64Array {
  return Float64Array.from(chains.flatMap((c) => Array.from(c)));
}

describe("NUTS on known targets", () => {
  it("correlated 2-D Gaussian: means, sds and correlation within Monte Carlo error, R-hat < 1.01", () => {
    const post = sampleSync(gaussModel(), { seed: 11, chains: 4 });
    const rows = post.summary();
    const truthSd = [S0, S1];
    rows.forEach((r, j) => {
      expect(Math.abs(r.mean), `${r.name} mean ${r.mean} (mcse ${r.mcseMean})`).toBeLessThan(4 * r.mcseMean);
      expect(Math.abs(r.sd - truthSd[j]), `${r.name} sd ${r.sd} (mcse ${r.mcseSd})`).toBeLessThan(4 * r.mcseSd);
      expect(r.rHat).toBeLessThan(1.01);
      expect(r.essBulk).toBeGreaterThan(400);
    });
    const a = pooled(post.draws("x[0]"));
    const b = pooled(post.draws("x[1]"));
    const n = a.length;
    const ma = a.reduce((s, v) => s + v, 0) / n;
    const mb = b.reduce((s, v) => s + v, 0) / n;
    let sab = 0;
    let saa = 0;
    let sbb = 0;
    for (let i = 0; i < n; i++) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) ** 2;
      sbb += (b[i] - mb) ** 2;
    }
    const corr = sab / Math.sqrt(saa * sbb);
    // Monte Carlo sd of a correlation estimate ~ (1 - rho^2) / sqrt(ESS); ESS > 400 here.
    expect(Math.abs(corr - RHO)).toBeLessThan((4 * (1 - RHO * RHO)) / Math.sqrt(400));
    const h = post.health();
    expect(h.divergences.reduce((s, v) => s + v, 0)).toBe(0);
    const accept = pooled(post.stat("acceptStat"));
    const meanAccept = accept.reduce((s, v) => s + v, 0) / accept.length;
    expect(meanAccept).toBeGreaterThan(0.7);
    expect(meanAccept).toBeLessThan(0.95);
    // The adapted metric recovers the marginal variances (1 and 4) roughly.
    for (const c of post.chains) {
      expect(c.invMetric[1] / c.invMetric[0]).toBeGreaterThan(2);
      expect(c.invMetric[1] / c.invMetric[0]).toBeLessThan(8);
    }
  });

  it("eight schools non-centered: mu ~ 4.4, tau ~ 3.6 (published), few divergences", () => {
    const post = sampleSync(eightSchools(), { seed: 3, chains: 4, targetAccept: 0.9 });
    const [mu, tau] = post.summary({ names: ["mu", "tau"] });
    // Reference posterior means from long runs of the same model (Stan / PyMC case studies):
    // mu 4.4, tau 3.6; allow Monte Carlo error plus the rounding of the published values.
    expect(Math.abs(mu.mean - 4.4)).toBeLessThan(4 * mu.mcseMean + 0.05);
    expect(Math.abs(tau.mean - 3.6)).toBeLessThan(4 * tau.mcseMean + 0.05);
    expect(mu.rHat).toBeLessThan(1.01);
    expect(tau.rHat).toBeLessThan(1.01);
    const h = post.health();
    const divergences = h.divergences.reduce((s, v) => s + v, 0);
    expect(divergences).toBeLessThan(20);
    for (const b of h.ebfmi) expect(b).toBeGreaterThan(0.3);
  });

  it("is deterministic for a seed and differs across seeds", () => {
    const a = sampleSync(gaussModel(), { seed: 5, chains: 2, warmup: 100, draws: 50 });
    const b = sampleSync(gaussModel(), { seed: 5, chains: 2, warmup: 100, draws: 50 });
    const c = sampleSync(gaussModel(), { seed: 6, chains: 2, warmup: 100, draws: 50 });
    expect(Array.from(a.chains[1].draws)).toEqual(Array.from(b.chains[1].draws));
    expect(Array.from(a.chains[1].draws)).not.toEqual(Array.from(c.chains[1].draws));
    expect(Array.from(a.chains[0].draws)).not.toEqual(Array.from(a.chains[1].draws));
  });

  it("reports progress per chain and phase", () => {
    const events: string[] = [];
    sampleSync(gaussModel(), { seed: 1, chains: 2, warmup: 20, draws: 20, onProgress: (e) => events.push(`${e.chain}:${e.phase}:${e.iteration}/${e.total}`) });
    expect(events).toContain("0:warmup:20/40");
    expect(events).toContain("1:sampling:40/40");
  });
});

describe("initialization", () => {
  it("retries random inits and then throws a ConvergenceError naming the chain", () => {
    let calls = 0;
    const model = defineModel({
      params: { a: real() },
      logDensity(t, p) {
        calls++;
        return t.log(t.sub(p.a, 1e9)); // log of a negative number: NaN everywhere near 0
      },
    });
    expect(() => sampleSync(model, { seed: 1, chains: 1 })).toThrow(ConvergenceError);
    expect(() => sampleSync(model, { seed: 1, chains: 1 })).toThrow(/chain 0: no initial point .* after 100 random inits/);
    expect(calls).toBe(200);
  });

  it("finds a valid init when only part of the init box is valid", () => {
    const model = defineModel({
      params: { a: real() },
      logDensity(t, p) {
        // Finite only for a > 1.5 (a quarter of uniform(-2, 2)).
        return t.add(t.log(t.sub(p.a, 1.5)), t.normal(p.a, 2, 1));
      },
    });
    const post = sampleSync(model, { seed: 2, chains: 1, warmup: 50, draws: 20 });
    expect(post.chains[0].init[0]).toBeGreaterThan(1.5);
  });

  it("accepts user inits on the constrained scale", () => {
    const post = sampleSync(eightSchools(), { seed: 1, chains: 1, warmup: 10, draws: 5, init: { mu: 1, tau: 2, eta: new Array(8).fill(0) } });
    expect(post.chains[0].init[0]).toBe(1);
    expect(post.chains[0].init[1]).toBeCloseTo(Math.log(2), 15);
  });
});

describe("Stan's adaptation windows", () => {
  it("ends metric windows at warmup iterations 100, 150, 250, 450, 950 for 1000 warmup", () => {
    const wv = new WindowedVariance(1, 1000, 75, 50, 25);
    const inv = new Float64Array(1);
    const ends: number[] = [];
    for (let it = 0; it < 1000; it++) if (wv.learn(Float64Array.of(Math.sin(it)), inv)) ends.push(it + 1);
    expect(ends).toEqual([100, 150, 250, 450, 950]);
  });

  it("shrinks to 15% / 75% / 10% buffers for short warmups", () => {
    const wv = new WindowedVariance(1, 100, 75, 50, 25);
    const inv = new Float64Array(1);
    const ends: number[] = [];
    for (let it = 0; it < 100; it++) if (wv.learn(Float64Array.of(it % 7), inv)) ends.push(it + 1);
    expect(ends).toEqual([90]);
  });

  it("regularizes the variance estimate toward 1e-3 like Stan", () => {
    const wv = new WindowedVariance(1, 1000, 75, 50, 25);
    const inv = new Float64Array(1);
    const xs: number[] = [];
    for (let it = 0; it < 100; it++) {
      const v = ((it * 37) % 11) - 5;
      if (it >= 75) xs.push(v);
      wv.learn(Float64Array.of(v), inv);
    }
    const n = xs.length;
    const m = xs.reduce((a, b) => a + b, 0) / n;
    const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1);
    expect(inv[0]).toBeCloseTo((n / (n + 5)) * v + 1e-3 * (5 / (n + 5)), 12);
  });
});
