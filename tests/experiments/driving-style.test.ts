import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runExperiment } from "../../lib/experiment/runner.js";
import { FileStore } from "../../lib/tracking/file-store.js";
import { Tracker } from "../../lib/tracking/tracker.js";
import drivingStyle, { classReport, stratifiedTestTrips } from "../../experiments/driving-style.js";

describe("classReport", () => {
  it("computes accuracy and per-class F1 from counts", () => {
    // y: 0 0 0 1 1 ; pred: 0 1 0 1 0 -> class 0: P 2/3 R 2/3; class 1: P 1/2 R 1/2.
    const rep = classReport([0, 0, 0, 1, 1], [0, 1, 0, 1, 0]);
    expect(rep.accuracy).toBeCloseTo(3 / 5, 12);
    expect(rep.perClass[0].f1).toBeCloseTo(2 / 3, 12);
    expect(rep.perClass[1].f1).toBeCloseTo(1 / 2, 12);
    expect(rep.perClass[1].support).toBe(2);
  });
});

describe("stratifiedTestTrips", () => {
  it("holds out every k-th trip per style and at least one of each style with two trips", () => {
    const trips = [1, 0, 0, 0, 1, 0, 0, 0, 0].map((label, i) => ({ tripId: i + 1, label }));
    // Style 0: trips 2,3,4,6,7,8,9 -> every 3rd: 4, 8; style 1: trips 1, 5 -> none by rule, so the last (5).
    expect([...stratifiedTestTrips(trips, 3)].sort((a, b) => a - b)).toEqual([4, 5, 8]);
  });
});

describe("driving-style experiment", () => {
  it("classifies held-out trips, logs per-class F1, importances, models and streaming latency", async () => {
    const store = new FileStore(mkdtempSync(join(tmpdir(), "wb-driving-")));
    const outcome = await runExperiment(drivingStyle, {
      tracker: new Tracker(store),
      overrides: ["vehicle.trips=24", "vehicle.tripSeconds=90", "forest.nEstimators=100", "boosting.numBoostRound=30"],
    });
    expect(outcome.status).toBe("FINISHED");
    const run = await store.getRun(outcome.runs[0].runId);
    const m = run.data.metrics;
    for (const model of ["rf", "gbm"]) {
      for (const k of ["accuracy", "f1.NORMAL", "f1.AGGRESSIVE", "importance.rpm_std", "importance.power_factor_mean"]) expect(m[`${model}.${k}`], `${model}.${k}`).toBeTypeOf("number");
      // Aggressive drivers rev far higher in the simulator: held-out trips separate well.
      expect(m[`${model}.accuracy`]).toBeGreaterThan(0.85);
    }
    let sum = 0;
    for (const [k, v] of Object.entries(m)) if (k.startsWith("rf.importance.")) sum += v;
    expect(sum).toBeCloseTo(1, 9);
    // 90 s trips, 10 s windows, 1 s stride: 81 one-second predictions per held-out trip, one per test window.
    expect(m["stream.predictions"]).toBe(m["data.test_windows"]);
    expect(m["stream.predictions"] % 81).toBe(0);
    expect(m["stream.predictions"]).toBeGreaterThanOrEqual(2 * 81);
    expect(m["stream.agreement_with_batch"]).toBe(1);
    expect(m["timing.stream.latency_p99_ms"]).toBeGreaterThanOrEqual(m["timing.stream.latency_p50_ms"]);
    const files = (await store.listArtifacts(run.info.runId, "model")).map((a) => a.path);
    expect(files).toEqual(expect.arrayContaining(["model/random_forest.json", "model/booster.json"]));
    const stream = (await store.readArtifact(run.info.runId, "tables/stream_predictions.csv")).toString();
    expect(stream.trim().split("\n").length).toBe(1 + m["stream.predictions"]);
  }, 120_000);
});
