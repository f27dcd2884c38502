import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DataError } from "../../lib/errors.js";
import { createRng } from "../../lib/util/random.js";
import {
  fitWeibullSurvival,
  prepareWeibullSurvival,
  simulateWeibullSurvival,
  WeibullSurvivalModel,
  weibullSurvivalFromJSON,
  weibullSurvivalPpc,
  weibullSurvivalTapeModel,
  type WeibullSurvivalData,
} from "../../lib/bayes/models/weibull-survival.js";

const TRUTH = { mu: 1.5, alpha: 1.3, sigma: 0.5, beta: [0.5, -0.25] };

describe("hand-written gradient", () => {
  const cases = [
    { name: "two covariates", beta: [0.5, -0.25] },
    { name: "no covariates", beta: [] as number[] },
  ];
  for (const c of cases) {
    it(`matches the autodiff tape path (${c.name})`, () => {
      const sim = simulateWeibullSurvival({ ...TRUTH, beta: c.beta }, { rows: 300, groups: 7, censorMax: 8 }, createRng(9));
      const args = prepareWeibullSurvival(sim, { muMean: 1, muSd: 3, sigmaSd: 0.7, betaSd: 2, alphaLogSd: 0.5 });
      const fast = new WeibullSurvivalModel(args);
      const tape = weibullSurvivalTapeModel(args);
      const dim = fast.layout.dim;
      expect(tape.layout.dim).toBe(dim);
      fc.assert(
        fc.property(fc.array(fc.double({ min: -1.5, max: 1.5, noNaN: true }), { minLength: dim, maxLength: dim }), (raw) => {
          const u = Float64Array.from(raw);
          u[0] += 1.5;
          const g1 = new Float64Array(dim);
          const g2 = new Float64Array(dim);
          const lp1 = fast.logDensityGradient(u, g1);
          const lp2 = tape.logDensityGradient(u, g2);
          expect(Math.abs(lp1 - lp2) / Math.max(1, Math.abs(lp2))).toBeLessThan(1e-12);
          for (let i = 0; i < dim; i++) expect(Math.abs(g1[i] - g2[i]) / Math.max(1, Math.abs(g2[i]))).toBeLessThan(1e-10);
        }),
        { numRuns: 25, seed: 7 },
      );
    });
  }

  it("the tape path itself agrees with finite differences", () => {
    const sim = simulateWeibullSurvival(TRUTH, { rows: 50, groups: 3, censorMax: 8 }, createRng(2));
    const model = weibullSurvivalTapeModel(prepareWeibullSurvival(sim));
    const dim = model.layout.dim;
    const u = Float64Array.from({ length: dim }, (_, i) => 0.1 * Math.sin(i + 1) + (i === 0 ? 1.5 : 0));
    const g = new Float64Array(dim);
    model.logDensityGradient(u, g);
    const scratch = new Float64Array(dim);
    for (let i = 0; i < dim; i++) {
      const h = 1e-6;
      const up = Float64Array.from(u);
      const dn = Float64Array.from(u);
      up[i] += h;
      dn[i] -= h;
      const fd = (model.logDensityGradient(up, scratch) - model.logDensityGradient(dn, scratch)) / (2 * h);
      expect(Math.abs(g[i] - fd) / Math.max(1, Math.abs(fd))).toBeLessThan(1e-6);
    }
  });
});

describe("bad input", () => {
  const base: WeibullSurvivalData = { time: [1, 2, 3], event: [1, 0, 1], group: [0, 1, 0] };
  it("names rows with durations <= 0 or NaN", () => {
    expect(() => prepareWeibullSurvival({ ...base, time: [1, 0, NaN] })).toThrow(DataError);
    expect(() => prepareWeibullSurvival({ ...base, time: [1, 0, NaN] })).toThrow(/time must be finite and > 0: row 1 \(0\), row 2 \(NaN\)/);
  });
  it("names rows whose event flag is not 0/1", () => {
    expect(() => prepareWeibullSurvival({ ...base, event: [1, 2, 0.5] })).toThrow(/event must be 0 or 1: row 1 \(2\), row 2 \(0.5\)/);
  });
  it("names bad groups and covariates", () => {
    expect(() => prepareWeibullSurvival({ ...base, group: [0, -1, 1.5] })).toThrow(/group must be an integer >= 0: row 1/);
    expect(() => prepareWeibullSurvival({ ...base, covariates: { names: ["fw"], values: [0, NaN, 1] } })).toThrow(/covariate fw is not finite at row 1/);
  });
});

describe("parameter recovery and hazard ratios on simulated data", () => {
  for (const seed of [101, 202, 303]) {
    it(`seed ${seed}: posterior means within 4 sd of the truth; hazard ratio exp(-alpha beta)`, async () => {
      const sim = simulateWeibullSurvival(TRUTH, { rows: 400, groups: 10, censorMax: 12 }, createRng(seed));
      const fit = await fitWeibullSurvival(sim, { warmup: 500, draws: 500, workers: 1 }, { seed });
      const rows = fit.summary();
      const byName = new Map(rows.map((r) => [r.name, r]));
      const truth: Record<string, number> = { mu: TRUTH.mu, alpha: TRUTH.alpha, sigma: TRUTH.sigma, "beta[0]": TRUTH.beta[0], "beta[1]": TRUTH.beta[1] };
      for (const [name, value] of Object.entries(truth)) {
        const r = byName.get(name)!;
        expect(Math.abs(r.mean - value), `${name}: mean ${r.mean} sd ${r.sd} truth ${value}`).toBeLessThan(4 * r.sd);
        expect(r.rHat).toBeLessThan(1.05);
      }
      const hr = fit.hazardRatios(0.99);
      // beta[0] > 0 lengthens lifetimes, so its hazard ratio is below 1 (and above 1 for beta[1] < 0).
      const hr0 = Math.exp(-TRUTH.alpha * TRUTH.beta[0]);
      const hr1 = Math.exp(-TRUTH.alpha * TRUTH.beta[1]);
      expect(hr[0].covariate).toBe("x0");
      expect(hr[0].low).toBeLessThan(hr0);
      expect(hr[0].high).toBeGreaterThan(hr0);
      expect(hr[0].high).toBeLessThan(1);
      expect(hr[0].probAboveOne).toBeLessThan(0.01);
      expect(hr[1].low).toBeLessThan(hr1);
      expect(hr[1].high).toBeGreaterThan(hr1);
      expect(hr[1].low).toBeGreaterThan(1);
      // The reported hazard ratio is exp(-alpha beta) draw by draw, not exp(beta) or exp(-beta).
      const post = fit.posterior;
      const a = post.draws("alpha")[0];
      const b = post.draws("beta[0]")[0];
      const direct = Array.from(a, (al, k) => Math.exp(-al * b[k]));
      expect(Math.abs(hr[0].mean - mean(post.derive((x) => Math.exp(-x[1] * x[3])).flatMap((c) => Array.from(c))))).toBeLessThan(1e-12);
      expect(Math.abs(mean(direct) - hr[0].mean)).toBeLessThan(0.05);
    });
  }
});

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

describe("posterior predictive check", () => {
  it("is calibrated on data from the model (known follow-up), and flags a wrong model", async () => {
    const sim = simulateWeibullSurvival(TRUTH, { rows: 400, groups: 10, censorMax: 12 }, createRng(77));
    const fit = await fitWeibullSurvival(sim, { warmup: 400, draws: 250, workers: 1 }, { seed: 5 });
    const ppc = weibullSurvivalPpc(fit, sim, { rng: createRng(8), followUp: sim.followUp, maxDraws: 200 });
    expect(ppc.draws).toBe(200);
    expect(ppc.events.pValue).toBeGreaterThan(0.02);
    expect(ppc.events.pValue).toBeLessThan(0.98);
    expect(ppc.meanLogTime.pValue).toBeGreaterThan(0.02);
    expect(ppc.meanLogTime.pValue).toBeLessThan(0.98);
    // 400 rows: the binomial sd of a 90% coverage is 0.015.
    expect(Math.abs(ppc.pitCoverage - 0.9)).toBeLessThan(0.045);
    // Plain intervals over-cover: censored rows sit on the atom at their censoring time.
    expect(ppc.coverage.coverage).toBeGreaterThanOrEqual(ppc.pitCoverage);
    // The same fit checked against data whose times are all 3x longer must fail the mean-log-time check.
    const stretched = { ...sim, time: sim.time.map((t) => 3 * t), followUp: sim.followUp.map((t) => 3 * t) };
    const bad = weibullSurvivalPpc(fit, stretched, { rng: createRng(8), followUp: stretched.followUp, maxDraws: 200 });
    expect(bad.meanLogTime.pValue).toBe(0);
  });
});

describe("matches PyMC on the same data", () => {
  // Made by tests/bayes/fixtures/make_pymc_fixture.py (PyMC NUTS, 4 chains x 5000 draws).
  interface PymcFixture {
    pymc_version: string;
    data: { time: number[]; event: number[]; group: number[]; nGroups: number; covariateNames: string[]; x: number[] };
    posterior: Record<string, { mean: number; sd: number; mcse_mean: number; mcse_sd: number }>;
  }
  it("posterior means and sds agree within Monte Carlo error", async () => {
    const fx = JSON.parse(readFileSync(new URL("./fixtures/weibull_pymc.json", import.meta.url), "utf8")) as PymcFixture;
    expect(fx.pymc_version).toBe("5.28.5");
    const data: WeibullSurvivalData = {
      time: fx.data.time,
      event: fx.data.event,
      group: fx.data.group,
      nGroups: fx.data.nGroups,
      covariates: { names: fx.data.covariateNames, values: fx.data.x },
    };
    const fit = await fitWeibullSurvival(data, { warmup: 1000, draws: 1000, workers: 1 }, { seed: 2024 });
    const rows = fit.summary();
    let worst = 0;
    for (const r of rows) {
      const ref = fx.posterior[r.name];
      expect(ref, `PyMC fixture lacks ${r.name}`).toBeDefined();
      const zMean = Math.abs(r.mean - ref.mean) / Math.hypot(r.mcseMean, ref.mcse_mean);
      const zSd = Math.abs(r.sd - ref.sd) / Math.hypot(r.mcseSd, ref.mcse_sd);
      worst = Math.max(worst, zMean, zSd);
      expect(zMean, `${r.name} mean: ours ${r.mean} (mcse ${r.mcseMean}) vs PyMC ${ref.mean} (mcse ${ref.mcse_mean})`).toBeLessThan(4.5);
      expect(zSd, `${r.name} sd: ours ${r.sd} (mcse ${r.mcseSd}) vs PyMC ${ref.sd} (mcse ${ref.mcse_sd})`).toBeLessThan(4.5);
    }
    expect(worst).toBeGreaterThan(0);
  });
});

describe("serialization and worker-count invariance", () => {
  it("gives identical draws with 1 and 2 worker threads, and round-trips through JSON", async () => {
    const sim = simulateWeibullSurvival(TRUTH, { rows: 200, groups: 5, censorMax: 12 }, createRng(4));
    const opts = { warmup: 150, draws: 100, chains: 3 };
    const progress: string[] = [];
    const one = await fitWeibullSurvival(sim, { ...opts, workers: 1 }, { seed: 99 });
    const two = await fitWeibullSurvival(sim, { ...opts, workers: 2 }, { seed: 99, onProgress: (e) => progress.push(`${e.chain}:${e.phase}`) });
    for (let c = 0; c < 3; c++) {
      expect(Array.from(two.posterior.chains[c].draws)).toEqual(Array.from(one.posterior.chains[c].draws));
      expect(Array.from(two.posterior.chains[c].stats.energy)).toEqual(Array.from(one.posterior.chains[c].stats.energy));
    }
    expect(progress).toContain("2:sampling");
    const back = weibullSurvivalFromJSON(JSON.parse(JSON.stringify(one.toJSON())));
    expect(back.summary()).toEqual(one.summary());
    expect(back.hazardRatios()).toEqual(one.hazardRatios());
  });
});
