/**
 * The fleet star schema: dimensions (date, vehicle, firmware, event type) and facts (trip safety,
 * events, daily hazard) built by `sql/star_fleet.sql` from the staging tables.
 */
import { DataError } from "../errors.js";
import type { Warehouse } from "./db.js";
import { ensureStaging } from "./ingest.js";
import { rawTableNamed } from "./tables.js";

/** The tables the star schema consists of, dimensions first. */
export const STAR_TABLES = ["dim_date", "dim_vehicle", "dim_firmware", "dim_event_type", "fact_trip_safety", "fact_events", "fact_daily_hazard"] as const;

/** A star-schema table name. */
export type StarTable = (typeof STAR_TABLES)[number];

/** Rebuild the fleet star schema from staging (in one transaction); returns the row count of each table. */
export async function buildStarSchema(wh: Warehouse): Promise<Record<StarTable, number>> {
  for (const name of ["fleet-trips", "fleet-events", "fleet-trip-truth"]) await ensureStaging(wh, rawTableNamed(name));
  if ((await wh.count("stg_fleet_trips")) === 0) throw new DataError("warehouse: no fleet trips staged; ingest fleet_trips files before building the star schema");
  await wh.transaction(() => wh.runSqlFile("star_fleet.sql"));
  const counts = {} as Record<StarTable, number>;
  for (const t of STAR_TABLES) counts[t] = await wh.count(t);
  return counts;
}
