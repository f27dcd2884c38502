/**
 * Cox proportional hazards regression, fitted as lifelines' CoxPHFitter fits it:
 *
 * - covariates are standardised ((x - mean) / sd, sd with n - 1) before fitting, and the
 *   coefficients and covariance are mapped back (beta / sd, V / (sd sd'));
 * - ties by Efron's approximation (default) or Breslow's;
 * - the optional L2 penalizer is lifelines' `penalizer` with l1_ratio = 0: the objective is
 *   ll(beta_std) - n * penalizer / 2 * ||beta_std||^2, on the *standardised* coefficients, with n
 *   the number of rows; reported log-likelihood, Hessian and standard errors are the penalised
 *   ones, as in lifelines;
 * - the baseline cumulative hazard is the Breslow estimator at the centred covariates
 *   (sum of events / sum of exp((x - mean)' beta) over the risk set, at every distinct duration);
 * - the concordance index is Harrell's C of -partial hazard, as lifelines' `concordance_index_`.
 *
 * The optimiser is Newton-Raphson with step halving: a full Newton step, halved until the
 * (penalised) log partial likelihood does not decrease; convergence when the largest Newton step
 * on the standardised scale falls below `tolerance`.
 */

import { checkSurvivalData, checkTimes, packCovariates, type Covariates, type SurvivalData } from "./data.js";
import { argsort, lastIndexAtOrBefore } from "./event-table.js";
import { chiSquaredSurvival, criticalZ, twoSidedNormalP } from "./distributions.js";
import { concordanceIndex } from "./concordance.js";
import { cholesky, choleskyInverse, choleskySolve } from "./linalg.js";
import type { FitContext } from "./parametric.js";
import { decodeArray, decodeNumber, encodeArray, expectKind, readString, readStrings, type JsonNumber } from "./serialize.js";
import type { SummaryTable } from "./summary.js";
import { ConfigError, ConvergenceError, DataError } from "../errors.js";

/** Survival data plus named covariate columns. */
export interface CoxData extends SurvivalData {
  covariates: Covariates;
}

/** Options of `fitCoxPH`. */
export interface CoxOptions {
  /** Tie handling; default "efron". */
  ties?: "efron" | "breslow";
  /** L2 penalty strength (lifelines' `penalizer` with l1_ratio = 0), a number or one per covariate; default 0. */
  penalizer?: number | ArrayLike<number>;
  /** 1 - interval level; default 0.05. */
  alpha?: number;
  /** Maximum Newton iterations; default 100. */
  maxIterations?: number;
  /** Convergence tolerance on the largest Newton step (standardised scale); default 1e-10. */
  tolerance?: number;
}

/** How predicted curves are read between the baseline's time points. */
export interface CoxPredictOptions {
  /** Times to evaluate at; default the baseline timeline (all distinct training durations). */
  times?: ArrayLike<number>;
  /**
   * "step" (default): the Breslow estimate as the right-continuous step function it is.
   * "linear": linear interpolation between baseline points, which is what lifelines'
   * predict_cumulative_hazard does (numpy.interp); identical at the baseline's own times.
   */
  interpolation?: "step" | "linear";
}

const KIND = "survival.coxph";
const VERSION = 1;

/** Scratch buffers of the partial-likelihood kernel, allocated once per fit. */
interface CoxWork {
  n: number;
  d: number;
  /** Sorted by (duration, event), standardised covariates, row-major. */
  X: Float64Array;
  T: Float64Array;
  E: Uint8Array;
  W: Float64Array;
  eta: Float64Array;
  phi: Float64Array;
  riskX: Float64Array;
  riskXX: Float64Array;
  tieX: Float64Array;
  tieXX: Float64Array;
  deathX: Float64Array;
  numer: Float64Array;
}

/**
 * Log partial likelihood, gradient and Hessian (of the unpenalised objective) at standardised beta.
 * Walks rows from the latest time back so that risk-set sums grow by one row at a time.
 */
function partialLikelihood(work: CoxWork, beta: Float64Array, ties: "efron" | "breslow", grad: Float64Array, hess: Float64Array): number {
  const { n, d, X, T, E, W, eta, phi, riskX, riskXX, tieX, tieXX, deathX, numer } = work;
  let maxEta = -Infinity;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += X[i * d + j] * beta[j];
    eta[i] = s;
    if (s > maxEta) maxEta = s;
  }
  // exp(eta - max) keeps the risk sums finite; the shift cancels in every ratio and is added back to ll.
  for (let i = 0; i < n; i++) phi[i] = W[i] * Math.exp(eta[i] - maxEta);
  grad.fill(0);
  hess.fill(0);
  riskX.fill(0);
  riskXX.fill(0);
  tieX.fill(0);
  tieXX.fill(0);
  deathX.fill(0);
  let riskPhi = 0;
  let tiePhi = 0;
  let ll = 0;
  let tieCount = 0;
  let tieWeight = 0;
  let totalEventWeight = 0;
  for (let i = n - 1; i >= 0; i--) {
    const p = phi[i];
    const row = i * d;
    riskPhi += p;
    for (let j = 0; j < d; j++) {
      const pxj = p * X[row + j];
      riskX[j] += pxj;
      for (let l = j; l < d; l++) riskXX[j * d + l] += pxj * X[row + l];
    }
    if (E[i] === 1) {
      const w = W[i];
      tiePhi += p;
      tieCount += 1;
      tieWeight += w;
      ll += w * eta[i];
      for (let j = 0; j < d; j++) {
        const xj = X[row + j];
        const pxj = p * xj;
        deathX[j] += w * xj;
        tieX[j] += pxj;
        for (let l = j; l < d; l++) tieXX[j * d + l] += pxj * X[row + l];
      }
    }
    if (i > 0 && T[i - 1] === T[i]) continue;
    if (tieCount === 0) continue;

    // All rows with this time are in; close the tie group.
    const meanWeight = tieWeight / tieCount;
    totalEventWeight += tieWeight;
    for (let j = 0; j < d; j++) grad[j] += deathX[j];
    const efron = ties === "efron" && tieCount > 1;
    for (let k = 0; k < tieCount; k++) {
      const frac = efron ? k / tieCount : 0;
      const denom = riskPhi - frac * tiePhi;
      const inv = 1 / denom;
      ll -= meanWeight * Math.log(denom);
      for (let j = 0; j < d; j++) {
        numer[j] = (riskX[j] - frac * tieX[j]) * inv;
        grad[j] -= meanWeight * numer[j];
      }
      for (let j = 0; j < d; j++) {
        for (let l = j; l < d; l++) {
          const a1 = (riskXX[j * d + l] - frac * tieXX[j * d + l]) * inv;
          hess[j * d + l] += meanWeight * (numer[j] * numer[l] - a1);
        }
      }
    }
    tieCount = 0;
    tieWeight = 0;
    tiePhi = 0;
    tieX.fill(0);
    tieXX.fill(0);
    deathX.fill(0);
  }
  for (let j = 0; j < d; j++) for (let l = 0; l < j; l++) hess[j * d + l] = hess[l * d + j];
  return ll - totalEventWeight * maxEta;
}

/** A fitted Cox proportional hazards model (plain data + methods). */
export class CoxPHFit {
  readonly kind = KIND;
  readonly covariateNames: readonly string[];
  /** Coefficients on the covariates' original scale (log hazard ratios). */
  readonly params: Float64Array;
  /** Covariance of `params` (row-major d x d). */
  readonly varianceMatrix: Float64Array;
  /** Training means (predictions centre new rows on them) and standard deviations. */
  readonly means: Float64Array;
  readonly stds: Float64Array;
  /** Log partial likelihood at the estimate (penalised when a penalizer is set, as lifelines reports it). */
  readonly logLikelihood: number;
  /** Log partial likelihood at beta = 0. */
  readonly logLikelihoodNull: number;
  readonly concordanceIndex: number;
  /** Distinct training durations and the Breslow baseline hazard jumps at them. */
  readonly baselineTimes: Float64Array;
  readonly baselineHazard: Float64Array;
  readonly ties: "efron" | "breslow";
  readonly penalizer: Float64Array;
  readonly alpha: number;
  readonly nObservations: number;
  readonly nEvents: number;
  readonly iterations: number;

  constructor(fields: {
    covariateNames: readonly string[];
    params: Float64Array;
    varianceMatrix: Float64Array;
    means: Float64Array;
    stds: Float64Array;
    logLikelihood: number;
    logLikelihoodNull: number;
    concordanceIndex: number;
    baselineTimes: Float64Array;
    baselineHazard: Float64Array;
    ties: "efron" | "breslow";
    penalizer: Float64Array;
    alpha: number;
    nObservations: number;
    nEvents: number;
    iterations: number;
  }) {
    this.covariateNames = fields.covariateNames;
    this.params = fields.params;
    this.varianceMatrix = fields.varianceMatrix;
    this.means = fields.means;
    this.stds = fields.stds;
    this.logLikelihood = fields.logLikelihood;
    this.logLikelihoodNull = fields.logLikelihoodNull;
    this.concordanceIndex = fields.concordanceIndex;
    this.baselineTimes = fields.baselineTimes;
    this.baselineHazard = fields.baselineHazard;
    this.ties = fields.ties;
    this.penalizer = fields.penalizer;
    this.alpha = fields.alpha;
    this.nObservations = fields.nObservations;
    this.nEvents = fields.nEvents;
    this.iterations = fields.iterations;
  }

  /** Standard errors of the coefficients. */
  get standardErrors(): Float64Array {
    const d = this.params.length;
    const se = new Float64Array(d);
    for (let j = 0; j < d; j++) se[j] = Math.sqrt(this.varianceMatrix[j * d + j]);
    return se;
  }

  /** Hazard ratios exp(coef). */
  get hazardRatios(): Float64Array {
    return this.params.map(Math.exp);
  }

  /** Baseline cumulative hazard at `baselineTimes` (running sum of the hazard jumps). */
  get baselineCumulativeHazard(): Float64Array {
    const out = new Float64Array(this.baselineHazard.length);
    let s = 0;
    for (let i = 0; i < out.length; i++) out[i] = s += this.baselineHazard[i];
    return out;
  }

  /** Baseline survival exp(-H0) at `baselineTimes`. */
  get baselineSurvival(): Float64Array {
    return this.baselineCumulativeHazard.map((h) => Math.exp(-h));
  }

  /** Partial AIC, -2 ll + 2 d (lifelines' AIC_partial_). */
  get AICPartial(): number {
    return -2 * this.logLikelihood + 2 * this.params.length;
  }

  /** Likelihood-ratio test of all coefficients against the null model. */
  logLikelihoodRatioTest(): { statistic: number; degreesOfFreedom: number; pValue: number } {
    const statistic = 2 * this.logLikelihood - 2 * this.logLikelihoodNull;
    const df = this.params.length;
    return { statistic, degreesOfFreedom: df, pValue: chiSquaredSurvival(statistic, df) };
  }

  /** The coefficient table: coef, exp(coef), se, Wald intervals on both scales, z and p against 0. */
  summary(): SummaryTable {
    const z = criticalZ(this.alpha);
    const se = this.standardErrors;
    const rows = this.covariateNames.map((name, j) => {
      const b = this.params[j];
      const zStat = b / se[j];
      return {
        name,
        estimate: b,
        se: se[j],
        lower: b - z * se[j],
        upper: b + z * se[j],
        compareTo: 0,
        z: zStat,
        p: twoSidedNormalP(zStat),
        hazardRatio: Math.exp(b),
        hazardRatioLower: Math.exp(b) * Math.exp(-z * se[j]),
        hazardRatioUpper: Math.exp(b) * Math.exp(z * se[j]),
      };
    });
    const lr = this.logLikelihoodRatioTest();
    const stats: Record<string, number | string> = {
      "baseline estimation": "breslow",
      ties: this.ties,
      "number of observations": this.nObservations,
      "number of events observed": this.nEvents,
      "partial log-likelihood": this.logLikelihood,
      "Concordance": this.concordanceIndex,
      "Partial AIC": this.AICPartial,
      "log-likelihood ratio test": lr.statistic,
      "log-likelihood ratio test df": lr.degreesOfFreedom,
      "log-likelihood ratio test p": lr.pValue,
    };
    if (this.penalizer.some((p) => p > 0)) stats.penalizer = Array.from(this.penalizer).join(", ");
    return { model: KIND, confidenceLevel: 1 - this.alpha, rows, stats };
  }

  /** Log partial hazard (x - mean)' beta of new rows. */
  predictLogPartialHazard(covariates: Covariates): Float64Array {
    const names = this.covariateNames;
    const first = covariates[names[0]];
    const m = first ? first.length : 0;
    const { X, d } = packCovariates(covariates, m, names, "Cox prediction");
    const out = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (X[i * d + j] - this.means[j]) * this.params[j];
      out[i] = s;
    }
    return out;
  }

  /** Partial hazard exp((x - mean)' beta) of new rows. */
  predictPartialHazard(covariates: Covariates): Float64Array {
    return this.predictLogPartialHazard(covariates).map(Math.exp);
  }

  /** Baseline cumulative hazard at arbitrary times. */
  baselineCumulativeHazardAt(times: ArrayLike<number>, interpolation: "step" | "linear" = "step"): Float64Array {
    const t = checkTimes(times);
    const grid = this.baselineTimes;
    const H = this.baselineCumulativeHazard;
    const out = new Float64Array(t.length);
    for (let k = 0; k < t.length; k++) {
      const i = lastIndexAtOrBefore(grid, t[k]);
      if (interpolation === "step") {
        out[k] = i < 0 ? 0 : H[i];
      } else if (i < 0) {
        out[k] = H[0];
      } else if (i >= grid.length - 1) {
        out[k] = H[grid.length - 1];
      } else {
        const f = (t[k] - grid[i]) / (grid[i + 1] - grid[i]);
        out[k] = H[i] + f * (H[i + 1] - H[i]);
      }
    }
    return out;
  }

  /** Cumulative hazard curves of new rows: result[row][k] = H(times[k] | row). */
  predictCumulativeHazard(covariates: Covariates, options: CoxPredictOptions = {}): { times: Float64Array; values: Float64Array[] } {
    const times = options.times ? checkTimes(options.times) : Float64Array.from(this.baselineTimes);
    const H0 = this.baselineCumulativeHazardAt(times, options.interpolation ?? "step");
    const partial = this.predictPartialHazard(covariates);
    const values = Array.from(partial, (ph) => H0.map((h) => h * ph));
    return { times, values };
  }

  /** Survival curves of new rows: result[row][k] = S(times[k] | row). */
  predictSurvival(covariates: Covariates, options: CoxPredictOptions = {}): { times: Float64Array; values: Float64Array[] } {
    const { times, values } = this.predictCumulativeHazard(covariates, options);
    return { times, values: values.map((h) => h.map((x) => Math.exp(-x))) };
  }

  /** Time at which each new row's survival curve first reaches p or below (Infinity if never), on the baseline timeline. */
  predictPercentile(covariates: Covariates, p = 0.5): Float64Array {
    if (!(p > 0 && p < 1)) throw new DataError(`Cox prediction: percentile p must be in (0, 1), got ${p}`);
    const { times, values } = this.predictSurvival(covariates);
    return Float64Array.from(values, (s) => {
      for (let k = 0; k < s.length; k++) if (s[k] <= p) return times[k];
      return Infinity;
    });
  }

  /** Plain JSON form (kind + schema version). */
  toJSON(): CoxPHJSON {
    return {
      kind: KIND,
      version: VERSION,
      covariateNames: [...this.covariateNames],
      params: encodeArray(this.params),
      varianceMatrix: encodeArray(this.varianceMatrix),
      means: encodeArray(this.means),
      stds: encodeArray(this.stds),
      logLikelihood: this.logLikelihood,
      logLikelihoodNull: this.logLikelihoodNull,
      concordanceIndex: this.concordanceIndex,
      baselineTimes: encodeArray(this.baselineTimes),
      baselineHazard: encodeArray(this.baselineHazard),
      ties: this.ties,
      penalizer: encodeArray(this.penalizer),
      alpha: this.alpha,
      nObservations: this.nObservations,
      nEvents: this.nEvents,
      iterations: this.iterations,
    };
  }

  /** Load a fit saved by `toJSON`. */
  static fromJSON(json: unknown): CoxPHFit {
    const r = expectKind(json, KIND, VERSION);
    const ties = readString(r, "ties");
    if (ties !== "efron" && ties !== "breslow") throw new DataError(`cannot load ${KIND}: 'ties' is ${JSON.stringify(ties)}`);
    return new CoxPHFit({
      covariateNames: readStrings(r, "covariateNames"),
      params: decodeArray(r.params, "params"),
      varianceMatrix: decodeArray(r.varianceMatrix, "varianceMatrix"),
      means: decodeArray(r.means, "means"),
      stds: decodeArray(r.stds, "stds"),
      logLikelihood: decodeNumber(r.logLikelihood, "logLikelihood"),
      logLikelihoodNull: decodeNumber(r.logLikelihoodNull, "logLikelihoodNull"),
      concordanceIndex: decodeNumber(r.concordanceIndex, "concordanceIndex"),
      baselineTimes: decodeArray(r.baselineTimes, "baselineTimes"),
      baselineHazard: decodeArray(r.baselineHazard, "baselineHazard"),
      ties,
      penalizer: decodeArray(r.penalizer, "penalizer"),
      alpha: decodeNumber(r.alpha, "alpha"),
      nObservations: decodeNumber(r.nObservations, "nObservations"),
      nEvents: decodeNumber(r.nEvents, "nEvents"),
      iterations: decodeNumber(r.iterations, "iterations"),
    });
  }
}

/** JSON form of a Cox fit. */
export interface CoxPHJSON {
  kind: typeof KIND;
  version: typeof VERSION;
  covariateNames: string[];
  params: JsonNumber[];
  varianceMatrix: JsonNumber[];
  means: JsonNumber[];
  stds: JsonNumber[];
  logLikelihood: number;
  logLikelihoodNull: number;
  concordanceIndex: number;
  baselineTimes: JsonNumber[];
  baselineHazard: JsonNumber[];
  ties: "efron" | "breslow";
  penalizer: JsonNumber[];
  alpha: number;
  nObservations: number;
  nEvents: number;
  iterations: number;
}

function penalizerVector(penalizer: CoxOptions["penalizer"], d: number, names: readonly string[]): Float64Array {
  const out = new Float64Array(d);
  if (penalizer === undefined) return out;
  if (typeof penalizer === "number") {
    if (!(Number.isFinite(penalizer) && penalizer >= 0)) throw new ConfigError(`invalid penalizer: ${penalizer} (must be a finite number >= 0)`);
    out.fill(penalizer);
    return out;
  }
  if (penalizer.length !== d) throw new ConfigError(`invalid penalizer: ${penalizer.length} values for ${d} covariates (${names.join(", ")})`);
  for (let j = 0; j < d; j++) {
    const v = Number(penalizer[j]);
    if (!(Number.isFinite(v) && v >= 0)) throw new ConfigError(`invalid penalizer for '${names[j]}': ${penalizer[j]} (must be >= 0)`);
    out[j] = v;
  }
  return out;
}

function largestCoefficient(beta: Float64Array): number {
  let worst = 0;
  for (let j = 1; j < beta.length; j++) if (Math.abs(beta[j]) > Math.abs(beta[worst])) worst = j;
  return worst;
}

/**
 * Explain a singular information matrix: with a huge standardised coefficient the likelihood is
 * flattening out along it (complete separation); otherwise the covariates are collinear.
 */
function singularMessage(beta: Float64Array, stds: Float64Array, names: readonly string[], iteration: number): string {
  const worst = largestCoefficient(beta);
  if (Math.abs(beta[worst]) > 5) {
    return `Cox fit: the information matrix became singular at iteration ${iteration} while the coefficient of '${names[worst]}' grew to ${beta[worst] / stds[worst]}; this suggests complete separation on '${names[worst]}' (the event order is perfectly predicted by it)`;
  }
  return `Cox fit: the information matrix is singular at iteration ${iteration}; suspect collinear covariates among ${names.join(", ")}`;
}

/** Fit a Cox proportional hazards model (Efron or Breslow ties, optional L2 penalty) by Newton-Raphson. */
export function fitCoxPH(data: CoxData, options: CoxOptions = {}, context: FitContext = {}): CoxPHFit {
  const ties = options.ties ?? "efron";
  if (ties !== "efron" && ties !== "breslow") throw new ConfigError(`invalid ties: ${String(ties)} (expected "efron" or "breslow")`);
  const alpha = options.alpha ?? 0.05;
  criticalZ(alpha);
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-10;
  if (data.entry !== undefined && data.entry !== null) {
    throw new DataError("Cox fit: delayed entry ('entry') is not supported; the risk sets here start at time 0 for every row");
  }
  const checked = checkSurvivalData(data, { requireEvents: true, context: "Cox fit" });
  const n = checked.n;
  if (!data.covariates || typeof data.covariates !== "object") throw new DataError("Cox fit: 'covariates' must be an object of named columns");
  const packed = packCovariates(data.covariates, n, null, "Cox fit");
  const { names, d } = packed;
  if (d === 0) throw new DataError("Cox fit: needs at least one covariate column");
  if (n < 2) throw new DataError(`Cox fit: needs at least 2 rows, got ${n}`);
  const penalizer = penalizerVector(options.penalizer, d, names);

  const means = new Float64Array(d);
  const stds = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += packed.X[i * d + j];
    const mean = s / n;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const dx = packed.X[i * d + j] - mean;
      ss += dx * dx;
    }
    means[j] = mean;
    stds[j] = Math.sqrt(ss / (n - 1));
    if (!(stds[j] > 0)) throw new DataError(`Cox fit: covariate '${names[j]}' is constant (every row is ${mean}); its coefficient is not identifiable`);
  }

  // Sort by duration so tie groups are contiguous (the order inside a group does not change any sum).
  const order = argsort(checked.durations);
  const dur = checked.durations;
  const ev = checked.events;
  const work: CoxWork = {
    n,
    d,
    X: new Float64Array(n * d),
    T: new Float64Array(n),
    E: new Uint8Array(n),
    W: new Float64Array(n),
    eta: new Float64Array(n),
    phi: new Float64Array(n),
    riskX: new Float64Array(d),
    riskXX: new Float64Array(d * d),
    tieX: new Float64Array(d),
    tieXX: new Float64Array(d * d),
    deathX: new Float64Array(d),
    numer: new Float64Array(d),
  };
  for (let k = 0; k < n; k++) {
    const i = order[k];
    work.T[k] = dur[i];
    work.E[k] = ev[i];
    work.W[k] = checked.weights[i];
    for (let j = 0; j < d; j++) work.X[k * d + j] = (packed.X[i * d + j] - means[j]) / stds[j];
  }

  const grad = new Float64Array(d);
  const hess = new Float64Array(d * d);
  const negH = new Float64Array(d * d);
  const evaluate = (b: Float64Array): number => {
    let ll = partialLikelihood(work, b, ties, grad, hess);
    for (let j = 0; j < d; j++) {
      const pen = n * penalizer[j];
      ll -= 0.5 * pen * b[j] * b[j];
      grad[j] -= pen * b[j];
      hess[j * d + j] -= pen;
    }
    return ll;
  };

  let beta = new Float64Array(d);
  // At beta = 0 the penalty is 0, so the first evaluation is also the null model's log-likelihood.
  let ll = evaluate(beta);
  const logLikelihoodNull = ll;
  let converged = false;
  let iteration = 0;
  const candidate = new Float64Array(d);
  for (; iteration < maxIterations; iteration++) {
    for (let i = 0; i < d * d; i++) negH[i] = -hess[i];
    const L = cholesky(negH, d);
    if (!L) throw new ConvergenceError(singularMessage(beta, stds, names, iteration));
    const step = choleskySolve(L, d, grad);
    let stepNorm = 0;
    for (let j = 0; j < d; j++) stepNorm = Math.max(stepNorm, Math.abs(step[j]));
    if (!Number.isFinite(stepNorm)) throw new ConvergenceError(`Cox fit: non-finite Newton step at iteration ${iteration}`);
    if (stepNorm < tolerance) {
      // Take the last (tiny) step too, so the reported point is as close to the optimum as the data allow.
      for (let j = 0; j < d; j++) candidate[j] = beta[j] + step[j];
      const llNew = evaluate(candidate);
      if (Number.isFinite(llNew) && llNew >= ll - 1e-12 * Math.abs(ll)) {
        beta = Float64Array.from(candidate);
        ll = llNew;
      } else {
        ll = evaluate(beta);
      }
      converged = true;
      break;
    }
    let t = 1;
    let accepted = false;
    for (let halving = 0; halving < 40; halving++, t *= 0.5) {
      for (let j = 0; j < d; j++) candidate[j] = beta[j] + t * step[j];
      const llNew = evaluate(candidate);
      if (Number.isFinite(llNew) && llNew >= ll - 1e-12 * Math.abs(ll)) {
        ll = llNew;
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      throw new ConvergenceError(`Cox fit: step halving failed to improve the partial likelihood at iteration ${iteration} (log-likelihood ${ll})`);
    }
    beta = Float64Array.from(candidate);
    context.callbacks?.onIteration?.({ iteration: iteration + 1, logLikelihood: ll, stepNorm: t * stepNorm, params: Array.from(beta, (b, j) => b / stds[j]) });
  }
  if (!converged) {
    const worst = largestCoefficient(beta);
    throw new ConvergenceError(
      `Cox fit did not converge in ${maxIterations} iterations (log-likelihood ${ll}); coefficient of '${names[worst]}' is ${beta[worst] / stds[worst]} and still moving, which suggests complete separation on it`,
    );
  }

  for (let i = 0; i < d * d; i++) negH[i] = -hess[i];
  const L = cholesky(negH, d);
  if (!L) throw new ConvergenceError(singularMessage(beta, stds, names, iteration));
  const stdVariance = choleskyInverse(L, d);
  const params = new Float64Array(d);
  const varianceMatrix = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    params[j] = beta[j] / stds[j];
    for (let l = 0; l < d; l++) varianceMatrix[j * d + l] = stdVariance[j * d + l] / (stds[j] * stds[l]);
  }

  // Breslow baseline hazard at every distinct duration: events / risk-set sum of partial hazards.
  const baselineTimes: number[] = [];
  const baselineHazard: number[] = [];
  {
    const { T, E, W, X } = work;
    const ph = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += X[i * d + j] * beta[j];
      ph[i] = W[i] * Math.exp(s);
    }
    let risk = 0;
    let i = n - 1;
    while (i >= 0) {
      const t = T[i];
      let events = 0;
      while (i >= 0 && T[i] === t) {
        risk += ph[i];
        if (E[i] === 1) events += W[i];
        i--;
      }
      baselineTimes.push(t);
      baselineHazard.push(events / risk);
    }
    baselineTimes.reverse();
    baselineHazard.reverse();
  }

  // Concordance of -partial hazard on the training rows, as lifelines computes concordance_index_.
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (packed.X[i * d + j] - means[j]) * params[j];
    score[i] = -Math.exp(s);
  }
  let nObservations = 0;
  let nEvents = 0;
  for (let i = 0; i < n; i++) {
    nObservations += checked.weights[i];
    if (checked.events[i] === 1) nEvents += checked.weights[i];
  }
  return new CoxPHFit({
    covariateNames: names,
    params,
    varianceMatrix,
    means,
    stds,
    logLikelihood: ll,
    logLikelihoodNull,
    concordanceIndex: concordanceIndex(checked.durations, score, checked.events),
    baselineTimes: Float64Array.from(baselineTimes),
    baselineHazard: Float64Array.from(baselineHazard),
    ties,
    penalizer,
    alpha,
    nObservations,
    nEvents,
    iterations: iteration,
  });
}

/** Load a Cox fit saved with `toJSON`. */
export function coxPHFitFromJSON(json: unknown): CoxPHFit {
  return CoxPHFit.fromJSON(json);
}
