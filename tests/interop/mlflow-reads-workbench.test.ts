import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { FileStore } from "../../lib/tracking/file-store.js";
import { Tracker } from "../../lib/tracking/tracker.js";
import { dumpStore } from "./dump.js";
import { runPython } from "./python.js";

// Interop (a): the real MLflow reads exactly what the workbench wrote.
let root: string;
let parentId: string;
let childIds: string[];
let deletedId: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "wb-interop-a-"));
  const store = new FileStore(root, { warn: () => {} });
  const tracker = new Tracker(store);
  const parent = await tracker.startRun({ experiment: "interop", runName: "parent", description: "# Parent\nwith *markdown*" });
  parentId = parent.runId;
  await parent.logParams({ lr: 0.1, "model/depth": 6, note: "yes", sci: "1e5", spaced: "a b: c" });
  await parent.logMetricPoints(
    [0.5, NaN, Infinity, -Infinity, -0, 1e-300, 123456789.125].map((value, step) => ({ key: "loss", value, step, timestamp: 1700000000000 + step })),
  );
  await parent.logMetric("train/acc", 0.75, 4, 1700000000500);
  const src = mkdtempSync(join(tmpdir(), "wb-src-"));
  writeFileSync(join(src, "data.csv"), "a,b\n1,2\n");
  await parent.logArtifact(join(src, "data.csv"), "tables");
  await parent.logText("plain text", "notes.txt");
  await parent.logFigure("<svg xmlns='http://www.w3.org/2000/svg'/>", "plots/p.svg");
  childIds = [];
  for (let i = 0; i < 3; i++) {
    const child = await tracker.startRun({ experiment: "interop", parentRunId: parentId, runName: `child-${i}` });
    await child.logMetrics({ score: i / 3 }, 0);
    await child.logParam("i", i);
    await child.end(i === 1 ? "FAILED" : "FINISHED");
    childIds.push(child.runId);
  }
  const doomed = await tracker.startRun({ experiment: "interop", runName: "doomed" });
  deletedId = doomed.runId;
  await doomed.end();
  await store.deleteRun(deletedId);
  await parent.end();
  const gone = await store.createExperiment("gone");
  await store.deleteExperiment(gone);
  const renamed = await store.createExperiment("before-rename");
  await store.renameExperiment(renamed, "after-rename");
});

describe("MLflow reads the workbench's store", () => {
  it("sees the same experiments, runs, params, tags, latest metrics, histories and artifacts", async () => {
    const ours = await dumpStore(root);
    const theirs = JSON.parse(runPython("mlflow_dump.py", [root]));
    expect(theirs).toEqual(ours);
    // Spot-check the content itself, not only the agreement.
    const parent = theirs.runs.find((r: { runId: string }) => r.runId === parentId);
    expect(parent.histories.loss.map((p: unknown[]) => p[1])).toEqual([0.5, "NaN", "Infinity", "-Infinity", -0, 1e-300, 123456789.125]);
    expect(parent.params).toMatchObject({ lr: "0.1", "model/depth": "6", note: "yes", sci: "1e5", spaced: "a b: c" });
    expect(parent.tags["mlflow.note.content"]).toBe("# Parent\nwith *markdown*");
    expect(theirs.activeRunIds).not.toContain(deletedId);
    expect(theirs.runs.map((r: { runId: string }) => r.runId)).toContain(deletedId);
    expect(theirs.experiments.map((e: { name: string; lifecycleStage: string }) => `${e.name}:${e.lifecycleStage}`).sort()).toEqual(
      ["Default:active", "after-rename:active", "gone:deleted", "interop:active"].sort(),
    );
  });

  it("answers search_runs filters and order_by like the workbench", async () => {
    const cases: [string, string[]][] = [
      ["", []],
      ["metrics.score > 0.2", []],
      ["metrics.score != 0", ["metrics.score ASC"]],
      ["params.i = '1'", []],
      [`tags.mlflow.parentRunId = '${parentId}'`, ["params.i DESC"]],
      ["attributes.status = 'FAILED'", []],
      ["params.lr LIKE '0.%'", []],
      ["metrics.loss < 0", []],
      ["metrics.loss > 1000000", []],
      ["", ["metrics.score ASC", "attributes.run_name DESC"]],
      ["", ["metrics.loss DESC"]],
      ["attributes.run_name ILIKE 'CHILD%'", ["metrics.score DESC"]],
      ["params.missing IS NULL AND params.i IS NOT NULL", ["start_time ASC"]],
      [`attributes.run_id IN ('${childIds[0]}', '${childIds[2]}')`, []],
      ["tags.`mlflow.runName` = 'child-1'", []],
      ["params.i = 1", []],
      ["params.i = '1' OR params.i = '2'", []],
    ];
    const theirs = JSON.parse(runPython("search_runs.py", [root, "interop", JSON.stringify(cases)])) as (string[] | { error: string })[];
    const tracker = new Tracker(new FileStore(root, { warn: () => {} }));
    for (let i = 0; i < cases.length; i++) {
      const [filter, orderBy] = cases[i];
      let ours: string[] | { error: string };
      try {
        ours = (await tracker.searchRuns({ experiments: ["interop"], filter, orderBy })).runs.map((r) => r.info.runId);
      } catch {
        ours = { error: "MlflowException" };
      }
      expect({ filter, orderBy, ids: ours }).toEqual({ filter, orderBy, ids: theirs[i] });
    }
    // The cases are not vacuous: most select a proper, non-empty subset.
    const sizes = theirs.map((t) => (Array.isArray(t) ? t.length : -1));
    expect(sizes.filter((n) => n > 0 && n < 5).length).toBeGreaterThanOrEqual(8);
  });

  it("downloads the artifacts with the bytes the workbench wrote", () => {
    const dst = mkdtempSync(join(tmpdir(), "wb-dl-"));
    const out = runPython("download_artifact.py", [root, parentId, "tables/data.csv", dst]);
    expect(out).toBe("a,b\n1,2\n");
    expect(readFileSync(join(dst, "data.csv"), "utf8")).toBe("a,b\n1,2\n");
  });
});
