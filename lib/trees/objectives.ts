/**
 * Loss functions of gradient boosting: each gives the initial score, the per-row gradient and
 * hessian of the loss at the current raw score, and the transform from raw score to prediction.
 * Scores and gradients are class-major (`k * n + r`) so each class's tree reads a contiguous slice.
 */
import { DataError } from "../errors.js";

/** Name of a supported objective. */
export type ObjectiveName = "binary" | "regression" | "multiclass";

/** A boosting objective bound to one training set's labels and weights. */
export interface Objective {
  readonly name: ObjectiveName;
  readonly numClass: number;
  /** Constant starting score per class (boost_from_average). */
  initScores(): Float64Array;
  /** Binary only: the class weights (positive, negative) its gradients multiply by. */
  readonly classWeights?: readonly [number, number];
  /** Fill gradients and hessians (class-major) for the current class-major scores. */
  gradients(scores: Float64Array, grad: Float64Array, hess: Float64Array): void;
}

/** Check the labels of an objective; throws a DataError naming the first bad row. */
export function checkLabels(name: ObjectiveName, y: ArrayLike<number>, numClass: number): void {
  const n = y.length;
  if (name === "binary") {
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const v = y[i];
      if (v !== 0 && v !== 1) throw new DataError(`binary objective: label of row ${i} is ${v}, expected 0 or 1`);
      pos += v;
    }
    if (pos === 0 || pos === n) {
      throw new DataError(`binary objective: the labels hold a single class (all ${pos === 0 ? 0 : 1}); a classifier needs both classes`);
    }
  } else if (name === "multiclass") {
    const seen = new Uint8Array(numClass);
    for (let i = 0; i < n; i++) {
      const v = y[i];
      if (!Number.isInteger(v) || v < 0 || v >= numClass) {
        throw new DataError(`multiclass objective: label of row ${i} is ${v}, expected an integer in [0, ${numClass})`);
      }
      seen[v] = 1;
    }
    let classes = 0;
    for (let k = 0; k < numClass; k++) classes += seen[k];
    if (classes < 2) throw new DataError("multiclass objective: the labels hold a single class; a classifier needs at least two");
  } else {
    for (let i = 0; i < n; i++) if (!Number.isFinite(y[i])) throw new DataError(`regression objective: label of row ${i} is ${y[i]}, expected a finite number`);
  }
}

const EPS = 1e-15;

/** Binary log loss with optional positive-class weight (scale_pos_weight / is_unbalance). */
export function binaryObjective(
  y: ArrayLike<number>,
  weight: ArrayLike<number> | null,
  opts: { scalePosWeight: number; isUnbalance: boolean; boostFromAverage: boolean },
): Objective {
  const n = y.length;
  let wPos = 1;
  let wNeg = 1;
  if (opts.isUnbalance) {
    let pos = 0;
    for (let i = 0; i < n; i++) pos += y[i];
    const neg = n - pos;
    if (pos < neg) wPos = neg / pos;
    else wNeg = pos / neg;
  } else {
    wPos = opts.scalePosWeight;
  }
  return {
    name: "binary",
    numClass: 1,
    classWeights: [wPos, wNeg],
    initScores() {
      if (!opts.boostFromAverage) return new Float64Array(1);
      // LightGBM averages with sample weights only, not the class weights.
      let sp = 0;
      let sw = 0;
      for (let i = 0; i < n; i++) {
        const w = weight === null ? 1 : weight[i];
        sp += y[i] * w;
        sw += w;
      }
      const p = Math.min(Math.max(sp / sw, EPS), 1 - EPS);
      return Float64Array.of(Math.log(p / (1 - p)));
    },
    gradients(scores, grad, hess) {
      for (let i = 0; i < n; i++) {
        const p = 1 / (1 + Math.exp(-scores[i]));
        const yi = y[i];
        const w = (yi === 1 ? wPos : wNeg) * (weight === null ? 1 : weight[i]);
        grad[i] = (p - yi) * w;
        hess[i] = p * (1 - p) * w;
      }
    },
  };
}

/** Squared error (L2 regression). */
export function regressionObjective(y: ArrayLike<number>, weight: ArrayLike<number> | null, boostFromAverage: boolean): Objective {
  const n = y.length;
  return {
    name: "regression",
    numClass: 1,
    initScores() {
      if (!boostFromAverage) return new Float64Array(1);
      let s = 0;
      let sw = 0;
      for (let i = 0; i < n; i++) {
        const w = weight === null ? 1 : weight[i];
        s += y[i] * w;
        sw += w;
      }
      return Float64Array.of(s / sw);
    },
    gradients(scores, grad, hess) {
      for (let i = 0; i < n; i++) {
        const w = weight === null ? 1 : weight[i];
        grad[i] = (scores[i] - y[i]) * w;
        hess[i] = w;
      }
    },
  };
}

/** Softmax cross-entropy over numClass classes, with LightGBM's hessian factor K / (K - 1). */
export function multiclassObjective(
  y: ArrayLike<number>,
  weight: ArrayLike<number> | null,
  numClass: number,
  boostFromAverage: boolean,
): Objective {
  const n = y.length;
  const K = numClass;
  const factor = K / (K - 1);
  const p = new Float64Array(K);
  return {
    name: "multiclass",
    numClass: K,
    initScores() {
      const out = new Float64Array(K);
      if (!boostFromAverage) return out;
      const sums = new Float64Array(K);
      let sw = 0;
      for (let i = 0; i < n; i++) {
        const w = weight === null ? 1 : weight[i];
        sums[y[i]] += w;
        sw += w;
      }
      for (let k = 0; k < K; k++) out[k] = Math.log(Math.max(sums[k] / sw, EPS));
      return out;
    },
    gradients(scores, grad, hess) {
      for (let i = 0; i < n; i++) {
        let max = -Infinity;
        for (let k = 0; k < K; k++) max = Math.max(max, scores[k * n + i]);
        let s = 0;
        for (let k = 0; k < K; k++) {
          p[k] = Math.exp(scores[k * n + i] - max);
          s += p[k];
        }
        const w = weight === null ? 1 : weight[i];
        const yi = y[i];
        for (let k = 0; k < K; k++) {
          const pk = p[k] / s;
          grad[k * n + i] = (pk - (yi === k ? 1 : 0)) * w;
          hess[k * n + i] = factor * pk * (1 - pk) * w;
        }
      }
    },
  };
}

/** Turn raw scores (row-major, numClass columns) into predictions in place: sigmoid, identity or softmax. */
export function transformScores(name: ObjectiveName, raw: Float64Array, numClass: number): void {
  if (name === "binary") {
    for (let i = 0; i < raw.length; i++) raw[i] = 1 / (1 + Math.exp(-raw[i]));
  } else if (name === "multiclass") {
    for (let r = 0; r < raw.length; r += numClass) {
      let max = -Infinity;
      for (let k = 0; k < numClass; k++) max = Math.max(max, raw[r + k]);
      let s = 0;
      for (let k = 0; k < numClass; k++) {
        raw[r + k] = Math.exp(raw[r + k] - max);
        s += raw[r + k];
      }
      for (let k = 0; k < numClass; k++) raw[r + k] /= s;
    }
  }
}
