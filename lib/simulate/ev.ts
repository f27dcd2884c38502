/**
 * EV telematics in the manner of the reference EV pipeline: one row per vehicle per day with battery
 * state of charge and health, cell temperature and voltage spread, motor temperature, charging sessions
 * and diagnostic trouble codes; failures (battery thermal, cell imbalance, motor overheating, charging
 * system) are scheduled per vehicle and announced by degradation precursors that grow over the days
 * before the failure day; labels say whether a failure follows within 7, 14 and 30 days.
 *
 * Label convention: with F the next failure day at or after day t, days_to_failure = F - t and
 * failure_within_Hd = (1 <= F - t <= H). Failures are scheduled 30 days past the end of the data, so the
 * labels of the last days are known rather than censored. After a failure the vehicle is in repair for a
 * few days (no driving), and its degradation resets.
 */
import { z } from "zod";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Rng } from "../util/random.js";
import { DAY_MS, clamp, isoInstant, parseConfig, parseInstant, pickWeighted, quantize } from "./common.js";
import { type Chunk, type RowOf, allocChunk, collectChunks, defineTable, truncateChunk } from "./table.js";
import { writeTable, type TableFormat, type WriteResult } from "./write.js";

/** Failure modes, in code order ("none" is code 0). */
export const EV_FAILURE_MODES = ["none", "battery_thermal", "cell_imbalance", "motor_overheat", "charging_system"] as const;
/** A failure mode other than none. */
export type EvFailureMode = Exclude<(typeof EV_FAILURE_MODES)[number], "none">;
/** Diagnostic trouble codes, in code order ("none" is code 0); U0100 is a nuisance code unrelated to failures. */
export const EV_DTC_CODES = ["none", "P0A7E", "P0A80", "P0A2F", "P0D27", "U0100"] as const;
/** Severity class of each failure mode (as in the reference pipeline's severity classification). */
export const EV_FAILURE_SEVERITY: Record<EvFailureMode, "critical" | "major" | "minor"> = {
  battery_thermal: "critical",
  cell_imbalance: "major",
  motor_overheat: "major",
  charging_system: "minor",
};

/** The EV daily table: one row per vehicle per day. */
export const EV_TABLE = defineTable({
  name: "ev_daily",
  description: "EV telematics aggregated per vehicle and day, with failure labels at 7/14/30-day horizons.",
  key: ["vehicle_id", "day"],
  orderedBy: { column: "date", groupBy: ["vehicle_id"] },
  columns: [
    { name: "vehicle_id", type: "int32", description: "Vehicle number (1-based)", min: 1 },
    { name: "day", type: "int32", description: "Day index from the start date", min: 0 },
    { name: "date", type: "timestamp", description: "Day (UTC midnight)" },
    { name: "in_repair", type: "bool", description: "Vehicle in the workshop after a failure" },
    { name: "distance_km", type: "float64", decimals: 1, description: "Distance driven", unit: "km", min: 0, max: 2000 },
    { name: "energy_used_kwh", type: "float64", decimals: 2, description: "Traction energy used", unit: "kWh", min: 0 },
    { name: "soc_start_pct", type: "float64", decimals: 1, description: "State of charge at the start of the day", unit: "%", min: 0, max: 100 },
    { name: "soc_min_pct", type: "float64", decimals: 1, description: "Lowest state of charge of the day", unit: "%", min: 0, max: 100 },
    { name: "soc_end_pct", type: "float64", decimals: 1, description: "State of charge at the end of the day", unit: "%", min: 0, max: 100 },
    { name: "soh_pct", type: "float64", decimals: 2, description: "Battery state of health", unit: "%", min: 0, max: 100 },
    { name: "charge_sessions", type: "int32", description: "Charging sessions", min: 0 },
    { name: "fast_charge_sessions", type: "int32", description: "DC fast-charging sessions", min: 0 },
    { name: "charge_failures", type: "int32", description: "Charging sessions that aborted", min: 0 },
    { name: "energy_charged_kwh", type: "float64", decimals: 2, description: "Energy charged", unit: "kWh", min: 0 },
    { name: "cell_temp_mean_c", type: "float64", decimals: 2, description: "Mean cell temperature while active", unit: "degC", min: -40, max: 120 },
    { name: "cell_temp_max_c", type: "float64", decimals: 2, description: "Highest cell temperature", unit: "degC", min: -40, max: 120 },
    { name: "cell_voltage_spread_mv", type: "float64", decimals: 1, description: "Highest minus lowest cell voltage", unit: "mV", min: 0, max: 1000 },
    { name: "pack_voltage_v", type: "float64", decimals: 1, description: "Pack voltage at end of day", unit: "V", min: 0, max: 1000 },
    { name: "motor_temp_max_c", type: "float64", decimals: 2, description: "Highest motor winding temperature", unit: "degC", min: -40, max: 250 },
    { name: "ambient_c", type: "float64", decimals: 2, description: "Mean ambient temperature", unit: "degC", min: -50, max: 60 },
    { name: "dtc_count", type: "int32", description: "Diagnostic trouble codes raised", min: 0 },
    { name: "dtc_code", type: "category", description: "Most relevant trouble code of the day", categories: EV_DTC_CODES },
    { name: "failure", type: "bool", description: "A failure occurred on this day" },
    { name: "failure_mode", type: "category", description: "Mode of the failure on this day (none otherwise)", categories: EV_FAILURE_MODES },
    { name: "days_to_failure", type: "float64", nullable: true, description: "Days until the next failure (0 on the failure day; null when none follows)", min: 0 },
    { name: "next_failure_mode", type: "category", description: "Mode of the next failure within 30 days (none otherwise)", categories: EV_FAILURE_MODES },
    { name: "failure_within_7d", type: "bool", description: "A failure follows within 1..7 days" },
    { name: "failure_within_14d", type: "bool", description: "A failure follows within 1..14 days" },
    { name: "failure_within_30d", type: "bool", description: "A failure follows within 1..30 days" },
  ],
});

/** A typed chunk of the EV table. */
export type EvChunk = Chunk<typeof EV_TABLE>;
/** One EV daily row as written to JSONL. */
export type EvRow = RowOf<typeof EV_TABLE>;

const range = z.tuple([z.number().min(0), z.number().min(0)]).refine((r) => r[0] <= r[1], { message: "range must be [min, max] with min <= max" });

/** Config of the EV generator (defaults: 100 vehicles x 365 days). */
export const EvConfigSchema = z
  .object({
    vehicles: z.number().int().min(1).max(1_000_000).default(100),
    days: z.number().int().min(1).max(20_000).default(365),
    start: isoInstant.default("2025-01-01"),
    batteryKwh: range.default([60, 85]),
    meanDailyKm: z.number().positive().default(45),
    /** Expected failures per vehicle-year (before per-vehicle frailty). */
    failureRatePerVehicleYear: z.number().min(0).default(0.3),
    failureModeMix: z
      .object({
        battery_thermal: z.number().min(0).default(0.2),
        cell_imbalance: z.number().min(0).default(0.3),
        motor_overheat: z.number().min(0).default(0.3),
        charging_system: z.number().min(0).default(0.2),
      })
      .strict()
      .prefault({}),
    /** Length of the precursor window before a failure, days. */
    precursorDays: range.default([10, 40]),
    repairDays: range.default([2, 7]),
    meanAmbientC: z.number().default(12),
    seasonalAmplitudeC: z.number().min(0).default(10),
    chunkRows: z.number().int().min(1).default(65_536),
  })
  .strict();

/** EV config as written by a user. */
export type EvConfigInput = z.input<typeof EvConfigSchema>;
/** EV config with defaults applied. */
export type EvConfig = z.output<typeof EvConfigSchema>;

/** One scheduled failure (ground truth); `day` may lie past the data when it only shapes the last labels. */
export interface EvFailure {
  vehicleId: number;
  day: number;
  mode: EvFailureMode;
  severity: "critical" | "major" | "minor";
  precursorDays: number;
  repairDays: number;
}

/** A planned EV run: config, failure ground truth and lazily generated chunks. */
export interface EvSimulation {
  readonly config: EvConfig;
  readonly failures: readonly EvFailure[];
  chunks(): Generator<EvChunk>;
}

const MODES: readonly EvFailureMode[] = ["battery_thermal", "cell_imbalance", "motor_overheat", "charging_system"];
const MODE_CODE: Record<EvFailureMode, number> = { battery_thermal: 1, cell_imbalance: 2, motor_overheat: 3, charging_system: 4 };
/** DTC code index that each failure mode raises. */
const MODE_DTC: Record<EvFailureMode, number> = { battery_thermal: 1, cell_imbalance: 2, motor_overheat: 3, charging_system: 4 };

function planFailures(config: EvConfig, rng: Rng): EvFailure[] {
  const out: EvFailure[] = [];
  const horizon = config.days + 30;
  const weights = MODES.map((m) => config.failureModeMix[m]);
  const ratePerDay = config.failureRatePerVehicleYear / 365;
  if (ratePerDay === 0 || weights.every((w) => w === 0)) return out;
  for (let v = 1; v <= config.vehicles; v++) {
    const r = rng.fork(0x4641494c + v);
    const frailty = r.gamma(2) / 2;
    const rate = ratePerDay * frailty;
    let t = 0;
    for (;;) {
      const [pLo, pHi] = config.precursorDays;
      const precursor = Math.round(pLo + (pHi - pLo) * r.uniform());
      const [rLo, rHi] = config.repairDays;
      const repair = Math.round(rLo + (rHi - rLo) * r.uniform());
      // A failure needs its whole precursor window after the previous repair.
      const day = Math.ceil(t + precursor + r.exponential() / rate);
      if (day >= horizon) break;
      const mode = MODES[pickWeighted(weights, r.uniform())];
      out.push({ vehicleId: v, day, mode, severity: EV_FAILURE_SEVERITY[mode], precursorDays: precursor, repairDays: repair });
      t = day + repair + 1;
    }
  }
  return out;
}

/** Plan an EV telematics run (failures are drawn now; rows are generated lazily). */
export function createEvSimulation(input: EvConfigInput | undefined, rng: Rng): EvSimulation {
  const config = parseConfig(EvConfigSchema, input, "ev");
  const startMs = parseInstant(config.start, "start");
  const failures = planFailures(config, rng);
  const byVehicle: EvFailure[][] = Array.from({ length: config.vehicles }, () => []);
  for (const f of failures) byVehicle[f.vehicleId - 1].push(f);

  function* chunks(): Generator<EvChunk> {
    const cap = config.chunkRows;
    let chunk = allocChunk(EV_TABLE, cap);
    let n = 0;
    for (let v = 1; v <= config.vehicles; v++) {
      const r = rng.fork(v);
      const fails = byVehicle[v - 1];
      const capacity = config.batteryKwh[0] + (config.batteryKwh[1] - config.batteryKwh[0]) * r.uniform();
      const efficiency = 0.15 + 0.04 * r.uniform();
      const kmScale = config.meanDailyKm * Math.exp(0.4 * r.normal());
      const climate = 3 * r.normal();
      const fastChargeShare = clamp(0.15 + 0.1 * r.normal(), 0, 0.8);
      let soh = 100 - 10 * r.uniform();
      const spreadBase = 10 + 4 * r.uniform();
      let soc = 50 + 40 * r.uniform();
      let fi = 0;
      let repairUntil = -1;
      for (let day = 0; day < config.days; day++) {
        while (fi < fails.length && fails[fi].day < day) fi++;
        const next = fi < fails.length ? fails[fi] : null;
        const dtf = next ? next.day - day : NaN;
        const progress = next && dtf <= next.precursorDays ? 1 - dtf / next.precursorDays : 0;
        const p2 = progress * progress;
        const mode = next && progress > 0 ? next.mode : null;
        const failsToday = next !== null && dtf === 0;

        const seasonal = config.meanAmbientC + climate + config.seasonalAmplitudeC * Math.sin((2 * Math.PI * (day - 110)) / 365);
        const ambient = seasonal + 3 * r.normal();
        const inRepair = day <= repairUntil;
        const weekday = (Math.floor(startMs / DAY_MS) + day + 4) % 7;
        const weekend = weekday === 0 || weekday === 6;
        let km = inRepair ? 0 : r.uniform() < (weekend ? 0.35 : 0.12) ? 0 : kmScale * (weekend ? 1.3 : 1) * Math.exp(0.5 * r.normal());
        km = Math.min(km, 900);
        const coldPenalty = 1 + 0.012 * Math.max(0, 15 - ambient);
        const energy = km * efficiency * coldPenalty;
        const usable = (capacity * soh) / 100;
        const socStart = soc;
        let socMin = soc;
        let charged = 0;
        let sessions = 0;
        let fast = 0;
        let failedSessions = 0;
        let left = energy;
        // Drive, charging when the state of charge would drop below a personal threshold.
        for (let guard = 0; left > 1e-9 && guard < 20; guard++) {
          const avail = ((soc - 8) / 100) * usable;
          const use = Math.min(left, Math.max(0, avail));
          soc -= (use / usable) * 100;
          left -= use;
          socMin = Math.min(socMin, soc);
          if (left > 1e-9) {
            sessions++;
            const isFast = r.uniform() < 0.7;
            if (isFast) fast++;
            if (mode === "charging_system" && r.uniform() < 0.7 * p2) {
              failedSessions++;
              continue;
            }
            const target = isFast ? 80 : 90;
            charged += ((target - soc) / 100) * usable;
            soc = target;
          }
        }
        if (left > 1e-9) km = km * (1 - left / Math.max(energy, 1e-9));
        // Evening charge at home (or fast charge) when low.
        if (!inRepair && soc < 55 + 20 * r.uniform()) {
          sessions++;
          const isFast = r.uniform() < fastChargeShare;
          if (isFast) fast++;
          if (mode === "charging_system" && r.uniform() < 0.7 * p2) failedSessions++;
          else {
            const target = isFast ? 80 : 90;
            charged += ((target - soc) / 100) * usable;
            soc = target;
          }
        }
        // Degradation: calendar + cycling + fast charging; cell imbalance accelerates it.
        soh -= 0.004 + (0.002 * energy) / capacity + 0.003 * fast + (mode === "cell_imbalance" ? 0.05 * p2 : 0);
        soh = clamp(soh, 50, 100);

        const thermalLoad = (0.25 * energy) / capacity + 0.9 * fast;
        let cellMean = ambient + 6 + 8 * thermalLoad + 0.8 * r.normal();
        let cellMax = cellMean + 3 + 4 * thermalLoad + Math.abs(r.normal());
        if (mode === "battery_thermal") {
          cellMax += 18 * p2 + 2 * progress * Math.abs(r.normal());
          cellMean += 5 * p2;
        }
        let spread = spreadBase + 0.04 * (100 - soh) * 10 + 2 * Math.abs(r.normal()) + 3 * fast;
        if (mode === "cell_imbalance") spread += 140 * p2 + 10 * progress * Math.abs(r.normal());
        let motorMax = ambient + (km > 0 ? 40 + 0.12 * Math.min(km, 300) : 5) + 3 * r.normal();
        if (mode === "motor_overheat") motorMax += 45 * p2 + 4 * progress * Math.abs(r.normal());
        const packVoltage = 96 * (3.3 + 0.9 * (soc / 100)) + 0.5 * r.normal();

        // Trouble codes: the failing subsystem's code grows likelier near the failure; a rare nuisance code.
        let dtcCount = 0;
        let dtc = 0;
        if (mode) {
          const k = r.poisson(3 * p2 * p2 + 0.01);
          if (k > 0) {
            dtcCount += k;
            dtc = MODE_DTC[mode];
          }
        }
        if (failsToday) {
          dtcCount += 1;
          dtc = MODE_DTC[next!.mode];
        }
        if (r.uniform() < 0.01) {
          dtcCount += 1;
          if (dtc === 0) dtc = 5;
        }

        if (n === cap) {
          yield chunk;
          chunk = allocChunk(EV_TABLE, cap);
          n = 0;
        }
        const c = chunk.columns;
        c.vehicle_id[n] = v;
        c.day[n] = day;
        c.date[n] = startMs + day * DAY_MS;
        c.in_repair[n] = inRepair ? 1 : 0;
        c.distance_km[n] = quantize(km, 10);
        c.energy_used_kwh[n] = quantize(energy - left, 100);
        c.soc_start_pct[n] = quantize(clamp(socStart, 0, 100), 10);
        c.soc_min_pct[n] = quantize(clamp(socMin, 0, 100), 10);
        c.soc_end_pct[n] = quantize(clamp(soc, 0, 100), 10);
        c.soh_pct[n] = quantize(soh, 100);
        c.charge_sessions[n] = sessions;
        c.fast_charge_sessions[n] = fast;
        c.charge_failures[n] = failedSessions;
        c.energy_charged_kwh[n] = quantize(charged, 100);
        c.cell_temp_mean_c[n] = quantize(clamp(cellMean, -40, 120), 100);
        c.cell_temp_max_c[n] = quantize(clamp(Math.max(cellMax, cellMean), -40, 120), 100);
        c.cell_voltage_spread_mv[n] = quantize(clamp(spread, 0, 1000), 10);
        c.pack_voltage_v[n] = quantize(packVoltage, 10);
        c.motor_temp_max_c[n] = quantize(clamp(motorMax, -40, 250), 100);
        c.ambient_c[n] = quantize(ambient, 100);
        c.dtc_count[n] = dtcCount;
        c.dtc_code[n] = dtc;
        c.failure[n] = failsToday ? 1 : 0;
        c.failure_mode[n] = failsToday ? MODE_CODE[next!.mode] : 0;
        c.days_to_failure[n] = dtf;
        c.next_failure_mode[n] = next && dtf <= 30 ? MODE_CODE[next.mode] : 0;
        c.failure_within_7d[n] = dtf >= 1 && dtf <= 7 ? 1 : 0;
        c.failure_within_14d[n] = dtf >= 1 && dtf <= 14 ? 1 : 0;
        c.failure_within_30d[n] = dtf >= 1 && dtf <= 30 ? 1 : 0;
        n++;
        if (failsToday) {
          repairUntil = day + next!.repairDays;
          // The repair replaces the failing part: precursor effects vanish, SoH recovers on a pack swap.
          if (next!.mode === "battery_thermal" || next!.mode === "cell_imbalance") soh = Math.max(soh, 97 + 3 * r.uniform());
        }
      }
    }
    if (n > 0) yield truncateChunk(chunk, n);
  }
  return { config, failures, chunks };
}

/** Simulate the EV table in memory. */
export function simulateEv(input: EvConfigInput | undefined, rng: Rng): { config: EvConfig; table: EvChunk; failures: readonly EvFailure[] } {
  const sim = createEvSimulation(input, rng);
  return { config: sim.config, table: collectChunks(EV_TABLE, sim.chunks()), failures: sim.failures };
}

/** Write the EV table to `dir/ev_daily.<format>` and the failure ground truth to `dir/ev_failures.json`. */
export async function writeEv(
  input: EvConfigInput | undefined,
  rng: Rng,
  dir: string,
  formats: readonly TableFormat[] = ["csv"],
): Promise<{ tables: WriteResult[]; truthPath: string; config: EvConfig }> {
  const sim = createEvSimulation(input, rng);
  await mkdir(dir, { recursive: true });
  const tables: WriteResult[] = [];
  for (const format of formats) tables.push(await writeTable(EV_TABLE, sim.chunks(), join(dir, `ev_daily.${format}`), format));
  const truthPath = join(dir, "ev_failures.json");
  await writeFile(truthPath, JSON.stringify({ kind: "ev-ground-truth", version: 1, config: sim.config, failures: sim.failures }, null, 2) + "\n");
  return { tables, truthPath, config: sim.config };
}
