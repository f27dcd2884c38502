/**
 * An in-process TypeScript kernel on tslab's engine (its converter and executor, the same code the
 * Jupyter kernel runs), capturing a cell's stdout, stderr, rich display data and error as nbformat
 * outputs. One engine runs one notebook: tslab keeps its state in process globals.
 */
import { Console } from "node:console";
import { createRequire } from "node:module";
import { join } from "node:path";
import { Writable } from "node:stream";
import { format } from "node:util";
import { WorkbenchError } from "../errors.js";
import { toLines, type DisplayDataOutput, type ErrorOutput, type Output, type StreamOutput } from "./nbformat.js";

interface TslabConverter {
  close(): void;
}

interface TslabExecutor {
  execute(src: string): Promise<boolean>;
  close(): void;
}

interface TslabJupyterModule {
  lastWriteDisplayData: ((data: DisplayPayload, update?: boolean) => void) | null;
}

interface DisplayPayload {
  data: Record<string, string>;
  metadata?: Record<string, unknown>;
  transient?: { display_id?: string };
}

/** What one executed cell produced. */
export interface CellExecution {
  ok: boolean;
  outputs: Output[];
  /** The error output when the cell failed. */
  error?: ErrorOutput;
  durationMs: number;
}

const ANSI = /\u001b\[[0-9;]*m/g;

/** Stack frames that belong to the engine rather than to the notebook. */
function isEngineFrame(line: string): boolean {
  return /node_modules[\\/](tslab|commander)|node:vm|node:internal|lib[\\/]notebook[\\/]|cli[\\/](main|commands)/.test(line);
}

/** nbformat error output from a thrown value (stack frames of the engine removed). */
export function errorOutput(error: unknown, fallbackText = ""): ErrorOutput {
  if (error instanceof Error || (error !== null && typeof error === "object" && "message" in error)) {
    const e = error as Error;
    const stack = (e.stack ?? `${e.name}: ${e.message}`).replace(ANSI, "");
    const traceback = stack.split("\n").filter((l) => !isEngineFrame(l));
    return { output_type: "error", ename: e.name || "Error", evalue: e.message ?? "", traceback };
  }
  const text = error === undefined ? fallbackText.trim() : String(error);
  return { output_type: "error", ename: error === undefined ? "CompileError" : "Error", evalue: text, traceback: text.split("\n") };
}

/** The in-process kernel: execute cells one after another; `close()` when done. */
export class NotebookEngine {
  private readonly executor: TslabExecutor;
  private readonly converter: TslabConverter;
  private readonly jupyter: TslabJupyterModule;
  private outputs: Output[] = [];
  private lastError: unknown;
  private diagnostics = "";
  private readonly displays = new Map<string, DisplayDataOutput>();
  private closed = false;

  /**
   * Start tslab's converter (a TypeScript language service) and executor rooted at `root`.
   * `onOutput` hears every change to the running cell's outputs (the child-process host forwards
   * them, so a cell stopped by a timeout keeps what it printed before it stopped yielding).
   */
  constructor(readonly root: string, private readonly onOutput?: (outputs: Output[]) => void) {
    // tslab is CommonJS; its executor and the hooked require("tslab") must share one module cache.
    const req = createRequire(join(root, "package.json"));
    let converterModule: { createConverter(o: { isJS: boolean; isBrowser: boolean }): TslabConverter };
    let executorModule: { createExecutor(root: string, convs: unknown, console: unknown): TslabExecutor };
    try {
      converterModule = req("tslab/dist/converter") as typeof converterModule;
      executorModule = req("tslab/dist/executor") as typeof executorModule;
      this.jupyter = req("tslab/dist/jupyter") as TslabJupyterModule;
    } catch (error) {
      throw new WorkbenchError(`cannot load tslab from ${root}/node_modules (is the tslab package installed?)`, { cause: error });
    }
    this.converter = converterModule.createConverter({ isJS: false, isBrowser: false });
    const conv = this.converter;
    this.executor = executorModule.createExecutor(root, { node: conv, browser: conv, close: () => conv.close() }, {
      log: (...args: unknown[]) => this.appendStream("stdout", format(...args) + "\n"),
      error: (...args: unknown[]) => {
        if (args.length === 1 && (args[0] instanceof Error || (args[0] !== null && typeof args[0] === "object" && "stack" in (args[0] as object)))) {
          this.lastError = args[0];
          return;
        }
        // Type errors arrive as ("%s%d:%d - %s", file, line, column, message).
        const text = format(...args) + "\n";
        this.diagnostics += text;
        this.appendStream("stderr", text);
      },
    });
  }

  private appendStream(name: "stdout" | "stderr", text: string): void {
    if (text === "") return;
    const last = this.outputs[this.outputs.length - 1];
    if (last && last.output_type === "stream" && last.name === name) {
      last.text = toLines((Array.isArray(last.text) ? last.text.join("") : last.text) + text);
    } else {
      this.outputs.push({ output_type: "stream", name, text: toLines(text) } as StreamOutput);
    }
    this.onOutput?.(this.outputs);
  }

  private display(payload: DisplayPayload, update?: boolean): void {
    const data: Record<string, string | string[]> = {};
    for (const [mime, value] of Object.entries(payload.data)) {
      // Text formats are stored as lines (as Jupyter writes them); base64 images as one string.
      data[mime] = /^image\/(png|jpeg|gif)$|^application\/pdf$/.test(mime) ? String(value) : toLines(String(value));
    }
    const id = payload.transient?.display_id;
    if (update && id && this.displays.has(id)) {
      (this.displays.get(id) as DisplayDataOutput).data = data;
    } else {
      const output: DisplayDataOutput = { output_type: "display_data", data, metadata: payload.metadata ?? {} };
      if (id) this.displays.set(id, output);
      this.outputs.push(output);
    }
    this.onOutput?.(this.outputs);
  }

  /** Execute one cell's source, capturing everything it writes. */
  async execute(source: string): Promise<CellExecution> {
    if (this.closed) throw new WorkbenchError("the notebook engine is closed");
    this.outputs = [];
    this.lastError = undefined;
    this.diagnostics = "";
    const stdout = new Writable({ write: (chunk: Buffer | string, _enc, done) => (this.appendStream("stdout", chunk.toString()), done()) });
    const stderr = new Writable({ write: (chunk: Buffer | string, _enc, done) => (this.appendStream("stderr", chunk.toString()), done()) });
    const g = globalThis as { console: Console };
    const savedConsole = g.console;
    const savedOut = process.stdout.write;
    const savedErr = process.stderr.write;
    // Cells see `console` as a global and some libraries write to process streams directly:
    // both are redirected for the duration of the cell, as tslab's kernel does.
    g.console = new Console({ stdout, stderr });
    process.stdout.write = ((chunk: string | Uint8Array) => (this.appendStream("stdout", typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8")), true)) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array) => (this.appendStream("stderr", typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8")), true)) as typeof process.stderr.write;
    this.jupyter.lastWriteDisplayData = (data, update) => this.display(data, update);
    const start = performance.now();
    let ok = false;
    try {
      ok = await this.executor.execute(source);
    } catch (error) {
      this.lastError = error;
      ok = false;
    } finally {
      g.console = savedConsole;
      process.stdout.write = savedOut;
      process.stderr.write = savedErr;
    }
    const durationMs = performance.now() - start;
    const outputs = this.outputs;
    if (ok) return { ok, outputs, durationMs };
    let error: ErrorOutput;
    if (this.lastError !== undefined) {
      error = errorOutput(this.lastError);
    } else {
      // A compile (type) error: its diagnostics already went to stderr; report them as the error too.
      const text = this.diagnostics.trim();
      error = { output_type: "error", ename: "TypeScriptError", evalue: text.split("\n")[0] ?? "the cell did not compile", traceback: text === "" ? [] : text.split("\n") };
      const i = outputs.findIndex((o) => o.output_type === "stream" && o.name === "stderr");
      if (i >= 0 && text !== "") outputs.splice(i, 1);
    }
    outputs.push(error);
    return { ok, outputs, error, durationMs };
  }

  /**
   * Record an error raised outside a cell's await chain (an unhandled rejection or an uncaught
   * exception from a timer) on the stderr of the cell that is running, as tslab's kernel does.
   */
  reportAsyncError(kind: string, error: unknown): void {
    const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    this.appendStream("stderr", `${kind}: ${text}\n`);
  }

  /** Stop the language service and release the kernel globals. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.jupyter.lastWriteDisplayData = null;
    try {
      this.executor.close();
    } finally {
      delete (globalThis as { __tslab__?: unknown }).__tslab__;
    }
  }
}
