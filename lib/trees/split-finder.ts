/**
 * Best-split search over one leaf's (gradient, hessian, count) histogram: the regularized
 * second-order gain of LightGBM, with missing values tried on both sides and categorical
 * features split by LightGBM's rule (one-vs-rest for few categories, otherwise categories sorted by
 * sum_gradient / (sum_hessian + cat_smooth) and a prefix sent left).
 */
import type { BinMapper } from "./binning.js";

/** Histogram layout: for each bin, gradient sum and hessian sum. */
export const HIST_STRIDE = 2;

/**
 * Row count of a bin estimated from its hessian sum, as LightGBM does (cnt_factor = leaf rows /
 * leaf hessian); exact when every row has the same hessian (L2 regression without weights).
 */
function estCount(h: number, cntFactor: number): number {
  return Math.round(h * cntFactor);
}

/** The regularization and size limits a split must respect. */
export interface SplitConstraints {
  lambdaL1: number;
  lambdaL2: number;
  minDataInLeaf: number;
  minSumHessianInLeaf: number;
  minGainToSplit: number;
  maxCatThreshold: number;
  catSmooth: number;
  catL2: number;
  maxCatToOnehot: number;
  minDataPerGroup: number;
}

/** The best split found for a leaf (mutable, reused: one per leaf, never per row). */
export class SplitInfo {
  feature = -1;
  /** Loss reduction over not splitting; -Infinity when there is no valid split. */
  gain = -Infinity;
  thresholdBin = 0;
  defaultLeft = false;
  categorical = false;
  /** Categorical: the bins that go left. */
  catBins: number[] = [];
  leftG = 0;
  leftH = 0;
  leftC = 0;
  rightG = 0;
  rightH = 0;
  rightC = 0;
  leftOutput = 0;
  rightOutput = 0;

  reset(): void {
    this.feature = -1;
    this.gain = -Infinity;
    this.catBins = [];
  }

  copyFrom(o: SplitInfo): void {
    this.feature = o.feature;
    this.gain = o.gain;
    this.thresholdBin = o.thresholdBin;
    this.defaultLeft = o.defaultLeft;
    this.categorical = o.categorical;
    this.catBins = o.catBins.slice();
    this.leftG = o.leftG;
    this.leftH = o.leftH;
    this.leftC = o.leftC;
    this.rightG = o.rightG;
    this.rightH = o.rightH;
    this.rightC = o.rightC;
    this.leftOutput = o.leftOutput;
    this.rightOutput = o.rightOutput;
  }
}

/** L1 soft-thresholding of a gradient sum. */
export function thresholdL1(g: number, l1: number): number {
  const r = Math.abs(g) - l1;
  return r > 0 ? (g > 0 ? r : -r) : 0;
}

/** Optimal leaf output -T(G) / (H + l2). */
export function leafOutput(g: number, h: number, l1: number, l2: number): number {
  return -thresholdL1(g, l1) / (h + l2);
}

/** Score of a leaf at its optimal output: T(G)^2 / (H + l2). */
export function leafGain(g: number, h: number, l1: number, l2: number): number {
  const t = thresholdL1(g, l1);
  return (t * t) / (h + l2);
}

/**
 * Scan a numeric feature's bins for the best threshold; updates `best` when it finds a larger gain.
 * `histOffset` is the index of the feature's bin 0 in units of bins.
 */
export function findBestNumeric(
  hist: Float64Array,
  histOffset: number,
  mapper: BinMapper,
  feature: number,
  sumG: number,
  sumH: number,
  count: number,
  c: SplitConstraints,
  best: SplitInfo,
): void {
  const l1 = c.lambdaL1;
  const l2 = c.lambdaL2;
  const minData = Math.max(1, c.minDataInLeaf);
  const minHess = c.minSumHessianInLeaf;
  const gainShift = leafGain(sumG, sumH, l1, l2) + c.minGainToSplit;
  const numBins = mapper.numValueBins;
  let gm = 0;
  let hm = 0;
  let cm = 0;
  const cntFactor = count / sumH;
  if (mapper.missingBin >= 0) {
    const j = (histOffset + mapper.missingBin) * HIST_STRIDE;
    gm = hist[j];
    hm = hist[j + 1];
    cm = estCount(hm, cntFactor);
  }
  let gl = 0;
  let hl = 0;
  let cl = 0;
  let bestGain = best.feature >= 0 ? best.gain + gainShift - c.minGainToSplit : -Infinity;
  let bestT = -1;
  let bestDefaultLeft = false;
  let bestLG = 0;
  let bestLH = 0;
  let bestLC = 0;
  const base = histOffset * HIST_STRIDE;
  if (l1 === 0 && mapper.missingBin < 0) {
    // The common case (no L1, no missing values) without the L1 shrinkage calls: the same
    // arithmetic as leafGain with l1 = 0, so the same gains to the bit.
    for (let t = 0; t < numBins; t++) {
      const j = base + t * HIST_STRIDE;
      gl += hist[j];
      hl += hist[j + 1];
      cl += Math.round(hist[j + 1] * cntFactor);
      if (count - cl < minData) break;
      if (cl >= minData && hl >= minHess) {
        const hr = sumH - hl;
        if (hr >= minHess) {
          const gr = sumG - gl;
          const g = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2);
          if (g > bestGain) {
            bestGain = g;
            bestT = t;
            const cr = count - cl;
            bestDefaultLeft = cl >= cr;
            bestLG = gl;
            bestLH = hl;
            bestLC = cl;
          }
        }
      }
    }
  } else {
    for (let t = 0; t < numBins; t++) {
      const j = base + t * HIST_STRIDE;
      gl += hist[j];
      hl += hist[j + 1];
      cl += estCount(hist[j + 1], cntFactor);
      if (count - cl < minData) break;
      // Missing rows go right.
      if (cl >= minData && hl >= minHess) {
        const cr = count - cl;
        const hr = sumH - hl;
        if (cr >= minData && hr >= minHess) {
          const g = leafGain(gl, hl, l1, l2) + leafGain(sumG - gl, hr, l1, l2);
          if (g > bestGain) {
            bestGain = g;
            bestT = t;
            // With no missing rows here, send future NaN to the larger side (scikit-learn's rule).
            bestDefaultLeft = cm === 0 ? cl >= cr : false;
            bestLG = gl;
            bestLH = hl;
            bestLC = cl;
          }
        }
      }
      // Missing rows go left.
      if (cm > 0) {
        const lc = cl + cm;
        const lh = hl + hm;
        const cr = count - lc;
        const hr = sumH - lh;
        if (lc >= minData && lh >= minHess && cr >= minData && hr >= minHess) {
          const lg = gl + gm;
          const g = leafGain(lg, lh, l1, l2) + leafGain(sumG - lg, hr, l1, l2);
          if (g > bestGain) {
            bestGain = g;
            bestT = t;
            bestDefaultLeft = true;
            bestLG = lg;
            bestLH = lh;
            bestLC = lc;
          }
        }
      }
    }
  }
  if (bestT < 0 || !(bestGain > gainShift)) return;
  best.feature = feature;
  best.gain = bestGain - gainShift + c.minGainToSplit;
  best.thresholdBin = bestT;
  best.defaultLeft = bestDefaultLeft;
  best.categorical = false;
  best.catBins = [];
  setSides(best, bestLG, bestLH, bestLC, sumG, sumH, count, l1, l2);
}

function setSides(
  best: SplitInfo,
  lg: number,
  lh: number,
  lc: number,
  sumG: number,
  sumH: number,
  count: number,
  l1: number,
  l2: number,
): void {
  best.leftG = lg;
  best.leftH = lh;
  best.leftC = lc;
  best.rightG = sumG - lg;
  best.rightH = sumH - lh;
  best.rightC = count - lc;
  best.leftOutput = leafOutput(lg, lh, l1, l2);
  best.rightOutput = leafOutput(sumG - lg, sumH - lh, l1, l2);
}

/** Search a categorical feature for the best left set of categories; updates `best` on a larger gain. */
export function findBestCategorical(
  hist: Float64Array,
  histOffset: number,
  mapper: BinMapper,
  feature: number,
  sumG: number,
  sumH: number,
  count: number,
  c: SplitConstraints,
  best: SplitInfo,
): void {
  const l1 = c.lambdaL1;
  const minData = Math.max(1, c.minDataInLeaf);
  const minHess = c.minSumHessianInLeaf;
  const gainShift = leafGain(sumG, sumH, l1, c.lambdaL2) + c.minGainToSplit;
  const base = histOffset * HIST_STRIDE;
  const cntFactor = count / sumH;
  const cnt = (b: number) => estCount(hist[base + b * HIST_STRIDE + 1], cntFactor);
  const used: number[] = [];
  for (let b = 0; b < mapper.numValueBins; b++) if (hist[base + b * HIST_STRIDE + 1] > 0) used.push(b);
  let bestGain = best.feature >= 0 ? best.gain + gainShift - c.minGainToSplit : -Infinity;
  let bestSet: number[] | null = null;
  let bestL2 = c.lambdaL2;
  let bestLG = 0;
  let bestLH = 0;
  let bestLC = 0;
  if (used.length <= c.maxCatToOnehot) {
    const l2 = c.lambdaL2;
    for (const b of used) {
      const j = base + b * HIST_STRIDE;
      const lg = hist[j];
      const lh = hist[j + 1];
      const lc = cnt(b);
      const rc = count - lc;
      const rh = sumH - lh;
      if (lc < minData || lh < minHess || rc < minData || rh < minHess) continue;
      const g = leafGain(lg, lh, l1, l2) + leafGain(sumG - lg, rh, l1, l2);
      if (g > bestGain) {
        bestGain = g;
        bestSet = [b];
        bestL2 = l2;
        bestLG = lg;
        bestLH = lh;
        bestLC = lc;
      }
    }
  } else {
    const l2 = c.lambdaL2 + c.catL2;
    const smooth = c.catSmooth;
    const sorted = used.filter((b) => cnt(b) >= smooth);
    const ctr = (b: number) => hist[base + b * HIST_STRIDE] / (hist[base + b * HIST_STRIDE + 1] + smooth);
    sorted.sort((a, b) => ctr(a) - ctr(b) || a - b);
    const maxNum = Math.min(c.maxCatThreshold, (sorted.length + 1) >> 1);
    // Scan prefixes from both ends of the ordering, as LightGBM does.
    for (let dir = 0; dir < 2; dir++) {
      let lg = 0;
      let lh = 0;
      let lc = 0;
      let groupCount = 0;
      for (let i = 0; i < sorted.length && i < maxNum; i++) {
        const b = dir === 0 ? sorted[i] : sorted[sorted.length - 1 - i];
        const j = base + b * HIST_STRIDE;
        lg += hist[j];
        lh += hist[j + 1];
        lc += cnt(b);
        groupCount += cnt(b);
        if (lc < minData || lh < minHess) continue;
        const rc = count - lc;
        const rh = sumH - lh;
        if (rc < minData || rc < c.minDataPerGroup || rh < minHess) break;
        if (groupCount < c.minDataPerGroup) continue;
        groupCount = 0;
        const g = leafGain(lg, lh, l1, l2) + leafGain(sumG - lg, rh, l1, l2);
        if (g > bestGain) {
          bestGain = g;
          bestSet = dir === 0 ? sorted.slice(0, i + 1) : sorted.slice(sorted.length - 1 - i);
          bestL2 = l2;
          bestLG = lg;
          bestLH = lh;
          bestLC = lc;
        }
      }
    }
  }
  if (bestSet === null || !(bestGain > gainShift)) return;
  best.feature = feature;
  best.gain = bestGain - gainShift + c.minGainToSplit;
  best.thresholdBin = 0;
  best.defaultLeft = false;
  best.categorical = true;
  best.catBins = bestSet.slice().sort((a, b) => a - b);
  setSides(best, bestLG, bestLH, bestLC, sumG, sumH, count, l1, bestL2);
}
