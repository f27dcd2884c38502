/**
 * Runs a trial's replicates, on worker threads when asked: each replicate's result depends only on
 * the shared plan and its index (its random streams are forks of the study seed by replicate), and
 * results are stored by index, so any number of workers gives bit-identical results to one.
 *
 * Workers read the world and the designs from SharedArrayBuffers (no copies); under tsx (the CLI,
 * vitest) a worker registers tsx's loader before importing its TypeScript entry, as lib/bayes does.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { ConfigError, WorkbenchError } from "../errors.js";
import { callerFile } from "../util/module-path.js";
import { workerBootstrapCode } from "../util/worker-bootstrap.js";
import type { TrialPlan } from "./plan.js";
import { ReplicateScratch, resultSize, runReplicate } from "./replicate.js";

const THIS_FILE = callerFile();

/** Options of `runReplicates`. */
export interface RunReplicatesOptions {
  /** Worker threads (default: available cores; 1 runs on this thread). */
  workers?: number;
  /** Replicates handed to a worker at a time (default 4). */
  batch?: number;
  /** Called after each finished replicate with the count done. */
  onProgress?: (done: number) => void;
}

/** All replicates' result vectors: row r = replicate r (see resultIndex for the layout). */
export interface ReplicateResults {
  readonly replicates: number;
  readonly width: number;
  readonly values: Float64Array;
  /** Workers actually used. */
  readonly workers: number;
}

/** Messages between the harness and its workers. */
export type TrialWorkerMessage =
  | { type: "done"; replicate: number; values: Float64Array }
  | { type: "batch-done" }
  | { type: "error"; name: string; message: string };

/** The bootstrap source of a trial worker, or null when workers cannot be started from here. */
export function trialWorkerCode(): string | null {
  return workerBootstrapCode(THIS_FILE, "worker");
}

/** Run every replicate of the plan; identical results for any worker count. */
export async function runReplicates(plan: TrialPlan, options: RunReplicatesOptions = {}): Promise<ReplicateResults> {
  const R = plan.settings.replicates;
  const width = resultSize(plan);
  const values = new Float64Array(R * width);
  const wanted = options.workers ?? availableParallelism();
  if (!Number.isInteger(wanted) || wanted < 1) throw new ConfigError(`invalid workers: ${wanted} (must be an integer >= 1)`);
  const code = wanted > 1 ? trialWorkerCode() : null;
  let done = 0;
  if (code === null || R === 1) {
    const scratch = new ReplicateScratch(plan);
    for (let r = 0; r < R; r++) {
      values.set(runReplicate(plan, r, scratch), r * width);
      options.onProgress?.(++done);
    }
    return { replicates: R, width, values, workers: 1 };
  }
  const nWorkers = Math.min(wanted, R);
  const batch = options.batch ?? 4;
  const workers: Worker[] = [];
  let next = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      let idle = 0;
      const fail = (err: Error): void => {
        if (!failed) {
          failed = true;
          reject(err);
        }
      };
      const dispatch = (w: Worker): void => {
        if (failed) return;
        if (next >= R) {
          if (++idle === nWorkers) resolve();
          return;
        }
        const from = next;
        next = Math.min(R, next + batch);
        w.postMessage({ type: "run", from, to: next });
      };
      for (let k = 0; k < nWorkers; k++) {
        const w = new Worker(code, { eval: true, execArgv: [], workerData: { plan } });
        workers.push(w);
        w.on("message", (msg: TrialWorkerMessage) => {
          if (msg.type === "done") {
            values.set(msg.values, msg.replicate * width);
            options.onProgress?.(++done);
          } else if (msg.type === "batch-done") {
            dispatch(w);
          } else {
            fail(new WorkbenchError(`trial replicate failed in a worker thread: ${msg.name}: ${msg.message}`));
          }
        });
        w.on("error", (e) => fail(new WorkbenchError(`trial worker failed: ${e.message}`, { cause: e })));
        w.on("exit", (c) => {
          if (c !== 0) fail(new WorkbenchError(`trial worker exited with code ${c}`));
        });
        dispatch(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { replicates: R, width, values, workers: nWorkers };
}
