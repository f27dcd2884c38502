/**
 * PELT (Killick, Fearnhead & Eckley 2012): the exact minimizer of sum(segment cost) + penalty *
 * (number of change points) subject to a minimum segment length, with the pruning rule that a
 * candidate t whose F(t) + C(t, s) exceeds F(s) can never again be optimal. With a minimum segment
 * length the rule only holds for ends at least minSize past s, so a pruned candidate is kept until
 * then: the result is the exact optimum, not an approximation.
 *
 * Costs: "l2" (change in mean, C = sum (x - mean)^2) and "poisson" (counts with exposure,
 * C = -2 log likelihood at the segment's MLE rate, data-only terms dropped: 2 (S - S log(S / E))).
 * Penalty "bic" (default): sigma^2 log n for l2, with sigma estimated by the MAD of first
 * differences / sqrt 2 (the change-point literature's robust noise scale), and log n for poisson;
 * one parameter (the new segment's level) per change, as R's changepoint package counts it.
 */
import { ConfigError } from "../errors.js";
import { validateCounts, validateReal } from "./validate.js";

/** Settings of PELT. */
export interface PeltOptions {
  /** Segment cost (default "l2"). */
  readonly cost?: "l2" | "poisson";
  /** Exposure per day for the poisson cost (default 1). */
  readonly exposure?: ArrayLike<number>;
  /** Penalty per change point: a number or "bic" (default). */
  readonly penalty?: number | "bic";
  /** Minimum segment length (default 2, as in ruptures). */
  readonly minSize?: number;
}

/** The optimal segmentation. */
export interface PeltResult {
  /** First days of the segments after day 0 (ruptures' breakpoints without the final n). */
  readonly changepoints: Int32Array;
  /** The minimized penalized cost. */
  readonly cost: number;
  /** The penalty used. */
  readonly penalty: number;
  /** Mean number of candidates kept per step (pruning effectiveness). */
  readonly meanCandidates: number;
}

/** Robust noise standard deviation: MAD of first differences / (sqrt(2) * 0.6745). */
export function diffMadSigma(x: ArrayLike<number>): number {
  const n = x.length;
  if (n < 2) return 0;
  const d = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) d[i - 1] = x[i] - x[i - 1];
  d.sort();
  const med = median(d);
  for (let i = 0; i < d.length; i++) d[i] = Math.abs(d[i] - med);
  d.sort();
  return median(d) / (Math.SQRT2 * 0.6744897501960817);
}

function median(sorted: Float64Array): number {
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

/** Find the penalized-cost-optimal change points of a series with PELT. */
export function pelt(data: ArrayLike<number>, options: PeltOptions = {}): PeltResult {
  const costKind = options.cost ?? "l2";
  const minSize = options.minSize ?? 2;
  if (!Number.isInteger(minSize) || minSize < 1) throw new ConfigError(`invalid minSize: ${minSize}`);
  let n: number;
  let A: Float64Array; // prefix sums (x for l2, counts for poisson)
  let Bp: Float64Array; // prefix sums (x^2 for l2, exposure for poisson)
  let defaultPenalty: number;
  if (costKind === "l2") {
    const x = validateReal(data, "data");
    n = x.length;
    // Centre first so the sum-of-squares identity does not lose digits to a large mean.
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[i];
    mean /= n;
    A = new Float64Array(n + 1);
    Bp = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) {
      const v = x[i] - mean;
      A[i + 1] = A[i] + v;
      Bp[i + 1] = Bp[i] + v * v;
    }
    const sigma = diffMadSigma(x);
    defaultPenalty = sigma * sigma * Math.log(n);
  } else if (costKind === "poisson") {
    const s = validateCounts(data, options.exposure);
    n = s.counts.length;
    A = new Float64Array(n + 1);
    Bp = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) {
      A[i + 1] = A[i] + s.counts[i];
      Bp[i + 1] = Bp[i] + s.exposure[i];
    }
    defaultPenalty = Math.log(n);
  } else {
    throw new ConfigError(`invalid cost: ${String(costKind)} (expected "l2" or "poisson")`);
  }
  const penaltyOption = options.penalty ?? "bic";
  const penalty = penaltyOption === "bic" ? defaultPenalty : penaltyOption;
  if (!(penalty >= 0) || !Number.isFinite(penalty)) throw new ConfigError(`invalid penalty: ${String(penaltyOption)}`);

  const poisson = costKind === "poisson";
  const cost = (i: number, j: number): number => {
    const s = A[j] - A[i];
    if (poisson) {
      if (s <= 0) return 0;
      return 2 * (s - s * Math.log(s / (Bp[j] - Bp[i])));
    }
    return Bp[j] - Bp[i] - (s * s) / (j - i);
  };

  if (n < 2 * minSize) {
    return { changepoints: new Int32Array(0), cost: cost(0, n), penalty, meanCandidates: 1 };
  }
  // F[s] = optimal penalized cost of x[0..s) (each segment pays the penalty; one is subtracted at the end).
  const F = new Float64Array(n + 1).fill(Infinity);
  const last = new Int32Array(n + 1);
  F[0] = 0;
  let cand = new Int32Array(64);
  let prunedAt = new Int32Array(64); // -1 = alive, else the step at which its pruning was decided
  let vals = new Float64Array(64);
  let count = 0;
  let total = 0;
  for (let s = minSize; s <= n; s++) {
    // The newest admissible start is s - minSize (ruptures' order: it joins before the minimum).
    const t0 = s - minSize;
    if (t0 === 0 || t0 >= minSize) {
      if (count === cand.length) {
        const c2 = new Int32Array(count * 2);
        c2.set(cand);
        cand = c2;
        const p2 = new Int32Array(count * 2);
        p2.set(prunedAt);
        prunedAt = p2;
        vals = new Float64Array(count * 2);
      }
      cand[count] = t0;
      prunedAt[count] = -1;
      count++;
    }
    let best = Infinity;
    let arg = -1;
    for (let k = 0; k < count; k++) {
      const t = cand[k];
      const v = F[t] + cost(t, s) + penalty;
      vals[k] = v;
      if (v < best) {
        best = v;
        arg = t;
      }
    }
    F[s] = best;
    last[s] = arg;
    let kept = 0;
    for (let k = 0; k < count; k++) {
      let p = prunedAt[k];
      if (p < 0 && vals[k] > best + penalty) p = s;
      // Only ends >= p + minSize are covered by the pruning argument; keep it alive until then.
      if (p >= 0 && s + 1 >= p + minSize) continue;
      cand[kept] = cand[k];
      prunedAt[kept] = p;
      kept++;
    }
    count = kept;
    total += count;
  }
  const cps: number[] = [];
  for (let s = last[n]; s > 0; s = last[s]) cps.push(s);
  cps.reverse();
  return {
    changepoints: Int32Array.from(cps),
    cost: F[n] - penalty,
    penalty,
    meanCandidates: total / (n - minSize + 1),
  };
}
