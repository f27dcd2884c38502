/**
 * The flagship experiment: which sampling design finds safety regressions soonest and most reliably
 * when only a budget of trips per day can be reviewed, while keeping rate estimates unbiased, and
 * does the reference platform's claim (importance sampling: sensitivity ~60% -> ~85%, MTTD -30-40%)
 * reproduce?
 *
 * Design. A fleet is simulated once (lib/simulate/fleet.ts): a fully reviewed history on which a
 * shrunken multiplicative risk model is fitted, then a monitoring period. Each replicate draws fresh
 * critical-event outcomes on the monitoring trips with an injected regression (random onset, hazard
 * ratio and scope from the grid); the four arms (uniform, stratified-Neyman, importance, adaptive)
 * review the same world with the same permanent random numbers (paired, common random numbers).
 *
 * Feeding weighted samples to count detectors: each arm passes the detectors its integer sampled
 * event counts x_t with the design-expected count e_t = sum_i pi_i r_i as exposure. Under Poisson
 * sampling x_t is exactly Poisson(sum pi_i mu_i), i.e. Poisson(theta e_t) when the risk model is
 * right up to a factor theta, so the Poisson CUSUM (threshold for equal ARL0 per arm) and the
 * Poisson-Gamma BOCPD monitor theta without any approximation (no fractional "effective counts").
 * Rate estimates are design-based (Horvitz-Thompson, Hajek) and unbiased whatever the model.
 */
import { z } from "zod";
import { defineExperiment } from "../lib/experiment/definition.js";
import { Tracker } from "../lib/tracking/tracker.js";
import { armComparisonPlot, type ArmEstimate } from "../lib/plot/arms.js";
import { logPlot } from "../lib/plot/artifacts.js";
import { buildTrialWorld, TrialWorldSchema } from "../lib/trial/world.js";
import { planTrial } from "../lib/trial/plan.js";
import { runReplicates } from "../lib/trial/harness.js";
import { resultIndex } from "../lib/trial/replicate.js";
import { ARMS, REPLICATE_METRICS, TrialSettingsSchema, trialCells } from "../lib/trial/settings.js";
import { summarizeTrial, trialTables, type CellSummary } from "../lib/trial/summary.js";
import { claimConclusion, conclusionMarkdown } from "../lib/trial/conclusion.js";
import { crossEntropyImportanceSampling, crudeMonteCarlo, linearStressSimulator } from "../lib/sampling/rare-probability.js";

export const rareEventsSchema = z.strictObject({
  seed: z.number().int().min(0).max(0xffffffff).default(20250101),
  world: TrialWorldSchema.prefault({}),
  trial: TrialSettingsSchema.prefault({}),
  /** Worker threads for the replicates (results do not depend on it). */
  workers: z.number().int().min(1).max(64).default(2),
  /** One child run per replicate with its headline metrics (the full matrix is an artifact either way). */
  childRuns: z.boolean().default(true),
  rareProbability: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** True probabilities of the simulator's critical event to estimate. */
      probabilities: z.array(z.number().gt(0).lt(0.5)).min(1).default([1e-4, 1e-5, 1e-6, 1e-7]),
      /** Final importance-sampling draws (crude Monte Carlo gets the same total evaluations). */
      samples: z.number().int().min(100).default(10_000),
      ceSamples: z.number().int().min(100).default(2000),
      /** Independent repetitions, for the empirical relative error. */
      repetitions: z.number().int().min(2).default(20),
    })
    .prefault({}),
});

/** The resolved config of the rare-events experiment. */
export type RareEventsConfig = z.output<typeof rareEventsSchema>;

function finiteArm(label: string, e: number, lo: number, hi: number): ArmEstimate | null {
  return [e, lo, hi].every(Number.isFinite) && lo <= e && e <= hi ? { label, estimate: e, lower: lo, upper: hi } : null;
}

async function logPlots(run: Parameters<typeof logPlot>[0], cells: readonly CellSummary[]): Promise<string[]> {
  const sens: ArmEstimate[] = [];
  const dSens: ArmEstimate[] = [];
  const dMttd: ArmEstimate[] = [];
  for (const c of cells) {
    const tag = `b${(c.cell.budget * 100).toFixed(c.cell.budget < 0.01 ? 1 : 0)}% HR${c.cell.hazardRatio}${c.cell.scope === "fleet" ? "" : ` ${c.cell.scope}`}`;
    for (const a of c.arms) {
      const x = finiteArm(`${tag} ${a.arm}`, a.sensitivity.estimate, a.sensitivity.lower, a.sensitivity.upper);
      if (x) sens.push(x);
    }
    for (const p of c.paired) {
      const s = finiteArm(`${tag} ${p.arm}`, p.sensitivityDiff.estimate, p.sensitivityDiff.lower, p.sensitivityDiff.upper);
      if (s) dSens.push(s);
      const m = finiteArm(`${tag} ${p.arm}`, p.mttdRelChange.estimate, p.mttdRelChange.lower, p.mttdRelChange.upper);
      if (m) dMttd.push(m);
    }
  }
  const written: string[] = [];
  if (sens.length > 0) {
    written.push(...(await logPlot(run, armComparisonPlot(sens, { title: "Detection sensitivity by arm (CUSUM, 95% bootstrap intervals)", xLabel: "sensitivity", rowHeight: 18 }), "plots/sensitivity")));
  }
  if (dSens.length > 0) {
    written.push(
      ...(await logPlot(
        run,
        armComparisonPlot(dSens, { title: "Sensitivity gain over uniform (paired)", subtitle: "claimed: +0.25 (60% -> 85%)", xLabel: "sensitivity difference", reference: 0, rowHeight: 18 }),
        "plots/sensitivity_vs_uniform",
      )),
    );
  }
  if (dMttd.length > 0) {
    written.push(
      ...(await logPlot(
        run,
        armComparisonPlot(dMttd, { title: "Relative MTTD change vs uniform (paired)", subtitle: "claimed: -0.30 to -0.40", xLabel: "MTTD arm / MTTD uniform - 1", reference: 0, rowHeight: 18 }),
        "plots/mttd_vs_uniform",
      )),
    );
  }
  return written;
}

export default defineExperiment({
  name: "rare-events",
  description:
    "Controlled trial of review-budget sampling designs (uniform, stratified, importance, adaptive) for rare safety events: detection sensitivity, MTTD, false alarms and unbiased rate estimates on paired simulated worlds; tests the claim that importance sampling lifts sensitivity ~60% -> ~85% and cuts MTTD 30-40%.",
  schema: rareEventsSchema,
  async run(config, { run, rng, progress, log }) {
    const started = Date.now();
    log(`rare-events: simulating the fleet (${config.world.historyDays} history + ${config.world.monitorDays} monitored days x ${config.world.tripsPerDay} trips/day)`);
    const world = buildTrialWorld(config.world, rng.fork(1));
    const worldSeconds = (Date.now() - started) / 1000;
    await run.logMetrics(Object.fromEntries(Object.entries(world.summary).map(([k, v]) => [`world.${k}`, v])));
    await run.logJson(world.model, "risk_model.json");
    const plan = planTrial(world, config.trial, config.seed);
    const cells = trialCells(config.trial);
    const designRows = ["| budget | arm | CUSUM h | mean design-expected events/day | expected event weight |", "|---|---|---|---|---|"];
    config.trial.budgets.forEach((b, bi) =>
      ARMS.forEach((arm, a) => {
        const d = plan.designs[bi * ARMS.length + a];
        let e = 0;
        for (let t = 0; t < world.days; t++) e += d.expected[t] / world.days;
        designRows.push(`| ${b} | ${arm} | ${d.cusumH.toFixed(3)} | ${e.toFixed(3)} | ${d.meanEventWeight.toFixed(1)} |`);
      }),
    );
    log(`rare-events: ${config.trial.replicates} paired replicates x ${cells.length} settings x ${ARMS.length} arms on ${config.workers} worker(s)`);
    const bar = progress("rare-events replicates", config.trial.replicates);
    const t0 = Date.now();
    const results = await runReplicates(plan, { workers: config.workers, onProgress: (done) => bar.update(done) });
    bar.stop();
    const replicateSeconds = (Date.now() - t0) / 1000;

    // Child runs: one per replicate, headline metrics for every setting and arm, logged in one batch.
    if (config.childRuns) {
      const tracker = new Tracker(run.store);
      const childBar = progress("rare-events child runs", results.replicates);
      const head = (["cusum_detected", "cusum_delay", "ht_rel_error"] as const).map((m) => [m, REPLICATE_METRICS.indexOf(m)] as const);
      for (let r = 0; r < results.replicates; r++) {
        const child = await tracker.startRun({ experimentId: run.experimentId, parentRunId: run.runId, runName: `replicate-${r}`, skipProvenance: true, tags: { "workbench.replicate": String(r) } });
        const metrics: Record<string, number> = {};
        for (const cell of cells) {
          for (let a = 0; a < ARMS.length; a++) {
            for (const [name, m] of head) {
              const v = results.values[r * results.width + resultIndex(cell.index, a, m)];
              if (Number.isFinite(v)) metrics[`${cell.key}.${ARMS[a]}.${name}`] = v;
            }
          }
        }
        metrics.onset_day = results.values[r * results.width + resultIndex(0, 0, REPLICATE_METRICS.indexOf("onset"))];
        await child.logParams({ replicate: r });
        await child.logMetrics(metrics);
        await child.end("FINISHED");
        childBar.update(r + 1);
      }
      childBar.stop();
    }

    const summary = summarizeTrial(plan, results, rng.fork(2));
    const metrics: Record<string, number> = { replicate_seconds: replicateSeconds, world_seconds: worldSeconds, replicates: results.replicates, workers: results.workers };
    for (const c of summary) {
      for (const a of c.arms) {
        const p = `${c.cell.key}.${a.arm}`;
        Object.assign(metrics, {
          [`${p}.sensitivity`]: a.sensitivity.estimate,
          [`${p}.sensitivity_lower`]: a.sensitivity.lower,
          [`${p}.sensitivity_upper`]: a.sensitivity.upper,
          [`${p}.mttd_days`]: a.mttd.estimate,
          [`${p}.false_alarms_per_1000d`]: a.falseAlarmsPer1000.estimate,
          [`${p}.bocpd_sensitivity`]: a.bocpdSensitivity,
          [`${p}.bocpd_mttd_days`]: a.bocpdMttd,
          [`${p}.ht_bias`]: a.htBias,
          [`${p}.ht_rmse`]: a.htRmse,
          [`${p}.ht_coverage`]: a.htCoverage,
          [`${p}.hajek_coverage`]: a.hajekCoverage,
          [`${p}.kish_ess`]: a.kishEss,
          [`${p}.max_weight_share`]: a.maxWeightShare,
        });
      }
      for (const d of c.paired) {
        const p = `${c.cell.key}.${d.arm}.vs_uniform`;
        Object.assign(metrics, {
          [`${p}.sensitivity_diff`]: d.sensitivityDiff.estimate,
          [`${p}.sensitivity_diff_lower`]: d.sensitivityDiff.lower,
          [`${p}.sensitivity_diff_upper`]: d.sensitivityDiff.upper,
          [`${p}.mttd_rel_change`]: d.mttdRelChange.estimate,
          [`${p}.mttd_rel_change_lower`]: d.mttdRelChange.lower,
          [`${p}.mttd_rel_change_upper`]: d.mttdRelChange.upper,
          [`${p}.false_alarm_diff`]: d.falseAlarmDiff.estimate,
          [`${p}.ht_rmse_ratio`]: d.htRmseRatio.estimate,
        });
      }
    }
    const finiteMetrics = Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v)));
    await run.logMetrics(finiteMetrics);

    // The replicate matrix, one row per replicate x setting x arm.
    const csv: string[] = [["replicate", "setting", "budget", "hazard_ratio", "scope", "arm", ...REPLICATE_METRICS].join(",")];
    for (let r = 0; r < results.replicates; r++) {
      for (const cell of cells) {
        for (let a = 0; a < ARMS.length; a++) {
          const row: (string | number)[] = [r, cell.key, cell.budget, cell.hazardRatio, cell.scope, ARMS[a]];
          for (let m = 0; m < REPLICATE_METRICS.length; m++) row.push(results.values[r * results.width + resultIndex(cell.index, a, m)]);
          csv.push(row.join(","));
        }
      }
    }
    await run.logText(csv.join("\n") + "\n", "replicates.csv");

    // Rare probability estimation: cross-entropy importance sampling vs crude Monte Carlo.
    const rareLines: string[] = [];
    if (config.rareProbability.enabled) {
      const rp = config.rareProbability;
      const sim = linearStressSimulator();
      rareLines.push(
        "| true p | method | mean estimate | empirical rel. error | estimated rel. error (one run) | evaluations | hits per run | variance reduction |",
        "|---|---|---|---|---|---|---|---|",
      );
      const rr = rng.fork(3);
      for (const [k, p] of rp.probabilities.entries()) {
        const threshold = sim.thresholdFor(p);
        const truth = sim.probability(threshold);
        const is: number[] = [];
        const isRe: number[] = [];
        const crude: number[] = [];
        let evals = 0;
        let hits = 0;
        let crudeHits = 0;
        for (let rep = 0; rep < rp.repetitions; rep++) {
          const est = crossEntropyImportanceSampling(sim.limitState, sim.dim, threshold, rp.samples, { ceSamples: rp.ceSamples }, rr.fork(k * 10_000 + rep));
          is.push(est.estimate);
          isRe.push(est.relativeError);
          evals = est.evaluations;
          hits += est.hits / rp.repetitions;
          const c = crudeMonteCarlo(sim.limitState, sim.dim, threshold, est.evaluations, rr.fork(k * 10_000 + rep + 5000));
          crude.push(c.estimate);
          crudeHits += c.hits / rp.repetitions;
        }
        const relErr = (xs: number[]): number => Math.sqrt(xs.reduce((s, x) => s + (x - truth) * (x - truth), 0) / xs.length) / truth;
        const meanOf = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
        const isVar = Math.pow(relErr(is) * truth, 2);
        const crudeVarTheory = (truth * (1 - truth)) / evals;
        const vr = crudeVarTheory / isVar;
        rareLines.push(
          `| ${p.toExponential(0)} | CE importance sampling | ${meanOf(is).toExponential(3)} | ${(100 * relErr(is)).toFixed(2)}% | ${(100 * meanOf(isRe)).toFixed(2)}% | ${evals} | ${hits.toFixed(0)} | ${vr.toExponential(2)} |`,
          `| ${p.toExponential(0)} | crude Monte Carlo | ${meanOf(crude).toExponential(3)} | ${(100 * relErr(crude)).toFixed(0)}% | theory ${(100 * Math.sqrt((1 - truth) / (truth * evals))).toFixed(0)}% | ${evals} | ${crudeHits.toFixed(2)} | 1 |`,
        );
        await run.logMetrics({ [`rare_p.${p.toExponential(0)}.is_rel_error`]: relErr(is), [`rare_p.${p.toExponential(0)}.crude_rel_error`]: relErr(crude), [`rare_p.${p.toExponential(0)}.variance_reduction`]: vr });
      }
    }

    const notes = [
      "## Design of the experiment",
      "",
      `- World: ${world.trips} monitored trips over ${world.days} days (${config.world.tripsPerDay} per day, ${config.world.vehicles} vehicles, ~${(config.world.criticalRatePerTrip * 100).toFixed(2)}% of trips with a critical event); the risk model was fitted on ${config.world.historyDays} fully reviewed history days (${world.model.historyEvents} events).`,
      `- Regression: duration ${config.trial.regression.durationDays} days, onset uniform on days ${config.trial.regression.onsetMin}-${config.trial.regression.onsetMax}; detection counts if the alert falls between onset and end + ${config.trial.detection.graceDays} days; alerts elsewhere are false alarms.`,
      `- Detectors: Poisson CUSUM tuned to HR ${config.trial.detection.cusumHazardRatio} with in-control ARL0 ${config.trial.detection.arl0} days (primary, equal false-alarm budget per arm); BOCPD Poisson-Gamma alerting when P(rate ratio > ${config.trial.detection.bocpdRatio}) >= ${config.trial.detection.bocpdProbability} for ${config.trial.detection.bocpdPersistence} days (secondary).`,
      "- Detectors see each arm's integer sampled counts with the design-expected count sum(pi r) as exposure: exact Poisson under Poisson sampling, so no fractional effective counts are needed.",
      `- Run time: world ${worldSeconds.toFixed(1)} s, replicates ${replicateSeconds.toFixed(1)} s on ${results.workers} worker(s).`,
      "",
      "## Designs",
      "",
      ...designRows,
      "",
      ...(rareLines.length > 0 ? ["## Rare probability estimation (linear stress simulator, exact truth)", "", ...rareLines, ""] : []),
    ];
    const conclusion = conclusionMarkdown(summary, { replicates: results.replicates, worldSummary: world.summary, notes });
    await run.logText(conclusion, "conclusion.md");
    await run.logText(`# Results by setting\n\n${trialTables(summary)}`, "results.md");
    await run.logJson({ config, world: world.summary, cells: summary }, "summary.json");
    await logPlots(run, summary);
    const imp = claimConclusion(summary, "importance");
    const description = [
      "Paired controlled trial of review-budget sampling designs for rare safety events (uniform, stratified, importance, adaptive).",
      `Claim tested: importance sampling lifts sensitivity ~60% -> ~85% and cuts MTTD 30-40%. **${imp.verdict}**`,
      ...imp.lines,
      "Weighted samples reach the count detectors as integer sampled counts with the design-expected count as exposure (exact Poisson under Poisson sampling). See conclusion.md and results.md.",
    ].join("\n\n");
    await run.setDescription(description);
    const lines = [`claim (importance vs uniform): ${imp.verdict}`, ...imp.lines.map((l) => l.replace(/^- /, "  ")), `tables: results.md, conclusion.md, replicates.csv; ${((Date.now() - started) / 1000).toFixed(0)} s`];
    for (const l of lines) log(l);
    const headline: Record<string, number> = { replicate_seconds: replicateSeconds };
    for (const c of summary) {
      const u = c.arms[0];
      const i = c.arms.find((a) => a.arm === "importance");
      headline[`${c.cell.key}.uniform.sensitivity`] = u.sensitivity.estimate;
      if (i) headline[`${c.cell.key}.importance.sensitivity`] = i.sensitivity.estimate;
    }
    return { metrics: headline, lines };
  },
});
