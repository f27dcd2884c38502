/**
 * Physics-based vehicle telemetry in the manner of the reference simulator: a longitudinal model with an
 * engine torque curve, a six-speed gearbox and final drive, aerodynamic and rolling resistance, brakes,
 * first-order engine and brake thermal models, and drivers of three profiles (aggressive, normal/eco,
 * safe) that differ in how hard they accelerate and brake, how fast they cruise and where they shift.
 *
 * Whenever the clutch is engaged the drivetrain relation holds exactly (up to float rounding):
 *   speed_kmh = rpm * 2*pi*wheelRadiusM / (gearRatio[gear] * finalDrive) * 60 / 1000.
 * Below idle speed in first gear the clutch slips (clutch_engaged = false) and the engine runs at its
 * own speed, as in a real launch. Samples come at `hz` (10-50 Hz) as a batch or as an async stream.
 */
import { z } from "zod";
import type { Rng } from "../util/random.js";
import { clamp, isoInstant, parseConfig, parseInstant, pickWeighted, quantize } from "./common.js";
import { type Chunk, type RowOf, allocChunk, defineTable, truncateChunk, collectChunks } from "./table.js";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeTable, type TableFormat, type WriteResult } from "./write.js";

/** Driver profiles, in code order (normal is the eco-style everyday driver). */
export const DRIVER_PROFILES = ["aggressive", "normal", "safe"] as const;
/** A driver profile label. */
export type DriverProfile = (typeof DRIVER_PROFILES)[number];

/** The vehicle telemetry table: one row per sample. */
export const VEHICLE_TABLE = defineTable({
  name: "vehicle_telemetry",
  description: "Physics-based vehicle telemetry at a fixed rate, labelled with the driver profile.",
  key: ["trip_id", "t_s"],
  orderedBy: { column: "timestamp", groupBy: ["trip_id"] },
  columns: [
    { name: "trip_id", type: "int32", description: "Trip number (1-based)", min: 1 },
    { name: "profile", type: "category", description: "Driver profile (the label)", categories: DRIVER_PROFILES },
    { name: "timestamp", type: "timestamp", description: "Sample time (UTC)" },
    { name: "t_s", type: "float64", description: "Seconds since trip start", unit: "s", min: 0 },
    { name: "speed_kmh", type: "float64", description: "Vehicle speed", unit: "km/h", min: 0, max: 400 },
    { name: "rpm", type: "float64", description: "Engine speed", unit: "1/min", min: 0, max: 8000 },
    { name: "gear", type: "int32", description: "Gear engaged (1-6)", min: 1, max: 6 },
    { name: "clutch_engaged", type: "bool", description: "Clutch fully engaged (drivetrain relation holds)" },
    { name: "throttle", type: "float64", decimals: 4, description: "Throttle pedal", min: 0, max: 1 },
    { name: "brake", type: "float64", decimals: 4, description: "Brake pedal", min: 0, max: 1 },
    { name: "torque_nm", type: "float64", decimals: 2, description: "Net engine torque", unit: "N m", min: -200, max: 1000 },
    { name: "load", type: "float64", decimals: 4, description: "Engine load: throttle torque / maximum torque at this rpm", min: 0, max: 1 },
    { name: "power_kw", type: "float64", decimals: 3, description: "Engine power at the flywheel", unit: "kW", min: -200, max: 1000 },
    { name: "accel_mps2", type: "float64", decimals: 4, description: "Longitudinal acceleration", unit: "m/s^2", min: -15, max: 15 },
    { name: "engine_temp_c", type: "float64", decimals: 2, description: "Coolant temperature", unit: "degC", min: -40, max: 160 },
    { name: "brake_temp_c", type: "float64", decimals: 2, description: "Brake disc temperature", unit: "degC", min: -40, max: 900 },
    { name: "ambient_c", type: "float64", decimals: 2, description: "Ambient temperature", unit: "degC", min: -40, max: 60 },
  ],
});

/** A typed chunk of the vehicle table. */
export type VehicleChunk = Chunk<typeof VEHICLE_TABLE>;
/** One vehicle telemetry row as written to JSONL. */
export type VehicleRow = RowOf<typeof VEHICLE_TABLE>;

/** Config of the vehicle simulator (defaults: 6 trips of 10 min at 20 Hz). */
export const VehicleConfigSchema = z
  .object({
    hz: z.number().int().min(10).max(50).default(20),
    trips: z.number().int().min(1).default(6),
    tripSeconds: z.number().positive().default(600),
    start: isoInstant.default("2026-01-01T08:00:00Z"),
    ambientC: z.number().min(-40).max(50).default(20),
    /** Relative frequency of each profile; trips draw their profile from it. */
    profileMix: z
      .object({ aggressive: z.number().min(0).default(1), normal: z.number().min(0).default(1), safe: z.number().min(0).default(1) })
      .strict()
      .prefault({}),
    /** Explicit profile per trip (overrides profileMix when given). */
    profiles: z.array(z.enum(DRIVER_PROFILES)).optional(),
    vehicle: z
      .object({
        massKg: z.number().positive().default(1500),
        wheelRadiusM: z.number().positive().default(0.33),
        gearRatios: z.array(z.number().positive()).min(1).max(10).default([3.6, 2.1, 1.4, 1.0, 0.8, 0.65]),
        finalDrive: z.number().positive().default(3.9),
        drivetrainEfficiency: z.number().gt(0).max(1).default(0.92),
        idleRpm: z.number().positive().default(800),
        redlineRpm: z.number().positive().default(6500),
        peakTorqueNm: z.number().positive().default(350),
        peakTorqueRpm: z.number().positive().default(4000),
        dragAreaM2: z.number().positive().default(0.7),
        rollingResistance: z.number().min(0).default(0.012),
      })
      .strict()
      .prefault({}),
    /** Samples per emitted chunk (the stream yields one chunk per this many samples). */
    chunkSamples: z.number().int().min(1).default(4096),
  })
  .strict();

/** Vehicle config as written by a user. */
export type VehicleConfigInput = z.input<typeof VehicleConfigSchema>;
/** Vehicle config with defaults applied. */
export type VehicleConfig = z.output<typeof VehicleConfigSchema>;

interface ProfileParams {
  cruiseFactor: number;
  maxAccel: number;
  maxDecel: number;
  gain: number;
  upshiftRpm: number;
  downshiftRpm: number;
  pedalNoise: number;
}

const PROFILE: Record<DriverProfile, ProfileParams> = {
  aggressive: { cruiseFactor: 1.15, maxAccel: 3.8, maxDecel: 7, gain: 1.6, upshiftRpm: 5200, downshiftRpm: 2600, pedalNoise: 0.12 },
  normal: { cruiseFactor: 1.0, maxAccel: 1.8, maxDecel: 3.2, gain: 0.8, upshiftRpm: 2600, downshiftRpm: 1300, pedalNoise: 0.05 },
  safe: { cruiseFactor: 0.9, maxAccel: 1.2, maxDecel: 2.2, gain: 0.6, upshiftRpm: 2200, downshiftRpm: 1150, pedalNoise: 0.03 },
};

/** One trip as planned: its number and driver profile. */
export interface VehicleTrip {
  tripId: number;
  profile: DriverProfile;
}

/** The profile of each trip of a config (drawn from profileMix unless given explicitly). */
export function planVehicleTrips(config: VehicleConfig, rng: Rng): VehicleTrip[] {
  const r = rng.fork(1);
  const weights = DRIVER_PROFILES.map((p) => config.profileMix[p]);
  return Array.from({ length: config.trips }, (_, i) => ({
    tripId: i + 1,
    profile: config.profiles?.[i] ?? DRIVER_PROFILES[pickWeighted(weights, r.uniform())],
  }));
}

/** Maximum engine torque at an engine speed (a smooth curve peaking at peakTorqueRpm). */
export function maxTorqueAt(config: VehicleConfig, rpm: number): number {
  const v = config.vehicle;
  const x = (rpm - v.peakTorqueRpm) / (v.redlineRpm - v.idleRpm);
  return Math.max(0.45 * v.peakTorqueNm, v.peakTorqueNm * (1 - 1.4 * x * x));
}

/** Engine rpm that the drivetrain relation gives for a speed in a gear. */
export function rpmFromSpeed(config: VehicleConfig, speedKmh: number, gear: number): number {
  const v = config.vehicle;
  return (speedKmh * 1000) / 60 * (v.gearRatios[gear - 1] * v.finalDrive) / (2 * Math.PI * v.wheelRadiusM);
}

/** Vehicle speed that the drivetrain relation gives for an rpm in a gear. */
export function speedFromRpm(config: VehicleConfig, rpm: number, gear: number): number {
  const v = config.vehicle;
  return ((rpm * 2 * Math.PI * v.wheelRadiusM) / (v.gearRatios[gear - 1] * v.finalDrive)) * (60 / 1000);
}

function* tripSamples(config: VehicleConfig, rng: Rng, trip: VehicleTrip, startMs: number): Generator<VehicleChunk> {
  const r = rng.fork(1000 + trip.tripId);
  const p = PROFILE[trip.profile];
  const veh = config.vehicle;
  const dt = 1 / config.hz;
  const total = Math.max(1, Math.round(config.tripSeconds * config.hz));
  const G = veh.gearRatios.length;
  const profileCode = DRIVER_PROFILES.indexOf(trip.profile);
  const ambient = config.ambientC + 2 * r.normal();
  const ratioToWheel = (gear: number): number => veh.gearRatios[gear - 1] * veh.finalDrive;
  const rpmPerMps = (gear: number): number => (ratioToWheel(gear) * 60) / (2 * Math.PI * veh.wheelRadiusM);

  // Drive cycle: segments of target speed (km/h) and length (s), including full stops.
  let segLeft = 0;
  let segTarget = 0;
  const nextSegment = (): void => {
    const u = r.uniform();
    if (u < 0.2) {
      segTarget = 0;
      segLeft = 8 + 25 * r.uniform();
    } else if (u < 0.6) {
      segTarget = 30 + 25 * r.uniform();
      segLeft = 30 + 60 * r.uniform();
    } else if (u < 0.85) {
      segTarget = 60 + 25 * r.uniform();
      segLeft = 40 + 80 * r.uniform();
    } else {
      segTarget = 100 + 25 * r.uniform();
      segLeft = 60 + 120 * r.uniform();
    }
  };

  let v = 0; // m/s
  let gear = 1;
  let engineTemp = r.uniform() < 0.5 ? ambient + 5 : 85 + 5 * r.uniform();
  let brakeTemp = ambient + 10;
  let pedalNoise = 0;
  let shiftCooldown = 0;
  const noisePhi = Math.exp(-dt / 0.5);
  const noiseSd = p.pedalNoise * Math.sqrt(1 - noisePhi * noisePhi);
  const g = 9.81;

  let chunk = allocChunk(VEHICLE_TABLE, Math.min(config.chunkSamples, total));
  let n = 0;
  for (let k = 0; k < total; k++) {
    if (segLeft <= 0) nextSegment();
    segLeft -= dt;
    const target = (segTarget * p.cruiseFactor) / 3.6;
    // Driver: proportional speed control bounded by the profile's comfort limits.
    pedalNoise = noisePhi * pedalNoise + noiseSd * r.normal();
    const aDesired = clamp(p.gain * (target - v), -p.maxDecel, p.maxAccel);
    const drag = 0.5 * 1.2 * veh.dragAreaM2 * v * v + (v > 0.01 ? veh.rollingResistance * veh.massKg * g : 0);
    const forceNeeded = veh.massKg * aDesired + drag;
    // Engine speed before the step decides the torque available.
    const wheelRpm = v * rpmPerMps(gear);
    const engaged = wheelRpm >= veh.idleRpm;
    let throttle = 0;
    let brake = 0;
    const rpmNow = engaged ? wheelRpm : veh.idleRpm + (forceNeeded > 0 ? 1200 * clamp(aDesired / p.maxAccel, 0, 1) : 0);
    const tMax = maxTorqueAt(config, rpmNow);
    if (forceNeeded > 0) {
      const torqueNeeded = (forceNeeded * veh.wheelRadiusM) / (ratioToWheel(gear) * veh.drivetrainEfficiency);
      throttle = clamp(torqueNeeded / tMax + pedalNoise, 0, 1);
    } else {
      brake = clamp(-forceNeeded / (veh.massKg * 9) + 0.5 * pedalNoise, 0, 1);
      if (target === 0 && v < 0.5) brake = Math.max(brake, 0.2);
    }
    if (rpmNow >= veh.redlineRpm) throttle = 0;
    const friction = 10 + 0.004 * rpmNow;
    const torque = throttle * tMax - (engaged ? friction : 0);
    const driveForce = (torque * ratioToWheel(gear) * veh.drivetrainEfficiency) / veh.wheelRadiusM;
    const brakeForce = brake * veh.massKg * 9;
    let accel = (driveForce - drag - brakeForce) / veh.massKg;
    if (v <= 0 && accel < 0) accel = 0;
    v = Math.max(0, v + accel * dt);

    // Gearbox after the step: the profile's shift points, with a short cooldown between shifts.
    shiftCooldown -= dt;
    let rpmAfter = v * rpmPerMps(gear);
    if (shiftCooldown <= 0) {
      if (rpmAfter > p.upshiftRpm && gear < G) {
        gear++;
        shiftCooldown = 0.8;
      } else if (gear > 1 && rpmAfter < p.downshiftRpm) {
        gear--;
        shiftCooldown = 0.8;
      }
      rpmAfter = v * rpmPerMps(gear);
    }
    if (v < 0.5 && target === 0) gear = 1;
    const engagedAfter = v * rpmPerMps(gear) >= veh.idleRpm;
    const speedKmh = v * 3.6;
    const rpmOut = engagedAfter ? rpmFromSpeed(config, speedKmh, gear) : veh.idleRpm + 1200 * throttle;
    const omega = (rpmOut * 2 * Math.PI) / 60;
    const powerKw = (torque * omega) / 1000;

    // Thermal: first-order relaxation to a load-dependent equilibrium; brakes heat with braking power.
    const pMax = (veh.peakTorqueNm * veh.peakTorqueRpm * 2 * Math.PI) / 60 / 1000;
    const engineEq = ambient + 65 + 35 * Math.pow(clamp(powerKw / pMax, 0, 1), 0.8);
    engineTemp += (engineEq - engineTemp) * (1 - Math.exp(-dt / 300));
    const brakePower = brakeForce * v;
    brakeTemp += dt * (brakePower / 5000 - (0.01 + 0.0015 * v) * (brakeTemp - ambient));

    const c = chunk.columns;
    c.trip_id[n] = trip.tripId;
    c.profile[n] = profileCode;
    c.t_s[n] = k / config.hz;
    c.timestamp[n] = startMs + Math.round((k * 1000) / config.hz);
    c.speed_kmh[n] = speedKmh;
    c.rpm[n] = rpmOut;
    c.gear[n] = gear;
    c.clutch_engaged[n] = engagedAfter ? 1 : 0;
    c.throttle[n] = quantize(throttle, 10_000);
    c.brake[n] = quantize(brake, 10_000);
    c.torque_nm[n] = quantize(torque, 100);
    c.load[n] = quantize(throttle, 10_000);
    c.power_kw[n] = quantize(powerKw, 1000);
    c.accel_mps2[n] = quantize(accel, 10_000);
    c.engine_temp_c[n] = quantize(engineTemp, 100);
    c.brake_temp_c[n] = quantize(brakeTemp, 100);
    c.ambient_c[n] = quantize(ambient, 100);
    n++;
    if (n === chunk.length) {
      yield chunk;
      chunk = allocChunk(VEHICLE_TABLE, Math.min(config.chunkSamples, total - k - 1));
      n = 0;
    }
  }
  if (n > 0) yield truncateChunk(chunk, n);
}

/** A planned vehicle run: config, trips with their profile labels and a chunk iterator. */
export interface VehicleSimulation {
  readonly config: VehicleConfig;
  readonly trips: readonly VehicleTrip[];
  /** Generate all trips chunk by chunk; each call starts afresh with identical output. */
  chunks(): Generator<VehicleChunk>;
}

/** Plan a vehicle telemetry run. */
export function createVehicleSimulation(input: VehicleConfigInput | undefined, rng: Rng): VehicleSimulation {
  const config = parseConfig(VehicleConfigSchema, input, "vehicle");
  const startMs = parseInstant(config.start, "start");
  const trips = planVehicleTrips(config, rng);
  const tripMs = Math.ceil(config.tripSeconds) * 1000 + 60_000;
  function* chunks(): Generator<VehicleChunk> {
    for (const trip of trips) yield* tripSamples(config, rng, trip, startMs + (trip.tripId - 1) * tripMs);
  }
  return { config, trips, chunks };
}

/** Simulate every trip in memory as one table. */
export function simulateVehicle(input: VehicleConfigInput | undefined, rng: Rng): { config: VehicleConfig; trips: readonly VehicleTrip[]; table: VehicleChunk } {
  const sim = createVehicleSimulation(input, rng);
  return { config: sim.config, trips: sim.trips, table: collectChunks(VEHICLE_TABLE, sim.chunks()) };
}

/** Options of the telemetry stream. */
export interface VehicleStreamOptions {
  /** Wait so that chunks arrive at the pace of the simulated clock (for live scoring demos). */
  realTime?: boolean;
  /** Stop early when aborted. */
  signal?: AbortSignal;
}

/** Stream telemetry as an async iterator of chunks (`chunkSamples` samples each); same values as the batch. */
export async function* streamVehicle(input: VehicleConfigInput | undefined, rng: Rng, options: VehicleStreamOptions = {}): AsyncGenerator<VehicleChunk> {
  const sim = createVehicleSimulation(input, rng);
  const t0 = Date.now();
  let emittedSeconds = 0;
  for (const chunk of sim.chunks()) {
    if (options.signal?.aborted) return;
    emittedSeconds += chunk.length / sim.config.hz;
    if (options.realTime) {
      const wait = t0 + emittedSeconds * 1000 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    yield chunk;
  }
}

/** Write the vehicle table to `dir/vehicle_telemetry.<format>` and the trip labels to `dir/vehicle_trips.json`. */
export async function writeVehicle(
  input: VehicleConfigInput | undefined,
  rng: Rng,
  dir: string,
  formats: readonly TableFormat[] = ["csv"],
): Promise<{ tables: WriteResult[]; truthPath: string; config: VehicleConfig }> {
  const sim = createVehicleSimulation(input, rng);
  await mkdir(dir, { recursive: true });
  const tables: WriteResult[] = [];
  for (const format of formats) tables.push(await writeTable(VEHICLE_TABLE, sim.chunks(), join(dir, `vehicle_telemetry.${format}`), format));
  const truthPath = join(dir, "vehicle_trips.json");
  await writeFile(truthPath, JSON.stringify({ kind: "vehicle-ground-truth", version: 1, config: sim.config, trips: sim.trips }, null, 2) + "\n");
  return { tables, truthPath, config: sim.config };
}
