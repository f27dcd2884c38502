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
