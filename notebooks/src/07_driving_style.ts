// %% [markdown]
// # 07 · Driving style from telemetry, in batch and as a stream
//
// **Question.** Can 10 seconds of engine and motion telemetry tell an aggressive driver from a
// normal one, and can the same model answer once a second on a live stream fast enough?
//
// **Data.** The seeded vehicle physics simulator: trips driven by "aggressive", "normal" and "safe"
// driver profiles, sampled at `hz` (rpm, throttle, engine load, speed, acceleration, brake). The
// label is AGGRESSIVE for aggressive trips and NORMAL for the other two.
//
// **Model.** Sliding 10-second windows every second, summarized by window features (rpm spread,
// power factor = rpm x load, throttle mean, load max, ...). A random forest with balanced class
// weights is trained on some trips and tested on *other* trips: windows of one trip overlap by 90%,
// so splitting windows instead of trips would leak near-copies of test rows into training. Then a
// streaming scorer receives the test trips sample by sample and predicts once a second.

// %% tags=["parameters"]
let seed = 42;
let hz = 30;
let trips = 24;
let tripSeconds = 120;
// Relative frequency of aggressive trips (normal and safe have weight 1): 2 gives about half aggressive.
let aggressiveWeight = 2;
let windowSeconds = 10;
let strideSeconds = 1;
let nEstimators = 60;
let maxDepth = 12;

// %%
import {
  createRng,
  notebookRun,
  simulateVehicle,
  slidingWindows,
  WINDOW_FEATURES,
  fitRandomForest,
  RandomForestClassifier,
  createStreamingScorer,
  precisionRecallF1,
  thresholdSweepPlot,
  show,
  showHtml,
  logPlot,
  type Figure,
  type StreamPrediction,
  htmlTable,
} from "./lib/index.js";

const run = await notebookRun({ notebook: "notebooks/07_driving_style.ipynb", runName: "07_driving_style" });
const rng = createRng(seed);
const sim = simulateVehicle({ hz: hz, trips: trips, tripSeconds: tripSeconds, profileMix: { aggressive: aggressiveWeight, normal: 1, safe: 1 } }, rng.fork(1));
const c = sim.table.columns;
const windowSamples = Math.round(windowSeconds * hz);
const stepSamples = Math.max(1, Math.round(strideSeconds * hz));
const windows = slidingWindows({ rpm: c.rpm, throttle: c.throttle, load: c.load, speed_kmh: c.speed_kmh, accel_mps2: c.accel_mps2, brake: c.brake }, c.trip_id, windowSamples, stepSamples);
const aggressiveTrip = new Map<number, number>();
for (const t of sim.trips) aggressiveTrip.set(t.tripId, t.profile === "aggressive" ? 1 : 0);
const label = Uint8Array.from(windows.group, (g) => aggressiveTrip.get(g) ?? 0);
console.log(`${sim.table.length} samples at ${hz} Hz from ${trips} trips (${sim.trips.map((t) => t.profile).join(", ")})`);
console.log(`${windows.nRows} windows of ${windowSamples} samples, ${windows.nCols} features each`);

// %% [markdown]
// ## Split by trip
//
// Every 4th trip of each style is held out, so both styles appear in training and in testing.

// %%
const testTrips = new Set<number>();
for (const style of [0, 1]) {
  const ids = sim.trips.filter((t) => (aggressiveTrip.get(t.tripId) ?? 0) === style).map((t) => t.tripId).sort((a, b) => a - b);
  ids.forEach((id, k) => {
    if (k % 4 === 3 || (ids.length >= 2 && k === ids.length - 1 && !ids.some((x) => testTrips.has(x)))) testTrips.add(id);
  });
}
function subset(keep: (i: number) => boolean): { X: { nRows: number; nCols: number; values: Float64Array }; rows: Int32Array } {
  const rows: number[] = [];
  for (let i = 0; i < windows.nRows; i++) if (keep(i)) rows.push(i);
  const p = windows.nCols;
  const values = new Float64Array(rows.length * p);
  rows.forEach((r, i) => values.set(windows.values.subarray(r * p, r * p + p), i * p));
  return { X: { nRows: rows.length, nCols: p, values: values }, rows: Int32Array.from(rows) };
}
const trainSet = subset((i) => !testTrips.has(windows.group[i]));
const testSet = subset((i) => testTrips.has(windows.group[i]));
const yTrain = Uint8Array.from(trainSet.rows, (r) => label[r]);
const yTest = Uint8Array.from(testSet.rows, (r) => label[r]);
console.log(`test trips: ${[...testTrips].join(", ")}; ${trainSet.X.nRows} train / ${testSet.X.nRows} test windows`);

// %% [markdown]
// ## Random forest: accuracy, F1 and feature importance

// %%
const t0 = Date.now();
const forest: RandomForestClassifier = fitRandomForest(
  { X: trainSet.X, y: yTrain, featureNames: [...WINDOW_FEATURES] },
  { nEstimators: nEstimators, maxDepth: maxDepth, classWeight: "balanced" },
  { rng: rng.fork(2) },
);
console.log(`forest of ${nEstimators} trees fitted in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const aggressiveColumn = forest.classes.indexOf(1);
function probaAggressive(x: { nRows: number; nCols: number; values: Float64Array }): Float64Array {
  const proba = forest.predictProba(x);
  return Float64Array.from({ length: x.nRows }, (_, r) => proba[r * forest.classes.length + aggressiveColumn]);
}
const testProba = probaAggressive(testSet.X);
const pred = Uint8Array.from(testProba, (q) => (q >= 0.5 ? 1 : 0));
let correct = 0;
for (let i = 0; i < yTest.length; i++) if (pred[i] === yTest[i]) correct++;
const accuracy = correct / yTest.length;
const aggressive = precisionRecallF1(yTest, pred);
const normal = precisionRecallF1(Uint8Array.from(yTest, (y) => 1 - y), Uint8Array.from(pred, (y) => 1 - y));
showHtml(htmlTable(
  ["class", "precision", "recall", "F1"],
  [
    ["NORMAL", normal.precision.toFixed(3), normal.recall.toFixed(3), normal.f1.toFixed(3)],
    ["AGGRESSIVE", aggressive.precision.toFixed(3), aggressive.recall.toFixed(3), aggressive.f1.toFixed(3)],
  ],
));
console.log(`window accuracy on held-out trips: ${accuracy.toFixed(3)}`);
const importance = forest.featureImportances;
const order = Array.from(importance.keys()).sort((a, b) => importance[b] - importance[a] || a - b);
showHtml(htmlTable(["feature", "impurity importance"], order.slice(0, 8).map((j) => [WINDOW_FEATURES[j], importance[j].toFixed(3)])));

// %% [markdown]
// ## Streaming: one prediction a second
//
// The test trips are replayed sample by sample into a streaming scorer that keeps a ring buffer per
// trip and scores the last 10 seconds once a second. Its predictions should equal the batch
// predictions of the same windows exactly; its latency is the time from the window's last sample
// to the answer.

// %%
const scorer = createStreamingScorer({ probability: (x) => probaAggressive({ nRows: x.nRows, nCols: x.nCols, values: Float64Array.from(x.values) })[0], windowSamples: windowSamples, stepSamples: stepSamples });
const batchByKey = new Map<string, number>();
testSet.rows.forEach((r, i) => batchByKey.set(`${windows.group[r]}:${windows.end[r]}`, testProba[i]));
const tripStart = new Map<number, number>();
for (let i = 0; i < sim.table.length; i++) if (!tripStart.has(c.trip_id[i])) tripStart.set(c.trip_id[i], i);
const sample = new Float64Array(6);
const predictions: StreamPrediction[] = [];
let agree = 0;
for (let i = 0; i < sim.table.length; i++) {
  const trip = c.trip_id[i];
  if (!testTrips.has(trip)) continue;
  sample[0] = c.rpm[i];
  sample[1] = c.throttle[i];
  sample[2] = c.load[i];
  sample[3] = c.speed_kmh[i];
  sample[4] = c.accel_mps2[i];
  sample[5] = c.brake[i];
  const out = scorer.push(trip, sample);
  if (out === null) continue;
  predictions.push(out);
  if (batchByKey.get(`${trip}:${(tripStart.get(trip) ?? 0) + out.end}`) === out.probabilityAggressive) agree++;
}
const latencies = Float64Array.from(scorer.latencies()).sort();
const p50 = latencies[Math.floor(0.5 * (latencies.length - 1))];
const p99 = latencies[Math.floor(0.99 * (latencies.length - 1))];
console.log(`${predictions.length} streaming predictions, ${agree} identical to the batch windows; latency p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms`);
const perTrip = new Map<number, StreamPrediction[]>();
for (const p of predictions) perTrip.set(p.group, [...(perTrip.get(p.group) ?? []), p]);
showHtml(htmlTable(
  ["trip", "true style", "predictions", "share AGGRESSIVE", "mean confidence"],
  [...perTrip].map(([trip, ps]) => [
    trip,
    aggressiveTrip.get(trip) ? "AGGRESSIVE" : "NORMAL",
    ps.length,
    (ps.filter((p) => p.label === "AGGRESSIVE").length / ps.length).toFixed(2),
    (ps.reduce((s, p) => s + p.confidence, 0) / ps.length).toFixed(2),
  ]),
));
const shown = [...perTrip].slice(0, 4);
const n = Math.min(...shown.map(([, ps]) => ps.length));
const streamFigure: Figure = thresholdSweepPlot(
  Array.from({ length: n }, (_, k) => (shown[0][1][k].end / hz)),
  shown.map(([trip, ps]) => ({ label: `trip ${trip} (${aggressiveTrip.get(trip) ? "aggressive" : "normal"})`, values: ps.slice(0, n).map((p) => p.probabilityAggressive) })),
  { title: "Streaming P(AGGRESSIVE), one prediction per second", xLabel: "seconds into the trip", yLabel: "P(AGGRESSIVE)" },
);
show(streamFigure);

// %%
await run.logMetrics({
  accuracy: accuracy,
  f1_aggressive: aggressive.f1,
  f1_normal: normal.f1,
  stream_predictions: predictions.length,
  stream_agreement_with_batch: predictions.length > 0 ? agree / predictions.length : 0,
  stream_latency_p50_ms: p50,
  stream_latency_p99_ms: p99,
});
await logPlot(run, streamFigure, "plots/stream_probability");
await run.end();
console.log(`logged to run ${run.runId}`);

// %% [markdown]
// ## Result and caveats
//
// At the default parameters (seed 42, 24 trips of 2 minutes at 30 Hz, 60 trees) the run gave:
//
// - **Window accuracy 0.97** on 5 held-out trips (F1 0.96 AGGRESSIVE, 0.98 NORMAL). Errors are
//   aggressive windows called NORMAL (recall 0.92): stretches of an aggressive trip where the driver
//   happens to cruise look normal in a 10-second window.
// - **Features**: mean rpm and the hardest deceleration (accel_min) carry most of the impurity
//   importance, then throttle variability and peak acceleration: revving high and braking hard.
// - **Streaming**: the scorer's 555 once-a-second predictions were identical to the batch
//   predictions of the same windows, with median latency about 0.01-0.02 ms and p99 about 0.05 ms per
//   prediction on this machine, far below the one-second cadence.
// - The streaming chart shows where the model is unsure: the first seconds of a trip (pulling away
//   from standstill look alike for every driver) and a calmer stretch in the middle of trip 14.
//
// **Caveats.**
// - Only 5 test trips (2 aggressive), so "accuracy" mostly measures how separable these few
//   simulated drivers are; windows of one trip are strongly correlated and are not independent
//   evidence. More trips (and several seeds) are needed for a tight estimate.
// - The simulator's profiles differ more cleanly than real drivers; the "safe" and "normal"
//   profiles are pooled as NORMAL.
// - Latencies are in-process timings on a shared 2-core machine and exclude data transport; they
//   vary from run to run.
// - Impurity importance favours features with many distinct values; permutation importance on the
//   test trips would be a useful check.
