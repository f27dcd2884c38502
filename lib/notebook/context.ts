/**
 * The tracked run a notebook logs to. Under `workbench notebook run` the runner has already started
 * a run for the execution and names it in WORKBENCH_NOTEBOOK_RUN_ID (as MLflow's MLFLOW_RUN_ID does):
 * the notebook logs into that run and the runner ends it. Run interactively in Jupyter, the notebook
 * starts its own run (source type NOTEBOOK) and ends it itself.
 */
import { ActiveRun } from "../tracking/run.js";
import { createTracker } from "../tracking/tracker.js";
import type { RunStatus } from "../tracking/entities.js";

/** The variable that carries the runner's run id into the notebook. */
export const NOTEBOOK_RUN_ENV = "WORKBENCH_NOTEBOOK_RUN_ID";

/** A run owned by the notebook runner: the notebook logs to it but cannot end it. */
class AttachedRun extends ActiveRun {
  /** The runner ends the run after the last cell; ending it from a cell is a no-op. */
  override async end(_status: RunStatus = "FINISHED"): Promise<void> {}

  /** The runner records the failing cell itself; a notebook's own fail() only tags the error. */
  override async fail(error: unknown): Promise<void> {
    await this.setTag("workbench.notebook.reported_error", error instanceof Error ? error.message : String(error));
  }
}

/** Options of `notebookRun`. */
export interface NotebookRunOptions {
  /** Experiment for interactive runs (default "notebooks"). */
  experiment?: string;
  runName?: string;
  /** The notebook's path, recorded as the run's source. */
  notebook?: string;
  trackingUri?: string;
}

/** The run a notebook should log to: the runner's run when executed by it, else a new NOTEBOOK run. */
export async function notebookRun(options: NotebookRunOptions = {}): Promise<ActiveRun> {
  const tracker = createTracker({ trackingUri: options.trackingUri });
  const attached = process.env[NOTEBOOK_RUN_ENV];
  if (attached) {
    const info = await tracker.store.getRunInfo(attached);
    return new AttachedRun(tracker.store, info);
  }
  return tracker.startRun({
    experiment: options.experiment ?? "notebooks",
    runName: options.runName,
    sourceName: options.notebook ?? "notebook",
    sourceType: "NOTEBOOK",
    tags: options.notebook ? { "workbench.notebook": options.notebook } : undefined,
  });
}

/** Whether the notebook is being executed by `workbench notebook run`. */
export function underNotebookRunner(): boolean {
  return Boolean(process.env[NOTEBOOK_RUN_ENV]);
}
