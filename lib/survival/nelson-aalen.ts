/**
 * Nelson-Aalen cumulative hazard, computed as lifelines' NelsonAalenFitter does. Its default
 * (`nelson_aalen_smoothing=True`) treats d tied events among n at risk as if they happened one
 * after another:
 *
 *   dH = sum_{k=0}^{d-1} 1/(n-k),   dVar = sum_{k=0}^{d-1} 1/(n-k)^2,
 *
 * and the "discrete" variant uses dH = d/n, dVar = (1 - d/n)(d/n)/n. The interval is the
 * log-transformed one, H exp(-/+ z sqrt(Var) / H). The smoothed form needs whole-number counts,
 * so weighted data is only accepted with integer weights there.
 */

import { checkSurvivalData, checkTimes, type SurvivalData } from "./data.js";
import { buildEventTable, type EventTable } from "./event-table.js";
import { criticalZ } from "./distributions.js";
import { populationForIncrements, stepLookup } from "./kaplan-meier.js";
import { decodeArray, decodeNumber, encodeArray, expectKind, type JsonNumber } from "./serialize.js";
import { DataError } from "../errors.js";

/** Options of `fitNelsonAalen`. */
export interface NelsonAalenOptions {
  /** 1 - interval level; default 0.05. */
  alpha?: number;
  /** Tie handling: "smooth" (lifelines' default) or "discrete" (d/n). */
  ties?: "smooth" | "discrete";
}

const KIND = "survival.nelsonAalen";
const VERSION = 1;

/** A fitted Nelson-Aalen cumulative hazard. */
export class NelsonAalenFit {
  readonly kind = KIND;
  readonly eventTable: EventTable;
  readonly cumulativeHazard: Float64Array;
  readonly variance: Float64Array;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly alpha: number;
  readonly ties: "smooth" | "discrete";

  constructor(fields: { eventTable: EventTable; cumulativeHazard: Float64Array; variance: Float64Array; lower: Float64Array; upper: Float64Array; alpha: number; ties: "smooth" | "discrete" }) {
    this.eventTable = fields.eventTable;
    this.cumulativeHazard = fields.cumulativeHazard;
    this.variance = fields.variance;
    this.lower = fields.lower;
    this.upper = fields.upper;
    this.alpha = fields.alpha;
    this.ties = fields.ties;
  }

  /** The time axis of the estimate (the event-table times). */
  get timeline(): Float64Array {
    return this.eventTable.time;
  }

  /** H(t) at arbitrary times (right-continuous step function; 0 before the first timeline point). */
  cumulativeHazardAt(times: ArrayLike<number>): Float64Array {
    return stepLookup(this.timeline, this.cumulativeHazard, checkTimes(times), 0);
  }

  /** Plain JSON form (kind + schema version). */
  toJSON(): NelsonAalenJSON {
    const et = this.eventTable;
    return {
      kind: KIND,
      version: VERSION,
      alpha: this.alpha,
      ties: this.ties,
      eventTable: {
        time: encodeArray(et.time),
        removed: encodeArray(et.removed),
        observed: encodeArray(et.observed),
        censored: encodeArray(et.censored),
        entrance: encodeArray(et.entrance),
        atRisk: encodeArray(et.atRisk),
      },
      cumulativeHazard: encodeArray(this.cumulativeHazard),
      variance: encodeArray(this.variance),
      lower: encodeArray(this.lower),
      upper: encodeArray(this.upper),
    };
  }

  /** Load a fit saved by `toJSON`. */
  static fromJSON(json: unknown): NelsonAalenFit {
    const r = expectKind(json, KIND, VERSION);
    const et = r.eventTable as Record<string, unknown>;
    const ties = r.ties === "discrete" ? "discrete" : "smooth";
    return new NelsonAalenFit({
      alpha: decodeNumber(r.alpha, "alpha"),
      ties,
      eventTable: {
        time: decodeArray(et?.time, "eventTable.time"),
        removed: decodeArray(et?.removed, "eventTable.removed"),
        observed: decodeArray(et?.observed, "eventTable.observed"),
        censored: decodeArray(et?.censored, "eventTable.censored"),
        entrance: decodeArray(et?.entrance, "eventTable.entrance"),
        atRisk: decodeArray(et?.atRisk, "eventTable.atRisk"),
      },
      cumulativeHazard: decodeArray(r.cumulativeHazard, "cumulativeHazard"),
      variance: decodeArray(r.variance, "variance"),
      lower: decodeArray(r.lower, "lower"),
      upper: decodeArray(r.upper, "upper"),
    });
  }
}

/** JSON form of a Nelson-Aalen fit. */
export interface NelsonAalenJSON {
  kind: typeof KIND;
  version: typeof VERSION;
  alpha: number;
  ties: "smooth" | "discrete";
  eventTable: Record<keyof EventTable, JsonNumber[]>;
  cumulativeHazard: JsonNumber[];
  variance: JsonNumber[];
  lower: JsonNumber[];
  upper: JsonNumber[];
}

/** Fit the Nelson-Aalen cumulative hazard with its variance and log-transformed intervals. */
export function fitNelsonAalen(data: SurvivalData, options: NelsonAalenOptions = {}): NelsonAalenFit {
  const alpha = options.alpha ?? 0.05;
  const ties = options.ties ?? "smooth";
  const z = criticalZ(alpha);
  const checked = checkSurvivalData(data, { context: "Nelson-Aalen" });
  if (ties === "smooth" && !checked.unitWeights) {
    for (let i = 0; i < checked.n; i++) {
      if (!Number.isInteger(checked.weights[i])) {
        throw new DataError(`Nelson-Aalen: ties "smooth" needs whole-number weights; row ${i} has weight ${checked.weights[i]} (use ties: "discrete")`);
      }
    }
  }
  const et = buildEventTable(checked);
  const m = et.time.length;
  const pop = populationForIncrements(et);
  const H = new Float64Array(m);
  const V = new Float64Array(m);
  const lower = new Float64Array(m);
  const upper = new Float64Array(m);
  let h = 0;
  let v = 0;
  for (let i = 0; i < m; i++) {
    const n = pop[i];
    const d = et.observed[i];
    if (n > 0 && d > 0) {
      if (ties === "smooth") {
        for (let k = 0; k < d; k++) {
          const r = n - k;
          h += 1 / r;
          v += 1 / (r * r);
        }
      } else {
        h += d / n;
        v += (1 - d / n) * (d / n) * (1 / n);
      }
    }
    H[i] = h;
    V[i] = v;
    // lifelines divides by 1 where H = 0 so the interval collapses to [0, 0] there.
    const scale = (z * Math.sqrt(v)) / (h === 0 ? 1 : h);
    lower[i] = h * Math.exp(-scale);
    upper[i] = h * Math.exp(scale);
  }
  return new NelsonAalenFit({ eventTable: et, cumulativeHazard: H, variance: V, lower, upper, alpha, ties });
}
