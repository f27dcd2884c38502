/**
 * The posterior of a hazard ratio HR = lambda_after / lambda_before when the two rates have
 * independent Gamma posteriors. With U = b2 lambda_after ~ Gamma(a2) and V = b1 lambda_before ~
 * Gamma(a1), W = U / (U + V) ~ Beta(a2, a1) and HR = (b1 / b2) W / (1 - W), so every probability
 * is a regularized incomplete beta: exact, no Monte Carlo.
 */
import { ConfigError } from "../errors.js";
import { betaCdf, bisect } from "./special.js";

/** Shape and rate of a Gamma posterior. */
export interface GammaParams {
  readonly shape: number;
  readonly rate: number;
}

/** Summary of a hazard-ratio posterior. */
export interface HazardRatioSummary {
  /** Posterior median of HR. */
  readonly median: number;
  /** Posterior mean of HR (Infinity when the before-shape is <= 1). */
  readonly mean: number;
  readonly lower: number;
  readonly upper: number;
  readonly level: number;
  /** The threshold c of pExceed. */
  readonly threshold: number;
  /** P(HR > threshold | data). */
  readonly pExceed: number;
}

/** P(HR <= c) for HR = after / before with independent Gamma posteriors. */
export function hazardRatioCdf(c: number, before: GammaParams, after: GammaParams): number {
  if (c <= 0) return 0;
  const q = (c * after.rate) / before.rate;
  return betaCdf(q / (1 + q), after.shape, before.shape);
}

/** P(HR > c) computed as an upper beta tail, so small tail probabilities keep their digits. */
export function hazardRatioExceedance(c: number, before: GammaParams, after: GammaParams): number {
  if (c <= 0) return 1;
  const q = (c * after.rate) / before.rate;
  return betaCdf(q / (1 + q), after.shape, before.shape, true);
}

/** The p-quantile of HR by inverting the Beta(a2, a1) CDF of W. */
export function hazardRatioQuantile(p: number, before: GammaParams, after: GammaParams): number {
  if (!(p > 0 && p < 1)) throw new ConfigError(`invalid quantile probability: ${p}`);
  const w = bisect((x) => betaCdf(x, after.shape, before.shape), p, 0, 1);
  return (before.rate / after.rate) * (w / (1 - w));
}

/** Posterior summary (median, mean, equal-tailed interval, P(HR > threshold)) of HR. */
export function hazardRatioPosterior(
  before: GammaParams,
  after: GammaParams,
  options: { level?: number; threshold?: number } = {},
): HazardRatioSummary {
  const level = options.level ?? 0.95;
  const threshold = options.threshold ?? 1.5;
  checkLevel(level);
  const tail = (1 - level) / 2;
  const mean = before.shape > 1 ? ((after.shape / after.rate) * before.rate) / (before.shape - 1) : Infinity;
  return {
    median: hazardRatioQuantile(0.5, before, after),
    mean,
    lower: hazardRatioQuantile(tail, before, after),
    upper: hazardRatioQuantile(1 - tail, before, after),
    level,
    threshold,
    pExceed: hazardRatioExceedance(threshold, before, after),
  };
}

/**
 * Summary of a finite mixture of HR posteriors (e.g. averaged over the change point's posterior):
 * probabilities are weighted sums, quantiles are found by bisection on the mixture CDF.
 */
export function hazardRatioMixture(
  weights: ArrayLike<number>,
  before: readonly GammaParams[],
  after: readonly GammaParams[],
  options: { level?: number; threshold?: number; interval?: boolean } = {},
): { median: number; lower: number; upper: number; level: number; threshold: number; pExceed: number } {
  const level = options.level ?? 0.95;
  const threshold = options.threshold ?? 1.5;
  checkLevel(level);
  let total = 0;
  for (let k = 0; k < weights.length; k++) total += weights[k];
  let pExceed = 0;
  for (let k = 0; k < weights.length; k++) pExceed += weights[k] * hazardRatioExceedance(threshold, before[k], after[k]);
  if (options.interval === false) return { median: NaN, lower: NaN, upper: NaN, level, threshold, pExceed: pExceed / total };
  const cdfAt = (c: number): number => {
    let s = 0;
    for (let k = 0; k < weights.length; k++) s += weights[k] * hazardRatioCdf(c, before[k], after[k]);
    return s / total;
  };
  // Bracket all quantiles from the heaviest component's median by doubling, then bisect in log HR
  // to a relative precision of 1e-10 (each step costs one incomplete beta per component).
  const tail = (1 - level) / 2;
  let heaviest = 0;
  for (let k = 1; k < weights.length; k++) if (weights[k] > weights[heaviest]) heaviest = k;
  const centre = hazardRatioQuantile(0.5, before[heaviest], after[heaviest]);
  let lo = centre;
  let hi = centre;
  for (let i = 0; i < 2000 && cdfAt(lo) > tail; i++) lo /= 2;
  for (let i = 0; i < 2000 && cdfAt(hi) < 1 - tail; i++) hi *= 2;
  const q = (p: number): number => {
    let a = Math.log(lo);
    let b = Math.log(hi);
    while (b - a > 1e-10) {
      const mid = 0.5 * (a + b);
      if (cdfAt(Math.exp(mid)) < p) a = mid;
      else b = mid;
    }
    return Math.exp(0.5 * (a + b));
  };
  return { median: q(0.5), lower: q(tail), upper: q(1 - tail), level, threshold, pExceed: pExceed / total };
}

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw new ConfigError(`invalid level: ${level} (must be in (0, 1))`);
}
