/**
 * Exact Bayesian multiple change-point inference for Poisson counts with exposure (Fearnhead 2006,
 * "Exact and efficient Bayesian inference for multiple changepoint problems"): a product-partition
 * model whose segments have independent Gamma-distributed rates and whose lengths follow a
 * geometric or negative-binomial prior. A backward recursion gives P(data after a change), a forward
 * recursion gives P(data before a change); together they give the posterior change probability of
 * every day, the posterior mean rate of every day, exact posterior samples of segmentations, and
 * (by the max-product version of the forward recursion) the MAP segmentation.
 *
 * Pruning (Fearnhead 2006, section 3.3): a candidate segment start (forward) or end (backward) is
 * dropped for good once its weight, with the segment's survival probability as an optimistic
 * length factor, falls below `tolerance` (default 1e-12) times the largest candidate's. The sums
 * are then exact up to terms of that relative size; with tolerance 0 nothing is pruned and the
 * recursions are exact in O(n^2). The per-day summaries skip segments whose posterior probability
 * is below 1e-16 (rate means) or 1e-12 (exceedance, which needs an incomplete gamma per segment).
 * Cost: O(n K) with K about log(1 / tolerance) / p retained candidates under a geometric(p) prior
 * when the data do not cut segments shorter.
 */
import { ConfigError } from "../errors.js";
import type { Rng } from "../util/random.js";
import {
  dataLogConstant,
  prefixSums,
  resolveGammaPrior,
  type GammaPrior,
} from "./gamma-poisson.js";
import { segmentLengthTables, type SegmentLengthPrior } from "./segment-prior.js";
import { gammaCdf, lgamma } from "./special.js";
import { validateCounts } from "./validate.js";

/** Settings of the multiple change-point model. */
export interface MultipleChangepointOptions {
  /** Gamma prior on every segment's rate (default: shape 1 centred on the pooled rate). */
  readonly prior?: GammaPrior;
  /** Segment-length prior (default geometric with p = 1/250). */
  readonly segmentPrior?: SegmentLengthPrior;
  /** Relative pruning tolerance (default 1e-12; 0 disables pruning). */
  readonly tolerance?: number;
  /** Also compute, per day, P(rate > ratio * baselineRate | data). */
  readonly exceedance?: { readonly baselineRate: number; readonly ratio: number };
}

/** Posterior of the multiple change-point model. */
export interface MultipleChangepointResult {
  readonly kind: "multiple-changepoints";
  readonly n: number;
  readonly prior: GammaPrior;
  readonly segmentPrior: SegmentLengthPrior;
  readonly tolerance: number;
  /** log p(data), including the data-only Poisson terms. */
  readonly logEvidence: number;
  /** changeProbability[t] = P(a new segment starts on day t | data); entry 0 is 0. */
  readonly changeProbability: Float64Array;
  /** Posterior expected number of change points. */
  readonly expectedChanges: number;
  /** Posterior mean of each day's rate. */
  readonly rateMean: Float64Array;
  /** Per-day P(rate > ratio * baselineRate | data) when `exceedance` was given. */
  readonly exceedance: Float64Array | null;
  /** First days of the segments of the MAP segmentation, after day 0. */
  readonly mapChanges: Int32Array;
  /** Mean and largest number of candidates kept per step by the pruning. */
  readonly candidates: { readonly mean: number; readonly max: number };
  /** Draw exact posterior segmentations (each as its change days) from a seeded generator. */
  sample(count: number, rng: Rng): Int32Array[];
  toJSON(): Record<string, unknown>;
}

/** Run the forward-backward recursions of the product-partition Poisson change-point model. */
export function multipleChangepoints(
  counts: ArrayLike<number>,
  exposure?: ArrayLike<number>,
  options: MultipleChangepointOptions = {},
): MultipleChangepointResult {
  const series = validateCounts(counts, exposure);
  const n = series.counts.length;
  const prior = resolveGammaPrior(options.prior, series);
  const segmentPrior: SegmentLengthPrior = options.segmentPrior ?? { kind: "geometric", p: 1 / 250 };
  const tolerance = options.tolerance ?? 1e-12;
  if (!(tolerance >= 0 && tolerance < 1)) throw new ConfigError(`invalid tolerance: ${tolerance} (must be in [0, 1))`);
  const logTol = tolerance > 0 ? Math.log(tolerance) : -Infinity;
  const { logPmf, logSurvival } = segmentLengthTables(segmentPrior, n);
  const ps = prefixSums(series);
  const PS = ps.counts;
  const PE = ps.exposure;
  const a = prior.shape;
  const b = prior.rate;
  const priorConst = a * Math.log(b) - lgamma(a);
  // Counts are integers, so lgamma(a + S) over all segment totals S comes from one table; only the
  // log of the exposure stays in the O(n K) inner loops.
  const total = PS[n];
  const lgTable = total <= 5e7 ? new Float64Array(total + 1) : null;
  if (lgTable !== null) for (let s = 0; s <= total; s++) lgTable[s] = lgamma(a + s);
  const useTable = lgTable !== null;
  const table = lgTable ?? new Float64Array(0);
  // Called O(n K) times: the table index is made an int32 so element access stays on the fast path.
  const seg = (i: number, j: number): number => {
    const s = PS[j] - PS[i];
    return priorConst + (useTable ? table[s | 0] : lgamma(a + s)) - (a + s) * Math.log(b + PE[j] - PE[i]);
  };

  // Backward: B[i] = log p(y[i..n) | a segment starts at i); B[n] = 0 by convention.
  const B = new Float64Array(n + 1);
  let cand: Int32Array = new Int32Array(64);
  let scratch: Float64Array = new Float64Array(64);
  let score: Float64Array = new Float64Array(64);
  let count = 1;
  cand[0] = n;
  let candidateTotal = 0;
  let candidateMax = 0;
  for (let i = n - 1; i >= 0; i--) {
    let maxTerm = -Infinity;
    let maxScore = -Infinity;
    for (let k = 0; k < count; k++) {
      const j = cand[k];
      const L = j - i;
      const m = seg(i, j) + B[j];
      const term = m + (j === n ? logSurvival[L] : logPmf[L]);
      const sc = m + logSurvival[L];
      scratch[k] = term;
      score[k] = sc;
      if (term > maxTerm) maxTerm = term;
      if (sc > maxScore) maxScore = sc;
    }
    let sum = 0;
    for (let k = 0; k < count; k++) sum += Math.exp(scratch[k] - maxTerm);
    B[i] = maxTerm + Math.log(sum);
    const cut = maxScore + logTol;
    let kept = 0;
    for (let k = 0; k < count; k++) if (score[k] >= cut) cand[kept++] = cand[k];
    count = kept;
    candidateTotal += count;
    if (count > candidateMax) candidateMax = count;
    if (i > 0) {
      if (count === cand.length) {
        cand = grow(cand);
        scratch = new Float64Array(cand.length);
        score = new Float64Array(cand.length);
      }
      cand[count++] = i;
    }
  }
  const logZ = B[0];

  // Forward: A[j] = log p(y[0..j), a segment ends at j); V is its max-product twin for the MAP.
  const A = new Float64Array(n + 1);
  const V = new Float64Array(n + 1);
  const back = new Int32Array(n + 1);
  const changeProbability = new Float64Array(n);
  const rateDiff = new Float64Array(n + 1);
  const exceed = options.exceedance;
  const exceedDiff = exceed ? new Float64Array(n + 1) : null;
  const exceedLevel = exceed ? exceed.ratio * exceed.baselineRate : 0;
  if (exceed && !(exceedLevel > 0)) {
    throw new ConfigError(`invalid exceedance: baselineRate ${exceed.baselineRate} * ratio ${exceed.ratio} must be > 0`);
  }
  let vscore: Float64Array = new Float64Array(cand.length);
  count = 1;
  cand[0] = 0;
  for (let j = 1; j <= n; j++) {
    const end = j === n;
    let maxTerm = -Infinity;
    let maxScore = -Infinity;
    let maxV = -Infinity;
    let maxVScore = -Infinity;
    let argV = 0;
    for (let k = 0; k < count; k++) {
      const i = cand[k];
      const L = j - i;
      const m = seg(i, j);
      const lg = end ? logSurvival[L] : logPmf[L];
      const term = A[i] + m + lg;
      const sc = A[i] + m + logSurvival[L];
      const v = V[i] + m + lg;
      const vs = V[i] + m + logSurvival[L];
      scratch[k] = term;
      score[k] = sc;
      vscore[k] = vs;
      if (term > maxTerm) maxTerm = term;
      if (sc > maxScore) maxScore = sc;
      if (vs > maxVScore) maxVScore = vs;
      if (v > maxV) {
        maxV = v;
        argV = i;
      }
    }
    // Posterior probability of each segment [i, j) is exp(term - maxTerm) * exp(maxTerm + B[j] - log Z):
    // the first factor is the log-sum-exp's own exp, so the per-day summaries cost no extra exp.
    // Segments below 1e-16 posterior probability are left out of them.
    const scale = Math.exp(maxTerm + (end ? 0 : B[j]) - logZ);
    let sum = 0;
    for (let k = 0; k < count; k++) {
      const ek = Math.exp(scratch[k] - maxTerm);
      sum += ek;
      const pSeg = ek * scale;
      if (pSeg > 1e-16) {
        const i = cand[k];
        const s = PS[j] - PS[i];
        const e = PE[j] - PE[i];
        const w = (pSeg * (a + s)) / (b + e);
        rateDiff[i] += w;
        rateDiff[j] -= w;
        if (exceedDiff !== null && pSeg > 1e-12) {
          const q = pSeg * gammaCdf(exceedLevel, a + s, b + e, true);
          exceedDiff[i] += q;
          exceedDiff[j] -= q;
        }
      }
    }
    A[j] = maxTerm + Math.log(sum);
    V[j] = maxV;
    back[j] = argV;
    if (!end) changeProbability[j] = Math.exp(A[j] + B[j] - logZ);
    const cut = maxScore + logTol;
    const vcut = maxVScore + logTol;
    let kept = 0;
    for (let k = 0; k < count; k++) if (score[k] >= cut || vscore[k] >= vcut) cand[kept++] = cand[k];
    count = kept;
    if (!end) {
      if (count === cand.length) {
        cand = grow(cand);
        scratch = new Float64Array(cand.length);
        score = new Float64Array(cand.length);
        vscore = new Float64Array(cand.length);
      }
      cand[count++] = j;
    }
  }

  const rateMean = new Float64Array(n);
  const exceedance = exceedDiff ? new Float64Array(n) : null;
  let acc = 0;
  let accE = 0;
  let expectedChanges = 0;
  for (let t = 0; t < n; t++) {
    acc += rateDiff[t];
    rateMean[t] = acc;
    if (exceedance !== null && exceedDiff !== null) {
      accE += exceedDiff[t];
      exceedance[t] = Math.min(1, Math.max(0, accE));
    }
    expectedChanges += changeProbability[t];
  }
  const mapList: number[] = [];
  for (let j = back[n]; j > 0; j = back[j]) mapList.push(j);
  mapList.reverse();
  const mapChanges = Int32Array.from(mapList);
  const logEvidence = logZ + dataLogConstant(series);

  const sample = (howMany: number, rng: Rng): Int32Array[] => {
    if (!Number.isInteger(howMany) || howMany < 0) throw new ConfigError(`invalid sample count: ${howMany}`);
    const out: Int32Array[] = [];
    const draw: number[] = [];
    for (let s = 0; s < howMany; s++) {
      draw.length = 0;
      let i = 0;
      while (i < n) {
        // Inverse-CDF walk over the end of the segment that starts at i: exact terms, stops at the draw.
        const u = rng.uniform();
        let cum = 0;
        let j = i + 1;
        for (; j < n; j++) {
          cum += Math.exp(seg(i, j) + logPmf[j - i] + B[j] - B[i]);
          if (cum > u) break;
        }
        if (j >= n) break;
        draw.push(j);
        i = j;
      }
      out.push(Int32Array.from(draw));
    }
    return out;
  };

  return {
    kind: "multiple-changepoints",
    n,
    prior,
    segmentPrior,
    tolerance,
    logEvidence,
    changeProbability,
    expectedChanges,
    rateMean,
    exceedance,
    mapChanges,
    candidates: { mean: candidateTotal / n, max: candidateMax },
    sample,
    toJSON() {
      return {
        kind: "multiple-changepoints",
        version: 1,
        n,
        prior,
        segmentPrior,
        tolerance,
        logEvidence,
        changeProbability: Array.from(changeProbability),
        expectedChanges,
        rateMean: Array.from(rateMean),
        exceedance: exceedance ? Array.from(exceedance) : null,
        mapChanges: Array.from(mapChanges),
      };
    },
  };
}

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
