/**
 * `workbench data ...`: generate telemetry, validate raw files, and ingest them into the DuckDB
 * warehouse. Every command is a tracked run in the "data" experiment: the config as params, row counts,
 * rejected rows and durations as metrics, and the validation reports and ground truth as artifacts.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import type { Command } from "commander";
import type { z } from "zod";
import { DataError, UsageError } from "../../lib/errors.js";
import { loadConfig } from "../../lib/config/load.js";
import { EvConfigSchema, writeEv, type EvConfigInput } from "../../lib/simulate/ev.js";
import { FleetConfigSchema, writeFleet, type FleetConfigInput } from "../../lib/simulate/fleet.js";
import { IndustrialConfigSchema, writeIndustrial, type IndustrialConfigInput } from "../../lib/simulate/industrial.js";
import { VehicleConfigSchema, writeVehicle, type VehicleConfigInput } from "../../lib/simulate/vehicle.js";
import type { TableFormat, WriteResult } from "../../lib/simulate/write.js";
import type { ActiveRun } from "../../lib/tracking/run.js";
import { createRng, type Rng } from "../../lib/util/random.js";
import { terminalProgress, type Progress } from "../../lib/util/progress.js";
import { renderTable } from "../../lib/util/table.js";
import { formatReport } from "../../lib/validate/validator.js";
import { DEFAULT_WAREHOUSE_PATH, openWarehouse, type Warehouse } from "../../lib/warehouse/db.js";
import { extractStar } from "../../lib/warehouse/extract.js";
import { ingestDirectory, ingestFile, type IngestDirectoryResult } from "../../lib/warehouse/ingest.js";
import { buildStarSchema } from "../../lib/warehouse/star.js";
import { SUITE_NAMES } from "../../lib/warehouse/tables.js";
import { validateRawFile } from "../../lib/warehouse/validate-file.js";
import { out, projectRoot, trackerFrom } from "../common.js";

const EXPERIMENT = "data";

type Writer = (config: unknown, rng: Rng, dir: string, formats: readonly TableFormat[]) => Promise<{ tables: WriteResult[]; truthPath: string }>;

const GENERATORS: Record<string, { schema: z.ZodType; write: Writer }> = {
  fleet: { schema: FleetConfigSchema, write: (c, rng, dir, f) => writeFleet(c as FleetConfigInput, rng, dir, f) },
  industrial: { schema: IndustrialConfigSchema, write: (c, rng, dir, f) => writeIndustrial(c as IndustrialConfigInput, rng, dir, f) },
  vehicle: { schema: VehicleConfigSchema, write: (c, rng, dir, f) => writeVehicle(c as VehicleConfigInput, rng, dir, f) },
  ev: { schema: EvConfigSchema, write: (c, rng, dir, f) => writeEv(c as EvConfigInput, rng, dir, f) },
};

/** The folder of the warehouse SQL files, from the project root (not the working directory). */
function sqlDir(): string {
  return join(projectRoot, "lib", "warehouse", "sql");
}

function parseFormats(text: string): TableFormat[] {
  const formats = text.split(",").map((f) => f.trim().toLowerCase());
  for (const f of formats) if (f !== "csv" && f !== "jsonl" && f !== "parquet") throw new UsageError(`--format: '${f}' is not one of csv, jsonl, parquet`);
  return [...new Set(formats)] as TableFormat[];
}

function parseSeed(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--seed must be a non-negative integer, got '${text}'`);
  return n;
}

const seconds = (ms: number): number => Math.round(ms) / 1000;

function folderBytes(dir: string): number {
  let total = 0;
  try {
    for (const name of readdirSync(dir)) {
      try {
        total += statSync(join(dir, name)).size;
      } catch {
        // A scratch file may vanish between listing and stat.
      }
    }
  } catch {
    // The folder does not exist yet.
  }
  return total;
}

/** Log what a validation produced (report JSON, summary, quarantined rows) under `prefix/`. */
async function logValidationOutputs(run: ActiveRun, dir: string, prefix: string): Promise<void> {
  for (const name of ["report.json", "summary.txt", "quarantine.jsonl"]) {
    const path = join(dir, name);
    try {
      if (statSync(path).size >= 0) await run.logArtifact(path, prefix);
    } catch {
      // Not every validation writes every file (no quarantine for a clean file read by DuckDB).
    }
  }
}

async function runGenerate(command: Command, generator: string, overrides: string[], opts: { out?: string; format: string; seed: string; config?: string; configDir?: string }): Promise<void> {
  const entry = GENERATORS[generator];
  if (!entry) throw new UsageError(`unknown generator '${generator}'; available: ${Object.keys(GENERATORS).join(", ")}`);
  const formats = parseFormats(opts.format);
  const seed = parseSeed(opts.seed);
  // Validates overrides against the generator's schema (exit 2 with the key at fault) before any run starts.
  const resolved = loadConfig(entry.schema, { experiment: generator, configDir: opts.configDir ?? join(projectRoot, "configs", "data"), variant: opts.config, overrides });
  const dir = resolve(opts.out ?? join("data", generator));
  const tracker = trackerFrom(command);
  await tracker.withRun({ experiment: EXPERIMENT, runName: `generate-${generator}`, sourceName: "workbench data generate", tags: { "workbench.config_hash": resolved.hash, "workbench.seed": String(seed), "workbench.data.command": "generate" } }, async (run) => {
    await run.logParams({ generator, seed, formats: formats.join(","), out: dir, ...resolved.params });
    await run.logText(resolved.yaml, "config.yaml");
    // The writers stream without callbacks; progress is the bytes that have reached the output folder.
    const progress = terminalProgress()(`generate ${generator}`, 1);
    const t0 = performance.now();
    const poll = setInterval(() => progress.update(0, `${(folderBytes(dir) / 1e6).toFixed(0)} MB written`), 1000);
    let written: Awaited<ReturnType<Writer>>;
    try {
      written = await entry.write(resolved.config, createRng(seed), dir, formats);
    } finally {
      clearInterval(poll);
    }
    const took = performance.now() - t0;
    progress.update(1, `${(folderBytes(dir) / 1e6).toFixed(0)} MB`);
    progress.stop();
    const metrics: Record<string, number> = { duration_s: seconds(took), rows_total: 0, bytes_total: 0, files: written.tables.length };
    for (const t of written.tables) {
      const table = basename(t.path).replace(/\.[^.]+$/, "");
      metrics[`rows_${table}`] = t.rows;
      if (t.format === formats[0]) metrics.rows_total += t.rows;
      metrics.bytes_total += statSync(t.path).size;
    }
    await run.logMetrics(metrics);
    await run.logArtifact(written.truthPath, "ground_truth");
    const daily = written.tables.find((t) => basename(t.path) === "fleet_daily_truth.csv" || basename(t.path) === "fleet_daily_truth.parquet");
    if (daily) await run.logArtifact(daily.path, "ground_truth");
    await run.logJson({ generator, seed, dir, files: written.tables.map((t) => ({ ...t, bytes: statSync(t.path).size })) }, "manifest.json");
    out(renderTable(["file", "format", "rows"], written.tables.map((t) => [t.path, t.format, t.rows])));
    out(`ground truth ${written.truthPath}`);
    out(`run ${run.runId} FINISHED (generate ${generator}, seed ${seed}, ${seconds(took)} s)`);
  });
}

async function runValidate(command: Command, file: string, opts: { suite?: string; out?: string }): Promise<void> {
  if (opts.suite && !SUITE_NAMES.includes(opts.suite)) throw new UsageError(`unknown suite '${opts.suite}'; available: ${SUITE_NAMES.join(", ")}`);
  const path = resolve(file);
  try {
    statSync(path);
  } catch {
    throw new UsageError(`no such file: ${path}`);
  }
  const tracker = trackerFrom(command);
  const dir = opts.out ? resolve(opts.out) : mkdtempSync(join(tmpdir(), "workbench-validate-"));
  let failed = false;
  try {
    await tracker.withRun({ experiment: EXPERIMENT, runName: `validate-${basename(path)}`, sourceName: "workbench data validate", tags: { "workbench.data.command": "validate" } }, async (run) => {
      const t0 = performance.now();
      const { table, report } = await validateRawFile(path, {
        suite: opts.suite,
        sqlDir: sqlDir(),
        reportPath: join(dir, "report.json"),
        summaryPath: join(dir, "summary.txt"),
        quarantinePath: join(dir, "quarantine.jsonl"),
      });
      const took = performance.now() - t0;
      await run.logParams({ file: path, suite: table.suiteName, bytes: statSync(path).size });
      const failedExpectations = report.expectations.filter((e) => !e.success).length;
      await run.logMetrics({
        rows_in: report.rowsIn,
        rows_good: report.rowsGood,
        rows_quarantined: report.rowsQuarantined,
        rows_unparseable: report.rowsUnparseable,
        expectations_failed: failedExpectations,
        duration_s: seconds(took),
      });
      await run.setTag("workbench.validation", report.success ? "passed" : "failed");
      await logValidationOutputs(run, dir, "validation");
      process.stdout.write(formatReport(report));
      out(`run ${run.runId} FINISHED (validation ${report.success ? "passed" : "failed"})`);
      failed = !report.success;
    });
  } finally {
    if (!opts.out) rmSync(dir, { recursive: true, force: true });
  }
  // A data set that fails its suite fails the command, so pipelines stop on bad data.
  if (failed) process.exitCode = 1;
}

async function quarantineJsonl(wh: Warehouse, shas: readonly string[], limit: number): Promise<string> {
  if (shas.length === 0) return "";
  const rows = await wh.rows(
    `SELECT q.staging_table, f.path, CAST(q.row_index AS DOUBLE) AS row_index, CAST(q.line AS DOUBLE) AS line, q.reasons, CAST(q.raw AS VARCHAR) AS raw
     FROM wh_quarantine q JOIN wh_ingested_files f USING (sha256)
     WHERE q.sha256 IN (${shas.map(() => "?").join(", ")}) ORDER BY f.path, q.row_index LIMIT ${limit}`,
    [...shas],
  );
  return rows.map((r) => JSON.stringify({ table: r.staging_table, file: r.path, row: r.row_index, line: r.line, reasons: r.reasons, values: JSON.parse(String(r.raw)) })).join("\n") + (rows.length ? "\n" : "");
}

async function runIngest(command: Command, source: string, opts: { db: string; star: boolean; extract?: string; extractFormat: string; chunkRows?: string }): Promise<void> {
  const path = resolve(source);
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new UsageError(`no such file or folder: ${path}`);
  }
  const extractFormats = opts.extractFormat.split(",").map((f) => f.trim());
  for (const f of extractFormats) if (f !== "csv" && f !== "parquet") throw new UsageError(`--extract-format: '${f}' is not csv or parquet`);
  const chunkRows = opts.chunkRows === undefined ? undefined : Number(opts.chunkRows);
  if (chunkRows !== undefined && (!Number.isInteger(chunkRows) || chunkRows < 1)) throw new UsageError(`--chunk-rows must be a positive integer, got '${opts.chunkRows}'`);
  const tracker = trackerFrom(command);
  let anyFailed = false;
  await tracker.withRun({ experiment: EXPERIMENT, runName: `ingest-${basename(path)}`, sourceName: "workbench data ingest", tags: { "workbench.data.command": "ingest" } }, async (run) => {
    await run.logParams({ source: path, db: resolve(opts.db), star: opts.star, extract: opts.extract ?? "" });
    const t0 = performance.now();
    const wh = await openWarehouse({ path: opts.db, sqlDir: sqlDir() });
    try {
      let result: IngestDirectoryResult;
      const progress = terminalProgress();
      if (isDir) {
        const state: { bar: Progress | null; index: number } = { bar: null, index: 0 };
        result = await ingestDirectory(wh, path, {
          chunkRows,
          onFile: (file, i, total) => {
            state.bar ??= progress("ingest", total);
            state.index = i;
            state.bar.update(i, basename(file));
          },
          onProgress: (info) => state.bar?.update(state.index, `${basename(info.path)} ${info.rows} rows`),
        });
        state.bar?.update(result.files.length + result.failed.length, "");
        state.bar?.stop();
      } else {
        const bar = progress("ingest", 1);
        result = { files: [], failed: [], ignored: [] };
        try {
          result.files.push(await ingestFile(wh, path, { chunkRows, onProgress: (info) => bar.update(0, `${info.rows} rows`) }));
        } catch (error) {
          if (!(error instanceof DataError)) throw error;
          result.failed.push({ path, error });
        }
        bar.update(1);
        bar.stop();
      }
      const loaded = result.files.filter((f) => f.status === "loaded");
      const sum = (k: "rowsIn" | "rowsStaged" | "rowsQuarantined" | "rowsDuplicate"): number => result.files.reduce((a, f) => a + f[k], 0);
      const metrics: Record<string, number> = {
        files_loaded: loaded.length,
        files_skipped: result.files.length - loaded.length,
        files_failed: result.failed.length,
        files_ignored: result.ignored.length,
        rows_in: sum("rowsIn"),
        rows_staged: sum("rowsStaged"),
        rows_quarantined: sum("rowsQuarantined"),
        rows_duplicate: sum("rowsDuplicate"),
        load_duration_s: seconds(performance.now() - t0),
      };
      for (const f of loaded) metrics[`rows_staged_${f.staging}`] = (metrics[`rows_staged_${f.staging}`] ?? 0) + f.rowsStaged;
      for (const f of loaded) {
        if (f.report) await run.logJson(f.report, `validation/${basename(f.path)}.report.json`);
      }
      const quarantine = await quarantineJsonl(wh, loaded.filter((f) => f.rowsQuarantined > 0).map((f) => f.sha256), 100_000);
      if (quarantine) await run.logText(quarantine, "quarantine.jsonl");
      let star: Record<string, number> | null = null;
      if (opts.star && (await wh.hasTable("stg_fleet_trips")) && (await wh.count("stg_fleet_trips")) > 0) {
        const ts = performance.now();
        star = await buildStarSchema(wh);
        metrics.star_duration_s = seconds(performance.now() - ts);
        for (const [k, v] of Object.entries(star)) metrics[`rows_${k}`] = v;
        if (opts.extract) {
          const te = performance.now();
          const files = await extractStar(wh, opts.extract, { formats: extractFormats as ("csv" | "parquet")[] });
          metrics.extract_duration_s = seconds(performance.now() - te);
          await run.logJson(files, "extracts.json");
        }
      } else if (opts.extract) {
        throw new DataError("cannot extract the star schema: no fleet trips are staged");
      }
      metrics.duration_s = seconds(performance.now() - t0);
      await run.logMetrics(metrics);
      const summary = {
        db: wh.path,
        files: result.files.map(({ report: _report, ...rest }) => rest),
        failed: result.failed.map((f) => ({ path: f.path, error: f.error.message })),
        ignored: result.ignored,
        star,
      };
      await run.logJson(summary, "ingest.json");
      out(
        renderTable(
          ["file", "table", "status", "rows in", "staged", "quarantined", "duplicates"],
          result.files.map((f) => [basename(f.path), f.staging, f.status === "skipped" ? `skipped (seen as ${basename(f.skippedBecause ?? "")})` : f.status, f.rowsIn, f.rowsStaged, f.rowsQuarantined, f.rowsDuplicate]),
        ),
      );
      for (const f of result.failed) process.stderr.write(`error: ${f.error.message} (rolled back)\n`);
      if (star) out(renderTable(["star table", "rows"], Object.entries(star)));
      anyFailed = result.failed.length > 0;
      if (anyFailed) await run.setTag("workbench.data.failed_files", result.failed.map((f) => basename(f.path)).join(","));
      out(`run ${run.runId} FINISHED (${loaded.length} loaded, ${result.files.length - loaded.length} skipped, ${result.failed.length} failed) into ${wh.path}`);
    } finally {
      wh.close();
    }
  });
  if (anyFailed) process.exitCode = 1;
}

/** Register `workbench data generate|validate|ingest` on the program. */
export function registerDataCommands(program: Command): void {
  const data = program.command("data").description("generate telemetry, validate raw files, ingest them into the DuckDB warehouse");
  data
    .command("generate")
    .description("generate a telemetry data set with its ground truth; key=value overrides are checked against the generator's schema")
    .argument("<generator>", `one of ${Object.keys(GENERATORS).join(", ")}`)
    .argument("[overrides...]", "config overrides such as days=30 tripsPerDay=500")
    .option("-o, --out <dir>", "output folder (default data/<generator>)")
    .option("-f, --format <formats>", "csv, jsonl, parquet or a comma list", "csv")
    .option("-s, --seed <n>", "random seed", "42")
    .option("-c, --config <variant>", "config variant file under configs/data/<generator>/")
    .option("--config-dir <dir>", "folder holding <generator>/ config files (default configs/data)")
    .action((generator: string, overrides: string[], opts: { out?: string; format: string; seed: string; config?: string; configDir?: string }, command: Command) =>
      runGenerate(command, generator, overrides, opts),
    );
  data
    .command("validate")
    .description("validate a raw file against its expectation suite (exit 1 when it fails)")
    .argument("<file>", "a .csv, .parquet or .jsonl file")
    .option("--suite <name>", `suite: ${SUITE_NAMES.join(", ")} (default: judged from the file name)`)
    .option("-o, --out <dir>", "also keep report.json, summary.txt and quarantine.jsonl here")
    .action((file: string, opts: { suite?: string; out?: string }, command: Command) => runValidate(command, file, opts));
  data
    .command("ingest")
    .description("load raw files (a folder or one file) into the warehouse, idempotently, then rebuild the star schema")
    .argument("<source>", "folder of generator outputs, or one file")
    .option("--db <path>", "warehouse database file", DEFAULT_WAREHOUSE_PATH)
    .option("--no-star", "do not rebuild the star schema")
    .option("--extract <dir>", "write the star schema tables here for BI tools")
    .option("--extract-format <formats>", "parquet, csv or both", "parquet,csv")
    .option("--chunk-rows <n>", "rows per validation chunk")
    .action((source: string, opts: { db: string; star: boolean; extract?: string; extractFormat: string; chunkRows?: string }, command: Command) => runIngest(command, source, opts));
}
