/**
 * The shared base of parametric univariate survival fitters, in the spirit of lifelines'
 * ParametricUnivariateFitter: a model supplies only its parameter names, its log-likelihood with
 * gradient (and optionally an analytic Hessian) and its cumulative hazard; this file does the
 * optimisation, standard errors from the observed information, Wald intervals, AIC/BIC, the
 * summary table, delta-method intervals for curves, and JSON.
 *
 * Every parameter is positive (lifelines' default bounds), so the optimiser works on log
 * parameters: damped Newton with backtracking on the log scale, which cannot step out of bounds.
 * Standard errors are reported on the natural scale, as lifelines does: Var = (-H)^-1 with H the
 * Hessian of the total log-likelihood in the natural parameters, and intervals estimate -/+ z se.
 */

import { checkSurvivalData, checkTimes, type CheckedSurvivalData, type SurvivalData } from "./data.js";
import { criticalZ, twoSidedNormalP } from "./distributions.js";
import { cholesky, choleskyInverse, choleskySolve } from "./linalg.js";
import { decodeArray, decodeNumber, encodeArray, expectKind, type JsonNumber } from "./serialize.js";
import type { SummaryTable } from "./summary.js";
import { ConvergenceError, DataError } from "../errors.js";

/** The math of one parametric survival model; all parameters are positive. */
export interface ParametricUnivariateModel {
  /** Serialisation kind of fits of this model, e.g. "survival.weibull". */
  kind: string;
  /** Human name, e.g. "Weibull". */
  label: string;
  /** Parameter names, lifelines-style (e.g. ["lambda_", "rho_"]). */
  paramNames: readonly string[];
  /** Null values of the per-parameter z tests (lifelines' `_compare_to_values`). */
  compareTo: readonly number[];
  /** A starting point for the optimiser (natural scale, all > 0). */
  initialValues(data: CheckedSurvivalData): Float64Array;
  /** Total weighted log-likelihood; writes d ll / d params into `grad` when given. */
  logLikelihood(params: Float64Array, data: CheckedSurvivalData, grad: Float64Array | null): number;
  /** Optional analytic Hessian of the total log-likelihood (row-major p x p); else finite differences of the gradient. */
  hessian?(params: Float64Array, data: CheckedSurvivalData, out: Float64Array): void;
  /** Cumulative hazard H(t). */
  cumulativeHazard(params: ArrayLike<number>, t: number): number;
  /** Hazard h(t) = dH/dt. */
  hazard(params: ArrayLike<number>, t: number): number;
  /** Optional dH(t)/dparams for delta-method intervals; else finite differences. */
  cumulativeHazardGradient?(params: ArrayLike<number>, t: number, out: Float64Array): void;
  /** Optional closed-form time t with S(t) = p; else bisection on S. */
  percentile?(params: ArrayLike<number>, p: number): number;
}

/** One optimiser iteration, as passed to `onIteration`. */
export interface IterationRecord {
  iteration: number;
  logLikelihood: number;
  /** Largest absolute Newton step on the optimiser's scale. */
  stepNorm: number;
  /** Current parameters (a copy). */
  params: number[];
}

/** Callbacks and context of an iterative fit. These fits are deterministic and draw no random numbers. */
export interface FitContext {
  callbacks?: { onIteration?(record: IterationRecord): void };
}

/** Options of parametric univariate fits. */
export interface ParametricFitOptions {
  /** 1 - interval level; default 0.05. */
  alpha?: number;
  /** Starting point (natural scale); default the model's. */
  initialPoint?: ArrayLike<number>;
  /** Maximum Newton iterations; default 200. */
  maxIterations?: number;
  /** Convergence tolerance on the largest log-scale step; default 1e-10. */
  tolerance?: number;
}

/** A fitted parametric univariate model (plain data + methods). */
export class ParametricUnivariateFit {
  readonly kind: string;
  readonly model: ParametricUnivariateModel;
  readonly paramNames: readonly string[];
  /** Maximum-likelihood estimates, by name. */
  readonly params: Readonly<Record<string, number>>;
  readonly values: Float64Array;
  /** Covariance of the estimates (row-major p x p), the inverse observed information. */
  readonly varianceMatrix: Float64Array;
  readonly logLikelihood: number;
  readonly alpha: number;
  /** Sum of weights (number of observations) and weighted number of events. */
  readonly nObservations: number;
  readonly nEvents: number;
  /** Number of rows (lifelines' BIC uses rows, not weights). */
  readonly nRows: number;
  readonly iterations: number;

  constructor(model: ParametricUnivariateModel, fields: { values: Float64Array; varianceMatrix: Float64Array; logLikelihood: number; alpha: number; nObservations: number; nEvents: number; nRows: number; iterations: number }) {
    this.kind = model.kind;
    this.model = model;
    this.paramNames = model.paramNames;
    this.values = fields.values;
    const params: Record<string, number> = {};
    model.paramNames.forEach((name, j) => (params[name] = fields.values[j]));
    this.params = params;
    this.varianceMatrix = fields.varianceMatrix;
    this.logLikelihood = fields.logLikelihood;
    this.alpha = fields.alpha;
    this.nObservations = fields.nObservations;
    this.nEvents = fields.nEvents;
    this.nRows = fields.nRows;
    this.iterations = fields.iterations;
  }

  /** Standard errors of the estimates. */
  get standardErrors(): Float64Array {
    const p = this.values.length;
    const se = new Float64Array(p);
    for (let j = 0; j < p; j++) se[j] = Math.sqrt(this.varianceMatrix[j * p + j]);
    return se;
  }

  /** Akaike information criterion, -2 ll + 2 p. */
  get AIC(): number {
    return -2 * this.logLikelihood + 2 * this.values.length;
  }

  /** Bayesian information criterion, -2 ll + p log(rows). */
  get BIC(): number {
    return -2 * this.logLikelihood + this.values.length * Math.log(this.nRows);
  }

  /** The parameter table: estimate, se, Wald interval, z and p against the model's null values. */
  summary(): SummaryTable {
    const z = criticalZ(this.alpha);
    const se = this.standardErrors;
    const rows = this.paramNames.map((name, j) => {
      const est = this.values[j];
      const cmp = this.model.compareTo[j];
      const zStat = (est - cmp) / se[j];
      return { name, estimate: est, se: se[j], lower: est - z * se[j], upper: est + z * se[j], compareTo: cmp, z: zStat, p: twoSidedNormalP(zStat) };
    });
    return {
      model: this.kind,
      confidenceLevel: 1 - this.alpha,
      rows,
      stats: {
        "number of observations": this.nObservations,
        "number of events observed": this.nEvents,
        "log-likelihood": this.logLikelihood,
        AIC: this.AIC,
      },
    };
  }

  /** Hazard h(t) at each time. */
  hazard(times: ArrayLike<number>): Float64Array {
    const t = checkTimes(times);
    return t.map((x) => this.model.hazard(this.values, x));
  }

  /** Cumulative hazard H(t) at each time. */
  cumulativeHazard(times: ArrayLike<number>): Float64Array {
    const t = checkTimes(times);
    return t.map((x) => this.model.cumulativeHazard(this.values, x));
  }

  /** Survival S(t) = exp(-H(t)) at each time. */
  survival(times: ArrayLike<number>): Float64Array {
    const t = checkTimes(times);
    return t.map((x) => Math.exp(-this.model.cumulativeHazard(this.values, x)));
  }

  /** Time at which S(t) = p. */
  percentile(p: number): number {
    if (!(p > 0 && p < 1)) throw new DataError(`percentile: p must be in (0, 1), got ${p}`);
    if (this.model.percentile) return this.model.percentile(this.values, p);
    const target = -Math.log(p);
    let lo = 0;
    let hi = 1;
    while (this.model.cumulativeHazard(this.values, hi) < target && hi < 1e300) hi *= 2;
    for (let it = 0; it < 200; it++) {
      const mid = 0.5 * (lo + hi);
      if (this.model.cumulativeHazard(this.values, mid) < target) lo = mid;
      else hi = mid;
    }
    return 0.5 * (lo + hi);
  }

  /** Median survival time, S(t) = 0.5. */
  get medianSurvivalTime(): number {
    return this.percentile(0.5);
  }

  /** Delta-method Wald interval of H(t), H -/+ z sd (lifelines' `confidence_interval_cumulative_hazard_`). */
  cumulativeHazardInterval(times: ArrayLike<number>): { estimate: Float64Array; lower: Float64Array; upper: Float64Array } {
    return this.deltaInterval(times, false);
  }

  /** Delta-method Wald interval of S(t), S -/+ z sd (lifelines' `confidence_interval_survival_function_`). */
  survivalInterval(times: ArrayLike<number>): { estimate: Float64Array; lower: Float64Array; upper: Float64Array } {
    return this.deltaInterval(times, true);
  }

  private deltaInterval(times: ArrayLike<number>, onSurvival: boolean): { estimate: Float64Array; lower: Float64Array; upper: Float64Array } {
    const t = checkTimes(times);
    const p = this.values.length;
    const z = criticalZ(this.alpha);
    const g = new Float64Array(p);
    const estimate = new Float64Array(t.length);
    const lower = new Float64Array(t.length);
    const upper = new Float64Array(t.length);
    for (let k = 0; k < t.length; k++) {
      const H = this.model.cumulativeHazard(this.values, t[k]);
      cumulativeHazardGradient(this.model, this.values, t[k], g);
      let est = H;
      if (onSurvival) {
        est = Math.exp(-H);
        for (let j = 0; j < p; j++) g[j] *= -est;
      }
      let v = 0;
      for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) v += g[a] * this.varianceMatrix[a * p + b] * g[b];
      const sd = Math.sqrt(v);
      estimate[k] = est;
      lower[k] = est - z * sd;
      upper[k] = est + z * sd;
    }
    return { estimate, lower, upper };
  }

  /** Plain JSON form (kind + schema version). */
  toJSON(): ParametricFitJSON {
    return {
      kind: this.kind,
      version: PARAMETRIC_VERSION,
      paramNames: [...this.paramNames],
      values: encodeArray(this.values),
      varianceMatrix: encodeArray(this.varianceMatrix),
      logLikelihood: this.logLikelihood,
      alpha: this.alpha,
      nObservations: this.nObservations,
      nEvents: this.nEvents,
      nRows: this.nRows,
      iterations: this.iterations,
    };
  }
}

/** Schema version of parametric fits' JSON. */
export const PARAMETRIC_VERSION = 1;

/** JSON form of a parametric univariate fit. */
export interface ParametricFitJSON {
  kind: string;
  version: number;
  paramNames: string[];
  values: JsonNumber[];
  varianceMatrix: JsonNumber[];
  logLikelihood: number;
  alpha: number;
  nObservations: number;
  nEvents: number;
  nRows: number;
  iterations: number;
}

/** Load a parametric fit of a known model from JSON. */
export function parametricFitFromJSON(model: ParametricUnivariateModel, json: unknown): ParametricUnivariateFit {
  const r = expectKind(json, model.kind, PARAMETRIC_VERSION);
  const names = r.paramNames;
  if (!Array.isArray(names) || names.join(",") !== model.paramNames.join(",")) {
    throw new DataError(`cannot load ${model.kind}: 'paramNames' is ${JSON.stringify(names)}, expected ${JSON.stringify(model.paramNames)}`);
  }
  return new ParametricUnivariateFit(model, {
    values: decodeArray(r.values, "values"),
    varianceMatrix: decodeArray(r.varianceMatrix, "varianceMatrix"),
    logLikelihood: decodeNumber(r.logLikelihood, "logLikelihood"),
    alpha: decodeNumber(r.alpha, "alpha"),
    nObservations: decodeNumber(r.nObservations, "nObservations"),
    nEvents: decodeNumber(r.nEvents, "nEvents"),
    nRows: decodeNumber(r.nRows, "nRows"),
    iterations: decodeNumber(r.iterations, "iterations"),
  });
}

function cumulativeHazardGradient(model: ParametricUnivariateModel, params: Float64Array, t: number, out: Float64Array): void {
  if (model.cumulativeHazardGradient) {
    model.cumulativeHazardGradient(params, t, out);
    return;
  }
  const x = Float64Array.from(params);
  for (let j = 0; j < x.length; j++) {
    const h = 1e-6 * Math.max(Math.abs(params[j]), 1e-8);
    x[j] = params[j] + h;
    const up = model.cumulativeHazard(x, t);
    x[j] = params[j] - h;
    const down = model.cumulativeHazard(x, t);
    x[j] = params[j];
    out[j] = (up - down) / (2 * h);
  }
}

/** Hessian of the total log-likelihood on the natural scale: analytic when the model has it, else central differences of the gradient. */
export function naturalHessian(model: ParametricUnivariateModel, params: Float64Array, data: CheckedSurvivalData): Float64Array {
  const p = params.length;
  const H = new Float64Array(p * p);
  if (model.hessian) {
    model.hessian(params, data, H);
    return H;
  }
  const x = Float64Array.from(params);
  const gUp = new Float64Array(p);
  const gDown = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const h = 1e-5 * Math.abs(params[j]);
    x[j] = params[j] + h;
    model.logLikelihood(x, data, gUp);
    x[j] = params[j] - h;
    model.logLikelihood(x, data, gDown);
    x[j] = params[j];
    for (let i = 0; i < p; i++) H[i * p + j] = (gUp[i] - gDown[i]) / (2 * h);
  }
  for (let i = 0; i < p; i++) {
    for (let j = i + 1; j < p; j++) {
      const m = 0.5 * (H[i * p + j] + H[j * p + i]);
      H[i * p + j] = m;
      H[j * p + i] = m;
    }
  }
  return H;
}

/** Log-likelihood, gradient and Hessian in theta = log(params), from the natural-scale ones. */
function logScaleDerivatives(model: ParametricUnivariateModel, theta: Float64Array, data: CheckedSurvivalData, grad: Float64Array, hess: Float64Array): number {
  const p = theta.length;
  const params = theta.map(Math.exp);
  const gNat = new Float64Array(p);
  const ll = model.logLikelihood(params, data, gNat);
  const hNat = naturalHessian(model, params, data);
  for (let i = 0; i < p; i++) {
    grad[i] = gNat[i] * params[i];
    for (let j = 0; j < p; j++) hess[i * p + j] = hNat[i * p + j] * params[i] * params[j] + (i === j ? gNat[i] * params[i] : 0);
  }
  return ll;
}

/** Fit a parametric univariate model by maximum likelihood with Newton steps on log parameters. */
export function fitParametric(
  model: ParametricUnivariateModel,
  data: SurvivalData,
  options: ParametricFitOptions = {},
  context: FitContext = {},
): ParametricUnivariateFit {
  const alpha = options.alpha ?? 0.05;
  criticalZ(alpha);
  const checked = checkSurvivalData(data, { positiveDurations: true, requireEvents: true, context: `${model.label} fit` });
  const p = model.paramNames.length;
  const start = options.initialPoint ? Float64Array.from(options.initialPoint) : model.initialValues(checked);
  if (start.length !== p || !start.every((v) => Number.isFinite(v) && v > 0)) {
    throw new DataError(`${model.label} fit: initial point must be ${p} positive finite numbers, got ${Array.from(start).join(", ")}`);
  }
  const maxIterations = options.maxIterations ?? 200;
  const tolerance = options.tolerance ?? 1e-10;

  let theta = start.map(Math.log);
  const grad = new Float64Array(p);
  const hess = new Float64Array(p * p);
  let ll = logScaleDerivatives(model, theta, checked, grad, hess);
  if (!Number.isFinite(ll)) {
    throw new ConvergenceError(`${model.label} fit: log-likelihood is ${ll} at the initial point (${Array.from(start).join(", ")})`);
  }
  const negH = new Float64Array(p * p);
  let converged = false;
  let iteration = 0;
  for (; iteration < maxIterations && !converged; iteration++) {
    // Levenberg damping: Newton when the log-likelihood is locally concave, towards gradient ascent when not.
    let step: Float64Array | null = null;
    let scale = 0;
    for (let i = 0; i < p; i++) scale = Math.max(scale, Math.abs(hess[i * p + i]));
    for (let mu = 0; step === null && mu <= 1e12 * (scale || 1); mu = mu === 0 ? 1e-8 * (scale || 1) : mu * 10) {
      for (let i = 0; i < p * p; i++) negH[i] = -hess[i];
      for (let i = 0; i < p; i++) negH[i * p + i] += mu;
      const L = cholesky(negH, p);
      if (L) step = choleskySolve(L, p, grad);
    }
    if (step === null || !step.every(Number.isFinite)) {
      throw new ConvergenceError(`${model.label} fit: no ascent direction at iteration ${iteration} (non-finite gradient or Hessian)`);
    }
    let stepNorm = 0;
    for (let i = 0; i < p; i++) stepNorm = Math.max(stepNorm, Math.abs(step[i]));
    // Cap huge first steps on the log scale (a factor e^5 per iteration) so the line search starts sane.
    let t = stepNorm > 5 ? 5 / stepNorm : 1;
    let accepted = false;
    const candidate = new Float64Array(p);
    for (let halvings = 0; halvings < 60; halvings++, t *= 0.5) {
      for (let i = 0; i < p; i++) candidate[i] = theta[i] + t * step[i];
      const llNew = model.logLikelihood(candidate.map(Math.exp), checked, null);
      if (Number.isFinite(llNew) && llNew >= ll - 1e-12 * Math.abs(ll)) {
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      // No improvement along the Newton direction at machine precision: we are at the optimum if the step is tiny.
      if (stepNorm < 1e-6) {
        converged = true;
        break;
      }
      throw new ConvergenceError(`${model.label} fit: line search failed at iteration ${iteration} (log-likelihood ${ll})`);
    }
    theta = candidate;
    ll = logScaleDerivatives(model, theta, checked, grad, hess);
    const record = { iteration: iteration + 1, logLikelihood: ll, stepNorm: t * stepNorm, params: Array.from(theta, Math.exp) };
    context.callbacks?.onIteration?.(record);
    if (t * stepNorm < tolerance) converged = true;
  }
  if (!converged) {
    throw new ConvergenceError(`${model.label} fit did not converge in ${maxIterations} iterations (log-likelihood ${ll}); try rescaling the durations or another initial point`);
  }

  const values = theta.map(Math.exp);
  const hNat = naturalHessian(model, values, checked);
  for (let i = 0; i < p * p; i++) negH[i] = -hNat[i];
  const L = cholesky(negH, p);
  if (!L) {
    throw new ConvergenceError(`${model.label} fit: the observed information at the optimum (${Array.from(values).join(", ")}) is not positive definite; standard errors do not exist`);
  }
  let nObservations = 0;
  let nEvents = 0;
  for (let i = 0; i < checked.n; i++) {
    nObservations += checked.weights[i];
    if (checked.events[i] === 1) nEvents += checked.weights[i];
  }
  return new ParametricUnivariateFit(model, {
    values,
    varianceMatrix: choleskyInverse(L, p),
    logLikelihood: model.logLikelihood(values, checked, null),
    alpha,
    nObservations,
    nEvents,
    nRows: checked.n,
    iterations: iteration,
  });
}
