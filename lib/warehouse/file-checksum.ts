/**
 * The sha256 that identifies a raw file in the warehouse ledger: streamed on the calling thread, or on
 * a worker thread of its own so that a large file is hashed while the calling thread already parses it.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Worker } from "node:worker_threads";
import { DataError } from "../errors.js";

/** Checksum and size of a file. */
export interface FileChecksum {
  sha256: string;
  bytes: number;
}

/** The sha256 (hex) and size of a file, in one streamed pass on this thread. */
export async function sha256File(path: string): Promise<FileChecksum> {
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
  } catch (cause) {
    throw new DataError(`${path}: cannot read (${(cause as Error).message})`, { cause });
  }
  return { sha256: hash.digest("hex"), bytes };
}

// Plain CommonJS for an eval worker: no TypeScript loader needed, so it starts in a few milliseconds.
const HASH_WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { openSync, readSync, closeSync } = require("node:fs");
try {
  const hash = createHash("sha256");
  const fd = openSync(workerData, "r");
  const buffer = Buffer.allocUnsafe(1 << 22);
  let bytes = 0;
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
      bytes += n;
    }
  } finally {
    closeSync(fd);
  }
  parentPort.postMessage({ sha256: hash.digest("hex"), bytes });
} catch (e) {
  parentPort.postMessage({ error: String((e && e.message) || e) });
}
`;

/**
 * The sha256 and size of a file computed on a worker thread; the promise settles when it is done
 * (a read error rejects with a DataError naming the file). Falls back to this thread when a worker
 * cannot start.
 */
export function sha256FileInWorker(path: string): Promise<FileChecksum> {
  let worker: Worker;
  try {
    worker = new Worker(HASH_WORKER_SOURCE, { eval: true, workerData: path, execArgv: [] });
  } catch {
    return sha256File(path);
  }
  return new Promise<FileChecksum>((resolve, reject) => {
    let settled = false;
    worker.once("message", (m: { sha256?: string; bytes?: number; error?: string }) => {
      settled = true;
      if (m.error !== undefined || m.sha256 === undefined || m.bytes === undefined) reject(new DataError(`${path}: cannot read (${m.error ?? "no checksum"})`));
      else resolve({ sha256: m.sha256, bytes: m.bytes });
      void worker.terminate();
    });
    worker.once("error", (error) => {
      if (settled) return;
      settled = true;
      reject(new DataError(`${path}: cannot read (${error.message})`, { cause: error }));
    });
    worker.once("exit", (code) => {
      if (settled) return;
      settled = true;
      reject(new DataError(`${path}: the checksum worker stopped (exit code ${code})`));
    });
  });
}
