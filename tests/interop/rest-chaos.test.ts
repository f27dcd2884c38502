import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Metric } from "../../lib/tracking/entities.js";
import { RestStore } from "../../lib/tracking/rest-store.js";
import { Tracker } from "../../lib/tracking/tracker.js";
import { createRng } from "../../lib/util/random.js";
import { ChaosProxy } from "./chaos-proxy.js";
import { MlflowServer } from "./mlflow-server.js";
import { projectRoot } from "./python.js";
import { canonicalHistory, pythonRuns } from "./rest-helpers.js";

// MLflow's file store keeps duplicate metric points (its SQL store would silently merge them), so a
// client that re-sends a delivered batch is caught here.
const server = new MlflowServer({ backend: "file" });
const scratch = mkdtempSync(join(tmpdir(), "wb-rest-chaos-"));
const proxies: ChaosProxy[] = [];

beforeAll(async () => {
  await server.start();
}, 300_000);

afterAll(async () => {
  for (const p of proxies) await p.close().catch(() => {});
  await server.dispose();
  rmSync(scratch, { recursive: true, force: true });
}, 60_000);

function duplicates(history: [number, number, number | string][]): number {
  return history.length - new Set(history.map((p) => JSON.stringify(p))).size;
}

describe("REST backend through a misbehaving network (file-store server: duplicates would show)", () => {
  it("loses and duplicates nothing when a seeded proxy drops, delays and answers 503 at random", async () => {
    const proxy = new ChaosProxy(server.port, 20261121, { status503: 0.1, dropBefore: 0.07, dropAfter: 0.1, delay: 0.15, maxDelayMs: 300 });
    proxies.push(proxy);
    await proxy.start();
    const warnings: string[] = [];
    const store = new RestStore(proxy.url, {
      env: {},
      spoolDir: join(scratch, "spool-chaos"),
      rng: createRng(3),
      timeoutMs: 30_000,
      retry: { maxAttempts: 8, baseDelayMs: 20, maxDelayMs: 200 },
      probeIntervalMs: 100,
      flushTimeoutMs: 120_000,
      warn: (m) => warnings.push(m),
    });
    const tracker = new Tracker(store);
    const run = await tracker.startRun({ experiment: "chaos", runName: "through-the-storm", skipProvenance: true });
    const params: Record<string, string> = {};
    for (let i = 0; i < 230; i++) params[`p${i}`] = String(i * i);
    await run.logParams(params);
    const all: Metric[] = [];
    for (let b = 0; b < 30; b++) {
      const batch: Metric[] = [];
      for (let j = 0; j < 500; j++) batch.push({ key: `k${j % 5}`, value: (b * 500 + j) / 7, step: b * 100 + Math.floor(j / 5), timestamp: 1_700_000_000_000 + b });
      all.push(...batch);
      await run.logMetricPoints(batch);
      if (b % 10 === 0) await run.setTag("progress", String(b));
    }
    for (let a = 0; a < 5; a++) await run.logText(`artifact ${a}\n`, `files/a${a}.txt`);
    await run.setTag("progress", "done");
    await run.end();
    expect(store.pendingRuns()).toEqual([]);
    store.close();

    // Every kind of fault happened.
    expect(proxy.counts.status503).toBeGreaterThan(3);
    expect(proxy.counts.dropBefore).toBeGreaterThan(3);
    expect(proxy.counts.dropAfter).toBeGreaterThan(3);
    expect(proxy.counts.delayed).toBeGreaterThan(3);

    // Read straight from the server, past the proxy.
    const py = pythonRuns(server.url, [run.runId])[run.runId];
    expect(py.info.status).toBe("FINISHED");
    expect(py.params).toEqual(params);
    expect(py.tags.progress).toBe("done");
    for (let k = 0; k < 5; k++) {
      const history = py.metrics[`k${k}`];
      expect(duplicates(history)).toBe(0);
      expect(history).toEqual(canonicalHistory(all.filter((m) => m.key === `k${k}`), false));
    }
    expect(Object.keys(py.artifacts).sort()).toEqual([0, 1, 2, 3, 4].map((a) => `files/a${a}.txt`));
    // Exactly one run was created despite lost answers.
    const experimentRuns = readdirSync(join(server.dir, "mlruns", py.info.experiment_id)).filter((d) => /^[0-9a-f]{32}$/.test(d));
    expect(experimentRuns).toEqual([run.runId]);
  });

  it("replays, via workbench sync, the spool of a writer killed while the server was unreachable", async () => {
    const proxy = new ChaosProxy(server.port, 7);
    proxies.push(proxy);
    await proxy.start();
    const spoolDir = join(scratch, "spool-killed");
    const direct = new RestStore(server.url, { env: {}, spoolDir: false });
    const experiment = await direct.getOrCreateExperiment("killed-writer");
    const info = await direct.createRun({ experimentId: experiment.experimentId, runName: "killed" });
    direct.close();

    const BATCHES = 12;
    const SIZE = 200;
    const worker = join(projectRoot, "tests", "interop", "spool-writer.ts");
    const outcome = await new Promise<{ acked: number; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", worker, proxy.url, info.runId, spoolDir, String(BATCHES), String(SIZE)], {
        cwd: projectRoot,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let acked = 0;
      let buffer = "";
      let stderr = "";
      const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.stdout.on("data", (c: Buffer) => {
        buffer += c.toString();
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.startsWith("ack ")) {
            acked = Number(line.slice(4)) + 1;
            if (acked === 4) proxy.setDown(true); // the server "goes away" mid-run
          }
          if (line === "done") child.kill("SIGKILL");
        }
      });
      child.on("error", reject);
      child.on("close", (_code, signal) => {
        clearTimeout(timer);
        if (signal !== "SIGKILL") reject(new Error(`writer ended without being killed (${_code}): ${stderr}`));
        else resolve({ acked, stderr });
      });
    });
    expect(outcome.acked).toBe(BATCHES);
    expect(outcome.stderr).toMatch(/spooled/);

    proxy.setDown(false);
    const emptyLocal = mkdtempSync(join(scratch, "empty-"));
    // Asynchronously: the proxy lives in this process and must keep answering meanwhile.
    const sync = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", join(projectRoot, "cli", "main.ts"), "sync", "--to", proxy.url, "--from", emptyLocal], {
        cwd: projectRoot,
        env: { ...process.env, WORKBENCH_SPOOL_DIR: spoolDir, MLFLOW_TRACKING_USERNAME: "", MLFLOW_TRACKING_TOKEN: "" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.on("error", reject);
      child.on("close", (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
    expect(sync.status, sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(new RegExp(`replayed spooled writes of 1 run\\(s\\): ${info.runId}`));

    const py = pythonRuns(server.url, [info.runId])[info.runId];
    expect(py.info.status).toBe("FINISHED");
    expect(Object.keys(py.params).length).toBe(BATCHES);
    const expected: Metric[] = [];
    for (let b = 0; b < BATCHES; b++) for (let j = 0; j < SIZE; j++) expected.push({ key: `k${j % 3}`, value: b * SIZE + j, step: b * SIZE + j, timestamp: 1_700_000_000_000 + b });
    for (let k = 0; k < 3; k++) {
      expect(duplicates(py.metrics[`k${k}`])).toBe(0);
      expect(py.metrics[`k${k}`]).toEqual(canonicalHistory(expected.filter((m) => m.key === `k${k}`), false));
    }
    // Nothing is left in the spool.
    const left = readdirSync(spoolDir, { recursive: true }).map(String).filter((f) => f.endsWith(".jsonl"));
    expect(left).toEqual([]);
  });
});
