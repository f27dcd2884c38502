/**
 * Input checks shared by the metric functions: every metric takes plain number arrays or typed
 * arrays, and fails with a DataError that names the offending index rather than returning NaN.
 */
import { DataError } from "../errors.js";

/** A read-only numeric vector: a plain array or any typed array. */
export type NumericVector = ArrayLike<number>;

/** Check that labels are 0/1 and scores are finite numbers of the same length. */
export function checkBinaryInputs(
  fn: string,
  yTrue: NumericVector,
  yScore: NumericVector,
  sampleWeight?: NumericVector,
): void {
  if (yTrue.length !== yScore.length) {
    throw new DataError(`${fn}: yTrue has ${yTrue.length} entries but the scores have ${yScore.length}`);
  }
  if (yTrue.length === 0) throw new DataError(`${fn}: empty input`);
  for (let i = 0; i < yTrue.length; i++) {
    const y = yTrue[i];
    if (y !== 0 && y !== 1) throw new DataError(`${fn}: yTrue[${i}] = ${y} is not 0 or 1`);
    if (!Number.isFinite(yScore[i])) throw new DataError(`${fn}: score[${i}] = ${yScore[i]} is not finite`);
  }
  if (sampleWeight !== undefined) {
    if (sampleWeight.length !== yTrue.length) {
      throw new DataError(`${fn}: sampleWeight has ${sampleWeight.length} entries but yTrue has ${yTrue.length}`);
    }
    for (let i = 0; i < sampleWeight.length; i++) {
      const w = sampleWeight[i];
      if (!(w >= 0) || !Number.isFinite(w)) throw new DataError(`${fn}: sampleWeight[${i}] = ${w} is not a finite number >= 0`);
    }
  }
}

/** Indices that sort the scores in decreasing order (stable, so equal scores keep input order). */
export function argsortDescending(yScore: NumericVector): Uint32Array {
  const n = yScore.length;
  const keys = Float64Array.from(yScore);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => keys[b] - keys[a] || a - b);
  return order;
}

/**
 * Cumulative true-positive and false-positive weights at each distinct score, scanning from the
 * highest score down; ties are grouped so that a threshold never separates equal scores (the same
 * grouping as scikit-learn's `_binary_clf_curve`).
 */
export function binaryCurve(
  yTrue: NumericVector,
  yScore: NumericVector,
  sampleWeight?: NumericVector,
): { tps: Float64Array; fps: Float64Array; thresholds: Float64Array } {
  const order = argsortDescending(yScore);
  const n = order.length;
  const tpsAll = new Float64Array(n);
  const fpsAll = new Float64Array(n);
  const thrAll = new Float64Array(n);
  let tp = 0;
  let fp = 0;
  let k = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j];
    const w = sampleWeight === undefined ? 1 : sampleWeight[i];
    if (yTrue[i] === 1) tp += w;
    else fp += w;
    if (j === n - 1 || yScore[order[j + 1]] !== yScore[i]) {
      tpsAll[k] = tp;
      fpsAll[k] = fp;
      thrAll[k] = yScore[i];
      k++;
    }
  }
  return { tps: tpsAll.slice(0, k), fps: fpsAll.slice(0, k), thresholds: thrAll.slice(0, k) };
}
