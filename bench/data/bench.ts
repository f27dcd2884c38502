/**
 * Data pipeline bench: generate, validate, ingest and aggregate the default fleet data set and N rows
 * of industrial telemetry (default 10M) with the workbench, then the same validate / ingest / aggregate
 * steps with pandas and with DuckDB's Python client on the same files, in the same run; prints a ratio
 * table (ours / peer: below 1 means we are faster).
 *
 * Every column does the same work per step (listed at the top of peer.py and printed under the table).
 *
 *   npx tsx bench/data/bench.ts [--industrial-rows N] [--fleet-days D] [--fleet-repeats R] [--small] [--dir DIR] [--keep]
 *
 * The fleet file is small (90k rows): its validate, ingest and aggregate steps run R times (default 9)
 * on both sides, validate and ingest into fresh outputs; the table shows medians (steady state: our JIT
 * and WebAssembly tiers settle after three or four runs), and the ratio of the
 * first runs (ours pays the JIT warm-up there) in its last column.
 *
 * --small: 1M industrial rows and 30 fleet days (about a minute). Python: $DATA_BENCH_PYTHON
 * (default /work/venvs/data/bin/python) with bench/data/requirements.txt installed.
 * The machine is shared and has 2 cores: timings are noisy; run twice before trusting a ratio.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FLEET_TRIPS_TABLE, writeFleet } from "../../lib/simulate/fleet.js";
import { INDUSTRIAL_TABLE, writeIndustrial } from "../../lib/simulate/industrial.js";
import type { TableSchema } from "../../lib/simulate/table.js";
import { createRng } from "../../lib/util/random.js";
import { renderTable } from "../../lib/util/table.js";
import { ident, openWarehouse } from "../../lib/warehouse/db.js";
import { ingestFile, stagingDdl } from "../../lib/warehouse/ingest.js";
import { dailyHazardSeries } from "../../lib/warehouse/query.js";
import { buildStarSchema } from "../../lib/warehouse/star.js";
import { rawTableNamed } from "../../lib/warehouse/tables.js";
import { validateRawFile } from "../../lib/warehouse/validate-file.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const out = await fn();
  return [(performance.now() - t0) / 1000, out];
}

/** The validation outputs every validate step writes (the peers write the same three files). */
function outputs(work: string, name: string): { quarantinePath: string; reportPath: string; summaryPath: string } {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  return { quarantinePath: join(dir, "quarantine.jsonl"), reportPath: join(dir, "report.json"), summaryPath: join(dir, "summary.txt") };
}

/** Median of a list of seconds. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Steps {
  generate: number;
  /** Median seconds over the repeats; `first` holds the first run of each repeated step. */
  validate: number;
  ingest: number;
  aggregate: number;
  first: { validate: number; ingest: number; aggregate: number };
  repeats: number;
  /** Star schema build + daily hazard series (fleet only; no peer). */
  star?: number;
  rows: number;
  bytes: number;
}

async function main(): Promise<void> {
  const small = process.argv.includes("--small");
  const industrialRows = Number(arg("--industrial-rows") ?? (small ? 1_000_000 : 10_000_000));
  const fleetDays = Number(arg("--fleet-days") ?? (small ? 30 : 90));
  const fleetRepeats = Number(arg("--fleet-repeats") ?? 9);
  const work = resolve(arg("--dir") ?? join(tmpdir(), "workbench-data-bench"));
  const python = process.env.DATA_BENCH_PYTHON ?? "/work/venvs/data/bin/python";
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const sqlDir = join(root, "lib", "warehouse", "sql");
  const devices = 100;
  const samples = Math.ceil(industrialRows / devices);
  console.log(`data bench: fleet ${fleetDays} days x 1000 trips/day, industrial ${devices} devices x ${samples} samples; node ${process.version}; work dir ${work}`);

  // Load DuckDB's native module once before timing, as the Python peers import theirs before timing.
  (await openWarehouse({ path: ":memory:", sqlDir, ledger: false })).close();
  const ours: Record<string, Steps> = {};
  // Fleet: the default data set (90 days x 1000 trips/day).
  {
    const dir = join(work, "fleet");
    const [generate] = await time(() => writeFleet({ days: fleetDays }, createRng(42), dir, ["csv"]));
    const trips = join(dir, "fleet_trips.csv");
    // A 90k-row file takes a fraction of a second: each step runs `fleetRepeats` times into fresh
    // outputs (the median is reported, and the first run, which pays the JIT warm-up, beside it).
    const validations: number[] = [];
    let v: Awaited<ReturnType<typeof validateRawFile>> | null = null;
    for (let i = 0; i < fleetRepeats; i++) {
      const [dt, out] = await time(() => validateRawFile(trips, { sqlDir, ...outputs(work, `ours_v_fleet_trips_${i}`) }));
      validations.push(dt);
      v = out;
    }
    // Ingest is timed from opening the warehouse file to closing it (DuckDB checkpoints on close), as
    // the peers connect, load, commit and close inside their timing.
    const ingests: number[] = [];
    let r: Awaited<ReturnType<typeof ingestFile>> | null = null;
    for (let i = 0; i < fleetRepeats; i++) {
      const [dt, out] = await time(async () => {
        const db = await openWarehouse({ path: join(work, `ours_fleet_${i}.duckdb`), sqlDir });
        try {
          return await ingestFile(db, trips);
        } finally {
          db.close();
        }
      });
      ingests.push(dt);
      r = out;
    }
    const wh = await openWarehouse({ path: join(work, `ours_fleet_${fleetRepeats - 1}.duckdb`), sqlDir });
    // The same group-by the peers run, over the staged rows; then the star schema, which has no peer.
    const aggregates: number[] = [];
    for (let i = 0; i < fleetRepeats; i++) {
      const [dt] = await time(() =>
        wh.rows(`SELECT day, firmware, road_type, count(*) AS trips, sum(miles) AS miles, sum(duration_min) AS minutes, sum(critical_events) AS critical FROM stg_fleet_trips GROUP BY ALL ORDER BY ALL`),
      );
      aggregates.push(dt);
    }
    const [star] = await time(async () => {
      await buildStarSchema(wh);
      return dailyHazardSeries(wh, { groupBy: "firmware" });
    });
    wh.close();
    if (!r || !v || r.rowsStaged !== v.report.rowsIn) throw new Error(`fleet: staged ${r?.rowsStaged} of ${v?.report.rowsIn}`);
    ours.fleet_trips = {
      generate,
      validate: median(validations),
      ingest: median(ingests),
      aggregate: median(aggregates),
      star,
      first: { validate: validations[0], ingest: ingests[0], aggregate: aggregates[0] },
      repeats: fleetRepeats,
      rows: r.rowsIn,
      bytes: statSync(trips).size,
    };
  }
  // Industrial telemetry.
  {
    const dir = join(work, "industrial");
    const [generate] = await time(() => writeIndustrial({ devices, samplesPerDevice: samples }, createRng(42), dir, ["csv"]));
    const file = join(dir, "industrial_telemetry.csv");
    const [validate, v] = await time(() => validateRawFile(file, { sqlDir, memoryLimit: "4GB", ...outputs(work, "ours_v_industrial") }));
    const path = join(work, "ours_industrial.duckdb");
    const [ingest, r] = await time(async () => {
      const db = await openWarehouse({ path, sqlDir, memoryLimit: "4GB" });
      try {
        return await ingestFile(db, file);
      } finally {
        db.close();
      }
    });
    const wh = await openWarehouse({ path, sqlDir, memoryLimit: "4GB" });
    const [aggregate] = await time(() =>
      wh.numericColumns(
        // Group on the stored types, then cast the few result rows for the typed arrays.
        `SELECT CAST(device_id AS DOUBLE) AS device, CAST(epoch_ms(hour) AS DOUBLE) AS hour, temp, vib, CAST(faults AS DOUBLE) AS faults
         FROM (SELECT device_id, date_trunc('hour', "timestamp") AS hour, avg(temp_c) AS temp, max(vibration_g) AS vib, count_if(fault_tag <> 'none') AS faults
               FROM stg_industrial_telemetry GROUP BY ALL) ORDER BY device, hour`,
      ),
    );
    wh.close();
    if (r.rowsStaged !== v.report.rowsIn) throw new Error(`industrial: staged ${r.rowsStaged} of ${v.report.rowsIn}`);
    ours.industrial = { generate, validate, ingest, aggregate, first: { validate, ingest, aggregate }, repeats: 1, rows: r.rowsIn, bytes: statSync(file).size };
  }

  const suiteOf = (name: string) => rawTableNamed(name).suite;
  const cols = (s: TableSchema) => s.columns.map((c) => c.name);
  // The peers create the very staging table we do (renamed stg).
  const ddlOf = (name: string) => { const t = rawTableNamed(name); return stagingDdl(t).replace(ident(t.staging), "stg"); };
  const timestamps = (s: TableSchema) => s.columns.filter((c) => c.type === "timestamp").map((c) => c.name);
  const spec = {
    work,
    tables: [
      { name: "fleet_trips", path: join(work, "fleet", "fleet_trips.csv"), suite: suiteOf("fleet-trips"), timestamps: timestamps(FLEET_TRIPS_TABLE), key: FLEET_TRIPS_TABLE.key, columns: cols(FLEET_TRIPS_TABLE), ddl: ddlOf("fleet-trips"), aggregate: "fleet", repeats: fleetRepeats },
      { name: "industrial", path: join(work, "industrial", "industrial_telemetry.csv"), suite: suiteOf("industrial"), timestamps: timestamps(INDUSTRIAL_TABLE), key: INDUSTRIAL_TABLE.key, columns: cols(INDUSTRIAL_TABLE), ddl: ddlOf("industrial"), aggregate: "industrial", repeats: 1 },
    ],
  };
  const specPath = join(work, "spec.json");
  writeFileSync(specPath, JSON.stringify(spec));
  const py = spawnSync(python, [join(here, "peer.py"), specPath], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (py.status !== 0) {
    console.error(py.stderr);
    throw new Error(`python peer failed (${python}); create the venv: python3 -m venv /work/venvs/data && /work/venvs/data/bin/pip install -r bench/data/requirements.txt`);
  }
  const peer = JSON.parse(py.stdout) as { versions: Record<string, string>; tables: Record<string, Record<string, number>> };

  const rows: (string | number | null)[][] = [];
  const fmt = (x: number) => Number(x.toFixed(2));
  // Seconds: three decimals below one second, so the fleet steps keep their digits.
  const secs = (x: number) => Number(x.toFixed(x < 1 ? 3 : 2));
  for (const [name, o] of Object.entries(ours)) {
    const p = peer.tables[name];
    if (p.pandas_bad_rows !== 0 || p.duckdb_bad_rows !== 0) console.warn(`warning: peers found bad rows in ${name}: pandas ${p.pandas_bad_rows}, duckdb ${p.duckdb_bad_rows}`);
    if (p.pandas_staged !== o.rows) console.warn(`warning: pandas staged ${p.pandas_staged} of ${o.rows} rows of ${name}`);
    rows.push([name, "generate (write CSV)", secs(o.generate), null, null, null, null, null]);
    for (const step of ["validate", "ingest", "aggregate"] as const) {
      const mine = o[step];
      const pd = p[`pandas_${step}`];
      const dk = p[`duckdb_${step}`];
      const first = o.repeats === 1 ? null : fmt(o.first[step] / p[`pandas_${step}_first`]);
      const label = o.repeats > 1 ? `${step} (median of ${o.repeats})` : step;
      rows.push([name, label, secs(mine), secs(pd), secs(dk), fmt(mine / pd), fmt(mine / dk), first]);
    }
    if (o.star !== undefined) rows.push([name, "star schema + hazard series", secs(o.star), null, null, null, null, null]);
  }
  console.log();
  console.log(renderTable(["table", "step", "ours s", "pandas s", "duckdb-py s", "ours/pandas", "ours/duckdb", "1st run ours/pandas"], rows));
  console.log();
  for (const [name, o] of Object.entries(ours)) {
    console.log(`${name}: ${o.rows} rows, ${(o.bytes / 1e6).toFixed(0)} MB CSV, read once by lib/validate's byte-level reader (plain records parsed by its WebAssembly kernel); good rows staged from its typed columns (files >= 1 MB: temporary Parquet parts in DuckDB-sized row groups inserted with read_parquet while the next part is parsed, the checksum computed on a worker meanwhile; smaller: DuckDB's appender)`);
  }
  console.log(`peers: pandas ${peer.versions.pandas}, duckdb ${peer.versions.duckdb}, numpy ${peer.versions.numpy}; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")} (2 shared cores: noisy)`);
  console.log("validate = read + every expectation of the suite (types, nulls, ranges, categories, exact key uniqueness, per-group ordering) + quarantine.jsonl with reasons, report.json and summary;");
  console.log("DuckDB settings of ours (the peers run DuckDB's defaults): commits over 1 MB checkpoint straight into the file (rows written once, not to the WAL and again on close); Parquet parts under two row groups insert on one DuckDB thread.");
  console.log("ingest = open the DuckDB file + sha256 + ledger lookup + validate + in one transaction: stage the good rows (natural-key dedupe), quarantine rows with reasons, ledger row; commit; close (DuckDB checkpoints) (the same work in every column; see peer.py);");
  console.log("aggregate = the same GROUP BY from the loaded data: fleet per day x firmware x road type, industrial per device-hour (ours: SQL in the warehouse, results to JS).");
  if (!process.argv.includes("--keep")) rmSync(work, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
