/** Cross-entropy loss for binary and multiclass probability predictions. */
import { DataError } from "../errors.js";
import type { NumericVector } from "./validate.js";

const DEFAULT_EPS = 2.220446049250313e-16;

/**
 * Mean negative log-likelihood of 0/1 labels under predicted positive-class probabilities; like
 * scikit-learn, probabilities are clipped to [eps, 1 - eps] with eps the float64 machine epsilon.
 */
export function logLoss(
  yTrue: NumericVector,
  yProb: NumericVector,
  options: { sampleWeight?: NumericVector; eps?: number; normalize?: boolean } = {},
): number {
  const n = yTrue.length;
  if (n !== yProb.length) throw new DataError(`logLoss: yTrue has ${n} entries but yProb has ${yProb.length}`);
  if (n === 0) throw new DataError("logLoss: empty input");
  const eps = options.eps ?? DEFAULT_EPS;
  const w = options.sampleWeight;
  if (w !== undefined && w.length !== n) throw new DataError(`logLoss: sampleWeight has ${w.length} entries but yTrue has ${n}`);
  let total = 0;
  let wsum = 0;
  for (let i = 0; i < n; i++) {
    const y = yTrue[i];
    if (y !== 0 && y !== 1) throw new DataError(`logLoss: yTrue[${i}] = ${y} is not 0 or 1`);
    const raw = yProb[i];
    if (!(raw >= 0 && raw <= 1)) throw new DataError(`logLoss: yProb[${i}] = ${raw} is not a probability in [0, 1]`);
    // Clip the probability of the observed class, computed as 1 - p for negatives, as scikit-learn does.
    const q = Math.min(Math.max(y === 1 ? raw : 1 - raw, eps), 1 - eps);
    const wi = w === undefined ? 1 : w[i];
    total += -wi * Math.log(q);
    wsum += wi;
  }
  return options.normalize === false ? total : total / wsum;
}

/**
 * Mean multiclass cross-entropy for integer labels 0..K-1 and a row-per-sample probability matrix;
 * the probability of the true class is clipped to [eps, 1 - eps] (scikit-learn >= 1.5 no longer renormalizes rows).
 */
export function multiclassLogLoss(
  yTrue: NumericVector,
  yProb: ReadonlyArray<NumericVector>,
  options: { sampleWeight?: NumericVector; eps?: number } = {},
): number {
  const n = yTrue.length;
  if (n !== yProb.length) throw new DataError(`multiclassLogLoss: yTrue has ${n} entries but yProb has ${yProb.length} rows`);
  if (n === 0) throw new DataError("multiclassLogLoss: empty input");
  const eps = options.eps ?? DEFAULT_EPS;
  const w = options.sampleWeight;
  let total = 0;
  let wsum = 0;
  for (let i = 0; i < n; i++) {
    const row = yProb[i];
    const y = yTrue[i];
    if (!Number.isInteger(y) || y < 0 || y >= row.length) {
      throw new DataError(`multiclassLogLoss: yTrue[${i}] = ${y} is not a class index in [0, ${row.length})`);
    }
    const p = Math.min(Math.max(row[y], eps), 1 - eps);
    const wi = w === undefined ? 1 : w[i];
    total += -wi * Math.log(p);
    wsum += wi;
  }
  return total / wsum;
}
