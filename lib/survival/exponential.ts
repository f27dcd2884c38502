/**
 * Exponential survival model in lifelines' ExponentialFitter parameterisation, H(t) = t / lambda
 * (lambda_ is the mean lifetime). It has a closed-form MLE, lambda = exposure / events, which
 * makes it a check on the shared parametric base as much as a model.
 */

import type { SurvivalData } from "./data.js";
import { fitParametric, parametricFitFromJSON, type FitContext, type ParametricFitOptions, type ParametricUnivariateFit, type ParametricUnivariateModel } from "./parametric.js";

/** The exponential model for the parametric base (parameter lambda_). */
export const exponentialModel: ParametricUnivariateModel = {
  kind: "survival.exponential",
  label: "exponential",
  paramNames: ["lambda_"],
  compareTo: [0],
  initialValues(data) {
    let exposure = 0;
    for (let i = 0; i < data.n; i++) exposure += data.weights[i] * data.durations[i];
    return Float64Array.from([exposure / data.n]);
  },
  logLikelihood(params, data, grad) {
    const lambda = params[0];
    let exposure = 0;
    let events = 0;
    for (let i = 0; i < data.n; i++) {
      const w = data.weights[i];
      exposure += w * (data.durations[i] - (data.entry ? data.entry[i] : 0));
      events += w * data.events[i];
    }
    if (grad) grad[0] = -events / lambda + exposure / (lambda * lambda);
    return -events * Math.log(lambda) - exposure / lambda;
  },
  cumulativeHazard(params, t) {
    return Math.max(t, 0) / params[0];
  },
  hazard(params) {
    return 1 / params[0];
  },
  percentile(params, p) {
    return -params[0] * Math.log(p);
  },
};

/** Fit an exponential model by maximum likelihood (right censoring, optional weights and delayed entry). */
export function fitExponential(data: SurvivalData, options: ParametricFitOptions = {}, context: FitContext = {}): ParametricUnivariateFit {
  return fitParametric(exponentialModel, data, options, context);
}

/** Load an exponential fit saved with `toJSON`. */
export function exponentialFitFromJSON(json: unknown): ParametricUnivariateFit {
  return parametricFitFromJSON(exponentialModel, json);
}
