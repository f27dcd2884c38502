/**
 * Online Bayesian change-point detection (Adams & MacKay 2007, "Bayesian Online Changepoint
 * Detection") with a constant hazard, run-length pruning and a streaming API.
 *
 * Run length here is the number of observations in the current segment including the latest one
 * (>= 1): P(run length = 1) is the probability that the latest observation started a new segment.
 * Adams & MacKay's code keeps an extra r = 0 entry whose mass is the hazard itself for a constant
 * hazard; dropping it and renormalizing gives exactly this distribution.
 *
 * Observation models: Poisson counts with exposure and a Gamma(shape, rate) prior on the rate
 * (negative-binomial predictive, exposure 0 carries no information), and Normal data with unknown
 * mean and variance under a Normal-Gamma prior (Student-t predictive).
 *
 * The update keeps every per-run quantity in preallocated typed arrays (grown by doubling only
 * when the number of retained runs exceeds the capacity) and returns one reused summary object,
 * so the hot loop does not allocate.
 */
import { ConfigError } from "../errors.js";
import { gammaCdf, lgamma, logRising } from "./special.js";
import { checkCountObservation, checkRealObservation, validateCounts, validateReal } from "./validate.js";

/** Observation model of a BOCPD detector. */
export type BocpdModel =
  | { readonly kind: "poisson-gamma"; readonly shape: number; readonly rate: number }
  | { readonly kind: "normal-gamma"; readonly mu: number; readonly kappa: number; readonly alpha: number; readonly beta: number };

/** Settings of a BOCPD detector. */
export interface BocpdOptions {
  /** Constant hazard: prior probability that any observation starts a new segment (default 1/250). */
  readonly hazard?: number;
  /** Run lengths whose posterior mass falls below this are dropped (default 1e-6; 0 keeps all). */
  readonly threshold?: number;
  /**
   * Cap on retained run lengths (default 64; Infinity for none): above it the least probable are
   * dropped down to 3/4 of the cap, so the cost per observation stays bounded.
   */
  readonly maxRuns?: number;
  /** k of the summary's P(run length <= k) (default 5). */
  readonly shortRun?: number;
}

/** What one update reports; the detector reuses this object, so copy the fields you keep. */
export interface BocpdSummary {
  /** Index of the observation just processed (0-based). */
  t: number;
  /** P(run length = 1): the latest observation starts a new segment. */
  changeProbability: number;
  /** Most probable run length. */
  mapRunLength: number;
  /** P(run length <= shortRun). */
  pShortRun: number;
  /** Posterior mean run length. */
  meanRunLength: number;
  /** log p(x_t | x_0..x_{t-1}). */
  logPredictive: number;
  /** Number of run lengths retained after pruning. */
  runs: number;
}

/** A streaming BOCPD detector. */
export interface BocpdDetector {
  readonly model: BocpdModel;
  /** Number of observations processed so far. */
  readonly length: number;
  /** Process one observation (exposure for the Poisson model, default 1) and summarize the posterior. */
  update(x: number, exposure?: number): BocpdSummary;
  /** The current run-length posterior, ordered by increasing run length (fresh arrays). */
  runLengthPosterior(): { runLength: Int32Array; probability: Float64Array };
  /** Poisson model only: P(current rate > ratio * baselineRate | data so far). */
  exceedance(baselineRate: number, ratio: number): number;
  /** Forget all observations. */
  reset(): void;
  /** The detector's full state as plain JSON (kind "bocpd", version 1), to resume with bocpdFromJSON. */
  toJSON(): BocpdState;
}

/** Serialized BOCPD state. */
export interface BocpdState {
  readonly kind: "bocpd";
  readonly version: 1;
  readonly model: BocpdModel;
  readonly options: { hazard: number; threshold: number; maxRuns: number | null; shortRun: number };
  readonly t: number;
  readonly mass: number;
  readonly maxCount: number;
  readonly start: number[];
  readonly prob: number[];
  readonly s1: number[];
  readonly s2: number[];
  readonly s3: number[];
  readonly s4: number[];
}

const LOG_PI = Math.log(Math.PI);

class Bocpd implements BocpdDetector {
  readonly model: BocpdModel;
  private readonly hazard: number;
  private readonly logHazard: number;
  private readonly log1mHazard: number;
  private readonly threshold: number;
  private readonly maxRuns: number;
  private readonly shortRun: number;
  private readonly poisson: boolean;
  private readonly summary: BocpdSummary = {
    t: -1,
    changeProbability: 0,
    mapRunLength: 0,
    pShortRun: 0,
    meanRunLength: 0,
    logPredictive: 0,
    runs: 0,
  };
  private t = 0;
  private count = 0;
  private cap = 0;
  private start: Float64Array = new Float64Array(0);
  private prob: Float64Array = new Float64Array(0);
  private lp: Float64Array = new Float64Array(0);
  private tmp: Float64Array = new Float64Array(0);
  // Sum of the stored run masses (they are normalized lazily, at the next update).
  private mass = 1;
  // Poisson: s1 = count sum, s2 = exposure sum.
  // Normal: s1 = mean, s2 = kappa, s3 = beta, s4 = log beta (alpha follows from the run length).
  private s1: Float64Array = new Float64Array(0);
  private s2: Float64Array = new Float64Array(0);
  private s3: Float64Array = new Float64Array(0);
  // Normal: log beta, carried by the same log1p as the predictive.
  private s4: Float64Array = new Float64Array(0);
  private wNew = 0;
  private readonly relPrior = new Float64Array(16);
  // Poisson: total count so far, to know when products of rising factorials could overflow.
  private maxCount = 0;
  // Student-t constant lgamma((nu+1)/2) - lgamma(nu/2) - log(pi nu)/2 by observations in the run.
  private tConst: Float64Array = new Float64Array(0);
  private readonly p0: number; // model constants
  private readonly p1: number;
  private readonly p2: number;
  private readonly p3: number;

  constructor(model: BocpdModel, options: BocpdOptions) {
    this.model = model;
    const hazard = options.hazard ?? 1 / 250;
    if (!(hazard > 0 && hazard < 1)) throw new ConfigError(`invalid hazard: ${hazard} (must be in (0, 1))`);
    const threshold = options.threshold ?? 1e-6;
    if (!(threshold >= 0 && threshold < 1)) throw new ConfigError(`invalid threshold: ${threshold} (must be in [0, 1))`);
    const maxRuns = options.maxRuns ?? 64;
    if (!(maxRuns >= 1)) throw new ConfigError(`invalid maxRuns: ${maxRuns} (must be >= 1)`);
    const shortRun = options.shortRun ?? 5;
    if (!Number.isInteger(shortRun) || shortRun < 1) throw new ConfigError(`invalid shortRun: ${shortRun}`);
    this.hazard = hazard;
    this.logHazard = Math.log(hazard);
    this.log1mHazard = Math.log1p(-hazard);
    this.threshold = threshold;
    this.maxRuns = maxRuns;
    this.shortRun = shortRun;
    if (model.kind === "poisson-gamma") {
      positive(model.shape, "model.shape");
      positive(model.rate, "model.rate");
      this.poisson = true;
      this.p0 = model.shape;
      this.p1 = model.rate;
      this.p2 = 0;
      this.p3 = 0;
    } else if (model.kind === "normal-gamma") {
      if (!Number.isFinite(model.mu)) throw new ConfigError(`invalid model.mu: ${model.mu}`);
      positive(model.kappa, "model.kappa");
      positive(model.alpha, "model.alpha");
      positive(model.beta, "model.beta");
      this.poisson = false;
      this.p0 = model.mu;
      this.p1 = model.kappa;
      this.p2 = model.alpha;
      this.p3 = model.beta;
    } else {
      throw new ConfigError(`invalid model.kind: ${(model as { kind: string }).kind}`);
    }
    this.ensure(64);
  }

  get length(): number {
    return this.t;
  }

  reset(): void {
    this.t = 0;
    this.count = 0;
    this.mass = 1;
    this.maxCount = 0;
    this.summary.t = -1;
  }

  private ensure(capacity: number): void {
    if (capacity <= this.cap) return;
    let cap = Math.max(64, this.cap);
    while (cap < capacity) cap *= 2;
    const move = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a.subarray(0, this.count));
      return b;
    };
    this.start = move(this.start);
    this.prob = move(this.prob);
    this.s1 = move(this.s1);
    this.s2 = move(this.s2);
    this.s3 = move(this.s3);
    this.s4 = move(this.s4);
    this.lp = new Float64Array(cap);
    this.tmp = new Float64Array(cap);
    this.cap = cap;
  }

  // Student-t log density of a run with n observations, everything but the data-dependent part:
  // lgamma((nu+1)/2) - lgamma(nu/2) - log(pi nu)/2 - log((kappa+1)/(alpha kappa))/2, with
  // nu = 2 alpha, alpha = alpha0 + n/2, kappa = kappa0 + n. Tabulated by n (grown by doubling).
  private ensureTConst(observations: number): void {
    if (observations < this.tConst.length) return;
    let size = Math.max(256, this.tConst.length);
    while (size <= observations) size *= 2;
    const table = new Float64Array(size);
    for (let k = 0; k < size; k++) {
      const alpha = this.p2 + 0.5 * k;
      const kappa = this.p1 + k;
      const nu = 2 * alpha;
      table[k] =
        lgamma((nu + 1) / 2) -
        lgamma(nu / 2) -
        0.5 * (LOG_PI + Math.log(nu)) -
        0.5 * Math.log((kappa + 1) / (alpha * kappa));
    }
    this.tConst = table;
  }

  update(x: number, exposure = 1): BocpdSummary {
    const t = this.t;
    if (this.poisson) checkCountObservation(x, exposure, t);
    else checkRealObservation(x, t);
    this.ensure(this.count + 1);
    const K = this.count;
    const prob = this.prob;
    const lp = this.lp;
    const tmp = this.tmp;
    const s1 = this.s1;
    const s2 = this.s2;
    const s3 = this.s3;
    const start = this.start;
    const poisson = this.poisson;
    let lp0: number;
    let maxLp: number;
    let lpCommon = 0;
    let total: number;
    const grow = 1 - this.hazard;
    const changeWeight = (K === 0 ? 1 : this.hazard) * this.mass;
    if (poisson) {
      // Negative-binomial predictive of x with exposure e under Gamma(a, b), factored as
      //   exp(-a log1p(e / b)) * prod_{i<x} (a + i) / (b + e) * e^x / x!.
      // The last factor is shared by every run and only enters the evidence; the product is taken
      // in linear space for x <= 16; log1p of the small e / b of long runs is a short series.
      // So one exp per run, and a log1p only for short runs.
      const a0 = this.p0;
      const b0 = this.p1;
      const small = x <= 16 && a0 + this.maxCount < 1e15;
      lpCommon = x > 0 ? x * Math.log(exposure) - lgamma(x + 1) : 0;
      lp0 = -a0 * log1pSmall(exposure / b0) + (small ? 0 : logRising(a0, x) - x * Math.log(b0 + exposure));
      maxLp = lp0;
      for (let k = 0; k < K; k++) {
        const a = a0 + s1[k];
        const bk = b0 + s2[k];
        const v = -a * log1pSmall(exposure / bk) + (small ? 0 : logRising(a, x) - x * Math.log(bk + exposure));
        lp[k] = v;
        if (v > maxLp) maxLp = v;
      }
      // The products are taken relative to the prior run's, so that they stay near 1 whatever the
      // units of the rate; the prior's own product goes into the shared term.
      const rel = this.relPrior;
      if (small && x > 0) {
        let logR0 = 0;
        for (let i = 0; i < x; i++) {
          const f = (a0 + i) / (b0 + exposure);
          rel[i] = 1 / f;
          logR0 += Math.log(f);
        }
        lpCommon += logR0;
      }
      const wNew = changeWeight * Math.exp(lp0 - maxLp);
      total = wNew;
      if (small && x > 0) {
        for (let k = 0; k < K; k++) {
          const a = a0 + s1[k];
          const inv = 1 / (b0 + s2[k] + exposure);
          let r = a * inv * rel[0];
          for (let i = 1; i < x; i++) r *= (a + i) * inv * rel[i];
          const w = prob[k] * grow * r * Math.exp(lp[k] - maxLp);
          prob[k] = w;
          total += w;
        }
      } else {
        for (let k = 0; k < K; k++) {
          const w = prob[k] * grow * Math.exp(lp[k] - maxLp);
          prob[k] = w;
          total += w;
        }
      }
      this.wNew = wNew;
    } else {
      const maxN = K > 0 ? t - start[0] : 0;
      this.ensureTConst(maxN + 1);
      const tc = this.tConst;
      const alpha0 = this.p2;
      // Student-t, nu = 2 alpha, location mu, scale^2 = beta (kappa+1)/(alpha kappa). Its
      // log1p((x-mu)^2 / (nu scale^2)) = log1p(q) with q = kappa (x-mu)^2 / (2 (kappa+1) beta) is
      // also the update log beta' = log beta + log1p(q), so one log1p and one exp per run.
      {
        const kap = this.p1;
        const d = x - this.p0;
        const q = (kap * d * d) / (2 * (kap + 1) * this.p3);
        lp0 = tc[0] - 0.5 * Math.log(this.p3) - (alpha0 + 0.5) * Math.log1p(q);
      }
      maxLp = lp0;
      const s4 = this.s4;
      for (let k = 0; k < K; k++) {
        const nObs = t - start[k];
        const kap = s2[k];
        const d = x - s1[k];
        const l1q = log1pSmall((kap * d * d) / (2 * (kap + 1) * s3[k]));
        tmp[k] = l1q;
        const v = tc[nObs] - 0.5 * s4[k] - (alpha0 + 0.5 * nObs + 0.5) * l1q;
        lp[k] = v;
        if (v > maxLp) maxLp = v;
      }
      const wNew = changeWeight * Math.exp(lp0 - maxLp);
      total = wNew;
      for (let k = 0; k < K; k++) {
        const w = prob[k] * grow * Math.exp(lp[k] - maxLp);
        prob[k] = w;
        total += w;
      }
      this.wNew = wNew;
    }
    const wNew = this.wNew;
    const logPredictive = maxLp + Math.log(total / this.mass) + lpCommon;
    const inv = 1 / total;
    const threshold = this.threshold;
    const k0 = this.shortRun;

    // Normalize, prune, update sufficient statistics, compact (order = oldest first) and
    // summarize in one pass; the summary is renormalized by the kept mass at the end.
    let kept = 0;
    let keptMass = 0;
    let bestK = -1;
    let bestP = -1;
    let bestKept = -1;
    let short = 0;
    let mean = 0;
    for (let k = 0; k < K; k++) {
      const p = prob[k] * inv;
      if (p > bestP) {
        bestP = p;
        bestK = k;
      }
      if (p < threshold) continue;
      prob[kept] = p;
      const st = start[k];
      start[kept] = st;
      if (poisson) {
        s1[kept] = s1[k] + x;
        s2[kept] = s2[k] + exposure;
      } else {
        const kap = s2[k];
        const mu = s1[k];
        s1[kept] = (kap * mu + x) / (kap + 1);
        s3[kept] = s3[k] + (kap * (x - mu) * (x - mu)) / (2 * (kap + 1));
        this.s4[kept] = this.s4[k] + tmp[k];
        s2[kept] = kap + 1;
      }
      const run = t - st + 1;
      if (p === bestP) bestKept = kept;
      if (run <= k0) short += p;
      mean += p * run;
      keptMass += p;
      kept++;
    }
    const pNew = wNew * inv;
    if (pNew >= threshold || (kept === 0 && pNew >= bestP)) {
      prob[kept] = pNew;
      start[kept] = t;
      if (poisson) {
        s1[kept] = x;
        s2[kept] = exposure;
      } else {
        const kap = this.p1;
        const mu = this.p0;
        const d = x - mu;
        s1[kept] = (kap * mu + x) / (kap + 1);
        const beta = this.p3 + (kap * d * d) / (2 * (kap + 1));
        s3[kept] = beta;
        this.s4[kept] = Math.log(beta);
        s2[kept] = kap + 1;
      }
      if (pNew > bestP) {
        bestP = pNew;
        bestKept = kept;
      }
      short += pNew;
      mean += pNew;
      keptMass += pNew;
      kept++;
    } else if (kept === 0) {
      // Every run fell below the threshold: keep the single most probable one rather than none.
      this.keepOnly(bestK, x, exposure);
      const run = t - start[0] + 1;
      keptMass = prob[0];
      bestKept = 0;
      short = run <= k0 ? keptMass : 0;
      mean = keptMass * run;
      kept = 1;
    }
    this.count = kept;
    this.t = t + 1;
    if (poisson) this.maxCount += x;
    const sm = this.summary;
    if (kept > this.maxRuns) {
      this.capRuns();
      this.summarizeAll(t);
    } else {
      const invKept = 1 / keptMass;
      sm.t = t;
      sm.changeProbability = start[kept - 1] === t ? prob[kept - 1] * invKept : 0;
      sm.mapRunLength = t - start[bestKept] + 1;
      sm.pShortRun = short * invKept;
      sm.meanRunLength = mean * invKept;
      sm.runs = kept;
      this.mass = keptMass;
    }
    sm.logPredictive = logPredictive;
    return sm;
  }

  private keepOnly(k: number, x: number, exposure: number): void {
    const prob = this.prob;
    prob[0] = 1;
    this.start[0] = this.start[k];
    if (this.poisson) {
      this.s1[0] = this.s1[k] + x;
      this.s2[0] = this.s2[k] + exposure;
    } else {
      const kap = this.s2[k];
      const mu = this.s1[k];
      const d = x - mu;
      this.s1[0] = (kap * mu + x) / (kap + 1);
      this.s3[0] = this.s3[k] + (kap * d * d) / (2 * (kap + 1));
      this.s4[0] = this.s4[k] + this.tmp[k];
      this.s2[0] = kap + 1;
    }
  }

  // Above maxRuns, keep the most probable 3/4 maxRuns run lengths (ties towards longer runs): the
  // slack makes the selection run once every maxRuns/4 steps instead of every step.
  private capRuns(): void {
    const K = this.count;
    const target = Math.max(1, Math.floor((this.maxRuns * 3) / 4));
    const drop = K - target;
    const scratch = this.lp; // free at this point
    scratch.set(this.prob.subarray(0, K));
    const cutoff = selectKth(scratch, K, drop - 1);
    let below = 0;
    for (let k = 0; k < K; k++) if (this.prob[k] < cutoff) below++;
    let equalToDrop = drop - below;
    let kept = 0;
    for (let k = 0; k < K; k++) {
      const p = this.prob[k];
      if (p < cutoff) continue;
      if (p === cutoff && equalToDrop > 0) {
        equalToDrop--;
        continue;
      }
      this.prob[kept] = p;
      this.start[kept] = this.start[k];
      this.s1[kept] = this.s1[k];
      this.s2[kept] = this.s2[k];
      this.s3[kept] = this.s3[k];
      this.s4[kept] = this.s4[k];
      kept++;
    }
    this.count = kept;
  }

  private summarizeAll(t: number): void {
    const K = this.count;
    const prob = this.prob;
    const start = this.start;
    let mass = 0;
    for (let k = 0; k < K; k++) mass += prob[k];
    const inv = 1 / mass;
    let best = -1;
    let bestRun = 0;
    let short = 0;
    let mean = 0;
    let change = 0;
    for (let k = 0; k < K; k++) {
      const p = prob[k] * inv;
      const run = t - start[k] + 1;
      if (p > best) {
        best = p;
        bestRun = run;
      }
      if (run <= this.shortRun) short += p;
      if (run === 1) change = p;
      mean += p * run;
    }
    const s = this.summary;
    s.t = t;
    s.changeProbability = change;
    s.mapRunLength = bestRun;
    s.pShortRun = short;
    s.meanRunLength = mean;
    s.runs = K;
    this.mass = mass;
  }

  toJSON(): BocpdState {
    const K = this.count;
    const take = (a: Float64Array): number[] => Array.from(a.subarray(0, K));
    return {
      kind: "bocpd",
      version: 1,
      model: this.model,
      options: {
        hazard: this.hazard,
        threshold: this.threshold,
        maxRuns: Number.isFinite(this.maxRuns) ? this.maxRuns : null,
        shortRun: this.shortRun,
      },
      t: this.t,
      mass: this.mass,
      maxCount: this.maxCount,
      start: take(this.start),
      prob: take(this.prob),
      s1: take(this.s1),
      s2: take(this.s2),
      s3: take(this.s3),
      s4: take(this.s4),
    };
  }

  /** Load a state produced by toJSON (called by bocpdFromJSON on a fresh detector). */
  load(state: BocpdState): void {
    const K = state.prob.length;
    for (const key of ["start", "s1", "s2", "s3", "s4"] as const) {
      if (state[key].length !== K) throw new ConfigError(`invalid bocpd state: ${key} has ${state[key].length} entries, prob has ${K}`);
    }
    this.ensure(K + 1);
    this.start.set(state.start);
    this.prob.set(state.prob);
    this.s1.set(state.s1);
    this.s2.set(state.s2);
    this.s3.set(state.s3);
    this.s4.set(state.s4);
    this.count = K;
    this.t = state.t;
    this.mass = state.mass;
    this.maxCount = state.maxCount;
  }

  runLengthPosterior(): { runLength: Int32Array; probability: Float64Array } {
    const K = this.count;
    const runLength = new Int32Array(K);
    const probability = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      runLength[K - 1 - k] = this.t - 1 - this.start[k] + 1;
      probability[K - 1 - k] = this.prob[k] / this.mass;
    }
    return { runLength, probability };
  }

  exceedance(baselineRate: number, ratio: number): number {
    if (!this.poisson) throw new ConfigError("exceedance() needs the poisson-gamma model");
    const level = baselineRate * ratio;
    if (!(level > 0)) throw new ConfigError(`invalid exceedance level: baselineRate ${baselineRate} * ratio ${ratio}`);
    let total = 0;
    for (let k = 0; k < this.count; k++) {
      total += this.prob[k] * gammaCdf(level, this.p0 + this.s1[k], this.p1 + this.s2[k], true);
    }
    return total / this.mass;
  }
}

// log1p(u) for u >= 0: eight terms of the alternating series below 1/64 (truncation < u^9 / 9,
// under 1e-15 relative), Math.log1p above. Long runs have small u, so most calls avoid the log.
function log1pSmall(u: number): number {
  if (u < 0.015625) {
    return u * (1 - u * (0.5 - u * (1 / 3 - u * (0.25 - u * (0.2 - u * (1 / 6 - u * (1 / 7 - u * 0.125)))))));
  }
  return Math.log1p(u);
}

// k-th smallest (0-based) of a[0..n) by quickselect; reorders a.
function selectKth(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const tmp = a[i];
        a[i] = a[j];
        a[j] = tmp;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function positive(v: number, key: string): void {
  if (!(v > 0) || !Number.isFinite(v)) throw new ConfigError(`invalid ${key}: ${v} (must be > 0)`);
}

/** Create a streaming BOCPD detector for the given observation model. */
export function createBocpd(model: BocpdModel, options: BocpdOptions = {}): BocpdDetector {
  return new Bocpd(model, options);
}

/** Resume a detector from its toJSON state (same results, bit for bit, as never stopping). */
export function bocpdFromJSON(state: BocpdState): BocpdDetector {
  if (state.kind !== "bocpd" || state.version !== 1) {
    throw new ConfigError(`invalid bocpd state: kind ${String(state.kind)}, version ${String(state.version)}`);
  }
  const det = new Bocpd(state.model, { ...state.options, maxRuns: state.options.maxRuns ?? Infinity });
  det.load(state);
  return det;
}

/** Per-observation BOCPD summaries of a whole series. */
export interface BocpdSeriesResult {
  readonly changeProbability: Float64Array;
  readonly mapRunLength: Float64Array;
  readonly pShortRun: Float64Array;
  readonly meanRunLength: Float64Array;
  readonly logPredictive: Float64Array;
  /** Mean number of run lengths retained per step. */
  readonly meanRuns: number;
}

/** Run a fresh BOCPD detector over a whole series (validated first) and collect its summaries. */
export function runBocpd(
  model: BocpdModel,
  values: ArrayLike<number>,
  exposure?: ArrayLike<number>,
  options: BocpdOptions = {},
): BocpdSeriesResult {
  const det = createBocpd(model, options);
  let xs: Float64Array;
  let es: Float64Array | null = null;
  if (model.kind === "poisson-gamma") {
    const s = validateCounts(values, exposure);
    xs = s.counts;
    es = s.exposure;
  } else {
    xs = validateReal(values);
  }
  const n = xs.length;
  const out = {
    changeProbability: new Float64Array(n),
    mapRunLength: new Float64Array(n),
    pShortRun: new Float64Array(n),
    meanRunLength: new Float64Array(n),
    logPredictive: new Float64Array(n),
  };
  let runs = 0;
  for (let t = 0; t < n; t++) {
    const s = det.update(xs[t], es === null ? 1 : es[t]);
    out.changeProbability[t] = s.changeProbability;
    out.mapRunLength[t] = s.mapRunLength;
    out.pShortRun[t] = s.pShortRun;
    out.meanRunLength[t] = s.meanRunLength;
    out.logPredictive[t] = s.logPredictive;
    runs += s.runs;
  }
  return { ...out, meanRuns: runs / n };
}
