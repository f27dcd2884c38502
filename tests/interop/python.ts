/**
 * Access to the interop venv's Python (WORKBENCH_PYTHON, default .venv-interop/bin/python):
 * one-shot scripts and a long-lived MLflow dumper for property tests.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface, type Interface } from "node:readline";
import type { StoreDump } from "./dump.js";

export const projectRoot = resolve(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
export const interopDir = join(projectRoot, "tests", "interop");

/** The Python interpreter of the interop venv. */
export function pythonPath(): string {
  const configured = process.env.WORKBENCH_PYTHON ?? join(projectRoot, ".venv-interop", "bin", "python");
  if (!existsSync(configured)) {
    throw new Error(`interop Python not found at ${configured}: run .ci/run (or create .venv-interop from tests/interop/requirements.txt), or set WORKBENCH_PYTHON`);
  }
  return configured;
}

/** Environment for MLflow: the file store must be allowed explicitly since MLflow 3.13. */
export function mlflowEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, MLFLOW_ALLOW_FILE_STORE: "true", PYTHONWARNINGS: "ignore", GIT_PYTHON_REFRESH: "quiet", ...extra };
}

/** Run a Python script from tests/interop and return its stdout (throws with stderr on failure). */
export function runPython(script: string, args: string[], env: Record<string, string> = {}): string {
  const result = spawnSync(pythonPath(), [join(interopDir, script), ...args], { env: mlflowEnv(env), encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${script} failed (${result.status}):\n${result.stderr}`);
  return result.stdout;
}

/** A long-lived `mlflow_dump.py --serve` process. */
export class MlflowDumper {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly waiting: ((line: string) => void)[] = [];

  constructor() {
    this.child = spawn(pythonPath(), [join(interopDir, "mlflow_dump.py"), "--serve"], { env: mlflowEnv() });
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on("line", (line) => this.waiting.shift()?.(line));
    this.child.stderr.on("data", () => {});
  }

  /** Dump a store root with the real MLflow client. */
  dump(root: string): Promise<StoreDump> {
    return new Promise((resolvePromise, reject) => {
      this.waiting.push((line) => {
        const parsed = JSON.parse(line) as StoreDump & { error?: string; trace?: string };
        if (parsed.error) reject(new Error(`MLflow could not read ${root}: ${parsed.error}\n${parsed.trace ?? ""}`));
        else resolvePromise(parsed);
      });
      this.child.stdin.write(root + "\n");
    });
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}
