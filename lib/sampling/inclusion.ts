/**
 * Inclusion probabilities for Poisson sampling: unit i enters the sample independently with
 * probability pi_i. Every design here is a vector pi with sum(pi) = n (the expected sample size,
 * the review budget); what differs is how pi follows a size measure. Probabilities proportional to
 * size are capped at 1 and the excess is redistributed over the other units, so the budget is met
 * exactly while no unit is "more than certain".
 */
import { ConfigError, DataError } from "../errors.js";

/** Equal inclusion probabilities n / N for N units. */
export function uniformInclusion(units: number, n: number): Float64Array {
  checkBudget(units, n);
  return new Float64Array(units).fill(units === 0 ? 0 : n / units);
}

/**
 * Probabilities proportional to `sizes` with sum n, capped at 1 with the excess redistributed
 * (the classic pi-ps rule): pi_i = min(1, c * size_i) with c solving sum(pi) = n. Units of size 0
 * get probability 0 unless every positive-size unit is already certain.
 */
export function proportionalToSize(sizes: ArrayLike<number>, n: number, out?: Float64Array, from = 0, to = sizes.length): Float64Array {
  const pi = out ?? new Float64Array(sizes.length);
  const count = to - from;
  checkBudget(count, n);
  let total = 0;
  let positive = 0;
  for (let i = from; i < to; i++) {
    const s = sizes[i];
    if (!(s >= 0) || !Number.isFinite(s)) throw new DataError(`sizes[${i}] = ${s}: sizes must be finite and >= 0`);
    total += s;
    if (s > 0) positive++;
  }
  if (n === 0) {
    for (let i = from; i < to; i++) pi[i] = 0;
    return pi;
  }
  if (positive <= n) {
    // Every unit with positive size is certain; the rest of the budget is spread evenly over the others.
    const rest = count - positive;
    const share = rest > 0 ? (n - positive) / rest : 0;
    for (let i = from; i < to; i++) pi[i] = sizes[i] > 0 ? 1 : share;
    return pi;
  }
  // Raise c until no new unit crosses 1: each pass fixes at least one more certain unit (marked by
  // pi = 1), and the certain units' sizes leave the denominator. Certain units never exceed n,
  // because the uncertain units' c * size sum to exactly the budget left.
  for (let i = from; i < to; i++) pi[i] = 0;
  let certain = 0;
  let rest = total;
  let c = n / total;
  for (;;) {
    let newlyCertain = 0;
    for (let i = from; i < to; i++) {
      if (pi[i] !== 1 && sizes[i] * c >= 1) {
        pi[i] = 1;
        newlyCertain++;
      }
    }
    if (newlyCertain === 0) break;
    certain += newlyCertain;
    // Summed afresh, not `rest -= removed`: after the large units leave, the small remainder of a
    // subtraction carries the rounding error of the whole total (5e-10 off the budget was seen).
    rest = 0;
    for (let i = from; i < to; i++) if (pi[i] !== 1) rest += sizes[i];
    c = rest > 0 ? (n - certain) / rest : 0;
  }
  for (let i = from; i < to; i++) if (pi[i] !== 1) pi[i] = Math.min(1, sizes[i] * c);
  return pi;
}

/** Mix two designs of the same budget: alpha * a + (1 - alpha) * b (a defensive mixture when a is uniform). */
export function mixInclusion(a: ArrayLike<number>, b: ArrayLike<number>, alpha: number, out?: Float64Array): Float64Array {
  if (a.length !== b.length) throw new DataError(`mixInclusion: lengths ${a.length} and ${b.length} differ`);
  if (!(alpha >= 0 && alpha <= 1)) throw new ConfigError(`invalid alpha: ${alpha} (must be in [0, 1])`);
  const pi = out ?? new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) pi[i] = alpha * a[i] + (1 - alpha) * b[i];
  return pi;
}

/**
 * Importance design: pi proportional to a model-predicted risk raised to `exponent`, with a floor
 * of `floor` times the mean score so that no unit's weight 1/pi exceeds about 1/floor times the
 * uniform weight, scaled to the budget n and capped at 1.
 *
 * exponent 1 is "proportional to risk"; exponent 1/2 is the variance-optimal allocation for rare
 * Poisson outcomes (Var of Horvitz-Thompson ~ sum mu_i / pi_i, minimized by pi ~ sqrt(mu)).
 */
export function importanceInclusion(
  risk: ArrayLike<number>,
  n: number,
  options: { floor?: number; exponent?: number } = {},
  out?: Float64Array,
  from = 0,
  to = risk.length,
  scratch?: Float64Array,
): Float64Array {
  const floor = options.floor ?? 0.1;
  const exponent = options.exponent ?? 1;
  if (!(floor >= 0 && floor <= 1)) throw new ConfigError(`invalid floor: ${floor} (must be in [0, 1])`);
  if (!(exponent >= 0) || !Number.isFinite(exponent)) throw new ConfigError(`invalid exponent: ${exponent}`);
  const sizes = scratch ?? new Float64Array(risk.length);
  let mean = 0;
  for (let i = from; i < to; i++) {
    const r = risk[i];
    if (!(r >= 0) || !Number.isFinite(r)) throw new DataError(`risk[${i}] = ${r}: risk must be finite and >= 0`);
    const s = exponent === 1 ? r : Math.pow(r, exponent);
    sizes[i] = s;
    mean += s;
  }
  mean /= Math.max(1, to - from);
  const lo = floor * mean;
  for (let i = from; i < to; i++) if (sizes[i] < lo) sizes[i] = lo;
  return proportionalToSize(sizes, n, out, from, to);
}

/** Select a Poisson sample: the units whose permanent random number falls below their inclusion probability. */
export function poissonSample(pi: ArrayLike<number>, prn: ArrayLike<number>): Int32Array {
  if (pi.length !== prn.length) throw new DataError(`poissonSample: ${pi.length} probabilities but ${prn.length} random numbers`);
  let k = 0;
  for (let i = 0; i < pi.length; i++) if (prn[i] < pi[i]) k++;
  const out = new Int32Array(k);
  k = 0;
  for (let i = 0; i < pi.length; i++) if (prn[i] < pi[i]) out[k++] = i;
  return out;
}

function checkBudget(units: number, n: number): void {
  if (!(n >= 0) || !Number.isFinite(n)) throw new ConfigError(`invalid budget: ${n} (must be finite and >= 0)`);
  if (n > units + 1e-9 * Math.max(1, units)) throw new ConfigError(`invalid budget: ${n} exceeds the ${units} units available`);
}
