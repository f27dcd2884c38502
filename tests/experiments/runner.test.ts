import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineExperiment } from "../../lib/experiment/definition.js";
import { runExperiment } from "../../lib/experiment/runner.js";
import { FileStore } from "../../lib/tracking/file-store.js";
import { Tracker } from "../../lib/tracking/tracker.js";
import rateEstimate, { garwoodInterval, jeffreysInterval } from "../../experiments/rate-estimate.js";

function setup() {
  const root = mkdtempSync(join(tmpdir(), "wb-runner-"));
  const configDir = join(root, "configs");
  mkdirSync(join(configDir, "flaky"), { recursive: true });
  writeFileSync(join(configDir, "flaky", "base.yaml"), "seed: 1\nfailAt: 2\n");
  const store = new FileStore(join(root, "mlruns"));
  return { configDir, store, tracker: new Tracker(store) };
}

const flaky = defineExperiment({
  name: "flaky",
  description: "fails when seed equals failAt",
  schema: z.strictObject({ seed: z.number().int().default(1), failAt: z.number().int().default(2) }),
  async run(config, { run, rng }) {
    await run.logMetric("draw", rng.uniform());
    if (config.seed === config.failAt) throw new Error(`seed ${config.seed} is cursed`);
    return { metrics: { ok: 1 }, lines: [] };
  },
});

describe("runExperiment", () => {
  it("marks a failing child FAILED with its error, and the parent FAILED, while other children finish", async () => {
    const { configDir, store, tracker } = setup();
    const outcome = await runExperiment(flaky, { tracker, configDir, seeds: 3 });
    expect(outcome.runs.map((r) => r.status)).toEqual(["FINISHED", "FAILED", "FINISHED"]);
    expect(outcome.runs[1].error).toContain("seed 2 is cursed");
    expect(outcome.status).toBe("FAILED");
    const failed = await store.getRun(outcome.runs[1].runId);
    expect(failed.data.tags["workbench.error"]).toContain("cursed");
    expect((await store.getRun(outcome.parentRunId as string)).info.status).toBe("FAILED");
  });

  it("validates every sweep point before creating any run", async () => {
    const { configDir, store, tracker } = setup();
    await expect(runExperiment(flaky, { tracker, configDir, overrides: ["failAt=1,x"] })).rejects.toThrow(/expected an integer, got 'x'/);
    expect((await store.listExperiments()).map((e) => e.name)).toEqual(["Default"]);
  });

  it("gives bit-identical metrics for the same config and seed", async () => {
    const { store, tracker } = setup();
    const a = await runExperiment(rateEstimate, { tracker, overrides: ["days=20"] });
    const b = await runExperiment(rateEstimate, { tracker, overrides: ["days=20"] });
    const histories = async (runId: string) => (await store.getMetricHistory(runId, "rate_per_million")).map((m) => m.value);
    expect(await histories(a.runs[0].runId)).toEqual(await histories(b.runs[0].runId));
    expect(a.runs[0].configHash).toBe(b.runs[0].configHash);
    const c = await runExperiment(rateEstimate, { tracker, overrides: ["days=20", "seed=7"] });
    expect(await histories(c.runs[0].runId)).not.toEqual(await histories(a.runs[0].runId));
  });
});

describe("rate-estimate intervals", () => {
  it("match published exact Poisson limits (Garwood 1936; table values as in Ulm 1990)", () => {
    // 95% limits for counts 0, 1, 5, 10 with exposure 1.
    const cases: [number, number, number][] = [
      [0, 0, 3.688879],
      [1, 0.025318, 5.571643],
      [5, 1.623486, 11.668332],
      [10, 4.795389, 18.390356],
    ];
    for (const [k, lo, hi] of cases) {
      const [l, h] = garwoodInterval(k, 1, 0.95);
      expect(l).toBeCloseTo(lo, 5);
      expect(h).toBeCloseTo(hi, 5);
    }
    const [jl, jh] = jeffreysInterval(10, 2, 0.95);
    expect(jl).toBeLessThan(5);
    expect(jh).toBeGreaterThan(5);
  });

  it("covers the true rate at about the nominal level over seeded replicates", async () => {
    const { tracker } = setup();
    const outcome = await runExperiment(rateEstimate, { tracker, overrides: ["days=30", "vehicles=300", "trueRatePerMillionMiles=20"], seeds: 60 });
    const covered = outcome.runs.filter((r) => r.summary?.metrics.final_covers_truth === 1).length;
    // Exact intervals are conservative: coverage >= 95% in expectation. With 60 replicates the
    // count of covering intervals is >= 52 with probability > 0.99 when coverage is 0.95.
    expect(covered).toBeGreaterThanOrEqual(52);
  });
});
