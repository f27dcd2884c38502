/**
 * Where a notebook's cells execute: in this process (fastest start, no timeout possible for code
 * that never yields) or in a child process that can be killed when a cell exceeds its time limit
 * (papermill's `--execution-timeout`).
 */
import { fork, type ChildProcess } from "node:child_process";
import { WorkbenchError } from "../errors.js";
import { callerFile } from "../util/module-path.js";
import { childModuleLaunch } from "../util/worker-bootstrap.js";
import type { HostReply, HostRequest } from "./cell-host.js";
import { NotebookEngine, type CellExecution } from "./engine.js";
import type { ErrorOutput, Output } from "./nbformat.js";

/** Executes one notebook's cells in order; `close()` when done. */
export interface CellExecutor {
  /** Engine start-up time (tslab's TypeScript service). */
  readonly startupMs: number;
  execute(source: string): Promise<CellExecution>;
  close(): void;
}

/** The tslab engine in this process, with stray async errors shown on the running cell. */
export function inProcessExecutor(root: string): CellExecutor {
  const t0 = performance.now();
  const engine = new NotebookEngine(root);
  const startupMs = performance.now() - t0;
  const onRejection = (reason: unknown) => engine.reportAsyncError("UnhandledPromiseRejection", reason);
  const onException = (error: Error) => engine.reportAsyncError("UncaughtException", error);
  // Without these, a notebook's stray rejection would end the whole CLI process.
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  return {
    startupMs,
    execute: (source) => engine.execute(source),
    close: () => {
      process.off("unhandledRejection", onRejection);
      process.off("uncaughtException", onException);
      engine.close();
    },
  };
}

/** The error output of a cell stopped by the time limit. */
function timeoutError(timeoutMs: number): ErrorOutput {
  const seconds = timeoutMs / 1000;
  const text = `the cell ran longer than the ${seconds} s cell timeout and its kernel was stopped`;
  return { output_type: "error", ename: "CellTimeoutError", evalue: text, traceback: [`CellTimeoutError: ${text}`] };
}

/**
 * The tslab engine in a child process (working directory `root`, this process's environment);
 * a cell running past `timeoutMs` kills the child and fails with a CellTimeoutError that keeps
 * the outputs the cell produced while it still yielded to the event loop.
 */
export async function childProcessExecutor(root: string, timeoutMs: number): Promise<CellExecutor> {
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new WorkbenchError(`cell timeout must be a positive number of milliseconds, got ${timeoutMs}`);
  const launch = childModuleLaunch(callerFile(), "cell-host");
  if (launch === null) throw new WorkbenchError("cannot start the notebook cell host: lib/notebook/cell-host is missing or tsx is not installed");
  const t0 = performance.now();
  const child: ChildProcess = fork(launch.file, [], { cwd: root, execArgv: launch.execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "advanced" });
  let exited = false;
  let listener: ((reply: HostReply) => void) | null = null;
  let onExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | null = null;
  child.on("message", (reply: HostReply) => listener?.(reply));
  child.on("exit", (code, signal) => {
    exited = true;
    onExit?.(code, signal);
  });

  await new Promise<void>((resolve, reject) => {
    listener = (reply) => {
      if (reply.type === "ready") resolve();
      else if (reply.type === "fatal") reject(new WorkbenchError(`the notebook cell host could not start: ${reply.message}`));
    };
    onExit = (code, signal) => reject(new WorkbenchError(`the notebook cell host exited during start-up (${signal ?? `exit code ${code}`})`));
  });
  const startupMs = performance.now() - t0;

  const execute = (source: string): Promise<CellExecution> => {
    if (exited) return Promise.reject(new WorkbenchError("the notebook cell host has exited"));
    const start = performance.now();
    let partial: Output[] = [];
    return new Promise<CellExecution>((resolve) => {
      const finish = (result: CellExecution) => {
        clearTimeout(timer);
        listener = null;
        onExit = null;
        resolve(result);
      };
      const fail = (error: ErrorOutput) => finish({ ok: false, outputs: [...partial, error], error, durationMs: performance.now() - start });
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        fail(timeoutError(timeoutMs));
      }, timeoutMs);
      listener = (reply) => {
        if (reply.type === "outputs") partial = reply.outputs;
        else if (reply.type === "result") finish(reply.result);
      };
      onExit = (code, signal) => {
        const text = `the notebook kernel process died while the cell ran (${signal ?? `exit code ${code}`})`;
        fail({ output_type: "error", ename: "KernelDiedError", evalue: text, traceback: [text] });
      };
      child.send({ type: "execute", source } satisfies HostRequest);
    });
  };

  return {
    startupMs,
    execute,
    close: () => {
      if (exited) return;
      onExit = null;
      child.send({ type: "close" } satisfies HostRequest);
      // A host that does not leave on its own (a cell's timers keep it alive) is stopped.
      setTimeout(() => {
        if (!exited) child.kill("SIGKILL");
      }, 5000).unref();
    },
  };
}
