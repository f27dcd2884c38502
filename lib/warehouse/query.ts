/**
 * Typed reads of the star schema for the experiments: the daily hazard series (the shape
 * `fleetDailySeries` gives in memory) and arbitrary fact columns as Float64Arrays.
 */
import { DataError } from "../errors.js";
import { ROAD_TYPES, type FleetDailySeries } from "../simulate/fleet.js";
import { type Warehouse, ident } from "./db.js";

/** Options of the daily hazard query. */
export interface DailyHazardOptions {
  /** Group rows by firmware, road type, or not at all (the whole fleet). */
  groupBy?: "none" | "firmware" | "road_type";
}

/** The daily hazard series with exact integer exposure as well. */
export interface WarehouseDailySeries extends FleetDailySeries {
  /** Exposure in hundredths of a mile (exact sum of the trips' miles). */
  exposureCentimiles: Float64Array;
  /** Vehicles with at least one trip on the day in the group. */
  vehicles: Float64Array;
}

/**
 * The daily series from fact_daily_hazard: one row per group and day (every day from 0 to the last,
 * zero-filled), ordered by group then day like `fleetDailySeries`. Firmware groups come in rollout order,
 * road types in the generator's order. Expected counts and true hazard ratios are NaN unless the trip
 * truth was staged.
 */
export async function dailyHazardSeries(wh: Warehouse, options: DailyHazardOptions = {}): Promise<WarehouseDailySeries> {
  const groupBy = options.groupBy ?? "none";
  if (!(await wh.hasTable("fact_daily_hazard"))) throw new DataError("warehouse: fact_daily_hazard does not exist; build the star schema first");
  let groups: string[];
  if (groupBy === "firmware") groups = (await wh.textColumn(`SELECT version FROM dim_firmware ORDER BY firmware_key`)).map(String);
  else if (groupBy === "road_type") {
    const seen = (await wh.textColumn(`SELECT DISTINCT road_type FROM fact_daily_hazard ORDER BY road_type`)).map(String);
    groups = [...ROAD_TYPES, ...seen.filter((r) => !(ROAD_TYPES as readonly string[]).includes(r))];
  } else groups = ["fleet"];
  const groupExpr = groupBy === "firmware" ? "f.version" : groupBy === "road_type" ? "h.road_type" : "'fleet'";
  const days = ((await wh.scalar(`SELECT max(date_key)::DOUBLE FROM dim_date`)) ?? -1) + 1;
  const rows = await wh.connection.runAndReadAll(
    `SELECT ${groupExpr} AS g, CAST(h.date_key AS DOUBLE) AS day, CAST(sum(h.trips) AS DOUBLE) AS trips, CAST(sum(h.vehicles) AS DOUBLE) AS vehicles,
            CAST(sum(h.exposure_centimiles) AS DOUBLE) AS cm, CAST(sum(h.exposure_deciminutes) AS DOUBLE) AS dm,
            CAST(sum(h.critical_events) AS DOUBLE) AS critical, sum(h.expected_critical) AS expected, sum(h.expected_critical_baseline) AS baseline,
            bool_and(h.truth_complete) AS truth
     FROM fact_daily_hazard h JOIN dim_firmware f USING (firmware_key)
     GROUP BY ALL`,
  );
  const G = groups.length;
  const size = G * days;
  const out: WarehouseDailySeries = {
    groupBy,
    groups,
    day: new Int32Array(size),
    group: new Int32Array(size),
    trips: new Float64Array(size),
    exposureMiles: new Float64Array(size),
    exposureMinutes: new Float64Array(size),
    critical: new Float64Array(size),
    expectedCritical: new Float64Array(size),
    trueHazardRatio: new Float64Array(size),
    exposureCentimiles: new Float64Array(size),
    vehicles: new Float64Array(size),
  };
  const baseline = new Float64Array(size);
  let truth = true;
  for (let r = 0; r < size; r++) {
    out.day[r] = r % days;
    out.group[r] = Math.floor(r / days);
  }
  const js = rows.getRowsJS();
  for (const row of js) {
    const g = groups.indexOf(String(row[0]));
    const d = Number(row[1]);
    if (g < 0 || d < 0 || d >= days) continue;
    const r = g * days + d;
    out.trips[r] = Number(row[2]);
    out.vehicles[r] = Number(row[3]);
    out.exposureCentimiles[r] = Number(row[4]);
    out.exposureMiles[r] = Number(row[4]) / 100;
    out.exposureMinutes[r] = Number(row[5]) / 10;
    out.critical[r] = Number(row[6]);
    out.expectedCritical[r] = row[7] === null ? NaN : Number(row[7]);
    baseline[r] = row[8] === null ? NaN : Number(row[8]);
    if (row[9] !== true) truth = false;
  }
  for (let r = 0; r < size; r++) {
    if (!truth) {
      out.expectedCritical[r] = NaN;
      out.trueHazardRatio[r] = NaN;
    } else out.trueHazardRatio[r] = baseline[r] > 0 ? out.expectedCritical[r] / baseline[r] : NaN;
  }
  return out;
}

/** Numeric columns of a star-schema table as Float64Arrays (timestamps as epoch ms, booleans as 0/1). */
export async function factColumns(wh: Warehouse, table: string, columns: readonly string[], options: { where?: string; orderBy?: string } = {}): Promise<Record<string, Float64Array>> {
  if (!/^(fact|dim)_[a-z_]+$/.test(table)) throw new DataError(`warehouse: '${table}' is not a star-schema table`);
  if (!(await wh.hasTable(table))) throw new DataError(`warehouse: ${table} does not exist; build the star schema first`);
  const types = new Map((await wh.rows(`SELECT column_name, column_type FROM (DESCRIBE ${ident(table)})`)).map((r) => [String(r.column_name), String(r.column_type)]));
  const select = columns.map((c) => {
    const t = types.get(c);
    if (!t) throw new DataError(`warehouse: ${table} has no column "${c}"; it has ${[...types.keys()].join(", ")}`);
    if (/^TIMESTAMP/.test(t)) return `CAST(epoch_ms(${ident(c)}) AS DOUBLE) AS ${ident(c)}`;
    if (t === "VARCHAR" || t === "DATE") throw new DataError(`warehouse: ${table}.${c} is ${t}, not numeric`);
    return `CAST(${ident(c)} AS DOUBLE) AS ${ident(c)}`;
  });
  const where = options.where ? ` WHERE ${options.where}` : "";
  // Default order: the table's first column, its key in every star table.
  const order = ` ORDER BY ${options.orderBy ?? ident([...types.keys()][0])}`;
  return wh.numericColumns(`SELECT ${select.join(", ")} FROM ${ident(table)}${where}${order}`);
}

/** Per-vehicle exposure and event totals (one row per vehicle, by vehicle id): the survival and frailty view. */
export interface VehicleSummary {
  vehicleId: Float64Array;
  trips: Float64Array;
  exposureMiles: Float64Array;
  exposureMinutes: Float64Array;
  criticalEvents: Float64Array;
  /** First and last day (date_key) with a trip. */
  firstDay: Float64Array;
  lastDay: Float64Array;
}

/** Per-vehicle totals from fact_trip_safety, as typed columns ordered by vehicle id. */
export async function vehicleSummary(wh: Warehouse): Promise<VehicleSummary> {
  if (!(await wh.hasTable("fact_trip_safety"))) throw new DataError("warehouse: fact_trip_safety does not exist; build the star schema first");
  const c = await wh.numericColumns(
    `SELECT CAST(vehicle_key AS DOUBLE) AS v, CAST(count(*) AS DOUBLE) AS trips,
            sum(CAST(round(exposure_miles * 100) AS BIGINT)) / 100.0 AS miles,
            sum(CAST(round(exposure_minutes * 10) AS BIGINT)) / 10.0 AS minutes,
            CAST(sum(critical_events) AS DOUBLE) AS critical, CAST(min(date_key) AS DOUBLE) AS first, CAST(max(date_key) AS DOUBLE) AS last
     FROM fact_trip_safety GROUP BY vehicle_key ORDER BY vehicle_key`,
  );
  return { vehicleId: c.v, trips: c.trips, exposureMiles: c.miles, exposureMinutes: c.minutes, criticalEvents: c.critical, firstDay: c.first, lastDay: c.last };
}
