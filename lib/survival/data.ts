/**
 * Survival input data and its validation. Every estimator in lib/survival reads its input through
 * `checkSurvivalData`, so bad rows are reported the same way everywhere: a DataError naming the
 * first few offending row indices and how many rows are at fault.
 *
 * Duration policy (a deliberate choice, documented once here):
 * - negative, NaN or infinite durations are always a data error;
 * - a duration of exactly 0 is accepted by the rank-based estimators (Kaplan-Meier, Nelson-Aalen,
 *   log-rank, Cox), as lifelines does, because they only use the ordering of times;
 * - the parametric fitters (Weibull, exponential) need log(t), so they reject durations <= 0
 *   (`positiveDurations: true`), as lifelines' `check_positivity` does.
 */

import { DataError } from "../errors.js";

/** Right-censored survival data: one duration and one event flag (1 = event, 0 = censored) per row. */
export interface SurvivalData {
  /** Time from origin to event or censoring. */
  durations: ArrayLike<number>;
  /** 1 when the event was observed, 0 when the row is right-censored. Defaults to all 1. */
  events?: ArrayLike<number | boolean>;
  /** Positive case weights (frequency weights); default 1. */
  weights?: ArrayLike<number>;
  /** Left-truncation (delayed entry) times, 0 <= entry <= duration; default 0. */
  entry?: ArrayLike<number>;
}

/** Validated copies of survival data in typed arrays. */
export interface CheckedSurvivalData {
  n: number;
  durations: Float64Array;
  events: Uint8Array;
  weights: Float64Array;
  /** Null when no entry times were given. */
  entry: Float64Array | null;
  /** True when every weight is 1. */
  unitWeights: boolean;
}

/** Options of `checkSurvivalData`. */
export interface CheckOptions {
  /** Reject durations <= 0 (parametric models need log t). */
  positiveDurations?: boolean;
  /** Reject data without any observed event. */
  requireEvents?: boolean;
  /** What the data is for, used in messages (e.g. "Weibull fit"). */
  context?: string;
}

const SHOWN_ROWS = 5;

/** Describe offending rows as "rows 3, 7, 9 (3 rows)" or "rows 1, 2, 3, 4, 5, ... (12 rows)". */
export function describeRows(rows: readonly number[]): string {
  const shown = rows.slice(0, SHOWN_ROWS).join(", ");
  const more = rows.length > SHOWN_ROWS ? ", ..." : "";
  const word = rows.length === 1 ? "row" : "rows";
  return `${word} ${shown}${more} (${rows.length} ${word})`;
}

function collectBad(n: number, isBad: (i: number) => boolean): number[] {
  const bad: number[] = [];
  for (let i = 0; i < n; i++) if (isBad(i)) bad.push(i);
  return bad;
}

function prefix(context: string | undefined): string {
  return context ? `${context}: ` : "";
}

/** Validate survival data and copy it into typed arrays; throws DataError naming the rows at fault. */
export function checkSurvivalData(data: SurvivalData, options: CheckOptions = {}): CheckedSurvivalData {
  const pre = prefix(options.context);
  if (data === null || typeof data !== "object" || data.durations === undefined || data.durations === null) {
    throw new DataError(`${pre}survival data needs a 'durations' array`);
  }
  const n = data.durations.length;
  if (n === 0) throw new DataError(`${pre}survival data is empty (0 rows)`);
  for (const key of ["events", "weights", "entry"] as const) {
    const column = data[key];
    if (column !== undefined && column !== null && column.length !== n) {
      throw new DataError(`${pre}'${key}' has ${column.length} values but 'durations' has ${n}`);
    }
  }

  const durations = new Float64Array(n);
  for (let i = 0; i < n; i++) durations[i] = Number(data.durations[i]);
  const nonFinite = collectBad(n, (i) => !Number.isFinite(durations[i]));
  if (nonFinite.length > 0) {
    const first = nonFinite[0];
    throw new DataError(`${pre}durations must be finite numbers: ${describeRows(nonFinite)}; row ${first} is ${String(data.durations[first])}`);
  }
  const badSign = options.positiveDurations
    ? collectBad(n, (i) => !(durations[i] > 0))
    : collectBad(n, (i) => durations[i] < 0);
  if (badSign.length > 0) {
    const need = options.positiveDurations ? "> 0" : ">= 0";
    throw new DataError(`${pre}durations must be ${need}: ${describeRows(badSign)}; row ${badSign[0]} is ${durations[badSign[0]]}`);
  }

  const events = new Uint8Array(n);
  if (data.events === undefined || data.events === null) {
    events.fill(1);
  } else {
    const source = data.events;
    const badEvents = collectBad(n, (i) => {
      const v = source[i];
      if (v === true || v === 1) {
        events[i] = 1;
        return false;
      }
      if (v === false || v === 0) {
        events[i] = 0;
        return false;
      }
      return true;
    });
    if (badEvents.length > 0) {
      throw new DataError(`${pre}event flags must be 0 or 1: ${describeRows(badEvents)}; row ${badEvents[0]} is ${String(source[badEvents[0]])}`);
    }
  }

  const weights = new Float64Array(n);
  let unitWeights = true;
  if (data.weights === undefined || data.weights === null) {
    weights.fill(1);
  } else {
    for (let i = 0; i < n; i++) weights[i] = Number(data.weights[i]);
    const badWeights = collectBad(n, (i) => !(Number.isFinite(weights[i]) && weights[i] > 0));
    if (badWeights.length > 0) {
      throw new DataError(`${pre}weights must be finite and > 0: ${describeRows(badWeights)}; row ${badWeights[0]} is ${String(data.weights[badWeights[0]])}`);
    }
    for (let i = 0; i < n && unitWeights; i++) if (weights[i] !== 1) unitWeights = false;
  }

  let entry: Float64Array | null = null;
  if (data.entry !== undefined && data.entry !== null) {
    entry = new Float64Array(n);
    for (let i = 0; i < n; i++) entry[i] = Number(data.entry[i]);
    const e = entry;
    const badEntry = collectBad(n, (i) => !(Number.isFinite(e[i]) && e[i] >= 0));
    if (badEntry.length > 0) {
      throw new DataError(`${pre}entry times must be finite and >= 0: ${describeRows(badEntry)}; row ${badEntry[0]} is ${String(data.entry[badEntry[0]])}`);
    }
    const late = collectBad(n, (i) => e[i] > durations[i]);
    if (late.length > 0) {
      throw new DataError(`${pre}entry time is after the duration: ${describeRows(late)}; row ${late[0]} enters at ${e[late[0]]} but ends at ${durations[late[0]]}`);
    }
  }

  if (options.requireEvents) {
    let any = false;
    for (let i = 0; i < n && !any; i++) if (events[i] === 1) any = true;
    if (!any) {
      throw new DataError(`${pre}every row is censored (event = 0 in all ${n} rows); at least one observed event is needed`);
    }
  }

  return { n, durations, events, weights, entry, unitWeights };
}

/** Named numeric covariate columns, all of the same length as the durations. */
export type Covariates = Record<string, ArrayLike<number>>;

/** Validate covariate columns and pack them row-major into one Float64Array (n x d). */
export function packCovariates(
  covariates: Covariates,
  n: number,
  names: readonly string[] | null = null,
  context?: string,
): { names: string[]; X: Float64Array; d: number } {
  const pre = prefix(context);
  if (covariates === null || typeof covariates !== "object") throw new DataError(`${pre}covariates must be an object of named columns`);
  const keys = names ? [...names] : Object.keys(covariates);
  const d = keys.length;
  const X = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const name = keys[j];
    const column = covariates[name];
    if (column === undefined || column === null) throw new DataError(`${pre}covariate '${name}' is missing`);
    if (column.length !== n) throw new DataError(`${pre}covariate '${name}' has ${column.length} values but there are ${n} rows`);
    for (let i = 0; i < n; i++) X[i * d + j] = Number(column[i]);
    const bad = collectBad(n, (i) => !Number.isFinite(X[i * d + j]));
    if (bad.length > 0) {
      throw new DataError(`${pre}covariate '${name}' must be finite: ${describeRows(bad)}; row ${bad[0]} is ${String(column[bad[0]])}`);
    }
  }
  return { names: keys, X, d };
}

/** Check that a list of evaluation times is finite; returns a Float64Array copy. */
export function checkTimes(times: ArrayLike<number>, what = "times"): Float64Array {
  const out = new Float64Array(times.length);
  for (let i = 0; i < times.length; i++) out[i] = Number(times[i]);
  const bad = collectBad(out.length, (i) => Number.isNaN(out[i]));
  if (bad.length > 0) throw new DataError(`${what} must be numbers: ${describeRows(bad).replace(/^rows?/, "positions")}`);
  return out;
}
