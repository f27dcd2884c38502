import { mkdtempSync, readFileSync, readdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runExperiment } from "../../lib/experiment/runner.js";
import { FileStore } from "../../lib/tracking/file-store.js";
import { Tracker } from "../../lib/tracking/tracker.js";
import rareEvents, { rareEventsSchema } from "../../experiments/rare-events.js";
import { experiments } from "../../experiments/index.js";

describe("rare-events experiment", () => {
  it("is registered and its configs (base and full) validate", () => {
    expect(experiments["rare-events"]).toBe(rareEvents);
    const base = rareEventsSchema.parse({});
    expect(base.trial.replicates).toBe(200);
    expect(base.trial.budgets.length).toBeGreaterThan(0);
  });

  it("runs end to end on a small world: child runs per replicate, verdict in conclusion.md, plots", async () => {
    const root = mkdtempSync(join(tmpdir(), "rare-events-"));
    const tracker = new Tracker(new FileStore(root));
    const lines: string[] = [];
    const outcome = await runExperiment(rareEvents, {
      tracker,
      overrides: [
        "world.tripsPerDay=1500",
        "world.vehicles=150",
        "world.historyDays=10",
        "world.monitorDays=30",
        "world.calibrationTrips=2000",
        "trial.replicates=8",
        "trial.budgets=[0.1]",
        "trial.hazardRatios=[3]",
        "trial.regression.onsetMin=8",
        "trial.regression.onsetMax=15",
        "trial.bootstrap=50",
        "workers=1",
        "rareProbability.probabilities=[1e-5]",
        "rareProbability.samples=500",
        "rareProbability.ceSamples=500",
        "rareProbability.repetitions=2",
      ],
      log: (l) => lines.push(l),
    });
    expect(outcome.status).toBe("FINISHED");
    const runId = outcome.runs[0].runId;
    const runDir = join(root, outcome.experimentId, runId);
    const conclusion = readFileSync(join(runDir, "artifacts", "conclusion.md"), "utf8");
    expect(conclusion).toMatch(/claimed improvements (reproduce|do not reproduce)/);
    expect(conclusion).toContain("budget 10%, HR 3, fleet-wide");
    expect(existsSync(join(runDir, "artifacts", "results.md"))).toBe(true);
    expect(existsSync(join(runDir, "artifacts", "plots", "sensitivity.svg"))).toBe(true);
    const csv = readFileSync(join(runDir, "artifacts", "replicates.csv"), "utf8").trim().split("\n");
    expect(csv.length).toBe(1 + 8 * 4);
    // One child run per replicate, under this run.
    const children = readdirSync(join(root, outcome.experimentId)).filter((d) => {
      const tag = join(root, outcome.experimentId, d, "tags", "mlflow.parentRunId");
      return existsSync(tag) && readFileSync(tag, "utf8") === runId;
    });
    expect(children.length).toBe(8);
    expect(lines.some((l) => l.startsWith("claim (importance vs uniform):"))).toBe(true);
    expect(existsSync(join(runDir, "metrics", "b0.1_hr3_fleet.importance.sensitivity"))).toBe(true);
  }, 60_000);
});
