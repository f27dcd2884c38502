/**
 * The raw tables the warehouse stages: for each generator table, its staging table name, natural key
 * and the expectation suite rows must pass on the way in. Suites derive from the generators' table
 * schemas (lib/validate's suiteFromTableSchema), so a schema change moves validation with it.
 */
import { basename } from "node:path";
import { ConfigError } from "../errors.js";
import { EV_TABLE } from "../simulate/ev.js";
import { FLEET_DAILY_TRUTH_TABLE, FLEET_EVENTS_TABLE, FLEET_TRIPS_TABLE, FLEET_TRIP_TRUTH_TABLE } from "../simulate/fleet.js";
import { INDUSTRIAL_TABLE } from "../simulate/industrial.js";
import type { ColumnSpec, TableSchema } from "../simulate/table.js";
import { VEHICLE_TABLE } from "../simulate/vehicle.js";
import { type Suite, defineSuite, suiteFromTableSchema } from "../validate/expectations.js";

/** A raw table the warehouse knows how to stage. */
export interface RawTable {
  /** Suite name used on the command line (e.g. "fleet-trips"). */
  readonly suiteName: string;
  /** The generator's table schema (file stem = schema.name). */
  readonly schema: TableSchema;
  /** Staging table in the warehouse. */
  readonly staging: string;
  /** Natural key columns. */
  readonly key: readonly string[];
  /** Expectations every staged row passes. */
  readonly suite: Suite;
}

/**
 * Firmware labels follow each fleet config, so the warehouse treats them as open text: the in_set
 * expectation the schema implies for the default versions would reject a config's own versions.
 */
function openFirmware(schema: TableSchema): TableSchema {
  return {
    ...schema,
    columns: schema.columns.map((c): ColumnSpec => (c.name === "firmware" ? { ...c, categories: undefined } : c)),
  };
}

function suiteFor(name: string, schema: TableSchema): Suite {
  const base = suiteFromTableSchema(schema);
  const expectations = base.expectations.filter((e) => !(e.kind === "in_set" && e.column === "firmware"));
  return defineSuite({ name, expectations });
}

function raw(suiteName: string, schema: TableSchema): RawTable {
  const open = schema.columns.some((c) => c.name === "firmware") ? openFirmware(schema) : schema;
  const s = suiteFor(suiteName, schema);
  return { suiteName, schema: open, staging: `stg_${schema.name}`, key: [...(schema.key ?? [])], suite: s };
}

/** Every raw table the warehouse stages, by suite name. */
export const RAW_TABLES: Readonly<Record<string, RawTable>> = Object.fromEntries(
  [
    raw("fleet-trips", FLEET_TRIPS_TABLE),
    raw("fleet-events", FLEET_EVENTS_TABLE),
    raw("fleet-trip-truth", FLEET_TRIP_TRUTH_TABLE),
    raw("fleet-daily-truth", FLEET_DAILY_TRUTH_TABLE),
    raw("industrial", INDUSTRIAL_TABLE),
    raw("vehicle", VEHICLE_TABLE),
    raw("ev", EV_TABLE),
  ].map((t) => [t.suiteName, t]),
);

/** Suite names accepted by `--suite`. */
export const SUITE_NAMES: readonly string[] = Object.keys(RAW_TABLES);

/** The raw table of a suite name, or a ConfigError listing the known ones. */
export function rawTableNamed(name: string): RawTable {
  const t = RAW_TABLES[name] ?? Object.values(RAW_TABLES).find((r) => r.schema.name === name || r.staging === name);
  if (!t) throw new ConfigError(`unknown table or suite '${name}'; known: ${SUITE_NAMES.join(", ")}`);
  return t;
}

/** The file extensions the warehouse reads. */
export const RAW_EXTENSIONS = [".csv", ".parquet", ".jsonl", ".ndjson"] as const;

/**
 * The raw table a file holds, judged by its name: the longest generator table name its stem contains
 * (so `fleet_trips.csv`, `2025-03_fleet_trips.parquet` and `fleet_trips_copy.csv` all stage as trips),
 * or null for files that are not raw tables (ground-truth JSON, reports).
 */
export function rawTableForPath(path: string): RawTable | null {
  const name = basename(path).toLowerCase();
  const ext = RAW_EXTENSIONS.find((e) => name.endsWith(e));
  if (!ext) return null;
  const stem = name.slice(0, -ext.length);
  let best: RawTable | null = null;
  for (const t of Object.values(RAW_TABLES)) {
    if (stem.includes(t.schema.name) && (!best || t.schema.name.length > best.schema.name.length)) best = t;
  }
  return best;
}
