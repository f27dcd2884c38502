/**
 * Exact interval helpers for the generator tests (independent of the code under test).
 */
import betainc from "@stdlib/math-base-special-betainc";
import gammaQuantile from "@stdlib/stats-base-dists-gamma-quantile";

/** Beta(a, b) quantile by bisection on the regularized incomplete beta function. */
export function betaQuantile(p: number, a: number, b: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (betainc(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Clopper-Pearson interval for a binomial proportion (x successes in n). */
export function clopperPearson(x: number, n: number, level: number): [number, number] {
  const alpha = 1 - level;
  const lo = x === 0 ? 0 : betaQuantile(alpha / 2, x, n - x + 1);
  const hi = x === n ? 1 : betaQuantile(1 - alpha / 2, x + 1, n - x);
  return [lo, hi];
}

/**
 * Exact interval for the ratio of two Poisson rates with known expected-count offsets:
 * O1 ~ Poisson(HR * E1), O0 ~ Poisson(E0); given O1 + O0 = n, O1 ~ Binomial(n, HR*E1 / (HR*E1 + E0)).
 */
export function poissonRatioInterval(o1: number, e1: number, o0: number, e0: number, level: number): [number, number] {
  const [pl, ph] = clopperPearson(o1, o1 + o0, level);
  const toHr = (p: number): number => (p / (1 - p)) * (e0 / e1);
  return [toHr(pl), ph >= 1 ? Infinity : toHr(ph)];
}

/** Garwood exact interval for a Poisson mean given one observed count. */
export function poissonMeanInterval(observed: number, level: number): [number, number] {
  const alpha = 1 - level;
  const lo = observed === 0 ? 0 : gammaQuantile(alpha / 2, observed, 1);
  const hi = gammaQuantile(1 - alpha / 2, observed + 1, 1);
  return [lo, hi];
}

/** Least-squares slope of y on x. */
export function slope(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let mx = 0;
  let my = 0;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  return sxy / sxx;
}
