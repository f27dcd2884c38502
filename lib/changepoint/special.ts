/**
 * Special functions the change-point kernels call millions of times: a log-gamma fast enough for
 * inner loops, the Gamma and Beta tail functions, and a numerically safe log-sum-exp.
 */
import betainc from "@stdlib/math-base-special-betainc";
import gammainc from "@stdlib/math-base-special-gammainc";

const HALF_LOG_2PI = 0.9189385332046728;

/**
 * Log-gamma for x > 0, accurate to about 1e-15 relative: Stirling's series past 10, upward recurrence below.
 *
 * The stdlib gammaln is exact but too slow for the O(n K) segment sums; this one costs two logs.
 */
export function lgamma(x: number): number {
  let shift = 0;
  if (x < 10) {
    // One log of a product instead of one per step of the recurrence.
    let prod = 1;
    while (x < 10) {
      prod *= x;
      x += 1;
    }
    shift = Math.log(prod);
  }
  const r = 1 / x;
  const r2 = r * r;
  const series =
    r *
    (1 / 12 +
      r2 *
        (-1 / 360 +
          r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 * (1 / 156)))))));
  return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + series - shift;
}

/** log Gamma(a + k) - log Gamma(a) for a > 0 and an integer k >= 0, with one log for small k. */
export function logRising(a: number, k: number): number {
  if (k === 0) return 0;
  if (k <= 1024 && a < 1e15) {
    // Logs of products of 16 terms: no cancellation, unlike lgamma(a + k) - lgamma(a) at large a.
    let total = 0;
    for (let i = 0; i < k; i += 16) {
      const stop = Math.min(k, i + 16);
      let prod = a + i;
      for (let j = i + 1; j < stop; j++) prod *= a + j;
      total += Math.log(prod);
    }
    return total;
  }
  return lgamma(a + k) - lgamma(a);
}

/** log(exp(a) + exp(b)) without overflow; -Infinity is the identity. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** Regularized incomplete beta I_x(a, b), or its upper tail 1 - I_x(a, b) computed directly. */
export function betaCdf(x: number, a: number, b: number, upper = false): number {
  if (x <= 0) return upper ? 1 : 0;
  if (x >= 1) return upper ? 0 : 1;
  return betainc(x, a, b, true, upper);
}

/** CDF of Gamma(shape, rate) at x (or its upper tail). */
export function gammaCdf(x: number, shape: number, rate: number, upper = false): number {
  if (x <= 0) return upper ? 1 : 0;
  return gammainc(x * rate, shape, true, upper);
}

/**
 * Solve f(x) = target for a non-decreasing f on [lo, hi] by bisection to full double precision.
 *
 * Used to invert CDFs that have no stdlib inverse (Beta mixtures, Gamma ratios).
 */
export function bisect(f: (x: number) => number, target: number, lo: number, hi: number, iterations = 200): number {
  for (let i = 0; i < iterations; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (f(mid) < target) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}
