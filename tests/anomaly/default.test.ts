import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { runAnomalyPipeline } from "../../lib/anomaly/pipeline.js";
import { INDUSTRIAL_FAULTS, simulateIndustrial } from "../../lib/simulate/industrial.js";
import { createRng } from "../../lib/util/random.js";

// The experiment's default config (10 devices x 6 h, random faults), run as the experiment does.
const base = parse(readFileSync(join(__dirname, "..", "..", "configs", "anomaly", "base.yaml"), "utf8")) as { seed: number; data: object; pipeline: object };

describe("anomaly pipeline on the default config (held-out metrics)", () => {
  const rng = createRng(base.seed);
  const sim = simulateIndustrial(base.data, rng.fork(1));
  const res = runAnomalyPipeline(sim.table.columns, INDUSTRIAL_FAULTS, sim.faults, base.pipeline, rng.fork(2));
  const recall = Object.fromEntries(res.perFault.map((f) => [f.tag, f.recall]));

  it("reports leave-device-out metrics: every device judged with a threshold chosen on the others", () => {
    expect(res.evaluation.calibration).toBe("leave-device-out");
    expect(res.evaluation.thresholds.map((t) => t.device)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    let tp = 0;
    for (let i = 0; i < res.labels.length; i++) if (res.labels[i] === 1 && res.evaluation.flags[i] === 1) tp++;
    expect(res.evaluation.tp).toBe(tp);
  });

  it("detects every fault type in the scoring window with held-out recall above stated floors", () => {
    // Floors (measured 1.00 / 0.65 / 0.97 at seed 42, held out, P_min 0.3, 2-of-3 persistence):
    // overheat >= 0.8, bearing_wear >= 0.45 (early rows of a growing defect look normal), sensor_dropout >= 0.9.
    // power_spike has no episode in this config's scoring window (all four fall in the training half).
    expect(Object.keys(recall).sort()).toEqual(["bearing_wear", "overheat", "sensor_dropout"]);
    expect(recall.overheat).toBeGreaterThanOrEqual(0.8);
    expect(recall.bearing_wear).toBeGreaterThanOrEqual(0.45);
    expect(recall.sensor_dropout).toBeGreaterThanOrEqual(0.9);
    for (const e of res.episodes) expect(e.detected, `${e.type} on device ${e.device}`).toBe(true);
  });

  it("held-out precision and F1 stay above stated floors (0.27, 0.38; measured 0.31, 0.44)", () => {
    // Before this change the same rule measured 0.21 / 0.30 held out (0.36 / 0.50 as reported in-sample).
    expect(res.evaluation.precision).toBeGreaterThanOrEqual(0.27);
    expect(res.evaluation.f1).toBeGreaterThanOrEqual(0.38);
    expect(res.rocAuc).toBeGreaterThan(0.85);
  });
});
