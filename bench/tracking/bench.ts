/**
 * Tracking bench: the workbench's file store next to the Python MLflow client on the same steps,
 * in the same run: log 100k metric points in batches of 1000, create 1k runs with 20 params each,
 * and search 10k runs with a filter (both search the same store). Prints a ratio table.
 *
 * Usage: npx tsx bench/tracking/bench.ts   (WORKBENCH_PYTHON selects the interop venv's python)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { FileStore } from "../../lib/tracking/file-store.js";
import type { Metric } from "../../lib/tracking/entities.js";
import { createRng } from "../../lib/util/random.js";
import { renderTable } from "../../lib/util/table.js";

const REPEATS = 3;
const python = process.env.WORKBENCH_PYTHON ?? resolve(".venv-interop/bin/python");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed(body: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await body();
  return (performance.now() - t) / 1000;
}

async function logPoints(root: string): Promise<void> {
  const store = new FileStore(root, { warn: () => {} });
  const exp = await store.createExperiment("bench");
  const run = await store.createRun({ experimentId: exp });
  const now = Date.now();
  const batches: Metric[][] = [];
  for (let b = 0; b < 100; b++) batches.push(Array.from({ length: 1000 }, (_, j) => ({ key: `m${j % 10}`, value: b * 1000 + j, step: b * 1000 + j, timestamp: now })));
  const seconds = await timed(async () => {
    for (const batch of batches) await store.logBatch(run.runId, { metrics: batch });
  });
  results.log.push(seconds);
}

async function createRuns(root: string): Promise<void> {
  const store = new FileStore(root, { warn: () => {} });
  const exp = await store.createExperiment("bench");
  results.create.push(
    await timed(async () => {
      for (let i = 0; i < 1000; i++) {
        const run = await store.createRun({ experimentId: exp });
        await store.logBatch(run.runId, { params: Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`p${k}`, String(i * 20 + k)])) });
      }
    }),
  );
}

async function buildSearchStore(root: string): Promise<void> {
  const store = new FileStore(root, { warn: () => {} });
  const exp = await store.createExperiment("search-bench");
  const rng = createRng(7);
  const models = ["gbdt", "forest", "weibull", "cox"];
  for (let i = 0; i < 10000; i++) {
    const run = await store.createRun({ experimentId: exp, startTime: 1700000000000 + i });
    await store.logBatch(run.runId, {
      params: { model: models[i % 4], lr: String(rng.uniform()), depth: String(1 + (i % 12)), seed: String(i), budget: "0.02" },
      metrics: [
        { key: "score", value: rng.uniform(), step: 0, timestamp: 1 },
        { key: "loss", value: rng.uniform(), step: 0, timestamp: 1 },
        { key: "auc", value: rng.uniform(), step: 0, timestamp: 1 },
      ],
      tags: { team: "safety" },
    });
    await store.updateRun(run.runId, { status: "FINISHED", endTime: 1700000001000 + i });
  }
}

const results = { log: [] as number[], create: [] as number[], search: [] as number[] };

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "wb-bench-tracking-"));
  try {
    for (let rep = 0; rep < REPEATS; rep++) {
      await logPoints(join(work, `ts-log-${rep}`));
      await createRuns(join(work, `ts-create-${rep}`));
    }
    const searchRoot = join(work, "search");
    process.stderr.write("building a 10k-run store for the search step...\n");
    await buildSearchStore(searchRoot);
    let hits = 0;
    for (let rep = 0; rep < REPEATS; rep++) {
      const store = new FileStore(searchRoot, { warn: () => {} });
      const exp = (await store.getExperimentByName("search-bench"))!.experimentId;
      results.search.push(
        await timed(async () => {
          const page = await store.searchRuns({ experimentIds: [exp], filter: "metrics.score > 0.9 and params.model = 'gbdt'", orderBy: ["metrics.score DESC"], maxResults: 50000 });
          hits = page.runs.length;
        }),
      );
    }
    process.stderr.write("running the Python MLflow client on the same steps...\n");
    const peer = spawnSync(python, [join("bench", "tracking", "peer.py"), work, searchRoot, String(REPEATS)], {
      encoding: "utf8",
      env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: "true", PYTHONWARNINGS: "ignore" },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (peer.status !== 0) throw new Error(`peer.py failed: ${peer.stderr}`);
    const py = JSON.parse(peer.stdout.trim().split("\n").pop() as string) as { log_100k: number[]; create_1k: number[]; search_10k: number[]; search_hits: number; version: string };
    if (py.search_hits !== hits) throw new Error(`search results differ: workbench ${hits} runs, MLflow ${py.search_hits}`);
    const rows = [
      ["log 100k metric points (100 batches of 1000)", median(results.log), median(py.log_100k), "20x"],
      ["create 1k runs with 20 params each", median(results.create), median(py.create_1k), "-"],
      [`search 10k runs with a filter (${hits} hits)`, median(results.search), median(py.search_10k), "10x"],
    ].map(([step, ours, theirs, target]) => [step, Number((ours as number).toFixed(3)), Number((theirs as number).toFixed(3)), `${((theirs as number) / (ours as number)).toFixed(1)}x`, target]);
    process.stdout.write(`\nTracking bench: workbench file store vs Python MLflow ${py.version} (file store), same machine, same run\n`);
    process.stdout.write(`median of ${REPEATS} repeats for the workbench and for MLflow's logging/creation; MLflow's search ran once\n\n`);
    process.stdout.write(renderTable(["step", "workbench s", "mlflow s", "speedup", "target"], rows, 70) + "\n");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
