/**
 * The Python with Jupyter for notebook interop tests and the notebook bench: WORKBENCH_NOTEBOOK_PYTHON,
 * else the interop venv (WORKBENCH_PYTHON, default .venv-interop/bin/python). It needs the packages of
 * tests/interop/requirements-notebooks.txt; a missing one fails with the command that installs it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { installKernelSpec } from "../../lib/notebook/kernelspec.js";

export const projectRoot = resolve(import.meta.dirname, "..", "..");

/** The interpreter, checked to import nbclient and nbformat. */
export function notebookPython(): string {
  const py = process.env.WORKBENCH_NOTEBOOK_PYTHON ?? process.env.WORKBENCH_PYTHON ?? join(projectRoot, ".venv-interop", "bin", "python");
  if (!existsSync(py)) throw new Error(`Python for the notebook interop tests not found at ${py}: create the venv (see .ci/run) or set WORKBENCH_NOTEBOOK_PYTHON`);
  const check = spawnSync(py, ["-c", "import nbclient, nbformat, ipykernel, jupyter_client"], { encoding: "utf8" });
  if (check.status !== 0) {
    throw new Error(`${py} lacks Jupyter: run '${py} -m pip install -r tests/interop/requirements-notebooks.txt' (${check.stderr.trim().split("\n").pop()})`);
  }
  return py;
}

/** A private Jupyter data dir holding the tslab kernelspec (cwd = project root); returns JUPYTER_PATH. */
export function privateKernelPath(): string {
  const prefix = mkdtempSync(join(tmpdir(), "tslab-kernelspec-"));
  installKernelSpec(prefix, projectRoot);
  return join(prefix, "share", "jupyter");
}

/** One notebook executed by nbclient. */
export interface JupyterResult {
  path: string;
  output: string;
  ok: boolean;
  error: string | null;
  seconds: number;
}

/** Execute notebooks with real Jupyter and the tslab kernel; outputs go to outDir. */
export function executeWithJupyter(python: string, paths: string[], outDir: string, env: Record<string, string> = {}): JupyterResult[] {
  const result = spawnSync(python, [join(projectRoot, "tests", "interop", "run_notebooks.py"), "execute", projectRoot, outDir, ...paths], {
    encoding: "utf8",
    env: { ...process.env, JUPYTER_PATH: privateKernelPath(), PYTHONWARNINGS: "ignore", ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`run_notebooks.py failed (${result.status}):\n${result.stderr.slice(-4000)}`);
  return JSON.parse(result.stdout) as JupyterResult[];
}

/** Validate notebook files with Python's nbformat.validate. */
export function validateWithNbformat(python: string, paths: string[]): { path: string; ok: boolean; error: string | null }[] {
  const result = spawnSync(python, [join(projectRoot, "tests", "interop", "run_notebooks.py"), "validate", ...paths], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`run_notebooks.py validate failed (${result.status}):\n${result.stderr.slice(-4000)}`);
  return JSON.parse(result.stdout) as { path: string; ok: boolean; error: string | null }[];
}
