import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { explainRows, explanationSentence, pathLengthShap } from "../../lib/anomaly/explain.js";
import { aggregateEvents, groupEvents } from "../../lib/anomaly/events.js";
import { AlertConfigSchema, buildAlerts } from "../../lib/anomaly/alerts.js";
import { runAnomalyPipeline } from "../../lib/anomaly/pipeline.js";
import { INDUSTRIAL_FAULTS, simulateIndustrial } from "../../lib/simulate/industrial.js";
import { createRng } from "../../lib/util/random.js";

const smoke = parse(readFileSync(join(__dirname, "..", "..", "configs", "anomaly", "smoke.yaml"), "utf8")) as { data: object; pipeline: object };

describe("explanations on the smoke config", () => {
  const rng = createRng(42);
  const sim = simulateIndustrial(smoke.data, rng.fork(1));
  const res = runAnomalyPipeline(sim.table.columns, INDUSTRIAL_FAULTS, sim.faults, smoke.pipeline, rng.fork(2));
  const cols = sim.table.columns;
  const threshold = res.model.threshold!.threshold;
  const events = groupEvents(res.scoredRows, res.scores, threshold, cols.device_id, res.features.sampleIndex, cols.fault_tag, 30);
  const explanations = explainRows(res.model, res.features.columns, events.map((e) => e.peakRow), res.features.families);

  it("SHAP values of the path length add up to the forest's mean path length", () => {
    const rows = events.slice(0, 5).map((e) => e.peakRow);
    const x = res.model.transform(res.features.columns, rows);
    const phi = pathLengthShap(res.model, x);
    const h = res.model.forest.pathLengths(x);
    const p = x.nCols;
    for (let r = 0; r < rows.length; r++) {
      let s = 0;
      for (let f = 0; f <= p; f++) s += phi[r * (p + 1) + f];
      expect(s).toBeCloseTo(h[r], 9);
    }
  });

  it("shares are normalized percentages", () => {
    for (const e of explanations) {
      expect(e.families.reduce((a, f) => a + f.percent, 0)).toBeCloseTo(100, 9);
      for (let i = 1; i < e.top.length; i++) expect(e.top[i].percent).toBeLessThanOrEqual(e.top[i - 1].percent);
      expect(explanationSentence(e)).toMatch(/^Mostly (Voltage|Current|Temperature|RPM|Vibration|State) \(/);
    }
  });

  it("the dominant family of each fault's strongest event matches the fault", () => {
    const expected: Record<string, string[]> = { overheat: ["Temperature"], bearing_wear: ["Vibration"], power_spike: ["Voltage", "Current"] };
    let checked = 0;
    for (const ep of sim.faults) {
      if (!(ep.type in expected)) continue;
      // Window features lag the fault by up to their window: accept events peaking shortly after it.
      let best = -1;
      events.forEach((e, i) => {
        const k = res.features.sampleIndex[e.peakRow];
        if (e.device === ep.device && k >= ep.startSample && k < ep.endSample + 60 && (best < 0 || e.peakScore > events[best].peakScore)) best = i;
      });
      expect(best, `no event for ${ep.type} on device ${ep.device}`).toBeGreaterThanOrEqual(0);
      const sensor = explanations[best].families.filter((f) => f.family !== "State");
      expect(expected[ep.type], `${ep.type} on device ${ep.device}: ${JSON.stringify(sensor.slice(0, 3))}`).toContain(sensor[0].family);
      checked++;
    }
    expect(checked).toBe(4);
  });

  it("alerts name the matching cause for the faults and deduplicate per device and cause", () => {
    const alerts = buildAlerts(events, explanations, threshold, AlertConfigSchema.parse({}));
    const causeAt = (device: number, from: number, to: number): string[] =>
      alerts.filter((a) => a.device === device && a.lastSample >= from && a.startSample <= to).map((a) => a.cause);
    expect(causeAt(2, 4000, 6400)).toContain("Mechanical wear");
    expect(causeAt(1, 4200, 5400)).toContain("Thermal overload");
    expect(causeAt(1, 6500, 6600)).toContain("Power instability");
    const undeduped = buildAlerts(events, explanations, threshold, AlertConfigSchema.parse({ suppressWindowSamples: 0 }));
    expect(undeduped.length).toBeGreaterThan(alerts.length);
    expect(alerts.reduce((s, a) => s + 1 + a.suppressed, 0)).toBe(undeduped.length + undeduped.reduce((s, a) => s + a.suppressed, 0));
    const agg = aggregateEvents(events, explanations, 4);
    expect(agg.fleet.events).toBe(events.length);
    expect(agg.devices.reduce((s, d) => s + d.events, 0)).toBe(events.length);
  });
});
