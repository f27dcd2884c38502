/**
 * Hierarchical Bayesian Weibull survival with right censoring.
 *
 *   h(t) = (alpha / lambda_i) (t / lambda_i)^(alpha - 1)
 *   log lambda_i = mu + sigma * z[group_i] + x_i . beta        (non-centered group effects)
 *   mu ~ Normal(muMean, muSd), alpha ~ LogNormal(alphaLogMean, alphaLogSd),
 *   sigma ~ HalfNormal(sigmaSd), beta_j ~ Normal(0, betaSd), z_g ~ Normal(0, 1)
 *
 * Under this scale parameterisation a covariate acts on log lambda, so the hazard
 * h = alpha t^(alpha-1) lambda^(-alpha) changes by exp(-alpha beta_j) per unit of x_j: that is the
 * hazard ratio reported (a positive beta lengthens lifetimes and lowers the hazard).
 *
 * The log density has a hand-written gradient (one exp per row, rows grouped by vehicle so the
 * group effect is added once per group); `weibullSurvivalTapeModel` is the same model through the
 * generic autodiff tape, which the tests use to check the hand-written gradient.
 */
import { DataError } from "../../errors.js";
import type { Rng } from "../../util/random.js";
import { Node, Tape } from "../autodiff.js";
import { quantileSorted, summarizeDraws, type SummaryRow } from "../diagnostics.js";
import { defineModel, type LogDensityModel, type TapeModel, type WorkerModelSpec } from "../model.js";
import { callerFile } from "../../util/module-path.js";
import { ParamLayout, positive, real, type ParamSpecs } from "../params.js";
import { Posterior, type PosteriorJSON, type SamplerHealth } from "../posterior.js";
import { intervalCoverage, pitCoverage, posteriorPredictive, ppcStatistic, type IntervalCoverage, type PpcStatistic } from "../ppc.js";
import { sample, type SampleOptions } from "../sample.js";

const THIS_FILE = callerFile();

/** Survival data: one row per unit (e.g. trip), with its group (e.g. vehicle) and covariates. */
export interface WeibullSurvivalData {
  /** Observed durations (> 0): event times, or censoring times where event = 0. */
  time: ArrayLike<number>;
  /** 1 = event observed, 0 = right censored. */
  event: ArrayLike<number>;
  /** Group index per row, 0 .. nGroups - 1. */
  group: ArrayLike<number>;
  /** Number of groups (default: max group + 1). */
  nGroups?: number;
  /** Covariates, row-major (rows x names.length). */
  covariates?: { names: readonly string[]; values: ArrayLike<number> };
}

/** Prior settings; defaults are weakly informative on the log-time scale. */
export interface WeibullSurvivalPriors {
  muMean?: number;
  muSd?: number;
  alphaLogMean?: number;
  alphaLogSd?: number;
  sigmaSd?: number;
  betaSd?: number;
}

/** Everything a worker thread needs to rebuild the model (structured-cloneable). */
export interface WeibullSurvivalArgs {
  time: Float64Array;
  event: Float64Array;
  group: Int32Array;
  nGroups: number;
  covariateNames: string[];
  x: Float64Array;
  priors: Required<WeibullSurvivalPriors>;
}

const DEFAULT_PRIORS: Required<WeibullSurvivalPriors> = { muMean: 0, muSd: 5, alphaLogMean: 0, alphaLogSd: 1, sigmaSd: 1, betaSd: 1 };

/** Validate survival data and copy it into typed arrays, naming the rows at fault. */
export function prepareWeibullSurvival(data: WeibullSurvivalData, priors: WeibullSurvivalPriors = {}): WeibullSurvivalArgs {
  const n = data.time.length;
  if (n === 0) throw new DataError("survival data has no rows");
  if (data.event.length !== n) throw new DataError(`event has ${data.event.length} rows, time has ${n}`);
  if (data.group.length !== n) throw new DataError(`group has ${data.group.length} rows, time has ${n}`);
  const time = new Float64Array(n);
  const event = new Float64Array(n);
  const group = new Int32Array(n);
  const badTime: number[] = [];
  const badEvent: number[] = [];
  const badGroup: number[] = [];
  let maxGroup = -1;
  for (let i = 0; i < n; i++) {
    const t = Number(data.time[i]);
    const e = Number(data.event[i]);
    const g = Number(data.group[i]);
    if (!(t > 0) || !Number.isFinite(t)) badTime.push(i);
    if (e !== 0 && e !== 1) badEvent.push(i);
    if (!Number.isInteger(g) || g < 0) badGroup.push(i);
    time[i] = t;
    event[i] = e;
    group[i] = g;
    if (g > maxGroup) maxGroup = g;
  }
  const show = (rows: number[], values: ArrayLike<number>): string =>
    rows
      .slice(0, 5)
      .map((r) => `row ${r} (${String(values[r])})`)
      .join(", ") + (rows.length > 5 ? ` and ${rows.length - 5} more` : "");
  if (badTime.length > 0) throw new DataError(`time must be finite and > 0: ${show(badTime, data.time)}`);
  if (badEvent.length > 0) throw new DataError(`event must be 0 or 1: ${show(badEvent, data.event)}`);
  if (badGroup.length > 0) throw new DataError(`group must be an integer >= 0: ${show(badGroup, data.group)}`);
  const nGroups = data.nGroups ?? maxGroup + 1;
  if (maxGroup >= nGroups) throw new DataError(`group ${maxGroup} is out of range for nGroups ${nGroups}`);
  const names = data.covariates ? [...data.covariates.names] : [];
  const p = names.length;
  const x = new Float64Array(n * p);
  if (data.covariates) {
    const v = data.covariates.values;
    if (v.length !== n * p) throw new DataError(`covariates have ${v.length} values, expected ${n} rows x ${p} columns`);
    for (let k = 0; k < n * p; k++) {
      const val = Number(v[k]);
      if (!Number.isFinite(val)) throw new DataError(`covariate ${names[k % p]} is not finite at row ${Math.floor(k / p)} (${String(v[k])})`);
      x[k] = val;
    }
  }
  const pr = { ...DEFAULT_PRIORS, ...priors };
  for (const [k, v] of Object.entries(pr)) {
    if (!Number.isFinite(v) || (k.endsWith("Sd") && !(v > 0))) throw new DataError(`invalid prior ${k}: ${v}`);
  }
  return { time, event, group, nGroups, covariateNames: names, x, priors: pr };
}

/** Parameter declarations: mu, alpha, sigma, beta (if covariates), z. */
export function weibullSurvivalParams(nGroups: number, nCovariates: number): ParamSpecs {
  const specs: ParamSpecs = { mu: real(), alpha: positive(), sigma: positive() };
  if (nCovariates > 0) specs.beta = real({ size: nCovariates });
  specs.z = real({ size: nGroups });
  return specs;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** The model with a hand-written gradient (fast path). */
export class WeibullSurvivalModel implements LogDensityModel {
  readonly layout: ParamLayout;
  readonly workerSpec?: WorkerModelSpec;
  readonly args: WeibullSurvivalArgs;
  private readonly p: number;
  private readonly G: number;
  /** Rows sorted by group: log time, event, covariates (column-major); and each group's row range. */
  private readonly lt: Float64Array;
  private readonly d: Float64Array;
  private readonly xs: Float64Array;
  private readonly start: Int32Array;
  private readonly sumD: number;
  private readonly sumDLt: number;
  private readonly groupW: Float64Array;
  private readonly xw: Float64Array;
  private readonly beta: Float64Array;
  private readonly xb: Float64Array;
  private readonly wRow: Float64Array;

  constructor(args: WeibullSurvivalArgs) {
    this.args = args;
    const n = args.time.length;
    const p = args.covariateNames.length;
    const G = args.nGroups;
    this.p = p;
    this.G = G;
    this.layout = new ParamLayout(weibullSurvivalParams(G, p));
    if (THIS_FILE !== null) this.workerSpec = { module: THIS_FILE, exportName: "weibullSurvivalModel", args };
    // Counting sort by group keeps the original order within a group (deterministic sums).
    const start = new Int32Array(G + 1);
    for (let i = 0; i < n; i++) start[args.group[i] + 1]++;
    for (let g = 0; g < G; g++) start[g + 1] += start[g];
    const fill = Int32Array.from(start);
    this.lt = new Float64Array(n);
    this.d = new Float64Array(n);
    this.xs = new Float64Array(n * p);
    let sumD = 0;
    let sumDLt = 0;
    for (let i = 0; i < n; i++) {
      const k = fill[args.group[i]]++;
      const lt = Math.log(args.time[i]);
      this.lt[k] = lt;
      this.d[k] = args.event[i];
      for (let j = 0; j < p; j++) this.xs[j * n + k] = args.x[i * p + j];
      sumD += args.event[i];
      sumDLt += args.event[i] * lt;
    }
    this.start = start;
    this.sumD = sumD;
    this.sumDLt = sumDLt;
    this.groupW = new Float64Array(G);
    this.xw = new Float64Array(p);
    this.beta = new Float64Array(p);
    this.xb = new Float64Array(n);
    this.wRow = new Float64Array(n);
  }

  /** Log density (with log-Jacobian) and gradient at the unconstrained point u = [mu, log alpha, log sigma, beta, z]. */
  logDensityGradient(u: Float64Array, grad: Float64Array): number {
    const { p, G, lt, d, xs, start, groupW, xw, beta } = this;
    const pr = this.args.priors;
    const mu = u[0];
    const logAlpha = u[1];
    const logSigma = u[2];
    const alpha = Math.exp(logAlpha);
    const sigma = Math.exp(logSigma);
    const zo = 3 + p;
    for (let j = 0; j < p; j++) beta[j] = u[3 + j];
    // Likelihood: sum_i d_i (log alpha + alpha u_i - log t_i) - exp(alpha u_i), u_i = log t_i - eta_i.
    let ll = 0;
    let dAlpha = 0;
    let sumW = 0;
    let sumZW = 0;
    // Covariates column by column (contiguous, cheap), so the row loop holds only the exp.
    const n = lt.length;
    const xb = this.xb;
    const wRow = this.wRow;
    if (p > 0) {
      xb.fill(0);
      for (let j = 0; j < p; j++) {
        const bj = beta[j];
        const col = j * n;
        for (let i = 0; i < n; i++) xb[i] += xs[col + i] * bj;
      }
    }
    for (let g = 0; g < G; g++) {
      const zg = u[zo + g];
      const base = mu + sigma * zg;
      let w = 0;
      const end = start[g + 1];
      for (let i = start[g]; i < end; i++) {
        const ui = lt[i] - base - xb[i];
        const H = Math.exp(alpha * ui);
        const di = d[i];
        ll += alpha * di * ui - H;
        dAlpha += (di - H) * ui;
        const wi = H - di;
        wRow[i] = wi;
        w += wi;
      }
      groupW[g] = w;
      sumW += w;
      sumZW += zg * w;
    }
    for (let j = 0; j < p; j++) {
      const col = j * n;
      let acc = 0;
      for (let i = 0; i < n; i++) acc += xs[col + i] * wRow[i];
      xw[j] = acc;
    }
    ll += this.sumD * logAlpha - this.sumDLt;
    dAlpha += this.sumD / alpha;
    // Priors (with normalizing constants, so values are comparable with other implementations).
    const zMu = (mu - pr.muMean) / pr.muSd;
    const zA = (logAlpha - pr.alphaLogMean) / pr.alphaLogSd;
    const zS = sigma / pr.sigmaSd;
    let lp = ll;
    lp += -0.5 * zMu * zMu - Math.log(pr.muSd) - HALF_LOG_2PI;
    // LogNormal density of alpha: the -log alpha term cancels the log-Jacobian of alpha = exp(u).
    lp += -0.5 * zA * zA - Math.log(pr.alphaLogSd) - HALF_LOG_2PI;
    // HalfNormal density of sigma plus the log-Jacobian log sigma of sigma = exp(u).
    lp += -0.5 * zS * zS - Math.log(pr.sigmaSd) + Math.LN2 - HALF_LOG_2PI + logSigma;
    let betaLp = 0;
    for (let j = 0; j < p; j++) {
      const zb = beta[j] / pr.betaSd;
      betaLp += -0.5 * zb * zb;
    }
    lp += betaLp - p * (Math.log(pr.betaSd) + HALF_LOG_2PI);
    let zLp = 0;
    for (let g = 0; g < G; g++) zLp += u[zo + g] * u[zo + g];
    lp += -0.5 * zLp - G * HALF_LOG_2PI;
    if (!Number.isFinite(lp)) {
      grad.fill(0);
      return -Infinity;
    }
    // d/d eta_i = alpha (H_i - d_i)
    grad[0] = alpha * sumW - zMu / pr.muSd;
    grad[1] = alpha * dAlpha - zA / pr.alphaLogSd;
    grad[2] = sigma * alpha * sumZW - zS * zS + 1;
    for (let j = 0; j < p; j++) grad[3 + j] = alpha * xw[j] - beta[j] / (pr.betaSd * pr.betaSd);
    const as = alpha * sigma;
    for (let g = 0; g < G; g++) grad[zo + g] = as * groupW[g] - u[zo + g];
    return lp;
  }
}

/** Build the fast hierarchical Weibull model (also the worker-thread factory). */
export function weibullSurvivalModel(args: WeibullSurvivalArgs): WeibullSurvivalModel {
  return new WeibullSurvivalModel(args);
}

/** The same model written against the autodiff tape (the generic path; slower). */
export function weibullSurvivalTapeModel(args: WeibullSurvivalArgs): TapeModel<ParamSpecs> {
  const p = args.covariateNames.length;
  const pr = args.priors;
  const n = args.time.length;
  return defineModel({
    params: weibullSurvivalParams(args.nGroups, p),
    logDensity(t: Tape, q): Node {
      let eta = t.add(q.mu, t.mul(q.sigma, t.gather(q.z, args.group)));
      if (p > 0) eta = t.add(eta, t.matvec(args.x, n, q.beta));
      let lp = t.weibullLogScale(args.time, q.alpha, eta, args.event);
      lp = t.add(lp, t.normal(q.mu, pr.muMean, pr.muSd));
      lp = t.add(lp, t.lognormal(q.alpha, pr.alphaLogMean, pr.alphaLogSd));
      lp = t.add(lp, t.halfNormal(q.sigma, pr.sigmaSd));
      if (p > 0) lp = t.add(lp, t.normal(q.beta, 0, pr.betaSd));
      return t.add(lp, t.normal(q.z, 0, 1));
    },
  });
}

/** A hazard ratio per unit of a covariate: exp(-alpha beta_j), summarized over the posterior. */
export interface HazardRatio {
  covariate: string;
  mean: number;
  median: number;
  /** Equal-tailed credible interval at `prob`. */
  low: number;
  high: number;
  prob: number;
  /** Posterior probability that the hazard ratio exceeds 1. */
  probAboveOne: number;
}

/** Options of `fitWeibullSurvival`: sampler settings plus priors. */
export interface WeibullSurvivalOptions extends Omit<SampleOptions, "seed" | "rng" | "onProgress" | "init"> {
  priors?: WeibullSurvivalPriors;
}

/** Fitted hierarchical Weibull survival model. */
export interface WeibullSurvivalFit {
  readonly kind: "bayes.weibull-survival";
  readonly covariateNames: readonly string[];
  readonly nGroups: number;
  readonly posterior: Posterior;
  /** az.summary-style table for mu, alpha, sigma, beta, z. */
  summary(hdiProb?: number): SummaryRow[];
  /** Hazard ratios exp(-alpha beta_j) with equal-tailed intervals. */
  hazardRatios(prob?: number): HazardRatio[];
  /** Sampler health and convergence warnings. */
  health(): SamplerHealth;
  toJSON(): WeibullSurvivalFitJSON;
}

/** Serialized fit (schema version 1). */
export interface WeibullSurvivalFitJSON {
  kind: "bayes.weibull-survival";
  version: 1;
  covariateNames: string[];
  nGroups: number;
  posterior: PosteriorJSON;
}

function makeFit(covariateNames: readonly string[], nGroups: number, posterior: Posterior): WeibullSurvivalFit {
  return {
    kind: "bayes.weibull-survival",
    covariateNames,
    nGroups,
    posterior,
    summary: (hdiProb = 0.94) => posterior.summary({ hdiProb }),
    hazardRatios: (prob = 0.95) => {
      const names = posterior.layout.flatNames;
      const ia = names.indexOf("alpha");
      return covariateNames.map((cov, j) => {
        const ib = names.indexOf(`beta[${j}]`);
        const chains = posterior.derive((x) => Math.exp(-x[ia] * x[ib]));
        const all = Float64Array.from(chains.flatMap((c) => Array.from(c))).sort();
        let above = 0;
        let sum = 0;
        for (let k = 0; k < all.length; k++) {
          sum += all[k];
          if (all[k] > 1) above++;
        }
        return {
          covariate: cov,
          mean: sum / all.length,
          median: quantileSorted(all, 0.5),
          low: quantileSorted(all, (1 - prob) / 2),
          high: quantileSorted(all, 1 - (1 - prob) / 2),
          prob,
          probAboveOne: above / all.length,
        };
      });
    },
    health: () => posterior.health(),
    toJSON: () => ({ kind: "bayes.weibull-survival", version: 1, covariateNames: [...covariateNames], nGroups, posterior: posterior.toJSON() }),
  };
}

/**
 * Fit the hierarchical Weibull survival model by NUTS (4 chains x (1000 + 1000), dense metric by
 * default). The dense metric costs O(dim^2) per leapfrog step and needs warmup draws to estimate a
 * dim x dim covariance; with hundreds of groups pass `metric: "diag"`.
 */
export async function fitWeibullSurvival(
  data: WeibullSurvivalData,
  options: WeibullSurvivalOptions = {},
  ctx: { rng?: Rng; seed?: number; onProgress?: SampleOptions["onProgress"] } = {},
): Promise<WeibullSurvivalFit> {
  const args = prepareWeibullSurvival(data, options.priors);
  const model = new WeibullSurvivalModel(args);
  const { priors: _priors, ...sampler } = options;
  void _priors;
  // Dense metric by default: with many rows per group the posterior has a ridge along
  // mu + sigma * z_g that a diagonal metric crosses only with tiny steps (see bench/bayes).
  const posterior = await sample(model, { metric: "dense", ...sampler, seed: ctx.seed, rng: ctx.rng, onProgress: ctx.onProgress });
  return makeFit(args.covariateNames, args.nGroups, posterior);
}

/** Load a fit saved with `toJSON`. */
export function weibullSurvivalFromJSON(json: WeibullSurvivalFitJSON): WeibullSurvivalFit {
  if (json.kind !== "bayes.weibull-survival" || json.version !== 1) {
    throw new DataError(`not a bayes.weibull-survival version 1 document (kind ${String(json.kind)}, version ${String(json.version)})`);
  }
  return makeFit(json.covariateNames, json.nGroups, Posterior.fromJSON(json.posterior));
}

/** Summary of a derived per-draw quantity (helper for reports). */
export function summarizeDerived(name: string, chains: Float64Array[], hdiProb = 0.94): SummaryRow {
  return summarizeDraws(name, chains, hdiProb);
}

/** True parameter values for simulating hierarchical Weibull survival data. */
export interface WeibullSurvivalTruth {
  mu: number;
  alpha: number;
  sigma: number;
  beta: readonly number[];
}

/** Simulated survival data with the group effects and censoring times that produced it. */
export interface SimulatedWeibullSurvival extends WeibullSurvivalData {
  time: Float64Array;
  event: Float64Array;
  group: Int32Array;
  nGroups: number;
  covariates: { names: string[]; values: Float64Array };
  /** Censoring (end of follow-up) time of every row. */
  followUp: Float64Array;
  /** The group effects z_g used. */
  z: Float64Array;
}

/**
 * Simulate rows from the model: groups assigned at random, covariate 0 binary (p = 0.5), others
 * standard normal, censoring times uniform on (0, censorMax).
 */
export function simulateWeibullSurvival(
  truth: WeibullSurvivalTruth,
  design: { rows: number; groups: number; censorMax: number },
  rng: Rng,
): SimulatedWeibullSurvival {
  const { rows, groups, censorMax } = design;
  const p = truth.beta.length;
  const z = new Float64Array(groups);
  for (let g = 0; g < groups; g++) z[g] = rng.normal();
  const time = new Float64Array(rows);
  const event = new Float64Array(rows);
  const group = new Int32Array(rows);
  const followUp = new Float64Array(rows);
  const x = new Float64Array(rows * p);
  for (let i = 0; i < rows; i++) {
    const g = rng.int(groups);
    group[i] = g;
    let eta = truth.mu + truth.sigma * z[g];
    for (let j = 0; j < p; j++) {
      const v = j === 0 ? (rng.uniform() < 0.5 ? 1 : 0) : rng.normal();
      x[i * p + j] = v;
      eta += v * truth.beta[j];
    }
    const t = Math.exp(eta) * Math.pow(rng.exponential(), 1 / truth.alpha);
    const c = censorMax * (1 - rng.uniform());
    followUp[i] = c;
    time[i] = Math.min(t, c);
    event[i] = t <= c ? 1 : 0;
  }
  const names = Array.from({ length: p }, (_, j) => `x${j}`);
  return { time, event, group, nGroups: groups, covariates: { names, values: x }, followUp, z };
}

/** Posterior predictive check of a survival fit: event count, mean log time, interval coverage. */
export interface WeibullSurvivalPpc {
  /** Number of observed events vs replicated. */
  events: PpcStatistic;
  /** Mean log observed time vs replicated. */
  meanLogTime: PpcStatistic;
  /** Central predictive intervals of the replicated observed times vs the observed times (over-covers censored rows). */
  coverage: IntervalCoverage;
  /** Randomized-PIT coverage of the observed times (nominal under a correct model, atoms included). */
  pitCoverage: number;
  draws: number;
}

/**
 * Replicate the data from posterior draws and check it. Replicated rows are censored at
 * `followUp` (the end of each row's observation); without it, censored rows use their observed
 * time and event rows the largest observed time, which makes the check slightly conservative.
 */
export function weibullSurvivalPpc(
  fit: WeibullSurvivalFit,
  data: WeibullSurvivalData,
  options: { rng: Rng; maxDraws?: number; followUp?: ArrayLike<number>; prob?: number },
): WeibullSurvivalPpc {
  const args = prepareWeibullSurvival(data);
  const n = args.time.length;
  const p = args.covariateNames.length;
  if (p !== fit.covariateNames.length) throw new DataError(`data has ${p} covariates, the fit has ${fit.covariateNames.length}`);
  const follow = new Float64Array(n);
  let tMax = 0;
  for (let i = 0; i < n; i++) tMax = Math.max(tMax, args.time[i]);
  for (let i = 0; i < n; i++) {
    if (options.followUp !== undefined) {
      const f = Number(options.followUp[i]);
      if (!(f >= args.time[i])) throw new DataError(`followUp must be >= time: row ${i} (followUp ${f}, time ${args.time[i]})`);
      follow[i] = f;
    } else {
      follow[i] = args.event[i] === 1 ? tMax : args.time[i];
    }
  }
  const layout = fit.posterior.layout;
  const names = layout.flatNames;
  const iMu = names.indexOf("mu");
  const iAlpha = names.indexOf("alpha");
  const iSigma = names.indexOf("sigma");
  const iBeta = p > 0 ? names.indexOf("beta[0]") : -1;
  const iZ = names.indexOf("z[0]");
  const simulate = (x: Float64Array, rng: Rng, out: Float64Array): void => {
    const alpha = x[iAlpha];
    for (let i = 0; i < n; i++) {
      let eta = x[iMu] + x[iSigma] * x[iZ + args.group[i]];
      for (let j = 0; j < p; j++) eta += args.x[i * p + j] * x[iBeta + j];
      const t = Math.exp(eta) * Math.pow(rng.exponential(), 1 / alpha);
      out[i] = Math.min(t, follow[i]);
      out[n + i] = t <= follow[i] ? 1 : 0;
    }
  };
  const pred = posteriorPredictive(fit.posterior, simulate, { size: 2 * n, rng: options.rng, maxDraws: options.maxDraws ?? 200 });
  const observed = new Float64Array(2 * n);
  observed.set(args.time, 0);
  observed.set(args.event, n);
  const events = ppcStatistic(observed, pred.replicates, (y) => {
    let s = 0;
    for (let i = n; i < 2 * n; i++) s += y[i];
    return s;
  });
  const meanLogTime = ppcStatistic(observed, pred.replicates, (y) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.log(y[i]);
    return s / n;
  });
  const coverage = intervalCoverage(
    args.time,
    pred.replicates.map((r) => r.subarray(0, n)),
    options.prob ?? 0.9,
  );
  const pit = pitCoverage(
    args.time,
    pred.replicates.map((r) => r.subarray(0, n)),
    options.rng.fork(0xffffffff),
    options.prob ?? 0.9,
  );
  return { events, meanLogTime, coverage, pitCoverage: pit.coverage, draws: pred.replicates.length };
}
