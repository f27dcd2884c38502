/**
 * Optional multi-threaded histogram construction with worker_threads. Bin codes, row order,
 * gradient pairs and the histogram pool live in SharedArrayBuffers; for each leaf the feature
 * groups are divided among the main thread and the workers, each filling its own features'
 * histogram regions. Every feature's histogram is still summed by one thread in row order, so
 * results are bit-identical to a single thread. Synchronization is Atomics.wait/notify on a small
 * shared control block (a synchronous fork-join; training stays a synchronous call).
 *
 * The worker runs plain JavaScript evaluated from WORKER_SOURCE (a copy of the kernels in
 * histogram.ts), so no worker file has to be located at run time.
 */
import { Worker } from "node:worker_threads";
import { awaitJob, CTRL_DONE, CTRL_SEQ, postJob } from "../util/fork-join.js";

const CTRL_MODE = 2;
const CTRL_BEGIN = 3;
const CTRL_COUNT = 4;
const CTRL_HIST = 5;
const CTRL_NGROUPS = 6;
const MODE_SEQ = 0;
const MODE_ROWS = 1;
const MODE_EXIT = 2;

const WORKER_SOURCE = `
"use strict";
const { workerData } = require("node:worker_threads");
const ctrl = new Int32Array(workerData.ctrl);
const packed = new Uint32Array(workerData.packed);
const rows = new Uint32Array(workerData.rows);
const gh = new Float64Array(workerData.gh);
const pool = new Float64Array(workerData.pool);
const groups = new Int32Array(workerData.groups);
const binOffset = new Int32Array(workerData.binOffset);
const n = workerData.n;
const histSize = workerData.histSize;
function kernel(hist, ga, gb, seq, begin, count) {
  const ca = ga * n, cb = gb < 0 ? 0 : gb * n;
  const h0 = binOffset[4 * ga] * 2, h1 = binOffset[4 * ga + 1] * 2, h2 = binOffset[4 * ga + 2] * 2, h3 = binOffset[4 * ga + 3] * 2;
  const ghOff = seq ? 2 * begin : 0;
  if (gb < 0) {
    for (let k = 0; k < count; k++) {
      const r = seq ? begin + k : rows[begin + k];
      const g = gh[ghOff + 2 * k], h = gh[ghOff + 2 * k + 1];
      const w = packed[ca + r];
      const j0 = h0 + (w & 255) * 2, j1 = h1 + ((w >>> 8) & 255) * 2, j2 = h2 + ((w >>> 16) & 255) * 2, j3 = h3 + (w >>> 24) * 2;
      hist[j0] += g; hist[j0 + 1] += h; hist[j1] += g; hist[j1 + 1] += h;
      hist[j2] += g; hist[j2 + 1] += h; hist[j3] += g; hist[j3 + 1] += h;
    }
    return;
  }
  const h4 = binOffset[4 * gb] * 2, h5 = binOffset[4 * gb + 1] * 2, h6 = binOffset[4 * gb + 2] * 2, h7 = binOffset[4 * gb + 3] * 2;
  for (let k = 0; k < count; k++) {
    const r = seq ? begin + k : rows[begin + k];
    const g = gh[ghOff + 2 * k], h = gh[ghOff + 2 * k + 1];
    const wa = packed[ca + r], wb = packed[cb + r];
    const j0 = h0 + (wa & 255) * 2, j1 = h1 + ((wa >>> 8) & 255) * 2, j2 = h2 + ((wa >>> 16) & 255) * 2, j3 = h3 + (wa >>> 24) * 2;
    const j4 = h4 + (wb & 255) * 2, j5 = h5 + ((wb >>> 8) & 255) * 2, j6 = h6 + ((wb >>> 16) & 255) * 2, j7 = h7 + (wb >>> 24) * 2;
    hist[j0] += g; hist[j0 + 1] += h; hist[j1] += g; hist[j1 + 1] += h;
    hist[j2] += g; hist[j2 + 1] += h; hist[j3] += g; hist[j3 + 1] += h;
    hist[j4] += g; hist[j4 + 1] += h; hist[j5] += g; hist[j5 + 1] += h;
    hist[j6] += g; hist[j6 + 1] += h; hist[j7] += g; hist[j7 + 1] += h;
  }
}
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, ${CTRL_SEQ}, seen);
  seen = Atomics.load(ctrl, ${CTRL_SEQ});
  const mode = ctrl[${CTRL_MODE}];
  if (mode === ${MODE_EXIT}) break;
  const begin = ctrl[${CTRL_BEGIN}], count = ctrl[${CTRL_COUNT}], ng = ctrl[${CTRL_NGROUPS}];
  const hist = pool.subarray(ctrl[${CTRL_HIST}] * histSize, (ctrl[${CTRL_HIST}] + 1) * histSize);
  const seq = mode === ${MODE_SEQ};
  let i = 0;
  for (; i + 1 < ng; i += 2) kernel(hist, groups[i], groups[i + 1], seq, begin, count);
  if (i < ng) kernel(hist, groups[i], -1, seq, begin, count);
  Atomics.store(ctrl, ${CTRL_DONE}, seen);
  Atomics.notify(ctrl, ${CTRL_DONE});
}
`;

/** Shared buffers a histogram worker reads and writes. */
export interface SharedTrainingBuffers {
  packed: Uint32Array;
  rows: Uint32Array;
  gh: Float64Array;
  /** All leaf histograms back to back, `histSize` doubles each. */
  pool: Float64Array;
  binOffset: Int32Array;
  nRows: number;
  histSize: number;
  numGroups: number;
}

interface WorkerHandle {
  worker: Worker;
  ctrl: Int32Array;
  groups: Int32Array;
  seq: number;
}

/** A team of histogram workers (numThreads - 1 of them; the calling thread is the last member). */
export class HistogramWorkers {
  private readonly workers: WorkerHandle[] = [];
  private closed = false;

  constructor(buffers: SharedTrainingBuffers, numWorkers: number) {
    for (let w = 0; w < numWorkers; w++) {
      const ctrl = new Int32Array(new SharedArrayBuffer(16 * 4));
      const groups = new Int32Array(new SharedArrayBuffer(Math.max(1, buffers.numGroups) * 4));
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          ctrl: ctrl.buffer,
          packed: buffers.packed.buffer,
          rows: buffers.rows.buffer,
          gh: buffers.gh.buffer,
          pool: buffers.pool.buffer,
          groups: groups.buffer,
          binOffset: buffers.binOffset.buffer,
          n: buffers.nRows,
          histSize: buffers.histSize,
        },
      });
      // Training is synchronous: the workers must never keep the process alive on their own.
      worker.unref();
      this.workers.push({ worker, ctrl, groups, seq: 0 });
    }
  }

  /** Number of worker threads. */
  get size(): number {
    return this.workers.length;
  }

  /** Start worker w on the given feature groups of one leaf (rows === null: rows begin.. in order). */
  start(w: number, groups: ArrayLike<number>, sequential: boolean, begin: number, count: number, histIndex: number): void {
    const h = this.workers[w];
    for (let i = 0; i < groups.length; i++) h.groups[i] = groups[i];
    h.ctrl[CTRL_MODE] = sequential ? MODE_SEQ : MODE_ROWS;
    h.ctrl[CTRL_BEGIN] = begin;
    h.ctrl[CTRL_COUNT] = count;
    h.ctrl[CTRL_HIST] = histIndex;
    h.ctrl[CTRL_NGROUPS] = groups.length;
    h.seq++;
    postJob(h.ctrl, h.seq);
  }

  /** Block until worker w has finished its current job. */
  wait(w: number): void {
    const h = this.workers[w];
    awaitJob(h.ctrl, h.seq);
  }

  /** Ask every worker to exit. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.workers) {
      h.ctrl[CTRL_MODE] = MODE_EXIT;
      h.seq++;
      postJob(h.ctrl, h.seq);
    }
  }
}
