import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import { captureCliOutput } from "../cli/capture.js";
import { FileStore } from "../../lib/tracking/file-store.js";
import type { Run } from "../../lib/tracking/entities.js";

let root: string;
let uri: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "wb-data-cli-"));
  uri = join(root, "mlruns");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const out = captureCliOutput();

const cli = (...args: string[]) => main(["--tracking-uri", uri, ...args]);

async function lastRun(): Promise<Run> {
  const id = [...out.stdout.matchAll(/run ([0-9a-f]{32}) FINISHED/g)].pop()?.[1];
  expect(id).toBeDefined();
  return new FileStore(uri).getRun(id as string);
}

async function artifactPaths(runId: string, path?: string): Promise<string[]> {
  const store = new FileStore(uri);
  const out: string[] = [];
  for (const a of await store.listArtifacts(runId, path)) {
    if (a.isDir) out.push(...(await artifactPaths(runId, a.path)));
    else out.push(a.path);
  }
  return out.sort();
}

async function dataRuns(): Promise<Run[]> {
  const store = new FileStore(uri);
  const e = await store.getExperimentByName("data");
  if (!e) return [];
  return (await store.searchRuns({ experimentIds: [e.experimentId], maxResults: 1000 })).runs;
}

const fleetDir = () => join(root, "fleet");

describe("workbench data generate", () => {
  it("writes the data set and records config params, row-count metrics and the ground truth", async () => {
    expect(await cli("data", "generate", "fleet", "days=4", "tripsPerDay=250", "vehicles=30", "calibrationTrips=1000", "--out", fleetDir(), "--seed", "5")).toBe(0);
    const run = await lastRun();
    expect(run.info.status).toBe("FINISHED");
    expect(run.info.runName).toBe("generate-fleet");
    expect(run.data.params.days).toBe("4");
    expect(run.data.params.tripsPerDay).toBe("250");
    expect(run.data.params.seed).toBe("5");
    expect(run.data.metrics.rows_fleet_trips).toBe(1000);
    expect(run.data.metrics.rows_total).toBeGreaterThan(1000);
    expect(run.data.metrics.duration_s).toBeGreaterThanOrEqual(0);
    expect(run.data.tags["workbench.config_hash"]).toMatch(/^[0-9a-f]{64}$/);
    const artifacts = await artifactPaths(run.info.runId);
    expect(artifacts).toEqual(["config.yaml", "ground_truth/fleet_daily_truth.csv", "ground_truth/fleet_ground_truth.json", "manifest.json"]);
    const truth = JSON.parse((await new FileStore(uri).readArtifact(run.info.runId, "ground_truth/fleet_ground_truth.json")).toString());
    expect(truth.kind).toBe("fleet-ground-truth");
    expect(readFileSync(join(fleetDir(), "fleet_trips.csv"), "utf8").split("\n")).toHaveLength(1002);
  });

  it("exits 2 with one line naming the key for bad overrides, generator names and formats, creating no run", async () => {
    const before = (await dataRuns()).length;
    expect(await cli("data", "generate", "fleet", "days=-2", "--out", join(root, "x"))).toBe(2);
    expect(out.stderr).toMatch(/^error: override 'days=-2': key 'days': Too small/);
    expect(await cli("data", "generate", "industrial", "devicez=3", "--out", join(root, "x"))).toBe(2);
    expect(out.stderr).toMatch(/unknown key 'devicez'; known keys: devices/);
    expect(await cli("data", "generate", "ev", "vehicles=many", "--out", join(root, "x"))).toBe(2);
    expect(out.stderr).toMatch(/override 'vehicles=many': expected an integer/);
    expect(await cli("data", "generate", "boats")).toBe(2);
    expect(out.stderr).toMatch(/unknown generator 'boats'/);
    expect(await cli("data", "generate", "vehicle", "--format", "xlsx")).toBe(2);
    expect(out.stderr).not.toMatch(/\n\s+at /);
    expect((await dataRuns()).length).toBe(before);
  });
});

describe("workbench data generate with config variants", () => {
  it("layers configs/data/<generator>/<variant>.yaml under the overrides, and exits 2 for an unknown variant", async () => {
    expect(await cli("data", "generate", "industrial", "-c", "10m", "samplesPerDevice=50", "--out", join(root, "variant"))).toBe(0);
    const run = await lastRun();
    expect(run.data.params.devices).toBe("100");
    expect(run.data.params.samplesPerDevice).toBe("50");
    expect(run.data.metrics.rows_industrial_telemetry).toBe(5000);
    expect(await cli("data", "generate", "fleet", "-c", "nope")).toBe(2);
    expect(out.stderr).toMatch(/no variant 'nope' for experiment 'fleet'.*available: year/);
  });
});

describe("workbench data validate", () => {
  it("passes a clean file (exit 0) and records counts and the report", async () => {
    expect(await cli("data", "validate", join(fleetDir(), "fleet_trips.csv"))).toBe(0);
    const run = await lastRun();
    expect(run.data.params.suite).toBe("fleet-trips");
    expect(run.data.metrics).toMatchObject({ rows_in: 1000, rows_good: 1000, rows_quarantined: 0, rows_unparseable: 0, expectations_failed: 0 });
    expect(run.data.tags["workbench.validation"]).toBe("passed");
    expect(await artifactPaths(run.info.runId)).toEqual(["validation/quarantine.jsonl", "validation/report.json", "validation/summary.txt"]);
    expect(out.stdout).toMatch(/Validation PASSED/);
  });

  it("fails a corrupted file (exit 1) with the quarantined rows and reasons as artifacts", async () => {
    const lines = readFileSync(join(fleetDir(), "fleet_events.csv"), "utf8").trimEnd().split("\n");
    lines[3] = lines[3].replace(/,(harsh_brake|safety_intervention|near_miss|collision),/, ",meteor_strike,");
    lines[7] = "garbage";
    const bad = join(root, "bad_fleet_events.csv");
    writeFileSync(bad, lines.join("\n") + "\n");
    expect(await cli("data", "validate", bad)).toBe(1);
    const run = await lastRun();
    expect(run.info.status).toBe("FINISHED");
    expect(run.data.params.suite).toBe("fleet-events");
    expect(run.data.metrics.rows_quarantined).toBe(2);
    expect(run.data.metrics.rows_unparseable).toBe(1);
    expect(run.data.metrics.rows_in).toBe(lines.length - 1);
    expect(run.data.tags["workbench.validation"]).toBe("failed");
    const q = (await new FileStore(uri).readArtifact(run.info.runId, "validation/quarantine.jsonl")).toString().trim().split("\n").map((l) => JSON.parse(l));
    expect(q.map((r: { line: number }) => r.line).sort()).toEqual([4, 8]);
    expect(JSON.stringify(q)).toMatch(/meteor_strike\\" not allowed/);
  });

  it("validates Parquet through DuckDB, and exits 2 for an unknown suite or a missing file", async () => {
    expect(await cli("data", "generate", "ev", "vehicles=3", "days=20", "--out", join(root, "ev"), "--format", "parquet")).toBe(0);
    expect(await cli("data", "validate", join(root, "ev", "ev_daily.parquet"))).toBe(0);
    expect((await lastRun()).data.metrics.rows_in).toBe(60);
    expect(await cli("data", "validate", join(fleetDir(), "fleet_trips.csv"), "--suite", "nope")).toBe(2);
    expect(out.stderr).toMatch(/unknown suite 'nope'; available: fleet-trips/);
    expect(await cli("data", "validate", join(root, "absent.csv"))).toBe(2);
  });
});

describe("workbench data ingest", () => {
  it("loads a folder, builds the star schema and extracts; a second run stages nothing", async () => {
    const db = join(root, "wh", "fleet.duckdb");
    expect(await cli("data", "ingest", fleetDir(), "--db", db, "--extract", join(root, "bi"))).toBe(0);
    const run = await lastRun();
    expect(run.info.runName).toBe("ingest-fleet");
    expect(run.data.metrics).toMatchObject({ files_loaded: 4, files_skipped: 0, files_failed: 0, rows_quarantined: 0 });
    expect(run.data.metrics.rows_staged_stg_fleet_trips).toBe(1000);
    expect(run.data.metrics.rows_fact_trip_safety).toBe(1000);
    expect(run.data.metrics.rows_staged).toBe(run.data.metrics.rows_in);
    expect(run.data.params.db).toBe(db);
    const artifacts = await artifactPaths(run.info.runId);
    expect(artifacts).toContain("ingest.json");
    expect(artifacts).toContain("extracts.json");
    expect(artifacts).toContain("validation/fleet_trips.csv.report.json");
    expect(readFileSync(join(root, "bi", "fact_daily_hazard.csv"), "utf8")).toMatch(/^date_key,firmware_key,road_type,trips/);

    expect(await cli("data", "ingest", fleetDir(), "--db", db)).toBe(0);
    const again = await lastRun();
    expect(again.data.metrics).toMatchObject({ files_loaded: 0, files_skipped: 4, rows_in: 0, rows_staged: 0 });
  });

  it("exits 1 when a file fails, recording it; the good files still load", async () => {
    const dir = join(root, "partly-bad");
    expect(await cli("data", "generate", "industrial", "devices=2", "samplesPerDevice=300", "--out", dir)).toBe(0);
    writeFileSync(join(dir, "more_industrial_telemetry.csv"), "timestamp,device_id\n2026-01-01T00:00:00Z,1\n");
    expect(await cli("data", "ingest", dir, "--db", join(root, "wh", "ind.duckdb"))).toBe(1);
    expect(out.stderr).toMatch(/more_industrial_telemetry\.csv: header lacks columns "state"/);
    const run = await lastRun();
    expect(run.info.status).toBe("FINISHED");
    expect(run.data.metrics).toMatchObject({ files_loaded: 1, files_failed: 1, rows_staged: 600 });
    expect(run.data.tags["workbench.data.failed_files"]).toBe("more_industrial_telemetry.csv");
  });
});
