import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileStore } from "../../lib/tracking/file-store.js";
import { Tracker } from "../../lib/tracking/tracker.js";
import { freePort } from "./mlflow-server.js";
import { mlflowEnv, pythonPath } from "./python.js";

// Interop (c): `mlflow server --backend-store-uri <our mlruns>` on 127.0.0.1 serves our runs over REST.
let root: string;
let server: ChildProcess;
let base: string;
let runId: string;
let childId: string;
let experimentId: string;

async function waitUntilUp(url: string, deadlineMs: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() - started > deadlineMs) throw new Error(`mlflow server did not come up at ${url} within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "wb-interop-c-"));
  const tracker = new Tracker(new FileStore(root, { warn: () => {} }));
  const run = await tracker.startRun({ experiment: "served", runName: "served-run" });
  runId = run.runId;
  experimentId = run.experimentId;
  await run.logParams({ horizon: 14, model: "weibull" });
  await run.logMetricPoints([0.3, NaN, 0.1].map((value, step) => ({ key: "loss", value, step, timestamp: 1700000000000 + step })));
  await run.logText("served artifact", "out/summary.txt");
  const child = await tracker.startRun({ experiment: "served", parentRunId: runId, runName: "served-child" });
  childId = child.runId;
  await child.end();
  await run.end();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(
    pythonPath(),
    ["-m", "mlflow", "server", "--backend-store-uri", root, "--default-artifact-root", root, "--host", "127.0.0.1", "--port", String(port), "--workers", "1"],
    { env: mlflowEnv(), stdio: "ignore", detached: true },
  );
  await waitUntilUp(`${base}/health`, 120_000);
}, 180_000);

afterAll(() => {
  if (server?.pid) {
    try {
      process.kill(-server.pid, "SIGTERM");
    } catch {
      server.kill("SIGTERM");
    }
  }
});

async function api(path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}/api/2.0/mlflow/${path}`, body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

interface RestRun {
  info: { run_id: string; run_name: string; status: string; experiment_id: string };
  data: { params?: { key: string; value: string }[]; metrics?: { key: string; value: number | string; step: number }[]; tags?: { key: string; value: string }[] };
}

describe("mlflow server serves the workbench's store over REST", () => {
  it("gets a run with its params, latest metrics and tags", async () => {
    const { run } = (await api(`runs/get?run_id=${runId}`)) as unknown as { run: RestRun };
    expect(run.info.run_name).toBe("served-run");
    expect(run.info.status).toBe("FINISHED");
    expect(Object.fromEntries((run.data.params ?? []).map((p) => [p.key, p.value]))).toEqual({ horizon: "14", model: "weibull" });
    expect(run.data.metrics?.find((m) => m.key === "loss")).toMatchObject({ value: 0.1, step: 2 });
  });

  it("returns the full metric history, NaN included", async () => {
    const history = (await api(`metrics/get-history?run_id=${runId}&metric_key=loss&max_results=25000`)) as { metrics: { value: number | string; step: number }[] };
    expect(history.metrics.map((m) => [m.step, m.value])).toEqual([
      [0, 0.3],
      [1, "NaN"],
      [2, 0.1],
    ]);
  });

  it("searches runs with a filter and finds the nested child", async () => {
    const result = (await api("runs/search", { experiment_ids: [experimentId], filter: `tags.mlflow.parentRunId = '${runId}'`, max_results: 100 })) as unknown as { runs: RestRun[] };
    expect(result.runs.map((r) => r.info.run_id)).toEqual([childId]);
    const byName = (await api(`experiments/get-by-name?experiment_name=served`)) as { experiment: { experiment_id: string } };
    expect(byName.experiment.experiment_id).toBe(experimentId);
  });

  it("lists the run's artifacts", async () => {
    const listing = (await api(`artifacts/list?run_id=${runId}&path=out`)) as { files: { path: string; file_size?: number | string }[] };
    expect(listing.files.map((f) => f.path)).toEqual(["out/summary.txt"]);
    expect(Number(listing.files[0].file_size)).toBe("served artifact".length);
  });
});
