/**
 * Stratified designs: the budget n is split over strata (an allocation), and every unit of stratum
 * h is included with probability n_h / N_h (Poisson sampling within strata, so the realized stratum
 * sizes vary around n_h). Allocations are real-valued expected sample sizes.
 */
import { ConfigError, DataError } from "../errors.js";

/** How a stratified design splits its budget. */
export type Allocation =
  /** n_h proportional to N_h (the same rate everywhere: a stratified uniform design). */
  | { readonly kind: "proportional" }
  /** n_h proportional to N_h S_h (Neyman 1934), capped at N_h with the excess redistributed. */
  | { readonly kind: "neyman"; readonly sd: ArrayLike<number> }
  /** Sampling rates proportional to the given relative rates (e.g. 4:2:1 from high to low risk), scaled to n and capped at 1. */
  | { readonly kind: "fixed"; readonly relativeRates: ArrayLike<number> };

/**
 * Neyman allocation n_h = n N_h S_h / sum_k N_k S_k, the allocation that minimizes the variance of
 * the stratified estimator of a total for a fixed expected sample size; a stratum whose share would
 * exceed its size is taken whole and the rest re-allocated over the other strata.
 */
export function neymanAllocation(sizes: ArrayLike<number>, sd: ArrayLike<number>, n: number): Float64Array {
  if (sizes.length !== sd.length) throw new DataError(`neymanAllocation: ${sizes.length} stratum sizes but ${sd.length} standard deviations`);
  // Per-unit rates pi_h = min(1, c S_h) with sum_h N_h pi_h = n: the pi-ps rule on stratum rates.
  return rateAllocation(sizes, sd, n);
}

/** Allocate n over strata by the given rule; returns the expected sample size per stratum. */
export function allocate(sizes: ArrayLike<number>, n: number, allocation: Allocation): Float64Array {
  const H = sizes.length;
  switch (allocation.kind) {
    case "proportional":
      return rateAllocation(sizes, new Float64Array(H).fill(1), n);
    case "neyman":
      return neymanAllocation(sizes, allocation.sd, n);
    case "fixed":
      if (allocation.relativeRates.length !== H) {
        throw new ConfigError(`invalid relativeRates: ${allocation.relativeRates.length} rates for ${H} strata`);
      }
      return rateAllocation(sizes, allocation.relativeRates, n);
    default:
      throw new ConfigError(`invalid allocation kind: ${(allocation as { kind: string }).kind}`);
  }
}

/** Per-unit inclusion probabilities of a stratified design: n_h / N_h for every unit of stratum h. */
export function stratifiedInclusion(strata: ArrayLike<number>, allocation: ArrayLike<number>, sizes: ArrayLike<number>, out?: Float64Array): Float64Array {
  const pi = out ?? new Float64Array(strata.length);
  for (let i = 0; i < strata.length; i++) {
    const h = strata[i];
    if (!(h >= 0 && h < allocation.length) || Math.floor(h) !== h) throw new DataError(`strata[${i}] = ${h}: not a stratum index below ${allocation.length}`);
    pi[i] = sizes[h] > 0 ? allocation[h] / sizes[h] : 0;
  }
  return pi;
}

// Stratum sample sizes N_h * min(1, c r_h) with sum n, by the pi-ps rule applied to stratum rates:
// each stratum is N_h identical units of size r_h.
function rateAllocation(sizes: ArrayLike<number>, rates: ArrayLike<number>, n: number): Float64Array {
  const H = sizes.length;
  let N = 0;
  for (let h = 0; h < H; h++) {
    const s = sizes[h];
    if (!(s >= 0) || !Number.isFinite(s)) throw new DataError(`sizes[${h}] = ${s}: stratum sizes must be finite and >= 0`);
    const r = rates[h];
    if (!(r >= 0) || !Number.isFinite(r)) throw new DataError(`rates[${h}] = ${r}: stratum standard deviations / rates must be finite and >= 0`);
    N += s;
  }
  if (!(n >= 0) || n > N * (1 + 1e-12)) throw new ConfigError(`invalid budget: ${n} (must be in [0, ${N}])`);
  const certain = new Uint8Array(H);
  const out = new Float64Array(H);
  let left = n;
  let weight = 0;
  for (let h = 0; h < H; h++) weight += sizes[h] * rates[h];
  let c = weight > 0 ? left / weight : 0;
  for (;;) {
    let changed = false;
    for (let h = 0; h < H; h++) {
      if (certain[h] === 0 && sizes[h] > 0 && rates[h] * c >= 1) {
        certain[h] = 1;
        left -= sizes[h];
        weight -= sizes[h] * rates[h];
        changed = true;
      }
    }
    if (!changed) break;
    c = weight > 0 ? left / weight : 0;
  }
  for (let h = 0; h < H; h++) out[h] = certain[h] === 1 ? sizes[h] : sizes[h] * rates[h] * c;
  // Strata with rate 0 get nothing unless the others are exhausted; spread any leftover evenly.
  if (weight <= 0 && left > 1e-12) {
    let spare = 0;
    for (let h = 0; h < H; h++) if (certain[h] === 0) spare += sizes[h];
    if (spare > 0) for (let h = 0; h < H; h++) if (certain[h] === 0) out[h] = (sizes[h] * left) / spare;
  }
  return out;
}

/** Stratum index per unit from quantile cut points of a score (stratum 0 = lowest scores). */
export function quantileStrata(score: ArrayLike<number>, strata: number): { strata: Int32Array; cuts: Float64Array } {
  if (!Number.isInteger(strata) || strata < 1) throw new ConfigError(`invalid strata: ${strata} (must be an integer >= 1)`);
  const n = score.length;
  if (n === 0) throw new DataError("quantileStrata: no units");
  const sorted = Float64Array.from(score).sort();
  const cuts = new Float64Array(strata - 1);
  for (let k = 1; k < strata; k++) cuts[k - 1] = sorted[Math.min(n - 1, Math.floor((k * n) / strata))];
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = score[i];
    let h = 0;
    while (h < cuts.length && s >= cuts[h]) h++;
    out[i] = h;
  }
  return { strata: out, cuts };
}
