/**
 * The child-process side of a notebook run with a cell timeout: it hosts the tslab engine and
 * executes the cells the parent sends over the IPC channel. A cell whose synchronous code never
 * returns cannot be interrupted inside one process; in a child the parent can kill it and still
 * keep every earlier cell's results.
 *
 * Protocol (parent -> child): { type: "execute", source } and { type: "close" }.
 * (child -> parent): { type: "ready", startupMs }, { type: "outputs", outputs } while a cell runs,
 * { type: "result", result } when it ends, { type: "fatal", message } if the engine cannot start.
 */
import type { Output } from "./nbformat.js";
import { NotebookEngine, type CellExecution } from "./engine.js";

/** A message from the parent process. */
export type HostRequest = { type: "execute"; source: string } | { type: "close" };

/** A message to the parent process. */
export type HostReply =
  | { type: "ready"; startupMs: number }
  | { type: "outputs"; outputs: Output[] }
  | { type: "result"; result: CellExecution }
  | { type: "fatal"; message: string };

function send(reply: HostReply): void {
  process.send?.(reply);
}

function hostCells(): void {
  let latest: Output[] | null = null;
  let scheduled = false;
  // One snapshot per event-loop turn: a chatty cell must not send its whole output per line.
  const forward = (outputs: Output[]) => {
    latest = outputs;
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (latest) send({ type: "outputs", outputs: latest });
    });
  };
  const t0 = performance.now();
  let engine: NotebookEngine;
  try {
    engine = new NotebookEngine(process.cwd(), forward);
  } catch (error) {
    send({ type: "fatal", message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
  process.on("unhandledRejection", (reason) => engine.reportAsyncError("UnhandledPromiseRejection", reason));
  process.on("uncaughtException", (error) => engine.reportAsyncError("UncaughtException", error));
  // The parent going away (killed, crashed) must not leave an orphaned kernel behind.
  process.on("disconnect", () => process.exit(0));
  process.on("message", (message: HostRequest) => {
    if (message.type === "close") {
      engine.close();
      process.disconnect();
      return;
    }
    void engine.execute(message.source).then((result) => {
      latest = null;
      send({ type: "result", result });
    });
  });
  send({ type: "ready", startupMs: performance.now() - t0 });
}

if (process.send !== undefined) hostCells();
