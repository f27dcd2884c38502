import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeError, NotFoundError, TrackingError } from "../../lib/errors.js";
import type { Metric } from "../../lib/tracking/entities.js";
import { RestStore, type RestStoreOptions } from "../../lib/tracking/rest-store.js";
import { Spool } from "../../lib/tracking/spool.js";
import { Tracker } from "../../lib/tracking/tracker.js";
import { createRng } from "../../lib/util/random.js";
import { FakeMlflow, type FakeMetric } from "./fixtures/fake-mlflow.js";

let fake: FakeMlflow;
let spoolDir: string;
const warnings: string[] = [];

function open(options: RestStoreOptions = {}): RestStore {
  return new RestStore(fake.url, {
    env: {},
    spoolDir,
    rng: createRng(11),
    retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 4 },
    timeoutMs: 2000,
    probeIntervalMs: 0,
    flushTimeoutMs: 0,
    warn: (m) => warnings.push(m),
    ...options,
  });
}

function points(n: number, key = "loss", offset = 0): Metric[] {
  return Array.from({ length: n }, (_, i) => ({ key, value: (i + offset) / 3, step: i + offset, timestamp: 1_700_000_000_000 + i + offset }));
}

function fingerprints(metrics: FakeMetric[]): string[] {
  return metrics.map((m) => `${m.key}|${m.step}|${m.timestamp}|${m.value}`).sort();
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

beforeEach(async () => {
  fake = new FakeMlflow();
  await fake.start();
  spoolDir = mkdtempSync(join(tmpdir(), "wb-spool-"));
  warnings.length = 0;
});

afterEach(async () => {
  await fake.stop().catch(() => {});
  rmSync(spoolDir, { recursive: true, force: true });
});

describe("REST store against a fake server", () => {
  it("round-trips a run: params, metrics with NaN and infinities, tags, artifacts, status", async () => {
    const store = open();
    const tracker = new Tracker(store);
    const run = await tracker.startRun({ experiment: "exp", runName: "r", skipProvenance: true });
    await run.logParams({ a: 1, b: "two" });
    await run.logMetricPoints([...points(3), { key: "odd", value: NaN, step: 0, timestamp: 5 }, { key: "odd", value: -Infinity, step: 1, timestamp: 6 }]);
    await run.setTag("t", "v");
    await run.logText("hello", "out/a.txt");
    await run.end();
    const got = await store.getRun(run.runId);
    expect(got.info.status).toBe("FINISHED");
    expect(got.data.params).toEqual({ a: "1", b: "two" });
    expect(got.data.tags.t).toBe("v");
    expect((await store.getMetricHistory(run.runId, "odd")).map((m) => m.value)).toEqual([NaN, -Infinity]);
    expect(fake.runs.get(run.runId)?.metrics.filter((m) => m.key === "odd").map((m) => m.value)).toEqual(["NaN", "-Infinity"]);
    expect((await store.readArtifact(run.runId, "out/a.txt")).toString()).toBe("hello");
    await expect(store.readArtifact(run.runId, "out/missing.txt")).rejects.toBeInstanceOf(NotFoundError);
    store.close();
  });

  it("always sends max_results for metric history and follows next_page_token", async () => {
    fake.historyPageSize = 7;
    const store = open();
    const info = await store.createRun({ experimentId: "0" });
    await store.logBatch(info.runId, { metrics: points(30) });
    const history = await store.getMetricHistory(info.runId, "loss");
    expect(history.map((m) => m.step)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const calls = fake.requests.filter((r) => r.path.endsWith("metrics/get-history"));
    expect(calls).toHaveLength(5);
    for (const c of calls) expect(c.query.get("max_results")).toBe("25000");
    store.close();
  });

  it("retries 503 and 429 until they pass, and does not retry a 400", async () => {
    const store = open();
    const info = await store.createRun({ experimentId: "0" });
    let failures = 3;
    fake.fault = (r) => (r.path.endsWith("log-batch") && failures-- > 0 ? { kind: "status", status: failures % 2 ? 503 : 429 } : undefined);
    await store.logBatch(info.runId, { params: { p: "1" } });
    expect(fake.count("/api/2.0/mlflow/runs/log-batch")).toBe(4);
    fake.fault = () => undefined;
    const before = fake.requests.length;
    await expect(store.logBatch(info.runId, { params: { p: "2" } })).rejects.toThrow(/already logged as '1'/);
    expect(fake.requests.length).toBe(before); // refused locally, nothing sent
    const other = open();
    await expect(other.logBatch(info.runId, { params: { p: "2" } })).rejects.toThrow(/INVALID_PARAMETER_VALUE/);
    expect(fake.requests.length).toBe(before + 1); // refused by the server, not retried
    store.close();
    other.close();
  });

  it("does not duplicate metric points when a delivered batch's answer is lost", async () => {
    const store = open();
    const info = await store.createRun({ experimentId: "0" });
    // Apply every third log-batch, then cut the connection before answering.
    let n = 0;
    fake.fault = (r) => (r.path.endsWith("log-batch") && n++ % 3 === 0 ? { kind: "drop-after" } : undefined);
    const all = points(2500);
    await store.logBatch(info.runId, { metrics: all, params: { p: "1" }, tags: { t: "x" } });
    const stored = fake.runs.get(info.runId)!;
    expect(stored.metrics).toHaveLength(2500);
    expect(new Set(fingerprints(stored.metrics)).size).toBe(2500);
    expect(stored.params.get("p")).toBe("1");
    // Lost answers happened, and the retries checked the history first.
    expect(fake.count("/api/2.0/mlflow/metrics/get-history")).toBeGreaterThan(0);
    store.close();
  });

  it("re-sends a batch that was dropped before it arrived (a history check finds nothing and sends all)", async () => {
    const store = open();
    const info = await store.createRun({ experimentId: "0" });
    let dropped = false;
    fake.fault = (r) => (r.path.endsWith("log-batch") && !dropped ? ((dropped = true), { kind: "drop-before" }) : undefined);
    await store.logBatch(info.runId, { metrics: points(10) });
    expect(fake.runs.get(info.runId)!.metrics).toHaveLength(10);
    store.close();
  });

  it("creates one run when the create answer is lost", async () => {
    const store = open();
    let lost = false;
    fake.fault = (r) => (r.path.endsWith("runs/create") && !lost ? ((lost = true), { kind: "drop-after" }) : undefined);
    const info = await store.createRun({ experimentId: "0", runName: "once" });
    expect(fake.runs.size).toBe(1);
    expect([...fake.runs.keys()]).toEqual([info.runId]);
    store.close();
  });

  it("treats a lost answer to delete-tag as done", async () => {
    const store = open();
    const info = await store.createRun({ experimentId: "0", tags: { gone: "soon" } });
    let lost = false;
    fake.fault = (r) => (r.path.endsWith("delete-tag") && !lost ? ((lost = true), { kind: "drop-after" }) : undefined);
    await store.deleteTag(info.runId, "gone");
    expect(fake.runs.get(info.runId)!.tags.has("gone")).toBe(false);
    await expect(store.deleteTag(info.runId, "gone")).rejects.toBeInstanceOf(NotFoundError);
    store.close();
  });

  it("spools writes while the server is down and replays them once it is back: nothing lost, nothing doubled, status right", async () => {
    const store = open();
    const tracker = new Tracker(store);
    const run = await tracker.startRun({ experiment: "offline", runName: "r", skipProvenance: true });
    await run.logMetricPoints(points(1500));
    const port = fake.port;
    await fake.stop();
    await run.logMetricPoints(points(1500, "loss", 1500));
    await run.logParams({ while: "down" });
    await run.setTag("phase", "offline");
    await run.logText("written offline", "offline.txt");
    await run.end(); // flushTimeout 0: the run stays spooled
    expect(warnings.some((w) => /spooled/.test(w))).toBe(true);
    expect(readdirSync(join(spoolDir, readdirSync(spoolDir)[0])).some((f) => f.endsWith(".jsonl"))).toBe(true);

    const revived = new FakeMlflow();
    for (const [id, r] of fake.runs) revived.runs.set(id, r);
    for (const [id, e] of fake.experiments) revived.experiments.set(id, e);
    fake = revived;
    await fake.start(port);
    expect(await store.flush()).toBe(true);
    const stored = fake.runs.get(run.runId)!;
    expect(stored.metrics).toHaveLength(3000);
    expect(new Set(fingerprints(stored.metrics)).size).toBe(3000);
    expect(stored.params.get("while")).toBe("down");
    expect(stored.tags.get("phase")).toBe("offline");
    expect(stored.info.status).toBe("FINISHED");
    expect(fake.artifacts.get(`1/${run.runId}/artifacts/offline.txt`)?.toString()).toBe("written offline");
    // The journal is gone once replayed.
    expect(readdirSync(join(spoolDir, readdirSync(spoolDir)[0])).filter((f) => f.endsWith(".jsonl"))).toEqual([]);
    store.close();
  });

  it("starts runs while the server is down (provisional ids) and links children to their parents' server ids on replay", async () => {
    const store = open();
    const tracker = new Tracker(store);
    const warmup = await tracker.startRun({ experiment: "sweep", runName: "before", skipProvenance: true });
    await warmup.end();
    const port = fake.port;
    const before = new Map(fake.runs);
    const experiments = new Map(fake.experiments);
    await fake.stop();
    const parent = await tracker.startRun({ experiment: "sweep", runName: "parent", skipProvenance: true });
    expect(RestStore.isProvisional(parent.runId)).toBe(true);
    await parent.logParams({ sweep: "lr" });
    const children: string[] = [];
    for (let c = 0; c < 2; c++) {
      const child = await tracker.startRun({ experiment: "sweep", runName: `child-${c}`, parentRunId: parent.runId, skipProvenance: true });
      await child.logMetricPoints(points(5 + c));
      await child.logText(`child ${c}`, "c.txt");
      await child.end();
      children.push(child.runId);
    }
    await parent.end();
    fake = new FakeMlflow();
    for (const [id, r] of before) fake.runs.set(id, r);
    for (const [id, e] of experiments) fake.experiments.set(id, e);
    await fake.start(port);
    expect(await store.flush()).toBe(true);

    const serverParent = store.resolveRunId(parent.runId);
    expect(RestStore.isProvisional(serverParent)).toBe(false);
    expect([...fake.runs.values()].map((r) => r.info.run_name).sort(), warnings.join("\n")).toEqual(["before", "child-0", "child-1", "parent"]); // each created once
    expect(fake.runs.get(serverParent)!.params.get("sweep")).toBe("lr");
    expect(fake.runs.get(serverParent)!.info.status).toBe("FINISHED");
    for (let c = 0; c < 2; c++) {
      const id = store.resolveRunId(children[c]);
      const run = fake.runs.get(id)!;
      expect(run.tags.get("mlflow.parentRunId")).toBe(serverParent);
      expect(run.metrics).toHaveLength(5 + c);
      expect(run.info.status).toBe("FINISHED");
      expect(fake.artifacts.get(`${run.info.experiment_id}/${id}/artifacts/c.txt`)?.toString()).toBe(`child ${c}`);
    }
    // The provisional id keeps working for reads after the replay.
    expect((await store.getRun(children[1])).info.runId).toBe(store.resolveRunId(children[1]));
    store.close();
  });

  it("replays the journal of a killed process on the next start without doubling the entry it may have sent", async () => {
    const first = open();
    const info = await first.createRun({ experimentId: "0" });
    first.close();
    // What a killed writer leaves: a journal of three batches, the first of which reached the
    // server (its cursor was never advanced), plus a torn last line.
    const spool = new Spool(spoolDir, fake.url);
    const batch = (from: number) => ({ op: "batch" as const, metrics: points(5, "m", from).map((m) => [m.key, m.value, m.timestamp, m.step] as [string, number, number, number]), params: {}, tags: {} });
    spool.append(info.runId, batch(0));
    spool.append(info.runId, batch(5));
    spool.append(info.runId, { op: "update", status: "FAILED", endTime: 42 });
    writeFileSync(join(spool.dir, `${info.runId}.owner`), "999999999"); // no such process
    writeFileSync(join(spool.dir, `${info.runId}.jsonl`), readFileSync(join(spool.dir, `${info.runId}.jsonl`), "utf8") + '{"op":"batch","metr');
    for (const m of points(5, "m", 0)) fake.runs.get(info.runId)!.metrics.push({ key: m.key, value: m.value, timestamp: m.timestamp, step: m.step });

    const next = open();
    const { replayed } = await next.replaySpool();
    expect(replayed).toEqual([info.runId]);
    const stored = fake.runs.get(info.runId)!;
    expect(fingerprints(stored.metrics)).toEqual(fingerprints(points(10, "m").map((m) => ({ ...m }))));
    expect(stored.info.status).toBe("FAILED");
    expect(warnings.some((w) => /torn line/.test(w))).toBe(true);
    next.close();
  });

  it("replays orphan journals on its own at the first request", async () => {
    const first = open();
    const info = await first.createRun({ experimentId: "0" });
    first.close();
    const spool = new Spool(spoolDir, fake.url);
    spool.append(info.runId, { op: "batch", metrics: [["k", 1, 1, 0]], params: { from: "journal" }, tags: {} });
    writeFileSync(join(spool.dir, `${info.runId}.owner`), "999999999");
    const lastWrite = Math.round(statSync(join(spool.dir, `${info.runId}.jsonl`)).mtimeMs);
    const next = open();
    await next.getExperiment("0");
    await next.idle();
    const stored = fake.runs.get(info.runId)!;
    expect(stored.params.get("from")).toBe("journal");
    // Its process died without ending the run: KILLED as of the journal's last write, not RUNNING for ever.
    expect(stored.info.status).toBe("KILLED");
    expect(Number(stored.info.end_time)).toBe(lastWrite);
    expect(warnings.some((w) => w.includes(info.runId) && /marked KILLED/.test(w))).toBe(true);
    next.close();
  });

  it("keeps credentials out of errors, warnings, the spool and the logged values", async () => {
    const password = "pa55-Secret-word";
    const token = "tok-Secret-123";
    const right = `Basic ${Buffer.from(`alice:${password}`).toString("base64")}`;
    fake.requireAuthorization = right;
    const good = open({ env: { MLFLOW_TRACKING_USERNAME: "alice", MLFLOW_TRACKING_PASSWORD: password, MLFLOW_TRACKING_TOKEN: token } });
    const info = await good.createRun({ experimentId: "0" });
    expect(fake.requests.at(-1)?.authorization).toBe(right); // Basic won over the token
    await good.logBatch(info.runId, { params: { leak: `pw=${password}` }, tags: { leak: `tok ${token} ${password}` } });
    expect(fake.runs.get(info.runId)!.params.get("leak")).toBe("pw=***");

    const messages: string[] = [...warnings];
    const wrong = open({ env: { MLFLOW_TRACKING_USERNAME: "alice", MLFLOW_TRACKING_PASSWORD: `${password}-wrong` } });
    const error = await wrong.getRun(info.runId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrackingError);
    const text = describeError(error);
    expect(text).toMatch(/rejected the credentials \(401 Unauthorized\).*alice/);
    messages.push(text);

    // A dead server: connection errors, spooled writes and the spool files.
    const offline = open({ env: { MLFLOW_TRACKING_TOKEN: token } });
    fake.requireAuthorization = `Bearer ${token}`;
    const run2 = await offline.createRun({ experimentId: "0" });
    await fake.stop();
    await offline.logBatch(run2.runId, { metrics: points(3), tags: { note: `see ${token}` } });
    messages.push(...warnings, describeError(await offline.getRun(run2.runId).catch((e: unknown) => e)));
    const evidence = [...messages, ...filesUnder(spoolDir).map((f) => readFileSync(f, "utf8"))].join("\n");
    expect(evidence).toContain("***");
    for (const secret of [password, token, Buffer.from(`alice:${password}`).toString("base64")]) expect(evidence).not.toContain(secret);
    for (const r of fake.runs.values()) for (const v of [...r.params.values(), ...r.tags.values()]) expect(v).not.toContain(password);
    good.close();
    wrong.close();
    offline.close();
  });
});
