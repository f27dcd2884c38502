/** Precision, recall and F1 at every distinct score used as a threshold, plus threshold pickers. */
import { DataError } from "../errors.js";
import { binaryCurve, checkBinaryInputs, type NumericVector } from "./validate.js";
import { ratesFromCounts, type ThresholdReport } from "./threshold-metrics.js";

/**
 * One report per distinct score, in decreasing threshold order; the row for threshold t counts
 * score >= t as positive, the same convention as scikit-learn's `precision_recall_curve`.
 */
export function thresholdSweep(yTrue: NumericVector, yScore: NumericVector): ThresholdReport[] {
  checkBinaryInputs("thresholdSweep", yTrue, yScore);
  const { tps, fps, thresholds } = binaryCurve(yTrue, yScore);
  const k = tps.length;
  const pos = tps[k - 1];
  const neg = fps[k - 1];
  const out: ThresholdReport[] = new Array(k);
  for (let j = 0; j < k; j++) {
    const tp = tps[j];
    const fp = fps[j];
    const fn = pos - tp;
    out[j] = { threshold: thresholds[j], tp, fp, fn, tn: neg - fp, ...ratesFromCounts(tp, fp, fn) };
  }
  return out;
}

/** The highest-recall row whose precision reaches `minPrecision` (ties: the higher threshold), or undefined if none does. */
export function recallAtPrecision(
  yTrue: NumericVector,
  yScore: NumericVector,
  minPrecision: number,
): ThresholdReport | undefined {
  if (!(minPrecision >= 0 && minPrecision <= 1)) throw new DataError(`recallAtPrecision: minPrecision = ${minPrecision} is not in [0, 1]`);
  let best: ThresholdReport | undefined;
  for (const row of thresholdSweep(yTrue, yScore)) {
    if (row.precision >= minPrecision && (best === undefined || row.recall > best.recall)) best = row;
  }
  return best;
}

/** The row with the largest F1 (ties: the higher threshold). */
export function bestF1Threshold(yTrue: NumericVector, yScore: NumericVector): ThresholdReport {
  let best: ThresholdReport | undefined;
  for (const row of thresholdSweep(yTrue, yScore)) if (best === undefined || row.f1 > best.f1) best = row;
  return best as ThresholdReport;
}
