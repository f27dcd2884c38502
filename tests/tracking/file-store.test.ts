import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NotFoundError, TrackingError } from "../../lib/errors.js";
import { FileStore, decodePageToken, encodePageToken, formatMetricValue, latestMetric, parseMetricLine } from "../../lib/tracking/file-store.js";
import { Tracker } from "../../lib/tracking/tracker.js";
import { currentUser } from "../../lib/tracking/provenance.js";

let root: string;
let store: FileStore;
let tracker: Tracker;
const warnings: string[] = [];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "wb-store-"));
  warnings.length = 0;
  store = new FileStore(root, { warn: (m) => warnings.push(m) });
  tracker = new Tracker(store);
});

afterEach(() => {
  // Temp folders are left for the OS to clean; they are small.
});

describe("FileStore layout", () => {
  it("creates MLflow's Default experiment and trash folder", async () => {
    expect(existsSync(join(root, "0", "meta.yaml"))).toBe(true);
    expect(existsSync(join(root, ".trash"))).toBe(true);
    const meta = readFileSync(join(root, "0", "meta.yaml"), "utf8");
    expect(meta).toContain("experiment_id: '0'");
    expect(meta).toContain("name: Default");
    expect(meta).toMatch(/^artifact_location: file:\/\//);
  });

  it("writes a run folder with meta.yaml, metrics, params, artifacts and tags", async () => {
    const run = await tracker.startRun({ experiment: "layout", runName: "r1", skipProvenance: true });
    await run.logParam("alpha", 0.5);
    await run.logMetric("loss", 1.25, 3, 1700000000000);
    const dir = join(root, run.experimentId, run.runId);
    expect(readdirSync(dir).sort()).toEqual(["artifacts", "meta.yaml", "metrics", "params", "tags"]);
    expect(readFileSync(join(dir, "params", "alpha"), "utf8")).toBe("0.5");
    expect(readFileSync(join(dir, "metrics", "loss"), "utf8")).toBe("1700000000000 1.25 3\n");
    const meta = readFileSync(join(dir, "meta.yaml"), "utf8");
    for (const key of ["artifact_uri", "deleted_time", "end_time", "entry_point_name", "experiment_id", "lifecycle_stage", "run_id", "run_name", "run_uuid", "source_name", "source_type", "source_version", "start_time", "status", "tags", "user_id"]) {
      expect(meta).toMatch(new RegExp(`^${key}:`, "m"));
    }
    expect(meta).toContain("status: 1");
    expect(meta).toContain(`experiment_id: '${run.experimentId}'`);
    await run.end();
    expect(readFileSync(join(dir, "meta.yaml"), "utf8")).toContain("status: 3");
  });

  it("nests keys with slashes as folders", async () => {
    const run = await tracker.startRun({ experiment: "nest", skipProvenance: true });
    await run.logMetric("train/loss", 1);
    await run.logParam("model/depth", 3);
    expect(existsSync(join(root, run.experimentId, run.runId, "metrics", "train", "loss"))).toBe(true);
    const got = await store.getRun(run.runId);
    expect(got.data.metrics["train/loss"]).toBe(1);
    expect(got.data.params["model/depth"]).toBe("3");
  });
});

describe("metrics", () => {
  it("round-trips NaN, infinities, negative zero and tiny values", async () => {
    const run = await tracker.startRun({ experiment: "m", skipProvenance: true });
    const values = [NaN, Infinity, -Infinity, -0, 1e-300, 5e-324, 1.7976931348623157e308, 0.1 + 0.2];
    await run.logMetricPoints(values.map((value, step) => ({ key: "v", value, step, timestamp: 1000 + step })));
    const history = await store.getMetricHistory(run.runId, "v");
    expect(history.map((m) => m.value)).toEqual(values);
    expect(Object.is(history[3].value, -0)).toBe(true);
    expect(history.map((m) => m.step)).toEqual(values.map((_, i) => i));
  });

  it("picks the latest value by (step, timestamp, value) like MLflow", () => {
    const pts = [
      { key: "k", value: 5, step: 2, timestamp: 10 },
      { key: "k", value: 1, step: 3, timestamp: 5 },
      { key: "k", value: 0, step: 3, timestamp: 5 },
      { key: "k", value: 7, step: 1, timestamp: 99 },
    ];
    expect(latestMetric(pts)?.value).toBe(1);
    // NaN never wins a tie and is never displaced in a tie (Python tuple comparison).
    expect(latestMetric([{ key: "k", value: NaN, step: 1, timestamp: 1 }, { key: "k", value: 3, step: 1, timestamp: 1 }])?.value).toBeNaN();
  });

  it("formats values the way Python's float() reads them", () => {
    expect(formatMetricValue(NaN)).toBe("nan");
    expect(formatMetricValue(-Infinity)).toBe("-inf");
    expect(formatMetricValue(-0)).toBe("-0.0");
    expect(parseMetricLine("k", "12 1e-07 3")).toEqual({ key: "k", value: 1e-7, timestamp: 12, step: 3 });
    expect(parseMetricLine("k", "12 0.5")).toEqual({ key: "k", value: 0.5, timestamp: 12, step: 0 });
    expect(parseMetricLine("k", "12")).toBeUndefined();
    expect(parseMetricLine("k", "12 abc 1")).toBeUndefined();
  });

  it("ignores a torn last line instead of reading it as data", async () => {
    const run = await tracker.startRun({ experiment: "torn", skipProvenance: true });
    await run.logMetric("loss", 1, 0, 100);
    appendFileSync(join(root, run.experimentId, run.runId, "metrics", "loss"), "101 0.5");
    const history = await store.getMetricHistory(run.runId, "loss");
    expect(history).toEqual([{ key: "loss", value: 1, timestamp: 100, step: 0 }]);
    expect(warnings.some((w) => w.includes("incomplete last line"))).toBe(true);
  });

  it("rejects invalid metric keys, steps and timestamps with the key named", async () => {
    const run = await tracker.startRun({ experiment: "bad", skipProvenance: true });
    await expect(run.logMetric("a//b", 1)).rejects.toThrow(/invalid metric key 'a\/\/b'/);
    await expect(run.logMetric("../escape", 1)).rejects.toThrow(TrackingError);
    await expect(run.logMetric("bad$char", 1)).rejects.toThrow(/only contain/);
    await expect(run.logMetric("k", 1, 1.5)).rejects.toThrow(/step/);
    await expect(run.logMetric("k", 1, 0, -5)).rejects.toThrow(/timestamp/);
    expect(existsSync(join(root, run.experimentId, run.runId, "metrics", "k"))).toBe(false);
  });
});

describe("params and tags", () => {
  it("keeps params immutable but accepts the same value again", async () => {
    const run = await tracker.startRun({ experiment: "p", skipProvenance: true });
    await run.logParams({ lr: 0.1, name: "x" });
    await run.logParam("lr", 0.1);
    await expect(run.logParam("lr", 0.2)).rejects.toThrow(/param 'lr' .*already logged as '0.1'.*immutable/);
    expect((await store.getRun(run.runId)).data.params.lr).toBe("0.1");
  });

  it("rejects a whole batch when one param would change, writing nothing", async () => {
    const run = await tracker.startRun({ experiment: "p2", skipProvenance: true });
    await run.logParam("a", 1);
    await expect(store.logBatch(run.runId, { params: { b: "2", a: "9" }, metrics: [{ key: "m", value: 1, step: 0, timestamp: 1 }] })).rejects.toThrow(/param 'a'/);
    const data = (await store.getRun(run.runId)).data;
    expect(data.params).toEqual({ a: "1" });
    expect(data.metrics).toEqual({});
  });

  it("truncates over-long values like MLflow, with a warning", async () => {
    const run = await tracker.startRun({ experiment: "long", skipProvenance: true });
    await run.logParam("long", "x".repeat(7000));
    expect((await store.getRun(run.runId)).data.params.long.length).toBe(6000);
    expect(warnings.some((w) => w.includes("truncated to 6000"))).toBe(true);
  });

  it("overwrites tags, renames the run through mlflow.runName, and deletes tags", async () => {
    const run = await tracker.startRun({ experiment: "t", runName: "before", skipProvenance: true });
    await run.setTag("team", "a");
    await run.setTag("team", "b");
    await run.setTag("mlflow.runName", "after");
    const got = await store.getRun(run.runId);
    expect(got.data.tags.team).toBe("b");
    expect(got.info.runName).toBe("after");
    await store.deleteTag(run.runId, "team");
    expect((await store.getRun(run.runId)).data.tags.team).toBeUndefined();
    await expect(store.deleteTag(run.runId, "team")).rejects.toThrow(NotFoundError);
  });

  it("leaves no temp files where MLflow would read them as params or tags", async () => {
    const run = await tracker.startRun({ experiment: "tmp", skipProvenance: true });
    await run.logParams(Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p${i}`, i])));
    await run.setTags({ a: 1, b: 2 });
    const dir = join(root, run.experimentId, run.runId);
    expect(readdirSync(join(dir, "params")).every((f) => /^p\d+$/.test(f))).toBe(true);
    expect(readdirSync(join(dir, "params")).length).toBe(250);
    expect(readdirSync(join(dir, "tags")).some((f) => f.startsWith(".tmp"))).toBe(false);
  });
});

describe("run lifecycle", () => {
  it("refuses writes after end() and to deleted runs, and restores them", async () => {
    const run = await tracker.startRun({ experiment: "life", skipProvenance: true });
    await run.end("KILLED");
    await expect(run.logMetric("x", 1)).rejects.toThrow(/already ended \(KILLED\)/);
    const info = await store.getRunInfo(run.runId);
    expect(info.status).toBe("KILLED");
    expect(info.endTime).toBeGreaterThanOrEqual(info.startTime);

    const other = await tracker.startRun({ experiment: "life", skipProvenance: true });
    await store.deleteRun(other.runId);
    await expect(store.logBatch(other.runId, { metrics: [{ key: "x", value: 1, step: 0, timestamp: 1 }] })).rejects.toThrow(/deleted/);
    const active = await store.searchRuns({ experimentIds: [other.experimentId] });
    expect(active.runs.map((r) => r.info.runId)).toEqual([run.runId]);
    const deleted = await store.searchRuns({ experimentIds: [other.experimentId], viewType: "DELETED_ONLY" });
    expect(deleted.runs.map((r) => r.info.runId)).toEqual([other.runId]);
    await store.restoreRun(other.runId);
    await other.logMetric("x", 2);
    expect((await store.getRun(other.runId)).data.metrics.x).toBe(2);
  });

  it("ends a run as FAILED with the error recorded when the body throws", async () => {
    await expect(
      tracker.withRun({ experiment: "fail", skipProvenance: true }, async (run) => {
        await run.logMetric("before", 1);
        throw new Error("model diverged");
      }),
    ).rejects.toThrow("model diverged");
    const [failed] = (await tracker.searchRuns({ experiments: ["fail"] })).runs;
    expect(failed.info.status).toBe("FAILED");
    expect(failed.data.tags["workbench.error"]).toContain("model diverged");
    expect((await store.readArtifact(failed.info.runId, "error.txt")).toString()).toContain("model diverged");
  });

  it("records nested runs with mlflow.parentRunId", async () => {
    const parent = await tracker.startRun({ experiment: "nested", skipProvenance: true });
    const child = await tracker.startRun({ experiment: "nested", parentRunId: parent.runId, skipProvenance: true });
    const got = await store.getRun(child.runId);
    expect(got.data.tags["mlflow.parentRunId"]).toBe(parent.runId);
    const children = await tracker.searchRuns({ experiments: ["nested"], filter: `tags.mlflow.parentRunId = '${parent.runId}'` });
    expect(children.runs.map((r) => r.info.runId)).toEqual([child.runId]);
  });

  it("adds provenance tags: user, source, git commit and versions", async () => {
    const run = await tracker.startRun({ experiment: "prov", sourceName: "unit-test" });
    const tags = (await store.getRun(run.runId)).data.tags;
    expect(tags["mlflow.user"]).toBe(currentUser());
    expect(tags["mlflow.source.name"]).toBe("unit-test");
    expect(tags["mlflow.source.type"]).toBe("LOCAL");
    expect(tags["workbench.node_version"]).toBe(process.version);
    expect(tags["mlflow.source.git.commit"]).toMatch(/^[0-9a-f]{40}$/);
    expect(["true", "false"]).toContain(tags["workbench.git.dirty"]);
  });
});

describe("experiments", () => {
  it("creates, renames, deletes to .trash and restores", async () => {
    const id = await store.createExperiment("exp-a", { owner: "me" });
    expect(id).toMatch(/^[1-9]\d{17}$/);
    await expect(store.createExperiment("exp-a")).rejects.toThrow(/already exists/);
    await store.renameExperiment(id, "exp-b");
    expect((await store.getExperiment(id)).name).toBe("exp-b");
    expect((await store.getExperiment(id)).tags).toEqual({ owner: "me" });
    const run = await tracker.startRun({ experimentId: id, skipProvenance: true });
    await store.deleteExperiment(id);
    expect(existsSync(join(root, ".trash", id, "meta.yaml"))).toBe(true);
    expect((await store.listExperiments()).map((e) => e.name)).not.toContain("exp-b");
    expect((await store.getRunInfo(run.runId)).lifecycleStage).toBe("deleted");
    await expect(store.createExperiment("exp-b")).rejects.toThrow(/deleted state/);
    await expect(tracker.startRun({ experiment: "exp-b" })).rejects.toThrow(/is deleted/);
    await store.restoreExperiment(id);
    expect((await store.getExperiment(id)).lifecycleStage).toBe("active");
    expect((await store.getRunInfo(run.runId)).lifecycleStage).toBe("active");
    await expect(store.deleteExperiment("0")).rejects.toThrow(/default experiment/);
  });

  it("validates experiment names", async () => {
    await expect(store.createExperiment("")).rejects.toThrow(/non-empty/);
    await expect(store.createExperiment("x".repeat(501))).rejects.toThrow(/500/);
  });
});

describe("artifacts", () => {
  it("logs files, folders, text, JSON and lists them like MLflow", async () => {
    const run = await tracker.startRun({ experiment: "art", skipProvenance: true });
    const src = mkdtempSync(join(tmpdir(), "wb-src-"));
    writeFileSync(join(src, "a.txt"), "alpha");
    await run.logArtifact(join(src, "a.txt"));
    await run.logArtifact(src, "folder/copy");
    await run.logText("hello", "notes/readme.md");
    await run.logJson({ x: NaN, y: [1, 2] }, "data/r.json");
    await run.logFigure("<svg xmlns='http://www.w3.org/2000/svg'></svg>", "plots/p.svg");
    const top = await store.listArtifacts(run.runId);
    expect(top.map((a) => [a.path, a.isDir])).toEqual([
      ["a.txt", false],
      ["data", true],
      ["folder", true],
      ["notes", true],
      ["plots", true],
    ]);
    expect(top[0].fileSize).toBe(5);
    expect((await store.listArtifacts(run.runId, "folder/copy")).map((a) => a.path)).toEqual(["folder/copy/a.txt"]);
    expect(JSON.parse((await store.readArtifact(run.runId, "data/r.json")).toString())).toEqual({ x: "NaN", y: [1, 2] });
  });

  it("refuses artifact paths that escape the run folder, writing nothing outside", async () => {
    const run = await tracker.startRun({ experiment: "escape", skipProvenance: true });
    for (const bad of ["../x.txt", "../../evil", "/etc/passwd", "a/../../b", "C:\\x", "a\\b"]) {
      await expect(run.logText("x", bad)).rejects.toThrow(/artifact path/);
    }
    await expect(run.logFigure("<p/>", "x.txt")).rejects.toThrow(/\.svg or \.html/);
    expect(existsSync(join(root, run.experimentId, run.runId, "x.txt"))).toBe(false);
    expect(existsSync(join(root, run.experimentId, "evil"))).toBe(false);
    expect(readdirSync(join(root, run.experimentId, run.runId, "artifacts"))).toEqual([]);
  });
});

describe("search", () => {
  async function seed(): Promise<string[]> {
    const ids: string[] = [];
    const rows = [
      { name: "a", lr: "0.1", model: "gbdt", rmse: 0.5, start: 1000 },
      { name: "b", lr: "0.01", model: "GBDT-large", rmse: 0.3, start: 2000 },
      { name: "c", lr: "0.1", model: "forest", rmse: NaN, start: 3000 },
      { name: "d", lr: "0.2", model: "forest", start: 4000 },
    ];
    const experimentId = (await store.getOrCreateExperiment("search")).experimentId;
    for (const r of rows) {
      const info = await store.createRun({ experimentId, runName: r.name, startTime: r.start });
      await store.logBatch(info.runId, { params: { lr: r.lr, model: r.model }, tags: { kind: r.model.startsWith("g") || r.model.startsWith("G") ? "boost" : "bag" } });
      if (r.rmse !== undefined) await store.logBatch(info.runId, { metrics: [{ key: "rmse", value: r.rmse, step: 0, timestamp: 1 }] });
      ids.push(info.runId);
    }
    return ids;
  }

  const names = async (filter?: string, orderBy?: string[]) =>
    (await tracker.searchRuns({ experiments: ["search"], filter, orderBy })).runs.map((r) => r.info.runName);

  it("orders by start_time DESC by default and follows order_by with missing values last", async () => {
    await seed();
    expect(await names()).toEqual(["d", "c", "b", "a"]);
    // Missing (d) and NaN (c) sort last in both directions, keeping the default order among them.
    expect(await names(undefined, ["metrics.rmse ASC"])).toEqual(["b", "a", "d", "c"]);
    expect(await names(undefined, ["metrics.rmse DESC"])).toEqual(["a", "b", "d", "c"]);
    expect(await names(undefined, ["params.lr ASC", "start_time ASC"])).toEqual(["b", "a", "c", "d"]);
  });

  it("filters metrics, params, tags and attributes with MLflow semantics", async () => {
    const ids = await seed();
    expect(await names("metrics.rmse < 0.4")).toEqual(["b"]);
    expect(await names("metrics.rmse != 0.5")).toEqual(["c", "b"]); // NaN != 0.5 is true; missing is never matched
    expect(await names("params.lr = '0.1'")).toEqual(["c", "a"]);
    expect(await names("params.lr = '0.1' AND params.model LIKE 'f%'")).toEqual(["c"]);
    expect(await names("params.model LIKE 'gbdt%'")).toEqual(["a"]);
    expect(await names("params.model ILIKE 'gbdt%'")).toEqual(["b", "a"]);
    expect(await names("params.model LIKE '_orest'")).toEqual(["d", "c"]);
    expect(await names("tags.kind = 'boost' and attributes.start_time >= 2000")).toEqual(["b"]);
    expect(await names("attributes.run_name = 'c'")).toEqual(["c"]);
    expect(await names(`attributes.run_id IN ('${ids[0]}', '${ids[3]}')`)).toEqual(["d", "a"]);
    expect(await names("params.missing IS NULL and metrics.rmse >= 0")).toEqual(["b", "a"]);
    expect(await names("tags.`kind` = \"bag\"")).toEqual(["d", "c"]);
    expect(await names("status = 'RUNNING'")).toEqual(["d", "c", "b", "a"]);
  });

  it("rejects malformed filters with a clear message", async () => {
    await seed();
    for (const [bad, why] of [
      ["metrics.rmse < 'x'", /expected a number/],
      ["params.lr = 0.1", /quoted string/],
      ["metrics.rmse LIKE 5", /invalid comparator/],
      ["params.a = 'x' OR params.b = 'y'", /OR is not supported/],
      ["foo.bar = 'x'", /invalid entity type 'foo'/],
      ["attributes.nope = 'x'", /invalid attribute key/],
      ["params.a = 'unterminated", /unterminated/],
      ["params.a IN ('x')", /invalid comparator|only run_id/],
    ] as const) {
      await expect(names(bad)).rejects.toThrow(why);
    }
  });

  it("pages with MLflow's page tokens", async () => {
    await seed();
    const first = await store.searchRuns({ experimentIds: [(await store.getOrCreateExperiment("search")).experimentId], maxResults: 3 });
    expect(first.runs).toHaveLength(3);
    expect(decodePageToken(first.nextPageToken)).toBe(3);
    const second = await store.searchRuns({ experimentIds: [first.runs[0].info.experimentId], maxResults: 3, pageToken: first.nextPageToken });
    expect(second.runs.map((r) => r.info.runName)).toEqual(["a"]);
    expect(second.nextPageToken).toBeUndefined();
    expect(encodePageToken(3)).toBe(Buffer.from('{"offset":3}').toString("base64"));
    expect(() => decodePageToken("%%%")).toThrow(/page token/);
  });
});
