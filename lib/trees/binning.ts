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
import { radixSortFloat64 } from "./sort-pairs.js";

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
  /**
   * LightGBM's feature_pre_filter: a numeric feature whose sample has no bin boundary leaving at
   * least this many rows (scaled to the sample) on both sides can never split and is made trivial.
   * 0 = keep every feature.
   */
  minDataInLeaf?: number;
}

/**
 * True when some bin boundary leaves at least `need` sampled rows on each side: between value bins
 * (missing rows on the right, in the last bin as LightGBM counts them) or between values and missing.
 */
function canSplit(sorted: Float64Array, missing: number, bounds: Float64Array, need: number): boolean {
  const n = sorted.length;
  let i = 0;
  for (let b = 0; b < bounds.length - 1; b++) {
    while (i < n && sorted[i] <= bounds[b]) i++;
    if (i >= need && n + missing - i >= need) return true;
  }
  return missing > 0 && n >= need && missing >= need;
}

/** Values this close to 0 form LightGBM's zero bin (its kZeroThreshold, a single-precision 1e-35). */
const ZERO_THRESHOLD = Math.fround(1e-35);

const ulpF64 = new Float64Array(1);
const ulpU32 = new Uint32Array(ulpF64.buffer);
// Index of the low 32-bit word of a double on this host.
const LO = new Uint8Array(Float64Array.of(1).buffer)[7] === 0x3f ? 0 : 1;

/** The next double above a (LightGBM rounds bin bounds up by one ulp). */
function nextUp(a: number): number {
  if (a !== a || a === Infinity) return a;
  if (a === 0) return Number.MIN_VALUE;
  ulpF64[0] = a;
  const lo = ulpU32[LO];
  if (a > 0) {
    // Magnitude up by one unit: increment the 64-bit pattern.
    ulpU32[LO] = (lo + 1) >>> 0;
    if (lo === 0xffffffff) ulpU32[1 - LO] += 1;
  } else {
    // Negative: magnitude down by one unit.
    ulpU32[LO] = (lo - 1) >>> 0;
    if (lo === 0) ulpU32[1 - LO] -= 1;
  }
  return ulpF64[0];
}

/**
 * Greedy bins over sorted distinct values with counts (LightGBM's rule): with few distinct values,
 * a bound between neighbours once a bin holds minDataInBin; otherwise bins of about equal count,
 * where a value holding at least a mean bin's worth gets a bin of its own. Bounds are midpoints
 * rounded up by one ulp; the last bound is +Infinity.
 */
function greedyBounds(values: Float64Array, counts: Int32Array, from: number, to: number, maxBin: number, total: number, minDataInBin: number): number[] {
  const n = to - from;
  const bounds: number[] = [];
  const push = (v: number) => {
    // Skip a bound within one ulp of the previous one.
    if (bounds.length === 0 || !(v <= nextUp(bounds[bounds.length - 1]))) bounds.push(v);
  };
  if (n <= maxBin) {
    let cur = 0;
    for (let i = from; i < to - 1; i++) {
      cur += counts[i];
      if (cur >= minDataInBin) {
        const before = bounds.length;
        push(nextUp((values[i] + values[i + 1]) / 2));
        if (bounds.length > before) cur = 0;
      }
    }
    bounds.push(Infinity);
    return bounds;
  }
  if (minDataInBin > 0) maxBin = Math.max(1, Math.min(maxBin, Math.floor(total / minDataInBin)));
  let meanBinSize = total / maxBin;
  let restBins = maxBin;
  let restCount = total;
  const big = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (counts[from + i] >= meanBinSize) {
      big[i] = 1;
      restBins--;
      restCount -= counts[from + i];
    }
  }
  meanBinSize = restCount / restBins;
  const upper: number[] = [];
  const lower: number[] = [values[from]];
  let cur = 0;
  for (let i = 0; i < n - 1; i++) {
    if (big[i] === 0) restCount -= counts[from + i];
    cur += counts[from + i];
    // LightGBM compares with half a mean bin computed in single precision.
    if (big[i] === 1 || cur >= meanBinSize || (big[i + 1] === 1 && cur >= Math.max(1, meanBinSize * Math.fround(0.5)))) {
      upper.push(values[from + i]);
      lower.push(values[from + i + 1]);
      if (upper.length >= maxBin - 1) break;
      cur = 0;
      if (big[i] === 0) {
        restBins--;
        meanBinSize = restCount / restBins;
      }
    }
  }
  for (let i = 0; i < upper.length; i++) push(nextUp((upper[i] + lower[i + 1]) / 2));
  bounds.push(Infinity);
  return bounds;
}

/**
 * Bin upper bounds of a numeric feature from its sorted non-NaN sample values, as LightGBM 4
 * finds them: values within 1e-35 of zero get a bin of their own, the remaining bins are shared
 * between negative and positive values in proportion to their counts, each side binned greedily
 * (see greedyBounds). `maxBin` counts value bins only (LightGBM's max_bin minus one when the
 * feature has missing values). The last bound is +Infinity.
 */
export function findNumericBounds(sorted: Float64Array, maxBin: number, minDataInBin: number): Float64Array {
  const n = sorted.length;
  if (n === 0) return Float64Array.of(Infinity);
  // Distinct values and counts; values within one ulp merge (keeping the larger); the near-zero
  // values count as one value 0, placed between the negative and the positive ones.
  const values = new Float64Array(n + 1);
  const counts = new Int32Array(n + 1);
  let zeros = 0;
  for (let i = 0; i < n; i++) if (Math.abs(sorted[i]) <= ZERO_THRESHOLD) zeros++;
  let d = 0;
  const push = (v: number, c: number) => {
    values[d] = v;
    counts[d] = c;
    d++;
  };
  let prev = NaN;
  for (let i = 0; i < n; i++) {
    const v = sorted[i];
    if (Math.abs(v) <= ZERO_THRESHOLD) continue;
    if (prev !== prev) {
      if (v > 0 && zeros > 0) push(0, zeros);
      push(v, 1);
    } else if (v <= nextUp(prev)) {
      values[d - 1] = v;
      counts[d - 1]++;
    } else {
      if (prev < 0 && v > 0) push(0, zeros);
      push(v, 1);
    }
    prev = v;
  }
  if (prev !== prev || (prev < 0 && zeros > 0)) push(0, zeros);
  // Negative values, then (after the zero bin) positive ones.
  let left = 0;
  let leftCount = 0;
  while (left < d && values[left] <= -ZERO_THRESHOLD) leftCount += counts[left++];
  let rightStart = left;
  while (rightStart < d && values[rightStart] <= ZERO_THRESHOLD) rightStart++;
  let rightCount = 0;
  for (let i = rightStart; i < d; i++) rightCount += counts[i];
  const zeroCount = n - leftCount - rightCount;
  let bounds: number[] = [];
  if (left > 0 && maxBin > 1) {
    const leftMax = Math.max(1, Math.floor((leftCount / (n - zeroCount)) * (maxBin - 1)));
    bounds = greedyBounds(values, counts, 0, left, leftMax, leftCount, minDataInBin);
    if (bounds.length > 0) bounds[bounds.length - 1] = -ZERO_THRESHOLD;
  }
  const rightMax = maxBin - 1 - bounds.length;
  if (rightStart < d && rightMax > 0) {
    const right = greedyBounds(values, counts, rightStart, d, rightMax, rightCount, minDataInBin);
    bounds.push(ZERO_THRESHOLD, ...right);
  } else bounds.push(Infinity);
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
    let missing = hasMissing[f] === 1;
    // LightGBM's max_bin counts the missing-value bin.
    let upperBounds = findNumericBounds(sorted, missing ? options.maxBin - 1 : options.maxBin, options.minDataInBin);
    const need = Math.floor(((options.minDataInLeaf ?? 0) * sampleSize) / nRows);
    if (need > 0 && !canSplit(sorted, missing ? sampleSize - sampleLen[f] : 0, upperBounds, need)) {
      upperBounds = Float64Array.of(Infinity);
      missing = false;
    }
    const numValueBins = upperBounds.length;
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
