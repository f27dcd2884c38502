import { describe, expect, it } from "vitest";
import { chooseThreshold, percentileSorted, percentileSweep, perFaultRecall, type SweepRow } from "../../lib/anomaly/thresholds.js";

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
