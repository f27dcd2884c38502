/**
 * Side-by-side bench: the hierarchical Weibull survival model (50 vehicles, ~20k trips with
 * censoring), 4 chains x (1000 warmup + 1000 draws). Ours with Stan's diagonal metric and with
 * the dense metric, vs PyMC (default adapt_diag, and adapt_full) and nutpie, on the same data in
 * the same run. Prints min bulk-ESS per second per parameter class and ratio tables.
 *
 *   npx tsx bench/bayes/bench.ts [--rows 20000] [--groups 50] [--warmup 1000] [--draws 1000]
 *                                [--no-python] [--no-nutpie] [--no-full]
 *   BAYES_VENV=/work/venvs/bayes (default) selects the Python environment.
 *
 * The machine is shared: timings are noisy; run it more than once before drawing conclusions.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { essBulk } from "../../lib/bayes/diagnostics.js";
import { prepareWeibullSurvival, simulateWeibullSurvival, WeibullSurvivalModel } from "../../lib/bayes/models/weibull-survival.js";
import { sample } from "../../lib/bayes/sample.js";
import { createRng } from "../../lib/util/random.js";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const rows = arg("rows", 20000);
const groups = arg("groups", 50);
const chains = 4;
const warmup = arg("warmup", 1000);
const draws = arg("draws", 1000);
const venv = process.env.BAYES_VENV ?? "/work/venvs/bayes";
const here = fileURLToPath(new URL(".", import.meta.url));

const CLASSES = ["mu", "alpha", "sigma", "beta", "z"] as const;

function minByClass(ess: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of CLASSES) {
    const vals = Object.entries(ess)
      .filter(([k]) => k === c || k.startsWith(`${c}[`))
      .map(([, v]) => v);
    out[c] = Math.min(...vals);
  }
  return out;
}

async function main(): Promise<void> {
  const sim = simulateWeibullSurvival({ mu: 2.5, alpha: 1.4, sigma: 0.5, beta: [0.35, -0.2] }, { rows, groups, censorMax: 25 }, createRng(2024));
  const nEvents = sim.event.reduce((a, b) => a + b, 0);
  console.log(`data: ${rows} trips, ${groups} vehicles, ${nEvents} events (${((100 * (rows - nEvents)) / rows).toFixed(1)}% censored); ${chains} chains x (${warmup} + ${draws}); ${availableParallelism()} cores`);
  const dir = mkdtempSync(join(tmpdir(), "bayes-bench-"));
  const dataPath = join(dir, "data.json");
  writeFileSync(
    dataPath,
    JSON.stringify({
      time: Array.from(sim.time),
      event: Array.from(sim.event),
      group: Array.from(sim.group),
      nGroups: groups,
      covariateNames: sim.covariates.names,
      x: Array.from(sim.covariates.values),
    }),
  );

  type Run = { name: string; wall: number; setup: number; sampling: number; ess: Record<string, number> };
  const runs: Run[] = [];
  for (const metric of ["diag", "dense"] as const) {
    // Ours: setup = validation + model construction; wall = setup + sampling (workers included).
    const t0 = performance.now();
    const model = new WeibullSurvivalModel(prepareWeibullSurvival(sim));
    const t1 = performance.now();
    const post = await sample(model, { seed: 1, chains, warmup, draws, metric });
    const t2 = performance.now();
    const ess: Record<string, number> = {};
    for (const name of post.names) ess[name] = essBulk(post.draws(name));
    const h = post.health();
    const leap = post.stat("nLeapfrog").flatMap((c) => Array.from(c));
    const run = { name: `ours ${metric}`, wall: (t2 - t0) / 1000, setup: (t1 - t0) / 1000, sampling: (t2 - t1) / 1000, ess };
    runs.push(run);
    console.log(
      `${run.name}: wall ${run.wall.toFixed(1)} s (setup ${run.setup.toFixed(3)} s), divergences ${h.divergences.reduce((a, b) => a + b, 0)}, ` +
        `mean leapfrog/draw ${(leap.reduce((a, b) => a + b, 0) / leap.length).toFixed(1)}, max r_hat ${h.maxRhat.toFixed(3)}`,
    );
  }

  type Peer = { wall_seconds: number; sampling_seconds: number; setup_seconds: number; ess_bulk: Record<string, number>; divergences: number; mean_n_steps?: number };
  const peers: { name: string; res: Peer }[] = [];
  if (!process.argv.includes("--no-python")) {
    const outPath = join(dir, "peer.json");
    const py = join(venv, "bin", "python");
    const flags = [...(process.argv.includes("--no-nutpie") ? [] : ["--nutpie"]), ...(process.argv.includes("--no-full") ? [] : ["--full"]), "--tune", String(warmup), "--draws", String(draws)];
    execFileSync(py, [join(here, "pymc_peer.py"), dataPath, outPath, ...flags], { stdio: ["ignore", "ignore", "inherit"] });
    const res = JSON.parse(readFileSync(outPath, "utf8")) as { pymc_version: string; pymc: Peer; pymc_full?: Peer; nutpie?: Peer & { version: string }; nutpie_error?: string };
    peers.push({ name: `pymc ${res.pymc_version} diag`, res: res.pymc });
    if (res.pymc_full) peers.push({ name: `pymc ${res.pymc_version} full`, res: res.pymc_full });
    if (res.nutpie) peers.push({ name: `nutpie ${res.nutpie.version}`, res: res.nutpie });
    if (res.nutpie_error) console.log(`nutpie failed: ${res.nutpie_error}`);
    for (const p of peers) {
      console.log(`${p.name}: wall ${p.res.wall_seconds.toFixed(1)} s (setup/compile ${p.res.setup_seconds.toFixed(1)} s, sampling ${p.res.sampling_seconds.toFixed(1)} s), divergences ${p.res.divergences}${p.res.mean_n_steps !== undefined ? `, mean leapfrog/draw ${p.res.mean_n_steps.toFixed(1)}` : ""}`);
    }
  }

  // Table 1: min bulk-ESS/s per class for every run (ours end to end; peers end to end and sampling only).
  const cols: { name: string; perSec: (c: string) => number }[] = [];
  for (const r of runs) cols.push({ name: `${r.name} e2e`, perSec: (c) => minByClass(r.ess)[c] / r.wall });
  for (const p of peers) {
    cols.push({ name: `${p.name} e2e`, perSec: (c) => minByClass(p.res.ess_bulk)[c] / p.res.wall_seconds });
    cols.push({ name: `${p.name} sampling`, perSec: (c) => minByClass(p.res.ess_bulk)[c] / p.res.sampling_seconds });
  }
  const header = ["class", ...cols.map((c) => c.name)];
  const lines = [header, ...CLASSES.map((c) => [c, ...cols.map((col) => col.perSec(c).toFixed(2))])];
  lines.push(["min", ...cols.map((col) => Math.min(...CLASSES.map((c) => col.perSec(c))).toFixed(2))]);
  printTable("min bulk-ESS per second by parameter class", lines);

  // Table 2: ratios of ours to each peer on the overall minimum.
  const ratioHeader = ["ours vs", ...runs.flatMap((r) => [`${r.name} / e2e`, `${r.name} / sampling`])];
  const ratioLines = [ratioHeader];
  for (const p of peers) {
    const m = minByClass(p.res.ess_bulk);
    const e2e = Math.min(...CLASSES.map((c) => m[c] / p.res.wall_seconds));
    const samp = Math.min(...CLASSES.map((c) => m[c] / p.res.sampling_seconds));
    const row = [p.name];
    for (const r of runs) {
      const o = Math.min(...CLASSES.map((c) => minByClass(r.ess)[c] / r.wall));
      row.push((o / e2e).toFixed(2), (o / samp).toFixed(2));
    }
    ratioLines.push(row);
  }
  if (peers.length > 0) printTable("ratio of overall min bulk-ESS/s (ours end to end / peer; target >= 2 vs pymc e2e, >= 1 vs pymc sampling)", ratioLines);
}

function printTable(title: string, lines: string[][]): void {
  const widths = lines[0].map((_, j) => Math.max(...lines.map((l) => l[j].length)));
  console.log(`\n${title}`);
  for (const l of lines) console.log(l.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join("  "));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
