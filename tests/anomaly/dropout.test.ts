import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { explainDropout, explainEvents, explanationSentence } from "../../lib/anomaly/explain.js";
import { groupEvents } from "../../lib/anomaly/events.js";
import { AlertConfigSchema, buildAlerts } from "../../lib/anomaly/alerts.js";
import { runAnomalyPipeline } from "../../lib/anomaly/pipeline.js";
import { extractIndustrialFeatures } from "../../lib/features/industrial.js";
import { INDUSTRIAL_FAULTS, simulateIndustrial } from "../../lib/simulate/industrial.js";
import { createRng } from "../../lib/util/random.js";

/** One device, noisy channels; vibration frozen on samples [100, 143) and current missing on [120, 135). */
function frozen(len: number) {
  const rng = createRng(5);
  const cols = {
    device_id: new Int32Array(len).fill(1),
    state: new Uint8Array(len),
    voltage_v: Float64Array.from({ length: len }, () => 230 + rng.normal()),
    current_a: Float64Array.from({ length: len }, () => 10 + rng.normal()),
    temp_c: Float64Array.from({ length: len }, () => 50 + rng.normal()),
    rpm: Float64Array.from({ length: len }, () => 1800 + rng.normal()),
    vibration_g: Float64Array.from({ length: len }, () => 0.03 * rng.normal()),
  };
  for (let k = 101; k < 143; k++) cols.vibration_g[k] = cols.vibration_g[100];
  for (let k = 120; k < 135; k++) cols.current_a[k] = NaN;
  return cols;
}

describe("dropout explanations", () => {
  const f = extractIndustrialFeatures(frozen(200), { windows: [5, 30], fftWindow: 16, fftHop: 4, transitionWindow: 50 });

  it("name the stuck channel, its family and the streak length", () => {
    // Frozen on samples 100..142: at sample 142 the reading has been unchanged for 42 samples after the first.
    const e = explainDropout(f, 142, 10);
    expect(explanationSentence(e)).toBe("Vibration sensor stuck: reading unchanged for 42 samples (rule: dropout streak >= 10).");
    expect(e.families[0]).toEqual({ family: "Vibration", percent: 100 });
    expect(e.top).toEqual([{ feature: "vibration_g_stuck_streak", family: "Vibration", percent: 100 }]);
    expect(e.rule?.channels).toEqual([{ channel: "vibration_g", family: "Vibration", kind: "stuck", samples: 42 }]);
  });

  it("name every channel over the limit, shares proportional to streak length", () => {
    // At sample 134: vibration unchanged for 34 samples, current missing for 15 (samples 120..134).
    const e = explainDropout(f, 134, 10);
    expect(e.rule?.sentence).toBe("Vibration sensor stuck: reading unchanged for 34 samples; Current sensor silent: no reading for 15 samples (rule: dropout streak >= 10).");
    const share = Object.fromEntries(e.families.map((x) => [x.family, x.percent]));
    expect(share.Vibration).toBeCloseTo((100 * 34) / 49, 12);
    expect(share.Current).toBeCloseTo((100 * 15) / 49, 12);
    expect(share.Temperature).toBe(0);
    // A higher limit drops the shorter streak.
    expect(explainDropout(f, 134, 20).rule?.channels.map((c) => c.channel)).toEqual(["vibration_g"]);
  });
});

const smoke = parse(readFileSync(join(__dirname, "..", "..", "configs", "anomaly", "smoke.yaml"), "utf8")) as { data: object; pipeline: object };

describe("dropout events on the smoke config", () => {
  const rng = createRng(42);
  const sim = simulateIndustrial(smoke.data, rng.fork(1));
  const res = runAnomalyPipeline(sim.table.columns, INDUSTRIAL_FAULTS, sim.faults, smoke.pipeline, rng.fork(2));
  const cols = sim.table.columns;
  const threshold = res.model.threshold!.threshold;
  const events = groupEvents(res.scoredRows, res.scores, threshold, cols.device_id, res.features.sampleIndex, cols.fault_tag, 30, res.ruleFlags);
  const explanations = explainEvents(res.model, res.features, events, { dropoutStreakSamples: res.config.dropoutStreakSamples });

  it("explain the injected temperature dropout by the rule, with its full length, as Temperature", () => {
    const ep = sim.faults.find((e) => e.type === "sensor_dropout")!;
    const i = events.findIndex((e) => e.dropout && e.device === ep.device);
    expect(i).toBeGreaterThanOrEqual(0);
    const ex = explanations[i];
    // temp_c is missing on all 300 samples of the episode: the event's last rule-flagged row has streak 300.
    expect(explanationSentence(ex)).toBe(`Temperature sensor silent: no reading for ${ep.endSample - ep.startSample} samples (rule: dropout streak >= ${res.config.dropoutStreakSamples}).`);
    expect(ex.families[0]).toEqual({ family: "Temperature", percent: 100 });
    const [alert] = buildAlerts([events[i]], [ex], threshold, AlertConfigSchema.parse({}));
    expect(alert.cause).toBe("Sensor dropout");
    expect(alert.families).toEqual([{ family: "Temperature", percent: 100 }]);
    expect(alert.topFeatures).toEqual([{ feature: "temp_c_missing_streak", percent: 100 }]);
  });

  it("leave forest-flagged events to TreeSHAP", () => {
    for (let i = 0; i < events.length; i++) {
      if (events[i].dropout) continue;
      expect(explanations[i].rule).toBeUndefined();
      expect(Number.isFinite(explanations[i].pathLength)).toBe(true);
    }
  });
});
