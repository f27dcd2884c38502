import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataError } from "../../lib/errors.js";
import { type FleetResult, fleetDailySeries, simulateFleet, writeFleet } from "../../lib/simulate/fleet.js";
import { readCsvChunks } from "../../lib/validate/read-csv.js";
import { createRng } from "../../lib/util/random.js";
import { openWarehouse, type Warehouse } from "../../lib/warehouse/db.js";
import { extractStar } from "../../lib/warehouse/extract.js";
import { ingestDirectory } from "../../lib/warehouse/ingest.js";
import { dailyHazardSeries, factColumns, vehicleSummary } from "../../lib/warehouse/query.js";
import { STAR_TABLES, buildStarSchema } from "../../lib/warehouse/star.js";

// Two firmware releases land inside the window and a regression runs days 8..13 on part of the fleet,
// so every grouping has several non-trivial groups.
const CONFIG = {
  days: 18,
  tripsPerDay: 400,
  vehicles: 60,
  calibrationTrips: 2000,
  criticalRatePerTrip: 0.01,
  firmware: [
    { version: "7.0.0", releaseDay: 0, rolloutMeanDays: 0, hazardRatio: 1 },
    { version: "7.1.0", releaseDay: 4, rolloutMeanDays: 2, hazardRatio: 0.8 },
    { version: "7.2.0", releaseDay: 11, rolloutMeanDays: 2, hazardRatio: 1.2 },
  ],
  regressions: [{ name: "r", onsetDay: 8, durationDays: 6, hazardRatio: 2.5, vehicleFraction: 0.5 }],
};
const SEED = 11;

let root = "";
let wh: Warehouse;
let mem: FleetResult;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "wh-star-"));
  await writeFleet(CONFIG, createRng(SEED), join(root, "raw"), ["csv"]);
  mem = simulateFleet(CONFIG, createRng(SEED));
  wh = await openWarehouse({ path: join(root, "star.duckdb") });
  const res = await ingestDirectory(wh, join(root, "raw"));
  expect(res.failed).toEqual([]);
  await buildStarSchema(wh);
});

afterAll(async () => {
  wh?.close();
  await rm(root, { recursive: true, force: true });
});

describe("star schema", () => {
  it("has one fact row per trip and per event, and dimensions covering them", async () => {
    expect(await wh.count("fact_trip_safety")).toBe(mem.trips.length);
    expect(await wh.count("fact_events")).toBe(mem.events.length);
    expect(await wh.count("dim_date")).toBe(CONFIG.days);
    const fw = await wh.rows(`SELECT firmware_key, version, major, minor FROM dim_firmware ORDER BY firmware_key`);
    expect(fw.map((r) => r.version)).toEqual(["7.0.0", "7.1.0", "7.2.0"]);
    expect(fw[1]).toMatchObject({ major: 7, minor: 1 });
    const dates = await wh.rows(`SELECT CAST(date AS VARCHAR) AS d, iso_day_of_week AS w FROM dim_date WHERE date_key IN (0, 5) ORDER BY date_key`);
    // 2025-01-01 (the generator's default start) was a Wednesday.
    expect(dates).toEqual([
      { d: "2025-01-01", w: 3 },
      { d: "2025-01-06", w: 1 },
    ]);
    const orphans = await wh.scalar(
      `SELECT count(*)::DOUBLE FROM fact_events e LEFT JOIN dim_event_type t USING (event_type_key) LEFT JOIN dim_vehicle v USING (vehicle_key) LEFT JOIN dim_date d USING (date_key) WHERE t.event_type IS NULL OR v.vehicle_id IS NULL OR d.date IS NULL`,
    );
    expect(orphans).toBe(0);
    const critical = await wh.scalar(`SELECT count(*)::DOUBLE FROM fact_events JOIN dim_event_type USING (event_type_key) WHERE dim_event_type.critical`);
    let memCritical = 0;
    for (let i = 0; i < mem.trips.length; i++) memCritical += mem.trips.columns.critical_events[i];
    expect(critical).toBe(memCritical);
  });

  it("rebuilding is deterministic", async () => {
    const before = await wh.rows(`SELECT * FROM fact_daily_hazard ORDER BY ALL`);
    await buildStarSchema(wh);
    expect(await wh.rows(`SELECT * FROM fact_daily_hazard ORDER BY ALL`)).toEqual(before);
  });

  for (const groupBy of ["none", "firmware", "road_type"] as const) {
    it(`daily hazard grouped by ${groupBy} equals fleetDailySeries on the same simulation (exposure and counts exactly)`, async () => {
      const versions = CONFIG.firmware.map((f) => f.version);
      const expected = fleetDailySeries(mem.dailyTruth, { groupBy, firmwareVersions: versions });
      const got = await dailyHazardSeries(wh, { groupBy });
      expect(got.groups).toEqual(expected.groups);
      expect(Array.from(got.day)).toEqual(Array.from(expected.day));
      expect(Array.from(got.group)).toEqual(Array.from(expected.group));
      expect(Array.from(got.trips)).toEqual(Array.from(expected.trips));
      expect(Array.from(got.critical)).toEqual(Array.from(expected.critical));
      // Exposure is summed exactly in the warehouse; the in-memory float sum rounds to the same hundredth.
      expect(Array.from(got.exposureCentimiles)).toEqual(Array.from(expected.exposureMiles, (m) => Math.round(m * 100)));
      expect(Array.from(got.exposureMinutes, (m) => Math.round(m * 10))).toEqual(Array.from(expected.exposureMinutes, (m) => Math.round(m * 10)));
      for (let r = 0; r < got.trips.length; r++) {
        expect(got.exposureMiles[r]).toBeCloseTo(expected.exposureMiles[r], 6);
        if (Number.isNaN(expected.trueHazardRatio[r])) expect(got.trueHazardRatio[r]).toBeNaN();
        else expect(got.trueHazardRatio[r]).toBeCloseTo(expected.trueHazardRatio[r], 9);
        expect(got.expectedCritical[r]).toBeCloseTo(expected.expectedCritical[r], 9);
      }
      const total = got.critical.reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThan(20);
    });
  }

  it("per-vehicle totals match the simulated trips", async () => {
    const got = await vehicleSummary(wh);
    const trips = new Map<number, number>();
    const miles = new Map<number, number>();
    const critical = new Map<number, number>();
    const c = mem.trips.columns;
    for (let i = 0; i < mem.trips.length; i++) {
      const v = c.vehicle_id[i];
      trips.set(v, (trips.get(v) ?? 0) + 1);
      miles.set(v, (miles.get(v) ?? 0) + c.miles[i]);
      critical.set(v, (critical.get(v) ?? 0) + c.critical_events[i]);
    }
    expect(Array.from(got.vehicleId)).toEqual([...trips.keys()].sort((a, b) => a - b));
    got.vehicleId.forEach((v, r) => {
      expect(got.trips[r]).toBe(trips.get(v));
      expect(got.criticalEvents[r]).toBe(critical.get(v));
      expect(Math.round(got.exposureMiles[r] * 100)).toBe(Math.round(miles.get(v)! * 100));
    });
  });

  it("reads fact columns as typed arrays in key order", async () => {
    const cols = await factColumns(wh, "fact_trip_safety", ["trip_id", "exposure_miles", "critical_events", "start_ts"]);
    expect(cols.trip_id).toBeInstanceOf(Float64Array);
    expect(cols.trip_id.length).toBe(mem.trips.length);
    expect(Array.from(cols.trip_id.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(Array.from(cols.exposure_miles)).toEqual(Array.from(mem.trips.columns.miles));
    expect(Array.from(cols.start_ts)).toEqual(Array.from(mem.trips.columns.start_ts));
    await expect(factColumns(wh, "fact_trip_safety", ["nope"])).rejects.toThrow(/has no column "nope"/);
    await expect(factColumns(wh, "stg_fleet_trips", ["trip_id"])).rejects.toThrow(DataError);
  });
});

describe("extracts", () => {
  it("Parquet and CSV extracts of every star table round-trip", async () => {
    const dir = join(root, "extract");
    const files = await extractStar(wh, dir);
    expect(files).toHaveLength(STAR_TABLES.length * 2);
    for (const f of files) {
      const read = f.format === "parquet" ? `read_parquet('${f.path}')` : `read_csv('${f.path}', header = true)`;
      expect(await wh.scalar(`SELECT count(*)::DOUBLE FROM ${read}`)).toBe(f.rows);
      // Same rows both ways (CSV columns are re-typed to the table's types first).
      const cast = (await wh.rows(`SELECT column_name AS c, column_type AS t FROM (DESCRIBE ${f.table})`)).map((r) => `CAST("${r.c}" AS ${r.t}) AS "${r.c}"`).join(", ");
      const back = `(SELECT ${cast} FROM ${read})`;
      expect(await wh.scalar(`SELECT count(*)::DOUBLE FROM (SELECT * FROM ${f.table} EXCEPT ALL SELECT * FROM ${back})`)).toBe(0);
      expect(await wh.scalar(`SELECT count(*)::DOUBLE FROM (SELECT * FROM ${back} EXCEPT ALL SELECT * FROM ${f.table})`)).toBe(0);
    }
    // The CSV extract of the daily hazard reads back through lib/validate's typed reader too.
    let trips = 0;
    let critical = 0;
    for await (const block of readCsvChunks(join(dir, "fact_daily_hazard.csv"), {
      columns: [
        { name: "trips", type: "float64" },
        { name: "critical_events", type: "float64" },
      ],
    })) {
      expect(block.quarantined).toEqual([]);
      for (let i = 0; i < block.chunk.length; i++) {
        trips += (block.chunk.columns.trips as Float64Array)[i];
        critical += (block.chunk.columns.critical_events as Float64Array)[i];
      }
    }
    expect(trips).toBe(mem.trips.length);
    expect(critical).toBe(mem.trips.columns.critical_events.reduce((a, b) => a + b, 0));
  });

  it("refuses to build a star schema without trips", async () => {
    const empty = await openWarehouse({ path: ":memory:" });
    try {
      await expect(buildStarSchema(empty)).rejects.toThrow(/no fleet trips staged/);
    } finally {
      empty.close();
    }
  });
});
