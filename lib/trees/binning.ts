/**
 * Quantile binning of features into at most 256 codes (LightGBM's "max_bin"), so that split
 * finding works on small histograms instead of sorted values. Numeric features get bins with
 * upper bounds between distinct sample values, plus one extra bin for missing values when the
 * training data has any; categorical features get one bin per frequent category plus an "other or
 * missing" bin that always goes right, as in LightGBM.
 */
import { DataError } from "../errors.js";
import type { Rng } from "../util/random.js";
import type { FeatureMatrix } from "./matrix.js";

/** Categorical values must be integers below this bound (split sets are stored as bitsets). */
export const MAX_CATEGORY = 0x100000;

/** How one feature maps raw values to bin codes. */
export interface BinMapper {
  readonly categorical: boolean;
  /** Numeric: number of value bins (codes 0..numValueBins-1). Categorical: number of kept categories. */
  readonly numValueBins: number;
  /** Numeric only: upper bound of each value bin (value <= bound); the last is +Infinity. */
  readonly upperBounds: Float64Array;
  /** Categorical only: the category value held by each bin. */
  readonly categories: Int32Array;
  /** Code of the missing bin (numeric: only when training data had NaN; categorical: "other or missing"), or -1. */
  readonly missingBin: number;
  /** Total codes used: value bins plus the missing bin if any. */
  readonly totalBins: number;
}

/** Options of the binning step. */
export interface BinningOptions {
  maxBin: number;
  minDataInBin: number;
  binConstructSampleCnt: number;
  categoricalFeatures: ReadonlySet<number>;
  maxCategories: number;
}

/** Midpoint of two increasing values that lies in [a, b), finite even at the infinities. */
function boundBetween(a: number, b: number): number {
  if (b === Infinity) return Number.MAX_VALUE;
  if (a === -Infinity) return -Number.MAX_VALUE;
  const m = a / 2 + b / 2;
  return m >= b || m < a ? a : m;
}

/** Bin upper bounds from a sorted sample (NaN removed): distinct values if few, else greedy equal-count bins. */
export function findNumericBounds(sorted: Float64Array, maxBin: number, minDataInBin: number): Float64Array {
  const n = sorted.length;
  if (n === 0) return Float64Array.of(Infinity);
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = sorted[i];
    if (distinct.length > 0 && distinct[distinct.length - 1] === v) counts[counts.length - 1]++;
    else {
      distinct.push(v);
      counts.push(1);
    }
  }
  const d = distinct.length;
  const bounds: number[] = [];
  if (d <= maxBin) {
    for (let i = 0; i < d - 1; i++) bounds.push(boundBetween(distinct[i], distinct[i + 1]));
  } else {
    // Greedy equal-count cuts; the target is re-estimated from what is left so that heavy
    // values (a spike of zeros, say) do not starve the remaining range of bins.
    let remaining = n;
    let binsLeft = maxBin;
    let target = remaining / binsLeft;
    let cur = 0;
    for (let i = 0; i < d - 1 && binsLeft > 1; i++) {
      cur += counts[i];
      const cutHere = cur >= target || counts[i + 1] >= target;
      if (cutHere && cur >= minDataInBin) {
        bounds.push(boundBetween(distinct[i], distinct[i + 1]));
        remaining -= cur;
        binsLeft--;
        target = remaining / binsLeft;
        cur = 0;
      }
    }
  }
  bounds.push(Infinity);
  return Float64Array.from(bounds);
}

/** Build the bin mapper of every feature from (a seeded sample of) the training rows. */
export function buildBinMappers(x: FeatureMatrix, options: BinningOptions, rng: Rng): BinMapper[] {
  const { nRows, nCols, values } = x;
  const sampleSize = Math.min(nRows, options.binConstructSampleCnt);
  let sampleRows: Uint32Array;
  if (sampleSize === nRows) {
    sampleRows = new Uint32Array(nRows);
    for (let i = 0; i < nRows; i++) sampleRows[i] = i;
  } else {
    // Selection sampling (Knuth's algorithm S) keeps the sample sorted, so reads stay sequential.
    sampleRows = new Uint32Array(sampleSize);
    let k = 0;
    for (let i = 0; i < nRows && k < sampleSize; i++) {
      if ((nRows - i) * rng.uniform() < sampleSize - k) sampleRows[k++] = i;
    }
  }
  const mappers: BinMapper[] = [];
  const buf = new Float64Array(sampleSize);
  for (let f = 0; f < nCols; f++) {
    if (options.categoricalFeatures.has(f)) {
      mappers.push(buildCategoricalMapper(x, f, options.maxCategories));
      continue;
    }
    let m = 0;
    for (let i = 0; i < sampleSize; i++) {
      const v = values[sampleRows[i] * nCols + f];
      if (v === v) buf[m++] = v;
    }
    const sorted = buf.slice(0, m).sort();
    const upperBounds = findNumericBounds(sorted, options.maxBin, options.minDataInBin);
    let hasMissing = false;
    for (let r = 0; r < nRows; r++) {
      const v = values[r * nCols + f];
      if (v !== v) {
        hasMissing = true;
        break;
      }
    }
    const numValueBins = upperBounds.length;
    mappers.push({
      categorical: false,
      numValueBins,
      upperBounds,
      categories: new Int32Array(0),
      missingBin: hasMissing ? numValueBins : -1,
      totalBins: numValueBins + (hasMissing ? 1 : 0),
    });
  }
  return mappers;
}

function buildCategoricalMapper(x: FeatureMatrix, f: number, maxCategories: number): BinMapper {
  const { nRows, nCols, values } = x;
  const counts = new Map<number, number>();
  for (let r = 0; r < nRows; r++) {
    const v = values[r * nCols + f];
    if (v !== v || v < 0) continue;
    if (!Number.isInteger(v) || v >= MAX_CATEGORY) {
      throw new DataError(`categorical feature ${f}: row ${r} has value ${v}; categories must be integers in [0, ${MAX_CATEGORY}) (NaN or negative = missing)`);
    }
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  // Most frequent first; rarer categories beyond the limit share the "other" bin.
  const kept = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, maxCategories);
  const categories = Int32Array.from(kept, (e) => e[0]);
  return {
    categorical: true,
    numValueBins: categories.length,
    upperBounds: new Float64Array(0),
    categories,
    missingBin: categories.length,
    totalBins: categories.length + 1,
  };
}

/** Bin code of one raw value. */
export function binValue(mapper: BinMapper, v: number, catIndex?: Map<number, number>): number {
  if (mapper.categorical) {
    const b = catIndex?.get(v);
    return b === undefined ? mapper.missingBin : b;
  }
  if (v !== v) return mapper.missingBin >= 0 ? mapper.missingBin : mapper.numValueBins - 1;
  const ub = mapper.upperBounds;
  let lo = 0;
  let hi = ub.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v <= ub[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Bin every value into one column-major Uint8Array: code of row r, feature f at `f * nRows + r`. */
export function binMatrix(x: FeatureMatrix, mappers: readonly BinMapper[]): Uint8Array {
  const { nRows, nCols, values } = x;
  const out = new Uint8Array(nRows * nCols);
  for (let f = 0; f < nCols; f++) {
    const mapper = mappers[f];
    const base = f * nRows;
    if (mapper.categorical) {
      const index = new Map<number, number>();
      mapper.categories.forEach((c, b) => index.set(c, b));
      for (let r = 0; r < nRows; r++) out[base + r] = binValue(mapper, values[r * nCols + f], index);
      continue;
    }
    const ub = mapper.upperBounds;
    const last = ub.length - 1;
    const miss = mapper.missingBin >= 0 ? mapper.missingBin : last;
    for (let r = 0; r < nRows; r++) {
      const v = values[r * nCols + f];
      if (v !== v) {
        out[base + r] = miss;
        continue;
      }
      let lo = 0;
      let hi = last;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (v <= ub[mid]) hi = mid;
        else lo = mid + 1;
      }
      out[base + r] = lo;
    }
  }
  return out;
}
