import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DataError } from "../../lib/errors.js";
import { writeEv } from "../../lib/simulate/ev.js";
import { writeFleet } from "../../lib/simulate/fleet.js";
import { writeIndustrial } from "../../lib/simulate/industrial.js";
import { writeVehicle } from "../../lib/simulate/vehicle.js";
import { createRng } from "../../lib/util/random.js";
import { literal, openWarehouse, type Warehouse } from "../../lib/warehouse/db.js";
import { type IngestOptions, PARQUET_STAGING_MIN_BYTES, ingestDirectory as ingestDirectoryWith, ingestFile as ingestFileWith, sweepStaleStageFiles } from "../../lib/warehouse/ingest.js";
import { rawTableForPath } from "../../lib/warehouse/tables.js";

/**
 * Every test below runs once per staging path; the wrappers pass the current one. On the Parquet path
 * small chunks and parts make every file several parts, inserted while the next is written.
 */
let stagingMode: "appender" | "parquet" | "parquet+hash-alongside" = "appender";
const pathOptions = (): IngestOptions =>
  stagingMode === "appender"
    ? { stagingPath: "appender" }
    : { stagingPath: "parquet", chunkRows: 128, parquetPartRows: 150, checksum: stagingMode === "parquet" ? "first" : "alongside" };
const ingestFile = (wh: Warehouse, path: string, options: IngestOptions = {}): ReturnType<typeof ingestFileWith> => ingestFileWith(wh, path, { ...pathOptions(), ...options });
const ingestDirectory = (wh: Warehouse, dir: string, options: Parameters<typeof ingestDirectoryWith>[2] = {}): ReturnType<typeof ingestDirectoryWith> => ingestDirectoryWith(wh, dir, { ...pathOptions(), ...options });
/** The staging temp files of this process that exist now. */
const stageFiles = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith(`workbench-stage-${process.pid}-`));

let root = "";
let fleetDir = "";
let tripsCsv = "";
let tripLines: string[] = [];
let header: string[] = [];

const FLEET = { days: 6, tripsPerDay: 150, vehicles: 25, calibrationTrips: 1000 };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "wh-ingest-"));
  fleetDir = join(root, "fleet");
  await writeFleet(FLEET, createRng(7), fleetDir, ["csv", "parquet"]);
  tripsCsv = join(fleetDir, "fleet_trips.csv");
  const text = await readFile(tripsCsv, "utf8");
  tripLines = text.trimEnd().split("\n");
  header = tripLines[0].split(",");
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function fresh(name: string): Promise<Warehouse> {
  return openWarehouse({ path: join(root, `${name}-${stagingMode}.duckdb`) });
}

const col = (name: string): number => {
  const i = header.indexOf(name);
  if (i < 0) throw new Error(`no column ${name}`);
  return i;
};

/** A copy of the trips CSV with edits: `edit(fields, dataRow)` may change fields; returns the new text. */
function editTrips(edit: (fields: string[], row: number) => string[] | null, extra: string[] = []): string {
  const out = [tripLines[0]];
  for (let r = 1; r < tripLines.length; r++) {
    const fields = edit(tripLines[r].split(","), r - 1);
    if (fields) out.push(fields.join(","));
  }
  return [...out, ...extra].join("\n") + "\n";
}

async function quarantine(wh: Warehouse, sha: string): Promise<Map<number, string>> {
  const rows = await wh.rows(`SELECT CAST(line AS DOUBLE) AS line, array_to_string(reasons, ' | ') AS r FROM wh_quarantine WHERE sha256 = ? ORDER BY line`, [sha]);
  return new Map(rows.map((r) => [Number(r.line), String(r.r)]));
}

describe.each(["appender", "parquet", "parquet+hash-alongside"] as const)("staging via %s", (mode) => {
  beforeAll(() => {
    stagingMode = mode;
  });

  afterEach(() => {
    // The Parquet path deletes its temp file on success and on failure alike.
    expect(stageFiles()).toEqual([]);
  });

  describe("idempotent ingestion", () => {
    it("loads a generated fleet folder once; the second run inserts nothing", async () => {
      const wh = await fresh("idem");
      try {
        const first = await ingestDirectory(wh, fleetDir);
        expect(first.failed).toEqual([]);
        const csvTrips = first.files.find((f) => f.path.endsWith("fleet_trips.csv"))!;
        expect(csvTrips.status).toBe("loaded");
        expect(csvTrips.rowsIn).toBe(FLEET.days * FLEET.tripsPerDay);
        expect(csvTrips.rowsStaged).toBe(FLEET.days * FLEET.tripsPerDay);
        // The Parquet twin of each CSV holds the same rows: every one is quarantined as a duplicate key.
        const pqTrips = first.files.find((f) => f.path.endsWith("fleet_trips.parquet"))!;
        expect(pqTrips.rowsStaged).toBe(0);
        expect(pqTrips.rowsDuplicate).toBe(pqTrips.rowsIn);
        expect(pqTrips.rowsQuarantined).toBe(pqTrips.rowsIn);
        const q = await wh.rows(`SELECT reasons[1] AS r FROM wh_quarantine WHERE sha256 = ? ORDER BY row_index LIMIT 1`, [pqTrips.sha256]);
        expect(String(q[0].r)).toBe("natural key (trip_id=1) is already staged");
        for (const f of first.files) expect(f.rowsStaged + f.rowsQuarantined).toBe(f.rowsIn);
        expect(first.ignored.map((p) => p.split("/").pop())).toContain("fleet_ground_truth.json");

        const counts = async () => Object.fromEntries(await Promise.all(["stg_fleet_trips", "stg_fleet_events", "stg_fleet_trip_truth", "stg_fleet_daily_truth", "wh_quarantine", "wh_ingested_files"].map(async (t) => [t, await wh.count(t)])));
        const before = await counts();
        expect(before.stg_fleet_trips).toBe(FLEET.days * FLEET.tripsPerDay);
        const second = await ingestDirectory(wh, fleetDir);
        expect(second.files.every((f) => f.status === "skipped" && f.rowsStaged === 0 && f.rowsIn === 0)).toBe(true);
        expect(await counts()).toEqual(before);
      } finally {
        wh.close();
      }
    });

    it("survives closing and reopening the database file", async () => {
      const path = join(root, `reopen-${stagingMode}.duckdb`);
      let wh = await openWarehouse({ path });
      const a = await ingestFile(wh, tripsCsv);
      wh.close();
      wh = await openWarehouse({ path });
      try {
        const b = await ingestFile(wh, tripsCsv);
        expect(a.status).toBe("loaded");
        expect(b.status).toBe("skipped");
        expect(await wh.count("stg_fleet_trips")).toBe(a.rowsStaged);
      } finally {
        wh.close();
      }
    });

    it("skips a copy under another name by checksum, and quarantines the same rows in different bytes by natural key", async () => {
      const wh = await fresh("dups");
      const dir = join(root, "dups");
      await mkdir(dir, { recursive: true });
      try {
        const a = await ingestFile(wh, tripsCsv);
        const copy = join(dir, "fleet_trips_copy.csv");
        await copyFile(tripsCsv, copy);
        const b = await ingestFile(wh, copy);
        expect(b.status).toBe("skipped");
        expect(b.skippedBecause).toBe(a.path);
        // Same rows, different bytes: CRLF line ends and the first 100 rows only.
        const crlf = join(dir, "fleet_trips_crlf.csv");
        await writeFile(crlf, tripLines.slice(0, 101).join("\r\n") + "\r\n");
        const c = await ingestFile(wh, crlf);
        expect(c.status).toBe("loaded");
        expect(c.rowsIn).toBe(100);
        expect(c.rowsStaged).toBe(0);
        expect(c.rowsDuplicate).toBe(100);
        expect(await wh.count("stg_fleet_trips")).toBe(a.rowsStaged);
        const q = await quarantine(wh, c.sha256);
        expect(q.size).toBe(100);
        expect(q.get(2)).toBe("natural key (trip_id=1) is already staged");
      } finally {
        wh.close();
      }
    });
  });

  describe("bad input", () => {
    it("quarantines corrupted lines, wrong types, range and category violations, disorder and duplicates with reasons; counts reconcile; re-running is idempotent", async () => {
      const vehicleOf = (r: number): string => tripLines[r + 1].split(",")[col("vehicle_id")];
      // A row whose vehicle has an earlier trip, to send back in time.
      let late = -1;
      for (let r = 60; r < 200 && late < 0; r++) if (tripLines.slice(1, r + 1).some((l) => l.split(",")[col("vehicle_id")] === vehicleOf(r))) late = r;
      expect(late).toBeGreaterThan(0);
      const duplicateOf = tripLines[5];
      const text = editTrips(
        (f, r) => {
          if (r === 10) return f.slice(0, 5); // too few fields
          if (r === 20) f[col("miles")] = "12.x4"; // not a number
          if (r === 30) f[col("miles")] = "-3.5"; // out of range
          if (r === 40) f[col("road_type")] = "autobahn"; // unknown category
          if (r === 50) f[col("trip_id")] = "7.5"; // not an integer
          if (r === late) f[col("start_ts")] = "2024-12-31T00:00:00.000Z"; // out of order for its vehicle
          return f;
        },
        [duplicateOf, tripLines[tripLines.length - 1].slice(0, 30)], // duplicate trip_id, then a truncated last line
      );
      const path = join(root, "bad", "fleet_trips.csv");
      await mkdir(join(root, "bad"), { recursive: true });
      await writeFile(path, text.slice(0, -1)); // no final newline: the last line is cut mid-record
      const wh = await fresh("bad");
      try {
        const res = await ingestFile(wh, path);
        const inputRows = tripLines.length - 1 + 2;
        expect(res.rowsIn).toBe(inputRows);
        expect(res.rowsQuarantined).toBe(8);
        expect(res.rowsStaged).toBe(inputRows - 8);
        expect(await wh.count("stg_fleet_trips")).toBe(res.rowsStaged);
        const q = await quarantine(wh, res.sha256);
        // Lines are 1-based with the header on line 1, so data row r is on line r + 2.
        expect(q.get(12)).toMatch(/expected 21 fields, found 5/);
        expect(q.get(22)).toMatch(/column miles: "12\.x4" is not a number/);
        expect(q.get(32)).toMatch(/values_between\(miles, 0\.\.\+inf\): -3\.5 out of range/);
        expect(q.get(42)).toMatch(/in_set\(road_type.*"autobahn" not allowed/);
        expect(q.get(52)).toMatch(/column trip_id: "7\.5" is not an integer/);
        expect(q.get(late + 2)).toMatch(/monotonic\(start_ts per vehicle_id\): 2024-12-31T00:00:00\.000Z is before the previous/);
        expect(q.get(tripLines.length + 1)).toMatch(/unique\(trip_id\): duplicate key \(5\)/);
        expect(q.get(tripLines.length + 2)).toMatch(/truncated last line: expected 21 fields/);
        const ledger = await wh.rows(`SELECT CAST(rows_in AS DOUBLE) AS i, CAST(rows_staged AS DOUBLE) AS s, CAST(rows_quarantined AS DOUBLE) AS q FROM wh_ingested_files`);
        expect(ledger).toEqual([{ i: inputRows, s: inputRows - 8, q: 8 }]);
        expect(res.report?.success).toBe(false);
        // The raw values are kept with each quarantined row.
        const raw = await wh.rows(`SELECT CAST(raw AS VARCHAR) AS raw FROM wh_quarantine WHERE line = 42`);
        expect(JSON.parse(String(raw[0].raw)).road_type).toBe("autobahn");

        const again = await ingestFile(wh, path);
        expect(again.status).toBe("skipped");
        expect(await wh.count("stg_fleet_trips")).toBe(res.rowsStaged);
        expect(await wh.count("wh_quarantine")).toBe(8);
      } finally {
        wh.close();
      }
    });

    it("refuses a file with a missing column with a DataError naming it, loading nothing", async () => {
      const drop = col("miles");
      const text = tripLines.map((l) => l.split(",").filter((_, i) => i !== drop).join(",")).join("\n") + "\n";
      const path = join(root, "bad", "fleet_trips_nomiles.csv");
      await writeFile(path, text);
      const wh = await fresh("missing");
      try {
        await expect(ingestFile(wh, path)).rejects.toThrow(DataError);
        await expect(ingestFile(wh, path)).rejects.toThrow(/lacks column "miles"/);
        expect(await wh.count("stg_fleet_trips")).toBe(0);
        expect(await wh.count("wh_ingested_files")).toBe(0);
        expect(await wh.count("wh_quarantine")).toBe(0);
      } finally {
        wh.close();
      }
    });

    it("refuses an empty file and a truncated Parquet file with DataErrors", async () => {
      const empty = join(root, "bad", "fleet_events_empty.csv");
      await writeFile(empty, "");
      const pq = await readFile(join(fleetDir, "fleet_events.parquet"));
      const cut = join(root, "bad", "fleet_events_cut.parquet");
      await writeFile(cut, pq.subarray(0, Math.floor(pq.length / 2)));
      const wh = await fresh("empty");
      try {
        await expect(ingestFile(wh, empty)).rejects.toThrow(/empty file/);
        await expect(ingestFile(wh, cut)).rejects.toThrow(DataError);
        expect(await wh.count("wh_ingested_files")).toBe(0);
        expect(await wh.count("stg_fleet_events")).toBe(0);
      } finally {
        wh.close();
      }
    });

    it("a failure in the middle of a file leaves no row of it behind, and a retry loads it whole", async () => {
      const wh = await fresh("midfile");
      try {
        let chunks = 0;
        await expect(
          ingestFile(wh, tripsCsv, {
            chunkRows: 100,
            onProgress: () => {
              if (++chunks === 3) throw new Error("disk unplugged");
            },
          }),
        ).rejects.toThrow(/disk unplugged/);
        expect(chunks).toBe(3);
        expect(await wh.count("stg_fleet_trips")).toBe(0);
        expect(await wh.count("wh_ingested_files")).toBe(0);
        expect(await wh.count("wh_quarantine")).toBe(0);
        const retry = await ingestFile(wh, tripsCsv, { chunkRows: 100 });
        expect(retry.status).toBe("loaded");
        expect(retry.rowsStaged).toBe(FLEET.days * FLEET.tripsPerDay);
        expect(await wh.count("stg_fleet_trips")).toBe(FLEET.days * FLEET.tripsPerDay);
      } finally {
        wh.close();
      }
    });

    it("a failure after the rows and quarantine are written, before commit, rolls all of them back", async () => {
      const path = join(root, "bad", "fleet_trips_late_failure.csv");
      await writeFile(path, editTrips((f, r) => (r === 3 ? f.slice(0, 2) : f)));
      const wh = await fresh("latefail");
      try {
        let seen: { staged: number; quarantined: number } | null = null;
        const err = await ingestFile(wh, path, {
          beforeCommit: async (result) => {
            // Inside the transaction the writes are visible...
            seen = { staged: await wh.count("stg_fleet_trips"), quarantined: await wh.count("wh_quarantine") };
            expect(result.rowsStaged).toBe(seen.staged);
            throw new Error("power cut");
          },
        }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DataError);
        expect((err as Error).message).toMatch(/rolled back: power cut/);
        expect(seen).toEqual({ staged: tripLines.length - 2, quarantined: 1 });
        // ...and after the throw none of them are.
        expect(await wh.count("stg_fleet_trips")).toBe(0);
        expect(await wh.count("wh_quarantine")).toBe(0);
        expect(await wh.count("wh_ingested_files")).toBe(0);
        expect((await ingestFile(wh, path)).rowsStaged).toBe(tripLines.length - 2);
      } finally {
        wh.close();
      }
    });

    it("a folder load rolls back only the failing file and loads the rest", async () => {
      const dir = join(root, "mixed");
      await mkdir(dir, { recursive: true });
      await copyFile(join(fleetDir, "fleet_events.csv"), join(dir, "fleet_events.csv"));
      await writeFile(join(dir, "fleet_trips.csv"), "trip_id,vehicle_id\n1,1\n");
      const wh = await fresh("mixed");
      try {
        const res = await ingestDirectory(wh, dir);
        expect(res.failed.map((f) => f.path.split("/").pop())).toEqual(["fleet_trips.csv"]);
        expect(res.failed[0].error.message).toMatch(/lacks columns "day", "start_ts"/);
        expect(res.files.map((f) => [f.path.split("/").pop(), f.status])).toEqual([["fleet_events.csv", "loaded"]]);
        expect(await wh.count("stg_fleet_trips")).toBe(0);
      } finally {
        wh.close();
      }
    });
  });

  describe("every generator's output stages cleanly", () => {
    it("industrial (with dropouts), vehicle and EV files in CSV, Parquet and JSON lines", async () => {
      const dir = join(root, "all");
      await writeIndustrial({ devices: 3, samplesPerDevice: 400, faults: { ratePerDeviceHour: 0, episodes: [{ device: 2, type: "sensor_dropout", startSample: 100, durationSamples: 50, channel: "temp_c", mode: "missing" }] } }, createRng(3), dir, ["csv", "jsonl"]);
      await writeVehicle({ trips: 2, tripSeconds: 30 }, createRng(4), dir, ["parquet"]);
      await writeEv({ vehicles: 4, days: 40 }, createRng(5), dir, ["csv"]);
      const wh = await fresh("all");
      try {
        const res = await ingestDirectory(wh, dir);
        expect(res.failed).toEqual([]);
        const by = Object.fromEntries(res.files.map((f) => [f.path.split("/").pop(), f]));
        expect(by["industrial_telemetry.csv"].rowsStaged).toBe(1200);
        expect(by["industrial_telemetry.csv"].rowsQuarantined).toBe(0);
        expect(by["industrial_telemetry.jsonl"].rowsDuplicate).toBe(1200);
        expect(by["vehicle_telemetry.parquet"].rowsStaged).toBe(2 * 30 * 20);
        expect(by["ev_daily.csv"].rowsStaged).toBe(160);
        // Sensor dropouts arrive as NULLs, not zeros.
        const nulls = await wh.scalar(`SELECT count(*)::DOUBLE FROM stg_industrial_telemetry WHERE temp_c IS NULL OR rpm IS NULL OR voltage_v IS NULL OR current_a IS NULL OR vibration_g IS NULL`);
        const dropouts = await wh.scalar(`SELECT count(*)::DOUBLE FROM stg_industrial_telemetry WHERE fault_tag = 'sensor_dropout'`);
        expect(nulls).toBe(50);
        expect(dropouts).toBe(50);
        const ts = await wh.rows(`SELECT CAST(min(timestamp) AS VARCHAR) AS t FROM stg_industrial_telemetry`);
        expect(String(ts[0].t)).toBe("2026-01-01 00:00:00");
      } finally {
        wh.close();
      }
    });

    it("stages exactly what DuckDB's own CSV reader reads from the same clean files (an independent parser)", async () => {
      const dir = join(root, "engines");
      await writeIndustrial({ devices: 4, samplesPerDevice: 500, faults: { ratePerDeviceHour: 30 } }, createRng(8), dir, ["csv"]);
      await writeEv({ vehicles: 5, days: 60, failureRatePerVehicleYear: 3 }, createRng(9), dir, ["csv"]);
      await copyFile(tripsCsv, join(dir, "fleet_trips.csv"));
      for (const name of ["industrial_telemetry.csv", "ev_daily.csv", "fleet_trips.csv"]) {
        const wh = await fresh(`engine-${name}`);
        try {
          const path = join(dir, name);
          const res = await ingestFile(wh, path, { chunkRows: 97 });
          expect(res.rowsQuarantined).toBe(0);
          const t = rawTableForPath(path)!;
          const types = t.schema.columns.map((c) => `${literal(c.name)}: ${literal(c.type === "int32" ? "INTEGER" : c.type === "float64" ? "DOUBLE" : c.type === "bool" ? "BOOLEAN" : c.type === "timestamp" ? "TIMESTAMP" : "VARCHAR")}`);
          const reader = `read_csv(${literal(path)}, header = true, auto_detect = false, columns = {${types.join(", ")}}, timestampformat = '%Y-%m-%dT%H:%M:%S.%gZ')`;
          const cols = t.schema.columns.map((c) => `"${c.name}"`).join(", ");
          const staged = await wh.rows(`SELECT ${cols} FROM ${res.staging} ORDER BY rowid`);
          const truth = await wh.rows(`SELECT ${cols} FROM ${reader}`);
          expect(staged.length).toBeGreaterThan(100);
          expect(staged).toEqual(truth);
        } finally {
          wh.close();
        }
      }
    });

    it("stages an open-text value first seen late in the file as DuckDB's CSV reader reads it", async () => {
      const dir = join(root, "late-label");
      await mkdir(dir, { recursive: true });
      const path = join(dir, "fleet_trips_late_label.csv");
      await writeFile(path, editTrips((f, r) => (r === 800 ? f.map((v, i) => (i === col("firmware") ? "9.9.9-late" : v)) : f)));
      const wh = await fresh("late-label");
      try {
        const res = await ingestFile(wh, path, { chunkRows: 100 });
        expect(res.rowsQuarantined).toBe(0);
        const fw = await wh.textColumn(`SELECT firmware FROM stg_fleet_trips ORDER BY rowid`);
        const truth = await wh.textColumn(`SELECT firmware FROM read_csv(${literal(path)}, header = true, all_varchar = true)`);
        expect(fw[800]).toBe("9.9.9-late");
        expect(fw).toEqual(truth);
      } finally {
        wh.close();
      }
    });

    it("maps file names to tables by the longest generator table name they contain", () => {
      expect(rawTableForPath("/x/fleet_trips.csv")?.staging).toBe("stg_fleet_trips");
      expect(rawTableForPath("/x/2025-03_fleet_trip_truth.parquet")?.staging).toBe("stg_fleet_trip_truth");
      expect(rawTableForPath("/x/fleet_ground_truth.json")).toBeNull();
      expect(rawTableForPath("/x/notes.csv")).toBeNull();
    });
  });

  it("the Parquet path really stages through a temp file, deleted afterwards; the appender path makes none", async () => {
    const wh = await fresh("which-path");
    try {
      const seen: number[] = [];
      await ingestFile(wh, tripsCsv, { chunkRows: 200, onProgress: () => void seen.push(stageFiles().length) });
      expect(seen.length).toBeGreaterThan(1);
      // Parquet: the part being written, plus at most two queued for insertion.
      expect(seen.every((k) => (mode === "appender" ? k === 0 : k >= 1 && k <= 3))).toBe(true);
      expect(stageFiles()).toEqual([]);
    } finally {
      wh.close();
    }
  });
});

describe("temporary Parquet parts of dead processes", () => {
  it("are swept; parts of live processes and other files are left alone", async () => {
    const dir = join(root, "sweep");
    await mkdir(dir, { recursive: true });
    // A pid that surely ended: a child that has exited.
    const dead = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ["-e", "0"]);
      child.on("exit", () => resolve(child.pid!));
    });
    const names = [`workbench-stage-${dead}-0a1b.parquet`, `workbench-stage-${process.pid}-0a1c.parquet`, `workbench-stage-1-0a1d.parquet`, "workbench-stage-notes.txt", `other-${dead}.parquet`];
    for (const n of names) await writeFile(join(dir, n), "x");
    const removed = sweepStaleStageFiles(dir);
    expect(removed.map((p) => p.split("/").pop())).toEqual([`workbench-stage-${dead}-0a1b.parquet`]);
    // pid 1 (init) is alive; this process is alive; the rest do not match the pattern.
    expect(readdirSync(dir).sort()).toEqual(names.slice(1).sort());
  });
});

describe("staging column types", () => {
  it("guarded categories are staged as ENUMs, open text as VARCHAR; a staging table made with VARCHAR categories still loads, on both paths", async () => {
    const fresh = await openWarehouse({ path: join(root, "enum-new.duckdb") });
    try {
      await ingestFileWith(fresh, tripsCsv);
      const types = Object.fromEntries((await fresh.rows(`SELECT column_name, column_type FROM (DESCRIBE stg_fleet_trips)`)).map((r) => [String(r.column_name), String(r.column_type)]));
      expect(types.weather).toMatch(/^ENUM\('clear'/);
      expect(types.firmware).toBe("VARCHAR");
      const weather = await fresh.textColumn(`SELECT CAST(weather AS VARCHAR) FROM stg_fleet_trips ORDER BY trip_id`);
      for (const stagingPath of ["appender", "parquet"] as const) {
        const old = await openWarehouse({ path: join(root, `enum-old-${stagingPath}.duckdb`) });
        try {
          const cols = tripLines[0].split(",");
          const ddl = (await fresh.rows(`SELECT column_name, column_type, "null" FROM (DESCRIBE stg_fleet_trips)`)).map((r) => `"${String(r.column_name)}" ${String(r.column_type).startsWith("ENUM") ? "VARCHAR" : String(r.column_type)}${r.null === "NO" ? " NOT NULL" : ""}`);
          expect(cols.length + 1).toBe(ddl.length);
          await old.exec(`CREATE TABLE stg_fleet_trips (${ddl.join(", ")})`);
          const r = await ingestFileWith(old, tripsCsv, { stagingPath });
          expect(r.rowsStaged).toBe(tripLines.length - 1);
          const oldTypes = Object.fromEntries((await old.rows(`SELECT column_name, column_type FROM (DESCRIBE stg_fleet_trips)`)).map((x) => [String(x.column_name), String(x.column_type)]));
          expect(oldTypes.weather).toBe("VARCHAR");
          expect(await old.textColumn(`SELECT weather FROM stg_fleet_trips ORDER BY trip_id`)).toEqual(weather);
        } finally {
          old.close();
        }
      }
    } finally {
      fresh.close();
    }
  });
});

describe("choice of staging path", () => {
  it("auto stages files of at least PARQUET_STAGING_MIN_BYTES through Parquet and smaller ones through the appender", async () => {
    const dir = join(root, "auto");
    await writeIndustrial({ devices: 10, samplesPerDevice: 2500 }, createRng(12), dir, ["csv"]);
    const big = join(dir, "industrial_telemetry.csv");
    expect((await stat(big)).size).toBeGreaterThanOrEqual(PARQUET_STAGING_MIN_BYTES);
    expect((await stat(tripsCsv)).size).toBeLessThan(PARQUET_STAGING_MIN_BYTES);
    const wh = await openWarehouse({ path: join(root, "auto.duckdb") });
    try {
      for (const [path, expected] of [
        [big, 1],
        [tripsCsv, 0],
      ] as const) {
        const seen = new Set<number>();
        const res = await ingestFileWith(wh, path, { onProgress: () => void seen.add(stageFiles().length) });
        expect(res.status).toBe("loaded");
        expect([...seen]).toEqual([expected]);
      }
      expect(await wh.count("stg_industrial_telemetry")).toBe(25_000);
      expect(stageFiles()).toEqual([]);
    } finally {
      wh.close();
    }
  });
});
