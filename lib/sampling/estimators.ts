/**
 * Estimators for Poisson samples (unit i included independently with probability pi_i):
 * Horvitz-Thompson totals and rates with the unbiased Poisson-sampling variance estimator,
 * the Hajek (self-normalized) ratio with its linearized variance, self-normalized importance
 * sampling means, Kish's effective sample size, weight diagnostics, and intervals (Wald, and the
 * gamma interval of Fay & Feuer 1997 for weighted sums of rare counts).
 *
 * All functions take the sampled units only: values y_i and their inclusion probabilities pi_i.
 */
import gammaQuantile from "@stdlib/stats-base-dists-gamma-quantile";
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import { ConfigError, DataError } from "../errors.js";
import { paretoK } from "./pareto.js";

/** A point estimate with its estimated variance and a two-sided interval. */
export interface Estimate {
  readonly estimate: number;
  readonly variance: number;
  readonly se: number;
  readonly lower: number;
  readonly upper: number;
}

function checkPair(y: ArrayLike<number>, pi: ArrayLike<number>): void {
  if (y.length !== pi.length) throw new DataError(`${y.length} values but ${pi.length} inclusion probabilities`);
  for (let i = 0; i < pi.length; i++) {
    const p = pi[i];
    if (!(p > 0 && p <= 1)) throw new DataError(`pi[${i}] = ${p}: inclusion probabilities of sampled units must be in (0, 1]`);
    if (!Number.isFinite(y[i])) throw new DataError(`y[${i}] = ${y[i]}: values must be finite`);
  }
}

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw new ConfigError(`invalid level: ${level} (must be in (0, 1))`);
}

/** Wald interval estimate +- z se. */
export function waldInterval(estimate: number, variance: number, level = 0.95): Estimate {
  checkLevel(level);
  const se = Math.sqrt(Math.max(0, variance));
  const z = normalQuantile(1 - (1 - level) / 2, 0, 1);
  return { estimate, variance, se, lower: estimate - z * se, upper: estimate + z * se };
}

/**
 * Horvitz-Thompson total sum y_i / pi_i over the sample, with the unbiased variance estimator of
 * Poisson sampling sum (1 - pi_i) y_i^2 / pi_i^2 and a Wald interval.
 */
export function horvitzThompson(y: ArrayLike<number>, pi: ArrayLike<number>, level = 0.95): Estimate {
  checkPair(y, pi);
  let total = 0;
  let variance = 0;
  for (let i = 0; i < y.length; i++) {
    const w = 1 / pi[i];
    total += y[i] * w;
    variance += (1 - pi[i]) * y[i] * y[i] * w * w;
  }
  return waldInterval(total, variance, level);
}

/**
 * Exact design variance of the Horvitz-Thompson total under Poisson sampling, from the whole
 * population: sum over all units of (1 - pi_i) y_i^2 / pi_i.
 */
export function horvitzThompsonDesignVariance(yPopulation: ArrayLike<number>, piPopulation: ArrayLike<number>): number {
  checkPair(yPopulation, piPopulation);
  let v = 0;
  for (let i = 0; i < yPopulation.length; i++) v += ((1 - piPopulation[i]) * yPopulation[i] * yPopulation[i]) / piPopulation[i];
  return v;
}

/**
 * Hajek ratio sum(y/pi) / sum(x/pi) (a rate per unit of x, e.g. events per mile; x = 1 gives the
 * self-normalized mean) with the linearized variance sum (1 - pi) (y - R x)^2 / pi^2 / X_hat^2.
 */
export function hajekRatio(y: ArrayLike<number>, x: ArrayLike<number>, pi: ArrayLike<number>, level = 0.95): Estimate {
  checkPair(y, pi);
  if (x.length !== y.length) throw new DataError(`${y.length} values but ${x.length} denominators`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < y.length; i++) {
    num += y[i] / pi[i];
    den += x[i] / pi[i];
  }
  if (!(den > 0)) throw new DataError("hajekRatio: the estimated denominator total is not positive");
  const r = num / den;
  let v = 0;
  for (let i = 0; i < y.length; i++) {
    const e = y[i] - r * x[i];
    v += ((1 - pi[i]) * e * e) / (pi[i] * pi[i]);
  }
  return waldInterval(r, v / (den * den), level);
}

/**
 * Self-normalized importance-sampling mean sum(w f) / sum(w) with the delta-method variance
 * sum w^2 (f - mean)^2 / (sum w)^2 (Owen 2013, section 9.2).
 */
export function selfNormalizedMean(values: ArrayLike<number>, weights: ArrayLike<number>, level = 0.95): Estimate & { ess: number } {
  if (values.length !== weights.length) throw new DataError(`${values.length} values but ${weights.length} weights`);
  let sw = 0;
  let swf = 0;
  for (let i = 0; i < values.length; i++) {
    const w = weights[i];
    if (!(w >= 0) || !Number.isFinite(w)) throw new DataError(`weights[${i}] = ${w}: weights must be finite and >= 0`);
    sw += w;
    swf += w * values[i];
  }
  if (!(sw > 0)) throw new DataError("selfNormalizedMean: the weights sum to 0");
  const mean = swf / sw;
  let v = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i] - mean;
    v += weights[i] * weights[i] * d * d;
  }
  return { ...waldInterval(mean, v / (sw * sw), level), ess: kishEss(weights) };
}

/** Kish's effective sample size (sum w)^2 / sum w^2. */
export function kishEss(weights: ArrayLike<number>): number {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < weights.length; i++) {
    s += weights[i];
    s2 += weights[i] * weights[i];
  }
  return s2 > 0 ? (s * s) / s2 : 0;
}

/** Diagnostics of a set of importance weights. */
export interface WeightDiagnostics {
  /** Number of weights. */
  readonly n: number;
  /** Kish effective sample size. */
  readonly ess: number;
  /** ess / n. */
  readonly essFraction: number;
  /** The largest weight's share of the total weight. */
  readonly maxWeightShare: number;
  /** Largest / mean weight. */
  readonly maxToMean: number;
  /** Generalized Pareto shape of the upper tail (PSIS diagnostic; NaN with fewer than 5 tail weights). Above 0.7 the estimate is unreliable. */
  readonly paretoK: number;
}

/** Kish ESS, largest-weight share and the Pareto k of the weight tail. */
export function weightDiagnostics(weights: ArrayLike<number>): WeightDiagnostics {
  const n = weights.length;
  let s = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    if (!(w >= 0) || !Number.isFinite(w)) throw new DataError(`weights[${i}] = ${w}: weights must be finite and >= 0`);
    s += w;
    if (w > max) max = w;
  }
  const ess = kishEss(weights);
  return {
    n,
    ess,
    essFraction: n > 0 ? ess / n : NaN,
    maxWeightShare: s > 0 ? max / s : NaN,
    maxToMean: s > 0 ? max / (s / n) : NaN,
    paretoK: paretoK(weights).k,
  };
}

/**
 * Gamma interval for a weighted sum of Poisson counts T = sum w_j Y_j with variance estimate V
 * (Fay & Feuer 1997): lower = Gamma(T^2/V, scale V/T) quantile, upper = the same with one more
 * event of weight `extraWeight` added (T + w, V + w^2), which keeps the interval conservative for
 * very few events and gives a finite upper limit when T = 0. Fay & Feuer take the largest weight;
 * Tiwari et al. (2006) the mean weight, which is less conservative.
 */
export function gammaInterval(total: number, variance: number, extraWeight: number, level = 0.95): Estimate {
  checkLevel(level);
  if (!(total >= 0) || !(variance >= 0)) throw new DataError(`gammaInterval: total ${total} and variance ${variance} must be >= 0`);
  if (!(extraWeight > 0) || !Number.isFinite(extraWeight)) throw new DataError(`gammaInterval: extraWeight ${extraWeight} must be > 0`);
  const a = (1 - level) / 2;
  const lower = total > 0 && variance > 0 ? gammaQuantile(a, (total * total) / variance, total / variance) : total > 0 ? total : 0;
  const t1 = total + extraWeight;
  const v1 = variance + extraWeight * extraWeight;
  const upper = gammaQuantile(1 - a, (t1 * t1) / v1, t1 / v1);
  return { estimate: total, variance, se: Math.sqrt(variance), lower, upper };
}
