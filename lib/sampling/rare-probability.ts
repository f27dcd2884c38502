/**
 * Probability of a rare failure P(g(X) >= threshold) of a simulator with standard Gaussian inputs
 * X ~ N(0, I_d): crude Monte Carlo, importance sampling with a mean-shifted Gaussian proposal
 * N(v, I_d), and the multilevel cross-entropy method (Rubinstein 1999; de Boer, Kroese, Mannor &
 * Rubinstein 2005) that tunes the shift v: raise an intermediate level to the (1 - rho) sample
 * quantile of g, refit v to the likelihood-ratio-weighted elite samples, until the level reaches
 * the threshold.
 *
 * The likelihood ratio of N(0, I) to N(v, I) at x is exp(-v.x + |v|^2 / 2).
 */
import erfc from "@stdlib/math-base-special-erfc";
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import { ConfigError, ConvergenceError } from "../errors.js";
import type { Rng } from "../util/random.js";

/** A simulator's limit-state function: failure when g(x) >= threshold. Must not keep x. */
export type LimitState = (x: Float64Array) => number;

/** A rare-probability estimate. */
export interface RareProbabilityEstimate {
  readonly estimate: number;
  /** Estimated variance of the estimate. */
  readonly variance: number;
  /** Estimated relative error sqrt(variance) / estimate (Infinity with no hits). */
  readonly relativeError: number;
  /** Samples that hit the failure region. */
  readonly hits: number;
  /** Simulator evaluations spent (including the cross-entropy phase). */
  readonly evaluations: number;
  /** The proposal mean shift (zeros for crude Monte Carlo). */
  readonly shift: Float64Array;
  /** Intermediate levels of the cross-entropy phase. */
  readonly levels: readonly number[];
}

/** Upper tail of the standard normal, P(Z > z), accurate far into the tail. */
export function normalTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

function checkCommon(dim: number, samples: number): void {
  if (!Number.isInteger(dim) || dim < 1) throw new ConfigError(`invalid dim: ${dim} (must be an integer >= 1)`);
  if (!Number.isInteger(samples) || samples < 2) throw new ConfigError(`invalid samples: ${samples} (must be an integer >= 2)`);
}

/** Crude Monte Carlo: the share of N(0, I) draws with g >= threshold. */
export function crudeMonteCarlo(g: LimitState, dim: number, threshold: number, samples: number, rng: Rng): RareProbabilityEstimate {
  checkCommon(dim, samples);
  const x = new Float64Array(dim);
  let hits = 0;
  for (let s = 0; s < samples; s++) {
    for (let j = 0; j < dim; j++) x[j] = rng.normal();
    if (g(x) >= threshold) hits++;
  }
  const p = hits / samples;
  const variance = (p * (1 - p)) / samples;
  return { estimate: p, variance, relativeError: p > 0 ? Math.sqrt(variance) / p : Infinity, hits, evaluations: samples, shift: new Float64Array(dim), levels: [] };
}

/** Importance sampling with proposal N(shift, I): mean of 1{g >= threshold} times the likelihood ratio. */
export function shiftedImportanceSampling(g: LimitState, shift: ArrayLike<number>, threshold: number, samples: number, rng: Rng): RareProbabilityEstimate {
  const dim = shift.length;
  checkCommon(dim, samples);
  const v = Float64Array.from(shift);
  let half = 0;
  for (let j = 0; j < dim; j++) half += 0.5 * v[j] * v[j];
  const x = new Float64Array(dim);
  let sum = 0;
  let sum2 = 0;
  let hits = 0;
  for (let s = 0; s < samples; s++) {
    let dot = 0;
    for (let j = 0; j < dim; j++) {
      x[j] = v[j] + rng.normal();
      dot += v[j] * x[j];
    }
    if (g(x) >= threshold) {
      const w = Math.exp(half - dot);
      sum += w;
      sum2 += w * w;
      hits++;
    }
  }
  const p = sum / samples;
  // Unbiased sample variance of the per-draw terms, divided by the sample size.
  const variance = Math.max(0, (sum2 - samples * p * p) / (samples - 1)) / samples;
  return { estimate: p, variance, relativeError: p > 0 ? Math.sqrt(variance) / p : Infinity, hits, evaluations: samples, shift: v, levels: [] };
}

/** Options of the cross-entropy tuning. */
export interface CrossEntropyOptions {
  /** Draws per cross-entropy iteration (default 2000). */
  readonly ceSamples?: number;
  /** Elite fraction (default 0.1). */
  readonly rho?: number;
  /** Iteration cap (default 50). */
  readonly maxIterations?: number;
}

/** Tune the Gaussian mean shift by the multilevel cross-entropy method. */
export function crossEntropyShift(g: LimitState, dim: number, threshold: number, options: CrossEntropyOptions, rng: Rng): { shift: Float64Array; levels: number[]; evaluations: number } {
  const n = options.ceSamples ?? 2000;
  const rho = options.rho ?? 0.1;
  const maxIterations = options.maxIterations ?? 50;
  checkCommon(dim, n);
  if (!(rho > 0 && rho < 1)) throw new ConfigError(`invalid rho: ${rho} (must be in (0, 1))`);
  const v = new Float64Array(dim);
  const xs = new Float64Array(n * dim);
  const gs = new Float64Array(n);
  const sorted = new Float64Array(n);
  const x = new Float64Array(dim);
  const levels: number[] = [];
  let evaluations = 0;
  for (let it = 0; it < maxIterations; it++) {
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < dim; j++) {
        x[j] = v[j] + rng.normal();
        xs[s * dim + j] = x[j];
      }
      gs[s] = g(x);
    }
    evaluations += n;
    sorted.set(gs);
    sorted.sort();
    const level = Math.min(threshold, sorted[Math.min(n - 1, Math.floor((1 - rho) * n))]);
    levels.push(level);
    // Elite samples (g >= level) weighted by the likelihood ratio to the nominal density.
    let half = 0;
    for (let j = 0; j < dim; j++) half += 0.5 * v[j] * v[j];
    const next = new Float64Array(dim);
    let wsum = 0;
    for (let s = 0; s < n; s++) {
      if (gs[s] < level) continue;
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += v[j] * xs[s * dim + j];
      const w = Math.exp(half - dot);
      wsum += w;
      for (let j = 0; j < dim; j++) next[j] += w * xs[s * dim + j];
    }
    if (!(wsum > 0)) throw new ConvergenceError(`cross-entropy: no elite samples at iteration ${it} (level ${level})`);
    for (let j = 0; j < dim; j++) v[j] = next[j] / wsum;
    if (level >= threshold) return { shift: v, levels, evaluations };
  }
  throw new ConvergenceError(`cross-entropy: level ${levels[levels.length - 1]} did not reach the threshold ${threshold} in ${maxIterations} iterations`);
}

/** Cross-entropy-tuned importance sampling: tune the shift, then estimate with fresh draws. */
export function crossEntropyImportanceSampling(
  g: LimitState,
  dim: number,
  threshold: number,
  samples: number,
  options: CrossEntropyOptions,
  rng: Rng,
): RareProbabilityEstimate {
  const ce = crossEntropyShift(g, dim, threshold, options, rng.fork(1));
  const est = shiftedImportanceSampling(g, ce.shift, threshold, samples, rng.fork(2));
  return { ...est, evaluations: est.evaluations + ce.evaluations, levels: ce.levels };
}

/**
 * Relative error of importance sampling for P(Z > t), Z ~ N(0, 1), with proposal N(shift, 1) and
 * n draws: the per-draw second moment is exp(shift^2) P(Z > t + shift).
 */
export function gaussianTailIsRelativeError(threshold: number, shift: number, samples: number): number {
  const p = normalTail(threshold);
  const m2 = Math.exp(shift * shift) * normalTail(threshold + shift);
  return Math.sqrt(Math.max(0, m2 - p * p) / samples) / p;
}

/**
 * A trip-level critical-event simulator: standardized stressors (speed excess, visibility loss,
 * sensor noise, reaction delay, friction loss) load linearly on a severity score, and a critical
 * event occurs when the score passes a threshold. Linear in Gaussian inputs, so P(critical) is
 * known exactly: P(Z > threshold / |loadings|).
 */
export function linearStressSimulator(loadings: readonly number[] = [0.6, 0.5, 0.4, 0.3, 0.35]): {
  dim: number;
  limitState: LimitState;
  thresholdFor(p: number): number;
  probability(threshold: number): number;
} {
  const a = Float64Array.from(loadings);
  let norm = 0;
  for (let j = 0; j < a.length; j++) norm += a[j] * a[j];
  norm = Math.sqrt(norm);
  if (!(norm > 0)) throw new ConfigError("linearStressSimulator: loadings must not all be 0");
  return {
    dim: a.length,
    limitState: (x) => {
      let s = 0;
      for (let j = 0; j < a.length; j++) s += a[j] * x[j];
      return s;
    },
    thresholdFor: (p) => {
      if (!(p > 0 && p < 1)) throw new ConfigError(`invalid probability: ${p}`);
      return norm * normalQuantile(1 - p, 0, 1);
    },
    probability: (t) => normalTail(t / norm),
  };
}
