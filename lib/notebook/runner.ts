/**
 * The headless notebook runner (papermill's job, without Python): execute a notebook top to bottom
 * on tslab's engine (in this process, or in a killable child process when a cell timeout is set)
 * with injected parameters, record each cell's outputs, timing and
 * status, stop at the first failing cell, write the (partial) executed notebook, and record the
 * execution as a tracked run whose artifacts are the executed notebook and its HTML page.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, relative, resolve } from "node:path";
import { WorkbenchError } from "../errors.js";
import { configHash } from "../config/canonical.js";
import { notebookToHtml } from "../report/notebook-html.js";
import type { ActiveRun } from "../tracking/run.js";
import { createTracker, type Tracker } from "../tracking/tracker.js";
import { NOTEBOOK_RUN_ENV } from "./context.js";
import { childProcessExecutor, inProcessExecutor, type CellExecutor } from "./cell-executor.js";
import { readNotebook, serializeNotebook, sourceText, TSLAB_KERNELSPEC, TYPESCRIPT_LANGUAGE_INFO, validateNotebook, type ErrorOutput, type Notebook } from "./nbformat.js";
import { parameterize, type ParameterValue } from "./parameters.js";

/** How to run a notebook. */
export interface RunNotebookOptions {
  /** Project root: the kernel's working directory, so cells import `./lib/...` (default cwd). */
  root?: string;
  /** Parameter overrides (`-p key=value`), typed by the parameters cell. */
  parameters?: Record<string, string | ParameterValue>;
  /** Where to write the executed notebook (also written when a cell fails). */
  output?: string;
  /** Where to write the HTML page of the executed notebook. */
  htmlOutput?: string;
  /** Record the execution as a tracked run (default true). */
  track?: boolean;
  trackingUri?: string;
  /** Experiment of the run (default: the notebook's metadata.workbench.experiment, else "notebooks"). */
  experiment?: string;
  /**
   * Stop a cell that runs longer than this (seconds, like papermill's `--execution-timeout`). The
   * cells then run in a child process, which is killed at the limit; the cell fails with a
   * CellTimeoutError and the partial notebook is written as for any failing cell. Default: none
   * (cells run in this process).
   */
  cellTimeoutSeconds?: number;
  /** Progress lines (one per cell). */
  log?: (line: string) => void;
}

/** Per-cell record of an execution. */
export interface CellRecord {
  index: number;
  executionCount: number | null;
  status: "completed" | "failed" | "pending";
  durationMs: number;
}

/** What a notebook run produced. */
export interface NotebookRunResult {
  notebook: Notebook;
  status: "completed" | "failed";
  /** Path relative to the root. */
  path: string;
  parameters: Record<string, ParameterValue>;
  runId?: string;
  failedCell?: { index: number; executionCount: number; error: ErrorOutput };
  cells: CellRecord[];
  /** Engine start-up (tslab's TypeScript service). */
  startupMs: number;
  durationMs: number;
  outputPath?: string;
  htmlPath?: string;
}

function isoNow(): string {
  return new Date().toISOString();
}

/** Give every cell an nbformat 4.5 id (kept when present and unique). */
function ensureCellIds(nb: Notebook): void {
  const seen = new Set<string>();
  nb.cells.forEach((cell, i) => {
    let id = typeof cell.id === "string" && /^[a-zA-Z0-9-_]{1,64}$/.test(cell.id) && !seen.has(cell.id) ? cell.id : `cell-${i}`;
    while (seen.has(id)) id = `${id}-x`;
    cell.id = id;
    seen.add(id);
  });
  if (nb.nbformat_minor < 5) nb.nbformat_minor = 5;
}

/** A short single-line description of a failing cell, for messages and the run's error tag. */
export function describeFailure(path: string, failed: NonNullable<NotebookRunResult["failedCell"]>): string {
  return `${path}: cell ${failed.index} (In [${failed.executionCount}]) failed: ${failed.error.ename}: ${failed.error.evalue}`;
}

async function startNotebookRun(tracker: Tracker, rel: string, nb: Notebook, effective: Record<string, ParameterValue>, experiment?: string): Promise<ActiveRun> {
  const metaExperiment = (nb.metadata.workbench as { experiment?: unknown } | undefined)?.experiment;
  const run = await tracker.startRun({
    experiment: experiment ?? (typeof metaExperiment === "string" ? metaExperiment : "notebooks"),
    runName: basename(rel).replace(/\.ipynb$/, ""),
    sourceName: rel,
    sourceType: "NOTEBOOK",
    tags: {
      "workbench.kind": "notebook",
      "workbench.notebook": rel,
      "workbench.notebook.parameters": JSON.stringify(effective),
      "workbench.config_hash": configHash(effective),
      ...("seed" in effective ? { "workbench.seed": String(effective.seed) } : {}),
    },
  });
  if (Object.keys(effective).length > 0) await run.logParams(effective);
  return run;
}

/** Execute a notebook with parameters; never throws for a failing cell (see `status`). */
export async function runNotebook(path: string, options: RunNotebookOptions = {}): Promise<NotebookRunResult> {
  const root = resolve(options.root ?? process.cwd());
  const absolute = resolve(root, path);
  const rel = relative(root, absolute) || absolute;
  const log = options.log ?? (() => {});
  const source = readNotebook(absolute);
  const { notebook, effective, overrides } = parameterize(source, options.parameters ?? {}, rel);
  const nb: Notebook = JSON.parse(JSON.stringify(notebook)) as Notebook;
  ensureCellIds(nb);
  nb.metadata.kernelspec = nb.metadata.kernelspec ?? { ...TSLAB_KERNELSPEC };
  nb.metadata.language_info = nb.metadata.language_info ?? { ...TYPESCRIPT_LANGUAGE_INFO };
  for (const cell of nb.cells) {
    if (cell.cell_type !== "code") continue;
    cell.outputs = [];
    cell.execution_count = null;
    cell.metadata.workbench = { status: "pending" };
  }

  const savedCwd = process.cwd();
  const savedEnv = { run: process.env[NOTEBOOK_RUN_ENV], uri: process.env.MLFLOW_TRACKING_URI };
  const started = performance.now();
  const startTime = isoNow();
  const cells: CellRecord[] = [];
  let failedCell: NotebookRunResult["failedCell"];
  let startupMs = 0;
  let engine: CellExecutor | undefined;
  const track = options.track ?? true;
  // Resolve the store before changing directory, so a relative tracking URI means the caller's folder.
  const tracker = track ? createTracker({ trackingUri: options.trackingUri }) : undefined;
  let run: ActiveRun | undefined;
  try {
    // Provenance (git commit) is read from the working directory: the project root.
    process.chdir(root);
    if (tracker) run = await startNotebookRun(tracker, rel, nb, effective, options.experiment);
    if (run && tracker) {
      process.env[NOTEBOOK_RUN_ENV] = run.runId;
      const storeRoot = (tracker.store as { root?: string }).root;
      if (storeRoot) process.env.MLFLOW_TRACKING_URI = storeRoot;
    }
    engine = options.cellTimeoutSeconds === undefined ? inProcessExecutor(root) : await childProcessExecutor(root, options.cellTimeoutSeconds * 1000);
    startupMs = engine.startupMs;
    let count = 0;
    const codeCells = nb.cells.filter((c) => c.cell_type === "code").length;
    for (let index = 0; index < nb.cells.length; index++) {
      const cell = nb.cells[index];
      if (cell.cell_type !== "code") continue;
      if (failedCell) {
        cells.push({ index, executionCount: null, status: "pending", durationMs: 0 });
        continue;
      }
      count++;
      const cellStart = isoNow();
      const result = await engine.execute(sourceText(cell.source));
      cell.execution_count = count;
      cell.outputs = result.outputs;
      const status = result.ok ? "completed" : "failed";
      cell.metadata.workbench = { status, start_time: cellStart, end_time: isoNow(), duration: result.durationMs / 1000 };
      cells.push({ index, executionCount: count, status, durationMs: result.durationMs });
      log(`[${count}/${codeCells}] cell ${index} ${status} in ${(result.durationMs / 1000).toFixed(2)} s`);
      if (!result.ok) failedCell = { index, executionCount: count, error: result.error as ErrorOutput };
    }
  } finally {
    engine?.close();
    process.chdir(savedCwd);
    if (savedEnv.run === undefined) delete process.env[NOTEBOOK_RUN_ENV];
    else process.env[NOTEBOOK_RUN_ENV] = savedEnv.run;
    if (savedEnv.uri === undefined) delete process.env.MLFLOW_TRACKING_URI;
    else process.env.MLFLOW_TRACKING_URI = savedEnv.uri;
  }

  const durationMs = performance.now() - started;
  const status = failedCell ? "failed" : "completed";
  nb.metadata.workbench = {
    ...((nb.metadata.workbench as Record<string, unknown> | undefined) ?? {}),
    notebook: rel,
    parameters: effective,
    injected: overrides,
    status,
    start_time: startTime,
    end_time: isoNow(),
    duration: durationMs / 1000,
    startup: startupMs / 1000,
    ...(run ? { run_id: run.runId } : {}),
    ...(failedCell ? { failed_cell: { index: failedCell.index, execution_count: failedCell.executionCount, ename: failedCell.error.ename, evalue: failedCell.error.evalue } } : {}),
  };
  const problems = validateNotebook(nb);
  if (problems.length > 0) throw new WorkbenchError(`internal error: the executed notebook ${rel} would not be valid nbformat: ${problems.slice(0, 3).join("; ")}`);
  const json = serializeNotebook(nb);
  const html = notebookToHtml(nb, { title: rel });
  let outputPath: string | undefined;
  let htmlPath: string | undefined;
  if (options.output) {
    outputPath = resolve(savedCwd, options.output);
    mkdirSync(dirname(outputPath), { recursive: true });
    writeFileSync(outputPath, json);
  }
  if (options.htmlOutput) {
    htmlPath = resolve(savedCwd, options.htmlOutput);
    mkdirSync(dirname(htmlPath), { recursive: true });
    writeFileSync(htmlPath, html);
  }
  if (run) {
    const name = basename(rel).replace(/\.ipynb$/, "");
    await run.logText(json, `notebook/${name}.ipynb`);
    await run.logText(html, `notebook/${name}.html`);
    await run.setTags({
      "workbench.notebook.status": status,
      "workbench.notebook.duration_ms": Math.round(durationMs),
      "workbench.notebook.startup_ms": Math.round(startupMs),
      "workbench.notebook.cells_executed": cells.filter((c) => c.status !== "pending").length,
    });
    if (failedCell) {
      await run.setTag("workbench.error", describeFailure(rel, failedCell).slice(0, 8000));
      await run.logText([`${failedCell.error.ename}: ${failedCell.error.evalue}`, ...failedCell.error.traceback].join("\n") + "\n", "error.txt");
      await run.end("FAILED");
    } else {
      await run.end("FINISHED");
    }
  }
  return { notebook: nb, status, path: rel, parameters: effective, runId: run?.runId, failedCell, cells, startupMs, durationMs, outputPath, htmlPath };
}
