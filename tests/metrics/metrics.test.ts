import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DataError } from "../../lib/errors.js";
import { averagePrecision, precisionRecallCurve } from "../../lib/metrics/average-precision.js";
import { calibrationCurve } from "../../lib/metrics/calibration-curve.js";
import { logLoss, multiclassLogLoss } from "../../lib/metrics/log-loss.js";
import { rocAuc } from "../../lib/metrics/roc-auc.js";
import { confusionMatrix, precisionRecallF1 } from "../../lib/metrics/threshold-metrics.js";
import { bestF1Threshold, recallAtPrecision, thresholdSweep } from "../../lib/metrics/threshold-sweep.js";

interface Case {
  name: string;
  y: number[];
  score: number[];
  weight?: number[];
  roc_auc: number;
  average_precision: number;
  prob?: number[];
  log_loss?: number;
  precision_05?: number;
  recall_05?: number;
  f1_05?: number;
  confusion_05?: number[][];
  calib_uniform_10?: { prob_true: number[]; prob_pred: number[] };
  calib_quantile_5?: { prob_true: number[]; prob_pred: number[] };
  pr_curve?: { precision: number[]; recall: number[]; thresholds: number[] };
}

// Made by tests/metrics/fixtures/make_fixtures.py with scikit-learn (versions pinned in
// tests/trees/fixtures/requirements.txt).
const fixture = JSON.parse(readFileSync(new URL("./fixtures/metrics.json", import.meta.url), "utf8")) as {
  cases: Case[];
  multiclass: { y: number[]; prob: number[][]; log_loss: number; confusion: number[][]; pred: number[] };
};

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-12) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol);
};

describe("metrics against scikit-learn", () => {
  for (const c of fixture.cases) {
    describe(c.name, () => {
      const opts = c.weight ? { sampleWeight: c.weight } : {};
      it("roc_auc_score", () => {
        expect(Math.abs(rocAuc(c.y, c.score, opts) - c.roc_auc)).toBeLessThanOrEqual(1e-12);
      });
      it("average_precision_score", () => {
        expect(Math.abs(averagePrecision(c.y, c.score, opts) - c.average_precision)).toBeLessThanOrEqual(1e-12);
      });
      if (c.prob) {
        const prob = c.prob;
        it("log_loss", () => {
          expect(Math.abs(logLoss(c.y, prob) - (c.log_loss as number))).toBeLessThanOrEqual(1e-12);
        });
        it("precision / recall / F1 and confusion matrix at 0.5", () => {
          const r = precisionRecallF1(c.y, prob, 0.5);
          expect(Math.abs(r.precision - (c.precision_05 as number))).toBeLessThanOrEqual(1e-12);
          expect(Math.abs(r.recall - (c.recall_05 as number))).toBeLessThanOrEqual(1e-12);
          expect(Math.abs(r.f1 - (c.f1_05 as number))).toBeLessThanOrEqual(1e-12);
          const pred = prob.map((p) => (p >= 0.5 ? 1 : 0));
          const cm = confusionMatrix(c.y, pred, { labels: [0, 1] });
          expect(cm.matrix).toEqual(c.confusion_05);
          expect([[r.tn, r.fp], [r.fn, r.tp]]).toEqual(c.confusion_05);
        });
        it("calibration_curve, uniform and quantile", () => {
          const u = calibrationCurve(c.y, prob, { nBins: 10 });
          close(u.probTrue, c.calib_uniform_10!.prob_true);
          close(u.probPred, c.calib_uniform_10!.prob_pred);
          const q = calibrationCurve(c.y, prob, { nBins: 5, strategy: "quantile" });
          close(q.probTrue, c.calib_quantile_5!.prob_true);
          close(q.probPred, c.calib_quantile_5!.prob_pred);
        });
        it("precision_recall_curve and the threshold sweep", () => {
          const pr = precisionRecallCurve(c.y, c.score);
          close(pr.precision, c.pr_curve!.precision);
          close(pr.recall, c.pr_curve!.recall);
          close(pr.thresholds, c.pr_curve!.thresholds, 0);
          const sweep = thresholdSweep(c.y, c.score);
          const k = sweep.length;
          expect(k).toBe(c.pr_curve!.thresholds.length);
          for (let j = 0; j < k; j++) {
            // The sweep runs from the highest threshold down; the curve runs upward.
            expect(sweep[j].threshold === c.pr_curve!.thresholds[k - 1 - j]).toBe(true);
            expect(Math.abs(sweep[j].precision - c.pr_curve!.precision[k - 1 - j])).toBeLessThanOrEqual(1e-12);
            expect(Math.abs(sweep[j].recall - c.pr_curve!.recall[k - 1 - j])).toBeLessThanOrEqual(1e-12);
          }
        });
      }
    });
  }

  it("multiclass log loss and confusion matrix", () => {
    const m = fixture.multiclass;
    expect(Math.abs(multiclassLogLoss(m.y, m.prob) - m.log_loss)).toBeLessThanOrEqual(1e-12);
    expect(confusionMatrix(m.y, m.pred).matrix).toEqual(m.confusion);
  });
});

describe("metrics: closed forms and bad input", () => {
  it("gives AUC 1 for perfect ranking, 0.5 for all ties, and counts tied pairs one half", () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([0, 1, 0, 1], [1, 1, 1, 1])).toBe(0.5);
    // Pairs (neg, pos): (0.1,0.5) win, (0.1,0.9) win, (0.5,0.5) tie, (0.5,0.9) win -> 3.5/4.
    expect(rocAuc([0, 1, 0, 1], [0.1, 0.5, 0.5, 0.9])).toBe(0.875);
  });

  it("picks the threshold reaching a precision and the best F1", () => {
    const y = [1, 1, 0, 1, 0, 0];
    const s = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
    const r = recallAtPrecision(y, s, 0.75);
    expect(r?.threshold).toBe(0.6);
    expect(r?.recall).toBe(1);
    expect(bestF1Threshold(y, s).threshold).toBe(0.6);
    expect(recallAtPrecision([0, 1], [0.9, 0.1], 1)).toBeUndefined();
  });

  it("raises a DataError for a single class, bad labels, NaN scores and mismatched lengths", () => {
    expect(() => rocAuc([1, 1, 1], [0.1, 0.2, 0.3])).toThrow(/only one class/);
    expect(() => rocAuc([0, 2], [0.1, 0.2])).toThrow(DataError);
    expect(() => rocAuc([0, 1], [0.1, NaN])).toThrow(/score\[1\]/);
    expect(() => averagePrecision([0, 1], [0.1])).toThrow(/2 entries/);
    expect(() => logLoss([], [])).toThrow(/empty/);
    expect(() => logLoss([0, 1], [0.5, 1.5])).toThrow(/yProb\[1\]/);
  });
});
