import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runExperiment } from "../../lib/experiment/runner.js";
import { FileStore } from "../../lib/tracking/file-store.js";
import { Tracker } from "../../lib/tracking/tracker.js";
import changepoint, { changepointSchema, DETECTORS } from "../../experiments/changepoint.js";
import { experiments } from "../../experiments/index.js";

// A small world: 8 replicates of 60 days, strong regressions so every detector has something to find.
const TINY = [
  "replicates=8",
  "days=60",
  "warmupDays=20",
  "fleet.tripsPerDay=300",
  "fleet.vehicles=50",
  "fleet.criticalRatePerTrip=0.01",
  "fleet.calibrationTrips=2000",
  "regression.hazardRatio=3",
  "regression.durationDays=10",
  "regression.onsetMin=25",
  "regression.onsetMax=40",
  "regression.nullShare=0.25",
  "bootstrap=200",
];

async function runTiny(extra: string[] = []) {
  const root = mkdtempSync(join(tmpdir(), "changepoint-"));
  const tracker = new Tracker(new FileStore(root));
  const lines: string[] = [];
  const outcome = await runExperiment(changepoint, { tracker, overrides: [...TINY, ...extra], log: (l) => lines.push(l) });
  expect(outcome.status).toBe("FINISHED");
  const runDir = join(root, outcome.experimentId, outcome.runs[0].runId);
  const json = JSON.parse(readFileSync(join(runDir, "artifacts", "detectors.json"), "utf8")) as {
    regressions: number;
    detectors: { detector: string; detected: number; missed: number; falseAlarms: number; alerts: number; mttdDays: number | null }[];
  };
  const metric = (key: string): number => {
    const text = readFileSync(join(runDir, "metrics", key), "utf8").trim().split("\n").pop() as string;
    const v = text.split(" ")[1];
    return v === "nan" ? NaN : Number(v);
  };
  return { runDir, json, metric, lines };
}

describe("changepoint experiment", () => {
  it("is registered and its base and full configs validate", () => {
    expect(experiments.changepoint).toBe(changepoint);
    const base = changepointSchema.parse({});
    expect(base.replicates).toBe(40);
    expect(base.hrThreshold).toBe(1.5);
    expect(() => changepointSchema.parse({ nope: 1 })).toThrow();
  });

  it("runs end to end on a tiny config: per-detector metrics, tables and plots", async () => {
    const { runDir, json, metric, lines } = await runTiny();
    expect(json.detectors.map((d) => d.detector)).toEqual([...DETECTORS]);
    const R = json.regressions;
    expect(R).toBeGreaterThan(0);
    for (const d of DETECTORS) {
      const rate = metric(`${d}.detection_rate`);
      expect(rate).toBeGreaterThanOrEqual(0);
      expect(rate).toBeLessThanOrEqual(1);
      expect(metric(`${d}.detected`) + metric(`${d}.missed`)).toBe(R);
      expect(metric(`${d}.false_alarms_per_1000_days`)).toBeGreaterThanOrEqual(0);
      const mttd = metric(`${d}.mttd_days`);
      if (metric(`${d}.detected`) > 0) {
        expect(metric(`${d}.mttd_lower`)).toBeLessThanOrEqual(mttd);
        expect(mttd).toBeLessThanOrEqual(metric(`${d}.mttd_upper`));
        // Delays are counted from onset to an alert inside the 10-day window.
        expect(mttd).toBeGreaterThanOrEqual(0);
        expect(mttd).toBeLessThanOrEqual(9);
      }
    }
    // HR 3 at ~3 events/day for 10 days is easy: at least one detector finds most regressions.
    expect(Math.max(...DETECTORS.map((d) => metric(`${d}.detection_rate`)))).toBeGreaterThanOrEqual(0.5);
    const md = readFileSync(join(runDir, "artifacts", "detectors.md"), "utf8");
    for (const d of DETECTORS) expect(md).toContain(`| ${d} |`);
    for (const f of ["replicate_change_probability", "replicate_p_hr", "replicate_p_hr_retrospective"]) {
      expect(existsSync(join(runDir, "artifacts", "plots", `${f}.svg`))).toBe(true);
      const png = readFileSync(join(runDir, "artifacts", "plots", `${f}.png`));
      expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    }
    expect(readFileSync(join(runDir, "artifacts", "replicates.csv"), "utf8").trim().split("\n").length).toBe(1 + 8);
    expect(lines.some((l) => l.startsWith("cusum"))).toBe(true);
  }, 60_000);

  it("gives identical metrics for the same seed", async () => {
    const a = await runTiny(["seed=7", "detectors.bayesOffline.enabled=false", "detectors.pelt.enabled=false"]);
    const b = await runTiny(["seed=7", "detectors.bayesOffline.enabled=false", "detectors.pelt.enabled=false"]);
    expect(a.json).toEqual(b.json);
    expect(a.json.detectors.map((d) => d.detector)).toEqual(["bocpd", "cusum"]);
  }, 60_000);

  it("a detector with a huge threshold reports zero detections and zero false alarms", async () => {
    const { json, metric } = await runTiny([
      "seed=3",
      "detectors.bayesOffline.threshold=1.5",
      "detectors.bocpd.threshold=1.5",
      "detectors.cusum.h=1e6",
      "detectors.pelt.penalty=1e9",
    ]);
    expect(json.regressions).toBeGreaterThan(0);
    for (const d of DETECTORS) {
      expect(metric(`${d}.detected`)).toBe(0);
      expect(metric(`${d}.detection_rate`)).toBe(0);
      expect(metric(`${d}.missed`)).toBe(json.regressions);
      expect(metric(`${d}.false_alarms`)).toBe(0);
      expect(metric(`${d}.false_alarms_per_1000_days`)).toBe(0);
      expect(Number.isNaN(metric(`${d}.mttd_days`))).toBe(true);
    }
  }, 60_000);

  it("rejects inconsistent settings with the keys named", async () => {
    const root = mkdtempSync(join(tmpdir(), "changepoint-bad-"));
    const tracker = new Tracker(new FileStore(root));
    const early = await runExperiment(changepoint, { tracker, overrides: [...TINY, "regression.onsetMin=10"] });
    expect(early.status).toBe("FAILED");
    expect(early.runs[0].error).toMatch(/regression.onsetMin 10 must be >= warmupDays 20/);
    const late = await runExperiment(changepoint, { tracker, overrides: [...TINY, "regression.onsetMax=70"] });
    expect(late.runs[0].error).toMatch(/regression.onsetMax 70 must be < days 60/);
  }, 60_000);
});
