/**
 * Average run length (ARL) of the upper Poisson CUSUM by the Markov-chain method of Brook & Evans
 * (1972), made exact by a lattice: with the per-day reference c = k e rounded to q / m, the
 * statistic only takes values i / m, so the chain on states 0..N-1 (N = ceil(h m)) with
 * transitions i -> max(0, i + m x - q), x ~ Poisson(rate e), is the CUSUM itself and
 * ARL = (I - P)^{-1} 1 from state 0 has no discretization error. For a c that is not a multiple of
 * 1/m, the ARLs at the two neighbouring lattice references (q = floor(c m) and ceil(c m)) are
 * interpolated linearly in log ARL; the error of that is second order in 1/m.
 *
 * The LU factorization of I - P (an M-matrix, so no pivoting is needed) also factorizes every
 * leading block, and the block for N' states is the chain with threshold N'/m: one factorization
 * gives the ARL of every threshold by substitution, which is how the threshold for a target ARL0
 * is found.
 */
import { ConfigError } from "../errors.js";
import { poissonCusumReference } from "./cusum.js";
import { lgamma } from "./special.js";

/** The setting whose run length is computed. */
export interface CusumArlSetting {
  /** In-control rate used to build the CUSUM. */
  readonly lambda0: number;
  /** Rate ratio the CUSUM is tuned to. */
  readonly hr: number;
  /** Exposure per day (assumed constant for the ARL). */
  readonly exposure?: number;
  /** True rate of the monitored process (default lambda0: the in-control ARL0). */
  readonly rate?: number;
}

/** Lattice resolution options. */
export interface CusumArlOptions {
  /** Lattice steps per event (default: as fine as maxStates allows). */
  readonly resolution?: number;
  /** Largest number of chain states (default 600). */
  readonly maxStates?: number;
}

interface Factorized {
  readonly N: number;
  readonly lu: Float64Array; // packed N x N: unit-lower L below the diagonal, U on and above
}

function poissonPmf(mean: number, upTo: number): Float64Array {
  const p = new Float64Array(upTo + 1);
  for (let x = 0; x <= upTo; x++) p[x] = mean > 0 ? Math.exp(x * Math.log(mean) - mean - lgamma(x + 1)) : x === 0 ? 1 : 0;
  return p;
}

function factorize(N: number, m: number, q: number, mean: number): Factorized {
  const maxX = Math.ceil((N + q) / m) + 1;
  const pmf = poissonPmf(mean, maxX);
  const A = new Float64Array(N * N);
  for (let i = 0; i < N; i++) {
    A[i * N + i] += 1;
    for (let x = 0; x <= maxX; x++) {
      const j = i + m * x - q;
      if (j >= N) break;
      A[i * N + Math.max(0, j)] -= pmf[x];
    }
  }
  // Doolittle LU without pivoting, in place.
  for (let k = 0; k < N; k++) {
    const pivot = A[k * N + k];
    for (let i = k + 1; i < N; i++) {
      const f = A[i * N + k] / pivot;
      if (f === 0) continue;
      A[i * N + k] = f;
      const ri = i * N;
      const rk = k * N;
      for (let j = k + 1; j < N; j++) A[ri + j] -= f * A[rk + j];
    }
  }
  return { N, lu: A };
}

// ARL from state 0 of the chain restricted to the first n states (threshold n / m).
function arlFromFactor(f: Factorized, n: number, y: Float64Array): number {
  const N = f.N;
  const A = f.lu;
  for (let i = 0; i < n; i++) {
    let s = 1;
    for (let j = 0; j < i; j++) s -= A[i * N + j] * y[j];
    y[i] = s;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let j = i + 1; j < n; j++) s -= A[i * N + j] * y[j];
    y[i] = s / A[i * N + i];
  }
  return y[0];
}

function resolve(setting: CusumArlSetting): { c: number; mean: number } {
  const k = poissonCusumReference(setting.lambda0, setting.hr);
  const e = setting.exposure ?? 1;
  if (!(e > 0) || !Number.isFinite(e)) throw new ConfigError(`invalid exposure: ${e} (must be > 0)`);
  const rate = setting.rate ?? setting.lambda0;
  if (!(rate >= 0) || !Number.isFinite(rate)) throw new ConfigError(`invalid rate: ${rate}`);
  return { c: k * e, mean: rate * e };
}

/** ARL of the upper Poisson CUSUM with threshold h (exact lattice chain, see the file comment). */
export function poissonCusumArl(setting: CusumArlSetting & { readonly h: number }, options: CusumArlOptions = {}): number {
  const { c, mean } = resolve(setting);
  const h = setting.h;
  if (!(h > 0) || !Number.isFinite(h)) throw new ConfigError(`invalid h: ${h} (must be > 0)`);
  const maxStates = options.maxStates ?? 600;
  const m = options.resolution ?? Math.max(1, Math.floor(maxStates / h));
  const N = Math.ceil(h * m - 1e-9);
  return interpolated(c, m, mean, N, [N])[0];
}

function interpolated(c: number, m: number, mean: number, N: number, sizes: number[]): number[] {
  const qLo = Math.floor(c * m);
  const frac = c * m - qLo;
  const y = new Float64Array(N);
  const lo = factorize(N, m, qLo, mean);
  const arlLo = sizes.map((n) => arlFromFactor(lo, n, y));
  if (frac < 1e-12) return arlLo;
  const hi = factorize(N, m, qLo + 1, mean);
  return sizes.map((n, idx) => {
    const b = arlFromFactor(hi, n, y);
    return Math.exp((1 - frac) * Math.log(arlLo[idx]) + frac * Math.log(b));
  });
}

/**
 * ARL as a function of the threshold on one lattice: `arlAt(n)` is the ARL at h = n / resolution for
 * every n <= states, from one factorization pair (internal: the estimated-parameter thresholds of
 * cusum-estimated.ts evaluate many charts on a common lattice this way).
 */
export function cusumArlCurve(
  setting: CusumArlSetting,
  resolution: number,
  states: number,
): (n: number) => number {
  const { c, mean } = resolve(setting);
  const m = resolution;
  const qLo = Math.floor(c * m);
  const frac = c * m - qLo;
  const y = new Float64Array(states);
  const lo = factorize(states, m, qLo, mean);
  const hi = frac < 1e-12 ? null : factorize(states, m, qLo + 1, mean);
  return (n: number): number => {
    const a = arlFromFactor(lo, n, y);
    if (hi === null) return a;
    return Math.exp((1 - frac) * Math.log(a) + frac * Math.log(arlFromFactor(hi, n, y)));
  };
}

/** The chosen threshold and its in-control ARL. */
export interface CusumThreshold {
  /** Smallest lattice threshold whose ARL0 reaches the target. */
  readonly h: number;
  /** ARL0 at that threshold. */
  readonly arl0: number;
  /** Lattice steps per event used. */
  readonly resolution: number;
}

/**
 * Largest target ARL0 chooseCusumThreshold accepts (days): beyond it the chain's (I - P)^{-1}, whose
 * condition number grows like the ARL itself, keeps fewer than 7 correct digits, and the lattice
 * for such thresholds outgrows a dense factorization.
 */
export const MAX_CUSUM_ARL0 = 1e9;

/**
 * Choose the CUSUM threshold h whose in-control ARL0 first reaches the target.
 *
 * `rate` (default lambda0) is the true rate the ARL0 is computed at: a chart built from lambda0 but
 * run on a process at `rate` (what the estimated-parameter thresholds of cusum-estimated.ts need).
 */
export function chooseCusumThreshold(
  setting: CusumArlSetting & { readonly arl0: number },
  options: CusumArlOptions = {},
): CusumThreshold {
  const target = setting.arl0;
  if (!(target > 1) || !Number.isFinite(target)) throw new ConfigError(`invalid arl0: ${target} (must be > 1)`);
  if (target > MAX_CUSUM_ARL0) {
    throw new ConfigError(`invalid arl0: ${target} is above the maximum supported ${MAX_CUSUM_ARL0} (days)`);
  }
  const { c, mean } = resolve(setting);
  const maxStates = options.maxStates ?? 600;
  // Dense LU of N x N: past this many states the memory (8 N^2 bytes, twice) is the limit.
  const stateCap = Math.max(4 * maxStates, 2400);
  const outOfReach = (states: number): ConfigError =>
    new ConfigError(
      `arl0 ${target} is out of reach for lambda0 ${setting.lambda0}, hr ${setting.hr}, exposure ${setting.exposure ?? 1}: ` +
        `it needs more than ${stateCap} lattice states (${states} asked); the maximum supported arl0 is ${MAX_CUSUM_ARL0}, ` +
        `and lower for settings with many events per day`,
    );
  // Coarse pass (about 8 states per event) to bracket h, then a fine lattice sized to it.
  let hMax = Math.max(1, 2 * c);
  for (;;) {
    const coarse = Math.max(1, Math.floor(120 / hMax));
    const Nc = Math.ceil(hMax * coarse);
    if (Nc > stateCap) throw outOfReach(Nc);
    const arl = interpolated(c, coarse, mean, Nc, [Nc])[0];
    if (arl >= target) break;
    hMax *= 2;
  }
  const m = options.resolution ?? Math.max(1, Math.floor(maxStates / hMax));
  let N = Math.ceil(hMax * m);
  // The coarse lattice can under-estimate; widen until the largest threshold reaches the target.
  for (;;) {
    if (N > stateCap) throw outOfReach(N);
    const top = interpolated(c, m, mean, N, [N])[0];
    if (top >= target) break;
    N *= 2;
  }
  // One factorization pair for all thresholds; bisection over the number of states.
  const qLo = Math.floor(c * m);
  const frac = c * m - qLo;
  const y = new Float64Array(N);
  const lo = factorize(N, m, qLo, mean);
  const hi = frac < 1e-12 ? null : factorize(N, m, qLo + 1, mean);
  const arlAt = (n: number): number => {
    const a = arlFromFactor(lo, n, y);
    if (hi === null) return a;
    return Math.exp((1 - frac) * Math.log(a) + frac * Math.log(arlFromFactor(hi, n, y)));
  };
  let a = 1;
  let b = N;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (arlAt(mid) >= target) b = mid;
    else a = mid + 1;
  }
  return { h: a / m, arl0: arlAt(a), resolution: m };
}
