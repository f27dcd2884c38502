/**
 * The Pareto k diagnostic of importance weights (Vehtari, Simpson, Gelman, Yao & Gabry,
 * "Pareto smoothed importance sampling", JMLR 2024): a generalized Pareto distribution is fitted
 * to the M = min(0.2 S, 3 sqrt(S)) largest weights by the Zhang & Stephens (2009) empirical-Bayes
 * estimator with the PSIS weakly informative prior on k. k < 0.5: the weights have a finite
 * variance; 0.5-0.7: finite mean, slow convergence; > 0.7: the estimate is not to be trusted.
 */

/** Fitted generalized Pareto tail. */
export interface ParetoFit {
  /** Shape k (xi); NaN when there are too few tail weights. */
  readonly k: number;
  /** Scale sigma of the exceedances. */
  readonly sigma: number;
  /** Tail size used. */
  readonly tail: number;
}

/** Fit a generalized Pareto to exceedances x (sorted ascending, all > 0) by Zhang & Stephens (2009). */
export function fitGeneralizedPareto(x: ArrayLike<number>): { k: number; sigma: number } {
  const n = x.length;
  const priorBs = 3;
  const priorK = 10;
  // The paper uses m = 20 + floor(sqrt(n)) grid points; a finer grid (as the loo package uses) costs little.
  const m = 80 + Math.floor(Math.sqrt(n));
  const xMax = x[n - 1];
  const xQuart = x[Math.max(0, Math.floor(n / 4 + 0.5) - 1)];
  const b = new Float64Array(m);
  const L = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    b[j] = 1 / xMax + (1 - Math.sqrt(m / (j + 0.5))) / (priorBs * xQuart);
    let k = 0;
    for (let i = 0; i < n; i++) k += Math.log1p(-b[j] * x[i]);
    k /= n;
    L[j] = n * (Math.log(-b[j] / k) - k - 1);
  }
  // Posterior-mean of b with weights w_j = 1 / sum_l exp(L_l - L_j), computed stably.
  let maxL = -Infinity;
  for (let j = 0; j < m; j++) if (L[j] > maxL) maxL = L[j];
  let norm = 0;
  for (let j = 0; j < m; j++) norm += Math.exp(L[j] - maxL);
  let bHat = 0;
  for (let j = 0; j < m; j++) bHat += (b[j] * Math.exp(L[j] - maxL)) / norm;
  let k = 0;
  for (let i = 0; i < n; i++) k += Math.log1p(-bHat * x[i]);
  k /= n;
  // This k is the usual GPD shape xi (the negative of Zhang & Stephens' k); PSIS adds a weak prior
  // pulling it toward 0.5, which matters only for small tails.
  const sigma = -k / bHat;
  const xi = (n * k + priorK * 0.5) / (n + priorK);
  return { k: xi, sigma };
}

/** The Pareto k of a set of importance weights (largest M = min(0.2 S, 3 sqrt(S)) weights). */
export function paretoK(weights: ArrayLike<number>): ParetoFit {
  const S = weights.length;
  const M = Math.floor(Math.min(0.2 * S, 3 * Math.sqrt(S)));
  if (M < 5) return { k: NaN, sigma: NaN, tail: M };
  const sorted = Float64Array.from(weights).sort();
  const u = sorted[S - M - 1];
  const x = new Float64Array(M);
  let positive = 0;
  for (let i = 0; i < M; i++) {
    x[i] = sorted[S - M + i] - u;
    if (x[i] > 0) positive++;
  }
  // Ties at the threshold (equal weights) give zero exceedances: no tail to speak of.
  if (positive < 5) return { k: NaN, sigma: NaN, tail: M };
  const fit = fitGeneralizedPareto(x.subarray(M - positive));
  return { k: fit.k, sigma: fit.sigma, tail: positive };
}
