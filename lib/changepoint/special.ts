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

const EXP2_FRAC = new Float64Array(64);
for (let j = 0; j < 64; j++) EXP2_FRAC[j] = Math.pow(2, j / 64);
const EXP2_INT = new Float64Array(1100);
for (let i = 0; i < 1100; i++) EXP2_INT[i] = Math.pow(2, i - 1050);
const LN2_64_INV = 64 / Math.LN2;
// ln 2 / 64 split as in fdlibm: the high part has 32 significant bits, so k * high is exact.
const LN2_64_HI = 6.93147180369123816490e-1 / 64;
const LN2_64_LO = 1.90821492927058770002e-10 / 64;

/**
 * exp(x) for x <= 0 (and small positive x), within 1e-15 relative of Math.exp; 0 below -700.
 *
 * Why: the BOCPD kernel takes one exp per run length per step and V8's Math.exp is a call into
 * C; this inlines. exp(x) = 2^(k/64) exp(r) with |r| <= ln2/128, a degree-6 Taylor polynomial for
 * exp(r) (truncation < 2e-19) and two table lookups for 2^(k/64). Weights below e^-700 relative
 * to the largest are far below any pruning threshold, so flushing them to 0 loses nothing.
 */
export function expNonPositive(x: number): number {
  if (!(x > -700)) return x === x ? 0 : NaN;
  const k = Math.round(x * LN2_64_INV) | 0;
  const r = x - k * LN2_64_HI - k * LN2_64_LO;
  const r2 = r * r;
  const p = 1 + r + r2 * (0.5 + r * (1 / 6)) + r2 * r2 * (1 / 24 + r * (1 / 120 + r * (1 / 720)));
  return p * EXP2_FRAC[k & 63] * EXP2_INT[(k >> 6) + 1050];
}

/**
 * log1p(u) for u >= 0 without a call into C for u < 1/4 (within 1e-15 relative of Math.log1p).
 *
 * Below 1/64: eight terms of the alternating series (truncation < u^9 / 9). Below 1/4:
 * 2 atanh(s) with s = u / (2 + u) <= 1/9, nine terms in s^2 (truncation < s^19 / 19). Above:
 * log(1 + u), whose rounding of 1 + u is < 1e-15 relative to log1p(u) >= 0.22.
 */
export function log1pNonNegative(u: number): number {
  if (u < 0.015625) {
    return u * (1 - u * (0.5 - u * (1 / 3 - u * (0.25 - u * (0.2 - u * (1 / 6 - u * (1 / 7 - u * 0.125)))))));
  }
  if (u < 0.25) {
    const s = u / (2 + u);
    const z = s * s;
    return 2 * s * (1 + z * (1 / 3 + z * (1 / 5 + z * (1 / 7 + z * (1 / 9 + z * (1 / 11 + z * (1 / 13 + z * (1 / 15 + z / 17))))))));
  }
  return Math.log(1 + u);
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
