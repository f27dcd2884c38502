/**
 * Drift between a training (reference) window and a scoring window, per feature: the population
 * stability index over the reference's quantile bins, PSI = sum (a_i - e_i) ln(a_i / e_i) with
 * bin shares floored at `epsilon`, and the two-sample Kolmogorov-Smirnov statistic
 * D = sup |F_ref(x) - F_cur(x)|.
 */
import { DataError } from "../errors.js";

/** Population stability index of `current` against `reference`, binned at the reference's quantiles. */
export function populationStabilityIndex(reference: ArrayLike<number>, current: ArrayLike<number>, bins = 10, epsilon = 1e-4): number {
  if (reference.length === 0 || current.length === 0) throw new DataError("populationStabilityIndex: empty sample");
  const ref = Float64Array.from(reference).sort();
  // Interior cut points at the reference quantiles; duplicate cuts collapse (constant stretches).
  const cuts: number[] = [];
  for (let b = 1; b < bins; b++) {
    const c = ref[Math.min(ref.length - 1, Math.floor((b * ref.length) / bins))];
    if (cuts.length === 0 || c > cuts[cuts.length - 1]) cuts.push(c);
  }
  const count = (xs: ArrayLike<number>): Float64Array => {
    const h = new Float64Array(cuts.length + 1);
    for (let i = 0; i < xs.length; i++) {
      let lo = 0;
      let hi = cuts.length;
      // First cut strictly greater than x: bins are [cut_{j-1}, cut_j).
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cuts[mid] <= xs[i]) lo = mid + 1;
        else hi = mid;
      }
      h[lo]++;
    }
    for (let j = 0; j < h.length; j++) h[j] = Math.max(h[j] / xs.length, epsilon);
    return h;
  };
  const e = count(reference);
  const a = count(current);
  let psi = 0;
  for (let j = 0; j < e.length; j++) psi += (a[j] - e[j]) * Math.log(a[j] / e[j]);
  return psi;
}

/** Two-sample Kolmogorov-Smirnov statistic D = sup |F_a - F_b| (like scipy's ks_2samp statistic). */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length === 0 || b.length === 0) throw new DataError("ksStatistic: empty sample");
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
    const diff = Math.abs(i / x.length - j / y.length);
    if (diff > d) d = diff;
  }
  return d;
}

/** Drift of one feature. */
export interface FeatureDrift {
  feature: string;
  psi: number;
  ks: number;
  drifted: boolean;
}

/** PSI and KS per feature between reference rows and current rows of column features; flagged when PSI >= psiLimit or KS >= ksLimit. */
export function featureDrift(
  names: readonly string[],
  columns: readonly Float64Array[],
  referenceRows: ArrayLike<number>,
  currentRows: ArrayLike<number>,
  options: { psiLimit?: number; ksLimit?: number; bins?: number } = {},
): FeatureDrift[] {
  const psiLimit = options.psiLimit ?? 0.25;
  const ksLimit = options.ksLimit ?? 0.2;
  const ref = new Float64Array(referenceRows.length);
  const cur = new Float64Array(currentRows.length);
  return names.map((feature, f) => {
    const col = columns[f];
    for (let i = 0; i < ref.length; i++) ref[i] = col[referenceRows[i]];
    for (let i = 0; i < cur.length; i++) cur[i] = col[currentRows[i]];
    const psi = populationStabilityIndex(ref, cur, options.bins ?? 10);
    const ks = ksStatistic(ref, cur);
    return { feature, psi, ks, drifted: psi >= psiLimit || ks >= ksLimit };
  });
}
