/**
 * The risk model that importance and adaptive designs sample by: a multiplicative Poisson model of
 * critical events per trip,
 *   E[events_i] = base * miles_i * f_road * f_weather * f_timeOfDay * f_mode * f_vehicle,
 * fitted on a fully reviewed history by backfitting (each factor in turn set to its shrunken
 * observed/expected ratio, which is the Poisson maximum-likelihood step for a main-effects model).
 * Every multiplier has a Gamma(a, a) prior (mean 1), so its estimate is the posterior mean
 * (O + a) / (E + a): covariate factors get a weak prior (a = 1 event), the per-vehicle factor a
 * prior whose strength is the method-of-moments frailty shape of the history (the over-dispersion
 * of vehicles' observed/expected counts). Shrinkage matters here: a design that picks the trips
 * with the highest predicted risk would otherwise pick the luckiest noise (winner's curse), and
 * its expected-count bookkeeping would be biased.
 *
 * The mode factor uses the trip's dominant driving mode (by minutes), a deliberate simplification
 * of the simulator's minute-weighted mode hazard: the model is good, not perfect.
 */
import { DataError } from "../errors.js";

/** History data: one entry per trip, all fully observed. */
export interface RiskHistory {
  readonly miles: ArrayLike<number>;
  readonly road: ArrayLike<number>;
  readonly weather: ArrayLike<number>;
  readonly timeOfDay: ArrayLike<number>;
  readonly mode: ArrayLike<number>;
  /** 0-based vehicle index. */
  readonly vehicle: ArrayLike<number>;
  readonly events: ArrayLike<number>;
}

/** Level counts of each factor. */
export interface RiskLevels {
  readonly road: number;
  readonly weather: number;
  readonly timeOfDay: number;
  readonly mode: number;
  readonly vehicles: number;
}

/** Options of the fit. */
export interface RiskModelOptions {
  /** Prior pseudo-events of the covariate multipliers (default 1). */
  readonly covariatePrior?: number;
  /** Backfitting sweeps (default 12). */
  readonly sweeps?: number;
  /** Fix the vehicle prior strength instead of estimating it (Infinity drops the vehicle factor). */
  readonly vehiclePrior?: number;
}

/** The fitted model as plain data. */
export interface RiskModelJSON {
  readonly kind: "trial-risk-model";
  readonly version: 1;
  readonly base: number;
  readonly road: number[];
  readonly weather: number[];
  readonly timeOfDay: number[];
  readonly mode: number[];
  readonly vehicle: number[];
  /** Prior strength used for the vehicle factor (method of moments, clamped). */
  readonly vehiclePrior: number;
  readonly historyTrips: number;
  readonly historyEvents: number;
}

/** A fitted risk model. */
export interface RiskModel extends RiskModelJSON {
  /** Predicted expected critical events of one trip. */
  predict(miles: number, road: number, weather: number, timeOfDay: number, mode: number, vehicle: number): number;
  toJSON(): RiskModelJSON;
}

/** Rebuild a fitted model from its JSON. */
export function riskModelFromJSON(json: RiskModelJSON): RiskModel {
  if (json.kind !== "trial-risk-model" || json.version !== 1) throw new DataError(`not a trial-risk-model v1: kind ${json.kind}, version ${json.version}`);
  const data: RiskModelJSON = { ...json };
  const road = Float64Array.from(json.road);
  const weather = Float64Array.from(json.weather);
  const tod = Float64Array.from(json.timeOfDay);
  const mode = Float64Array.from(json.mode);
  const vehicle = Float64Array.from(json.vehicle);
  return {
    ...data,
    predict: (mi, r, w, t, m, v) => json.base * mi * road[r] * weather[w] * tod[t] * mode[m] * vehicle[v],
    toJSON: () => data,
  };
}

/** Fit the multiplicative shrunken Poisson risk model on a fully observed history. */
export function fitRiskModel(data: RiskHistory, levels: RiskLevels, options: RiskModelOptions = {}): RiskModel {
  const n = data.miles.length;
  if (n === 0) throw new DataError("fitRiskModel: the history has no trips");
  for (const key of ["road", "weather", "timeOfDay", "mode", "vehicle", "events"] as const) {
    if (data[key].length !== n) throw new DataError(`fitRiskModel: ${key} has ${data[key].length} entries, miles has ${n}`);
  }
  const a = options.covariatePrior ?? 1;
  const sweeps = options.sweeps ?? 12;
  const factors = {
    road: new Float64Array(levels.road).fill(1),
    weather: new Float64Array(levels.weather).fill(1),
    timeOfDay: new Float64Array(levels.timeOfDay).fill(1),
    mode: new Float64Array(levels.mode).fill(1),
    vehicle: new Float64Array(levels.vehicles).fill(1),
  };
  const index = { road: data.road, weather: data.weather, timeOfDay: data.timeOfDay, mode: data.mode, vehicle: data.vehicle };
  let totalEvents = 0;
  let totalMiles = 0;
  for (let i = 0; i < n; i++) {
    const e = data.events[i];
    if (!(e >= 0) || !Number.isFinite(e)) throw new DataError(`fitRiskModel: events[${i}] = ${e}`);
    totalEvents += e;
    totalMiles += data.miles[i];
  }
  if (!(totalEvents > 0)) throw new DataError("fitRiskModel: the history has no events to learn from");
  let base = totalEvents / totalMiles;
  // fitted[i] = base * miles * product of all factors, kept current as factors change.
  const fitted = new Float64Array(n);
  for (let i = 0; i < n; i++) fitted[i] = base * data.miles[i];
  let vehiclePrior = options.vehiclePrior ?? NaN;
  const names = ["road", "weather", "timeOfDay", "mode", "vehicle"] as const;
  for (let sweep = 0; sweep < sweeps; sweep++) {
    for (const name of names) {
      if (name === "vehicle" && vehiclePrior === Infinity) continue;
      const f = factors[name];
      const idx = index[name];
      const O = new Float64Array(f.length);
      const E = new Float64Array(f.length);
      for (let i = 0; i < n; i++) {
        const l = idx[i];
        O[l] += data.events[i];
        E[l] += fitted[i] / f[l];
      }
      if (name === "vehicle" && Number.isNaN(options.vehiclePrior ?? NaN)) vehiclePrior = momentFrailtyPrior(O, E);
      const prior = name === "vehicle" ? vehiclePrior : a;
      const next = new Float64Array(f.length);
      for (let l = 0; l < f.length; l++) next[l] = E[l] > 0 ? (O[l] + prior) / (E[l] + prior) : 1;
      for (let i = 0; i < n; i++) fitted[i] *= next[idx[i]] / f[idx[i]];
      f.set(next);
    }
    // The base absorbs the overall level, so the fitted total equals the observed total.
    let fittedTotal = 0;
    for (let i = 0; i < n; i++) fittedTotal += fitted[i];
    const scale = totalEvents / fittedTotal;
    base *= scale;
    for (let i = 0; i < n; i++) fitted[i] *= scale;
  }
  return riskModelFromJSON({
    kind: "trial-risk-model",
    version: 1,
    base,
    road: Array.from(factors.road),
    weather: Array.from(factors.weather),
    timeOfDay: Array.from(factors.timeOfDay),
    mode: Array.from(factors.mode),
    vehicle: Array.from(factors.vehicle),
    vehiclePrior: Number.isFinite(vehiclePrior) ? vehiclePrior : 1e12,
    historyTrips: n,
    historyEvents: totalEvents,
  });
}

/**
 * Gamma frailty shape by the method of moments: with O_v ~ Poisson(E_v z_v) and Var z = 1/k,
 * E[(O_v - E_v)^2 - O_v] = E_v^2 / k, so 1/k = sum((O - E)^2 - O) / sum(E^2). Clamped to
 * [0.25, 1e4] (1e4: no detectable vehicle heterogeneity).
 */
function momentFrailtyPrior(O: Float64Array, E: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let v = 0; v < O.length; v++) {
    const d = O[v] - E[v];
    num += d * d - O[v];
    den += E[v] * E[v];
  }
  const invK = den > 0 ? num / den : 0;
  if (!(invK > 1e-4)) return 1e4;
  return Math.min(1e4, Math.max(0.25, 1 / invK));
}
