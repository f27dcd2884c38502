import { describe, expect, it } from "vitest";
import { chooseThreshold, deviceSequence, leaveOneDeviceOut, percentileSorted, percentileSweep, perFaultRecall, persistentFlags, persistentSweep, type SweepRow } from "../../lib/anomaly/thresholds.js";
import { createRng } from "../../lib/util/random.js";

const row = (threshold: number, precision: number, recall: number, tp = 1): SweepRow => ({
  percentile: 0,
  threshold,
  precision,
  recall,
  f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
  tp,
  fp: 0,
  fn: 0,
  flagged: tp,
});

describe("threshold rules", () => {
  it("percentiles interpolate linearly like numpy", () => {
    const s = Float64Array.from([1, 2, 3, 4]);
    expect(percentileSorted(s, 50)).toBe(2.5);
    expect(percentileSorted(s, 100)).toBe(4);
    expect(percentileSorted(s, 0)).toBe(1);
    expect(percentileSorted(s, 90)).toBeCloseTo(3.7, 12);
  });

  it("sweep counts match a hand count", () => {
    const labels = [0, 0, 1, 0, 1, 1, 0, 0, 0, 1];
    const scores = [0.1, 0.2, 0.9, 0.3, 0.8, 0.35, 0.4, 0.5, 0.05, 0.95];
    const [r] = percentileSweep(labels, scores, [70]);
    // 70th percentile of the 10 scores = 0.5 + 0.3 * (0.8 - 0.5) = 0.59: flags 0.8, 0.9, 0.95.
    expect(r.threshold).toBeCloseTo(0.59, 12);
    expect([r.tp, r.fp, r.fn]).toEqual([3, 0, 1]);
    expect(r.precision).toBe(1);
    expect(r.recall).toBe(0.75);
  });

  it("operator rule: highest recall with precision >= P_min", () => {
    const rows = [row(0.9, 0.95, 0.2), row(0.7, 0.82, 0.6), row(0.6, 0.8, 0.6), row(0.5, 0.5, 0.9)];
    const { row: r, choice } = chooseThreshold(rows, 0.8);
    expect(r.threshold).toBe(0.7); // same recall as 0.6, higher precision
    expect(choice.rule).toBe("recall_at_precision");
  });

  it("operator rule falls back to best F1 when no row reaches P_min", () => {
    const rows = [row(0.9, 0.4, 0.1), row(0.7, 0.3, 0.6), row(0.5, 0.1, 0.9)];
    const { row: r, choice } = chooseThreshold(rows, 0.8);
    expect(choice.rule).toBe("best_f1");
    expect(r.threshold).toBe(0.7);
    expect(() => chooseThreshold(rows, 1.5)).toThrow(/minPrecision/);
  });

  it("per-fault recall counts each tag", () => {
    const tags = [0, 1, 1, 2, 2, 2, 0];
    const scores = [0.9, 0.9, 0.1, 0.9, 0.9, 0.1, 0.1];
    expect(perFaultRecall(tags, scores, 0.5, ["none", "a", "b", "c"])).toEqual([
      { tag: "a", recall: 0.5, tp: 1, fn: 1 },
      { tag: "b", recall: 2 / 3, tp: 2, fn: 1 },
    ]);
  });
});

describe("persistence and held-out calibration", () => {
  it("k-of-n flags count hits along each device's consecutive samples only", () => {
    // Rows interleave two devices; device 1 has a gap between samples 3 and 5.
    const device = [1, 2, 1, 2, 1, 2, 1, 2, 1, 2];
    const sample = [0, 0, 1, 1, 2, 2, 3, 3, 5, 4];
    const scores = [0.9, 0.9, 0.1, 0.9, 0.9, 0.1, 0.9, 0.9, 0.9, 0.1];
    const seq = deviceSequence(device, sample);
    expect(Array.from(seq.runStart)).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 1, 0]);
    // 2 of 3: device 1 hits 1,0,1,1 | restart at sample 5: 1 -> flags 0,0,1,1 | 0 ; device 2 hits 1,1,0,1,0 -> 0,1,1,1,0.
    const flags = persistentFlags(scores, 0.5, seq, { k: 2, n: 3 });
    expect(Array.from(flags)).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 0, 0]);
    // 1 of 1 is the plain threshold; forced rows are flagged and count as hits.
    expect(Array.from(persistentFlags(scores, 0.5, seq, { k: 1, n: 1 }))).toEqual(scores.map((s) => (s >= 0.5 ? 1 : 0)));
    const force = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    expect(Array.from(persistentFlags(scores, 0.5, seq, { k: 2, n: 3 }, force))).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 0, 1]);
    expect(() => persistentFlags(scores, 0.5, seq, { k: 3, n: 2 })).toThrow(/1 <= k <= n/);
  });

  it("the sweep with 1-of-1 persistence equals the plain percentile sweep", () => {
    const labels = [0, 0, 1, 0, 1, 1, 0, 0, 0, 1];
    const scores = [0.1, 0.2, 0.9, 0.3, 0.8, 0.35, 0.4, 0.5, 0.05, 0.95];
    const seq = deviceSequence(labels.map(() => 1), labels.map((_, i) => i));
    expect(persistentSweep(labels, scores, [50, 70, 90], seq, { k: 1, n: 1 })).toEqual(percentileSweep(labels, scores, [50, 70, 90]));
  });

  it("rows forced by a rule stay out of the sweep's percentiles and counts (they are flagged at any threshold)", () => {
    const labels = [0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1];
    const scores = [0.1, 0.2, 0.9, 0.3, 0.8, 0.35, 0.4, 0.5, 0.05, 0.95, 1];
    const force = labels.map((_, i) => (i === 10 ? 1 : 0));
    const seq = deviceSequence(labels.map(() => 1), labels.map((_, i) => i));
    expect(persistentSweep(labels, scores, [50, 70, 99], seq, { k: 1, n: 1 }, undefined, force)).toEqual(percentileSweep(labels.slice(0, 10), scores.slice(0, 10), [50, 70, 99]));
  });

  it("leave-one-device-out: a device's own labels never move its threshold", () => {
    const rng = createRng(8);
    const n = 600;
    const device = Array.from({ length: n }, (_, i) => (i % 3) + 1);
    const sample = Array.from({ length: n }, (_, i) => Math.floor(i / 3));
    const labels = Array.from({ length: n }, () => (rng.uniform() < 0.1 ? 1 : 0));
    const scores = labels.map((l) => l + rng.normal());
    const seq = deviceSequence(device, sample);
    const pcts = [50, 80, 90, 95, 99];
    const a = leaveOneDeviceOut(labels, scores, pcts, seq, { k: 1, n: 1 }, 0.5);
    // Flip every label of device 2: its threshold stays, the others' move (they calibrate on device 2).
    const flipped = labels.map((l, i) => (device[i] === 2 ? 1 - l : l));
    const b = leaveOneDeviceOut(flipped, scores, pcts, seq, { k: 1, n: 1 }, 0.5);
    expect(b.thresholds.find((t) => t.device === 2)).toEqual(a.thresholds.find((t) => t.device === 2));
    // Device 1's threshold is the operator rule on devices 2 and 3 alone.
    const others = Uint8Array.from(device, (d) => (d === 1 ? 0 : 1));
    const { choice } = chooseThreshold(persistentSweep(labels, scores, pcts, seq, { k: 1, n: 1 }, others), 0.5);
    expect(a.thresholds[0]).toEqual({ device: 1, threshold: choice.threshold, rule: choice.rule });
    // Pooled counts are the counts of the per-device decisions.
    let tp = 0;
    for (let i = 0; i < n; i++) if (labels[i] === 1 && scores[i] >= a.thresholds[device[i] - 1].threshold) tp++;
    expect(a.tp).toBe(tp);
    expect(() => leaveOneDeviceOut(labels, scores, pcts, deviceSequence(labels.map(() => 1), sample), { k: 1, n: 1 }, 0.5)).toThrow(/at least 2 devices/);
  });
});
