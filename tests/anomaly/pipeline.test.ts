import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { AnomalyModel } from "../../lib/anomaly/model.js";
import { runAnomalyPipeline } from "../../lib/anomaly/pipeline.js";
import { INDUSTRIAL_FAULTS, simulateIndustrial } from "../../lib/simulate/industrial.js";
import { createRng } from "../../lib/util/random.js";

// The experiment's smoke config: one episode of each fault type in the scoring window.
const smoke = parse(readFileSync(join(__dirname, "..", "..", "configs", "anomaly", "smoke.yaml"), "utf8")) as { data: object; pipeline: object };

describe("anomaly pipeline on the smoke config", () => {
  const rng = createRng(42);
  const sim = simulateIndustrial(smoke.data, rng.fork(1));
  const res = runAnomalyPipeline(sim.table.columns, INDUSTRIAL_FAULTS, sim.faults, smoke.pipeline, rng.fork(2));
  const recall = Object.fromEntries(res.perFault.map((f) => [f.tag, f.recall]));

  it("ranks faulty rows above normal ones", () => {
    expect(res.rocAuc).toBeGreaterThan(0.8);
  });

  it("detects overheat, bearing wear and power spikes with recall above stated floors", () => {
    // Floors measured with margin: early rows of slow faults (overheat ramp, bearing growth) look normal.
    expect(recall.power_spike).toBeGreaterThanOrEqual(0.9);
    expect(recall.bearing_wear).toBeGreaterThanOrEqual(0.5);
    expect(recall.overheat).toBeGreaterThanOrEqual(0.25);
    for (const e of res.episodes) if (e.type !== "sensor_dropout") expect(e.detected, `${e.type} on device ${e.device}`).toBe(true);
  });

  it("catches sensor dropouts with the streak rule, and only with it", () => {
    // The 300-sample dropout is flagged once its streak reaches 10 samples: recall (300 - 9) / 300.
    expect(recall.sensor_dropout).toBeGreaterThanOrEqual(0.95);
    expect(res.episodes.find((e) => e.type === "sensor_dropout")?.detected).toBe(true);
    // No normal row carries a streak that long, so the rule flags dropout rows only.
    let dropoutRows = 0;
    for (const t of res.tags) if (INDUSTRIAL_FAULTS[t] === "sensor_dropout") dropoutRows++;
    expect(res.ruleFlagged).toBeGreaterThan(0);
    expect(res.ruleFlagged).toBeLessThanOrEqual(dropoutRows);
    let flags = 0;
    for (const f of res.ruleFlags) flags += f;
    expect(flags).toBe(res.ruleFlagged);
    const off = runAnomalyPipeline(sim.table.columns, INDUSTRIAL_FAULTS, sim.faults, { ...smoke.pipeline, dropoutStreakSamples: 0 }, createRng(42).fork(2));
    expect(off.perFault.find((f) => f.tag === "sensor_dropout")?.recall ?? 0).toBeLessThan(0.2);
  });

  it("trains only on normal rows of the training window and saves the threshold with the model", () => {
    for (const r of res.trainRows) expect(sim.table.columns.fault_tag[r]).toBe(0);
    const back = AnomalyModel.fromJSON(JSON.parse(JSON.stringify(res.model.toJSON())));
    expect(back.threshold).toEqual(res.model.threshold);
    const rows = res.scoredRows.subarray(0, 50);
    expect(back.score(res.features.columns, rows)).toEqual(res.scores.subarray(0, 50));
  });

  it("is deterministic for a seed", () => {
    const again = runAnomalyPipeline(sim.table.columns, INDUSTRIAL_FAULTS, sim.faults, smoke.pipeline, createRng(42).fork(2));
    expect(again.scores).toEqual(res.scores);
  });
});
