/**
 * Verified reproduction: every registered experiment re-runs from its logged config.yaml and seed
 * and must match bit for bit; a tampered run must not; notebooks reproduce from their parameters.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { listVariants } from "../../lib/config/load.js";
import { runExperiment } from "../../lib/experiment/runner.js";
import { serializeNotebook } from "../../lib/notebook/nbformat.js";
import { fromPercent } from "../../lib/notebook/percent.js";
import { runNotebook } from "../../lib/notebook/runner.js";
import { provenanceWarnings, reproduceRun, TIMING_METRIC } from "../../lib/report/reproduce.js";
import type { Run } from "../../lib/tracking/entities.js";
import { createTracker } from "../../lib/tracking/tracker.js";
import { experiments } from "../../experiments/index.js";
import { main } from "../../cli/main.js";

const root = join(import.meta.dirname, "..", "..");
const configDir = join(root, "configs");

/**
 * Small overrides that keep each experiment fast. A new experiment is covered automatically: it
 * runs with its `smoke` variant when configs/<name>/smoke.yaml exists, else with its base config.
 */
const SMALL: Record<string, string[]> = {
  "rate-estimate": ["days=30", "vehicles=50"],
  "rare-events": [
    "workers=1",
    "childRuns=false",
    "world.vehicles=100",
    "world.tripsPerDay=1000",
    "trial.replicates=4",
    "trial.budgets=[0.05]",
    "trial.hazardRatios=[2]",
    "rareProbability.probabilities=[1e-4]",
    "rareProbability.samples=500",
    "rareProbability.ceSamples=200",
    "rareProbability.repetitions=2",
  ],
};

function newTracker() {
  return createTracker({ trackingUri: join(mkdtempSync(join(tmpdir(), "reproduce-")), "mlruns") });
}

describe("every registered experiment reproduces bit for bit", () => {
  for (const definition of Object.values(experiments)) {
    it(definition.name, async () => {
      const tracker = newTracker();
      const variant = listVariants(configDir, definition.name).includes("smoke") ? "smoke" : undefined;
      const outcome = await runExperiment(definition, { tracker, configDir, variant, overrides: variant ? [] : (SMALL[definition.name] ?? []) });
      expect(outcome.status).toBe("FINISHED");
      const original = outcome.runs[0].runId;
      const result = await reproduceRun(original, { tracker, experiments, root });
      expect(result.diffs).toEqual([]);
      expect(result.metricsCompared).toBeGreaterThan(0);
      expect(result.reproduced).toBe(true);
      const copy = await tracker.store.getRun(result.newRunId);
      const first = await tracker.store.getRun(original);
      expect(copy.data.tags["workbench.config_hash"]).toBe(first.data.tags["workbench.config_hash"]);
      expect(copy.data.tags["workbench.seed"]).toBe(first.data.tags["workbench.seed"]);
      expect(copy.data.tags["workbench.reproduction_of"]).toBe(original);
      expect(copy.data.params).toEqual(first.data.params);
    }, 300_000);
  }
});

describe("reproduce finds differences and refuses what it cannot re-run", () => {
  it("reports a changed metric with full precision and exits 1 from the CLI", async () => {
    const tracker = newTracker();
    const outcome = await runExperiment(experiments["rate-estimate"], { tracker, configDir, overrides: ["days=8", "vehicles=10"] });
    const id = outcome.runs[0].runId;
    const before = (await tracker.store.getRun(id)).data.metrics.final_rate_per_million;
    // Tamper: a later point for one metric, as if the code had changed the result.
    await tracker.store.logBatch(id, { metrics: [{ key: "final_rate_per_million", value: before + 1e-9, step: 99, timestamp: Date.now() }] });
    const result = await reproduceRun(id, { tracker, experiments, root });
    expect(result.reproduced).toBe(false);
    expect(result.diffs.map((d) => d.key)).toEqual(["final_rate_per_million"]);
    expect(result.diffs[0].original).toBe(before + 1e-9);
    expect(result.diffs[0].reproduced).toBe(before);

    const printed: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => (printed.push(String(chunk)), true));
    let code: number;
    try {
      code = await main(["--tracking-uri", (tracker.store as unknown as { root: string }).root, "reproduce", id]);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(1);
    const text = printed.join("");
    expect(text).toContain("NOT reproduced");
    expect(text).toContain(String(before + 1e-9));
  }, 120_000);

  it("refuses sweep parents and runs without an experiment tag", async () => {
    const tracker = newTracker();
    const sweep = await runExperiment(experiments["rate-estimate"], { tracker, configDir, overrides: ["days=3", "vehicles=5,6"] });
    await expect(reproduceRun(sweep.parentRunId as string, { tracker, experiments, root })).rejects.toThrow(/is a sweep parent; reproduce one of its child runs/);
    const plain = await tracker.startRun({ experiment: "x" });
    await plain.end();
    await expect(reproduceRun(plain.runId, { tracker, experiments, root })).rejects.toThrow(/has no workbench.experiment or workbench.notebook tag/);
  }, 120_000);

  it("leaves wall-time metrics out of the comparison", () => {
    for (const k of ["replicate_seconds", "world_seconds", "fit.duration", "time.total", "train_ms", "rows_per_second"]) expect(TIMING_METRIC.test(k)).toBe(true);
    for (const k of ["final_rate_per_million", "sensitivity", "mttd_days", "ms_error", "msd"]) expect(TIMING_METRIC.test(k)).toBe(false);
  });

  it("warns when the code may differ from the logged commit", () => {
    const run = { info: {}, data: { tags: { "mlflow.source.git.commit": "0000000deadbeef", "workbench.git.dirty": "true" }, params: {}, metrics: {} } } as unknown as Run;
    const warnings = provenanceWarnings(run, root);
    expect(warnings.some((w) => w.includes("commit 0000000deadb"))).toBe(true);
    expect(warnings).toContain("the run was made from a tree with uncommitted changes: its exact code is unknown");
    const none = { info: {}, data: { tags: {}, params: {}, metrics: {} } } as unknown as Run;
    expect(provenanceWarnings(none, root)[0]).toBe("the run recorded no git commit: the code it ran cannot be checked");
  });
});

describe("a notebook run reproduces from its logged parameters", () => {
  it("re-runs with the same parameters and compares the metrics the notebook logged", async () => {
    const tracker = newTracker();
    const storeRoot = (tracker.store as unknown as { root: string }).root;
    const dir = mkdtempSync(join(tmpdir(), "reproduce-nb-"));
    const path = join(dir, "seeded.ipynb");
    writeFileSync(
      path,
      serializeNotebook(
        fromPercent(`// %% tags=["parameters"]\nlet seed = 1;\n\n// %%\nimport { createRng } from "./lib/util/random.js";\nimport { notebookRun } from "./lib/notebook/context.js";\nconst rng = createRng(seed);\nconst run = await notebookRun();\nfor (let i = 0; i < 5; i++) await run.logMetric("draw", rng.normal(), i);\nawait run.end();\n`),
      ),
    );
    const first = await runNotebook(path, { root, parameters: { seed: "4" }, trackingUri: storeRoot });
    expect(first.status).toBe("completed");
    const result = await reproduceRun(first.runId as string, { tracker, experiments, root });
    expect(result.kind).toBe("notebook");
    expect(result.pointsCompared).toBe(5);
    expect(result.reproduced).toBe(true);
    const copy = await tracker.store.getRun(result.newRunId);
    expect(copy.data.params).toEqual({ seed: "4" });
    expect(existsSync(path)).toBe(true);
  }, 240_000);
});
