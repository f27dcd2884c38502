/**
 * A cross-process lock held as an exclusively created file. It guards the few store operations
 * that must be atomic across processes (creating an experiment by name); a lock left by a killed
 * process is detected by its dead pid or its age and taken over.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { TrackingError } from "../errors.js";

const STALE_AFTER_MS = 30_000;
const GIVE_UP_AFTER_MS = 60_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function holderIsGone(path: string): boolean {
  try {
    const age = Date.now() - statSync(path).mtimeMs;
    if (age > STALE_AFTER_MS) return true;
    const pid = Number(readFileSync(path, "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 0) return age > 1000;
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "ESRCH";
    }
  } catch {
    // The lock vanished while we looked: not stale, just free.
    return false;
  }
}

/** Run `body` while holding the lock file at `path`. */
export function withFileLock<T>(path: string, body: () => T): T {
  const started = Date.now();
  let fd = -1;
  for (let attempt = 0; ; attempt++) {
    try {
      fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (holderIsGone(path)) {
        try {
          unlinkSync(path);
        } catch {
          // Another waiter removed it first.
        }
        continue;
      }
      if (Date.now() - started > GIVE_UP_AFTER_MS) {
        throw new TrackingError(`could not acquire the lock ${path} within ${GIVE_UP_AFTER_MS / 1000} s; remove it if no workbench process is running`);
      }
      sleepSync(Math.min(50, 2 + attempt * 2));
    }
  }
  try {
    return body();
  } finally {
    closeSync(fd);
    try {
      unlinkSync(path);
    } catch {
      // Already removed (taken over as stale); nothing to release.
    }
  }
}
