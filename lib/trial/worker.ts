/**
 * Worker-thread entry of the trial harness: runs the replicate ranges it is handed on the shared
 * plan and posts each replicate's result vector back (the buffer is transferred, not copied).
 */
import { parentPort, workerData } from "node:worker_threads";
import type { TrialPlan } from "./plan.js";
import { ReplicateScratch, runReplicate } from "./replicate.js";
import type { TrialWorkerMessage } from "./harness.js";

const port = parentPort;
if (port !== null) {
  const plan = (workerData as { plan: TrialPlan }).plan;
  let scratch: ReplicateScratch | null = null;
  const post = (msg: TrialWorkerMessage, transfer?: ArrayBuffer[]): void => port.postMessage(msg, transfer);
  port.on("message", (msg: { type: "run"; from: number; to: number }) => {
    try {
      scratch ??= new ReplicateScratch(plan);
      for (let r = msg.from; r < msg.to; r++) {
        const values = runReplicate(plan, r, scratch);
        post({ type: "done", replicate: r, values }, [values.buffer as ArrayBuffer]);
      }
      post({ type: "batch-done" });
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      post({ type: "error", name: err.name, message: err.message });
    }
  });
}
