/**
 * Histogram kernels, the hot loop of gradient boosting: for each feature, sum the leaf's
 * gradients, hessians and counts by bin code. Gradients are gathered once into leaf order
 * ("ordered gradients", as LightGBM does) so the per-feature loop reads them sequentially; bin
 * codes are read column by column through the leaf's ascending row list.
 */
import { HIST_STRIDE } from "./splitFinder.js";

/** Gather gradients and hessians of rows[begin, begin+count) into leaf order. */
export function gatherGradients(
  grad: Float64Array,
  hess: Float64Array,
  rows: Uint32Array,
  begin: number,
  count: number,
  og: Float64Array,
  oh: Float64Array,
): void {
  for (let k = 0; k < count; k++) {
    const r = rows[begin + k];
    og[k] = grad[r];
    oh[k] = hess[r];
  }
}

/**
 * Add one feature's histogram over rows[begin, begin+count) with leaf-ordered gradients; `col`
 * is the feature's bin column and `hoff` the index of its bin 0 in units of bins.
 */
export function histogramFeature(
  col: Uint8Array,
  rows: Uint32Array,
  begin: number,
  count: number,
  og: Float64Array,
  oh: Float64Array,
  hist: Float64Array,
  hoff: number,
): void {
  const base = hoff * HIST_STRIDE;
  let k = 0;
  // Two rows per step: independent loads overlap, which matters more than the branch.
  for (; k + 1 < count; k += 2) {
    const j0 = base + col[rows[begin + k]] * HIST_STRIDE;
    const j1 = base + col[rows[begin + k + 1]] * HIST_STRIDE;
    hist[j0] += og[k];
    hist[j0 + 1] += oh[k];
    hist[j0 + 2] += 1;
    hist[j1] += og[k + 1];
    hist[j1 + 1] += oh[k + 1];
    hist[j1 + 2] += 1;
  }
  if (k < count) {
    const j = base + col[rows[begin + k]] * HIST_STRIDE;
    hist[j] += og[k];
    hist[j + 1] += oh[k];
    hist[j + 2] += 1;
  }
}

/** Add one feature's histogram over all rows 0..n-1 in order (the root without bagging). */
export function histogramFeatureAll(
  col: Uint8Array,
  n: number,
  grad: Float64Array,
  hess: Float64Array,
  hist: Float64Array,
  hoff: number,
): void {
  const base = hoff * HIST_STRIDE;
  for (let r = 0; r < n; r++) {
    const j = base + col[r] * HIST_STRIDE;
    hist[j] += grad[r];
    hist[j + 1] += hess[r];
    hist[j + 2] += 1;
  }
}

/** parent -= child over the bins [from, to) (in units of bins): the subtraction trick. */
export function subtractHistogram(parent: Float64Array, child: Float64Array, from: number, to: number): void {
  for (let j = from * HIST_STRIDE, end = to * HIST_STRIDE; j < end; j++) parent[j] -= child[j];
}
