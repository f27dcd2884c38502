/** Precision-recall curve and average precision (PR-AUC) as scikit-learn defines them. */
import { DataError } from "../errors.js";
import { binaryCurve, checkBinaryInputs, type NumericVector } from "./validate.js";

/** Precision and recall at every distinct score, ordered by increasing threshold, with the final (1, 0) point appended like scikit-learn's `precision_recall_curve`. */
export function precisionRecallCurve(
  yTrue: NumericVector,
  yScore: NumericVector,
  options: { sampleWeight?: NumericVector } = {},
): { precision: Float64Array; recall: Float64Array; thresholds: Float64Array } {
  checkBinaryInputs("precisionRecallCurve", yTrue, yScore, options.sampleWeight);
  const { tps, fps, thresholds } = binaryCurve(yTrue, yScore, options.sampleWeight);
  const k = tps.length;
  const totalPos = tps[k - 1];
  if (totalPos === 0) throw new DataError("precisionRecallCurve: yTrue has no positive samples; recall is undefined");
  const precision = new Float64Array(k + 1);
  const recall = new Float64Array(k + 1);
  const thr = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    // Reversed so that thresholds increase, matching scikit-learn's output order.
    const r = k - 1 - j;
    const predictedPos = tps[j] + fps[j];
    precision[r] = predictedPos === 0 ? 0 : tps[j] / predictedPos;
    recall[r] = tps[j] / totalPos;
    thr[r] = thresholds[j];
  }
  precision[k] = 1;
  recall[k] = 0;
  return { precision, recall, thresholds: thr };
}

/** Average precision: the step-wise sum of precision times recall increments (no interpolation), equal to scikit-learn's `average_precision_score`. */
export function averagePrecision(
  yTrue: NumericVector,
  yScore: NumericVector,
  options: { sampleWeight?: NumericVector } = {},
): number {
  const { precision, recall } = precisionRecallCurve(yTrue, yScore, options);
  let ap = 0;
  for (let j = 0; j < precision.length - 1; j++) ap += (recall[j] - recall[j + 1]) * precision[j];
  return ap;
}

/** Alias of averagePrecision: the PR-AUC number reported for rare-event models. */
export const prAuc = averagePrecision;
