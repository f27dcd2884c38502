/** Confusion matrix and precision, recall and F1 of scores cut at a threshold. */
import { DataError } from "../errors.js";
import { checkBinaryInputs, type NumericVector } from "./validate.js";

/** Counts of a binary decision: true/false positives and negatives. */
export interface BinaryConfusion {
  tn: number;
  fp: number;
  fn: number;
  tp: number;
}

/** Precision, recall, F1 and the confusion counts at one threshold. */
export interface ThresholdReport extends BinaryConfusion {
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
}

/**
 * Confusion matrix for integer class labels, rows = true class, columns = predicted class, in the
 * order of `labels` (default: the sorted union of both vectors), like scikit-learn's `confusion_matrix`.
 */
export function confusionMatrix(
  yTrue: NumericVector,
  yPred: NumericVector,
  options: { labels?: readonly number[]; sampleWeight?: NumericVector } = {},
): { labels: number[]; matrix: number[][] } {
  if (yTrue.length !== yPred.length) {
    throw new DataError(`confusionMatrix: yTrue has ${yTrue.length} entries but yPred has ${yPred.length}`);
  }
  let labels: number[];
  if (options.labels) labels = [...options.labels];
  else {
    const set = new Set<number>();
    for (let i = 0; i < yTrue.length; i++) {
      set.add(yTrue[i]);
      set.add(yPred[i]);
    }
    labels = [...set].sort((a, b) => a - b);
  }
  const index = new Map<number, number>();
  labels.forEach((l, i) => index.set(l, i));
  const matrix = labels.map(() => labels.map(() => 0));
  const w = options.sampleWeight;
  for (let i = 0; i < yTrue.length; i++) {
    const a = index.get(yTrue[i]);
    const b = index.get(yPred[i]);
    // Labels outside the requested list are dropped, as scikit-learn does.
    if (a === undefined || b === undefined) continue;
    matrix[a][b] += w === undefined ? 1 : w[i];
  }
  return { labels, matrix };
}

/** Binary confusion counts when a score >= threshold predicts the positive class. */
export function binaryConfusion(yTrue: NumericVector, yScore: NumericVector, threshold: number): BinaryConfusion {
  checkBinaryInputs("binaryConfusion", yTrue, yScore);
  let tn = 0;
  let fp = 0;
  let fn = 0;
  let tp = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const pos = yScore[i] >= threshold;
    if (yTrue[i] === 1) {
      if (pos) tp++;
      else fn++;
    } else if (pos) fp++;
    else tn++;
  }
  return { tn, fp, fn, tp };
}

/** Precision, recall and F1 from counts; an undefined ratio is 0, like scikit-learn's zero_division default. */
export function ratesFromCounts(tp: number, fp: number, fn: number): { precision: number; recall: number; f1: number } {
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = 2 * tp + fp + fn === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  return { precision, recall, f1 };
}

/** Precision, recall and F1 of the positive class when a score >= threshold predicts positive. */
export function precisionRecallF1(yTrue: NumericVector, yScore: NumericVector, threshold = 0.5): ThresholdReport {
  const c = binaryConfusion(yTrue, yScore, threshold);
  return { threshold, ...c, ...ratesFromCounts(c.tp, c.fp, c.fn) };
}
