/**
 * Notebook execution: the workbench's in-process runner (`workbench notebook run`, tslab's engine in
 * the CLI process) against real Jupyter (nbconvert's ExecutePreprocessor with the tslab kernel), on
 * the same notebooks in the same run. Both are timed as whole processes from launch (cold start:
 * a one-cell notebook), and per notebook. The machine has 2 shared cores: numbers are noisy.
 *
 *   npx tsx bench/notebooks/bench.ts [--repeat N] [notebooks...]
 *   WORKBENCH_NOTEBOOK_PYTHON  Python with requirements-notebooks.txt (default .venv-notebooks, then .venv-interop)
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { installKernelSpec } from "../../lib/notebook/kernelspec.js";
import { serializeNotebook } from "../../lib/notebook/nbformat.js";
import { fromPercent } from "../../lib/notebook/percent.js";
import { renderTable } from "../../lib/util/table.js";

const root = resolve(import.meta.dirname, "..", "..");
const args = process.argv.slice(2);
const repeatAt = args.indexOf("--repeat");
const repeat = repeatAt >= 0 ? Number(args.splice(repeatAt, 2)[1]) : 1;
const python =
  process.env.WORKBENCH_NOTEBOOK_PYTHON ??
  [join(root, ".venv-notebooks", "bin", "python"), join(root, ".venv-interop", "bin", "python")].find((p) => existsSync(p)) ??
  "python3";

const dir = mkdtempSync(join(tmpdir(), "bench-notebooks-"));
const prefix = join(dir, "jupyter-prefix");
installKernelSpec(prefix, root);
const jupyterPath = join(prefix, "share", "jupyter");
const trivial = join(dir, "cold_start.ipynb");
writeFileSync(trivial, serializeNotebook(fromPercent(`// %% tags=["parameters"]\nlet seed = 1;\n\n// %%\nconsole.log(seed + 1);\n`)));

const notebooks = args.length > 0 ? args.map((a) => resolve(a)) : readdirSync(join(root, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort().map((f) => join(root, "notebooks", f));

function seconds(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

function ours(path: string): number {
  return seconds(() => {
    const r = spawnSync(process.execPath, [join(root, "bin", "workbench.js"), "notebook", "run", path, "--no-track", "-o", join(dir, "ours.ipynb")], { cwd: root, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`workbench notebook run ${path} failed:\n${r.stderr.slice(-2000)}`);
  });
}

function peer(path: string): { total: number; kernelStart: number; execute: number } {
  let out = "";
  const total = seconds(() => {
    const r = spawnSync(python, [join(root, "bench", "notebooks", "peer.py"), root, path], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, JUPYTER_PATH: jupyterPath, PYTHONWARNINGS: "ignore", MLFLOW_TRACKING_URI: join(dir, "mlruns-peer") },
    });
    if (r.status !== 0) throw new Error(`nbconvert peer failed on ${path}:\n${r.stderr.slice(-2000)}`);
    out = r.stdout;
  });
  const parsed = JSON.parse(out) as { kernel_start: number; execute: number; ok: boolean; error: string | null };
  if (!parsed.ok) throw new Error(`nbconvert peer: ${path}: ${parsed.error}`);
  return { total, kernelStart: parsed.kernel_start, execute: parsed.execute };
}

process.stdout.write(`notebook bench: ${notebooks.length} notebooks + cold start, ${repeat} repeat(s); peer Python ${python}\n`);
const rows: (string | number)[][] = [];
for (const [label, path] of [["cold start (1 cell)", trivial], ...notebooks.map((p) => [p.slice(root.length + 1), p])] as [string, string][]) {
  const o: number[] = [];
  const p: { total: number; kernelStart: number; execute: number }[] = [];
  for (let i = 0; i < repeat; i++) {
    o.push(ours(path));
    p.push(peer(path));
  }
  const oursS = median(o);
  const peerS = median(p.map((x) => x.total));
  rows.push([label, Number(oursS.toFixed(2)), Number(peerS.toFixed(2)), Number(median(p.map((x) => x.kernelStart)).toFixed(2)), Number((oursS / peerS).toFixed(2))]);
  process.stdout.write(`  ${label}: ours ${oursS.toFixed(2)} s, jupyter ${peerS.toFixed(2)} s\n`);
}
process.stdout.write("\n" + renderTable(["notebook", "workbench run (s)", "jupyter nbconvert (s)", "of which kernel start (s)", "ratio ours/jupyter"], rows) + "\n");
process.stdout.write("(whole-process wall time, median of repeats; ratio < 1 means the in-process runner is faster)\n");
