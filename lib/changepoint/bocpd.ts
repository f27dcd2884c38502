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
 * Kernel. The recursion runs in linear probability space: each step rescales the last posterior to
 * sum to one and multiplies it by exp(log predictive - max log predictive), so one exp per run
 * length and no log-sum-exp. Per-run sufficient statistics live in preallocated typed arrays
 * (slots, refilled by swap-remove when a run is pruned, grown only when the retained runs outgrow
 * them); the summary is one reused object, so an update allocates nothing. The per-run work left
 * is one exp and one log1p (a short series for long runs); everything that depends on the run
 * length only (the Student-t normalizing constant) is tabulated once. The two loops, the pruning
 * scan and the summary sums run in a small WebAssembly kernel (wasm-bocpd.ts; the Poisson model for
 * counts <= 16, the Normal model always; option engine "js" keeps JavaScript): 1.5-2.3x the
 * throughput of the same loops in V8's JavaScript (CPU time, bench/changepoint/bench.ts).
 *
 * Pruning (Adams & MacKay 2007 suggest dropping improbable run lengths; the cap is the fixed-budget
 * version, as in Fearnhead & Liu 2007 but without their resampling, so results stay deterministic).
 * Before a step propagates the posterior, (1) every run length whose posterior probability is
 * below `threshold` is dropped, and (2) if more than `maxRuns` remain (at most one more: a step
 * adds one run), the least probable one is dropped; the most probable run is never dropped, and
 * the survivors are renormalized. The mass dropped at each step is reported (`prunedMass`), so the
 * approximation is visible rather than silent. A dropped run matters later only if its own
 * predictive beats the survivors' by a factor of about 1 / its mass.
 *
 * Accuracy of the defaults (threshold 1e-6, 32 runs) against exact BOCPD (threshold 0, no cap) on
 * series with changes: P(change at t) within 0.05 at every step and within 2e-3 on average, the
 * MAP run length equal on >= 95% of steps (tests/changepoint/bocpd.test.ts); on the bench series
 * (1M points, regimes of 5000) max |dP| about 0.013-0.018, mean below 1e-4, MAP equal on 99.6-99.8%.
 * The threshold alone (maxRuns Infinity) is within 2e-3 at every step but keeps hundreds of runs.
 * Fewer runs cost little accuracy (16: max |dP| about 0.02-0.04) and buy speed; see the bench table.
 */
import { ConfigError } from "../errors.js";
import { expNonPositive, gammaCdf, lgamma, log1pNonNegative, logRising } from "./special.js";
import { checkCountObservation, checkRealObservation, validateCounts, validateReal } from "./validate.js";
import { ARRAYS, createPoissonKernel, type PoissonKernel } from "./wasm-bocpd.js";

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
   * Cap on retained run lengths (default 32; Infinity for none): above it the least probable is
   * dropped, so the cost per observation stays bounded.
   */
  readonly maxRuns?: number;
  /** k of the summary's P(run length <= k) (default 5). */
  readonly shortRun?: number;
  /**
   * "wasm" (default): the update loops run in a small WebAssembly kernel (lib/changepoint/wasm-bocpd.ts;
   * Poisson counts above 16 stay in JavaScript), falling back to JavaScript where WebAssembly is
   * unavailable; "js": always JavaScript. Both give the same posteriors to about 1e-13.
   */
  readonly engine?: "wasm" | "js";
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
  /** Number of run lengths in this posterior (after the last pruning, plus the new run). */
  runs: number;
  /** Posterior mass that pruning dropped before this step (0 without pruning). */
  prunedMass: number;
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
// log x! for small counts (the common case), so a step costs no lgamma.
const LOG_FACTORIAL = new Float64Array(64);
for (let x = 2; x < 64; x++) LOG_FACTORIAL[x] = LOG_FACTORIAL[x - 1] + Math.log(x);

/** Default cap on retained run lengths. */
export const DEFAULT_MAX_RUNS = 32;

class Bocpd implements BocpdDetector {
  readonly model: BocpdModel;
  private readonly hazard: number;
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
    prunedMass: 0,
  };
  private t = 0;
  // Runs live in slots 0..count-1 in no particular order: a pruned run's slot is refilled by the
  // last one (swap-remove), so pruning never shifts the arrays. start[k] is the time step at which
  // the run in slot k began; prob[k] its unnormalized posterior mass (they sum to `mass`).
  private count = 0;
  private cap = 0;
  private start: Float64Array = new Float64Array(0);
  private prob: Float64Array = new Float64Array(0);
  private lp: Float64Array = new Float64Array(0);
  private tmp: Float64Array = new Float64Array(0);
  private mass = 1;
  // Slot of the most probable run after the last update (derived from prob: see load).
  private mapSlot = -1;
  // Earliest start among the runs (sizes the Student-t table for the kernel; see load).
  private oldestStart = 0;
  // Poisson: s1 = count sum, s2 = exposure sum.
  // Normal: s1 = mean, s2 = kappa, s3 = beta, s4 = log beta (alpha follows from the run length).
  private s1: Float64Array = new Float64Array(0);
  private s2: Float64Array = new Float64Array(0);
  private s3: Float64Array = new Float64Array(0);
  private s4: Float64Array = new Float64Array(0);
  private relPrior = new Float64Array(16);
  // The WebAssembly kernel (Poisson model), whose memory holds prob, s1, s2, lp, tmp and relPrior.
  private kernel: PoissonKernel | null = null;
  private readonly useWasm: boolean;
  // Poisson: total count so far, to know when products of rising factorials could overflow.
  private maxCount = 0;
  // Student-t constant lgamma((nu+1)/2) - lgamma(nu/2) - log(pi nu)/2 - log((kappa+1)/(alpha kappa))/2
  // by the number of observations in the run: depends on the run length only, so tabulated once.
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
    const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
    if (!(maxRuns >= 1)) throw new ConfigError(`invalid maxRuns: ${maxRuns} (must be >= 1)`);
    const shortRun = options.shortRun ?? 5;
    if (!Number.isInteger(shortRun) || shortRun < 1) throw new ConfigError(`invalid shortRun: ${shortRun}`);
    this.hazard = hazard;
    this.threshold = threshold;
    this.maxRuns = Number.isFinite(maxRuns) ? Math.floor(maxRuns) : Infinity;
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
    this.useWasm = (options.engine ?? "wasm") === "wasm";
    if (options.engine !== undefined && options.engine !== "wasm" && options.engine !== "js") {
      throw new ConfigError(`invalid engine: ${String(options.engine)} (must be "wasm" or "js")`);
    }
    this.ensure(Math.min(64, Number.isFinite(this.maxRuns) ? this.maxRuns + 2 : 64));
  }

  get length(): number {
    return this.t;
  }

  reset(): void {
    this.t = 0;
    this.count = 0;
    this.mass = 1;
    this.maxCount = 0;
    this.mapSlot = -1;
    this.oldestStart = 0;
    this.summary.t = -1;
  }

  private ensure(capacity: number): void {
    if (capacity <= this.cap) return;
    let cap = Math.max(16, this.cap);
    while (cap < capacity) cap *= 2;
    this.rebuild(cap, this.tConst.length);
  }

  // Reallocate the per-run arrays for `cap` runs (and the Student-t table for `tableSize` run
  // lengths), in a fresh WebAssembly kernel's memory when there is one, keeping their contents.
  private rebuild(cap: number, tableSize: number): void {
    const kernel = this.useWasm ? createPoissonKernel(cap, this.poisson ? 0 : tableSize) : null;
    const keep = (a: Float64Array, b: Float64Array): Float64Array => {
      b.set(a.subarray(0, Math.min(this.count, a.length)));
      return b;
    };
    if (kernel !== null) {
      // The kernel's arrays are views into its memory, in the layout wasm-bocpd.ts expects.
      const view = (j: number): Float64Array => new Float64Array(kernel.memory.buffer, ARRAYS + 8 * cap * j, cap);
      this.prob = keep(this.prob, view(0));
      this.s1 = keep(this.s1, view(1));
      this.s2 = keep(this.s2, view(2));
      this.lp = view(3);
      this.tmp = view(4);
      this.start = keep(this.start, view(5));
      this.s3 = keep(this.s3, view(6));
      this.s4 = keep(this.s4, view(7));
      this.relPrior = new Float64Array(kernel.memory.buffer, 0, 16);
      if (!this.poisson) {
        const table = new Float64Array(kernel.memory.buffer, kernel.tableOffset, tableSize);
        table.set(this.tConst.subarray(0, Math.min(this.tConst.length, tableSize)));
        this.fillTConst(table, this.tConst.length);
        this.tConst = table;
      }
    } else {
      // In JavaScript only what outgrew its array moves (stepNormal grows the table mid-loop).
      if (cap !== this.cap) {
        this.prob = keep(this.prob, new Float64Array(cap));
        this.s1 = keep(this.s1, new Float64Array(cap));
        this.s2 = keep(this.s2, new Float64Array(cap));
        this.lp = new Float64Array(cap);
        this.tmp = new Float64Array(cap);
        this.start = keep(this.start, new Float64Array(cap));
        this.s3 = keep(this.s3, new Float64Array(cap));
        this.s4 = keep(this.s4, new Float64Array(cap));
      }
      if (!this.poisson && tableSize > this.tConst.length) {
        const table = new Float64Array(tableSize);
        table.set(this.tConst);
        this.fillTConst(table, this.tConst.length);
        this.tConst = table;
      }
    }
    this.kernel = kernel;
    this.cap = cap;
  }

  // Student-t constant lgamma((nu+1)/2) - lgamma(nu/2) - log(pi nu)/2 - log((kappa+1)/(alpha kappa))/2
  // for runs of k observations, k >= from.
  private fillTConst(table: Float64Array, from: number): void {
    for (let k = from; k < table.length; k++) {
      const alpha = this.p2 + 0.5 * k;
      const kappa = this.p1 + k;
      const nu = 2 * alpha;
      table[k] =
        lgamma((nu + 1) / 2) -
        lgamma(nu / 2) -
        0.5 * (LOG_PI + Math.log(nu)) -
        0.5 * Math.log((kappa + 1) / (alpha * kappa));
    }
  }

  private ensureTConst(observations: number): void {
    if (observations < this.tConst.length) return;
    let size = Math.max(256, this.tConst.length);
    while (size <= observations) size *= 2;
    this.rebuild(this.cap, size);
  }

  // Move the run in the last slot into slot k (dropping k's run).
  private removeSlot(k: number): void {
    const last = this.count - 1;
    if (k !== last) {
      this.start[k] = this.start[last];
      this.prob[k] = this.prob[last];
      this.s1[k] = this.s1[last];
      this.s2[k] = this.s2[last];
      this.s3[k] = this.s3[last];
      this.s4[k] = this.s4[last];
      if (this.mapSlot === last) this.mapSlot = k;
    }
    this.count = last;
  }

  // Pruning, applied to the posterior of the previous step before it is propagated: runs whose
  // posterior mass is below `threshold` go, and above `maxRuns` runs the least probable go. The most
  // probable run is never dropped. Returns the mass dropped (in the units of prob).
  private prune(): number {
    let dropped = 0;
    const prob = this.prob;
    const cut = this.threshold * this.mass;
    let m = -1;
    const kernel = this.kernel;
    // The kernel scans without removing; only when something is below the threshold (rare once the
    // cap binds) does the loop below run.
    if (kernel !== null) m = kernel.scan(this.count, cut, this.mapSlot);
    // One scan: the threshold drops, and the least probable survivor (never the MAP run) for the cap.
    let k = kernel !== null && kernel.out[0] === 0 ? this.count : 0;
    let worst = Infinity;
    if (k === 0) m = -1;
    while (k < this.count) {
      const p = prob[k];
      if (p < cut && k !== this.mapSlot) {
        dropped += p;
        this.removeSlot(k);
      } else {
        if (p < worst && k !== this.mapSlot) {
          worst = p;
          m = k;
        }
        k++;
      }
    }
    if (this.count > this.maxRuns && m >= 0) {
      dropped += prob[m];
      this.removeSlot(m);
    }
    // More than one run over the cap only happens after loading a state saved with a larger one.
    while (this.count > this.maxRuns) {
      m = -1;
      for (let i = 0; i < this.count; i++) if (i !== this.mapSlot && (m < 0 || prob[i] < prob[m])) m = i;
      dropped += prob[m];
      this.removeSlot(m);
    }
    return dropped;
  }

  update(x: number, exposure = 1): BocpdSummary {
    if (this.poisson) checkCountObservation(x, exposure, this.t);
    else checkRealObservation(x, this.t);
    const massBefore = this.mass;
    const dropped = this.count > 0 ? this.prune() : 0;
    this.ensure(this.count + 1);
    const s = this.poisson ? this.stepPoisson(x, exposure) : this.stepNormal(x);
    s.prunedMass = dropped / massBefore;
    return s;
  }

  private stepPoisson(x: number, exposure: number): BocpdSummary {
    const K = this.count;
    const prob = this.prob;
    const lp = this.lp;
    const r = this.tmp;
    const s1 = this.s1;
    const s2 = this.s2;
    const a0 = this.p0;
    const b0 = this.p1;
    // Negative-binomial predictive of x with exposure e under Gamma(a, b), factored as
    //   (b / (b + e))^a * prod_{i<x} (a + i) / (b + e) * e^x / x!.
    // The last factor is shared by every run and enters only the evidence. For x <= 16 the product
    // is taken in linear space relative to the prior run's (so it stays near 1 whatever the units
    // of the rate; the prior's own product goes into the shared term) and replaces
    // lgamma(a + x) - lgamma(a); the first factor is one exp per run of -a log1p(e / b), whose
    // log1p is a short series for the small e / b of long runs.
    const small = x <= 16 && a0 + this.maxCount < 1e15;
    let lpCommon = x > 0 ? x * Math.log(exposure) - (x < LOG_FACTORIAL.length ? LOG_FACTORIAL[x] : lgamma(x + 1)) : 0;
    const rel = this.relPrior;
    if (small && x > 0) {
      // x <= 16 factors of at most (a0 + 16) / (b0 + e) each: one log of their product.
      let r0 = 1;
      for (let i = 0; i < x; i++) {
        const f = (a0 + i) / (b0 + exposure);
        rel[i] = 1 / f;
        r0 *= f;
      }
      lpCommon += r0 > 1e-300 && r0 < 1e300 ? Math.log(r0) : logRising(a0, x) - x * Math.log(b0 + exposure);
    }
    const lp0 = -a0 * log1pNonNegative(exposure / b0) + (small ? 0 : logRising(a0, x) - x * Math.log(b0 + exposure));
    if (small && this.kernel !== null) {
      // Both passes below, in WebAssembly (same arithmetic, same order).
      this.kernel.step(K, x, exposure, a0, b0, this.hazard, lp0, this.cap);
      const maxLpW = this.kernel.out[6];
      const wNewW = (K > 0 ? this.hazard : 1) * expNonPositive(lp0 - maxLpW);
      prob[K] = wNewW;
      this.start[K] = this.t;
      s1[K] = x;
      s2[K] = exposure;
      this.maxCount += x;
      return this.finish(K, maxLpW + lpCommon);
    }
    let maxLp = lp0;
    let sumPrev = 0;
    if (small) {
      for (let k = 0; k < K; k++) {
        const a = a0 + s1[k];
        const b = b0 + s2[k];
        const v = -a * log1pNonNegative(exposure / b);
        lp[k] = v;
        if (v > maxLp) maxLp = v;
        let prod = 1;
        if (x > 0) {
          const inv = 1 / (b + exposure);
          prod = a * inv * rel[0];
          for (let i = 1; i < x; i++) prod *= (a + i) * inv * rel[i];
        }
        r[k] = prod;
        sumPrev += prob[k];
      }
    } else {
      for (let k = 0; k < K; k++) {
        const a = a0 + s1[k];
        const b = b0 + s2[k];
        const v = -a * log1pNonNegative(exposure / b) + logRising(a, x) - x * Math.log(b + exposure);
        lp[k] = v;
        if (v > maxLp) maxLp = v;
        r[k] = 1;
        sumPrev += prob[k];
      }
    }
    // Linear space from here: the posterior of the last step is renormalized on the fly (g) and
    // each weight is scaled by exp(lp - maxLp) <= 1, so nothing overflows and the largest weight
    // cannot underflow.
    const g = K > 0 ? (1 - this.hazard) / sumPrev : 0;
    const wNew = (K > 0 ? this.hazard : 1) * expNonPositive(lp0 - maxLp);
    const start = this.start;
    const t = this.t;
    for (let k = 0; k < K; k++) {
      prob[k] *= g * r[k] * expNonPositive(lp[k] - maxLp);
      s1[k] += x;
      s2[k] += exposure;
    }
    prob[K] = wNew;
    start[K] = t;
    s1[K] = x;
    s2[K] = exposure;
    this.maxCount += x;
    return this.finish(K, maxLp + lpCommon);
  }

  private stepNormal(x: number): BocpdSummary {
    // First, since with the kernel a bigger table means new memory (and new array views).
    this.ensureTConst(1);
    if (this.kernel !== null && this.count > 0 && this.t - this.oldestStart >= this.tConst.length) this.ensureTConst(this.t - this.oldestStart);
    const K = this.count;
    const t = this.t;
    const prob = this.prob;
    const lp = this.lp;
    const l1 = this.tmp;
    const start = this.start;
    const s1 = this.s1;
    const s2 = this.s2;
    const s3 = this.s3;
    const s4 = this.s4;
    let tc = this.tConst;
    const alpha0 = this.p2;
    // Student-t, nu = 2 alpha, location mu, scale^2 = beta (kappa+1)/(alpha kappa). Its
    // log1p((x-mu)^2 / (nu scale^2)) = log1p(q) with q = kappa (x-mu)^2 / (2 (kappa+1) beta) is
    // also the update log beta' = log beta + log1p(q), so one log1p and one exp per run.
    const kap0 = this.p1;
    const d0 = x - this.p0;
    const q0 = (kap0 * d0 * d0) / (2 * (kap0 + 1) * this.p3);
    const lp0 = tc[0] - 0.5 * Math.log(this.p3) - (alpha0 + 0.5) * Math.log1p(q0);
    const kernel = this.kernel;
    if (kernel !== null) {
      // Both passes below, in WebAssembly (the table covers the oldest run: see the top).
      kernel.stepNormal(K, x, alpha0, this.hazard, lp0, this.cap, t, kernel.tableOffset);
      const maxLpW = kernel.out[6];
      const wNewW = (K > 0 ? this.hazard : 1) * expNonPositive(lp0 - maxLpW);
      this.writeNewNormalRun(K, x, wNewW, kap0, d0);
      return this.finish(K, maxLpW);
    }
    let maxLp = lp0;
    let sumPrev = 0;
    for (let k = 0; k < K; k++) {
      const nObs = t - start[k];
      if (nObs >= tc.length) {
        this.ensureTConst(nObs);
        tc = this.tConst;
      }
      const kap = s2[k];
      const d = x - s1[k];
      const l1q = log1pNonNegative((kap * d * d) / (2 * (kap + 1) * s3[k]));
      l1[k] = l1q;
      const v = tc[nObs] - 0.5 * s4[k] - (alpha0 + 0.5 * nObs + 0.5) * l1q;
      lp[k] = v;
      if (v > maxLp) maxLp = v;
      sumPrev += prob[k];
    }
    const g = K > 0 ? (1 - this.hazard) / sumPrev : 0;
    const wNew = (K > 0 ? this.hazard : 1) * expNonPositive(lp0 - maxLp);
    for (let k = 0; k < K; k++) {
      prob[k] *= g * expNonPositive(lp[k] - maxLp);
      const kap = s2[k];
      const mu = s1[k];
      const d = x - mu;
      s1[k] = (kap * mu + x) / (kap + 1);
      s3[k] += (kap * d * d) / (2 * (kap + 1));
      s4[k] += l1[k];
      s2[k] = kap + 1;
    }
    this.writeNewNormalRun(K, x, wNew, kap0, d0);
    return this.finish(K, maxLp);
  }

  private writeNewNormalRun(K: number, x: number, wNew: number, kap0: number, d0: number): void {
    this.prob[K] = wNew;
    this.start[K] = this.t;
    this.s1[K] = (kap0 * this.p0 + x) / (kap0 + 1);
    const beta = this.p3 + (kap0 * d0 * d0) / (2 * (kap0 + 1));
    this.s3[K] = beta;
    this.s4[K] = Math.log(beta);
    this.s2[K] = kap0 + 1;
  }

  // Summarize the new posterior (the new run is already in slot K). A separate, lean pass on
  // purpose: running sums and extrema inside the update loops cost about a third of their time.
  private finish(K: number, logShift: number): BocpdSummary {
    const t = this.t;
    const prob = this.prob;
    const start = this.start;
    const k0 = t - this.shortRun + 1; // a run is short when it started at or after k0
    let total = 0;
    let short = 0;
    let weightedStart = 0;
    let bestSlot = -1;
    const count = K + 1;
    const kernel = this.kernel;
    if (kernel !== null) {
      kernel.summarize(count, k0, this.cap);
      total = kernel.out[7];
      weightedStart = kernel.out[2];
      short = kernel.out[3];
      bestSlot = kernel.out[4];
      this.oldestStart = kernel.out[5];
    } else {
      let best = -1;
      for (let k = 0; k < count; k++) {
        const w = prob[k];
        const st = start[k];
        total += w;
        weightedStart += w * st;
        short += st >= k0 ? w : 0;
        if (w > best) {
          best = w;
          bestSlot = k;
        }
      }
    }
    this.count = count;
    this.t = t + 1;
    this.mass = total;
    this.mapSlot = bestSlot;
    const inv = 1 / total;
    const sm = this.summary;
    sm.t = t;
    sm.changeProbability = prob[K] * inv;
    sm.mapRunLength = t - start[bestSlot] + 1;
    sm.pShortRun = short * inv;
    // sum_k p_k (t - start_k + 1) from the weighted start sum.
    sm.meanRunLength = t + 1 - weightedStart * inv;
    sm.logPredictive = logShift + Math.log(total);
    sm.runs = count;
    return sm;
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
    // The same first-strict-maximum scan as the update, so a resumed detector prunes the same runs.
    let best = -1;
    this.mapSlot = -1;
    this.oldestStart = state.t;
    for (let k = 0; k < K; k++) {
      if (this.prob[k] > best) {
        best = this.prob[k];
        this.mapSlot = k;
      }
      if (this.start[k] < this.oldestStart) this.oldestStart = this.start[k];
    }
  }

  runLengthPosterior(): { runLength: Int32Array; probability: Float64Array } {
    const K = this.count;
    const order = Array.from({ length: K }, (_, k) => k).sort((i, j) => this.start[j] - this.start[i]);
    const runLength = new Int32Array(K);
    const probability = new Float64Array(K);
    for (let i = 0; i < K; i++) {
      const k = order[i];
      runLength[i] = this.t - this.start[k];
      probability[i] = this.prob[k] / this.mass;
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
  /** Sum over steps of the posterior mass dropped by pruning. */
  readonly prunedMass: number;
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
  let pruned = 0;
  for (let t = 0; t < n; t++) {
    const s = det.update(xs[t], es === null ? 1 : es[t]);
    out.changeProbability[t] = s.changeProbability;
    out.mapRunLength[t] = s.mapRunLength;
    out.pShortRun[t] = s.pShortRun;
    out.meanRunLength[t] = s.meanRunLength;
    out.logPredictive[t] = s.logPredictive;
    runs += s.runs;
    pruned += s.prunedMass;
  }
  return { ...out, meanRuns: runs / n, prunedMass: pruned };
}
