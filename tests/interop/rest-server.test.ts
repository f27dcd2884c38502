import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Metric } from "../../lib/tracking/entities.js";
import { FileStore } from "../../lib/tracking/file-store.js";
import { RestStore, type RestStoreOptions } from "../../lib/tracking/rest-store.js";
import { SOURCE_RUN_TAG, syncRuns } from "../../lib/tracking/sync.js";
import { Tracker } from "../../lib/tracking/tracker.js";
import { createRng } from "../../lib/util/random.js";
import { MlflowServer } from "./mlflow-server.js";
import { canonicalHistory, pythonRuns, pythonSearchPages } from "./rest-helpers.js";

// The REST backend against a real `mlflow server` (SQLite backend, served artifacts) on 127.0.0.1.
const server = new MlflowServer({ backend: "sqlite" });
const scratch = mkdtempSync(join(tmpdir(), "wb-rest-interop-"));
const warnings: string[] = [];

function open(options: RestStoreOptions = {}): RestStore {
  return new RestStore(server.url, {
    env: {},
    spoolDir: join(scratch, "spool"),
    rng: createRng(5),
    timeoutMs: 30_000,
    retry: { maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 400 },
    warn: (m) => warnings.push(m),
    ...options,
  });
}

function series(key: string, n: number, from = 0): Metric[] {
  return Array.from({ length: n }, (_, i) => ({ key, value: Math.sin(i + from) * 10, step: i + from, timestamp: 1_700_000_000_000 + (i + from) * 10 }));
}

beforeAll(async () => {
  await server.start();
}, 300_000);

afterAll(async () => {
  await server.dispose();
  rmSync(scratch, { recursive: true, force: true });
}, 60_000);

describe("REST backend against mlflow server (SQLite)", () => {
  it("writes a run the Python client reads back whole: params, tags, full histories, NaN, artifacts, status", async () => {
    const store = open();
    const tracker = new Tracker(store);
    const run = await tracker.startRun({ experiment: "rest-roundtrip", runName: "round-trip", tags: { team: "rare-events" }, description: "a **run**" });
    const params: Record<string, string> = {};
    for (let i = 0; i < 150; i++) params[`p${i}`] = `v${i}`;
    await run.logParams(params);
    const loss = series("train/loss", 2600);
    const odd: Metric[] = [
      { key: "odd", value: NaN, step: 0, timestamp: 1 },
      { key: "odd", value: Infinity, step: 1, timestamp: 2 },
      { key: "odd", value: -Infinity, step: 2, timestamp: 3 },
      { key: "odd", value: 0.5, step: 3, timestamp: 4 },
    ];
    await run.logMetricPoints([...loss, ...odd]);
    await run.setTags({ phase: "done", "with space": "yes" });
    await run.logText("hello from the workbench\n", "report/summary.md");
    await run.logJson({ a: 1, b: [NaN] }, "report/data.json");
    await run.end();

    const py = pythonRuns(server.url, [run.runId])[run.runId];
    expect(py.info).toMatchObject({ run_id: run.runId, run_name: "round-trip", status: "FINISHED", lifecycle_stage: "active" });
    expect(py.info.end_time).toBeGreaterThanOrEqual(py.info.start_time);
    expect(py.params).toEqual(params);
    expect(py.tags).toMatchObject({ team: "rare-events", phase: "done", "with space": "yes", "mlflow.note.content": "a **run**", "mlflow.runName": "round-trip" });
    // MLflow's SQL store keeps infinities as the largest double.
    expect(py.metrics["train/loss"]).toEqual(canonicalHistory(loss, true));
    expect(py.metrics.odd).toEqual(canonicalHistory(odd, true));
    expect(py.artifacts).toEqual({ "report/summary.md": "hello from the workbench\n", "report/data.json": '{\n  "a": 1,\n  "b": [\n    "NaN"\n  ]\n}\n' });

    // Our reads agree with Python's.
    const ours = await store.getRun(run.runId);
    expect(ours.data.params).toEqual(py.params);
    expect(ours.data.tags).toEqual(py.tags);
    expect(canonicalHistory(await store.getMetricHistory(run.runId, "train/loss"), true)).toEqual(py.metrics["train/loss"]);
    expect(canonicalHistory(await store.getMetricHistory(run.runId, "odd"), true)).toEqual(py.metrics.odd);
    expect((await store.listArtifacts(run.runId)).map((a) => [a.path, a.isDir])).toEqual([["report", true]]);
    expect((await store.listArtifacts(run.runId, "report")).map((a) => [a.path, a.fileSize])).toEqual([
      ["report/data.json", Buffer.byteLength(py.artifacts["report/data.json"])],
      ["report/summary.md", 25],
    ]);
    expect((await store.readArtifact(run.runId, "report/summary.md")).toString()).toBe("hello from the workbench\n");
    store.close();
  });

  it("manages experiments: create with tags, rename, tag, delete, restore, list by view", async () => {
    const store = open();
    const id = await store.createExperiment("rest-exp-a", { owner: "team" });
    await expect(store.createExperiment("rest-exp-a")).rejects.toThrow(/already exists/);
    await store.renameExperiment(id, "rest-exp-b");
    await store.setExperimentTag(id, "mlflow.note.content", "notes");
    const got = await store.getExperiment(id);
    expect(got).toMatchObject({ experimentId: id, name: "rest-exp-b", lifecycleStage: "active", tags: { owner: "team", "mlflow.note.content": "notes" } });
    expect(got.artifactLocation).toMatch(/^mlflow-artifacts:/);
    expect(await store.getExperimentByName("rest-exp-a")).toBeUndefined();
    await store.deleteExperiment(id);
    expect((await store.listExperiments("ACTIVE_ONLY")).map((e) => e.experimentId)).not.toContain(id);
    expect((await store.listExperiments("DELETED_ONLY")).map((e) => e.experimentId)).toContain(id);
    await expect(store.getOrCreateExperiment("rest-exp-b")).rejects.toThrow(/is deleted/);
    await store.restoreExperiment(id);
    expect((await store.getOrCreateExperiment("rest-exp-b")).experimentId).toBe(id);
    store.close();
  });

  it("searches with a filter, an order and pages exactly as the Python client does", async () => {
    const store = open();
    const tracker = new Tracker(store);
    const experiment = await store.getOrCreateExperiment("rest-search");
    for (let i = 0; i < 9; i++) {
      const run = await tracker.startRun({ experimentId: experiment.experimentId, runName: `r${i}`, skipProvenance: true });
      await run.logParams({ group: i % 2 === 0 ? "even" : "odd" });
      await run.logMetric("score", (i * 7) % 10);
      await run.end();
    }
    const filter = "params.group = 'even' and metrics.score >= 2";
    const orderBy = ["metrics.score DESC", "attributes.run_name ASC"];
    const ours: string[][] = [];
    let pageToken: string | undefined;
    do {
      const page = await store.searchRuns({ experimentIds: [experiment.experimentId], filter, orderBy, maxResults: 2, pageToken });
      ours.push(page.runs.map((r) => r.info.runId));
      pageToken = page.nextPageToken;
    } while (pageToken);
    const python = pythonSearchPages(server.url, experiment.experimentId, filter, orderBy, 2);
    expect(ours.flat().length).toBe(4); // even i with score >= 2: i = 2 (4), 4 (8), 6 (2), 8 (6)
    expect(ours.filter((p) => p.length > 0)).toEqual(python.filter((p) => p.length > 0));
    store.close();
  });

  it("syncs local runs with parent links, histories and artifacts; a second sync sends nothing", async () => {
    const local = new FileStore(join(scratch, "mlruns"), { warn: () => {} });
    const tracker = new Tracker(local);
    const parent = await tracker.startRun({ experiment: "rest-sync", runName: "sweep", skipProvenance: true });
    await parent.logParams({ sweep: "lr" });
    const children: string[] = [];
    for (let c = 0; c < 3; c++) {
      const child = await tracker.startRun({ experiment: "rest-sync", runName: `lr-${c}`, parentRunId: parent.runId, skipProvenance: true });
      await child.logParams({ lr: 10 ** -c });
      await child.logMetricPoints([...series("loss", 1200 + c), { key: "nan", value: NaN, step: 0, timestamp: 7 }]);
      await child.logText(`child ${c}\n`, `models/m${c}.txt`);
      await child.end(c === 2 ? "FAILED" : "FINISHED");
      children.push(child.runId);
    }
    await parent.end();
    // The filter leaves the parent out: it comes along to keep the links.
    const target = open();
    const first = await syncRuns(local, target, { experiments: ["rest-sync"], filter: "params.lr != ''" });
    expect(first.failures).toEqual([]);
    expect(first).toMatchObject({ runsSelected: 3, runsCreated: 4, runsUnchanged: 0, artifactFiles: 3 });
    expect(first.metricPoints).toBe(1200 + 1201 + 1202 + 3);

    const remoteIds = [parent.runId, ...children].map((id) => first.runMap[id]);
    const py = pythonRuns(server.url, remoteIds);
    const remoteParent = py[first.runMap[parent.runId]];
    expect(remoteParent.tags[SOURCE_RUN_TAG]).toBe(parent.runId);
    expect(remoteParent.params).toEqual({ sweep: "lr" });
    for (let c = 0; c < 3; c++) {
      const remote = py[first.runMap[children[c]]];
      const source = await local.getRun(children[c]);
      expect(remote.tags["mlflow.parentRunId"]).toBe(first.runMap[parent.runId]);
      expect(remote.tags[SOURCE_RUN_TAG]).toBe(children[c]);
      expect(remote.info).toMatchObject({ run_name: `lr-${c}`, status: c === 2 ? "FAILED" : "FINISHED", start_time: source.info.startTime, end_time: source.info.endTime });
      expect(remote.params).toEqual(source.data.params);
      expect(remote.metrics.loss).toEqual(canonicalHistory(await local.getMetricHistory(children[c], "loss"), true));
      expect(remote.metrics.nan).toEqual([[0, 7, "NaN"]]);
      expect(remote.artifacts).toEqual({ [`models/m${c}.txt`]: `child ${c}\n` });
    }

    const second = await syncRuns(local, target, { experiments: ["rest-sync"] });
    expect(second).toMatchObject({ runsSelected: 4, runsCreated: 0, runsUpdated: 0, runsUnchanged: 4, params: 0, tags: 0, metricPoints: 0, artifactFiles: 0, statusUpdates: 0 });

    // A run that grew locally gets only its new points.
    await local.logBatch(children[0], { metrics: series("loss", 5, 5000) });
    const third = await syncRuns(local, target, { experiments: ["rest-sync"] });
    expect(third).toMatchObject({ runsUpdated: 1, runsUnchanged: 3, metricPoints: 5, params: 0, artifactFiles: 0 });
    const after = pythonRuns(server.url, [first.runMap[children[0]]])[first.runMap[children[0]]];
    expect(after.metrics.loss).toEqual(canonicalHistory(await local.getMetricHistory(children[0], "loss"), true));
    target.close();
  });

  it("finishes a run whose server was killed and restarted mid-run, with all its data", async () => {
    const store = open({ probeIntervalMs: 200, flushTimeoutMs: 120_000, retry: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200 } });
    const tracker = new Tracker(store);
    const run = await tracker.startRun({ experiment: "rest-restart", runName: "survivor", skipProvenance: true });
    await run.logParams({ before: "kill" });
    await run.logMetricPoints(series("m", 1500));
    await server.stop(true); // SIGKILL: no graceful shutdown
    await run.logMetricPoints(series("m", 1500, 1500));
    await run.logParams({ during: "outage" });
    await run.setTag("outage", "yes");
    await run.logText("written while the server was down\n", "outage.txt");
    expect(warnings.some((w) => w.includes(run.runId) && /spooled/.test(w))).toBe(true);
    expect(store.pendingRuns()).toEqual([run.runId]);
    await server.start(); // same port, same database and artifact folder
    await run.logMetricPoints(series("m", 1000, 3000));
    await run.end(); // replays the journal (waiting for the server if needed), then FINISHED
    expect(store.pendingRuns()).toEqual([]);

    const py = pythonRuns(server.url, [run.runId])[run.runId];
    expect(py.info.status).toBe("FINISHED");
    expect(py.params).toEqual({ before: "kill", during: "outage" });
    expect(py.tags.outage).toBe("yes");
    expect(py.metrics.m).toEqual(canonicalHistory(series("m", 4000), true));
    expect(py.artifacts).toEqual({ "outage.txt": "written while the server was down\n" });
    store.close();
  });
});
