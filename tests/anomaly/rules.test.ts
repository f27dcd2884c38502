import { describe, expect, it } from "vitest";
import { AlertConfigSchema, buildAlerts, classifyEvent, severityOf } from "../../lib/anomaly/alerts.js";
import type { RowExplanation } from "../../lib/anomaly/explain.js";
import { groupEvents, type AnomalyEvent } from "../../lib/anomaly/events.js";
import { ksStatistic, populationStabilityIndex } from "../../lib/anomaly/drift.js";
import type { SensorFamily } from "../../lib/features/industrial.js";

const ex = (shares: Partial<Record<SensorFamily, number>>): RowExplanation => ({
  top: [],
  families: Object.entries(shares)
    .map(([family, percent]) => ({ family: family as SensorFamily, percent: percent as number }))
    .sort((a, b) => b.percent - a.percent),
  pathLength: 0,
  basePathLength: 0,
});

describe("alert rules", () => {
  it("classify by family dominance in priority order", () => {
    expect(classifyEvent(ex({ Voltage: 30, Current: 25, Temperature: 45 })).rule).toBe("power_instability_voltage_current");
    expect(classifyEvent(ex({ Temperature: 60, Vibration: 40 })).rule).toBe("thermal_overload_temperature");
    expect(classifyEvent(ex({ Vibration: 30, RPM: 20, Current: 50 })).rule).toBe("mechanical_wear_vibration_rpm");
    expect(classifyEvent(ex({ Voltage: 40, Current: 5, State: 55 })).rule).toBe("electrical_noise_voltage");
    expect(classifyEvent(ex({ Voltage: 36, Vibration: 38, State: 26 })).rule).not.toBe("electrical_noise_voltage");
    const fb = classifyEvent(ex({ State: 100 }));
    expect(fb.rule).toBe("fallback_uncategorized");
    expect(fb.confidence).toBe(0);
    // A partial match (Temperature 28% of the 35% needed) fires with confidence 0.8.
    const partial = classifyEvent(ex({ Temperature: 28, State: 72 }));
    expect(partial.rule).toBe("thermal_overload_temperature");
    expect(partial.confidence).toBeCloseTo(0.8, 12);
  });

  it("severity follows the margin over the threshold", () => {
    const c = AlertConfigSchema.parse({ warningMargin: 0.02, criticalMargin: 0.05 });
    expect(severityOf(0.51, 0.5, "x", c)).toBe("INFO");
    expect(severityOf(0.53, 0.5, "x", c)).toBe("WARNING");
    expect(severityOf(0.56, 0.5, "x", c)).toBe("CRITICAL");
    expect(severityOf(0.56, 0.5, "fallback_uncategorized", c)).toBe("WARNING");
  });

  it("suppresses repeats of a device and cause within the window and raises severity", () => {
    const ev = (device: number, start: number, score: number): AnomalyEvent => ({ device, startSample: start, endSample: start + 5, rows: 6, peakRow: start, peakScore: score, tag: 0, dropout: false, ruleRow: -1 });
    const events = [ev(1, 0, 0.51), ev(1, 100, 0.6), ev(2, 100, 0.51), ev(1, 2000, 0.51)];
    const exps = events.map(() => ex({ Temperature: 80, Vibration: 20 }));
    const alerts = buildAlerts(events, exps, 0.5, AlertConfigSchema.parse({ suppressWindowSamples: 900 }));
    expect(alerts.map((a) => [a.device, a.startSample, a.suppressed, a.severity])).toEqual([
      [1, 0, 1, "CRITICAL"],
      [2, 100, 0, "INFO"],
      [1, 2000, 0, "INFO"],
    ]);
  });

  it("names dropouts found by the streak rule, whatever the explanation's families say", () => {
    const events: AnomalyEvent[] = [{ device: 3, startSample: 10, endSample: 40, rows: 31, peakRow: 10, peakScore: 1, tag: 0, dropout: true, ruleRow: 40 }];
    const [alert] = buildAlerts(events, [ex({ Temperature: 90, Vibration: 10 })], 0.5, AlertConfigSchema.parse({}));
    expect(alert).toMatchObject({ cause: "Sensor dropout", rule: "sensor_dropout_streak", confidence: 1 });
  });
});

describe("events", () => {
  it("group consecutive flagged rows per device with gaps up to the merge window", () => {
    // Two devices interleaved; sample k of device d at row 2k + d - 1.
    const n = 20;
    const rows = Int32Array.from({ length: 2 * n }, (_, i) => i);
    const device = Int32Array.from(rows, (r) => (r % 2) + 1);
    const sample = Int32Array.from(rows, (r) => r >> 1);
    const tags = new Uint8Array(2 * n);
    const scores = new Float64Array(2 * n);
    for (const k of [2, 3, 5, 12]) scores[2 * k] = 0.9; // device 1: {2,3,5} and {12}
    scores[2 * 3] = 0.95;
    tags[2 * 5] = 3;
    tags[2 * 2] = 3;
    scores[2 * 7 + 1] = 0.8; // device 2: {7}
    const ev = groupEvents(rows, scores, 0.5, device, sample, tags, 2);
    expect(ev.map((e) => [e.device, e.startSample, e.endSample, e.rows, e.peakRow, e.tag])).toEqual([
      [1, 2, 5, 3, 6, 3],
      [1, 12, 12, 1, 24, 0],
      [2, 7, 7, 1, 15, 0],
    ]);
  });
});

describe("drift statistics", () => {
  it("KS statistic matches a hand count", () => {
    expect(ksStatistic([1, 2, 3, 4], [3, 4, 5, 6])).toBe(0.5);
    expect(ksStatistic([1, 2], [3, 4])).toBe(1);
    expect(ksStatistic([1, 2, 3], [1, 2, 3])).toBe(0);
  });

  it("PSI is zero for identical samples and matches the formula for a known shift", () => {
    const ref = Float64Array.from({ length: 100 }, (_, i) => i);
    expect(populationStabilityIndex(ref, ref)).toBe(0);
    // Reference deciles [0,10), [10,20), ...; current puts everything in the top two bins equally.
    const cur = Float64Array.from({ length: 100 }, (_, i) => 80 + (i % 20));
    const e = 0.1;
    const a = 0.5;
    const eps = 1e-4;
    const expected = 2 * (a - e) * Math.log(a / e) + 8 * (eps - e) * Math.log(eps / e);
    expect(populationStabilityIndex(ref, cur)).toBeCloseTo(expected, 10);
  });
});
