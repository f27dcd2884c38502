/**
 * Run several NUTS chains, on worker threads when the machine has cores to spare and the model
 * can be rebuilt in a worker (it has a `workerSpec`), else one after another on this thread.
 * Chain c always draws from the same random stream (derived from the seed and c alone), so the
 * draws are identical whatever the number of workers.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { ConfigError, ConvergenceError, WorkbenchError } from "../errors.js";
import { createRng, mixSeed, type Rng } from "../util/random.js";
import type { LogDensityModel } from "./model.js";
import { callerFile } from "../util/module-path.js";
import { workerBootstrapCode } from "../util/worker-bootstrap.js";
import { nutsDefaults, runChain, type ChainResult, type NutsOptions, type ProgressEvent } from "./nuts.js";
import { Posterior } from "./posterior.js";

/** Named initial values (constrained scale). */
export type InitValues = Record<string, number | ArrayLike<number>>;

/** Settings of a multi-chain run. */
export interface SampleOptions extends NutsOptions {
  /** Number of chains. Default 4. */
  chains?: number;
  /** Seed of the run (chain c uses a fork of it by c). One of seed or rng is required. */
  seed?: number;
  /** A generator to derive the chain streams from (chain c uses rng.fork(c)). */
  rng?: Rng;
  /** Worker threads; default min(chains, available cores). 1 runs every chain on this thread. */
  workers?: number;
  /** Initial values for every chain, or per chain. Default: Stan's random inits. */
  init?: InitValues | ((chain: number) => InitValues);
  /** Called every ~1% of iterations per chain. */
  onProgress?: (event: ProgressEvent) => void;
}

const THIS_FILE = callerFile();

/** The seed of chain c's random stream (equal to createRng(seed).fork(c) for a numeric seed). */
export function chainSeed(options: { seed?: number; rng?: Rng }, chain: number): number {
  if (options.seed !== undefined) {
    if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff) {
      throw new ConfigError(`invalid seed: ${options.seed} (an integer in [0, 2^32) is needed)`);
    }
    return mixSeed(options.seed, chain);
  }
  if (options.rng !== undefined) return options.rng.fork(chain).nextUint32();
  throw new ConfigError("sample: give a seed or an rng so that the run is reproducible");
}

function resolveInit(model: LogDensityModel, init: SampleOptions["init"], chain: number): Float64Array | null {
  if (init === undefined) return null;
  const values = typeof init === "function" ? init(chain) : init;
  return model.layout.unconstrain(model.layout.fromNamed(values));
}

function settings(options: SampleOptions): { chains: number; nuts: NutsOptions } {
  const chains = options.chains ?? 4;
  if (!Number.isInteger(chains) || chains < 1) throw new ConfigError(`invalid chains: ${chains}`);
  const nuts = nutsDefaults(options);
  for (const key of ["warmup", "draws"] as const) {
    if (!Number.isInteger(nuts[key]) || nuts[key] < 0) throw new ConfigError(`invalid ${key}: ${nuts[key]}`);
  }
  if (nuts.draws < 1) throw new ConfigError(`invalid draws: ${nuts.draws} (at least 1)`);
  if (!(nuts.targetAccept > 0 && nuts.targetAccept < 1)) throw new ConfigError(`invalid targetAccept: ${nuts.targetAccept}`);
  if (!Number.isInteger(nuts.maxTreeDepth) || nuts.maxTreeDepth < 1) throw new ConfigError(`invalid maxTreeDepth: ${nuts.maxTreeDepth}`);
  if (nuts.metric !== "diag" && nuts.metric !== "dense") throw new ConfigError(`invalid metric: ${String(nuts.metric)} (expected "diag" or "dense")`);
  return { chains, nuts };
}

/** Run every chain on this thread, in order. */
export function sampleSync(model: LogDensityModel, options: SampleOptions): Posterior {
  const { chains, nuts } = settings(options);
  const results: ChainResult[] = [];
  for (let c = 0; c < chains; c++) {
    const rng = createRng(chainSeed(options, c));
    results.push(runChain(model, nuts, rng, c, resolveInit(model, options.init, c), options.onProgress));
  }
  return new Posterior(paramSpecs(model), results, nutsDefaults(nuts).maxTreeDepth);
}

function paramSpecs(model: LogDensityModel): Record<string, (typeof model.layout.specs)[number]> {
  const out: Record<string, (typeof model.layout.specs)[number]> = {};
  model.layout.names.forEach((n, k) => {
    out[n] = model.layout.specs[k];
  });
  return out;
}

interface WorkerSetup {
  /** Bootstrap source for an `eval` worker: registers the TypeScript loader if needed, then imports the entry. */
  code: string;
}

/** How to start a sampling worker from here, or null when workers are unavailable. */
export function workerSetup(): WorkerSetup | null {
  const code = workerBootstrapCode(THIS_FILE, "worker");
  return code === null ? null : { code };
}

/** Run the chains, in parallel on worker threads when possible; same draws as `sampleSync`. */
export async function sample(model: LogDensityModel, options: SampleOptions): Promise<Posterior> {
  const { chains, nuts } = settings(options);
  const wanted = options.workers ?? Math.min(chains, availableParallelism());
  if (!Number.isInteger(wanted) || wanted < 1) throw new ConfigError(`invalid workers: ${wanted}`);
  const setup = wanted > 1 && model.workerSpec !== undefined ? workerSetup() : null;
  if (setup === null || model.workerSpec === undefined) return sampleSync(model, options);
  const spec = model.workerSpec;
  const nWorkers = Math.min(wanted, chains);
  const results: ChainResult[] = new Array(chains);
  const inits = Array.from({ length: chains }, (_, c) => resolveInit(model, options.init, c));
  const seeds = Array.from({ length: chains }, (_, c) => chainSeed(options, c));
  let next = 0;
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      let failed = false;
      const fail = (err: Error): void => {
        if (failed) return;
        failed = true;
        reject(err);
      };
      const dispatch = (w: Worker): void => {
        if (failed) return;
        if (next >= chains) {
          if (running === 0) resolve();
          return;
        }
        const c = next++;
        running++;
        w.postMessage({ type: "run", chain: c, seed: seeds[c], options: nuts, init: inits[c], progress: options.onProgress !== undefined });
      };
      for (let k = 0; k < nWorkers; k++) {
        const w = new Worker(setup.code, { eval: true, execArgv: [], workerData: { spec } });
        workers.push(w);
        w.on("message", (msg: WorkerMessage) => {
          if (msg.type === "progress") {
            options.onProgress?.(msg.event);
          } else if (msg.type === "done") {
            results[msg.result.chain] = msg.result;
            running--;
            dispatch(w);
          } else if (msg.type === "error") {
            const err =
              msg.name === "ConvergenceError"
                ? new ConvergenceError(msg.message)
                : new WorkbenchError(`sampling failed in a worker thread: ${msg.message}`);
            fail(err);
          }
        });
        w.on("error", (e) => fail(new WorkbenchError(`worker thread failed: ${e.message}`, { cause: e })));
        w.on("exit", (code) => {
          if (code !== 0) fail(new WorkbenchError(`worker thread exited with code ${code}`));
        });
        dispatch(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return new Posterior(paramSpecs(model), results, nutsDefaults(nuts).maxTreeDepth);
}

/** Messages a sampling worker posts back. */
export type WorkerMessage =
  | { type: "progress"; event: ProgressEvent }
  | { type: "done"; result: ChainResult }
  | { type: "error"; name: string; message: string };
