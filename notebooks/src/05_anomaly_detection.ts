// %% [markdown]
// # 05 · Anomaly detection on industrial telemetry
//
// **Question.** Can an unsupervised detector, trained only on normal running data, flag the faults
// of a machine fleet (overheating, bearing wear, power spikes, sensor dropouts) with an alert
// volume an operator can live with, and explain *why* it flagged each one?
//
// **Data.** The seeded industrial simulation: a few devices sampled once a second (voltage, current,
// temperature, rpm, vibration) moving between RUN, IDLE and MAINT. One episode of each fault type is
// injected in the second half of the run (the scoring window), so recall can be scored per fault.
//
// **Model.** Leakage-safe rolling features per device, a scaler + isolation forest fitted on
// normal, settled-RUN rows of the first half, a percentile sweep of the anomaly-score threshold,
// the operator rule "highest recall with precision at least `minPrecision`", a 2-of-3 persistence
// rule against one-sample blips, and a streak rule for sensor dropouts (which a forest trained on
// normal data cannot learn). The reported precision and recall are **held out**: each device's
// threshold is chosen on the other devices only.

// %% tags=["parameters"]
let seed = 42;
let devices = 4;
let samplesPerDevice = 7200;
let nEstimators = 50;
let trainFraction = 0.5;
let minPrecision = 0.3;
let mergeGapSamples = 30;
let topEvents = 5;

// %%
import {
  createRng,
  notebookRun,
  simulateIndustrial,
  runAnomalyPipeline,
  INDUSTRIAL_FAULTS,
  thresholdSweepPlot,
  groupEvents,
  explainEvents,
  explanationSentence,
  buildAlerts,
  AlertConfigSchema,
  featureDrift,
  show,
  showHtml,
  logPlot,
  type AnomalyPipelineResult,
  type Figure,
  htmlTable,
} from "./lib/index.js";

const run = await notebookRun({ notebook: "notebooks/05_anomaly_detection.ipynb", runName: "05_anomaly_detection" });
const rng = createRng(seed);
const sim = simulateIndustrial(
  {
    devices: devices,
    samplesPerDevice: samplesPerDevice,
    states: { meanDwellSeconds: { RUN: 1000000, IDLE: 900, MAINT: 1200 } },
    faults: {
      ratePerDeviceHour: 0,
      episodes: [
        { device: 1, type: "overheat", startSample: 4200, durationSamples: 1200 },
        { device: 2, type: "bearing_wear", startSample: 4000, durationSamples: 2400 },
        { device: 3, type: "power_spike", startSample: 5000, durationSamples: 60 },
        { device: 4, type: "sensor_dropout", startSample: 4500, durationSamples: 300, channel: "temp_c", mode: "missing" },
        { device: 1, type: "power_spike", startSample: 6500, durationSamples: 40 },
      ],
    },
  },
  rng.fork(1),
);
const cols = sim.table.columns;
console.log(`${sim.table.length} rows from ${devices} devices; ${sim.faults.length} injected fault episodes:`);
for (const f of sim.faults) console.log(`  device ${f.device}: ${f.type}`);

// %% [markdown]
// ## Features, training and scoring
//
// The pipeline computes rolling features per device (only past samples, so nothing leaks from the
// future), trains on the first `trainFraction` of time using normal settled-RUN rows only, and
// scores the RUN rows of the rest.

// %%
const res: AnomalyPipelineResult = runAnomalyPipeline(
  cols,
  INDUSTRIAL_FAULTS,
  sim.faults,
  { trainFraction: trainFraction, minPrecision: minPrecision, forest: { nEstimators: nEstimators } },
  rng.fork(2),
);
const choice = res.model.threshold!;
const faultyRows = res.labels.reduce((a, b) => a + b, 0);
console.log(`${res.features.names.length} features; trained on ${res.trainRows.length} rows; scored ${res.scoredRows.length} rows (${faultyRows} faulty)`);
console.log(`${res.unscoredFaultRows} fault rows not scored (training window or not settled RUN)`);
console.log(`ROC-AUC of the anomaly score against the fault labels: ${res.rocAuc.toFixed(4)}`);
console.log(`held-out (${res.evaluation.calibration}) precision ${res.evaluation.precision.toFixed(3)}, recall ${res.evaluation.recall.toFixed(3)}, F1 ${res.evaluation.f1.toFixed(3)}`);

// %% [markdown]
// ## Threshold sweep
//
// Each candidate threshold is a percentile of the scores. Precision, recall and F1 are computed
// against the injected labels on all scored rows (in-sample, so optimistic: the held-out numbers
// above are the ones to quote); the vertical line is the threshold the operator rule picks.

// %%
const sweepFigure: Figure = thresholdSweepPlot(
  res.sweep.map((r) => r.threshold),
  [
    { label: "precision", values: res.sweep.map((r) => r.precision) },
    { label: "recall", values: res.sweep.map((r) => r.recall) },
    { label: "F1", values: res.sweep.map((r) => r.f1) },
  ],
  { title: "Anomaly threshold sweep", chosen: choice.threshold, xLabel: "anomaly score threshold" },
);
show(sweepFigure);
showHtml(htmlTable(
  ["percentile", "threshold", "precision", "recall", "F1", "flagged rows"],
  res.sweep.map((r) => [r.percentile, r.threshold.toFixed(4), r.precision.toFixed(3), r.recall.toFixed(3), r.f1.toFixed(3), r.flagged]),
));
console.log(`selected (${choice.rule}, min precision ${choice.minPrecision}): threshold ${choice.threshold.toFixed(4)}, in-sample precision ${res.selected.precision.toFixed(3)}, recall ${res.selected.recall.toFixed(3)}, F1 ${res.selected.f1.toFixed(3)}`);

// %% [markdown]
// ## Recall per fault type
//
// Row-level recall per fault tag (held out), and whether each injected episode had at least one
// flagged row. Faults differ a lot in how visible they are to the forest.

// %%
showHtml(htmlTable(["fault", "row recall", "flagged rows", "missed rows"], res.perFault.map((f) => [f.tag, f.recall.toFixed(3), f.tp, f.fn])));
showHtml(htmlTable(["device", "fault", "detected"], res.episodes.map((e) => [e.device, e.type, e.detected ? "yes" : "no"])));

// %% [markdown]
// ## Events, explanations and alerts
//
// Flagged rows of one device close in time form an event. A dropout event is explained by the
// streak rule (which channel went silent or stuck, for how long); any other event's peak row by
// TreeSHAP of the isolation path length, grouped by sensor family. Rule-based alerts then name a
// likely cause and deduplicate repeats.

// %%
const events = groupEvents(res.scoredRows, res.scores, choice.threshold, cols.device_id, res.features.sampleIndex, cols.fault_tag, mergeGapSamples, res.ruleFlags, res.flags);
const ranked = events.map((_, i) => i).sort((a, b) => events[b].peakScore - events[a].peakScore || a - b);
const explained = ranked.slice(0, 200).sort((a, b) => a - b).map((i) => events[i]);
const explanations = explainEvents(res.model, res.features, explained, { dropoutStreakSamples: res.config.dropoutStreakSamples, topK: 5 });
const order = explained.map((_, i) => i).sort((a, b) => explained[b].peakScore - explained[a].peakScore || a - b);
console.log(`${events.length} events at the selected threshold; the top ${Math.min(topEvents, order.length)}:`);
showHtml(htmlTable(
  ["device", "true tag at peak", "peak score", "rows", "explanation"],
  order.slice(0, topEvents).map((i) => [explained[i].device, INDUSTRIAL_FAULTS[cols.fault_tag[explained[i].peakRow]], explained[i].peakScore.toFixed(4), explained[i].rows, explanationSentence(explanations[i])]),
));
const alerts = buildAlerts(explained, explanations, choice.threshold, AlertConfigSchema.parse({}));
console.log(`${alerts.length} alerts (${alerts.reduce((s, a) => s + a.suppressed, 0)} duplicates suppressed)`);
showHtml(htmlTable(
  ["severity", "device", "score", "cause", "confidence", "true tag", "suppressed"],
  alerts.slice(0, 10).map((a) => [a.severity, a.device, a.score.toFixed(4), a.cause, a.confidence.toFixed(2), INDUSTRIAL_FAULTS[cols.fault_tag[a.peakRow]], a.suppressed]),
));

// %% [markdown]
// ## Drift between training and scoring windows
//
// A detector trained on one period and applied to the next assumes the normal behaviour did not
// move. PSI and KS per feature check that assumption (faults themselves shift some features).

// %%
const drift = featureDrift(res.features.names, res.features.columns, res.trainRows, res.scoredRows, { psiLimit: 0.25, ksLimit: 0.2 });
const drifted = drift.filter((d) => d.drifted);
console.log(`${drifted.length}/${drift.length} features flagged as drifted${drifted.length > 0 ? `: ${drifted.slice(0, 6).map((d) => d.feature).join(", ")}` : ""}`);

// %%
const metrics: Record<string, number> = {
  roc_auc: res.rocAuc,
  threshold: choice.threshold,
  precision: res.evaluation.precision,
  recall: res.evaluation.recall,
  f1: res.evaluation.f1,
  events: events.length,
  alerts: alerts.length,
  drift_features_flagged: drifted.length,
};
for (const f of res.perFault) metrics[`recall_${f.tag}`] = f.recall;
await run.logMetrics(metrics);
await logPlot(run, sweepFigure, "plots/threshold_sweep");
await run.end();
console.log(`logged to run ${run.runId}`);

// %% [markdown]
// ## Result and caveats
//
// At the default parameters (seed 42, 4 devices x 2 h) the run gave ROC-AUC 0.94 and, held out
// (each device's threshold chosen on the other three), precision 0.86 with recall 0.78:
//
// - Power spikes (row recall 0.98) and bearing wear (0.91) were caught almost completely;
//   overheating only partly (0.46: the slow start of the temperature rise looks normal).
// - The sensor dropout (temperature readings *missing*) is caught by the streak rule (0.97), not by
//   the forest, and its explanation names the silent channel and the streak length.
// - Of 5 alerts after deduplication, 4 had a true fault at their peak; one "power instability"
//   alert fired on untagged rows.
// - Forest explanations point at the right sensor family for the detected faults (current and
//   voltage for the power spikes, vibration for bearing wear, temperature for overheating); they
//   explain the model's score, not the physical root cause.
//
// **Caveats.** One seed, four devices and one episode per fault: per-fault recall rests on one
// episode each and will move between seeds (the `anomaly` experiment's default config, with random
// faults over more devices, gives a held-out precision nearer 0.3). Labels come from the
// simulator, whose fault signatures are cleaner than real ones. Some features drift between the
// windows (21 of 102 flagged), partly because the faults themselves sit in the scoring window.
