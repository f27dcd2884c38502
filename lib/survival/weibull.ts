/**
 * Weibull survival model in lifelines' WeibullFitter parameterisation:
 *
 *   H(t) = (t / lambda)^rho,   h(t) = (rho / lambda) (t / lambda)^(rho - 1),
 *
 * so lambda_ is the scale (the time by which 63.2% have failed) and rho_ the shape (rho > 1:
 * wear-out, rho < 1: infant mortality). The issue's h(t) = (alpha/lambda)(t/lambda)^(alpha-1) is
 * the same model with alpha = rho. The log-likelihood with right censoring, weights w and delayed
 * entry a is
 *
 *   ll = sum w [ e (log rho - log lambda + (rho - 1)(log t - log lambda)) - H(t) + H(a) ],
 *
 * with analytic gradient and Hessian (derived on u = log lambda, then mapped to lambda).
 */

import type { CheckedSurvivalData, SurvivalData } from "./data.js";
import { fitParametric, parametricFitFromJSON, type FitContext, type ParametricFitOptions, type ParametricUnivariateFit, type ParametricUnivariateModel } from "./parametric.js";

interface WeibullSums {
  ll: number;
  gU: number;
  gR: number;
  hUU: number;
  hUR: number;
  hRR: number;
}

// log(t) is the same at every iteration, and the optimiser asks for the log-likelihood and the
// Hessian at the same point back to back: cache both per data set (a WeakMap, so nothing leaks).
const logDurations = new WeakMap<CheckedSurvivalData, Float64Array>();
const lastSums = new WeakMap<CheckedSurvivalData, { lambda: number; rho: number; sums: WeibullSums }>();

/** Sums over rows that the Weibull derivatives need, at given (lambda, rho). */
function weibullSums(lambda: number, rho: number, data: CheckedSurvivalData): WeibullSums {
  const last = lastSums.get(data);
  if (last && last.lambda === lambda && last.rho === rho) return last.sums;
  let logT = logDurations.get(data);
  if (!logT) {
    logT = data.durations.map(Math.log);
    logDurations.set(data, logT);
  }
  const { n, events, weights, entry } = data;
  const logLambda = Math.log(lambda);
  const logRho = Math.log(rho);
  let ll = 0;
  let gU = 0;
  let gR = 0;
  let hUU = 0;
  let hUR = 0;
  let hRR = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    const z = logT[i] - logLambda;
    const H = Math.exp(rho * z);
    const e = events[i];
    ll += w * (e * (logRho - logLambda + (rho - 1) * z) - H);
    gU += w * rho * (H - e);
    gR += w * (e * (1 / rho + z) - H * z);
    hUU -= w * rho * rho * H;
    hUR += w * (H - e + rho * H * z);
    hRR -= w * (e / (rho * rho) + H * z * z);
    if (entry !== null && entry[i] > 0) {
      // + H(a): the same terms as -H(t) with the opposite sign and no event part.
      const za = Math.log(entry[i]) - logLambda;
      const Ha = Math.exp(rho * za);
      ll += w * Ha;
      gU -= w * rho * Ha;
      gR += w * Ha * za;
      hUU += w * rho * rho * Ha;
      hUR -= w * (Ha + rho * Ha * za);
      hRR += w * Ha * za * za;
    }
  }
  const sums = { ll, gU, gR, hUU, hUR, hRR };
  lastSums.set(data, { lambda, rho, sums });
  return sums;
}

/** The Weibull model for the parametric base (parameters lambda_, rho_). */
export const weibullModel: ParametricUnivariateModel = {
  kind: "survival.weibull",
  label: "Weibull",
  paramNames: ["lambda_", "rho_"],
  compareTo: [1, 1],
  initialValues(data) {
    // The exponential MLE (rho = 1) is a far better start than lifelines' mean duration.
    let exposure = 0;
    let events = 0;
    for (let i = 0; i < data.n; i++) {
      exposure += data.weights[i] * (data.durations[i] - (data.entry ? data.entry[i] : 0));
      events += data.weights[i] * data.events[i];
    }
    const lambda = exposure > 0 && events > 0 ? exposure / events : 1;
    return Float64Array.from([lambda, 1]);
  },
  logLikelihood(params, data, grad) {
    const lambda = params[0];
    const rho = params[1];
    const s = weibullSums(lambda, rho, data);
    if (grad) {
      grad[0] = s.gU / lambda;
      grad[1] = s.gR;
    }
    return s.ll;
  },
  hessian(params, data, out) {
    const lambda = params[0];
    const s = weibullSums(lambda, params[1], data);
    out[0] = (s.hUU - s.gU) / (lambda * lambda);
    out[1] = s.hUR / lambda;
    out[2] = out[1];
    out[3] = s.hRR;
  },
  cumulativeHazard(params, t) {
    return t <= 0 ? 0 : Math.pow(t / params[0], params[1]);
  },
  hazard(params, t) {
    const lambda = params[0];
    const rho = params[1];
    return (rho / lambda) * Math.pow(t / lambda, rho - 1);
  },
  cumulativeHazardGradient(params, t, out) {
    const lambda = params[0];
    const rho = params[1];
    if (t <= 0) {
      out[0] = 0;
      out[1] = 0;
      return;
    }
    const H = Math.pow(t / lambda, rho);
    out[0] = (-rho / lambda) * H;
    out[1] = H * Math.log(t / lambda);
  },
  percentile(params, p) {
    return params[0] * Math.pow(Math.log(1 / p), 1 / params[1]);
  },
};

/** Fit a Weibull model by maximum likelihood (right censoring, optional weights and delayed entry). */
export function fitWeibull(data: SurvivalData, options: ParametricFitOptions = {}, context: FitContext = {}): ParametricUnivariateFit {
  return fitParametric(weibullModel, data, options, context);
}

/** Load a Weibull fit saved with `toJSON`. */
export function weibullFitFromJSON(json: unknown): ParametricUnivariateFit {
  return parametricFitFromJSON(weibullModel, json);
}
