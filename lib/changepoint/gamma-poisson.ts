/**
 * The conjugate Poisson-Gamma model with exposure: counts x_i ~ Poisson(lambda * e_i) within a
 * segment, lambda ~ Gamma(shape a, rate b). Its segment marginal likelihood is closed form, which
 * is what makes the offline posteriors exact.
 */
import quantileGamma from "@stdlib/stats-base-dists-gamma-quantile";
import { ConfigError } from "../errors.js";
import { lgamma } from "./special.js";
import type { CountSeries } from "./validate.js";

/** Gamma(shape, rate) prior on an event rate (events per unit exposure). */
export interface GammaPrior {
  readonly shape: number;
  readonly rate: number;
}

/** A Gamma posterior on a segment's rate with its equal-tailed credible interval. */
export interface GammaPosteriorSummary {
  readonly shape: number;
  readonly rate: number;
  readonly mean: number;
  readonly lower: number;
  readonly upper: number;
  readonly level: number;
}

/** Check a user-supplied Gamma prior, or build the default one centred on the pooled rate. */
export function resolveGammaPrior(prior: GammaPrior | undefined, series: CountSeries, key = "prior"): GammaPrior {
  if (prior !== undefined) {
    if (!(prior.shape > 0) || !Number.isFinite(prior.shape)) throw new ConfigError(`invalid ${key}.shape: ${prior.shape} (must be > 0)`);
    if (!(prior.rate > 0) || !Number.isFinite(prior.rate)) throw new ConfigError(`invalid ${key}.rate: ${prior.rate} (must be > 0)`);
    return { shape: prior.shape, rate: prior.rate };
  }
  // Default: shape 1 (about one event's worth of information) centred on the pooled rate, with
  // half an event added so an all-zero series still gets a proper prior; no exposure at all
  // leaves nothing to centre on, so the rate is 1.
  let s = 0;
  let e = 0;
  for (let i = 0; i < series.counts.length; i++) {
    s += series.counts[i];
    e += series.exposure[i];
  }
  return e > 0 ? { shape: 1, rate: e / (s + 0.5) } : { shape: 1, rate: 1 };
}

/** Prefix sums of counts and exposures (length n + 1) for O(1) segment totals. */
export interface PrefixSums {
  readonly counts: Float64Array;
  readonly exposure: Float64Array;
}

/** Build prefix sums of a validated count series. */
export function prefixSums(series: CountSeries): PrefixSums {
  const n = series.counts.length;
  const c = new Float64Array(n + 1);
  const e = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    c[i + 1] = c[i] + series.counts[i];
    e[i + 1] = e[i] + series.exposure[i];
  }
  return { counts: c, exposure: e };
}

/**
 * Log marginal likelihood of one segment with total count S and exposure E, without the data-only
 * term sum(x log e - log x!) that every segmentation shares (see dataLogConstant).
 */
export function segmentLogMarginal(S: number, E: number, prior: GammaPrior): number {
  const a = prior.shape;
  const b = prior.rate;
  return a * Math.log(b) - lgamma(a) + lgamma(a + S) - (a + S) * Math.log(b + E);
}

/** The data-only part of the Poisson log likelihood, sum(x log e - log x!), shared by all segmentations. */
export function dataLogConstant(series: CountSeries): number {
  let total = 0;
  for (let i = 0; i < series.counts.length; i++) {
    const x = series.counts[i];
    // A zero count contributes nothing, even with zero exposure (0 * log 0 is taken as 0).
    if (x > 0) total += x * Math.log(series.exposure[i]) - lgamma(x + 1);
  }
  return total;
}

/** Summarize the Gamma posterior of a rate after total count S over exposure E. */
export function gammaPosterior(S: number, E: number, prior: GammaPrior, level = 0.95): GammaPosteriorSummary {
  const shape = prior.shape + S;
  const rate = prior.rate + E;
  const tail = (1 - level) / 2;
  return {
    shape,
    rate,
    mean: shape / rate,
    lower: quantileGamma(tail, shape, rate),
    upper: quantileGamma(1 - tail, shape, rate),
    level,
  };
}
