// %% [markdown]
// # 04 · Rare events under a review budget: does importance sampling find regressions sooner?
//
// **Question.** Only a small share of each day's trips can be reviewed by hand. Which sampling
// design finds a safety regression soonest and most reliably, while keeping the fleet's event-rate
// estimate unbiased? And does the reference platform's claim reproduce: *importance sampling lifts
// detection sensitivity from ~60% to ~85% and cuts the mean time to detection (MTTD) by 30-40%*?
//
// **Data.** A seeded fleet simulation: fully reviewed history days, on which a shrunken
// multiplicative risk model (road type x driving mode x vehicle) is fitted, then monitored days.
// Each replicate draws fresh critical-event outcomes with an injected regression (random onset,
// given hazard ratio, fleet-wide).
//
// **Design.** Four arms review the *same* replicate worlds (paired, common random numbers):
// uniform, stratified (Neyman allocation over risk strata), importance (inclusion proportional to
// predicted risk, with a floor), and adaptive (cross-entropy updates with a defensive uniform share).
// Each arm feeds its sampled event counts, with the design-expected count as exposure, to a Poisson
// CUSUM whose threshold gives every arm the same in-control false-alarm rate; rate estimates are
// design-based (Horvitz-Thompson, Hajek).
//
// This notebook runs a *small* version (a few hundred vehicles, tens of replicates) so that it
// finishes in seconds; the `rare-events` experiment runs the full grid.

// %% tags=["parameters"]
let seed = 20250101;
let vehicles = 500;
let tripsPerDay = 5000;
let historyDays = 20;
let monitorDays = 40;
let replicates = 200;
let budget = 0.1;
let hazardRatio = 2;
let bootstrap = 200;

// %%
import {
  createRng,
  notebookRun,
  buildTrialWorld,
  TrialWorldSchema,
  TrialSettingsSchema,
  planTrial,
  runReplicates,
  summarizeTrial,
  claimConclusion,
  ARMS,
  CLAIM,
  armComparisonPlot,
  show,
  showHtml,
  logPlot,
  type Figure,
  htmlTable,
} from "./lib/index.js";

const run = await notebookRun({ notebook: "notebooks/04_rare_event_experiment.ipynb", runName: "04_rare_event_experiment" });
const rng = createRng(seed);
const worldConfig = TrialWorldSchema.parse({ vehicles: vehicles, tripsPerDay: tripsPerDay, historyDays: historyDays, monitorDays: monitorDays, calibrationTrips: 2000 });
const world = buildTrialWorld(worldConfig, rng.fork(1));
console.log(`world: ${world.trips} monitored trips over ${world.days} days; risk model fitted on ${world.model.historyEvents} history events`);
showHtml(htmlTable(["world summary", "value"], Object.entries(world.summary).map(([k, v]) => [k, Number.isInteger(v) ? v : v.toPrecision(4)])));

// %% [markdown]
// ## The designs
//
// At the same budget, each arm's CUSUM threshold `h` is set for the same in-control average run
// length (365 days), so sensitivity differences are not bought with extra false alarms. The
// expected sampled events per day show how much more often the risk-weighted designs see an event.

// %%
const settings = TrialSettingsSchema.parse({
  replicates: replicates,
  budgets: [budget],
  hazardRatios: [hazardRatio],
  scopes: ["fleet"],
  regression: { durationDays: 14, onsetMin: 8, onsetMax: Math.max(8, monitorDays - 20) },
  bootstrap: bootstrap,
});
const plan = planTrial(world, settings, seed);
showHtml(htmlTable(
  ["arm", "CUSUM h", "design-expected sampled events / day", "mean weight of a sampled event"],
  ARMS.map((arm, a) => {
    const d = plan.designs[a];
    let e = 0;
    for (let t = 0; t < world.days; t++) e += d.expected[t] / world.days;
    return [arm, d.cusumH.toFixed(3), e.toFixed(3), d.meanEventWeight.toFixed(1)];
  }),
));

// %% [markdown]
// ## The paired trial
//
// Every replicate draws a new outcome world with a regression of hazard ratio `hazardRatio`; the
// four arms sample it with the same permanent random numbers. One worker keeps the run inside the
// notebook process (results do not depend on the worker count).

// %%
const t0 = Date.now();
const results = await runReplicates(plan, { workers: 1 });
console.log(`${results.replicates} replicates x ${ARMS.length} arms in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const summary = summarizeTrial(plan, results, rng.fork(2));
const cell = summary[0];
showHtml(htmlTable(
  ["arm", "sensitivity (95% CI)", "MTTD days (95% CI)", "false alarms / 1000 d", "HT bias", "HT coverage", "Kish ESS"],
  cell.arms.map((a) => [
    a.arm,
    `${a.sensitivity.estimate.toFixed(2)} (${a.sensitivity.lower.toFixed(2)}-${a.sensitivity.upper.toFixed(2)})`,
    Number.isFinite(a.mttd.estimate) ? `${a.mttd.estimate.toFixed(1)} (${a.mttd.lower.toFixed(1)}-${a.mttd.upper.toFixed(1)})` : "n/a",
    a.falseAlarmsPer1000.estimate.toFixed(1),
    a.htBias.toExponential(2),
    a.htCoverage.toFixed(2),
    a.kishEss.toFixed(0),
  ]),
));

// %% [markdown]
// ## Arms compared
//
// Left: each arm's sensitivity with its bootstrap interval. Then the paired differences against
// uniform, the quantities the claim is about: the sensitivity gain (claimed +0.25) and the relative
// MTTD change (claimed -0.30 to -0.40). Intervals crossing 0 mean no detectable difference.

// %%
function finite(label: string, e: number, lo: number, hi: number): { label: string; estimate: number; lower: number; upper: number } | null {
  return [e, lo, hi].every(Number.isFinite) && lo <= e && e <= hi ? { label: label, estimate: e, lower: lo, upper: hi } : null;
}
type Row = { label: string; estimate: number; lower: number; upper: number };
const sensRows: Row[] = cell.arms.map((a) => finite(a.arm, a.sensitivity.estimate, a.sensitivity.lower, a.sensitivity.upper)).filter((x): x is Row => x !== null);
const diffRows: Row[] = cell.paired.map((p) => finite(p.arm, p.sensitivityDiff.estimate, p.sensitivityDiff.lower, p.sensitivityDiff.upper)).filter((x): x is Row => x !== null);
const mttdRows: Row[] = cell.paired.map((p) => finite(p.arm, p.mttdRelChange.estimate, p.mttdRelChange.lower, p.mttdRelChange.upper)).filter((x): x is Row => x !== null);
const figures: [string, Figure][] = [];
if (sensRows.length > 0) figures.push(["sensitivity", armComparisonPlot(sensRows, { title: "Detection sensitivity by arm (CUSUM, 95% bootstrap intervals)", xLabel: "sensitivity" })]);
if (diffRows.length > 0) figures.push(["sensitivity_vs_uniform", armComparisonPlot(diffRows, { title: "Sensitivity gain over uniform (paired)", subtitle: "claimed: +0.25 (60% -> 85%)", xLabel: "sensitivity difference", reference: 0 })]);
if (mttdRows.length > 0) figures.push(["mttd_vs_uniform", armComparisonPlot(mttdRows, { title: "Relative MTTD change vs uniform (paired)", subtitle: "claimed: -0.30 to -0.40", xLabel: "MTTD arm / MTTD uniform - 1", reference: 0 })]);
for (const [, fig] of figures) show(fig);
showHtml(htmlTable(
  ["arm vs uniform", "sensitivity diff (95% CI)", "MTTD rel. change (95% CI)", "sensitivity claim", "MTTD claim", "overall"],
  cell.paired.map((p, k) => [
    p.arm,
    `${p.sensitivityDiff.estimate.toFixed(2)} (${p.sensitivityDiff.lower.toFixed(2)}, ${p.sensitivityDiff.upper.toFixed(2)})`,
    Number.isFinite(p.mttdRelChange.estimate) ? `${p.mttdRelChange.estimate.toFixed(2)} (${p.mttdRelChange.lower.toFixed(2)}, ${p.mttdRelChange.upper.toFixed(2)})` : "n/a",
    cell.verdicts[k].sensitivity,
    cell.verdicts[k].mttd,
    cell.verdicts[k].overall,
  ]),
));

// %% [markdown]
// ## Verdict on the claim at these settings

// %%
const verdict = claimConclusion(summary, "importance");
console.log(`claim (importance vs uniform; sensitivity ${CLAIM.baselineSensitivity} -> ${CLAIM.improvedSensitivity}, MTTD -${CLAIM.mttdReduction[0] * 100}-${CLAIM.mttdReduction[1] * 100}%): ${verdict.verdict}`);
for (const l of verdict.lines) console.log(l);

// %%
const metrics: Record<string, number> = { replicates: results.replicates };
for (const a of cell.arms) {
  metrics[`${a.arm}.sensitivity`] = a.sensitivity.estimate;
  if (Number.isFinite(a.mttd.estimate)) metrics[`${a.arm}.mttd_days`] = a.mttd.estimate;
  metrics[`${a.arm}.false_alarms_per_1000d`] = a.falseAlarmsPer1000.estimate;
  metrics[`${a.arm}.ht_coverage`] = a.htCoverage;
}
for (const p of cell.paired) {
  if (Number.isFinite(p.sensitivityDiff.estimate)) metrics[`${p.arm}.vs_uniform.sensitivity_diff`] = p.sensitivityDiff.estimate;
  if (Number.isFinite(p.mttdRelChange.estimate)) metrics[`${p.arm}.vs_uniform.mttd_rel_change`] = p.mttdRelChange.estimate;
}
await run.logMetrics(metrics);
for (const [name, fig] of figures) await logPlot(run, fig, `plots/${name}`);
await run.end();
console.log(`logged to run ${run.runId}`);

// %% [markdown]
// ## Result and caveats
//
// At the default parameters (500 vehicles, 5000 trips/day, 40 monitored days, 10% review budget,
// hazard ratio 2, 200 paired replicates) the run gave:
//
// - **Sensitivity**: uniform 0.84, importance 0.93: a gain of +8 points (95% CI +3 to +14). Real,
//   but a third of the claimed +25 points; stratified and adaptive gain about as much (+7).
// - **MTTD**: 8.1 days (uniform) to 7.2 days (importance), -11% (CI -18% to -5%), against a claimed
//   -30 to -40%.
// - **Unbiased estimates kept**: all arms' Horvitz-Thompson intervals cover the true rate at about
//   the nominal 95%; the price of importance weights is a Kish effective sample size about half of
//   uniform's.
// - **Verdict: the claimed gains do not appear at these settings.** Risk-weighted designs help, by
//   much less than claimed.
//
// **Caveats.**
// - One cell of the grid. Uniform already reaches 84% here, not the claim's 60% baseline; at
//   smaller budgets or weaker regressions the baseline drops and the gains may differ. The
//   `rare-events` experiment runs budgets x hazard ratios; use it before generalizing.
// - The gain depends on how good the risk model is: here it was fitted on only 90 history events
//   and correlates 0.62 with the true risk. A better model would sample events more efficiently.
// - Every arm's CUSUM has the same in-control ARL by construction, yet the observed false-alarm
//   rates differ somewhat; they are estimated from short monitored periods.
