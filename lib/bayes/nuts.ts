/**
 * The No-U-Turn Sampler as Stan implements it (base_nuts.hpp): multinomial sampling over the
 * trajectory, biased progressive sampling when a new subtree joins the tree, the generalized
 * no-U-turn criterion with the extra checks across merged subtrees, a diagonal Euclidean metric,
 * and Stan's warmup (dual averaging + windowed metric). One chain per call; `sample` runs several.
 */
import { ConvergenceError } from "../errors.js";
import type { Rng } from "../util/random.js";
import { DualAveraging, WindowedVariance } from "./adaptation.js";
import type { LogDensityModel } from "./model.js";

/** Sampler settings (Stan's defaults). */
export interface NutsOptions {
  /** Warmup (tuning) iterations. Default 1000. */
  warmup?: number;
  /** Kept draws per chain. Default 1000. */
  draws?: number;
  /** Target acceptance statistic for step-size adaptation. Default 0.8. */
  targetAccept?: number;
  /** Maximum tree depth (2^depth leapfrog steps at most). Default 10. */
  maxTreeDepth?: number;
  /** Initial step size before the heuristic search. Default 1. */
  initStepSize?: number;
  /** Dual-averaging gamma. Default 0.05. */
  gamma?: number;
  /** Dual-averaging t0. Default 10. */
  t0?: number;
  /** Dual-averaging kappa. Default 0.75. */
  kappa?: number;
  /** Initial fast buffer. Default 75. */
  initBuffer?: number;
  /** Terminal fast buffer. Default 50. */
  termBuffer?: number;
  /** First slow window. Default 25. */
  baseWindow?: number;
  /** Energy error above which a transition is divergent. Default 1000. */
  maxDeltaH?: number;
  /** Random inits are uniform(-initRadius, initRadius) on the unconstrained scale. Default 2. */
  initRadius?: number;
  /** Init attempts before giving up. Default 100. */
  initAttempts?: number;
  /** Adapt the metric (false keeps the identity). Default true. */
  adaptMetric?: boolean;
  /** "diag" (Stan's diag_e, the default) or "dense" (Stan's dense_e: a full covariance metric). */
  metric?: "diag" | "dense";
  /** Keep warmup draws too. Default false. */
  saveWarmup?: boolean;
}

/** Iteration phase reported to progress callbacks. */
export type Phase = "warmup" | "sampling";

/** A progress record: the chain, its iteration (1-based over warmup + draws), and the phase. */
export interface ProgressEvent {
  chain: number;
  iteration: number;
  total: number;
  phase: Phase;
  divergences: number;
}

/** Per-draw sampler statistics, one entry per kept draw. */
export interface SamplerStats {
  stepSize: Float64Array;
  treeDepth: Float64Array;
  nLeapfrog: Float64Array;
  divergent: Float64Array;
  energy: Float64Array;
  acceptStat: Float64Array;
  lp: Float64Array;
}

/** One chain's output. */
export interface ChainResult {
  chain: number;
  /** Constrained draws, row-major: draws x constrainedDim. */
  draws: Float64Array;
  stats: SamplerStats;
  /** Warmup draws (only with saveWarmup). */
  warmupDraws: Float64Array | null;
  warmupStats: SamplerStats | null;
  stepSize: number;
  /** Inverse metric: the diagonal (dim), or the dense matrix row-major (dim x dim). */
  invMetric: Float64Array;
  /** The unconstrained starting point. */
  init: Float64Array;
  warmupSeconds: number;
  samplingSeconds: number;
}

function makeStats(n: number): SamplerStats {
  return {
    stepSize: new Float64Array(n),
    treeDepth: new Float64Array(n),
    nLeapfrog: new Float64Array(n),
    divergent: new Float64Array(n),
    energy: new Float64Array(n),
    acceptStat: new Float64Array(n),
    lp: new Float64Array(n),
  };
}

interface PhasePoint {
  q: Float64Array;
  p: Float64Array;
  g: Float64Array;
  lp: number;
}

function makePoint(dim: number): PhasePoint {
  return { q: new Float64Array(dim), p: new Float64Array(dim), g: new Float64Array(dim), lp: 0 };
}

function copyPoint(from: PhasePoint, to: PhasePoint): void {
  to.q.set(from.q);
  to.p.set(from.p);
  to.g.set(from.g);
  to.lp = from.lp;
}

interface Level {
  zProposeFinal: PhasePoint;
  pInitEnd: Float64Array;
  pSharpInitEnd: Float64Array;
  rhoInit: Float64Array;
  pFinalBeg: Float64Array;
  pSharpFinalBeg: Float64Array;
  rhoFinal: Float64Array;
  rhoSubtree: Float64Array;
  rhoExtended: Float64Array;
}

function logSumExp2(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** A NUTS sampler bound to one model and one random stream; all buffers are allocated once. */
export class NutsSampler {
  readonly dim: number;
  /** Diagonal (dim) or dense row-major (dim x dim) inverse metric; call `metricChanged` after writing it. */
  readonly invMetric: Float64Array;
  readonly dense: boolean;
  stepSize: number;
  private readonly chol: Float64Array;
  private readonly tmp: Float64Array;
  private readonly model: LogDensityModel;
  private readonly rng: Rng;
  private readonly maxDepth: number;
  private readonly maxDeltaH: number;
  private readonly z: PhasePoint;
  private readonly zFwd: PhasePoint;
  private readonly zBck: PhasePoint;
  private readonly zSample: PhasePoint;
  private readonly zPropose: PhasePoint;
  private readonly zInit: PhasePoint;
  private readonly levels: Level[] = [];
  private readonly pFwdFwd: Float64Array;
  private readonly pSharpFwdFwd: Float64Array;
  private readonly pFwdBck: Float64Array;
  private readonly pSharpFwdBck: Float64Array;
  private readonly pBckFwd: Float64Array;
  private readonly pSharpBckFwd: Float64Array;
  private readonly pBckBck: Float64Array;
  private readonly pSharpBckBck: Float64Array;
  private readonly rho: Float64Array;
  private readonly rhoFwd: Float64Array;
  private readonly rhoBck: Float64Array;
  private readonly rhoExtended: Float64Array;
  private nLeapfrog = 0;
  private sumMetroProb = 0;
  private divergent = false;
  private treeLogW = -Infinity;
  /** Statistics of the last transition. */
  readonly last = { treeDepth: 0, nLeapfrog: 0, divergent: false, energy: 0, acceptStat: 0, lp: 0 };

  constructor(model: LogDensityModel, rng: Rng, maxDepth: number, maxDeltaH: number, dense = false) {
    const dim = model.layout.dim;
    this.dim = dim;
    this.dense = dense;
    this.model = model;
    this.rng = rng;
    this.maxDepth = maxDepth;
    this.maxDeltaH = maxDeltaH;
    this.invMetric = new Float64Array(dense ? dim * dim : dim);
    if (dense) for (let i = 0; i < dim; i++) this.invMetric[i * dim + i] = 1;
    else this.invMetric.fill(1);
    this.chol = new Float64Array(dense ? dim * dim : 0);
    this.tmp = new Float64Array(dim);
    this.metricChanged();
    this.stepSize = 1;
    this.z = makePoint(dim);
    this.zFwd = makePoint(dim);
    this.zBck = makePoint(dim);
    this.zSample = makePoint(dim);
    this.zPropose = makePoint(dim);
    this.zInit = makePoint(dim);
    for (let d = 0; d <= maxDepth; d++) {
      this.levels.push({
        zProposeFinal: makePoint(dim),
        pInitEnd: new Float64Array(dim),
        pSharpInitEnd: new Float64Array(dim),
        rhoInit: new Float64Array(dim),
        pFinalBeg: new Float64Array(dim),
        pSharpFinalBeg: new Float64Array(dim),
        rhoFinal: new Float64Array(dim),
        rhoSubtree: new Float64Array(dim),
        rhoExtended: new Float64Array(dim),
      });
    }
    const v = (): Float64Array => new Float64Array(dim);
    this.pFwdFwd = v();
    this.pSharpFwdFwd = v();
    this.pFwdBck = v();
    this.pSharpFwdBck = v();
    this.pBckFwd = v();
    this.pSharpBckFwd = v();
    this.pBckBck = v();
    this.pSharpBckBck = v();
    this.rho = v();
    this.rhoFwd = v();
    this.rhoBck = v();
    this.rhoExtended = v();
  }

  /** The current position (unconstrained). */
  get position(): Float64Array {
    return this.z.q;
  }

  /** Current log density. */
  get logDensity(): number {
    return this.z.lp;
  }

  /** Set the position and evaluate the log density there; returns it. */
  setPosition(q: Float64Array): number {
    this.z.q.set(q);
    this.z.lp = this.model.logDensityGradient(this.z.q, this.z.g);
    return this.z.lp;
  }

  /** True when the gradient at the current position is finite everywhere. */
  gradientFinite(): boolean {
    const g = this.z.g;
    for (let i = 0; i < this.dim; i++) if (!Number.isFinite(g[i])) return false;
    return true;
  }

  /** Refactor the metric after `invMetric` changed (Cholesky factor for the dense metric). */
  metricChanged(): void {
    if (!this.dense) return;
    const n = this.dim;
    const a = this.invMetric;
    const L = this.chol;
    L.fill(0);
    for (let j = 0; j < n; j++) {
      let d = a[j * n + j];
      for (let k = 0; k < j; k++) d -= L[j * n + k] * L[j * n + k];
      if (!(d > 0)) throw new ConvergenceError(`the adapted dense metric is not positive definite (pivot ${j}: ${d})`);
      const ljj = Math.sqrt(d);
      L[j * n + j] = ljj;
      for (let i = j + 1; i < n; i++) {
        let s = a[i * n + j];
        for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
        L[i * n + j] = s / ljj;
      }
    }
  }

  private samplePMomentum(z: PhasePoint): void {
    const m = this.invMetric;
    const n = this.dim;
    if (!this.dense) {
      for (let i = 0; i < n; i++) z.p[i] = this.rng.normal() / Math.sqrt(m[i]);
      return;
    }
    // p = L^{-T} u with invMetric = L L^T, so that Cov(p) = invMetric^{-1}.
    const u = this.tmp;
    for (let i = 0; i < n; i++) u[i] = this.rng.normal();
    const L = this.chol;
    for (let i = n - 1; i >= 0; i--) {
      let s = u[i];
      for (let k = i + 1; k < n; k++) s -= L[k * n + i] * z.p[k];
      z.p[i] = s / L[i * n + i];
    }
  }

  private hamiltonian(z: PhasePoint): number {
    const m = this.invMetric;
    const n = this.dim;
    let k = 0;
    if (!this.dense) {
      for (let i = 0; i < n; i++) k += z.p[i] * z.p[i] * m[i];
    } else {
      for (let i = 0; i < n; i++) {
        let s = 0;
        const row = i * n;
        for (let j = 0; j < n; j++) s += m[row + j] * z.p[j];
        k += z.p[i] * s;
      }
    }
    return -z.lp + 0.5 * k;
  }

  private pSharp(z: PhasePoint, out: Float64Array): void {
    const m = this.invMetric;
    const n = this.dim;
    if (!this.dense) {
      for (let i = 0; i < n; i++) out[i] = m[i] * z.p[i];
      return;
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      const row = i * n;
      for (let j = 0; j < n; j++) s += m[row + j] * z.p[j];
      out[i] = s;
    }
  }

  private leapfrog(eps: number): void {
    const z = this.z;
    const m = this.invMetric;
    const n = this.dim;
    const half = 0.5 * eps;
    for (let i = 0; i < n; i++) z.p[i] += half * z.g[i];
    if (!this.dense) {
      for (let i = 0; i < n; i++) z.q[i] += eps * m[i] * z.p[i];
    } else {
      const v = this.tmp;
      this.pSharp(z, v);
      for (let i = 0; i < n; i++) z.q[i] += eps * v[i];
    }
    z.lp = this.model.logDensityGradient(z.q, z.g);
    for (let i = 0; i < n; i++) z.p[i] += half * z.g[i];
  }

  private criterion(pSharpMinus: Float64Array, pSharpPlus: Float64Array, rho: Float64Array): boolean {
    let a = 0;
    let b = 0;
    for (let i = 0; i < this.dim; i++) {
      a += pSharpPlus[i] * rho[i];
      b += pSharpMinus[i] * rho[i];
    }
    return a > 0 && b > 0;
  }

  /** Stan's heuristic: double or halve the step size until one leapfrog step crosses acceptance 0.8. */
  initStepSize(): void {
    if (this.stepSize === 0 || this.stepSize > 1e7 || Number.isNaN(this.stepSize)) return;
    const z = this.z;
    copyPoint(z, this.zInit);
    const log08 = Math.log(0.8);
    this.samplePMomentum(z);
    let H0 = this.hamiltonian(z);
    this.leapfrog(this.stepSize);
    let h = this.hamiltonian(z);
    if (Number.isNaN(h)) h = Infinity;
    let deltaH = H0 - h;
    const direction = deltaH > log08 ? 1 : -1;
    for (;;) {
      copyPoint(this.zInit, z);
      this.samplePMomentum(z);
      H0 = this.hamiltonian(z);
      this.leapfrog(this.stepSize);
      h = this.hamiltonian(z);
      if (Number.isNaN(h)) h = Infinity;
      deltaH = H0 - h;
      if (direction === 1 && !(deltaH > log08)) break;
      if (direction === -1 && !(deltaH < log08)) break;
      this.stepSize = direction === 1 ? this.stepSize * 2 : this.stepSize * 0.5;
      if (this.stepSize > 1e7) {
        throw new ConvergenceError("step size search diverged above 1e7: the posterior may be improper");
      }
      if (this.stepSize === 0) {
        throw new ConvergenceError("no acceptably small step size: the log density or its gradient is not finite near the initial point");
      }
    }
    copyPoint(this.zInit, z);
  }

  /** One NUTS transition from the current position; statistics land in `last`. */
  transition(): void {
    const z = this.z;
    const dim = this.dim;
    this.samplePMomentum(z);
    copyPoint(z, this.zFwd);
    copyPoint(z, this.zBck);
    copyPoint(z, this.zSample);
    copyPoint(z, this.zPropose);
    this.pSharp(z, this.pSharpFwdFwd);
    this.pFwdFwd.set(z.p);
    this.pFwdBck.set(z.p);
    this.pSharpFwdBck.set(this.pSharpFwdFwd);
    this.pBckFwd.set(z.p);
    this.pSharpBckFwd.set(this.pSharpFwdFwd);
    this.pBckBck.set(z.p);
    this.pSharpBckBck.set(this.pSharpFwdFwd);
    this.rho.set(z.p);
    let logSumWeight = 0;
    const H0 = this.hamiltonian(z);
    this.nLeapfrog = 0;
    this.sumMetroProb = 0;
    this.divergent = false;
    let depth = 0;
    const rho = this.rho;
    const rhoFwd = this.rhoFwd;
    const rhoBck = this.rhoBck;
    const rhoExt = this.rhoExtended;
    while (depth < this.maxDepth) {
      rhoFwd.fill(0);
      rhoBck.fill(0);
      let valid: boolean;
      if (this.rng.uniform() > 0.5) {
        copyPoint(this.zFwd, z);
        rhoBck.set(rho);
        this.pBckFwd.set(this.pFwdBck);
        this.pSharpBckFwd.set(this.pSharpFwdBck);
        valid = this.buildTree(depth, this.zPropose, this.pSharpFwdBck, this.pSharpFwdFwd, rhoFwd, this.pFwdBck, this.pFwdFwd, H0, 1);
        copyPoint(z, this.zFwd);
      } else {
        copyPoint(this.zBck, z);
        rhoFwd.set(rho);
        this.pFwdBck.set(this.pBckFwd);
        this.pSharpFwdBck.set(this.pSharpBckFwd);
        valid = this.buildTree(depth, this.zPropose, this.pSharpBckFwd, this.pSharpBckBck, rhoBck, this.pBckFwd, this.pBckBck, H0, -1);
        copyPoint(z, this.zBck);
      }
      if (!valid) break;
      const lwSub = this.treeLogW;
      depth++;
      if (lwSub > logSumWeight) {
        copyPoint(this.zPropose, this.zSample);
      } else if (this.rng.uniform() < Math.exp(lwSub - logSumWeight)) {
        copyPoint(this.zPropose, this.zSample);
      }
      logSumWeight = logSumExp2(logSumWeight, lwSub);
      for (let i = 0; i < dim; i++) rho[i] = rhoBck[i] + rhoFwd[i];
      let persist = this.criterion(this.pSharpBckBck, this.pSharpFwdFwd, rho);
      for (let i = 0; i < dim; i++) rhoExt[i] = rhoBck[i] + this.pFwdBck[i];
      persist = this.criterion(this.pSharpBckBck, this.pSharpFwdBck, rhoExt) && persist;
      for (let i = 0; i < dim; i++) rhoExt[i] = rhoFwd[i] + this.pBckFwd[i];
      persist = this.criterion(this.pSharpBckFwd, this.pSharpFwdFwd, rhoExt) && persist;
      if (!persist) break;
    }
    copyPoint(this.zSample, z);
    const last = this.last;
    last.treeDepth = depth;
    last.nLeapfrog = this.nLeapfrog;
    last.divergent = this.divergent;
    last.acceptStat = this.nLeapfrog > 0 ? this.sumMetroProb / this.nLeapfrog : 0;
    last.energy = this.hamiltonian(z);
    last.lp = z.lp;
  }

  private buildTree(
    depth: number,
    zPropose: PhasePoint,
    pSharpBeg: Float64Array,
    pSharpEnd: Float64Array,
    rho: Float64Array,
    pBeg: Float64Array,
    pEnd: Float64Array,
    H0: number,
    sign: number,
  ): boolean {
    const dim = this.dim;
    const z = this.z;
    if (depth === 0) {
      this.leapfrog(sign * this.stepSize);
      this.nLeapfrog++;
      let h = this.hamiltonian(z);
      if (Number.isNaN(h)) h = Infinity;
      if (h - H0 > this.maxDeltaH) this.divergent = true;
      this.treeLogW = H0 - h;
      this.sumMetroProb += H0 - h > 0 ? 1 : Math.exp(H0 - h);
      copyPoint(z, zPropose);
      this.pSharp(z, pSharpBeg);
      pSharpEnd.set(pSharpBeg);
      for (let i = 0; i < dim; i++) rho[i] += z.p[i];
      pBeg.set(z.p);
      pEnd.set(z.p);
      return !this.divergent;
    }
    const L = this.levels[depth];
    L.rhoInit.fill(0);
    const validInit = this.buildTree(depth - 1, zPropose, pSharpBeg, L.pSharpInitEnd, L.rhoInit, pBeg, L.pInitEnd, H0, sign);
    if (!validInit) return false;
    const lwInit = this.treeLogW;
    L.rhoFinal.fill(0);
    const validFinal = this.buildTree(depth - 1, L.zProposeFinal, L.pSharpFinalBeg, pSharpEnd, L.rhoFinal, L.pFinalBeg, pEnd, H0, sign);
    if (!validFinal) return false;
    const lwFinal = this.treeLogW;
    const lwSubtree = logSumExp2(lwInit, lwFinal);
    this.treeLogW = lwSubtree;
    if (lwFinal > lwSubtree) {
      copyPoint(L.zProposeFinal, zPropose);
    } else if (this.rng.uniform() < Math.exp(lwFinal - lwSubtree)) {
      copyPoint(L.zProposeFinal, zPropose);
    }
    const rs = L.rhoSubtree;
    for (let i = 0; i < dim; i++) {
      rs[i] = L.rhoInit[i] + L.rhoFinal[i];
      rho[i] += rs[i];
    }
    let persist = this.criterion(pSharpBeg, pSharpEnd, rs);
    const re = L.rhoExtended;
    for (let i = 0; i < dim; i++) re[i] = L.rhoInit[i] + L.pFinalBeg[i];
    persist = this.criterion(pSharpBeg, L.pSharpFinalBeg, re) && persist;
    for (let i = 0; i < dim; i++) re[i] = L.rhoFinal[i] + L.pInitEnd[i];
    persist = this.criterion(L.pSharpInitEnd, pSharpEnd, re) && persist;
    return persist;
  }
}

/** Find a starting point: the given one, or Stan-style uniform(-r, r) draws until the density is finite. */
export function findInit(sampler: NutsSampler, rng: Rng, radius: number, attempts: number, init: Float64Array | null, chain: number): Float64Array {
  const q = new Float64Array(sampler.dim);
  if (init !== null) {
    q.set(init);
    const lp = sampler.setPosition(q);
    if (Number.isFinite(lp) && sampler.gradientFinite()) return q;
    throw new ConvergenceError(`chain ${chain}: the log density is not finite at the given initial values (log density ${lp})`);
  }
  let lastLp = NaN;
  for (let attempt = 0; attempt < attempts; attempt++) {
    for (let i = 0; i < q.length; i++) q[i] = radius * (2 * rng.uniform() - 1);
    lastLp = sampler.setPosition(q);
    if (Number.isFinite(lastLp) && sampler.gradientFinite()) return q;
  }
  throw new ConvergenceError(
    `chain ${chain}: no initial point with a finite log density and gradient after ${attempts} random inits ` +
      `uniform(-${radius}, ${radius}) on the unconstrained scale (last log density ${lastLp})`,
  );
}

/** Resolved NUTS settings with Stan's defaults filled in. */
export function nutsDefaults(o: NutsOptions): Required<NutsOptions> {
  return {
    warmup: o.warmup ?? 1000,
    draws: o.draws ?? 1000,
    targetAccept: o.targetAccept ?? 0.8,
    maxTreeDepth: o.maxTreeDepth ?? 10,
    initStepSize: o.initStepSize ?? 1,
    gamma: o.gamma ?? 0.05,
    t0: o.t0 ?? 10,
    kappa: o.kappa ?? 0.75,
    initBuffer: o.initBuffer ?? 75,
    termBuffer: o.termBuffer ?? 50,
    baseWindow: o.baseWindow ?? 25,
    maxDeltaH: o.maxDeltaH ?? 1000,
    initRadius: o.initRadius ?? 2,
    initAttempts: o.initAttempts ?? 100,
    adaptMetric: o.adaptMetric ?? true,
    metric: o.metric ?? "diag",
    saveWarmup: o.saveWarmup ?? false,
  };
}

/** Run one chain: find an init, warm up (adapting step size and metric), then draw. */
export function runChain(
  model: LogDensityModel,
  options: NutsOptions,
  rng: Rng,
  chain: number,
  init: Float64Array | null,
  onProgress?: (event: ProgressEvent) => void,
  progressEvery = 0,
): ChainResult {
  const o = nutsDefaults(options);
  const layout = model.layout;
  const xDim = layout.constrainedDim;
  const sampler = new NutsSampler(model, rng, o.maxTreeDepth, o.maxDeltaH, o.metric === "dense");
  const q0 = findInit(sampler, rng, o.initRadius, o.initAttempts, init, chain);
  const total = o.warmup + o.draws;
  const every = progressEvery > 0 ? progressEvery : Math.max(1, Math.floor(total / 100));
  const draws = new Float64Array(o.draws * xDim);
  const stats = makeStats(o.draws);
  const warmupDraws = o.saveWarmup ? new Float64Array(o.warmup * xDim) : null;
  const warmupStats = o.saveWarmup ? makeStats(o.warmup) : null;
  const x = new Float64Array(xDim);
  const record = (target: Float64Array, st: SamplerStats, k: number): void => {
    layout.constrain(sampler.position, x);
    target.set(x, k * xDim);
    const l = sampler.last;
    st.stepSize[k] = sampler.stepSize;
    st.treeDepth[k] = l.treeDepth;
    st.nLeapfrog[k] = l.nLeapfrog;
    st.divergent[k] = l.divergent ? 1 : 0;
    st.energy[k] = l.energy;
    st.acceptStat[k] = l.acceptStat;
    st.lp[k] = l.lp;
  };
  let divergences = 0;
  const t0 = Date.now();
  sampler.stepSize = o.initStepSize;
  sampler.initStepSize();
  const da = new DualAveraging(o.targetAccept, o.gamma, o.t0, o.kappa);
  da.mu = Math.log(10 * sampler.stepSize);
  da.restart();
  const wv = o.adaptMetric ? new WindowedVariance(sampler.dim, o.warmup, o.initBuffer, o.termBuffer, o.baseWindow, sampler.dense) : null;
  for (let it = 0; it < o.warmup; it++) {
    const used = sampler.stepSize;
    sampler.transition();
    if (sampler.last.divergent) divergences++;
    if (warmupDraws !== null && warmupStats !== null) {
      record(warmupDraws, warmupStats, it);
      warmupStats.stepSize[it] = used;
    }
    sampler.stepSize = da.learn(sampler.last.acceptStat);
    if (wv !== null && wv.learn(sampler.position, sampler.invMetric)) {
      sampler.metricChanged();
      sampler.initStepSize();
      da.mu = Math.log(10 * sampler.stepSize);
      da.restart();
    }
    if (onProgress && ((it + 1) % every === 0 || it + 1 === o.warmup)) {
      onProgress({ chain, iteration: it + 1, total, phase: "warmup", divergences });
    }
  }
  if (o.warmup > 0) sampler.stepSize = da.final();
  const t1 = Date.now();
  divergences = 0;
  for (let it = 0; it < o.draws; it++) {
    sampler.transition();
    if (sampler.last.divergent) divergences++;
    record(draws, stats, it);
    if (onProgress && ((it + 1) % every === 0 || it + 1 === o.draws)) {
      onProgress({ chain, iteration: o.warmup + it + 1, total, phase: "sampling", divergences });
    }
  }
  const t2 = Date.now();
  return {
    chain,
    draws,
    stats,
    warmupDraws,
    warmupStats,
    stepSize: sampler.stepSize,
    invMetric: Float64Array.from(sampler.invMetric),
    init: q0,
    warmupSeconds: (t1 - t0) / 1000,
    samplingSeconds: (t2 - t1) / 1000,
  };
}
