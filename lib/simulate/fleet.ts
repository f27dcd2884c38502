/**
 * Fleet safety telemetry in the manner of the reference safety platform: vehicles with gamma frailty,
 * trips per day with exposure (miles, minutes), driving-mode transitions (manual, assisted, autonomous),
 * covariates (firmware with staged rollout, weather, road type, time of day) acting multiplicatively on
 * the hazard, per-trip events (harsh brake, safety intervention, near miss, collision) and injected safety
 * regressions. The ground truth (regression episodes, every trip's true hazard, a daily true-hazard table
 * per firmware and road type) comes with the data.
 *
 * Hazard model. The expected number of critical events (near misses + collisions) on trip i is
 *   mu_i = h0 * miles_i * m_road * m_weather * m_timeOfDay * m_firmware * m_mode_i * frailty_v * HR_i(day),
 * critical counts are Poisson(mu_i) split into near misses and collisions by `collisionShare`, m_mode_i is
 * the minute-weighted mode hazard ratio of the trip, frailty_v ~ Gamma(k, 1/k) (mean 1, variance 1/k) and
 * HR_i the product of the hazard ratios of the regression episodes that cover the trip. h0 (per mile) is
 * calibrated once per config on a pilot sample so that a trip on the initial firmware, with frailty 1 and
 * no regression, has on average `criticalRatePerTrip` expected critical events: that is the stated true
 * per-trip hazard (default 0.001, i.e. about 0.1% of trips).
 */
import { z } from "zod";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "../errors.js";
import type { Rng } from "../util/random.js";
import { DAY_MS, clamp, isoInstant, parseConfig, parseInstant, pickWeighted, quantize } from "./common.js";
import { type Chunk, type RowOf, allocChunk, defineTable, truncateChunk, concatChunks } from "./table.js";
import { writeTable, type TableFormat, type WriteResult } from "./write.js";

/** Road types, in code order. */
export const ROAD_TYPES = ["highway", "urban", "suburban", "rural"] as const;
/** Weather states, in code order. */
export const WEATHER = ["clear", "rain", "snow", "fog"] as const;
/** Time-of-day bands (local hours [0,6), [6,10), [10,16), [16,20), [20,24)), in code order. */
export const TIMES_OF_DAY = ["night", "morning_peak", "midday", "evening_peak", "late_evening"] as const;
/** Driving modes, in code order. */
export const DRIVING_MODES = ["manual", "assisted", "autonomous"] as const;
/** Event types, in code order. */
export const EVENT_TYPES = ["harsh_brake", "safety_intervention", "near_miss", "collision"] as const;
/** Event severities, in code order. */
export const SEVERITIES = ["minor", "moderate", "critical"] as const;

const TOD_BOUNDS = [0, 6, 10, 16, 20, 24];
const TOD_UPPER = Float64Array.of(6, 10, 16, 20, 24);
/** Default firmware labels (the tables built for a config carry that config's versions). */
const DEFAULT_FIRMWARE: readonly string[] = ["4.1.0", "4.2.0", "4.3.0"];

const hazardRatios = <K extends string>(keys: readonly K[], defaults: readonly number[]) =>
  z
    .object(Object.fromEntries(keys.map((k, i) => [k, z.number().positive().default(defaults[i])])) as Record<K, z.ZodDefault<z.ZodNumber>>)
    .strict()
    // Every key has a default, but TypeScript cannot see that through the generic K.
    .prefault({} as never);

const probabilities = <K extends string>(keys: readonly K[], defaults: readonly number[]) =>
  z
    .object(Object.fromEntries(keys.map((k, i) => [k, z.number().min(0).default(defaults[i])])) as Record<K, z.ZodDefault<z.ZodNumber>>)
    .strict()
    .prefault({} as never);

const firmwareVersion = z
  .object({
    version: z.string().min(1),
    /** Day the version is released (<= 0: installed on every vehicle from the start). */
    releaseDay: z.number().int(),
    /** Mean delay (days, exponential) between release and a vehicle installing it. */
    rolloutMeanDays: z.number().min(0).default(7),
    hazardRatio: z.number().positive().default(1),
  })
  .strict();

const regression = z
  .object({
    name: z.string().optional(),
    onsetDay: z.number().int().min(0),
    durationDays: z.number().int().min(1),
    hazardRatio: z.number().positive(),
    /** Affected vehicles by id (default: all, subject to vehicleFraction). */
    vehicleIds: z.array(z.number().int().min(1)).optional(),
    /** Share of vehicles affected, drawn at random when vehicleIds is absent. */
    vehicleFraction: z.number().gt(0).max(1).default(1),
    /** Affected firmware versions (default: all). */
    firmware: z.array(z.string()).optional(),
    /** Affected road types (default: all). */
    roadTypes: z.array(z.enum(ROAD_TYPES)).optional(),
  })
  .strict();

/** Config of the fleet generator (defaults: 200 vehicles, 90 days x 1000 trips/day, one regression). */
export const FleetConfigSchema = z
  .object({
    days: z.number().int().min(1).max(100_000).default(90),
    tripsPerDay: z.number().int().min(1).max(50_000_000).default(1000),
    vehicles: z.number().int().min(1).max(10_000_000).default(200),
    start: isoInstant.default("2025-01-01"),
    /** Expected critical events on a trip on the initial firmware with frailty 1 and no regression. */
    criticalRatePerTrip: z.number().gt(0).lt(1).default(0.001),
    /** Gamma frailty shape k (mean 1, variance 1/k). */
    frailtyShape: z.number().positive().default(2),
    /** Share of critical events that are collisions (the rest are near misses). */
    collisionShare: z.number().min(0).max(1).default(0.15),
    harshBrakesPerMile: z.number().min(0).default(0.02),
    interventionsPerAutonomousHour: z.number().min(0).default(0.05),
    /** Interventions scale with HR^this during regressions (a leading indicator; 0 = unaffected). */
    interventionRegressionExponent: z.number().min(0).default(0.5),
    roadTypeProbabilities: probabilities(ROAD_TYPES, [0.3, 0.35, 0.25, 0.1]),
    roadTypeHazardRatios: hazardRatios(ROAD_TYPES, [0.7, 1.4, 1.0, 1.2]),
    weatherHazardRatios: hazardRatios(WEATHER, [1, 1.5, 2.2, 1.7]),
    /** Day-to-day weather Markov chain: probability of keeping the same weather; else drawn from weatherMix. */
    weatherPersistence: z.number().min(0).max(1).default(0.7),
    weatherMix: probabilities(WEATHER, [0.65, 0.2, 0.08, 0.07]),
    timeOfDayProbabilities: probabilities(TIMES_OF_DAY, [0.06, 0.27, 0.33, 0.24, 0.1]),
    timeOfDayHazardRatios: hazardRatios(TIMES_OF_DAY, [1.6, 1.1, 0.9, 1.15, 1.3]),
    modeHazardRatios: hazardRatios(DRIVING_MODES, [1, 0.8, 0.6]),
    firmware: z
      .array(firmwareVersion)
      .min(1)
      .max(255)
      .default([
        { version: "4.1.0", releaseDay: 0, rolloutMeanDays: 0, hazardRatio: 1 },
        { version: "4.2.0", releaseDay: 20, rolloutMeanDays: 7, hazardRatio: 0.9 },
        { version: "4.3.0", releaseDay: 55, rolloutMeanDays: 7, hazardRatio: 0.95 },
      ]),
    regressions: z.array(regression).max(31).default([{ name: "default", onsetDay: 60, durationDays: 14, hazardRatio: 2, vehicleFraction: 1 }]),
    /** Trips per emitted chunk. */
    chunkRows: z.number().int().min(1).default(65_536),
    /** Trips in the pilot sample that calibrates h0. */
    calibrationTrips: z.number().int().min(1000).default(50_000),
  })
  .strict();

/** Fleet config as written by a user. */
export type FleetConfigInput = z.input<typeof FleetConfigSchema>;
/** Fleet config with defaults applied. */
export type FleetConfig = z.output<typeof FleetConfigSchema>;

/** The trips table: one row per trip. */
export const FLEET_TRIPS_TABLE = defineTable({
  name: "fleet_trips",
  description: "Fleet trips with exposure, covariates, driving-mode time and event counts; ordered by start time.",
  key: ["trip_id"],
  orderedBy: { column: "start_ts", groupBy: ["vehicle_id"] },
  columns: [
    { name: "trip_id", type: "int32", description: "Trip number (1-based, in start-time order)", min: 1 },
    { name: "vehicle_id", type: "int32", description: "Vehicle number (1-based)", min: 1 },
    { name: "day", type: "int32", description: "Day index from the start date (0-based)", min: 0 },
    { name: "start_ts", type: "timestamp", description: "Trip start (UTC)" },
    { name: "duration_min", type: "float64", decimals: 1, description: "Trip duration", unit: "min", min: 0 },
    { name: "miles", type: "float64", decimals: 2, description: "Distance driven", unit: "mi", min: 0 },
    { name: "firmware", type: "category", description: "Firmware version installed", categories: DEFAULT_FIRMWARE },
    { name: "weather", type: "category", description: "Weather", categories: WEATHER },
    { name: "road_type", type: "category", description: "Predominant road type", categories: ROAD_TYPES },
    { name: "time_of_day", type: "category", description: "Start time band", categories: TIMES_OF_DAY },
    { name: "start_mode", type: "category", description: "Driving mode at trip start", categories: DRIVING_MODES },
    { name: "manual_min", type: "float64", decimals: 1, description: "Minutes in manual mode", unit: "min", min: 0 },
    { name: "assisted_min", type: "float64", decimals: 1, description: "Minutes in assisted mode", unit: "min", min: 0 },
    { name: "autonomous_min", type: "float64", decimals: 1, description: "Minutes in autonomous mode", unit: "min", min: 0 },
    { name: "mode_transitions", type: "int32", description: "Driving-mode changes during the trip", min: 0 },
    { name: "disengagements", type: "int32", description: "Autonomous-to-manual transitions", min: 0 },
    { name: "harsh_brakes", type: "int32", description: "Harsh braking events", min: 0 },
    { name: "safety_interventions", type: "int32", description: "Safety interventions (safety driver or system takeovers)", min: 0 },
    { name: "near_misses", type: "int32", description: "Near misses (critical)", min: 0 },
    { name: "collisions", type: "int32", description: "Collisions (critical)", min: 0 },
    { name: "critical_events", type: "int32", description: "near_misses + collisions", min: 0 },
  ],
});

/** The events table: one row per event. */
export const FLEET_EVENTS_TABLE = defineTable({
  name: "fleet_events",
  description: "Safety events, one row per event, ordered by trip then time.",
  key: ["event_id"],
  orderedBy: { column: "event_ts", groupBy: ["trip_id"] },
  columns: [
    { name: "event_id", type: "int32", description: "Event number (1-based)", min: 1 },
    { name: "trip_id", type: "int32", description: "Trip the event happened on", min: 1 },
    { name: "vehicle_id", type: "int32", description: "Vehicle number", min: 1 },
    { name: "day", type: "int32", description: "Day index", min: 0 },
    { name: "event_ts", type: "timestamp", description: "Event time (UTC)" },
    { name: "event_type", type: "category", description: "Event type", categories: EVENT_TYPES },
    { name: "severity", type: "category", description: "Severity", categories: SEVERITIES },
    { name: "critical", type: "bool", description: "Near miss or collision" },
    { name: "driving_mode", type: "category", description: "Driving mode when the event happened", categories: DRIVING_MODES },
  ],
});

/** Per-trip ground truth (kept out of the trips table so models cannot see it). */
export const FLEET_TRIP_TRUTH_TABLE = defineTable({
  name: "fleet_trip_truth",
  description: "True expected critical events per trip, with and without injected regressions.",
  key: ["trip_id"],
  columns: [
    { name: "trip_id", type: "int32", description: "Trip number", min: 1 },
    { name: "true_hazard", type: "float64", description: "Expected critical events on the trip (mu)", min: 0 },
    { name: "baseline_hazard", type: "float64", description: "Expected critical events without regressions", min: 0 },
    { name: "regression_hr", type: "float64", description: "Product of active regression hazard ratios (1 if none)", min: 0 },
    { name: "episode_mask", type: "int32", description: "Bit i set when regression episode i covers the trip", min: 0 },
  ],
});

/** Daily ground truth per firmware x road type. */
export const FLEET_DAILY_TRUTH_TABLE = defineTable({
  name: "fleet_daily_truth",
  description: "Daily exposure, observed and expected critical events and the true hazard ratio per firmware x road type.",
  key: ["day", "firmware", "road_type"],
  columns: [
    { name: "day", type: "int32", description: "Day index", min: 0 },
    { name: "firmware", type: "category", description: "Firmware version", categories: DEFAULT_FIRMWARE },
    { name: "road_type", type: "category", description: "Road type", categories: ROAD_TYPES },
    { name: "trips", type: "float64", description: "Trips", min: 0 },
    { name: "miles", type: "float64", description: "Miles driven", min: 0 },
    { name: "minutes", type: "float64", description: "Minutes driven", min: 0 },
    { name: "critical", type: "float64", description: "Observed critical events", min: 0 },
    { name: "expected_critical", type: "float64", description: "Sum of true per-trip hazards", min: 0 },
    { name: "expected_critical_baseline", type: "float64", description: "Sum of per-trip hazards without regressions", min: 0 },
    { name: "true_hazard_ratio", type: "float64", nullable: true, description: "expected_critical / expected_critical_baseline (null without trips)", min: 0 },
  ],
});

/** Table schemas whose firmware categories follow the config. */
export interface FleetTables {
  trips: typeof FLEET_TRIPS_TABLE;
  events: typeof FLEET_EVENTS_TABLE;
  tripTruth: typeof FLEET_TRIP_TRUTH_TABLE;
  dailyTruth: typeof FLEET_DAILY_TRUTH_TABLE;
}

/** One injected regression episode as it was realized. */
export interface FleetRegressionEpisode {
  index: number;
  name: string;
  onsetDay: number;
  /** First day after the episode. */
  endDay: number;
  hazardRatio: number;
  firmware: string[] | null;
  roadTypes: string[] | null;
  vehicleIds: number[];
}

/** Ground truth of a fleet simulation. */
export interface FleetGroundTruth {
  kind: "fleet-ground-truth";
  version: 1;
  /** The stated true per-trip hazard (config.criticalRatePerTrip). */
  criticalRatePerTrip: number;
  /** Calibrated baseline critical-event rate per mile (h0). */
  baseHazardPerMile: number;
  episodes: FleetRegressionEpisode[];
  /** Per-vehicle frailty (index = vehicle_id - 1). */
  frailty: number[];
  /** Per-vehicle day each firmware version was installed (Infinity-free: -1 = never within the horizon). */
  firmwareInstallDay: number[][];
  /** Daily weather code per day. */
  weather: string[];
}

type TripsChunk = Chunk<typeof FLEET_TRIPS_TABLE>;
type EventsChunk = Chunk<typeof FLEET_EVENTS_TABLE>;
type TripTruthChunk = Chunk<typeof FLEET_TRIP_TRUTH_TABLE>;
type DailyTruthChunk = Chunk<typeof FLEET_DAILY_TRUTH_TABLE>;

/** One trip row as written to JSONL (firmware labels follow the config). */
export type FleetTripRow = RowOf<typeof FLEET_TRIPS_TABLE>;
/** One event row as written to JSONL. */
export type FleetEventRow = RowOf<typeof FLEET_EVENTS_TABLE>;
/** One daily-truth row as written to JSONL. */
export type FleetDailyTruthRow = RowOf<typeof FLEET_DAILY_TRUTH_TABLE>;

/** One block of generated rows (trips with their events and truth). */
export interface FleetBlock {
  trips: TripsChunk;
  events: EventsChunk;
  tripTruth: TripTruthChunk;
}

/** A planned fleet run: config, schemas, ground truth and lazily generated blocks. */
export interface FleetSimulation {
  readonly config: FleetConfig;
  readonly tables: FleetTables;
  readonly truth: FleetGroundTruth;
  /** Generate trips, events and trip truth block by block; each call starts afresh with identical output. */
  blocks(): Generator<FleetBlock>;
}

function withFirmware<S extends { columns: readonly { name: string }[] }>(schema: S, versions: readonly string[]): S {
  return { ...schema, columns: schema.columns.map((c) => (c.name === "firmware" ? { ...c, categories: versions } : c)) } as S;
}

function lookup<K extends string>(keys: readonly K[], rec: Record<K, number>): Float64Array {
  return Float64Array.from(keys, (k) => rec[k]);
}

function cumulative(weights: Float64Array): Float64Array {
  const out = new Float64Array(weights.length);
  let acc = 0;
  for (let i = 0; i < weights.length; i++) out[i] = acc += weights[i];
  for (let i = 0; i < out.length; i++) out[i] /= acc;
  out[out.length - 1] = 1;
  return out;
}

function searchCumulative(cum: Float64Array, u: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Medians (minutes) and typical speeds (mph) by road type. */
const MEDIAN_MINUTES = Float64Array.of(35, 18, 22, 30);
const SPEED_MPH = Float64Array.of(58, 19, 32, 42);
const WEATHER_SPEED = Float64Array.of(1, 0.9, 0.75, 0.85);
/** Initial mode probabilities by road type (manual, assisted, autonomous). */
const START_MODE = [Float64Array.of(0.3, 0.3, 0.4), Float64Array.of(0.6, 0.3, 0.1), Float64Array.of(0.45, 0.35, 0.2), Float64Array.of(0.5, 0.3, 0.2)];
const MODE_MEAN_MIN = Float64Array.of(6, 8, 12);
/** Mode change probabilities (from row to column; diagonal unused). */
const MODE_NEXT = [Float64Array.of(0, 0.6, 0.4), Float64Array.of(0.5, 0, 0.5), Float64Array.of(0.7, 0.3, 0)];

/** Scratch state of one trip draw (reused; no per-trip allocation). */
class TripDraw {
  road = 0;
  minutes = 0;
  miles = 0;
  startMode = 0;
  modeMin = new Float64Array(3);
  transitions = 0;
  disengagements = 0;
  modeFactor = 1;
}

function drawTripShape(r: Rng, road: number, weather: number, modeHr: Float64Array, t: TripDraw): void {
  t.road = road;
  const minutes = clamp(MEDIAN_MINUTES[road] * Math.exp(0.5 * r.normal()), 2, 240);
  const speed = SPEED_MPH[road] * WEATHER_SPEED[weather] * Math.exp(0.15 * r.normal());
  t.minutes = quantize(minutes, 10);
  t.miles = quantize((t.minutes / 60) * speed, 100);
  let mode = pickWeighted(START_MODE[road], r.uniform());
  t.startMode = mode;
  t.modeMin[0] = t.modeMin[1] = t.modeMin[2] = 0;
  t.transitions = 0;
  t.disengagements = 0;
  let left = t.minutes;
  for (;;) {
    const seg = r.exponential() * MODE_MEAN_MIN[mode];
    if (seg >= left) {
      t.modeMin[mode] += left;
      break;
    }
    t.modeMin[mode] += seg;
    left -= seg;
    const next = pickWeighted(MODE_NEXT[mode], r.uniform());
    if (mode === 2 && next === 0) t.disengagements++;
    mode = next;
    t.transitions++;
  }
  t.modeMin[0] = quantize(t.modeMin[0], 10);
  t.modeMin[1] = quantize(t.modeMin[1], 10);
  t.modeMin[2] = quantize(t.modeMin[2], 10);
  const total = t.modeMin[0] + t.modeMin[1] + t.modeMin[2];
  t.modeFactor = total > 0 ? (t.modeMin[0] * modeHr[0] + t.modeMin[1] * modeHr[1] + t.modeMin[2] * modeHr[2]) / total : modeHr[t.startMode];
}

/** Inverse CDF of the time-of-day density (piecewise uniform over the bands), in hours. */
function hourOf(u: number, todCum: Float64Array): number {
  const band = searchCumulative(todCum, u);
  const lo = band === 0 ? 0 : todCum[band - 1];
  const frac = (u - lo) / (todCum[band] - lo);
  return TOD_BOUNDS[band] + frac * (TOD_BOUNDS[band + 1] - TOD_BOUNDS[band]);
}

/** Plan a fleet simulation: vehicles, firmware rollout, weather, episodes and the h0 calibration. */
export function createFleetSimulation(input: FleetConfigInput | undefined, rng: Rng): FleetSimulation {
  const config = parseConfig(FleetConfigSchema, input, "fleet");
  const startMs = parseInstant(config.start, "start");
  const versions = config.firmware.map((f) => f.version);
  if (new Set(versions).size !== versions.length) throw new ConfigError(`invalid fleet config: firmware versions must be unique, got ${versions.join(", ")}`);
  for (const [i, reg] of config.regressions.entries()) {
    for (const v of reg.firmware ?? []) {
      if (!versions.includes(v)) throw new ConfigError(`invalid fleet config: regressions.${i}.firmware names unknown version "${v}" (known: ${versions.join(", ")})`);
    }
    for (const id of reg.vehicleIds ?? []) {
      if (id > config.vehicles) throw new ConfigError(`invalid fleet config: regressions.${i}.vehicleIds has ${id} but there are ${config.vehicles} vehicles`);
    }
  }
  const tables: FleetTables = {
    trips: withFirmware(FLEET_TRIPS_TABLE, versions),
    events: FLEET_EVENTS_TABLE,
    tripTruth: FLEET_TRIP_TRUTH_TABLE,
    dailyTruth: withFirmware(FLEET_DAILY_TRUTH_TABLE, versions),
  };
  const V = config.vehicles;
  const vr = rng.fork(1);
  const frailty = new Float64Array(V);
  const utilization = new Float64Array(V);
  for (let v = 0; v < V; v++) {
    frailty[v] = vr.gamma(config.frailtyShape) / config.frailtyShape;
    utilization[v] = vr.gamma(4);
  }
  const vehicleCum = cumulative(utilization);

  // Firmware: each vehicle installs each version at release + exponential delay.
  const fr = rng.fork(2);
  const F = config.firmware.length;
  const install = new Float64Array(V * F);
  for (let v = 0; v < V; v++) {
    for (let f = 0; f < F; f++) {
      const fw = config.firmware[f];
      install[v * F + f] = fw.releaseDay <= 0 && f === 0 ? 0 : Math.max(0, fw.releaseDay) + Math.round(fr.exponential() * fw.rolloutMeanDays);
    }
  }
  const firmwareOn = (v: number, day: number): number => {
    let best = 0;
    for (let f = 0; f < F; f++) if (install[v * F + f] <= day) best = f;
    return best;
  };

  // Weather: one regional state per day.
  const wr = rng.fork(3);
  const weatherMix = lookup(WEATHER, config.weatherMix);
  const weather = new Uint8Array(config.days);
  weather[0] = pickWeighted(weatherMix, wr.uniform());
  for (let d = 1; d < config.days; d++) {
    weather[d] = wr.uniform() < config.weatherPersistence ? weather[d - 1] : pickWeighted(weatherMix, wr.uniform());
  }

  // Episodes: affected vehicles as a bitmap per episode.
  const episodes: FleetRegressionEpisode[] = config.regressions.map((reg, i) => {
    let ids: number[];
    if (reg.vehicleIds) ids = [...new Set(reg.vehicleIds)].sort((a, b) => a - b);
    else if (reg.vehicleFraction >= 1) ids = Array.from({ length: V }, (_, v) => v + 1);
    else {
      const er = rng.fork(100 + i);
      ids = [];
      for (let v = 1; v <= V; v++) if (er.uniform() < reg.vehicleFraction) ids.push(v);
    }
    return {
      index: i,
      name: reg.name ?? `regression-${i}`,
      onsetDay: reg.onsetDay,
      endDay: reg.onsetDay + reg.durationDays,
      hazardRatio: reg.hazardRatio,
      firmware: reg.firmware ?? null,
      roadTypes: reg.roadTypes ?? null,
      vehicleIds: ids,
    };
  });
  const epVehicle = episodes.map((e) => {
    const m = new Uint8Array(V);
    for (const id of e.vehicleIds) m[id - 1] = 1;
    return m;
  });
  const epFirmware = episodes.map((e) => {
    const m = new Uint8Array(F);
    for (let f = 0; f < F; f++) m[f] = e.firmware === null || e.firmware.includes(versions[f]) ? 1 : 0;
    return m;
  });
  const epRoad = episodes.map((e) => Uint8Array.from(ROAD_TYPES, (r) => (e.roadTypes === null || e.roadTypes.includes(r) ? 1 : 0)));

  const roadP = lookup(ROAD_TYPES, config.roadTypeProbabilities);
  const roadHr = lookup(ROAD_TYPES, config.roadTypeHazardRatios);
  const weatherHr = lookup(WEATHER, config.weatherHazardRatios);
  const todCum = cumulative(lookup(TIMES_OF_DAY, config.timeOfDayProbabilities));
  const todP = lookup(TIMES_OF_DAY, config.timeOfDayProbabilities);
  const todHr = lookup(TIMES_OF_DAY, config.timeOfDayHazardRatios);
  const modeHr = lookup(DRIVING_MODES, config.modeHazardRatios);
  const fwHr = Float64Array.from(config.firmware, (f) => f.hazardRatio);

  // Calibrate h0 on a pilot sample of trips on the initial firmware, frailty 1, weather from its
  // long-run mix (the persistence chain's stationary distribution is weatherMix).
  const pr = rng.fork(4);
  const scratch = new TripDraw();
  let pilot = 0;
  for (let i = 0; i < config.calibrationTrips; i++) {
    const road = pickWeighted(roadP, pr.uniform());
    const w = pickWeighted(weatherMix, pr.uniform());
    const tod = pickWeighted(todP, pr.uniform());
    drawTripShape(pr, road, w, modeHr, scratch);
    pilot += scratch.miles * roadHr[road] * weatherHr[w] * todHr[tod] * scratch.modeFactor * fwHr[0];
  }
  const h0 = config.criticalRatePerTrip / (pilot / config.calibrationTrips);

  const firmwareInstallDay: number[][] = [];
  for (let v = 0; v < V; v++) {
    firmwareInstallDay.push(Array.from({ length: F }, (_, f) => (install[v * F + f] < config.days ? install[v * F + f] : -1)));
  }
  const truth: FleetGroundTruth = {
    kind: "fleet-ground-truth",
    version: 1,
    criticalRatePerTrip: config.criticalRatePerTrip,
    baseHazardPerMile: h0,
    episodes,
    frailty: Array.from(frailty),
    firmwareInstallDay,
    weather: Array.from(weather, (w) => WEATHER[w]),
  };

  function* blocks(): Generator<FleetBlock> {
    const t = new TripDraw();
    const cap = config.chunkRows;
    let trips = allocChunk(tables.trips, cap);
    let tt = allocChunk(tables.tripTruth, cap);
    let evCap = Math.max(64, cap >> 2);
    let ev = allocChunk(tables.events, evCap);
    let n = 0;
    let ne = 0;
    let tripId = 0;
    let eventId = 0;
    const flush = (): FleetBlock => {
      const block = { trips: truncateChunk(trips, n), events: truncateChunk(ev, ne), tripTruth: truncateChunk(tt, n) };
      trips = allocChunk(tables.trips, cap);
      tt = allocChunk(tables.tripTruth, cap);
      ev = allocChunk(tables.events, evCap);
      n = 0;
      ne = 0;
      return block;
    };
    const pushEvent = (type: number, severity: number, mode: number, ts: number, trip: number, vehicle: number, day: number): void => {
      if (ne === evCap) {
        evCap *= 2;
        const bigger = allocChunk(tables.events, evCap);
        for (const c of tables.events.columns) {
          (bigger.columns[c.name as keyof typeof bigger.columns] as Float64Array).set(ev.columns[c.name as keyof typeof ev.columns] as Float64Array);
        }
        ev = bigger;
      }
      const e = ev.columns;
      e.event_id[ne] = ++eventId;
      e.trip_id[ne] = trip;
      e.vehicle_id[ne] = vehicle;
      e.day[ne] = day;
      e.event_ts[ne] = ts;
      e.event_type[ne] = type;
      e.severity[ne] = severity;
      e.critical[ne] = severity === 2 ? 1 : 0;
      e.driving_mode[ne] = mode;
      ne++;
    };
    const eventMode = (r: Rng, weights: Float64Array): number => pickWeighted(weights, r.uniform());
    const modeWeights = new Float64Array(3);
    for (let day = 0; day < config.days; day++) {
      const r = rng.fork(1_000_000 + day);
      const w = weather[day];
      const dayMs = startMs + day * DAY_MS;
      const N = config.tripsPerDay;
      // Sorted uniforms by the sequential order-statistics method, so trips come out in start order
      // without buffering a whole day.
      let uPrev = 0;
      for (let j = 0; j < N; j++) {
        const u = 1 - (1 - uPrev) * Math.pow(r.uniform(), 1 / (N - j));
        uPrev = u;
        const hour = hourOf(Math.min(u, 1 - 1e-15), todCum);
        const startTs = dayMs + Math.floor(hour * 3600) * 1000;
        const tod = searchCumulative(TOD_UPPER, hour);
        const v = searchCumulative(vehicleCum, r.uniform());
        const road = pickWeighted(roadP, r.uniform());
        drawTripShape(r, road, w, modeHr, t);
        const fw = firmwareOn(v, day);
        const baseline = h0 * t.miles * roadHr[road] * weatherHr[w] * todHr[tod] * fwHr[fw] * t.modeFactor * frailty[v];
        let hr = 1;
        let mask = 0;
        for (let e = 0; e < episodes.length; e++) {
          const ep = episodes[e];
          if (day >= ep.onsetDay && day < ep.endDay && epVehicle[e][v] === 1 && epFirmware[e][fw] === 1 && epRoad[e][road] === 1) {
            hr *= ep.hazardRatio;
            mask |= 1 << e;
          }
        }
        const mu = baseline * hr;
        const nearMiss = r.poisson(mu * (1 - config.collisionShare));
        const collision = r.poisson(mu * config.collisionShare);
        const harsh = r.poisson(config.harshBrakesPerMile * t.miles * weatherHr[w] * Math.sqrt(frailty[v]));
        const autoHours = (t.modeMin[2] + 0.5 * t.modeMin[1]) / 60;
        const interventions = r.poisson(config.interventionsPerAutonomousHour * autoHours * weatherHr[w] * frailty[v] * Math.pow(hr, config.interventionRegressionExponent));

        if (n === cap) yield flush();
        const id = ++tripId;
        const c = trips.columns;
        c.trip_id[n] = id;
        c.vehicle_id[n] = v + 1;
        c.day[n] = day;
        c.start_ts[n] = startTs;
        c.duration_min[n] = t.minutes;
        c.miles[n] = t.miles;
        c.firmware[n] = fw;
        c.weather[n] = w;
        c.road_type[n] = road;
        c.time_of_day[n] = tod;
        c.start_mode[n] = t.startMode;
        c.manual_min[n] = t.modeMin[0];
        c.assisted_min[n] = t.modeMin[1];
        c.autonomous_min[n] = t.modeMin[2];
        c.mode_transitions[n] = t.transitions;
        c.disengagements[n] = t.disengagements;
        c.harsh_brakes[n] = harsh;
        c.safety_interventions[n] = interventions;
        c.near_misses[n] = nearMiss;
        c.collisions[n] = collision;
        c.critical_events[n] = nearMiss + collision;
        const tc = tt.columns;
        tc.trip_id[n] = id;
        tc.true_hazard[n] = mu;
        tc.baseline_hazard[n] = baseline;
        tc.regression_hr[n] = hr;
        tc.episode_mask[n] = mask;
        n++;

        // Events of the trip, in time order: draw offsets, then insertion-sort the trip's rows.
        const firstEvent = ne;
        const durMs = t.minutes * 60_000;
        for (let k = 0; k < harsh; k++) {
          modeWeights.set(t.modeMin);
          pushEvent(0, 0, eventMode(r, modeWeights), startTs + Math.floor(r.uniform() * durMs), id, v + 1, day);
        }
        for (let k = 0; k < interventions; k++) {
          modeWeights[0] = 0;
          modeWeights[1] = 0.5 * t.modeMin[1];
          modeWeights[2] = t.modeMin[2];
          const m = modeWeights[1] + modeWeights[2] > 0 ? eventMode(r, modeWeights) : t.startMode;
          pushEvent(1, 1, m, startTs + Math.floor(r.uniform() * durMs), id, v + 1, day);
        }
        for (let k = 0; k < nearMiss + collision; k++) {
          for (let m = 0; m < 3; m++) modeWeights[m] = t.modeMin[m] * modeHr[m];
          const m = modeWeights[0] + modeWeights[1] + modeWeights[2] > 0 ? eventMode(r, modeWeights) : t.startMode;
          pushEvent(k < nearMiss ? 2 : 3, 2, m, startTs + Math.floor(r.uniform() * durMs), id, v + 1, day);
        }
        sortTripEvents(ev, firstEvent, ne);
      }
    }
    if (n > 0) yield flush();
  }

  return { config, tables, truth, blocks };
}

function sortTripEvents(ev: EventsChunk, from: number, to: number): void {
  if (to - from < 2) return;
  const e = ev.columns;
  // Few events per trip: insertion sort on (timestamp) moving type, severity, critical and mode along;
  // ids are reassigned afterwards so they stay in row order.
  for (let i = from + 1; i < to; i++) {
    const ts = e.event_ts[i];
    const ty = e.event_type[i];
    const sv = e.severity[i];
    const cr = e.critical[i];
    const md = e.driving_mode[i];
    let j = i - 1;
    while (j >= from && e.event_ts[j] > ts) {
      e.event_ts[j + 1] = e.event_ts[j];
      e.event_type[j + 1] = e.event_type[j];
      e.severity[j + 1] = e.severity[j];
      e.critical[j + 1] = e.critical[j];
      e.driving_mode[j + 1] = e.driving_mode[j];
      j--;
    }
    e.event_ts[j + 1] = ts;
    e.event_type[j + 1] = ty;
    e.severity[j + 1] = sv;
    e.critical[j + 1] = cr;
    e.driving_mode[j + 1] = md;
  }
}

/** Everything a fleet simulation produced, held in memory. */
export interface FleetResult {
  config: FleetConfig;
  tables: FleetTables;
  truth: FleetGroundTruth;
  trips: TripsChunk;
  events: EventsChunk;
  tripTruth: TripTruthChunk;
  dailyTruth: DailyTruthChunk;
}

/** Accumulates the daily truth table (day x firmware x road type) from blocks. */
export class FleetDailyAccumulator {
  private readonly F: number;
  private readonly R = ROAD_TYPES.length;
  readonly trips: Float64Array;
  readonly miles: Float64Array;
  readonly minutes: Float64Array;
  readonly critical: Float64Array;
  readonly expected: Float64Array;
  readonly baseline: Float64Array;

  constructor(
    readonly days: number,
    firmwareCount: number,
  ) {
    this.F = firmwareCount;
    const size = days * firmwareCount * this.R;
    this.trips = new Float64Array(size);
    this.miles = new Float64Array(size);
    this.minutes = new Float64Array(size);
    this.critical = new Float64Array(size);
    this.expected = new Float64Array(size);
    this.baseline = new Float64Array(size);
  }

  /** Add one block of trips (with its truth, when known). */
  add(trips: TripsChunk, truth?: TripTruthChunk): void {
    const c = trips.columns;
    for (let i = 0; i < trips.length; i++) {
      const day = c.day[i];
      if (day < 0 || day >= this.days) continue;
      const cell = (day * this.F + c.firmware[i]) * this.R + c.road_type[i];
      this.trips[cell] += 1;
      this.miles[cell] += c.miles[i];
      this.minutes[cell] += c.duration_min[i];
      this.critical[cell] += c.critical_events[i];
      if (truth) {
        this.expected[cell] += truth.columns.true_hazard[i];
        this.baseline[cell] += truth.columns.baseline_hazard[i];
      }
    }
  }

  /** The daily truth table (every day x firmware x road type cell, zero rows included). */
  table(schema: typeof FLEET_DAILY_TRUTH_TABLE = FLEET_DAILY_TRUTH_TABLE): DailyTruthChunk {
    const size = this.trips.length;
    const out = allocChunk(schema, size);
    const c = out.columns;
    for (let cell = 0; cell < size; cell++) {
      const r = cell % this.R;
      const f = Math.floor(cell / this.R) % this.F;
      c.day[cell] = Math.floor(cell / (this.R * this.F));
      c.firmware[cell] = f;
      c.road_type[cell] = r;
      c.trips[cell] = this.trips[cell];
      c.miles[cell] = this.miles[cell];
      c.minutes[cell] = this.minutes[cell];
      c.critical[cell] = this.critical[cell];
      c.expected_critical[cell] = this.expected[cell];
      c.expected_critical_baseline[cell] = this.baseline[cell];
      c.true_hazard_ratio[cell] = this.baseline[cell] > 0 ? this.expected[cell] / this.baseline[cell] : NaN;
    }
    return out;
  }
}

/** Simulate the whole fleet in memory: trips, events, per-trip and daily ground truth. */
export function simulateFleet(input: FleetConfigInput | undefined, rng: Rng): FleetResult {
  const sim = createFleetSimulation(input, rng);
  const trips: TripsChunk[] = [];
  const events: EventsChunk[] = [];
  const tripTruth: TripTruthChunk[] = [];
  const acc = new FleetDailyAccumulator(sim.config.days, sim.config.firmware.length);
  for (const b of sim.blocks()) {
    trips.push(b.trips);
    events.push(b.events);
    tripTruth.push(b.tripTruth);
    acc.add(b.trips, b.tripTruth);
  }
  return {
    config: sim.config,
    tables: sim.tables,
    truth: sim.truth,
    trips: concatChunks(sim.tables.trips, trips),
    events: concatChunks(sim.tables.events, events),
    tripTruth: concatChunks(sim.tables.tripTruth, tripTruth),
    dailyTruth: acc.table(sim.tables.dailyTruth),
  };
}

/** A daily (optionally grouped) critical-event series with exposure and the true hazard ratio. */
export interface FleetDailySeries {
  /** Grouping used ("none" = whole fleet). */
  groupBy: "none" | "firmware" | "road_type";
  /** Label of each group (["fleet"] when not grouped). */
  groups: string[];
  /** Row r is day[r] in group group[r]; rows are ordered by group then day. */
  day: Int32Array;
  group: Int32Array;
  trips: Float64Array;
  exposureMiles: Float64Array;
  exposureMinutes: Float64Array;
  critical: Float64Array;
  /** Sum of true per-trip hazards (NaN when built without truth). */
  expectedCritical: Float64Array;
  /** Expected critical events relative to the same trips without regressions (NaN without truth or trips). */
  trueHazardRatio: Float64Array;
}

/** Aggregate a daily truth table into the daily series change-point and sampling experiments consume. */
export function fleetDailySeries(
  daily: DailyTruthChunk,
  options: { groupBy?: "none" | "firmware" | "road_type"; firmwareVersions?: readonly string[]; withTruth?: boolean } = {},
): FleetDailySeries {
  const groupBy = options.groupBy ?? "none";
  const c = daily.columns;
  let days = 0;
  let F = 0;
  for (let i = 0; i < daily.length; i++) {
    days = Math.max(days, c.day[i] + 1);
    F = Math.max(F, c.firmware[i] + 1);
  }
  const versions = options.firmwareVersions ?? Array.from({ length: F }, (_, f) => String(f));
  const groups = groupBy === "none" ? ["fleet"] : groupBy === "firmware" ? [...versions] : [...ROAD_TYPES];
  const G = groups.length;
  const size = G * days;
  const trips = new Float64Array(size);
  const miles = new Float64Array(size);
  const minutes = new Float64Array(size);
  const critical = new Float64Array(size);
  const expected = new Float64Array(size);
  const baseline = new Float64Array(size);
  for (let i = 0; i < daily.length; i++) {
    const g = groupBy === "none" ? 0 : groupBy === "firmware" ? c.firmware[i] : c.road_type[i];
    const row = g * days + c.day[i];
    trips[row] += c.trips[i];
    miles[row] += c.miles[i];
    minutes[row] += c.minutes[i];
    critical[row] += c.critical[i];
    expected[row] += c.expected_critical[i];
    baseline[row] += c.expected_critical_baseline[i];
  }
  const withTruth = options.withTruth ?? true;
  const day = new Int32Array(size);
  const group = new Int32Array(size);
  const hr = new Float64Array(size);
  for (let row = 0; row < size; row++) {
    day[row] = row % days;
    group[row] = Math.floor(row / days);
    hr[row] = withTruth && baseline[row] > 0 ? expected[row] / baseline[row] : NaN;
    if (!withTruth) expected[row] = NaN;
  }
  return { groupBy, groups, day, group, trips, exposureMiles: miles, exposureMinutes: minutes, critical, expectedCritical: expected, trueHazardRatio: hr };
}

/** Aggregate trips alone (e.g. read back from files) into a daily truth-shaped table without expected values. */
export function aggregateTripsDaily(trips: Iterable<TripsChunk>, days: number, firmwareCount: number): DailyTruthChunk {
  const acc = new FleetDailyAccumulator(days, firmwareCount);
  for (const t of trips) acc.add(t);
  return acc.table();
}

/** Stream a fleet simulation to `dir`: trips, events and trip truth in each format, plus daily truth and ground-truth JSON. */
export async function writeFleet(
  input: FleetConfigInput | undefined,
  rng: Rng,
  dir: string,
  formats: readonly TableFormat[] = ["csv"],
): Promise<{ tables: WriteResult[]; truthPath: string; config: FleetConfig }> {
  const sim = createFleetSimulation(input, rng);
  await mkdir(dir, { recursive: true });
  const out: WriteResult[] = [];
  const acc = new FleetDailyAccumulator(sim.config.days, sim.config.firmware.length);
  // Each table is a separate deterministic pass, so only one block is ever in memory.
  function* pick<K extends keyof FleetBlock>(key: K, accumulate: boolean): Generator<FleetBlock[K]> {
    for (const b of sim.blocks()) {
      if (accumulate) acc.add(b.trips, b.tripTruth);
      yield b[key];
    }
  }
  let accumulated = false;
  for (const format of formats) {
    out.push(await writeTable(sim.tables.trips, pick("trips", !accumulated), join(dir, `fleet_trips.${format}`), format));
    accumulated = true;
    out.push(await writeTable(sim.tables.events, pick("events", false), join(dir, `fleet_events.${format}`), format));
    out.push(await writeTable(sim.tables.tripTruth, pick("tripTruth", false), join(dir, `fleet_trip_truth.${format}`), format));
  }
  if (!accumulated) for (const b of sim.blocks()) acc.add(b.trips, b.tripTruth);
  const daily = acc.table(sim.tables.dailyTruth);
  for (const format of formats) {
    out.push(await writeTable(sim.tables.dailyTruth, [daily], join(dir, `fleet_daily_truth.${format}`), format));
  }
  const truthPath = join(dir, "fleet_ground_truth.json");
  await writeFile(truthPath, JSON.stringify({ ...sim.truth, config: sim.config }, null, 2) + "\n");
  return { tables: out, truthPath, config: sim.config };
}
