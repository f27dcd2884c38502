/**
 * REST bench: the workbench's REST backend next to the Python MLflow client, against the same
 * `mlflow server` (SQLite backend, served artifacts) on 127.0.0.1, in the same run: metric points
 * in batches of 1000, single-point log calls, run creation with params, and syncing a local
 * mlruns/ experiment to the server (Python: the equivalent copy loop with MlflowClient). Prints a
 * ratio table; ratio > 1 means the workbench is faster. The machine is shared: numbers are noisy,
 * and the server (one worker) is the bottleneck of most rows.
 *
 * Usage: npx tsx bench/remote/bench.ts   (WORKBENCH_PYTHON selects the interop venv's python;
 *        BENCH_REPEATS, default 3, sets the repeats per row; the median is reported; BENCH_ONLY=batch,sync
 *        runs only those rows)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Metric } from "../../lib/tracking/entities.js";
import { FileStore } from "../../lib/tracking/file-store.js";
import { RestStore } from "../../lib/tracking/rest-store.js";
import { syncRuns } from "../../lib/tracking/sync.js";
import { Tracker } from "../../lib/tracking/tracker.js";
import { renderTable } from "../../lib/util/table.js";
import { MlflowServer } from "../../tests/interop/mlflow-server.js";

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const python = process.env.WORKBENCH_PYTHON ?? resolve(".venv-interop/bin/python");
const peer = resolve("bench/remote/peer.py");
const POINTS = 20_000;
const CALLS = 200;
const RUNS = 20;
const PARAMS = 20;
const SYNC_RUNS = 8;
const SYNC_POINTS = 3000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed(body: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await body();
  return (performance.now() - t) / 1000;
}

function pythonSeconds(args: string[]): number {
  const result = spawnSync(python, [peer, ...args], { encoding: "utf8", env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: "true", PYTHONWARNINGS: "ignore" }, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`peer.py ${args.join(" ")} failed:\n${result.stderr}`);
  return (JSON.parse(result.stdout.trim().split("\n").pop() ?? "{}") as { seconds: number }).seconds;
}

let experimentCounter = 0;

async function ours(url: string, workload: string, scratch: string): Promise<number> {
  const store = new RestStore(url, { env: {}, spoolDir: join(scratch, "spool"), warn: () => {} });
  const tracker = new Tracker(store);
  const experiment = await store.getOrCreateExperiment(`bench-wb-${workload}-${Date.now()}-${experimentCounter++}`);
  const now = Date.now();
  let seconds = 0;
  if (workload === "batch") {
    const metrics: Metric[] = Array.from({ length: POINTS }, (_, i) => ({ key: `m${i % 10}`, value: i * 0.5, step: i, timestamp: now }));
    seconds = await timed(async () => {
      const run = await tracker.startRun({ experimentId: experiment.experimentId, skipProvenance: true });
      await run.logMetricPoints(metrics);
      await run.end();
    });
  } else if (workload === "single") {
    seconds = await timed(async () => {
      const run = await tracker.startRun({ experimentId: experiment.experimentId, skipProvenance: true });
      for (let i = 0; i < CALLS; i++) await run.logMetric("m", i * 0.5, i, now);
      await run.end();
    });
  } else if (workload === "runs") {
    seconds = await timed(async () => {
      for (let r = 0; r < RUNS; r++) {
        const run = await tracker.startRun({ experimentId: experiment.experimentId, runName: `r${r}`, skipProvenance: true });
        const params: Record<string, string> = {};
        for (let i = 0; i < PARAMS; i++) params[`p${i}`] = String(i * r);
        await run.logParams(params);
        await run.end();
      }
    });
  }
  store.close();
  return seconds;
}

async function makeLocal(root: string): Promise<void> {
  const tracker = new Tracker(new FileStore(root, { warn: () => {} }));
  for (let r = 0; r < SYNC_RUNS; r++) {
    const run = await tracker.startRun({ experiment: "to-sync", runName: `local-${r}`, skipProvenance: true });
    await run.logParams({ a: r, b: "x", c: r * 2, d: "y", e: r % 3 });
    await run.setTags({ team: "bench", index: r });
    const points: Metric[] = [];
    for (let i = 0; i < SYNC_POINTS; i++) points.push({ key: i % 2 === 0 ? "loss" : "acc", value: Math.sin(i), step: i, timestamp: 1_700_000_000_000 + i });
    await run.logMetricPoints(points);
    await run.logText(`report of run ${r}\n`.repeat(200), "report.txt");
    await run.end();
  }
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), "wb-bench-remote-"));
  const server = new MlflowServer({ backend: "sqlite" });
  try {
    process.stdout.write("starting mlflow server ...\n");
    await server.start();
    const local = join(scratch, "mlruns");
    await makeLocal(local);
    // Warm-up (not measured): a fresh server answers its first requests much more slowly.
    process.stdout.write("warming up ...\n");
    await ours(server.url, "runs", scratch);
    pythonSeconds([server.url, "runs", "5", "5"]);
    const rows: (string | number | null)[][] = [];
    const workloads: [string, string, number, string[]][] = [
      ["batch", `${POINTS} metric points, batches of 1000`, POINTS, ["batch", String(POINTS)]],
      ["single", `${CALLS} single-point log calls`, CALLS, ["single", String(CALLS)]],
      ["runs", `${RUNS} runs x ${PARAMS} params`, RUNS, ["runs", String(RUNS), String(PARAMS)]],
    ];
    const only = process.env.BENCH_ONLY?.split(",");
    for (const [name, label, units, args] of workloads) {
      if (only && !only.includes(name)) continue;
      const ourTimes: number[] = [];
      const pyTimes: number[] = [];
      // Alternate who goes first: a server warms up and the machine's load drifts.
      for (let k = 0; k < REPEATS; k++) {
        if (k % 2 === 0) {
          ourTimes.push(await ours(server.url, name, scratch));
          pyTimes.push(pythonSeconds([server.url, ...args]));
        } else {
          pyTimes.push(pythonSeconds([server.url, ...args]));
          ourTimes.push(await ours(server.url, name, scratch));
        }
      }
      const o = median(ourTimes);
      const p = median(pyTimes);
      rows.push([label, o, p, units / o, units / p, p / o]);
      process.stdout.write(`${label}: workbench ${o.toFixed(2)} s, python ${p.toFixed(2)} s\n`);
    }
    if (only && !only.includes("sync")) {
      process.stdout.write("\n" + renderTable(["workload", "workbench s", "python s", "workbench units/s", "python units/s", "ratio (python s / workbench s)"], rows) + "\n");
      return;
    }
    // Sync: each repeat into a fresh server-side experiment name, so that every sync sends everything.
    const syncOurs: number[] = [];
    const syncPy: number[] = [];
    const syncAgain: number[] = [];
    for (let k = 0; k < REPEATS; k++) {
      const source = new FileStore(local, { warn: () => {} });
      await source.renameExperiment((await source.getExperimentByName(k === 0 ? "to-sync" : `to-sync-${k - 1}`))!.experimentId, `to-sync-${k}`);
      const target = new RestStore(server.url, { env: {}, spoolDir: join(scratch, "spool"), warn: () => {} });
      syncOurs.push(await timed(async () => void (await syncRuns(source, target, { experiments: [`to-sync-${k}`], concurrency: 2 }))));
      syncAgain.push(await timed(async () => void (await syncRuns(source, target, { experiments: [`to-sync-${k}`] }))));
      target.close();
      syncPy.push(pythonSeconds([server.url, "sync", local, `to-sync-${k}`]));
    }
    const totalPoints = SYNC_RUNS * SYNC_POINTS;
    const so = median(syncOurs);
    const sp = median(syncPy);
    rows.push([`sync ${SYNC_RUNS} runs (${totalPoints} points, artifacts)`, so, sp, totalPoints / so, totalPoints / sp, sp / so]);
    rows.push([`second sync of the same runs (nothing to send)`, median(syncAgain), null, null, null, null]);
    process.stdout.write("\n");
    process.stdout.write(
      renderTable(["workload", "workbench s", "python s", "workbench units/s", "python units/s", "ratio (python s / workbench s)"], rows) + "\n",
    );
    process.stdout.write("\nunits: points (batch, sync), calls (single), runs (runs). Median of " + REPEATS + " repeats; shared 2-core machine, numbers are noisy.\n");
  } finally {
    await server.dispose();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exitCode = 1;
});
