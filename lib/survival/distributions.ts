/**
 * The few distribution functions the survival estimators need, with tails computed directly
 * (upper incomplete gamma, erfc) so that tiny p-values keep their relative precision.
 */

import gammainc from "@stdlib/math-base-special-gammainc";
import erfc from "@stdlib/math-base-special-erfc";
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import { ConfigError } from "../errors.js";

/** Upper tail P(X >= x) of a chi-squared distribution with `df` degrees of freedom. */
export function chiSquaredSurvival(x: number, df: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  return gammainc(x / 2, df / 2, true, true);
}

/** Two-sided normal p-value of a z statistic (equal to the chi-squared(1) tail of z^2). */
export function twoSidedNormalP(z: number): number {
  if (Number.isNaN(z)) return NaN;
  return erfc(Math.abs(z) / Math.SQRT2);
}

/** The standard normal quantile z such that P(Z <= z) = p. */
export function normalInverse(p: number): number {
  return normalQuantile(p, 0, 1);
}

/** The two-sided critical value z_{1 - alpha/2}, after checking 0 < alpha < 1. */
export function criticalZ(alpha: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new ConfigError(`invalid alpha: ${alpha} (must be in (0, 1))`);
  return normalInverse(1 - alpha / 2);
}
