import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runExperiment } from "../../lib/experiment/runner.js";
import { FileStore } from "../../lib/tracking/file-store.js";
import { Tracker } from "../../lib/tracking/tracker.js";
import { simulateEv } from "../../lib/simulate/ev.js";
import { createRng } from "../../lib/util/random.js";
import failurePrediction, { dailyFeatures, severityOf, takeRows, timeSplit } from "../../experiments/failure-prediction.js";

const VEHICLES = 12;
const DAYS = 120;
const SPLIT = 70;

function table() {
  return simulateEv({ vehicles: VEHICLES, days: DAYS, failureRatePerVehicleYear: 2 }, createRng(3)).table;
}

describe("dailyFeatures and timeSplit", () => {
  it("leave training features unchanged when every value from the split day on is changed", () => {
    const a = table();
    const b = table();
    const c = b.columns;
    let changed = 0;
    for (let i = 0; i < b.length; i++) {
      if (c.day[i] < SPLIT) continue;
      for (const name of ["cell_temp_max_c", "cell_temp_mean_c", "cell_voltage_spread_mv", "motor_temp_max_c", "soh_pct", "distance_km", "ambient_c"] as const) c[name][i] = c[name][i] * 3 + 17;
      c.charge_failures[i] += 5;
      c.dtc_count[i] += 2;
      changed++;
    }
    expect(changed).toBe(VEHICLES * (DAYS - SPLIT));
    const fa = dailyFeatures(a, VEHICLES, DAYS, [7, 30]);
    const fb = dailyFeatures(b, VEHICLES, DAYS, [7, 30]);
    for (const h of [7, 30]) {
      const sa = timeSplit(fa, SPLIT, h);
      const sb = timeSplit(fb, SPLIT, h);
      expect(Array.from(sb.train)).toEqual(Array.from(sa.train));
      expect(sa.train.length).toBeGreaterThan(0);
      const xa = takeRows(fa.X, sa.train).values;
      const xb = takeRows(fb.X, sb.train).values;
      expect(Buffer.from(xb.buffer).equals(Buffer.from(xa.buffer))).toBe(true);
      // The test features do see the change (so the comparison above could fail).
      const ta = takeRows(fa.X, sa.test).values;
      const tb = takeRows(fb.X, sb.test).values;
      expect(Buffer.from(tb.buffer).equals(Buffer.from(ta.buffer))).toBe(false);
    }
  });

  it("keeps every training label window before the split day and every test row after it", () => {
    const f = dailyFeatures(table(), VEHICLES, DAYS, [7, 14, 30]);
    for (const h of [7, 14, 30]) {
      const s = timeSplit(f, SPLIT, h);
      for (const r of s.train) expect(r % DAYS + h).toBeLessThan(SPLIT);
      for (const r of s.test) expect(r % DAYS).toBeGreaterThanOrEqual(SPLIT);
      // Rows that could be used are: every non-repair, non-failure row with a closed label window.
      let eligible = 0;
      for (let r = 0; r < VEHICLES * DAYS; r++) if (!f.inRepair[r] && !f.failure[r] && (r % DAYS) + h < SPLIT) eligible++;
      expect(s.train.length).toBe(eligible);
    }
  });

  it("carves a validation slice from the training period with a one-horizon gap and no label overlap", () => {
    const f = dailyFeatures(table(), VEHICLES, DAYS, [7, 14, 30]);
    const labelDays = (r: number, h: number) => [(r % DAYS) + 1, (r % DAYS) + h];
    for (const [split, h] of [[SPLIT, 7], [SPLIT, 14], [110, 30]]) {
      const s = timeSplit(f, split, h, 0.25);
      const usable = split - h;
      const validDays = Math.max(1, Math.round(0.25 * usable));
      expect(s.validStart).toBe(usable - validDays);
      expect(s.valid.length).toBeGreaterThan(0);
      for (const r of s.train) {
        // The whole label window of a training row ends before the first validation day.
        expect(labelDays(r, h)[1]).toBeLessThan(s.validStart);
      }
      for (const r of s.valid) {
        expect(r % DAYS).toBeGreaterThanOrEqual(s.validStart);
        expect(labelDays(r, h)[1]).toBeLessThan(split);
      }
      expect(s.train.length).toBeGreaterThan(0);
      expect(s.test.length).toBeGreaterThan(0);
      for (const r of s.test) expect(r % DAYS).toBeGreaterThanOrEqual(split);
      const seen = new Set<number>();
      for (const part of [s.train, s.valid, s.test]) for (const r of part) {
        expect(seen.has(r)).toBe(false);
        seen.add(r);
      }
      // Every eligible row of the validation days is in the slice.
      let eligible = 0;
      for (let r = 0; r < VEHICLES * DAYS; r++) {
        const d = r % DAYS;
        if (f.present[r] && !f.inRepair[r] && !f.failure[r] && d >= s.validStart && d < usable) eligible++;
      }
      expect(s.valid.length).toBe(eligible);
    }
    // A horizon whose gap eats the whole training period is refused with the numbers at fault.
    expect(() => timeSplit(f, 40, 30, 0.5)).toThrow(/horizon 30 leaves no training days/);
  });

  it("computes trailing means and deltas by their definition", () => {
    const t = table();
    const f = dailyFeatures(t, VEHICLES, DAYS, [7]);
    const p = f.X.nCols;
    const col = f.featureNames.indexOf("motor_temp_max_c_mean7");
    const delta = f.featureNames.indexOf("motor_temp_max_c_delta7");
    const series = new Float64Array(DAYS);
    for (let i = 0; i < t.length; i++) if (t.columns.vehicle_id[i] === 3) series[t.columns.day[i]] = t.columns.motor_temp_max_c[i];
    const mean = (from: number, to: number) => {
      let s = 0;
      for (let d = Math.max(0, from); d <= to; d++) s += series[d];
      return s / (to - Math.max(0, from) + 1);
    };
    for (const d of [0, 3, 6, 20, 119]) {
      const r = 2 * DAYS + d;
      expect(f.X.values[r * p + col]).toBeCloseTo(mean(d - 6, d), 9);
      if (d >= 7) expect(f.X.values[r * p + delta]).toBeCloseTo(mean(d - 6, d) - mean(d - 13, d - 7), 9);
    }
  });

  it("orders severity by the shortest horizon that alerts", () => {
    expect(severityOf([true, true, true])).toBe("CRITICAL");
    expect(severityOf([false, true, true])).toBe("HIGH");
    expect(severityOf([false, false, true])).toBe("MEDIUM");
    expect(severityOf([false, false, false])).toBe("LOW");
  });
});

describe("failure-prediction experiment", () => {
  it("logs ranking metrics, lead times, SHAP, severity, models and plots", async () => {
    const store = new FileStore(mkdtempSync(join(tmpdir(), "wb-failure-")));
    const outcome = await runExperiment(failurePrediction, {
      tracker: new Tracker(store),
      overrides: ["ev.vehicles=40", "ev.days=300", "ev.failureRatePerVehicleYear=2", "model.numBoostRound=30", "shapRows=200"],
    });
    expect(outcome.status).toBe("FINISHED");
    const run = await store.getRun(outcome.runs[0].runId);
    const m = run.data.metrics;
    for (const h of [7, 14, 30]) {
      for (const k of ["pr_auc", "roc_auc", "precision_at_alert_threshold", "recall_at_alert_threshold", "lead_time_mean_days", "test_positives", "valid_pr_auc", "valid_recall_at_precision"]) {
        expect(m[`h${h}d.${k}`], `h${h}d.${k}`).toBeTypeOf("number");
      }
      expect(m[`h${h}d.pr_auc`]).toBeGreaterThan(m[`h${h}d.prevalence`]);
      expect(m[`h${h}d.valid_positives`]).toBeGreaterThan(0);
      expect(m[`h${h}d.best_iteration`]).toBeGreaterThanOrEqual(1);
      expect(m[`h${h}d.best_iteration`]).toBeLessThanOrEqual(30);
    }
    // The threshold is picked on validation, so test precision only roughly tracks the 0.5 target.
    expect(m["h7d.alerts"]).toBeGreaterThan(0);
    expect(m["h7d.precision_at_alert_threshold"]).toBeGreaterThan(0.2);
    // Precursors start 10-40 days before a failure, so shorter horizons are easier; all beat chance.
    expect(m["h7d.roc_auc"]).toBeGreaterThan(0.85);
    expect(m["h14d.roc_auc"]).toBeGreaterThan(0.75);
    expect(m["h30d.roc_auc"]).toBeGreaterThan(0.6);
    // Every test-period failure gets its first alert 1..7 days ahead.
    expect(m["h7d.failures_alerted"]).toBeGreaterThan(0);
    expect(m["h7d.lead_time_mean_days"]).toBeGreaterThanOrEqual(1);
    expect(m["h7d.lead_time_mean_days"]).toBeLessThanOrEqual(7);
    for (const h of [7, 14, 30]) {
      expect(m[`h${h}d.pr_auc`]).toBeGreaterThan(m[`h${h}d.prevalence`]);
    }
    expect(m["severity.LOW.rows"] + m["severity.MEDIUM.rows"] + m["severity.HIGH.rows"] + m["severity.CRITICAL.rows"]).toBe(m["h7d.test_rows"]);
    const files = (await store.listArtifacts(run.info.runId, "model")).map((a) => a.path);
    expect(files).toContain("model/booster_7d.json");
    const plots = (await store.listArtifacts(run.info.runId, "plots")).map((a) => a.path);
    expect(plots).toEqual(expect.arrayContaining(["plots/roc.svg", "plots/pr.svg", "plots/shap_7d.svg"]));
    expect(Object.keys(m).some((k) => k.startsWith("h7d.shap."))).toBe(true);
  }, 120_000);
});
