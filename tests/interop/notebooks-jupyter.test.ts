/**
 * Every notebook in notebooks/ runs top to bottom in real Jupyter (nbclient with the tslab kernelspec
 * that starts the kernel from the project root), and the in-process runner's executed notebooks pass
 * Python's nbformat.validate and show the same rich outputs.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Notebook } from "../../lib/notebook/nbformat.js";
import { runNotebook } from "../../lib/notebook/runner.js";
import { createTracker } from "../../lib/tracking/tracker.js";
import { listNotebooks } from "../../cli/commands/notebook.js";
import { executeWithJupyter, notebookPython, projectRoot, validateWithNbformat, type JupyterResult } from "./notebook-python.js";

const notebooks = listNotebooks(projectRoot).map((p) => join(projectRoot, p));

function svgOutputs(nb: Notebook): number {
  let n = 0;
  for (const c of nb.cells) if (c.cell_type === "code") for (const o of c.outputs) if (o.output_type === "display_data" && o.data["image/svg+xml"] !== undefined) n++;
  return n;
}

describe("notebooks in real Jupyter", () => {
  const dir = mkdtempSync(join(tmpdir(), "nb-jupyter-"));
  const store = join(dir, "mlruns");
  let python: string;
  let results: JupyterResult[];

  beforeAll(() => {
    python = notebookPython();
    expect(notebooks.length).toBeGreaterThanOrEqual(3);
    results = executeWithJupyter(python, notebooks, dir, { MLFLOW_TRACKING_URI: store });
  }, 1_800_000);

  it("runs every notebook without an error", () => {
    for (const r of results) expect({ path: r.path, error: r.error }).toEqual({ path: r.path, error: null });
  });

  it("shows figures inline and logs each notebook's own run", async () => {
    for (const r of results) expect(svgOutputs(JSON.parse(readFileSync(r.output, "utf8")) as Notebook)).toBeGreaterThan(0);
    const tracker = createTracker({ trackingUri: store });
    const runs = await tracker.searchAllRuns({});
    for (const path of notebooks) {
      const rel = path.slice(projectRoot.length + 1);
      const run = runs.find((r) => r.data.tags["workbench.notebook"] === rel);
      expect(run, `a run for ${rel}`).toBeDefined();
      expect(run?.info.status).toBe("FINISHED");
      expect(run?.data.tags["mlflow.source.type"]).toBe("NOTEBOOK");
      expect(Object.keys(run?.data.metrics ?? {}).length).toBeGreaterThan(0);
    }
  });

  it("the in-process runner writes notebooks nbformat.validate accepts, with the same figures", async () => {
    const outputs: string[] = [];
    for (const path of notebooks) {
      const output = join(dir, "inprocess", path.split("/").pop() as string);
      const r = await runNotebook(path, { root: projectRoot, output, trackingUri: join(dir, "mlruns-inprocess") });
      expect(r.failedCell, path).toBeUndefined();
      outputs.push(output);
    }
    for (const v of validateWithNbformat(python, outputs)) expect({ path: v.path, error: v.error }).toEqual({ path: v.path, error: null });
    outputs.forEach((out, i) => {
      const ours = JSON.parse(readFileSync(out, "utf8")) as Notebook;
      const jupyter = JSON.parse(readFileSync(results[i].output, "utf8")) as Notebook;
      expect(svgOutputs(ours)).toBe(svgOutputs(jupyter));
    });
  }, 1_800_000);
});
