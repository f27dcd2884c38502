/** Allocation-free in-place sorts of float keys (optionally with an index array alongside): quicksort with median-of-three pivots and insertion sort for small runs. */

/** Sort keys[lo, hi) ascending, permuting idx alongside. */
export function sortPairs(keys: Float64Array, idx: Uint32Array, lo: number, hi: number): void {
  while (hi - lo > 16) {
    // Median of three as pivot keeps sorted and reversed runs (common in features) fast.
    const mid = (lo + hi) >>> 1;
    const a = keys[lo];
    const b = keys[mid];
    const c = keys[hi - 1];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi - 1;
    while (i <= j) {
      while (keys[i] < pivot) i++;
      while (keys[j] > pivot) j--;
      if (i <= j) {
        const tk = keys[i];
        keys[i] = keys[j];
        keys[j] = tk;
        const ti = idx[i];
        idx[i] = idx[j];
        idx[j] = ti;
        i++;
        j--;
      }
    }
    // Recurse into the smaller part, loop on the larger: O(log n) stack.
    if (j + 1 - lo < hi - i) {
      sortPairs(keys, idx, lo, j + 1);
      lo = i;
    } else {
      sortPairs(keys, idx, i, hi);
      hi = j + 1;
    }
  }
  for (let i = lo + 1; i < hi; i++) {
    const k = keys[i];
    const v = idx[i];
    let j = i - 1;
    while (j >= lo && keys[j] > k) {
      keys[j + 1] = keys[j];
      idx[j + 1] = idx[j];
      j--;
    }
    keys[j + 1] = k;
    idx[j + 1] = v;
  }
}

/** Sort keys[lo, hi) ascending in place (no NaN allowed): a quicksort several times faster than TypedArray#sort in V8. */
export function sortFloat64(keys: Float64Array, lo: number, hi: number): void {
  while (hi - lo > 16) {
    const mid = (lo + hi) >>> 1;
    const a = keys[lo];
    const b = keys[mid];
    const c = keys[hi - 1];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi - 1;
    while (i <= j) {
      while (keys[i] < pivot) i++;
      while (keys[j] > pivot) j--;
      if (i <= j) {
        const t = keys[i];
        keys[i] = keys[j];
        keys[j] = t;
        i++;
        j--;
      }
    }
    if (j + 1 - lo < hi - i) {
      sortFloat64(keys, lo, j + 1);
      lo = i;
    } else {
      sortFloat64(keys, i, hi);
      hi = j + 1;
    }
  }
  for (let i = lo + 1; i < hi; i++) {
    const k = keys[i];
    let j = i - 1;
    while (j >= lo && keys[j] > k) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = k;
  }
}

/**
 * Sort a Float64Array ascending (no NaN) by LSD radix sort on the IEEE-754 bit patterns: four
 * passes of 16-bit digits, no comparisons, several times faster than a comparison sort for the
 * 200k-value samples of bin construction.
 */
export function radixSortFloat64(values: Float64Array): void {
  const n = values.length;
  if (n < 512) {
    sortFloat64(values, 0, n);
    return;
  }
  // Order-preserving keys: flip all bits of negatives, only the sign bit of non-negatives.
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  let hi = new Uint32Array(n);
  let lo = new Uint32Array(n);
  // Little-endian hosts store the low word first; check once rather than assume.
  const le = new Uint8Array(Float64Array.of(1).buffer)[7] === 0x3f;
  const iLo = le ? 0 : 1;
  const iHi = le ? 1 : 0;
  for (let i = 0; i < n; i++) {
    const h = words[2 * i + iHi];
    const l = words[2 * i + iLo];
    if (h & 0x80000000) {
      hi[i] = ~h >>> 0;
      lo[i] = ~l >>> 0;
    } else {
      hi[i] = (h | 0x80000000) >>> 0;
      lo[i] = l;
    }
  }
  let hi2 = new Uint32Array(n);
  let lo2 = new Uint32Array(n);
  // Three 11-bit passes on the high words only (count tables of 8 KB stay in L1, unlike 16-bit
  // digits); keys that tie on the high word (same sign, exponent and top 20 mantissa bits: rare
  // for continuous data) are then put in order by their low word, run by run.
  const count = new Uint32Array(2048);
  for (let pass = 0; pass < 3; pass++) {
    const shift = 11 * pass;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(hi[i] >>> shift) & 2047]++;
    let sum = 0;
    for (let d = 0; d < 2048; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const h = hi[i];
      const j = count[(h >>> shift) & 2047]++;
      hi2[j] = h;
      lo2[j] = lo[i];
    }
    const th = hi;
    hi = hi2;
    hi2 = th;
    const tl = lo;
    lo = lo2;
    lo2 = tl;
  }
  for (let a = 0; a < n; ) {
    let b = a + 1;
    while (b < n && hi[b] === hi[a]) b++;
    if (b - a > 1) lo.subarray(a, b).sort();
    a = b;
  }
  for (let i = 0; i < n; i++) {
    const h = hi[i];
    if (h & 0x80000000) {
      words[2 * i + iHi] = (h & 0x7fffffff) >>> 0;
      words[2 * i + iLo] = lo[i];
    } else {
      words[2 * i + iHi] = ~h >>> 0;
      words[2 * i + iLo] = ~lo[i] >>> 0;
    }
  }
}
