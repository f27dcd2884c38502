/**
 * The simulated world a trial samples from, built once per study with the fleet generator
 * (lib/simulate/fleet.ts): a fleet with gamma frailty, covariates and per-trip true hazards, run
 * for a history period (fully reviewed; the risk model is fitted on it) followed by a monitoring
 * period (where the designs sample a review budget per day). The world holds the monitoring trips'
 * covariates, their true baseline hazard mu_i (no regression) and the model's predicted risk.
 *
 * A replicate then draws the critical-event outcomes of the monitoring trips afresh, with its own
 * injected regression (onset, hazard ratio, scope), from the true hazards: trips and covariates are
 * a fixed finite population, outcomes and regressions are random (a superpopulation model). That
 * keeps a replicate cheap (the fleet is simulated once) while every replicate is a new world of
 * outcomes; the fleet's own injected-regression machinery is not used because each replicate needs
 * its own onset.
 *
 * Arrays live on SharedArrayBuffers so worker threads read them without copies.
 */
import { z } from "zod";
import { DataError } from "../errors.js";
import { createFleetSimulation, ROAD_TYPES, WEATHER, TIMES_OF_DAY, DRIVING_MODES } from "../simulate/fleet.js";
import type { Rng } from "../util/random.js";
import { fitRiskModel, type RiskModelJSON } from "./risk-model.js";

/** Config of the simulated world. */
export const TrialWorldSchema = z
  .object({
    vehicles: z.number().int().min(1).max(1_000_000).default(1000),
    tripsPerDay: z.number().int().min(10).max(2_000_000).default(10_000),
    /** Fully reviewed days the risk model is fitted on. */
    historyDays: z.number().int().min(1).max(3650).default(30),
    /** Days monitored under the review budget. */
    monitorDays: z.number().int().min(5).max(3650).default(60),
    /** Expected critical events per trip at baseline (about 0.1% of trips). */
    criticalRatePerTrip: z.number().gt(0).lt(1).default(0.001),
    /** Gamma frailty shape of vehicles (variance 1/shape). */
    frailtyShape: z.number().positive().default(2),
    /** Pilot trips of the fleet generator's hazard calibration. */
    calibrationTrips: z.number().int().min(1000).default(20_000),
  })
  .strict();

/** World config as written by a user. */
export type TrialWorldConfigInput = z.input<typeof TrialWorldSchema>;
/** World config with defaults applied. */
export type TrialWorldConfig = z.output<typeof TrialWorldSchema>;

/** Number of adaptive groups: road type x dominant driving mode. */
export const GROUPS = ROAD_TYPES.length * DRIVING_MODES.length;

/** The monitoring-period population and what is known about it. */
export interface TrialWorld {
  readonly config: TrialWorldConfig;
  /** Monitoring days. */
  readonly days: number;
  /** Monitoring trips (sorted by day). */
  readonly trips: number;
  /** Trips of day t are dayStart[t] .. dayStart[t + 1] - 1. */
  readonly dayStart: Int32Array;
  readonly miles: Float64Array;
  /** Road type code (ROAD_TYPES order). */
  readonly road: Uint8Array;
  /** Adaptive group: road * 3 + dominant mode. */
  readonly group: Uint8Array;
  /** True expected critical events without regression. */
  readonly baseline: Float64Array;
  /** exp(-baseline): the probability of no event, precomputed for outcome draws. */
  readonly pNone: Float64Array;
  /** Model-predicted expected critical events (what designs see). */
  readonly risk: Float64Array;
  /** The fitted risk model. */
  readonly model: RiskModelJSON;
  /** Summary numbers of the world. */
  readonly summary: Record<string, number>;
}

function sharedF64(n: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(Math.max(8, n * 8)), 0, n);
}
function sharedU8(n: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(Math.max(8, n)), 0, n);
}
function sharedI32(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(Math.max(8, n * 4)), 0, n);
}

/** Simulate the fleet, fit the risk model on the history and keep the monitoring population. */
export function buildTrialWorld(input: TrialWorldConfigInput, rng: Rng): TrialWorld {
  const config = TrialWorldSchema.parse(input);
  const H = config.historyDays;
  const T = config.monitorDays;
  const sim = createFleetSimulation(
    {
      days: H + T,
      tripsPerDay: config.tripsPerDay,
      vehicles: config.vehicles,
      criticalRatePerTrip: config.criticalRatePerTrip,
      frailtyShape: config.frailtyShape,
      calibrationTrips: config.calibrationTrips,
      // One firmware and no fleet-injected regressions: the monitoring period is in control unless a
      // replicate injects its own regression, so every alarm is scored against known truth.
      firmware: [{ version: "1.0.0", releaseDay: 0, rolloutMeanDays: 0, hazardRatio: 1 }],
      regressions: [],
    },
    rng,
  );
  const nh = H * config.tripsPerDay;
  const nm = T * config.tripsPerDay;
  const hist = {
    miles: new Float64Array(nh),
    road: new Uint8Array(nh),
    weather: new Uint8Array(nh),
    timeOfDay: new Uint8Array(nh),
    mode: new Uint8Array(nh),
    vehicle: new Int32Array(nh),
    events: new Float64Array(nh),
  };
  const mon = {
    day: new Int32Array(nm),
    miles: sharedF64(nm),
    road: sharedU8(nm),
    weather: new Uint8Array(nm),
    timeOfDay: new Uint8Array(nm),
    mode: new Uint8Array(nm),
    vehicle: new Int32Array(nm),
    baseline: sharedF64(nm),
  };
  let ih = 0;
  let im = 0;
  for (const block of sim.blocks()) {
    const c = block.trips.columns;
    const truth = block.tripTruth.columns;
    for (let i = 0; i < block.trips.length; i++) {
      // Dominant mode by minutes (ties to the lower code).
      const m0 = c.manual_min[i];
      const m1 = c.assisted_min[i];
      const m2 = c.autonomous_min[i];
      const mode = m2 > m1 && m2 > m0 ? 2 : m1 > m0 ? 1 : 0;
      if (c.day[i] < H) {
        hist.miles[ih] = c.miles[i];
        hist.road[ih] = c.road_type[i];
        hist.weather[ih] = c.weather[i];
        hist.timeOfDay[ih] = c.time_of_day[i];
        hist.mode[ih] = mode;
        hist.vehicle[ih] = c.vehicle_id[i] - 1;
        hist.events[ih] = c.critical_events[i];
        ih++;
      } else {
        mon.day[im] = c.day[i] - H;
        mon.miles[im] = c.miles[i];
        mon.road[im] = c.road_type[i];
        mon.weather[im] = c.weather[i];
        mon.timeOfDay[im] = c.time_of_day[i];
        mon.mode[im] = mode;
        mon.vehicle[im] = c.vehicle_id[i] - 1;
        mon.baseline[im] = truth.baseline_hazard[i];
        im++;
      }
    }
  }
  if (ih !== nh || im !== nm) throw new DataError(`fleet produced ${ih} history and ${im} monitoring trips, expected ${nh} and ${nm}`);
  const model = fitRiskModel(hist, { road: ROAD_TYPES.length, weather: WEATHER.length, timeOfDay: TIMES_OF_DAY.length, mode: DRIVING_MODES.length, vehicles: config.vehicles });
  const dayStart = sharedI32(T + 1);
  for (let i = 0, t = 0; t <= T; t++) {
    while (i < nm && mon.day[i] < t) i++;
    dayStart[t] = i;
  }
  const risk = sharedF64(nm);
  const group = sharedU8(nm);
  const pNone = sharedF64(nm);
  let sumRisk = 0;
  let sumBase = 0;
  let sumRisk2 = 0;
  let cross = 0;
  let sumBase2 = 0;
  for (let i = 0; i < nm; i++) {
    const r = model.predict(mon.miles[i], mon.road[i], mon.weather[i], mon.timeOfDay[i], mon.mode[i], mon.vehicle[i]);
    risk[i] = r;
    group[i] = mon.road[i] * DRIVING_MODES.length + mon.mode[i];
    pNone[i] = Math.exp(-mon.baseline[i]);
    sumRisk += r;
    sumRisk2 += r * r;
    sumBase += mon.baseline[i];
    sumBase2 += mon.baseline[i] * mon.baseline[i];
    cross += r * mon.baseline[i];
  }
  const meanR = sumRisk / nm;
  const meanB = sumBase / nm;
  const corr = (cross / nm - meanR * meanB) / Math.sqrt((sumRisk2 / nm - meanR * meanR) * (sumBase2 / nm - meanB * meanB));
  return {
    config,
    days: T,
    trips: nm,
    dayStart,
    miles: mon.miles,
    road: mon.road,
    group,
    baseline: mon.baseline,
    pNone,
    risk,
    model: model.toJSON(),
    summary: {
      history_trips: nh,
      history_events: model.historyEvents,
      monitor_trips: nm,
      monitor_expected_events: sumBase,
      monitor_events_per_trip: meanB,
      model_total_over_truth: sumRisk / sumBase,
      // How unequal true risk is: the information gain of sampling proportional to risk under a
      // proportional-hazards model is E[mu^2] / E[mu]^2 = 1 + cv^2.
      baseline_cv2: sumBase2 / nm / (meanB * meanB) - 1,
      risk_cv2: sumRisk2 / nm / (meanR * meanR) - 1,
      risk_truth_correlation: corr,
      vehicle_prior: model.vehiclePrior,
    },
  };
}
