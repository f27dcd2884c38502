/**
 * Exact Bayesian inference for at most one change in a Poisson rate with exposure (conjugate
 * Gamma prior): the posterior over the change day, the no-change model, the two segment rates and
 * the hazard ratio rate_after / rate_before. Every number is a closed form or an exact sum over
 * the n - 1 candidate days, computed in log space.
 */
import { ConfigError } from "../errors.js";
import {
  dataLogConstant,
  gammaPosterior,
  prefixSums,
  resolveGammaPrior,
  segmentLogMarginal,
  type GammaPosteriorSummary,
  type GammaPrior,
} from "./gamma-poisson.js";
import { hazardRatioMixture, hazardRatioPosterior, type GammaParams, type HazardRatioSummary } from "./hazard-ratio.js";
import { validateCounts } from "./validate.js";

/** Settings of the single-change model. */
export interface SingleChangepointOptions {
  /** Gamma prior on both segment rates (default: shape 1 centred on the pooled rate). */
  readonly prior?: GammaPrior;
  /** Prior probability that there is a change at all (default 0.5); the day is uniform given a change. */
  readonly pChange?: number;
  /** Minimum number of days in each segment (default 1). */
  readonly minSegment?: number;
  /** Credible level of all intervals (default 0.95). */
  readonly level?: number;
  /** Hazard-ratio threshold for P(HR > threshold) (default 1.5). */
  readonly threshold?: number;
  /**
   * Change days whose posterior is below this fraction of the largest are left out of the
   * hazard-ratio mixture (default 1e-12): their total weight is below n * tolerance.
   */
  readonly mixtureTolerance?: number;
  /**
   * The averaged HR interval costs about 100 incomplete-beta evaluations per retained change day;
   * above this many retained days (default 20000) only its P(HR > threshold) is computed and the
   * interval is NaN (the HR at the MAP day is always complete).
   */
  readonly maxMixtureDays?: number;
}

/** Posterior of the single-change model. */
export interface SingleChangepointResult {
  readonly kind: "single-changepoint";
  readonly n: number;
  readonly prior: GammaPrior;
  /** Prior probability of a change. */
  readonly pChangePrior: number;
  /** log p(data) under the two-model mixture, including the data-only Poisson terms. */
  readonly logEvidence: number;
  /** log of p(data | one change) / p(data | no change). */
  readonly logBayesFactor: number;
  /** Posterior probability of no change. */
  readonly pNoChange: number;
  /** posterior[tau] = P(one change and day tau is the first day of the new rate | data); sums to 1 - pNoChange. */
  readonly posterior: Float64Array;
  /** The most probable change day given a change (-1 when no change day is possible). */
  readonly mapChange: number;
  /** Rate before the MAP change day (null when no change day is possible). */
  readonly before: GammaPosteriorSummary | null;
  /** Rate from the MAP change day on. */
  readonly after: GammaPosteriorSummary | null;
  /** Rate of the whole series under the no-change model. */
  readonly pooled: GammaPosteriorSummary;
  /** HR posterior conditional on the change being at the MAP day. */
  readonly hazardRatioAtMap: HazardRatioSummary | null;
  /** HR posterior given a change, averaged over the change day's posterior. */
  readonly hazardRatio: { median: number; lower: number; upper: number; level: number; threshold: number; pExceed: number } | null;
  /** P(HR > threshold | data) over both models (no change means HR = 1). */
  readonly pExceed: number;
  toJSON(): Record<string, unknown>;
}

/** Compute the exact posterior of the at-most-one-change Poisson model for counts with exposure. */
export function singleChangepoint(
  counts: ArrayLike<number>,
  exposure?: ArrayLike<number>,
  options: SingleChangepointOptions = {},
): SingleChangepointResult {
  const series = validateCounts(counts, exposure);
  const n = series.counts.length;
  const prior = resolveGammaPrior(options.prior, series);
  const pChange = options.pChange ?? 0.5;
  if (!(pChange >= 0 && pChange <= 1)) throw new ConfigError(`invalid pChange: ${pChange} (must be in [0, 1])`);
  const minSegment = options.minSegment ?? 1;
  if (!Number.isInteger(minSegment) || minSegment < 1) throw new ConfigError(`invalid minSegment: ${minSegment}`);
  const level = options.level ?? 0.95;
  const threshold = options.threshold ?? 1.5;
  const tolerance = options.mixtureTolerance ?? 1e-12;
  const ps = prefixSums(series);
  const S = ps.counts;
  const E = ps.exposure;
  const constant = dataLogConstant(series);

  const logNoChange = segmentLogMarginal(S[n], E[n], prior);
  const first = minSegment;
  const last = n - minSegment;
  const candidates = Math.max(0, last - first + 1);
  const logPost = new Float64Array(n).fill(-Infinity);
  let maxLog = -Infinity;
  let mapChange = -1;
  for (let tau = first; tau <= last; tau++) {
    const v =
      segmentLogMarginal(S[tau], E[tau], prior) + segmentLogMarginal(S[n] - S[tau], E[n] - E[tau], prior);
    logPost[tau] = v;
    if (v > maxLog) {
      maxLog = v;
      mapChange = tau;
    }
  }
  // log p(data | change) = log mean over candidate days of the two-segment marginal.
  let sum = 0;
  for (let tau = first; tau <= last; tau++) sum += Math.exp(logPost[tau] - maxLog);
  const logChange = candidates > 0 ? maxLog + Math.log(sum) - Math.log(candidates) : -Infinity;
  const wChange = candidates > 0 && pChange > 0 ? Math.log(pChange) + logChange : -Infinity;
  const wNone = pChange < 1 ? Math.log(1 - pChange) + logNoChange : -Infinity;
  const top = Math.max(wChange, wNone);
  const logZ = top + Math.log(Math.exp(wChange - top) + Math.exp(wNone - top));
  const pNoChange = Math.exp(wNone - logZ);
  const posterior = new Float64Array(n);
  if (wChange > -Infinity) {
    const offset = Math.log(pChange) - Math.log(candidates) - logZ;
    for (let tau = first; tau <= last; tau++) posterior[tau] = Math.exp(logPost[tau] + offset);
  }

  const pooled = gammaPosterior(S[n], E[n], prior, level);
  let before: GammaPosteriorSummary | null = null;
  let after: GammaPosteriorSummary | null = null;
  let hazardRatioAtMap: HazardRatioSummary | null = null;
  let hazardRatio: SingleChangepointResult["hazardRatio"] = null;
  let pExceed = threshold < 1 ? pNoChange : 0;
  if (mapChange >= 0) {
    before = gammaPosterior(S[mapChange], E[mapChange], prior, level);
    after = gammaPosterior(S[n] - S[mapChange], E[n] - E[mapChange], prior, level);
    hazardRatioAtMap = hazardRatioPosterior(before, after, { level, threshold });
    const weights: number[] = [];
    const bs: GammaParams[] = [];
    const as: GammaParams[] = [];
    const cut = Math.log(tolerance);
    for (let tau = first; tau <= last; tau++) {
      if (logPost[tau] - maxLog < cut) continue;
      weights.push(Math.exp(logPost[tau] - maxLog));
      bs.push({ shape: prior.shape + S[tau], rate: prior.rate + E[tau] });
      as.push({ shape: prior.shape + S[n] - S[tau], rate: prior.rate + E[n] - E[tau] });
    }
    const interval = weights.length <= (options.maxMixtureDays ?? 20000);
    hazardRatio = hazardRatioMixture(weights, bs, as, { level, threshold, interval });
    pExceed += (1 - pNoChange) * hazardRatio.pExceed;
  }
  const logBayesFactor = logChange - logNoChange;
  const logEvidence = logZ + constant;
  return {
    kind: "single-changepoint",
    n,
    prior,
    pChangePrior: pChange,
    logEvidence,
    logBayesFactor,
    pNoChange,
    posterior,
    mapChange,
    before,
    after,
    pooled,
    hazardRatioAtMap,
    hazardRatio,
    pExceed,
    toJSON() {
      return {
        kind: "single-changepoint",
        version: 1,
        n,
        prior,
        pChangePrior: pChange,
        logEvidence,
        logBayesFactor,
        pNoChange,
        posterior: Array.from(posterior),
        mapChange,
        before,
        after,
        pooled,
        hazardRatioAtMap,
        hazardRatio,
        pExceed,
      };
    },
  };
}
