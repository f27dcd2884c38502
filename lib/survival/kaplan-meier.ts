/**
 * Kaplan-Meier survival estimate with Greenwood variance, computed as lifelines'
 * KaplanMeierFitter does:
 *
 *   log S(t) = sum over event times t_i <= t of log((n_i - d_i) / n_i),
 *   V(t)     = sum d_i / (n_i (n_i - d_i))               (Greenwood, on the log S scale),
 *
 * where n_i excludes entrants arriving at t_i (except at the first table row), so late entries
 * are counted only after that time's events (lifelines issue 497). The default interval is the
 * "exponential Greenwood" (log(-log S)) interval, R's conf.type = "log-log":
 *
 *   exp(-exp(log(-log S) -/+ z sqrt(V) / log S)),
 *
 * which is 1 where S = 1 and stays inside [0, 1]. The curve is defined at every row of the event
 * table (the timeline, starting at 0) and is a right-continuous step function between them.
 */

import { checkSurvivalData, checkTimes, type SurvivalData } from "./data.js";
import { buildEventTable, lastIndexAtOrBefore, type EventTable } from "./event-table.js";
import { criticalZ } from "./distributions.js";
import { decodeArray, decodeNumber, encodeArray, expectKind, type JsonNumber } from "./serialize.js";

/** Options of `fitKaplanMeier`. */
export interface KaplanMeierOptions {
  /** 1 - interval level; default 0.05. */
  alpha?: number;
}

/** A point-wise table of the survival curve at requested times. */
export interface AtRiskRow {
  time: number;
  /** Number still at risk after the removals at or before `time` (lifelines' default). */
  atRisk: number;
  /** Cumulative number censored up to and including `time`. */
  censored: number;
  /** Cumulative number of events up to and including `time`. */
  events: number;
}

/** Options of `atRiskTable`. */
export interface AtRiskOptions {
  /** Count those at risk at the start of the period containing `time` instead of after its removals. */
  fromStartOfPeriod?: boolean;
}

const KIND = "survival.kaplanMeier";
const VERSION = 1;

/** A fitted Kaplan-Meier curve (plain data + methods). */
export class KaplanMeierFit {
  readonly kind = KIND;
  /** Event table the estimate is computed from (timeline = `eventTable.time`). */
  readonly eventTable: EventTable;
  /** S(t) at each timeline point. */
  readonly survival: Float64Array;
  /** Greenwood sum V(t) = sum d/(n(n-d)) at each timeline point (variance of log S). */
  readonly varianceLogSurvival: Float64Array;
  /** Lower and upper log(-log) interval bounds at each timeline point. */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly alpha: number;

  constructor(fields: { eventTable: EventTable; survival: Float64Array; varianceLogSurvival: Float64Array; lower: Float64Array; upper: Float64Array; alpha: number }) {
    this.eventTable = fields.eventTable;
    this.survival = fields.survival;
    this.varianceLogSurvival = fields.varianceLogSurvival;
    this.lower = fields.lower;
    this.upper = fields.upper;
    this.alpha = fields.alpha;
  }

  /** The time axis of the estimate (the event-table times). */
  get timeline(): Float64Array {
    return this.eventTable.time;
  }

  /** Greenwood variance of S(t) itself, S(t)^2 V(t), at each timeline point. */
  get varianceSurvival(): Float64Array {
    const out = new Float64Array(this.survival.length);
    for (let i = 0; i < out.length; i++) out[i] = this.survival[i] * this.survival[i] * this.varianceLogSurvival[i];
    return out;
  }

  /** Median survival time: the first time S(t) <= 0.5, or Infinity if the curve never gets there. */
  get medianSurvivalTime(): number {
    return this.percentile(0.5);
  }

  /** The first timeline point where S(t) <= p (Infinity if S stays above p), as lifelines' qth_survival_time. */
  percentile(p: number): number {
    const s = this.survival;
    if (s[s.length - 1] > p) return Infinity;
    for (let i = 0; i < s.length; i++) if (s[i] <= p) return this.timeline[i];
    return Infinity;
  }

  /** S(t) at arbitrary times (step function, right-continuous; 1 before the first timeline point). */
  survivalAt(times: ArrayLike<number>): Float64Array {
    return stepLookup(this.timeline, this.survival, checkTimes(times), 1);
  }

  /** Interval bounds at arbitrary times, read off the step function like `survivalAt`. */
  intervalAt(times: ArrayLike<number>): { lower: Float64Array; upper: Float64Array } {
    const t = checkTimes(times);
    return { lower: stepLookup(this.timeline, this.lower, t, 1), upper: stepLookup(this.timeline, this.upper, t, 1) };
  }

  /** Number at risk, censored and observed at chosen times, as lifelines' add_at_risk_counts reports them. */
  atRiskTable(times: ArrayLike<number>, options: AtRiskOptions = {}): AtRiskRow[] {
    const t = checkTimes(times);
    const et = this.eventTable;
    const rows: AtRiskRow[] = [];
    for (let k = 0; k < t.length; k++) {
      const last = lastIndexAtOrBefore(et.time, t[k]);
      let censored = 0;
      let events = 0;
      for (let i = 0; i <= last; i++) {
        censored += et.censored[i];
        events += et.observed[i];
      }
      const atRisk = last < 0 ? 0 : options.fromStartOfPeriod ? et.atRisk[last] : et.atRisk[last] - et.removed[last];
      rows.push({ time: t[k], atRisk, censored, events });
    }
    return rows;
  }

  /** The survival-function table: one row per timeline point with counts, estimate and interval. */
  table(): Array<{ time: number; atRisk: number; observed: number; censored: number; entrance: number; survival: number; lower: number; upper: number }> {
    const et = this.eventTable;
    const out = [];
    for (let i = 0; i < et.time.length; i++) {
      out.push({
        time: et.time[i],
        atRisk: et.atRisk[i],
        observed: et.observed[i],
        censored: et.censored[i],
        entrance: et.entrance[i],
        survival: this.survival[i],
        lower: this.lower[i],
        upper: this.upper[i],
      });
    }
    return out;
  }

  /** Plain JSON form (kind + schema version). */
  toJSON(): KaplanMeierJSON {
    const et = this.eventTable;
    return {
      kind: KIND,
      version: VERSION,
      alpha: this.alpha,
      eventTable: {
        time: encodeArray(et.time),
        removed: encodeArray(et.removed),
        observed: encodeArray(et.observed),
        censored: encodeArray(et.censored),
        entrance: encodeArray(et.entrance),
        atRisk: encodeArray(et.atRisk),
      },
      survival: encodeArray(this.survival),
      varianceLogSurvival: encodeArray(this.varianceLogSurvival),
      lower: encodeArray(this.lower),
      upper: encodeArray(this.upper),
    };
  }

  /** Load a fit saved by `toJSON`. */
  static fromJSON(json: unknown): KaplanMeierFit {
    const r = expectKind(json, KIND, VERSION);
    const et = r.eventTable as Record<string, unknown>;
    return new KaplanMeierFit({
      alpha: decodeNumber(r.alpha, "alpha"),
      eventTable: {
        time: decodeArray(et?.time, "eventTable.time"),
        removed: decodeArray(et?.removed, "eventTable.removed"),
        observed: decodeArray(et?.observed, "eventTable.observed"),
        censored: decodeArray(et?.censored, "eventTable.censored"),
        entrance: decodeArray(et?.entrance, "eventTable.entrance"),
        atRisk: decodeArray(et?.atRisk, "eventTable.atRisk"),
      },
      survival: decodeArray(r.survival, "survival"),
      varianceLogSurvival: decodeArray(r.varianceLogSurvival, "varianceLogSurvival"),
      lower: decodeArray(r.lower, "lower"),
      upper: decodeArray(r.upper, "upper"),
    });
  }
}

/** JSON form of a Kaplan-Meier fit. */
export interface KaplanMeierJSON {
  kind: typeof KIND;
  version: typeof VERSION;
  alpha: number;
  eventTable: Record<keyof EventTable, JsonNumber[]>;
  survival: JsonNumber[];
  varianceLogSurvival: JsonNumber[];
  lower: JsonNumber[];
  upper: JsonNumber[];
}

/** Read a right-continuous step function defined on `grid` at `times`; `before` is returned left of the grid. */
export function stepLookup(grid: Float64Array, values: Float64Array, times: Float64Array, before: number): Float64Array {
  const out = new Float64Array(times.length);
  for (let k = 0; k < times.length; k++) {
    const i = lastIndexAtOrBefore(grid, times[k]);
    out[k] = i < 0 ? before : values[i];
  }
  return out;
}

/**
 * Population at risk for each event-table row as lifelines' `_additive_estimate` uses it: entrants at
 * a row join after that row's events, except at the first row where they are the initial cohort.
 */
export function populationForIncrements(et: EventTable): Float64Array {
  const pop = new Float64Array(et.time.length);
  for (let i = 0; i < pop.length; i++) pop[i] = et.atRisk[i] - (i === 0 ? 0 : et.entrance[i]);
  return pop;
}

/** Fit a Kaplan-Meier curve with Greenwood variance and log(-log) intervals. */
export function fitKaplanMeier(data: SurvivalData, options: KaplanMeierOptions = {}): KaplanMeierFit {
  const alpha = options.alpha ?? 0.05;
  const z = criticalZ(alpha);
  const checked = checkSurvivalData(data, { context: "Kaplan-Meier" });
  const et = buildEventTable(checked);
  const m = et.time.length;
  const pop = populationForIncrements(et);
  const survival = new Float64Array(m);
  const variance = new Float64Array(m);
  const lower = new Float64Array(m);
  const upper = new Float64Array(m);
  let logS = 0;
  let v = 0;
  for (let i = 0; i < m; i++) {
    const n = pop[i];
    const d = et.observed[i];
    // An empty risk set (possible with late entry) carries the previous value forward, as lifelines' ffill does.
    if (n > 0 && d > 0) {
      logS += Math.log(n - d) - Math.log(n);
      // When everyone at risk dies the Greenwood term is infinite; lifelines sets it to 0 (S is 0 from then on).
      if (n > d) v += d / (n * (n - d));
    }
    survival[i] = Math.exp(logS);
    variance[i] = v;
    const bounds = logLogInterval(logS, v, z);
    lower[i] = bounds[0];
    upper[i] = bounds[1];
  }
  return new KaplanMeierFit({ eventTable: et, survival, varianceLogSurvival: variance, lower, upper, alpha });
}

function logLogInterval(logS: number, v: number, z: number): [number, number] {
  // lifelines evaluates the formula and fills NaN (S = 1, log S = 0) with 1; reproduce its edge values.
  const a = Math.log(-logS);
  const b = (z * Math.sqrt(v)) / logS;
  const lo = Math.exp(-Math.exp(a - b));
  const hi = Math.exp(-Math.exp(a + b));
  return [Number.isNaN(lo) ? 1 : lo, Number.isNaN(hi) ? 1 : hi];
}
