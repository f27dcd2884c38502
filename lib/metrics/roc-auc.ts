/** Area under the ROC curve, with ties handled like scikit-learn's `roc_auc_score`. */
import { DataError } from "../errors.js";
import { binaryCurve, checkBinaryInputs, type NumericVector } from "./validate.js";

/** Points of the ROC curve (false-positive rate, true-positive rate) at every distinct score, starting at (0, 0). */
export function rocCurve(
  yTrue: NumericVector,
  yScore: NumericVector,
  options: { sampleWeight?: NumericVector } = {},
): { fpr: Float64Array; tpr: Float64Array; thresholds: Float64Array } {
  checkBinaryInputs("rocCurve", yTrue, yScore, options.sampleWeight);
  const { tps, fps, thresholds } = binaryCurve(yTrue, yScore, options.sampleWeight);
  const k = tps.length;
  const totalPos = tps[k - 1];
  const totalNeg = fps[k - 1];
  if (totalPos === 0 || totalNeg === 0) {
    throw new DataError(`rocCurve: only one class present in yTrue (${totalPos === 0 ? "no positives" : "no negatives"}); ROC is undefined`);
  }
  const fpr = new Float64Array(k + 1);
  const tpr = new Float64Array(k + 1);
  const thr = new Float64Array(k + 1);
  thr[0] = Infinity;
  for (let j = 0; j < k; j++) {
    fpr[j + 1] = fps[j] / totalNeg;
    tpr[j + 1] = tps[j] / totalPos;
    thr[j + 1] = thresholds[j];
  }
  return { fpr, tpr, thresholds: thr };
}

/** ROC-AUC by the trapezoidal rule over distinct scores, so tied scores count one half (Mann-Whitney). */
export function rocAuc(yTrue: NumericVector, yScore: NumericVector, options: { sampleWeight?: NumericVector } = {}): number {
  const { fpr, tpr } = rocCurve(yTrue, yScore, options);
  let area = 0;
  for (let j = 1; j < fpr.length; j++) area += (fpr[j] - fpr[j - 1]) * (tpr[j] + tpr[j - 1]);
  return area / 2;
}
