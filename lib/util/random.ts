/**
 * Seeded pseudo-random numbers. Every random draw in the workbench comes from a generator made
 * here, so the same seed gives bit-identical results on every machine and worker count.
 *
 * The core is xoshiro128** (Blackman & Vigna), seeded through splitmix32: 32-bit integer
 * arithmetic only, so results never depend on floating-point rounding of the platform.
 */

/** A seeded source of uniform, normal, gamma and Poisson draws. */
export interface Rng {
  /** Uniform on [0, 1) with 53 random bits. */
  uniform(): number;
  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** Uniform integer on [0, n). */
  int(n: number): number;
  /** Standard normal draw. */
  normal(): number;
  /** Exponential draw with rate 1. */
  exponential(): number;
  /** Gamma(shape, 1) draw. */
  gamma(shape: number): number;
  /** Poisson(mean) draw. */
  poisson(mean: number): number;
  /** An independent generator for a stream label: depends only on the seed and the label, never on draws made so far. */
  fork(stream: number): Rng;
  /** The state, to save or to resume from. */
  state(): Uint32Array;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Mix a seed and a stream number into one 32-bit seed (for forks and replicates). */
export function mixSeed(seed: number, stream: number): number {
  const next = splitmix32((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream >>> 0, 0x85ebca77)) >>> 0);
  next();
  return next();
}

class Xoshiro128 implements Rng {
  private readonly s: Uint32Array;
  private spareNormal = NaN;
  private readonly seed: number;

  constructor(seed: number, state?: Uint32Array) {
    this.seed = seed >>> 0;
    if (state) {
      this.s = Uint32Array.from(state);
    } else {
      const next = splitmix32(this.seed);
      this.s = new Uint32Array([next(), next(), next(), next()]);
      if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
    }
  }

  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const v = this.spareNormal;
      this.spareNormal = NaN;
      return v;
    }
    // Marsaglia polar method: exact, no trig, and a cached second draw.
    let u = 0;
    let v = 0;
    let r = 0;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      r = u * u + v * v;
    } while (r >= 1 || r === 0);
    const f = Math.sqrt((-2 * Math.log(r)) / r);
    this.spareNormal = v * f;
    return u * f;
  }

  exponential(): number {
    return -Math.log1p(-this.uniform());
  }

  gamma(shape: number): number {
    if (!(shape > 0)) throw new RangeError(`gamma shape must be > 0, got ${shape}`);
    if (shape < 1) {
      // Boost a shape below 1 (Marsaglia & Tsang, section 6).
      return this.gamma(shape + 1) * Math.pow(this.uniform() || Number.MIN_VALUE, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x = 0;
      let v = 0;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniform();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  poisson(mean: number): number {
    if (!(mean >= 0)) throw new RangeError(`poisson mean must be >= 0, got ${mean}`);
    if (mean === 0) return 0;
    if (mean < 30) {
      // Multiply uniforms until the product falls below e^-mean (Knuth).
      const limit = Math.exp(-mean);
      let k = 0;
      let p = this.uniform();
      while (p > limit) {
        k++;
        p *= this.uniform();
      }
      return k;
    }
    // Large means: split off a gamma-distributed waiting time (Ahrens & Dieter's recursion),
    // which stays exact without a rejection table.
    const m = Math.floor(mean * 0.875);
    const g = this.gamma(m);
    if (g > mean) return binomialSmall(this, m - 1, mean / g);
    return m + this.poisson(mean - g);
  }

  fork(stream: number): Rng {
    return new Xoshiro128(mixSeed(this.seed, stream));
  }

  state(): Uint32Array {
    return Uint32Array.from(this.s);
  }
}

function binomialSmall(rng: Rng, n: number, p: number): number {
  // Binomial by recursion on beta-distributed order statistics keeps large n exact and fast.
  let count = 0;
  let trials = n;
  let prob = p;
  while (trials > 40) {
    const a = 1 + Math.floor(trials / 2);
    const b = trials + 1 - a;
    const x = rng.gamma(a);
    const beta = x / (x + rng.gamma(b));
    if (beta >= prob) {
      trials = a - 1;
      prob = prob / beta;
    } else {
      count += a;
      trials = b - 1;
      prob = (prob - beta) / (1 - beta);
    }
  }
  for (let i = 0; i < trials; i++) if (rng.uniform() < prob) count++;
  return count;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Create a seeded generator. */
export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
  return new Xoshiro128(seed);
}
