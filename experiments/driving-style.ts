/**
 * The driving-style experiment: physics-simulator telemetry becomes 10-second sliding windows (rpm
 * std, power factor = rpm x load, throttle mean, load max, rpm range, ...) labelled AGGRESSIVE or
 * NORMAL (the simulator's "normal" and "safe" profiles), a random forest (300 trees, depth 12,
 * balanced classes, as in the reference simulator) against gradient boosting on held-out trips,
 * and a streaming scorer that gets the test trips sample by sample and answers once a second.
 *
 * Trips, not windows, are split into train and test: windows of one trip overlap by 90%, so a
 * window split would put near-copies of test rows into training.
 */
import { z } from "zod";
import { defineExperiment } from "../lib/experiment/definition.js";
import { simulateVehicle, streamVehicle, type VehicleChunk } from "../lib/simulate/vehicle.js";
import { slidingWindows, WINDOW_FEATURES, type SlidingWindows } from "../lib/features/windows.js";
import { createStreamingScorer, quantile, type StreamPrediction } from "../lib/streaming/scorer.js";
import { fitRandomForest } from "../lib/trees/random-forest.js";
import { train } from "../lib/trees/boosting.js";
import type { FeatureMatrix } from "../lib/trees/matrix.js";
import { renderTable } from "../lib/util/table.js";
import { DataError } from "../lib/errors.js";

export const drivingStyleSchema = z.strictObject({
  seed: z.number().int().min(0).max(0xffffffff).default(42),
  /** The simulated trips (see lib/simulate/vehicle.ts). */
  vehicle: z
    .strictObject({
      hz: z.number().int().min(10).max(50).default(30),
      trips: z.number().int().min(4).max(10_000).default(24),
      tripSeconds: z.number().min(20).max(36_000).default(240),
    })
    .default({ hz: 30, trips: 24, tripSeconds: 240 }),
  windowSeconds: z.number().positive().default(10),
  /** Seconds between windows (and between streaming predictions). */
  strideSeconds: z.number().positive().default(1),
  /** Share of trips held out for testing (every k-th trip of each style, so both styles appear). */
  testFraction: z.number().gt(0).lt(1).default(0.25),
  forest: z
    .strictObject({
      nEstimators: z.number().int().min(1).max(5000).default(300),
      maxDepth: z.number().int().min(1).max(64).default(12),
    })
    .default({ nEstimators: 300, maxDepth: 12 }),
  boosting: z
    .strictObject({
      numBoostRound: z.number().int().min(1).max(5000).default(100),
      numLeaves: z.number().int().min(2).max(1024).default(15),
      learningRate: z.number().gt(0).max(1).default(0.1),
    })
    .default({ numBoostRound: 100, numLeaves: 15, learningRate: 0.1 }),
});

/** The resolved config of the driving-style experiment. */
export type DrivingStyleConfig = z.output<typeof drivingStyleSchema>;

/** Class codes: 0 NORMAL, 1 AGGRESSIVE. */
export const STYLE_CLASSES = ["NORMAL", "AGGRESSIVE"] as const;

/** The simulator's profile code of "aggressive" (DRIVER_PROFILES order). */
const AGGRESSIVE_PROFILE = 0;

/** Sliding windows of a telemetry table with their binary style label (1 = aggressive trip). */
export function telemetryWindows(table: VehicleChunk, windowSamples: number, stepSamples: number): SlidingWindows & { label: Uint8Array } {
  const c = table.columns;
  const windows = slidingWindows({ rpm: c.rpm, throttle: c.throttle, load: c.load, speed_kmh: c.speed_kmh, accel_mps2: c.accel_mps2, brake: c.brake }, c.trip_id, windowSamples, stepSamples);
  const profileOfTrip = new Map<number, number>();
  for (let i = 0; i < table.length; i++) profileOfTrip.set(c.trip_id[i], c.profile[i]);
  const label = Uint8Array.from(windows.group, (g) => (profileOfTrip.get(g) === AGGRESSIVE_PROFILE ? 1 : 0));
  return { ...windows, label };
}

function subsetRows(w: SlidingWindows, keep: (i: number) => boolean): { X: FeatureMatrix; rows: Int32Array } {
  const rows: number[] = [];
  for (let i = 0; i < w.nRows; i++) if (keep(i)) rows.push(i);
  const p = w.nCols;
  const values = new Float64Array(rows.length * p);
  rows.forEach((r, i) => values.set(w.values.subarray(r * p, r * p + p), i * p));
  return { X: { nRows: rows.length, nCols: p, values }, rows: Int32Array.from(rows) };
}

/** Accuracy and per-class precision, recall and F1 of binary predictions. */
export function classReport(y: ArrayLike<number>, pred: ArrayLike<number>): { accuracy: number; perClass: { precision: number; recall: number; f1: number; support: number }[] } {
  const cm = [
    [0, 0],
    [0, 0],
  ];
  for (let i = 0; i < y.length; i++) cm[y[i]][pred[i]]++;
  const perClass = [0, 1].map((k) => {
    const tp = cm[k][k];
    const predicted = cm[0][k] + cm[1][k];
    const support = cm[k][0] + cm[k][1];
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    return { precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall), support };
  });
  return { accuracy: (cm[0][0] + cm[1][1]) / y.length, perClass };
}

export default defineExperiment({
  name: "driving-style",
  description: "Driving style (AGGRESSIVE vs NORMAL) from 10-second telemetry windows: random forest against boosting on held-out trips, and a streaming scorer answering every second with its latency.",
  schema: drivingStyleSchema,
  async run(config, { run, rng, log }) {
    const { hz, trips, tripSeconds } = config.vehicle;
    const windowSamples = Math.round(config.windowSeconds * hz);
    const stepSamples = Math.max(1, Math.round(config.strideSeconds * hz));
    const simInput = { hz, trips, tripSeconds };
    const sim = simulateVehicle(simInput, rng.fork(1));
    const windows = telemetryWindows(sim.table, windowSamples, stepSamples);
    if (windows.nRows === 0) throw new DataError(`driving-style: trips of ${tripSeconds} s are shorter than the ${config.windowSeconds} s window`);
    const every = Math.max(2, Math.round(1 / config.testFraction));
    const testTrips = stratifiedTestTrips(sim.trips.map((t) => ({ tripId: t.tripId, label: t.profile === "aggressive" ? 1 : 0 })), every);
    const isTestTrip = (trip: number) => testTrips.has(trip);
    const trainSet = subsetRows(windows, (i) => !isTestTrip(windows.group[i]));
    const testSet = subsetRows(windows, (i) => isTestTrip(windows.group[i]));
    const yTrain = Uint8Array.from(trainSet.rows, (r) => windows.label[r]);
    const yTest = Uint8Array.from(testSet.rows, (r) => windows.label[r]);
    const classesIn = (y: Uint8Array) => new Set(y).size;
    if (classesIn(yTrain) < 2 || classesIn(yTest) < 2) throw new DataError(`driving-style: train or test trips hold a single driving style (${trips} trips); simulate more trips`);
    log(`telemetry: ${sim.table.length} samples at ${hz} Hz, ${trips} trips -> ${windows.nRows} windows of ${windowSamples} samples; ${trainSet.X.nRows} train / ${testSet.X.nRows} test windows`);
    await run.logMetrics({ "data.samples": sim.table.length, "data.windows": windows.nRows, "data.train_windows": trainSet.X.nRows, "data.test_windows": testSet.X.nRows });

    const forest = fitRandomForest(
      { X: trainSet.X, y: yTrain, featureNames: [...WINDOW_FEATURES] },
      { nEstimators: config.forest.nEstimators, maxDepth: config.forest.maxDepth, classWeight: "balanced" },
      { rng: rng.fork(2) },
    );
    let pos = 0;
    for (const y of yTrain) pos += y;
    const booster = train(
      { objective: "binary", numLeaves: config.boosting.numLeaves, learningRate: config.boosting.learningRate, scalePosWeight: (yTrain.length - pos) / pos },
      { X: trainSet.X, y: yTrain, featureNames: [...WINDOW_FEATURES] },
      { numBoostRound: config.boosting.numBoostRound, rng: rng.fork(3) },
    );
    const aggressiveColumn = forest.classes.indexOf(1);
    const forestProba = (x: FeatureMatrix) => {
      const proba = forest.predictProba(x);
      return Float64Array.from({ length: x.nRows }, (_, r) => proba[r * forest.classes.length + aggressiveColumn]);
    };
    const models = [
      { name: "rf", proba: forestProba(testSet.X), importance: forest.featureImportances },
      { name: "gbm", proba: booster.predict(testSet.X), importance: normalize(booster.featureImportance("gain")) },
    ];
    const metrics: Record<string, number> = {};
    const rows: (string | number)[][] = [];
    for (const m of models) {
      const pred = Uint8Array.from(m.proba, (q) => (q >= 0.5 ? 1 : 0));
      const rep = classReport(yTest, pred);
      const logged: Record<string, number> = { [`${m.name}.accuracy`]: rep.accuracy };
      STYLE_CLASSES.forEach((name, k) => {
        logged[`${m.name}.f1.${name}`] = rep.perClass[k].f1;
        logged[`${m.name}.precision.${name}`] = rep.perClass[k].precision;
        logged[`${m.name}.recall.${name}`] = rep.perClass[k].recall;
      });
      for (let j = 0; j < WINDOW_FEATURES.length; j++) logged[`${m.name}.importance.${WINDOW_FEATURES[j]}`] = m.importance[j];
      await run.logMetrics(logged);
      Object.assign(metrics, { [`${m.name}.accuracy`]: rep.accuracy, [`${m.name}.f1.AGGRESSIVE`]: rep.perClass[1].f1, [`${m.name}.f1.NORMAL`]: rep.perClass[0].f1 });
      rows.push([m.name, rep.accuracy, rep.perClass[0].f1, rep.perClass[1].f1]);
      const order = Array.from(m.importance.keys()).sort((a, b) => m.importance[b] - m.importance[a] || a - b);
      log(`${m.name} importance: ${order.slice(0, 5).map((j) => `${WINDOW_FEATURES[j]} ${m.importance[j].toFixed(3)}`).join(", ")}`);
    }
    log(renderTable(["model", "accuracy", "F1 NORMAL", "F1 AGGRESSIVE"], rows));
    await run.logJson(forest.toJSON(), "model/random_forest.json");
    await run.logJson(booster.toJSON(), "model/booster.json");

    // --- Streaming: the same trips, sample by sample, scored by the forest once per stride.
    const scorer = createStreamingScorer({ probability: (x) => forestProba(x)[0], windowSamples, stepSamples });
    const batchByKey = new Map<string, number>();
    testSet.rows.forEach((r, i) => batchByKey.set(`${windows.group[r]}:${windows.end[r]}`, models[0].proba[i]));
    const tripStart = new Map<number, number>();
    for (let i = 0; i < sim.table.length; i++) if (!tripStart.has(sim.table.columns.trip_id[i])) tripStart.set(sim.table.columns.trip_id[i], i);
    const sample = new Float64Array(6);
    const predictions: StreamPrediction[] = [];
    let agree = 0;
    for await (const chunk of streamVehicle({ ...simInput, chunkSamples: hz }, rng.fork(1))) {
      const c = chunk.columns;
      for (let i = 0; i < chunk.length; i++) {
        const trip = c.trip_id[i];
        if (!isTestTrip(trip)) continue;
        sample[0] = c.rpm[i];
        sample[1] = c.throttle[i];
        sample[2] = c.load[i];
        sample[3] = c.speed_kmh[i];
        sample[4] = c.accel_mps2[i];
        sample[5] = c.brake[i];
        const out = scorer.push(trip, sample);
        if (out === null) continue;
        predictions.push(out);
        const batch = batchByKey.get(`${trip}:${(tripStart.get(trip) ?? 0) + out.end}`);
        if (batch === out.probabilityAggressive) agree++;
      }
    }
    const latencies = scorer.latencies();
    const p50 = quantile(latencies, 0.5);
    const p99 = quantile(latencies, 0.99);
    let aggressiveCalls = 0;
    for (const p of predictions) if (p.label === "AGGRESSIVE") aggressiveCalls++;
    await run.logMetrics({
      "stream.predictions": predictions.length,
      "stream.agreement_with_batch": predictions.length > 0 ? agree / predictions.length : 0,
      "stream.aggressive_share": predictions.length > 0 ? aggressiveCalls / predictions.length : 0,
      "timing.stream.latency_p50_ms": p50,
      "timing.stream.latency_p99_ms": p99,
    });
    metrics["stream.agreement_with_batch"] = predictions.length > 0 ? agree / predictions.length : 0;
    log(`streaming: ${predictions.length} predictions (one per ${config.strideSeconds} s), ${agree} identical to the batch windows; latency p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms`);
    await run.logText(["trip_id,end_sample,p_aggressive,label,confidence", ...predictions.map((p) => `${p.group},${p.end},${p.probabilityAggressive},${p.label},${p.confidence.toFixed(4)}`)].join("\n") + "\n", "tables/stream_predictions.csv");
    const conclusion = [
      "# Driving style",
      "",
      `${trips} trips of ${tripSeconds} s at ${hz} Hz; ${config.windowSeconds}-second windows every ${config.strideSeconds} s; every ${every}th trip of each style held out (${testTrips.size} trips).`,
      "",
      "| model | accuracy | F1 NORMAL | F1 AGGRESSIVE |",
      "|---|---|---|---|",
      ...rows.map((r) => `| ${r[0]} | ${(r[1] as number).toFixed(3)} | ${(r[2] as number).toFixed(3)} | ${(r[3] as number).toFixed(3)} |`),
      "",
      `Streaming scorer: ${predictions.length} predictions, ${agree} identical to the batch windows.`,
    ].join("\n");
    await run.logText(conclusion + "\n", "conclusion.md");
    await run.setDescription(conclusion);
    return { metrics, lines: rows.map((r) => `${r[0]}: accuracy ${(r[1] as number).toFixed(3)}, F1 AGGRESSIVE ${(r[3] as number).toFixed(3)}`) };
  },
});

/**
 * Hold out every `every`-th trip of each class (in trip order), and at least one trip of any class
 * with two or more trips, so both train and test see both styles whenever that is possible.
 */
export function stratifiedTestTrips(trips: readonly { tripId: number; label: number }[], every: number): Set<number> {
  const out = new Set<number>();
  for (const label of [0, 1]) {
    const ids = trips.filter((t) => t.label === label).map((t) => t.tripId).sort((a, b) => a - b);
    let picked = 0;
    ids.forEach((id, j) => {
      if (j % every === every - 1) {
        out.add(id);
        picked++;
      }
    });
    if (picked === 0 && ids.length >= 2) out.add(ids[ids.length - 1]);
  }
  return out;
}

function normalize(x: Float64Array): Float64Array {
  let s = 0;
  for (const v of x) s += v;
  return s > 0 ? x.map((v) => v / s) : x;
}
