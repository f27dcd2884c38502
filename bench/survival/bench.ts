/**
 * Side-by-side benchmark of lib/survival against lifelines on the same data in the same run:
 * rossi resampled up to N rows (default 100,000; 7 covariates, weekly durations so ties are heavy),
 * then Cox PH (Efron; both sides include the concordance index, which lifelines computes lazily),
 * Kaplan-Meier, Weibull MLE and a two-group log-rank test.
 *
 *   npx tsx bench/survival/bench.ts [rows] [repeats]
 *   SURVIVAL_BENCH_PYTHON=/path/to/python (default /work/venvs/survival/bin/python, with
 *   tests/survival/fixtures/requirements.txt installed)
 *
 * Times are medians over `repeats` runs after two warm-ups; the machine is shared, so the numbers
 * are noisy. Both sides fit identical data (written to a temporary CSV) and the bench prints the
 * largest relative difference of the Cox coefficients as a check that they solved the same problem.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fitCoxPH } from "../../lib/survival/coxph.js";
import { fitKaplanMeier } from "../../lib/survival/kaplan-meier.js";
import { logrankTest } from "../../lib/survival/logrank.js";
import { fitWeibull } from "../../lib/survival/weibull.js";
import { createRng } from "../../lib/util/random.js";

const COVARIATES = ["fin", "age", "race", "wexp", "mar", "paro", "prio"] as const;

interface Rossi {
  durations: number[];
  events: number[];
  covariates: Record<string, number[]>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

function timed<T>(fn: () => T, repeats: number): { seconds: number; out: T } {
  // Two warm-up runs let V8 reach its optimising tier; lifelines' numpy kernels are compiled already.
  fn();
  let out = fn();
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    out = fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { seconds: median(times), out };
}

function main(): void {
  const rows = Number(process.argv[2] ?? 100_000);
  const repeats = Number(process.argv[3] ?? 3);
  const python = process.env.SURVIVAL_BENCH_PYTHON ?? "/work/venvs/survival/bin/python";
  const rossi = JSON.parse(readFileSync(join(process.cwd(), "tests/survival/fixtures/rossi.json"), "utf8")) as Rossi;

  // Bootstrap rossi rows; jitter age a little so the covariate matrix is not just 432 distinct rows.
  const rng = createRng(2024);
  const durations = new Float64Array(rows);
  const events = new Uint8Array(rows);
  const group = new Uint8Array(rows);
  const cols: Record<string, Float64Array> = {};
  for (const c of COVARIATES) cols[c] = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const k = rng.int(rossi.durations.length);
    durations[i] = rossi.durations[k];
    events[i] = rossi.events[k];
    for (const c of COVARIATES) cols[c][i] = rossi.covariates[c][k];
    cols.age[i] += Math.round(rng.normal() * 100) / 100;
    group[i] = rossi.covariates.fin[k];
  }
  const dir = mkdtempSync(join(tmpdir(), "survival-bench-"));
  const csv = join(dir, "data.csv");
  const lines = [["week", "arrest", ...COVARIATES, "group"].join(",")];
  for (let i = 0; i < rows; i++) lines.push([durations[i], events[i], ...COVARIATES.map((c) => cols[c][i]), group[i]].join(","));
  writeFileSync(csv, lines.join("\n") + "\n");

  const ours = {
    cox: timed(() => fitCoxPH({ durations, events, covariates: cols }), repeats),
    km: timed(() => fitKaplanMeier({ durations, events }), repeats),
    weibull: timed(() => fitWeibull({ durations, events }), repeats),
    logrank: timed(() => {
      const a = { durations: durations.filter((_, i) => group[i] === 1), events: events.filter((_, i) => group[i] === 1) };
      const b = { durations: durations.filter((_, i) => group[i] === 0), events: events.filter((_, i) => group[i] === 0) };
      return logrankTest(a, b);
    }, repeats),
  };

  let peer: { lifelines: string; cox: { seconds: number; params: number[] }; km: { seconds: number }; weibull: { seconds: number; params: number[] }; logrank: { seconds: number; statistic: number } };
  try {
    peer = JSON.parse(execFileSync(python, [join(process.cwd(), "bench/survival/peer.py"), csv, String(repeats)], { encoding: "utf8", maxBuffer: 1 << 26 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const coxDiff = Math.max(...Array.from(ours.cox.out.params, (b, j) => Math.abs(b - peer.cox.params[j]) / Math.abs(peer.cox.params[j])));
  const wbDiff = Math.max(...Array.from(ours.weibull.out.values, (b, j) => Math.abs(b - peer.weibull.params[j]) / Math.abs(peer.weibull.params[j])));
  const lrDiff = Math.abs(ours.logrank.out.statistic - peer.logrank.statistic) / peer.logrank.statistic;

  console.log(`survival bench: ${rows} rows x ${COVARIATES.length} covariates, median of ${repeats} runs (lifelines ${peer.lifelines}; shared 2-core machine, noisy)`);
  console.log("");
  console.log("| task | ours (s) | lifelines (s) | lifelines / ours | max rel. diff of result |");
  console.log("|---|---:|---:|---:|---:|");
  const row = (name: string, a: number, b: number, diff: number): void =>
    console.log(`| ${name} | ${a.toFixed(4)} | ${b.toFixed(4)} | ${(b / a).toFixed(1)}x | ${diff.toExponential(1)} |`);
  row("Cox PH (Efron) fit", ours.cox.seconds, peer.cox.seconds, coxDiff);
  row("Kaplan-Meier", ours.km.seconds, peer.km.seconds, 0);
  row("Weibull MLE", ours.weibull.seconds, peer.weibull.seconds, wbDiff);
  row("log-rank, 2 groups", ours.logrank.seconds, peer.logrank.seconds, lrDiff);
}

main();
