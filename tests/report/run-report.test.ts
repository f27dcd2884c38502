import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildRunReport } from "../../lib/report/run-report.js";
import { runExperiment, type ExperimentOutcome } from "../../lib/experiment/runner.js";
import { createTracker, type Tracker } from "../../lib/tracking/tracker.js";
import { experiments } from "../../experiments/index.js";

const root = join(import.meta.dirname, "..", "..");

describe("run comparison report", () => {
  let tracker: Tracker;
  let sweep: ExperimentOutcome;

  beforeAll(async () => {
    tracker = createTracker({ trackingUri: join(mkdtempSync(join(tmpdir(), "report-")), "mlruns") });
    sweep = await runExperiment(experiments["rate-estimate"], { tracker, configDir: join(root, "configs"), overrides: ["days=12", "vehicles=20,80"], seeds: 2 });
    await tracker.withRun({ experiment: "other" }, async (run) => run.logMetric("x", 1));
  }, 120_000);

  it("compares every child run of a sweep (not the parent) with provenance", async () => {
    const report = await buildRunReport({ tracker, experiment: "rate-estimate" });
    expect(report.runs.map((r) => r.info.runId).sort()).toEqual(sweep.runs.map((r) => r.runId).sort());
    expect(report.differingParams.sort()).toEqual(["seed", "vehicles"]);
    for (const r of sweep.runs) expect(report.html).toContain(r.configHash.slice(0, 12));
    const commit = report.runs[0].data.tags["mlflow.source.git.commit"];
    if (commit) expect(report.html).toContain(commit.slice(0, 12));
  });

  it("tabulates metrics and draws them across runs, against the swept param and by step", async () => {
    const report = await buildRunReport({ tracker, experiment: "rate-estimate" });
    expect(report.metrics).toContain("final_interval_width");
    const width = report.runs[0].data.metrics.final_interval_width;
    expect(report.html).toContain(`>${Number(width.toPrecision(6))}</td>`);
    expect(report.html).toContain("final_interval_width vs vehicles");
    expect(report.html).toMatch(/covered by step|cumulative_events by step/);
    expect(report.figures).toBeGreaterThan(3);
    expect(report.html).not.toMatch(/(src|href)="(?!data:)[^"#]/);
  });

  it("reports only the named runs", async () => {
    const ids = sweep.runs.slice(0, 2).map((r) => r.runId);
    const report = await buildRunReport({ tracker, experiment: "rate-estimate", runIds: ids });
    expect(report.runs.map((r) => r.info.runId)).toEqual(ids);
  });

  it("names what is wrong with the selection", async () => {
    await expect(buildRunReport({ tracker, experiment: "nope" })).rejects.toThrow("no tracked experiment named 'nope'");
    await expect(buildRunReport({ tracker, experiment: "rate-estimate", runIds: ["0123"] })).rejects.toThrow("no run with id '0123'");
    const other = (await tracker.searchAllRuns({ experiments: ["other"] }))[0].info.runId;
    await expect(buildRunReport({ tracker, experiment: "rate-estimate", runIds: [other] })).rejects.toThrow(/belongs to experiment .*, not to 'rate-estimate'/);
  });
});
