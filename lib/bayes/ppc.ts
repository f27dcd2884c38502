/**
 * Posterior predictive draws and checks: replicate the data from posterior draws, compare a test
 * statistic of the observed data with its replicated distribution (Bayesian p-value), and count
 * how many observations fall inside their central predictive intervals.
 */
import { DataError } from "../errors.js";
import type { Rng } from "../util/random.js";
import { quantileSorted } from "./diagnostics.js";
import type { Posterior } from "./posterior.js";

/** Fills `out` with one replicated data set given a draw's constrained parameter vector. */
export type Simulator = (x: Float64Array, rng: Rng, out: Float64Array) => void;

/** Replicated data sets and the (chain, draw) each came from. */
export interface PredictiveDraws {
  replicates: Float64Array[];
  chain: Int32Array;
  draw: Int32Array;
}

/**
 * Simulate one replicated data set of `size` values per posterior draw (evenly thinned to at most
 * `maxDraws`). Draw k uses rng.fork(k), so results do not depend on evaluation order.
 */
export function posteriorPredictive(posterior: Posterior, simulate: Simulator, options: { size: number; rng: Rng; maxDraws?: number }): PredictiveDraws {
  const total = posterior.nChains * posterior.nDraws;
  const want = Math.min(options.maxDraws ?? total, total);
  if (!(want >= 1)) throw new DataError(`posteriorPredictive: maxDraws must be >= 1, got ${options.maxDraws}`);
  const dim = posterior.layout.constrainedDim;
  const replicates: Float64Array[] = [];
  const chain = new Int32Array(want);
  const draw = new Int32Array(want);
  for (let k = 0; k < want; k++) {
    const flat = Math.floor((k * total) / want);
    const c = Math.floor(flat / posterior.nDraws);
    const d = flat % posterior.nDraws;
    chain[k] = c;
    draw[k] = d;
    const x = posterior.chains[c].draws.subarray(d * dim, (d + 1) * dim);
    const out = new Float64Array(options.size);
    simulate(x, options.rng.fork(k), out);
    replicates.push(out);
  }
  return { replicates, chain, draw };
}

/** A test statistic on observed and replicated data with its posterior predictive p-value. */
export interface PpcStatistic {
  observed: number;
  replicated: Float64Array;
  /** P(T(y_rep) >= T(y)): values near 0 or 1 flag misfit. */
  pValue: number;
}

/** Compare a statistic of the observed data with the same statistic of every replicate. */
export function ppcStatistic(observed: Float64Array, replicates: readonly Float64Array[], statistic: (y: Float64Array) => number): PpcStatistic {
  if (replicates.length === 0) throw new DataError("ppcStatistic: no replicates");
  const tObs = statistic(observed);
  const rep = new Float64Array(replicates.length);
  let above = 0;
  for (let k = 0; k < replicates.length; k++) {
    rep[k] = statistic(replicates[k]);
    if (rep[k] >= tObs) above++;
  }
  return { observed: tObs, replicated: rep, pValue: above / replicates.length };
}

/** Coverage of central predictive intervals. */
export interface IntervalCoverage {
  prob: number;
  /** Fraction of observations inside their interval. */
  coverage: number;
  inside: number;
  n: number;
  lower: Float64Array;
  upper: Float64Array;
}

/** Fraction of observations inside the central `prob` interval of their replicated values. */
export function intervalCoverage(observed: Float64Array, replicates: readonly Float64Array[], prob = 0.9): IntervalCoverage {
  const n = observed.length;
  const m = replicates.length;
  if (m < 2) throw new DataError(`intervalCoverage: need at least 2 replicates, got ${m}`);
  for (let k = 0; k < m; k++) {
    if (replicates[k].length !== n) throw new DataError(`intervalCoverage: replicate ${k} has ${replicates[k].length} values, observed has ${n}`);
  }
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  const col = new Float64Array(m);
  let inside = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < m; k++) col[k] = replicates[k][i];
    col.sort();
    lower[i] = quantileSorted(col, (1 - prob) / 2);
    upper[i] = quantileSorted(col, 1 - (1 - prob) / 2);
    if (observed[i] >= lower[i] && observed[i] <= upper[i]) inside++;
  }
  return { prob, coverage: inside / n, inside, n, lower, upper };
}

/**
 * Coverage through the randomized probability integral transform: each observation's PIT is
 * (#replicates below it + U * #replicates equal to it) / #replicates, and it counts as covered
 * when the PIT lies in the central `prob` band. Unlike plain intervals this stays nominal when the
 * predictive distribution has atoms (censoring times, counts).
 */
export function pitCoverage(observed: Float64Array, replicates: readonly Float64Array[], rng: Rng, prob = 0.9): { prob: number; coverage: number; pit: Float64Array } {
  const n = observed.length;
  const m = replicates.length;
  if (m < 2) throw new DataError(`pitCoverage: need at least 2 replicates, got ${m}`);
  const pit = new Float64Array(n);
  const lo = (1 - prob) / 2;
  const hi = 1 - lo;
  let inside = 0;
  for (let i = 0; i < n; i++) {
    let below = 0;
    let equal = 0;
    const y = observed[i];
    for (let k = 0; k < m; k++) {
      const r = replicates[k][i];
      if (r < y) below++;
      else if (r === y) equal++;
    }
    pit[i] = (below + rng.uniform() * equal) / m;
    if (pit[i] >= lo && pit[i] <= hi) inside++;
  }
  return { prob, coverage: inside / n, pit };
}
