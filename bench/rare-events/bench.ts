/**
 * Bench of the rare-events trial: replicates per second on 1 and 2 worker threads (the same
 * replicates, checked bit-identical), the scaling from 1 to 2 workers, and the wall time of the
 * default experiment (what `npm run main` runs) into a temporary tracking store.
 *
 *   npx tsx bench/rare-events/bench.ts [--replicates 40] [--skip-experiment]
 *
 * The machine has 2 cores shared with others: numbers are noisy, and the scaling is bounded by
 * whatever else is running. There is no Python peer here: no reference package runs this trial.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildTrialWorld } from "../../lib/trial/world.js";
import { planTrial } from "../../lib/trial/plan.js";
import { runReplicates } from "../../lib/trial/harness.js";
import { runExperiment } from "../../lib/experiment/runner.js";
import { FileStore } from "../../lib/tracking/file-store.js";
import { Tracker } from "../../lib/tracking/tracker.js";
import { loadConfig } from "../../lib/config/load.js";
import rareEvents, { rareEventsSchema } from "../../experiments/rare-events.js";
import { createRng } from "../../lib/util/random.js";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf("--replicates");
  const R = at >= 0 ? Number(args[at + 1]) : 40;
  const skipExperiment = args.includes("--skip-experiment");
  const config = loadConfig(rareEventsSchema, { experiment: "rare-events" }).config;
  const rows: [string, string][] = [];
  let t = performance.now();
  const world = buildTrialWorld(config.world, createRng(config.seed).fork(1));
  rows.push(["world build (fleet simulation + risk model)", `${((performance.now() - t) / 1000).toFixed(2)} s (${world.trips + world.config.historyDays * world.config.tripsPerDay} trips)`]);
  t = performance.now();
  const plan = planTrial(world, { ...config.trial, replicates: R }, config.seed);
  rows.push(["plan (designs, CUSUM thresholds)", `${((performance.now() - t) / 1000).toFixed(2)} s`]);
  const cells = config.trial.budgets.length * config.trial.hazardRatios.length * config.trial.scopes.length;
  const rate: number[] = [];
  let first: Float64Array | null = null;
  let identical = true;
  for (const workers of [1, 2]) {
    t = performance.now();
    const res = await runReplicates(plan, { workers });
    const s = (performance.now() - t) / 1000;
    rate.push(R / s);
    if (first === null) first = res.values;
    else identical = first.length === res.values.length && first.every((v, i) => Object.is(v, res.values[i]));
    rows.push([`replicates/s, ${workers} worker(s) (${R} replicates x ${cells} settings x 4 arms)`, `${(R / s).toFixed(2)} (${s.toFixed(1)} s)`]);
  }
  rows.push(["scaling 1 -> 2 workers", `${(rate[1] / rate[0]).toFixed(2)}x (ideal 2x; results identical: ${identical ? "yes" : "NO"})`]);
  if (!skipExperiment) {
    const root = mkdtempSync(join(tmpdir(), "rare-events-bench-"));
    t = performance.now();
    const outcome = await runExperiment(rareEvents, { tracker: new Tracker(new FileStore(root)) });
    rows.push([`default experiment wall time (${config.trial.replicates} replicates, child runs, plots)`, `${((performance.now() - t) / 1000).toFixed(1)} s (${outcome.status})`]);
    rmSync(root, { recursive: true, force: true });
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`\n${"measure".padEnd(w)} | value`);
  console.log(`${"-".repeat(w)}-|-${"-".repeat(30)}`);
  for (const [k, v] of rows) console.log(`${k.padEnd(w)} | ${v}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
