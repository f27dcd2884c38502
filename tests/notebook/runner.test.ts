/**
 * The headless runner end to end on tslab's engine: parameters injected, outputs captured, a valid
 * nbformat notebook written, the execution tracked; a failing cell stops the run with a clear error.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serializeNotebook, sourceText, validateNotebook, type CodeCell, type Notebook } from "../../lib/notebook/nbformat.js";
import { fromPercent } from "../../lib/notebook/percent.js";
import { runNotebook, type NotebookRunResult } from "../../lib/notebook/runner.js";
import { createTracker } from "../../lib/tracking/tracker.js";
import { main } from "../../cli/main.js";

const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "nb-runner-"));
const store = join(dir, "mlruns");

const GOOD = `// %% [markdown]
// # Fixture

// %% tags=["parameters"]
let seed = 1;
let label = "base";

// %%
import * as tslab from "tslab";
import { notebookRun } from "./lib/notebook/context.js";
const run = await notebookRun({ notebook: "fixture" });
console.log("label", label, "seed", seed);
console.error("to stderr");
tslab.display.svg('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>');
await run.logMetric("seed_squared", seed * seed);
await run.end();

// %%
[seed, label].join("/")
`;

const FAILING = `// %% tags=["parameters"]
let n = 2;

// %%
console.log("before", n);

// %%
function explode(): never { throw new RangeError("n is " + n); }
explode();

// %%
console.log("never runs");
`;

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, serializeNotebook(fromPercent(text)));
  return path;
}

function codeCells(nb: Notebook): CodeCell[] {
  return nb.cells.filter((c): c is CodeCell => c.cell_type === "code");
}

describe("runNotebook", () => {
  let good: NotebookRunResult;
  let bad: NotebookRunResult;
  const cwd = process.cwd();

  beforeAll(async () => {
    good = await runNotebook(write("good.ipynb", GOOD), { root, parameters: { seed: "3" }, trackingUri: store, output: join(dir, "out", "good.ipynb"), htmlOutput: join(dir, "out", "good.html") });
    bad = await runNotebook(write("bad.ipynb", FAILING), { root, trackingUri: store, output: join(dir, "out", "bad.ipynb") });
  }, 240_000);

  afterAll(() => {
    expect(process.cwd()).toBe(cwd);
  });

  it("injects the parameters after the parameters cell and runs every cell", () => {
    expect(good.status).toBe("completed");
    expect(good.parameters).toEqual({ seed: 3, label: "base" });
    const ids = good.notebook.cells.map((c) => c.id);
    expect(ids.indexOf("injected-parameters")).toBe(ids.indexOf("cell-1") + 1);
    expect(codeCells(good.notebook).map((c) => c.execution_count)).toEqual([1, 2, 3, 4]);
    expect(codeCells(good.notebook).every((c) => (c.metadata.workbench as { status: string }).status === "completed")).toBe(true);
  });

  it("captures stdout, stderr, rich display data and the last expression", () => {
    const cell = codeCells(good.notebook)[2];
    const streams = cell.outputs.filter((o) => o.output_type === "stream");
    expect(streams.map((o) => [o.output_type === "stream" && o.name, o.output_type === "stream" && sourceText(o.text)])).toEqual([
      ["stdout", "label base seed 3\n"],
      ["stderr", "to stderr\n"],
    ]);
    const display = cell.outputs.find((o) => o.output_type === "display_data");
    expect(display && display.output_type === "display_data" && sourceText(display.data["image/svg+xml"])).toContain("<svg");
    const last = codeCells(good.notebook)[3].outputs[0];
    expect(last.output_type === "stream" && sourceText(last.text)).toBe("3/base\n");
  });

  it("writes a valid nbformat 4.5 notebook and a self-contained HTML page", () => {
    const written = JSON.parse(readFileSync(join(dir, "out", "good.ipynb"), "utf8")) as Notebook;
    expect(validateNotebook(written)).toEqual([]);
    expect(written.nbformat_minor).toBe(5);
    expect((written.metadata.workbench as { parameters: unknown }).parameters).toEqual({ seed: 3, label: "base" });
    const html = readFileSync(join(dir, "out", "good.html"), "utf8");
    expect(html).toContain("Content-Security-Policy");
    expect(html).toContain("label base seed 3");
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it("records the execution as a NOTEBOOK run that the notebook's own logging joined", async () => {
    const tracker = createTracker({ trackingUri: store });
    const run = await tracker.store.getRun(good.runId as string);
    expect(run.info.status).toBe("FINISHED");
    expect(run.data.params).toEqual({ seed: "3", label: "base" });
    expect(run.data.metrics.seed_squared).toBe(9);
    expect(run.data.tags["mlflow.source.type"]).toBe("NOTEBOOK");
    expect(run.data.tags["workbench.notebook.parameters"]).toBe('{"seed":3,"label":"base"}');
    expect(run.data.tags["workbench.seed"]).toBe("3");
    const artifacts = (await tracker.store.listArtifacts(run.info.runId, "notebook")).map((a) => a.path).sort();
    expect(artifacts).toEqual(["notebook/good.html", "notebook/good.ipynb"]);
  });

  it("stops at the failing cell, reports it and leaves later cells pending", async () => {
    expect(bad.status).toBe("failed");
    expect(bad.failedCell?.index).toBe(2);
    expect(bad.failedCell?.error.ename).toBe("RangeError");
    expect(bad.failedCell?.error.evalue).toBe("n is 2");
    const cells = codeCells(bad.notebook);
    expect(cells.map((c) => (c.metadata.workbench as { status: string }).status)).toEqual(["completed", "completed", "failed", "pending"]);
    expect(cells[3].outputs).toEqual([]);
    expect(cells[3].execution_count).toBeNull();
    expect(existsSync(join(dir, "out", "bad.ipynb"))).toBe(true);
    const tracker = createTracker({ trackingUri: store });
    const run = await tracker.store.getRun(bad.runId as string);
    expect(run.info.status).toBe("FAILED");
    expect(run.data.tags["workbench.error"]).toMatch(/bad\.ipynb: cell 2 \(In \[3\]\) failed: RangeError: n is 2/);
  });

  it("keeps running after a stray promise rejection and shows it on the cell's stderr", async () => {
    const r = await runNotebook(write("stray.ipynb", `// %%\nvoid Promise.reject(new Error("stray"));\nawait new Promise((r) => setTimeout(r, 50));\n\n// %%\nconsole.log("still here");\n`), { root, track: false });
    expect(r.status).toBe("completed");
    const cells = codeCells(r.notebook);
    const stderr = cells[0].outputs.find((o) => o.output_type === "stream" && o.name === "stderr");
    expect(stderr && stderr.output_type === "stream" && sourceText(stderr.text)).toMatch(/UnhandledPromiseRejection: Error: stray/);
    expect(cells[1].outputs[0].output_type === "stream" && sourceText(cells[1].outputs[0].text)).toBe("still here\n");
  }, 120_000);

  it("reports a type error as the cell's error", async () => {
    const r = await runNotebook(write("typo.ipynb", `// %%\nconst x: number = "text";\n`), { root, track: false });
    expect(r.status).toBe("failed");
    expect(r.failedCell?.error.ename).toBe("TypeScriptError");
    expect(r.failedCell?.error.evalue).toMatch(/Type 'string' is not assignable to type 'number'/);
  }, 120_000);
});

describe("runNotebook with a cell timeout (cells in a killable child process)", () => {
  const HANGS = `// %%
console.log("before");

// %%
console.log("partial");
await new Promise((r) => setTimeout(r, 20));
while (true) {}

// %%
console.log("never runs");
`;

  it("runs a notebook to the same outputs as in-process", async () => {
    const r = await runNotebook(write("child-good.ipynb", GOOD), { root, parameters: { seed: "3" }, trackingUri: store, cellTimeoutSeconds: 120 });
    expect(r.status).toBe("completed");
    const outputs = codeCells(r.notebook).map((c) => c.outputs);
    const inProcess = await runNotebook(write("inproc-good.ipynb", GOOD), { root, parameters: { seed: "3" }, trackingUri: store });
    expect(outputs).toEqual(codeCells(inProcess.notebook).map((c) => c.outputs));
    const run = await createTracker({ trackingUri: store }).store.getRun(r.runId as string);
    // The child's notebookRun() joined the runner's run through the inherited environment.
    expect(run.data.metrics.seed_squared).toBe(9);
  }, 240_000);

  it("stops a cell that never yields, keeps what it printed and leaves later cells pending", async () => {
    const started = performance.now();
    const r = await runNotebook(write("hangs.ipynb", HANGS), { root, track: false, cellTimeoutSeconds: 4, output: join(dir, "out", "hangs.ipynb") });
    expect(performance.now() - started).toBeLessThan(100_000);
    expect(r.status).toBe("failed");
    expect(r.failedCell?.index).toBe(1);
    expect(r.failedCell?.error.ename).toBe("CellTimeoutError");
    expect(r.failedCell?.error.evalue).toMatch(/4 s cell timeout/);
    const cells = codeCells(r.notebook);
    expect(cells.map((c) => (c.metadata.workbench as { status: string }).status)).toEqual(["completed", "failed", "pending"]);
    expect(sourceText((cells[0].outputs[0] as { text: string[] }).text)).toBe("before\n");
    expect(sourceText((cells[1].outputs[0] as { text: string[] }).text)).toBe("partial\n");
    expect(validateNotebook(JSON.parse(readFileSync(join(dir, "out", "hangs.ipynb"), "utf8")) as Notebook)).toEqual([]);
  }, 240_000);

  it("rejects a bad --cell-timeout with a usage error", async () => {
    expect(await main(["notebook", "run", write("t.ipynb", FAILING), "--no-track", "--cell-timeout", "soon"])).toBe(2);
  });
});

describe("workbench notebook run (usage errors exit 2 before any cell runs)", () => {
  it("unknown parameter, missing notebook, notebook and --all together", async () => {
    const path = write("usage.ipynb", FAILING);
    expect(await main(["--tracking-uri", store, "notebook", "run", path, "-p", "m=3"])).toBe(2);
    expect(await main(["notebook", "run", join(dir, "nope.ipynb")])).toBe(2);
    expect(await main(["notebook", "run", path, "--all"])).toBe(2);
  });

  it("a failing cell exits 1 and still writes the partial notebook", async () => {
    const path = write("cli-fail.ipynb", FAILING);
    const out = join(dir, "cli-fail.out.ipynb");
    expect(await main(["notebook", "run", path, "--no-track", "-o", out])).toBe(1);
    expect(existsSync(out)).toBe(true);
  }, 120_000);
});
