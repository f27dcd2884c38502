// %% [markdown]
// # 06 · Failure prediction: which vehicles fail in the next days?
//
// **Question.** From daily EV telematics, can a model warn that a vehicle will fail within the next
// `horizon` days early enough to schedule a workshop visit, and at what false-alarm cost?
//
// **Data.** The seeded EV fleet simulation: one row per vehicle and day (cell temperatures, voltage
// spread, state of health, charge failures, diagnostic codes, mileage ...), with failures whose
// precursors build up over the preceding days.
//
// **Model.** Features built only from each vehicle's past (raw values, trailing 7- and 30-day
// means, 7-day deltas). A *time-based* split trains on early days and tests on later ones; training
// rows whose label window reaches past the split are dropped, so no training label depends on
// test-period events. A gradient-boosted tree model with a positive-class weight for the rare
// failures, then ROC and precision-recall curves, recall at a fixed precision and SHAP attributions.

// %% tags=["parameters"]
let seed = 42;
let vehicles = 80;
let days = 300;
let failureRatePerVehicleYear = 2;
let horizon = 14;
let trainFraction = 0.6;
let numBoostRound = 100;
let validFraction = 0.25;
let earlyStoppingRounds = 30;
let targetPrecision = 0.5;
let shapRows = 300;

// %%
import {
  createRng,
  notebookRun,
  simulateEv,
  train,
  Booster,
  averagePrecision,
  precisionRecallCurve,
  rocAuc,
  rocCurve,
  recallAtPrecision,
  precisionRecallF1,
  rocPlot,
  prPlot,
  shapSummaryPlot,
  show,
  showHtml,
  logPlot,
  type Figure,
  shapImportance,
  htmlTable,
} from "./lib/index.js";

const run = await notebookRun({ notebook: "notebooks/06_failure_prediction.ipynb", runName: "06_failure_prediction" });
const rng = createRng(seed);
const sim = simulateEv({ vehicles: vehicles, days: days, failureRatePerVehicleYear: failureRatePerVehicleYear }, rng.fork(1));
const failures = sim.failures.filter((f) => f.day < days);
console.log(`${sim.table.length} vehicle-days, ${failures.length} failures`);
const byMode = new Map<string, number>();
for (const f of failures) byMode.set(f.mode, (byMode.get(f.mode) ?? 0) + 1);
console.log(`failure modes: ${[...byMode].map(([m, n]) => `${m} ${n}`).join(", ")}`);

// %% [markdown]
// ## Leak-free daily features
//
// A dense vehicle x day grid (row = (vehicle - 1) * days + day). Row (v, d) reads only days <= d of
// vehicle v: the raw value, trailing 7- and 30-day means and the 7-day delta (this week's mean minus
// the previous week's) of each signal, plus temperatures in excess of ambient.

// %%
const SIGNALS = ["cell_temp_max_c", "cell_temp_mean_c", "cell_voltage_spread_mv", "motor_temp_max_c", "soh_pct", "charge_failures", "dtc_count", "distance_km", "fast_charge_sessions"] as const;
const cols = sim.table.columns;
const N = vehicles * days;
const present = new Uint8Array(N);
const excluded = new Uint8Array(N);
const labels = new Uint8Array(N);
const signalNames: string[] = [...SIGNALS, "cell_temp_excess_c", "motor_temp_excess_c"];
const raw: Float64Array[] = signalNames.map(() => new Float64Array(N).fill(NaN));
for (let i = 0; i < sim.table.length; i++) {
  const r = (cols.vehicle_id[i] - 1) * days + cols.day[i];
  present[r] = 1;
  // Days in the workshop or on the failure itself are neither trained on nor scored.
  excluded[r] = cols.in_repair[i] || cols.failure[i] ? 1 : 0;
  for (let s = 0; s < SIGNALS.length; s++) raw[s][r] = cols[SIGNALS[s]][i];
  raw[SIGNALS.length][r] = cols.cell_temp_max_c[i] - cols.ambient_c[i];
  raw[SIGNALS.length + 1][r] = cols.motor_temp_max_c[i] - cols.ambient_c[i];
  labels[r] = cols.days_to_failure[i] >= 1 && cols.days_to_failure[i] <= horizon ? 1 : 0;
}
const featureNames: string[] = [];
for (const name of signalNames) featureNames.push(name, `${name}_mean7`, `${name}_mean30`, `${name}_delta7`);
const p = featureNames.length;
const values = new Float64Array(N * p);
// Mean of x[d - lag - window + 1 .. d - lag] (clipped at day 0, NaN skipped): only past days.
function trailingMean(x: Float64Array, d: number, window: number, lag: number): number {
  let sum = 0;
  let count = 0;
  for (let t = Math.max(0, d - lag - window + 1); t <= d - lag; t++) {
    if (!Number.isNaN(x[t])) {
      sum += x[t];
      count++;
    }
  }
  return count > 0 ? sum / count : NaN;
}
for (let v = 0; v < vehicles; v++) {
  for (let s = 0; s < signalNames.length; s++) {
    const x = raw[s].subarray(v * days, (v + 1) * days);
    for (let d = 0; d < days; d++) {
      const o = (v * days + d) * p + 4 * s;
      const m7 = trailingMean(x, d, 7, 0);
      values[o] = x[d];
      values[o + 1] = m7;
      values[o + 2] = trailingMean(x, d, 30, 0);
      values[o + 3] = m7 - trailingMean(x, d, 7, 7);
    }
  }
}
function takeRows(rows: Int32Array): { nRows: number; nCols: number; values: Float64Array } {
  const out = new Float64Array(rows.length * p);
  for (let i = 0; i < rows.length; i++) out.set(values.subarray(rows[i] * p, rows[i] * p + p), i * p);
  return { nRows: rows.length, nCols: p, values: out };
}
const splitDay = Math.floor(days * trainFraction);
console.log(`${sim.table.length} vehicle-days, ${failures.length} failures; ${p} features; time split at day ${splitDay}`);

// %% [markdown]
// ## Time split and training
//
// The label of a vehicle-day is "fails within `horizon` days". Failures are rare, so positives get a
// weight of negatives / positives in training. Three periods, in time order: training, a validation
// slice (the last `validFraction` of the pre-split days) that stops boosting early and chooses the
// alert threshold, and the test period, which only reports. A row's label looks `horizon` days
// ahead, so training rows end `horizon` days before the validation slice and validation rows
// `horizon` days before the split: no label sees a later period.

// %%
const validStart = splitDay - Math.round(validFraction * splitDay);
const trainList: number[] = [];
const validList: number[] = [];
const testList: number[] = [];
for (let v = 0; v < vehicles; v++) {
  for (let d = 0; d < days; d++) {
    const r = v * days + d;
    if (!present[r] || excluded[r]) continue;
    if (d + horizon < validStart) trainList.push(r);
    else if (d >= validStart && d + horizon < splitDay) validList.push(r);
    else if (d >= splitDay) testList.push(r);
  }
}
const split = { train: Int32Array.from(trainList), valid: Int32Array.from(validList), test: Int32Array.from(testList) };
const yTrain = Uint8Array.from(split.train, (r) => labels[r]);
const yValid = Uint8Array.from(split.valid, (r) => labels[r]);
const yTest = Uint8Array.from(split.test, (r) => labels[r]);
const count = (y: Uint8Array): number => y.reduce((a, b) => a + b, 0);
const trainPos = count(yTrain);
const testPos = count(yTest);
const weight = (yTrain.length - trainPos) / trainPos;
console.log(`train: ${split.train.length} rows (${trainPos} positive); validation from day ${validStart}: ${split.valid.length} rows (${count(yValid)} positive); test: ${split.test.length} rows (${testPos} positive, prevalence ${(testPos / yTest.length).toFixed(3)})`);
const XValid = takeRows(split.valid);
const booster: Booster = train(
  { objective: "binary", learningRate: 0.05, numLeaves: 15, minDataInLeaf: 20, featureFraction: 0.8, baggingFraction: 0.8, baggingFreq: 1, scalePosWeight: weight, metric: ["average_precision"] },
  { X: takeRows(split.train), y: yTrain, featureNames: featureNames },
  { numBoostRound: numBoostRound, rng: rng.fork(100 + horizon), validSets: [{ X: XValid, y: yValid }], validNames: ["valid"], earlyStoppingRounds: earlyStoppingRounds },
);
console.log(`boosting stopped at round ${booster.bestIteration > 0 ? booster.bestIteration : booster.numIterations} of ${numBoostRound} (validation PR-AUC)`);
// The alert threshold is chosen on the validation slice, never on the test period.
const validAtPrecision = recallAtPrecision(yValid, booster.predict(XValid), targetPrecision);
const threshold = validAtPrecision ? validAtPrecision.threshold : Infinity;
console.log(validAtPrecision ? `validation: recall ${validAtPrecision.recall.toFixed(3)} at precision >= ${targetPrecision}, threshold ${threshold.toFixed(3)}` : `validation: no threshold reaches precision ${targetPrecision}; no alerts`);
const XTest = takeRows(split.test);
const proba = booster.predict(XTest);

// %% [markdown]
// ## Diagnostics on the test period: ROC and precision-recall
//
// With failures this rare, the precision-recall curve is the honest view: ROC-AUC can look good
// while most alerts are false. The dashed baseline of the PR plot is the prevalence.

// %%
const roc = rocAuc(yTest, proba);
const pr = averagePrecision(yTest, proba);
const rc = rocCurve(yTest, proba);
const prc = precisionRecallCurve(yTest, proba);
const rocFigure: Figure = rocPlot([{ label: `${horizon}d`, fpr: rc.fpr, tpr: rc.tpr, auc: roc }], { title: "ROC, test period" });
const prFigure: Figure = prPlot([{ label: `${horizon}d`, recall: prc.recall, precision: prc.precision, averagePrecision: pr }], { title: "Precision-recall, test period", prevalence: testPos / yTest.length });
show(rocFigure);
show(prFigure);
const atThreshold = precisionRecallF1(yTest, proba, threshold);
console.log(`ROC-AUC ${roc.toFixed(3)}, PR-AUC (average precision) ${pr.toFixed(3)}`);
console.log(`at the validation threshold ${threshold.toFixed(3)}: test precision ${atThreshold.precision.toFixed(3)}, recall ${atThreshold.recall.toFixed(3)}`);

// %% [markdown]
// ## Lead time
//
// For each failure in the test period: was there an alert (probability above the threshold) in the
// `horizon` days before it, and how many days ahead was the first one?

// %%
const probaAt = new Map<number, number>();
split.test.forEach((r, i) => probaAt.set(r, proba[i]));
const leads: number[] = [];
let testFailures = 0;
for (const f of failures) {
  if (f.day - horizon < splitDay) continue;
  testFailures++;
  const base = (f.vehicleId - 1) * days;
  for (let d = f.day - horizon; d < f.day; d++) {
    const q = probaAt.get(base + d);
    if (q !== undefined && q >= threshold) {
      leads.push(f.day - d);
      break;
    }
  }
}
const meanLead = leads.length > 0 ? leads.reduce((a, b) => a + b, 0) / leads.length : 0;
console.log(`${leads.length} of ${testFailures} test-period failures alerted in advance; mean lead ${meanLead.toFixed(1)} days`);

// %% [markdown]
// ## What drives the predictions: SHAP
//
// TreeSHAP attributions on evenly spaced test rows; features ranked by mean |SHAP|.

// %%
const step = Math.max(1, Math.floor(split.test.length / shapRows));
const rows = Int32Array.from({ length: Math.ceil(split.test.length / step) }, (_, i) => split.test[i * step]);
const Xs = takeRows(rows);
const contrib = booster.shapValues(Xs);
const shap = new Float64Array(rows.length * p);
for (let i = 0; i < rows.length; i++) shap.set(contrib.subarray(i * (p + 1), i * (p + 1) + p), i * p);
const importance = shapImportance(shap, p);
const top = Array.from(importance.order.subarray(0, 8));
showHtml(htmlTable(["feature", "mean |SHAP|"], top.map((j) => [featureNames[j], importance.meanAbs[j].toFixed(4)])));
const shapFigure: Figure = shapSummaryPlot({ featureNames: featureNames, shap: shap, values: Xs.values }, { title: `SHAP, ${horizon}-day model` });
show(shapFigure);

// %%
await run.logMetrics({
  roc_auc: roc,
  pr_auc: pr,
  prevalence: testPos / yTest.length,
  precision_at_alert_threshold: atThreshold.precision,
  recall_at_alert_threshold: atThreshold.recall,
  failures_in_test: testFailures,
  failures_alerted: leads.length,
  lead_time_mean_days: meanLead,
});
await logPlot(run, rocFigure, "plots/roc");
await logPlot(run, prFigure, "plots/pr");
await logPlot(run, shapFigure, "plots/shap");
await run.end();
console.log(`logged to run ${run.runId}`);

// %% [markdown]
// ## Result and caveats
//
// At the default parameters (seed 42, 80 vehicles x 300 days, 14-day horizon, up to 100 boosting
// rounds; early stopping on the validation slice kept 92) the run gave ROC-AUC 0.86 and PR-AUC 0.69
// on the test period against a prevalence of 0.06. The threshold chosen on the validation slice
// for precision 0.5 gave test precision 0.59 and recall 0.70, and all 33 test-period failures had
// at least one alert beforehand, on average 9.7 days ahead. The leading SHAP features are the
// 30-day cell voltage spread, recent diagnostic codes, state of health and cell temperature:
// precursors the simulator builds in.
//
// **Caveats.**
// - 89 failures in total, 33 in the test period, 142 positive validation rows: every number here
//   has a wide sampling spread, and early stopping on a small validation slice is noisy (with
//   40 vehicles x 200 days it stopped after one round). Compare seeds (or the full
//   `failure-prediction` experiment) before trusting differences.
// - "Every failure alerted" counts a failure as caught if *any* day in its window crossed the
//   threshold; the false alerts on healthy vehicles are the price, visible in the PR curve.
// - Simulated precursors are cleaner than real telematics.
