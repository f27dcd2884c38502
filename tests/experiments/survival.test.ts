import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runExperiment } from "../../lib/experiment/runner.js";
import { FileStore } from "../../lib/tracking/file-store.js";
import { Tracker } from "../../lib/tracking/tracker.js";
import { FleetConfigSchema, simulateFleet } from "../../lib/simulate/fleet.js";
import { createRng } from "../../lib/util/random.js";
import survival, { fleetGaps } from "../../experiments/survival.js";

describe("fleetGaps", () => {
  it("partitions every vehicle's miles and critical events exactly into gaps per firmware", () => {
    const config = FleetConfigSchema.parse({ vehicles: 12, days: 60, tripsPerDay: 300, criticalRatePerTrip: 0.01, regressions: [] });
    const sim = simulateFleet(config, createRng(5));
    const trips = sim.trips as unknown as { length: number; columns: Record<string, ArrayLike<number>> };
    const gaps = fleetGaps(trips, config.firmware.map((f) => f.version), 12, createRng(6));
    const F = config.firmware.length;
    const miles = new Float64Array(F);
    const events = new Float64Array(F);
    for (let i = 0; i < trips.length; i++) {
      miles[trips.columns.firmware[i]] += trips.columns.miles[i];
      events[trips.columns.firmware[i]] += trips.columns.critical_events[i];
    }
    const gapTime = new Float64Array(F);
    const gapEvents = new Float64Array(F);
    for (let i = 0; i < gaps.time.length; i++) {
      expect(gaps.time[i]).toBeGreaterThan(0);
      gapTime[gaps.firmware[i]] += gaps.time[i];
      gapEvents[gaps.firmware[i]] += gaps.event[i];
    }
    for (let f = 0; f < F; f++) {
      expect(gapTime[f] * 1000).toBeCloseTo(miles[f], 6);
      expect(gapEvents[f]).toBe(events[f]);
    }
  });
});

describe("survival experiment", () => {
  it("recovers the true firmware hazard ratios without weather shocks, and records diagnostics and artifacts", async () => {
    const store = new FileStore(mkdtempSync(join(tmpdir(), "wb-survival-")));
    const outcome = await runExperiment(survival, {
      tracker: new Tracker(store),
      overrides: ["fleet.vehicles=30", "fleet.days=150", "fleet.tripsPerDay=1500", "fleet.weatherEffects=false", "bayes.chains=2", "bayes.tune=300", "bayes.draws=300", "bayes.workers=1"],
    });
    expect(outcome.status).toBe("FINISHED");
    const run = await store.getRun(outcome.runs[0].runId);
    const m = run.data.metrics;
    for (const key of ["bayes.max_rhat", "bayes.min_ess_bulk", "bayes.divergences", "ppc.pit_coverage", "logrank.p_value", "weibull_mle.rho", "cox.hr.fw_4.2.0", "km.median_kmiles.4.1.0"]) {
      expect(m[key], key).toBeTypeOf("number");
    }
    // The default firmware hazard ratios are 1.6 and 0.7 relative to 4.1.0.
    expect(m["truth.hr.fw_4.2.0"]).toBe(1.6);
    expect(m["bayes.hr.fw_4.2.0.low"]).toBeLessThan(1.6);
    expect(m["bayes.hr.fw_4.2.0.high"]).toBeGreaterThan(1.6);
    expect(m["bayes.hr.fw_4.2.0.low"]).toBeGreaterThan(1); // the effect is detected, not just covered
    const files = (await store.listArtifacts(run.info.runId, "plots")).map((a) => a.path);
    expect(files).toContain("plots/survival_curves.svg");
    expect(files).toContain("plots/trace_alpha.svg");
    expect((await store.readArtifact(run.info.runId, "conclusion.md")).toString()).toMatch(/Convergence: (passed|FAILED)/);
    expect(run.data.tags["workbench.convergence"]).toMatch(/^(ok|FAILED)$/);
  }, 180_000);
});
