/**
 * Worker-thread entry for `sample`: rebuilds the model from its WorkerModelSpec once, then runs
 * the chains the main thread hands it, posting progress and the finished chain back.
 */
import { parentPort, workerData } from "node:worker_threads";
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import { createRng } from "../util/random.js";
import type { LogDensityModel, WorkerModelSpec } from "./model.js";
import { runChain, type NutsOptions } from "./nuts.js";
import type { WorkerMessage } from "./sample.js";

interface RunMessage {
  type: "run";
  chain: number;
  seed: number;
  options: NutsOptions;
  init: Float64Array | null;
  progress: boolean;
}

async function loadModel(spec: WorkerModelSpec): Promise<LogDensityModel> {
  const url = isAbsolute(spec.module) ? pathToFileURL(spec.module).href : spec.module;
  const mod = (await import(url)) as Record<string, unknown>;
  const factory = mod[spec.exportName];
  if (typeof factory !== "function") throw new Error(`${spec.module} does not export a function ${spec.exportName}`);
  return (factory as (args: unknown) => LogDensityModel)(spec.args);
}

const port = parentPort;
if (port !== null) {
  const spec = (workerData as { spec: WorkerModelSpec }).spec;
  const modelPromise = loadModel(spec);
  const post = (msg: WorkerMessage, transfer?: ArrayBuffer[]): void => port.postMessage(msg, transfer);
  port.on("message", (msg: RunMessage) => {
    modelPromise
      .then((model) => {
        const result = runChain(model, msg.options, createRng(msg.seed), msg.chain, msg.init, msg.progress ? (event) => post({ type: "progress", event }) : undefined);
        const s = result.stats;
        const transfer = [result.draws.buffer, s.stepSize.buffer, s.treeDepth.buffer, s.nLeapfrog.buffer, s.divergent.buffer, s.energy.buffer, s.acceptStat.buffer, s.lp.buffer] as ArrayBuffer[];
        post({ type: "done", result }, transfer);
      })
      .catch((e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        post({ type: "error", name: err.name, message: err.message });
      });
  });
}
