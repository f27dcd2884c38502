import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { FileStore } from "../../lib/tracking/file-store.js";
import { Tracker } from "../../lib/tracking/tracker.js";
import { dumpStore } from "./dump.js";
import { runPython } from "./python.js";

// Interop (b): the workbench reads back a store written by the Python client, with the same results.
let root: string;
let experimentId: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "wb-interop-b-"));
  experimentId = runPython("write_store.py", [root]).trim().split("\n").pop() as string;
});

describe("the workbench reads a store written by MLflow", () => {
  it("sees what MLflow's own reader sees", async () => {
    const theirs = JSON.parse(runPython("mlflow_dump.py", [root]));
    const ours = await dumpStore(root);
    expect(ours).toEqual(theirs);
  });

  it("reads the details right: NaN/inf history, latest by step then time, nesting, deletions", async () => {
    const store = new FileStore(root, { warn: () => {} });
    const tracker = new Tracker(store);
    const experiment = await store.getExperiment(experimentId);
    expect(experiment.name).toBe("python-written-renamed");
    expect(experiment.tags.team).toBe("safety");
    const runs = await tracker.searchAllRuns({ experimentIds: [experimentId] });
    expect(runs.map((r) => r.info.runName).sort()).toEqual(["child-0", "child-1", "child-2", "parent"]);
    const parent = runs.find((r) => r.info.runName === "parent");
    expect(parent?.info.status).toBe("FINISHED");
    expect(parent?.data.params).toEqual({ alpha: "0.5", beta: "2", "nested/key": "x y:z" });
    // Two points at step 2: the later timestamp (0.9 at ...100) wins over the earlier (0.95 at ...050).
    expect(parent?.data.metrics["train/acc"]).toBe(0.9);
    const history = await store.getMetricHistory(parent!.info.runId, "loss");
    expect(history.map((m) => m.value)).toEqual([1, 0.5, NaN, Infinity, -Infinity, 1e-300, -0]);
    const children = await tracker.searchAllRuns({ experimentIds: [experimentId], filter: `tags.mlflow.parentRunId = '${parent!.info.runId}'`, orderBy: ["params.i ASC"] });
    expect(children.map((c) => c.info.status)).toEqual(["FINISHED", "FINISHED", "FAILED"]);
    expect((await store.readArtifact(parent!.info.runId, "sub/dir/report.txt")).toString()).toBe("hello from python\n");
    const deleted = await tracker.searchAllRuns({ experimentIds: [experimentId], viewType: "DELETED_ONLY" });
    expect(deleted.map((r) => r.info.runName)).toEqual(["deleted-run"]);
    const all = await store.listExperiments("ALL");
    expect(all.find((e) => e.name === "to-delete")?.lifecycleStage).toBe("deleted");
  });

  it("keeps writing into a Python-made run without breaking MLflow's view", async () => {
    const store = new FileStore(root, { warn: () => {} });
    const tracker = new Tracker(store);
    const [child] = await tracker.searchAllRuns({ experimentIds: [experimentId], filter: "attributes.run_name = 'child-0'" });
    await store.logBatch(child.info.runId, { metrics: [{ key: "score", value: 42, step: 1, timestamp: Date.now() }], tags: { touched: "by-workbench" } });
    await expect(store.logBatch(child.info.runId, { params: { i: "7" } })).rejects.toThrow(/immutable/);
    const theirs = JSON.parse(runPython("mlflow_dump.py", [root]));
    const seen = theirs.runs.find((r: { runId: string }) => r.runId === child.info.runId);
    expect(seen.metrics.score).toBe(42);
    expect(seen.tags.touched).toBe("by-workbench");
    expect(seen.params.i).toBe("0");
  });
});
