import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createRng } from "../../lib/util/random.js";
import { intervalCoverage, pitCoverage, posteriorPredictive, ppcStatistic } from "../../lib/bayes/ppc.js";
import { Posterior } from "../../lib/bayes/posterior.js";
import { sample, sampleSync } from "../../lib/bayes/sample.js";
import { normalModel } from "./fixtures/normal-model.js";

const file = fileURLToPath(new URL("./fixtures/normal-model.ts", import.meta.url));
const y = Array.from({ length: 30 }, (_, i) => 3 + Math.sin(i * 2.1) * 2);

describe("posterior predictive helpers", () => {
  it("p-value is the fraction of replicated statistics >= the observed one", () => {
    const obs = Float64Array.of(2, 2);
    const reps = [Float64Array.of(1, 1), Float64Array.of(2, 2), Float64Array.of(3, 3), Float64Array.of(0, 1)];
    const r = ppcStatistic(obs, reps, (v) => v[0] + v[1]);
    expect(r.observed).toBe(4);
    expect(Array.from(r.replicated)).toEqual([2, 4, 6, 1]);
    expect(r.pValue).toBe(0.5);
  });

  it("interval coverage counts observations inside central intervals", () => {
    const reps = Array.from({ length: 101 }, (_, k) => Float64Array.of(k, k / 100));
    const c = intervalCoverage(Float64Array.of(50, 2), reps, 0.9);
    expect(c.lower[0]).toBeCloseTo(5, 12);
    expect(c.upper[0]).toBeCloseTo(95, 12);
    expect(c.inside).toBe(1);
    expect(c.coverage).toBe(0.5);
  });

  it("randomized PIT is uniform when observations come from the predictive distribution, even with atoms", () => {
    const rng = createRng(3);
    const n = 4000;
    const draw = (): number => Math.min(rng.exponential(), 1); // atom at 1 with mass e^-1
    const obs = Float64Array.from({ length: n }, draw);
    const reps = Array.from({ length: 200 }, () => Float64Array.from({ length: n }, draw));
    const pit = pitCoverage(obs, reps, createRng(4), 0.8);
    expect(Math.abs(pit.coverage - 0.8)).toBeLessThan(0.03);
    // Plain intervals over-cover here because of the atom.
    expect(intervalCoverage(obs, reps, 0.8).coverage).toBeGreaterThan(0.85);
  });

  it("replicates one data set per (thinned) draw, reproducibly", () => {
    const post = sampleSync(normalModel({ y, file }), { seed: 1, chains: 2, warmup: 200, draws: 100 });
    const sim = (x: Float64Array, r: ReturnType<typeof createRng>, out: Float64Array): void => {
      for (let i = 0; i < out.length; i++) out[i] = x[0] + x[1] * r.normal();
    };
    const a = posteriorPredictive(post, sim, { size: y.length, rng: createRng(5), maxDraws: 50 });
    const b = posteriorPredictive(post, sim, { size: y.length, rng: createRng(5), maxDraws: 50 });
    expect(a.replicates.length).toBe(50);
    expect(Array.from(a.replicates[7])).toEqual(Array.from(b.replicates[7]));
    expect(Array.from(a.chain.slice(0, 3))).toEqual([0, 0, 0]);
    expect(a.chain[49]).toBe(1);
    const check = ppcStatistic(Float64Array.from(y), a.replicates, (v) => v.reduce((s, x) => s + x, 0) / v.length);
    expect(check.pValue).toBeGreaterThan(0.05);
    expect(check.pValue).toBeLessThan(0.95);
  });
});

describe("multi-chain sampling of a user model", () => {
  it("gives the same draws on worker threads as on this thread, and round-trips through JSON", async () => {
    const model = normalModel({ y, file });
    const opts = { seed: 42, chains: 3, warmup: 200, draws: 100 };
    const single = sampleSync(model, opts);
    const threaded = await sample(model, { ...opts, workers: 2 });
    for (let c = 0; c < 3; c++) expect(Array.from(threaded.chains[c].draws)).toEqual(Array.from(single.chains[c].draws));
    const back = Posterior.fromJSON(JSON.parse(JSON.stringify(single.toJSON())));
    expect(back.summary()).toEqual(single.summary());
    expect(back.health()).toEqual(single.health());
  });

  it("surfaces a model that cannot start as a ConvergenceError from the worker", async () => {
    const bad = normalModel({ y: [1, Number.NaN], file });
    await expect(sample(bad, { seed: 1, chains: 2, workers: 2, warmup: 10, draws: 10 })).rejects.toThrow(/no initial point/);
  });
});
