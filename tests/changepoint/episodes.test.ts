import { describe, expect, it } from "vitest";
import { annotateEpisodes, extractEpisodes } from "../../lib/changepoint/episodes.js";
import { hazardRatioExceedance } from "../../lib/changepoint/hazard-ratio.js";
import { bootstrapMean, detectionMetrics } from "../../lib/changepoint/metrics.js";
import { createRng } from "../../lib/util/random.js";
import { DataError } from "../../lib/errors.js";

describe("extractEpisodes", () => {
  const signal = [0, 0.2, 0.7, 0.9, 0.4, 0.6, 0, 0, 0, 0.8, 0.95, 0.99, 0.1];
  it("finds maximal alarm runs with start, end, alert day and peak", () => {
    expect(extractEpisodes(signal, { threshold: 0.5 })).toEqual([
      { start: 2, end: 3, alertDay: 2, peak: 0.9 },
      { start: 5, end: 5, alertDay: 5, peak: 0.6 },
      { start: 9, end: 11, alertDay: 9, peak: 0.99 },
    ]);
  });
  it("merges runs across short gaps and waits for persistence", () => {
    expect(extractEpisodes(signal, { threshold: 0.5, mergeGap: 1, persistence: 3 })).toEqual([
      { start: 2, end: 5, alertDay: 5, peak: 0.9 },
      { start: 9, end: 11, alertDay: 11, peak: 0.99 },
    ]);
  });
  it("accepts 0/1 alarm series and rejects NaN naming the day", () => {
    expect(extractEpisodes([0, 1, 1, 0, 1]).map((e) => e.alertDay)).toEqual([1, 4]);
    expect(() => extractEpisodes([0, NaN])).toThrow(DataError);
    expect(() => extractEpisodes([0, NaN])).toThrow(/signal\[1\]/);
  });
});

describe("detectionMetrics", () => {
  it("computes delays, misses and false alarms per 1000 in-control days by hand", () => {
    const truth = [
      { start: 100, end: 149 },
      { start: 300, end: 349 },
      { start: 600, end: 619 },
    ];
    const alerts = [20, 112, 130, 352, 800, 950];
    const m = detectionMetrics(alerts, truth, { days: 1000, grace: 5 }, createRng(1));
    // Regression 1: first alert 112 -> delay 12; regression 2: 352 is within grace -> delay 52; regression 3 missed.
    expect(Array.from(m.delays)).toEqual([12, 52, NaN]);
    expect(m.detected).toBe(2);
    expect(m.missed).toBe(1);
    expect(m.mttd).toBe(32);
    // In-control days: 1000 - (55 + 55 + 25) = 865; false alarms 20, 800, 950.
    expect(m.monitoredDays).toBe(865);
    expect(m.falseAlarms).toBe(3);
    expect(m.falseAlarmsPer1000Days).toBeCloseTo((3 * 1000) / 865, 12);
    expect(m.mttdLower).toBeGreaterThanOrEqual(12);
    expect(m.mttdUpper).toBeLessThanOrEqual(52);
  });

  it("bootstrap interval is seeded and covers the normal-theory interval roughly", () => {
    const rng = createRng(2);
    const v = Array.from({ length: 200 }, () => 10 + 3 * rng.normal());
    const a = bootstrapMean(v, createRng(7), { resamples: 4000 });
    const b = bootstrapMean(v, createRng(7), { resamples: 4000 });
    expect(a).toEqual(b);
    const sd = Math.sqrt(v.reduce((s, x) => s + (x - a.mean) ** 2, 0) / (v.length - 1));
    const half = (1.959964 * sd) / Math.sqrt(v.length);
    expect(Math.abs(a.upper - a.lower - 2 * half) / (2 * half)).toBeLessThan(0.1);
  });

  it("no detections gives NaN MTTD, not an error", () => {
    const m = detectionMetrics([], [{ start: 5, end: 9 }], { days: 20 }, createRng(1));
    expect(m.detected).toBe(0);
    expect(Number.isNaN(m.mttd)).toBe(true);
    expect(m.falseAlarmsPer1000Days).toBe(0);
  });
});

describe("annotateEpisodes", () => {
  it("compares the episode's rate with the baseline window before it (conjugate posteriors)", () => {
    const counts = [1, 0, 2, 1, 1, 0, 5, 6, 4, 1, 0];
    const exposure = [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10];
    const [ep] = annotateEpisodes([{ start: 6, end: 8, alertDay: 7, peak: 0.9 }], counts, exposure, {
      prior: { shape: 1, rate: 10 },
      baselineDays: 4,
    });
    // Baseline days 2..5: 4 events over 40; episode days 6..8: 15 events over 30.
    expect(ep.baseline.shape).toBe(5);
    expect(ep.baseline.rate).toBe(50);
    expect(ep.rate.shape).toBe(16);
    expect(ep.rate.rate).toBe(40);
    expect(ep.hazardRatio.pExceed).toBeCloseTo(hazardRatioExceedance(1.5, { shape: 5, rate: 50 }, { shape: 16, rate: 40 }), 14);
    expect(ep.hazardRatio.pExceed).toBeGreaterThan(0.9);
    expect(ep.alertDay).toBe(7);
    expect(() => annotateEpisodes([{ start: 9, end: 12, alertDay: 9, peak: 1 }], counts, exposure)).toThrow(/episodes\[0\]/);
  });
});
