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
import { radixSortFloat64 } from "./sortPairs.js";

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
  // Typed buffers: continuous features have as many distinct values as sampled rows.
  const distinct = new Float64Array(n);
  const counts = new Int32Array(n);
  let d = 0;
  for (let i = 0; i < n; i++) {
    const v = sorted[i];
    if (d > 0 && distinct[d - 1] === v) counts[d - 1]++;
    else {
      distinct[d] = v;
      counts[d] = 1;
      d++;
    }
  }
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
  // One row-major pass gathers the sample into columns and finds which features have NaN; a pass
  // per feature over a row-major matrix would stride through all of memory nCols times.
  const sampleCols = new Float64Array(sampleSize * nCols);
  const sampleLen = new Int32Array(nCols);
  const hasMissing = new Uint8Array(nCols);
  let k = 0;
  for (let r = 0; r < nRows; r++) {
    const o = r * nCols;
    // Selection sampling (Knuth's algorithm S): a uniform sample without replacement, in row order.
    const take = sampleSize === nRows || (k < sampleSize && (nRows - r) * rng.uniform() < sampleSize - k);
    for (let f = 0; f < nCols; f++) {
      const v = values[o + f];
      if (v !== v) hasMissing[f] = 1;
      else if (take) sampleCols[f * sampleSize + sampleLen[f]++] = v;
    }
    if (take) k++;
  }
  const mappers: BinMapper[] = [];
  for (let f = 0; f < nCols; f++) {
    if (options.categoricalFeatures.has(f)) {
      mappers.push(buildCategoricalMapper(x, f, options.maxCategories));
      continue;
    }
    const sorted = sampleCols.subarray(f * sampleSize, f * sampleSize + sampleLen[f]);
    radixSortFloat64(sorted);
    const upperBounds = findNumericBounds(sorted, options.maxBin, options.minDataInBin);
    const numValueBins = upperBounds.length;
    const missing = hasMissing[f] === 1;
    mappers.push({
      categorical: false,
      numValueBins,
      upperBounds,
      categories: new Int32Array(0),
      missingBin: missing ? numValueBins : -1,
      totalBins: numValueBins + (missing ? 1 : 0),
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

/**
 * Binned training data: one uint8 code per row and feature, stored column-major in groups of four
 * features. Group g holds features 4g..4g+3; its codes for row r are the four bytes of
 * `packed[g * nRows + r]` (feature 4g + lane in bits 8 * lane .. 8 * lane + 7), so a histogram
 * pass reads four features of a row with one 32-bit load.
 */
export interface BinnedData {
  nRows: number;
  nCols: number;
  numGroups: number;
  packed: Uint32Array;
  /** Optionally the codes once more, column by column, one byte each (feature f, row r at f * nRows + r). */
  columns: Uint8Array | null;
}

/** Bin code of row r, feature f. */
export function binAt(d: BinnedData, f: number, r: number): number {
  return (d.packed[(f >>> 2) * d.nRows + r] >>> ((f & 3) << 3)) & 255;
}

/**
 * Bin every value of the matrix (see BinnedData for the layout): into `target` when given (e.g.
 * WebAssembly memory), else into a new array, in shared memory when `target` is true; also into
 * `columns` (one byte per code, column by column) when given.
 */
export function binMatrix(
  x: FeatureMatrix,
  mappers: readonly BinMapper[],
  target: boolean | Uint32Array = false,
  columns: Uint8Array | null = null,
): BinnedData {
  const { nRows, nCols, values } = x;
  const numGroups = (nCols + 3) >>> 2;
  if (typeof target !== "boolean" && target.length !== numGroups * nRows) {
    throw new Error(`internal: binMatrix target holds ${target.length} words, expected ${numGroups * nRows}`);
  }
  // Shared memory when histogram workers will read the codes.
  const packed =
    typeof target !== "boolean" ? target : target ? new Uint32Array(new SharedArrayBuffer(numGroups * nRows * 4)) : new Uint32Array(numGroups * nRows);
  // Numeric bounds padded to 256 with +Infinity: a fixed 8-step binary search, no length checks.
  const padded = new Float64Array(256 * nCols);
  const missBin = new Int32Array(nCols);
  const catIndex: Array<Map<number, number> | null> = [];
  for (let f = 0; f < nCols; f++) {
    const m = mappers[f];
    if (m.categorical) {
      const index = new Map<number, number>();
      m.categories.forEach((c, b) => index.set(c, b));
      catIndex.push(index);
      continue;
    }
    catIndex.push(null);
    padded.fill(Infinity, 256 * f, 256 * (f + 1));
    padded.set(m.upperBounds, 256 * f);
    missBin[f] = m.missingBin >= 0 ? m.missingBin : m.numValueBins - 1;
  }
  for (let r = 0; r < nRows; r++) {
    const o = r * nCols;
    let word = 0;
    for (let f = 0; f < nCols; f++) {
      const v = values[o + f];
      let code: number;
      const index = catIndex[f];
      if (index !== null) code = binValue(mappers[f], v, index);
      else if (v !== v) code = missBin[f];
      else {
        const u = 256 * f;
        // Branch-free steps: the comparisons are unpredictable, so add their 0/1 outcome instead.
        let b = +(v > padded[u + 127]) << 7;
        b += +(v > padded[u + b + 63]) << 6;
        b += +(v > padded[u + b + 31]) << 5;
        b += +(v > padded[u + b + 15]) << 4;
        b += +(v > padded[u + b + 7]) << 3;
        b += +(v > padded[u + b + 3]) << 2;
        b += +(v > padded[u + b + 1]) << 1;
        b += +(v > padded[u + b]);
        code = b;
      }
      const lane = f & 3;
      if (columns !== null) columns[f * nRows + r] = code;
      word |= code << (lane << 3);
      if (lane === 3 || f === nCols - 1) {
        packed[(f >>> 2) * nRows + r] = word;
        word = 0;
      }
    }
  }
  return { nRows, nCols, numGroups, packed, columns };
}
