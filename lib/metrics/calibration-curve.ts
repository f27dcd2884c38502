/** Reliability diagram data: observed positive rate against mean predicted probability per bin. */
import { DataError } from "../errors.js";
import { checkBinaryInputs, type NumericVector } from "./validate.js";

/**
 * Calibration curve with `nBins` bins, "uniform" (equal width on [0, 1]) or "quantile" (equal
 * count), dropping empty bins; the same binning as scikit-learn's `calibration_curve`.
 */
export function calibrationCurve(
  yTrue: NumericVector,
  yProb: NumericVector,
  options: { nBins?: number; strategy?: "uniform" | "quantile" } = {},
): { probTrue: Float64Array; probPred: Float64Array; counts: Float64Array; edges: Float64Array } {
  checkBinaryInputs("calibrationCurve", yTrue, yProb);
  const nBins = options.nBins ?? 5;
  if (!Number.isInteger(nBins) || nBins < 1) throw new DataError(`calibrationCurve: nBins = ${nBins} is not a positive integer`);
  const n = yProb.length;
  for (let i = 0; i < n; i++) {
    if (yProb[i] < 0 || yProb[i] > 1) throw new DataError(`calibrationCurve: yProb[${i}] = ${yProb[i]} is outside [0, 1]`);
  }
  const edges = new Float64Array(nBins + 1);
  if ((options.strategy ?? "uniform") === "uniform") {
    // numpy's linspace multiplies by the step rather than dividing, which differs in the last bit.
    const step = 1 / nBins;
    for (let b = 0; b < nBins; b++) edges[b] = b * step;
    edges[nBins] = 1;
  } else {
    const sorted = Float64Array.from(yProb).sort();
    for (let b = 0; b <= nBins; b++) {
      // numpy's default linear-interpolation percentile.
      const pos = ((n - 1) * b) / nBins;
      const lo = Math.floor(pos);
      const hi = Math.min(lo + 1, n - 1);
      edges[b] = sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
  }
  const sums = new Float64Array(nBins);
  const trues = new Float64Array(nBins);
  const totals = new Float64Array(nBins);
  for (let i = 0; i < n; i++) {
    const p = yProb[i];
    // searchsorted(edges[1:-1], p, side="left"): the number of inner edges strictly below p.
    let lo = 1;
    let hi = nBins;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid] < p) lo = mid + 1;
      else hi = mid;
    }
    const b = lo - 1;
    sums[b] += p;
    trues[b] += yTrue[i];
    totals[b] += 1;
  }
  const keep: number[] = [];
  for (let b = 0; b < nBins; b++) if (totals[b] !== 0) keep.push(b);
  return {
    probTrue: Float64Array.from(keep, (b) => trues[b] / totals[b]),
    probPred: Float64Array.from(keep, (b) => sums[b] / totals[b]),
    counts: Float64Array.from(keep, (b) => totals[b]),
    edges,
  };
}
