/**
 * The failure-prediction experiment: EV telematics (one row per vehicle and day) become daily
 * features built only from each vehicle's past (trailing rolling means and deltas), labelled
 * "fails within 7 / 14 / 30 days". A time-based split trains on early days and tests on later
 * ones; the latest label-closed days of the training period form a validation slice (separated
 * from the training rows by a gap of one horizon, so no training label reads a validation day)
 * that drives early stopping and picks the alert threshold. The test period is touched only to
 * report: PR-AUC, ROC-AUC, precision and recall at the validation-chosen threshold, lead time of
 * true alerts, SHAP attributions and a severity class per vehicle-day. One boosted model per
 * horizon, with a positive-class weight for the rare failures.
 */
import { z } from "zod";
import { defineExperiment } from "../lib/experiment/definition.js";
import { simulateEv, type EvChunk, type EvFailure } from "../lib/simulate/ev.js";
import { train, type Booster } from "../lib/trees/boosting.js";
import type { FeatureMatrix } from "../lib/trees/matrix.js";
import { averagePrecision, precisionRecallCurve } from "../lib/metrics/average-precision.js";
import { rocAuc, rocCurve } from "../lib/metrics/roc-auc.js";
import { precisionRecallF1 } from "../lib/metrics/threshold-metrics.js";
import { recallAtPrecision } from "../lib/metrics/threshold-sweep.js";
import { rocPlot, prPlot, type PrCurve, type RocCurve } from "../lib/plot/classification.js";
import { shapImportance, shapSummaryPlot } from "../lib/plot/shap.js";
import { logPlot } from "../lib/plot/artifacts.js";
import { renderTable } from "../lib/util/table.js";
import { DataError } from "../lib/errors.js";

export const failurePredictionSchema = z.strictObject({
  seed: z.number().int().min(0).max(0xffffffff).default(42),
  /** The simulated EV fleet (see lib/simulate/ev.ts). */
  ev: z
    .strictObject({
      vehicles: z.number().int().min(2).max(100_000).default(150),
      days: z.number().int().min(60).max(3650).default(365),
      failureRatePerVehicleYear: z.number().positive().default(0.6),
    })
    .default({ vehicles: 150, days: 365, failureRatePerVehicleYear: 0.6 }),
  /** Days before `floor(days * trainFraction)` train, the rest test. */
  trainFraction: z.number().gt(0.2).lt(0.9).default(0.6),
  /**
   * Share of the training period's label-closed days (the latest ones) held out for early stopping
   * and for choosing the alert threshold; see timeSplit.
   */
  validFraction: z.number().gt(0).lt(0.8).default(0.25),
  horizons: z.array(z.number().int().min(1).max(30)).min(1).default([7, 14, 30]),
  /** Gradient-boosting settings shared by the per-horizon models. */
  model: z
    .strictObject({
      numBoostRound: z.number().int().min(1).max(5000).default(150),
      learningRate: z.number().gt(0).max(1).default(0.05),
      numLeaves: z.number().int().min(2).max(1024).default(15),
      minDataInLeaf: z.number().int().min(1).default(20),
      featureFraction: z.number().gt(0).max(1).default(0.8),
      baggingFraction: z.number().gt(0).max(1).default(0.8),
      /** "auto": negatives / positives of the training rows; else a fixed weight. */
      positiveWeight: z.union([z.literal("auto"), z.number().positive()]).default("auto"),
      /** Stop when validation PR-AUC has not improved for this many rounds (0 = never stop early). */
      earlyStoppingRounds: z.number().int().min(0).default(30),
    })
    .default({
      numBoostRound: 150,
      learningRate: 0.05,
      numLeaves: 15,
      minDataInLeaf: 20,
      featureFraction: 0.8,
      baggingFraction: 0.8,
      positiveWeight: "auto",
      earlyStoppingRounds: 30,
    }),
  /** Alerts fire at the threshold with the highest validation recall whose validation precision reaches this. */
  targetPrecision: z.number().gt(0).lt(1).default(0.5),
  /** Test rows (evenly spaced) whose SHAP values are computed. */
  shapRows: z.number().int().min(10).max(100_000).default(1500),
});

/** The resolved config of the failure-prediction experiment. */
export type FailurePredictionConfig = z.output<typeof failurePredictionSchema>;

/** Signals turned into trailing features (raw value, 7-day mean, 30-day mean, 7-day delta). */
const SIGNALS = [
  "cell_temp_max_c",
  "cell_temp_mean_c",
  "cell_voltage_spread_mv",
  "motor_temp_max_c",
  "soh_pct",
  "charge_failures",
  "dtc_count",
  "distance_km",
  "fast_charge_sessions",
] as const;

/** Daily features on a dense vehicle x day grid (row = (vehicle - 1) * days + day). */
export interface DailyFeatures {
  X: FeatureMatrix;
  featureNames: string[];
  vehicles: number;
  days: number;
  /** Row present in the table (1) or a hole in the grid (0). */
  present: Uint8Array;
  /** In the workshop: such rows are neither trained on nor scored. */
  inRepair: Uint8Array;
  /** A failure happens on this day. */
  failure: Uint8Array;
  /** Label per horizon, keyed by the horizon in days. */
  labels: Map<number, Uint8Array>;
}

/**
 * Build daily features where row (v, d) reads only days <= d of vehicle v: raw values, trailing
 * 7- and 30-day means (shorter at the start of the data) and the 7-day delta (this week's mean minus
 * the previous week's), plus temperatures in excess of ambient.
 */
export function dailyFeatures(table: EvChunk, vehicles: number, days: number, horizons: readonly number[]): DailyFeatures {
  const c = table.columns;
  const N = vehicles * days;
  const present = new Uint8Array(N);
  const inRepair = new Uint8Array(N);
  const failure = new Uint8Array(N);
  const raw: Float64Array[] = [];
  const signalNames = [...SIGNALS, "cell_temp_excess_c", "motor_temp_excess_c"];
  for (let s = 0; s < signalNames.length; s++) raw.push(new Float64Array(N).fill(NaN));
  const labels = new Map<number, Uint8Array>();
  for (const h of horizons) labels.set(h, new Uint8Array(N));
  const dtf = c.days_to_failure;
  for (let i = 0; i < table.length; i++) {
    const v = c.vehicle_id[i];
    const d = c.day[i];
    if (v < 1 || v > vehicles || d < 0 || d >= days) throw new DataError(`dailyFeatures: row ${i} has vehicle_id ${v}, day ${d} outside ${vehicles} vehicles x ${days} days`);
    const r = (v - 1) * days + d;
    present[r] = 1;
    inRepair[r] = c.in_repair[i];
    failure[r] = c.failure[i];
    for (let s = 0; s < SIGNALS.length; s++) raw[s][r] = c[SIGNALS[s]][i];
    raw[SIGNALS.length][r] = c.cell_temp_max_c[i] - c.ambient_c[i];
    raw[SIGNALS.length + 1][r] = c.motor_temp_max_c[i] - c.ambient_c[i];
    // Labels come from days_to_failure so that any horizon works, not only the table's 7/14/30.
    for (const [h, y] of labels) y[r] = dtf[i] >= 1 && dtf[i] <= h ? 1 : 0;
  }
  const featureNames: string[] = [];
  for (const name of signalNames) featureNames.push(name, `${name}_mean7`, `${name}_mean30`, `${name}_delta7`);
  featureNames.push("ambient_c");
  const p = featureNames.length;
  const values = new Float64Array(N * p);
  const ambient = new Float64Array(N).fill(NaN);
  for (let i = 0; i < table.length; i++) ambient[(c.vehicle_id[i] - 1) * days + c.day[i]] = c.ambient_c[i];
  const mean7 = new Float64Array(days);
  const mean30 = new Float64Array(days);
  const prev7 = new Float64Array(days);
  for (let v = 0; v < vehicles; v++) {
    const base = v * days;
    for (let s = 0; s < signalNames.length; s++) {
      const x = raw[s].subarray(base, base + days);
      trailingMean(x, 7, 0, mean7);
      trailingMean(x, 30, 0, mean30);
      trailingMean(x, 7, 7, prev7);
      for (let d = 0; d < days; d++) {
        const o = (base + d) * p + 4 * s;
        values[o] = x[d];
        values[o + 1] = mean7[d];
        values[o + 2] = mean30[d];
        values[o + 3] = mean7[d] - prev7[d];
      }
    }
    for (let d = 0; d < days; d++) values[(base + d) * p + p - 1] = ambient[base + d];
  }
  return { X: { nRows: N, nCols: p, values }, featureNames, vehicles, days, present, inRepair, failure, labels };
}

/**
 * Mean of x over days d - lag - window + 1 .. d - lag (clipped at day 0, NaN skipped) into out;
 * NaN where no value is available. Only past days are read, which is what keeps features leak-free.
 */
function trailingMean(x: Float64Array, window: number, lag: number, out: Float64Array): void {
  let sum = 0;
  let count = 0;
  const n = x.length;
  for (let d = 0; d < n; d++) {
    const enter = d - lag;
    const leave = d - lag - window;
    if (enter >= 0 && !Number.isNaN(x[enter])) {
      sum += x[enter];
      count++;
    }
    if (leave >= 0 && !Number.isNaN(x[leave])) {
      sum -= x[leave];
      count--;
    }
    out[d] = count > 0 ? sum / count : NaN;
  }
}

/** Rows used to train, validate and test one horizon's model. */
export interface TimeSplit {
  splitDay: number;
  /** First day of the validation slice (= splitDay - horizon when there is none). */
  validStart: number;
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
}

/**
 * Split on calendar days. Test rows have day >= splitDay. Of the training period, only days whose
 * whole label window (d+1 .. d+horizon) lies before splitDay are usable: d < splitDay - horizon.
 * With validFraction > 0 the latest `max(1, round(validFraction * usable days))` of those form the
 * validation slice [validStart, splitDay - horizon), and train rows must close their label window
 * before it: d + horizon < validStart (a gap of one horizon). So no training label depends on a
 * validation or test day, and no validation label on a test day. Rows absent, in repair or on a
 * failure day are left out of all three.
 */
export function timeSplit(features: DailyFeatures, splitDay: number, horizon: number, validFraction = 0): TimeSplit {
  const { days, vehicles } = features;
  if (!(splitDay > horizon && splitDay < days)) throw new DataError(`timeSplit: split day ${splitDay} must lie in (${horizon}, ${days}) for horizon ${horizon}`);
  if (!(validFraction >= 0 && validFraction < 1)) throw new DataError(`timeSplit: validFraction ${validFraction} must lie in [0, 1)`);
  const usable = splitDay - horizon;
  const validDays = validFraction > 0 ? Math.max(1, Math.round(validFraction * usable)) : 0;
  const validStart = usable - validDays;
  const trainEnd = validDays > 0 ? validStart - horizon : usable;
  if (trainEnd <= 0) {
    throw new DataError(
      `timeSplit: horizon ${horizon} leaves no training days before the validation slice (split day ${splitDay}, validation days ${validStart}..${usable - 1}, gap ${horizon}); lower validFraction or simulate more days`,
    );
  }
  const train: number[] = [];
  const valid: number[] = [];
  const test: number[] = [];
  for (let v = 0; v < vehicles; v++) {
    for (let d = 0; d < days; d++) {
      const r = v * days + d;
      if (!features.present[r] || features.inRepair[r] || features.failure[r]) continue;
      if (d < trainEnd) train.push(r);
      else if (d >= validStart && d < usable && validDays > 0) valid.push(r);
      else if (d >= splitDay) test.push(r);
    }
  }
  return { splitDay, validStart, train: Int32Array.from(train), valid: Int32Array.from(valid), test: Int32Array.from(test) };
}

/** The rows `rows` of a matrix as a new matrix. */
export function takeRows(X: FeatureMatrix, rows: Int32Array): FeatureMatrix {
  const p = X.nCols;
  const values = new Float64Array(rows.length * p);
  for (let i = 0; i < rows.length; i++) values.set(X.values.subarray(rows[i] * p, rows[i] * p + p), i * p);
  return { nRows: rows.length, nCols: p, values };
}

/** Severity classes, mildest first. */
export const SEVERITY_CLASSES = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;

/**
 * Severity of a vehicle-day from per-horizon alerts (horizons ascending): an alert at the shortest
 * horizon is CRITICAL, at the second HIGH, at any longer one MEDIUM, none LOW.
 */
export function severityOf(alerts: readonly boolean[]): (typeof SEVERITY_CLASSES)[number] {
  if (alerts[0]) return "CRITICAL";
  if (alerts.length > 1 && alerts[1]) return "HIGH";
  for (let k = 2; k < alerts.length; k++) if (alerts[k]) return "MEDIUM";
  return "LOW";
}

interface HorizonResult {
  horizon: number;
  booster: Booster;
  split: TimeSplit;
  proba: Float64Array;
  yTest: Uint8Array;
  threshold: number;
}

export default defineExperiment({
  name: "failure-prediction",
  description: "EV failure prediction at 7/14/30 days: leakage-safe daily features, a time-based split and one boosted model per horizon, with PR-AUC, recall at precision, alert lead time, SHAP and severity classes.",
  schema: failurePredictionSchema,
  async run(config, { run, rng, log }) {
    const horizons = [...config.horizons].sort((a, b) => a - b);
    const sim = simulateEv({ vehicles: config.ev.vehicles, days: config.ev.days, failureRatePerVehicleYear: config.ev.failureRatePerVehicleYear }, rng.fork(1));
    const { vehicles, days } = config.ev;
    const features = dailyFeatures(sim.table, vehicles, days, horizons);
    const p = features.featureNames.length;
    const splitDay = Math.floor(days * config.trainFraction);
    const failuresInData = sim.failures.filter((f) => f.day < days);
    log(`EV data: ${sim.table.length} vehicle-days, ${failuresInData.length} failures; ${p} features; split at day ${splitDay}`);
    await run.logMetrics({ "data.rows": sim.table.length, "data.failures": failuresInData.length, "data.features": p, "split.day": splitDay });

    const results: HorizonResult[] = [];
    const rocCurves: RocCurve[] = [];
    const prCurves: PrCurve[] = [];
    const summaryRows: (string | number)[][] = [];
    const metrics: Record<string, number> = {};
    for (const h of horizons) {
      const split = timeSplit(features, splitDay, h, config.validFraction);
      const labels = features.labels.get(h) as Uint8Array;
      const yTrain = Uint8Array.from(split.train, (r) => labels[r]);
      const yValid = Uint8Array.from(split.valid, (r) => labels[r]);
      const yTest = Uint8Array.from(split.test, (r) => labels[r]);
      const count = (y: Uint8Array) => y.reduce((a, b) => a + b, 0);
      const pos = count(yTrain);
      const validPos = count(yValid);
      const testPos = count(yTest);
      if (pos === 0 || validPos === 0 || validPos === yValid.length || testPos === 0 || testPos === yTest.length) {
        throw new DataError(
          `failure-prediction: horizon ${h}d has ${pos} positive training rows, ${validPos} of ${yValid.length} positive validation rows and ${testPos} of ${yTest.length} positive test rows; each needs both classes: simulate more vehicles or days`,
        );
      }
      const weight = config.model.positiveWeight === "auto" ? (yTrain.length - pos) / pos : config.model.positiveWeight;
      const XValid = takeRows(features.X, split.valid);
      const booster = train(
        {
          objective: "binary",
          learningRate: config.model.learningRate,
          numLeaves: config.model.numLeaves,
          minDataInLeaf: config.model.minDataInLeaf,
          featureFraction: config.model.featureFraction,
          baggingFraction: config.model.baggingFraction,
          baggingFreq: config.model.baggingFraction < 1 ? 1 : 0,
          scalePosWeight: weight,
          metric: ["average_precision"],
        },
        { X: takeRows(features.X, split.train), y: yTrain, featureNames: features.featureNames },
        {
          numBoostRound: config.model.numBoostRound,
          rng: rng.fork(100 + h),
          validSets: [{ X: XValid, y: yValid }],
          validNames: ["valid"],
          earlyStoppingRounds: config.model.earlyStoppingRounds > 0 ? config.model.earlyStoppingRounds : undefined,
        },
      );
      // The alert threshold comes from the validation slice; the test period only reports.
      const validProba = booster.predict(XValid);
      const validAtPrecision = recallAtPrecision(yValid, validProba, config.targetPrecision);
      const threshold = validAtPrecision?.threshold ?? Infinity;
      const XTest = takeRows(features.X, split.test);
      const proba = booster.predict(XTest);
      const pr = averagePrecision(yTest, proba);
      const roc = rocAuc(yTest, proba);
      const atThreshold = precisionRecallF1(yTest, proba, threshold);
      const rc = rocCurve(yTest, proba);
      const prc = precisionRecallCurve(yTest, proba);
      rocCurves.push({ label: `${h}d`, fpr: rc.fpr, tpr: rc.tpr, auc: roc });
      prCurves.push({ label: `${h}d`, recall: prc.recall, precision: prc.precision, averagePrecision: pr });
      const key = `h${h}d`;
      const m: Record<string, number> = {
        [`${key}.train_rows`]: split.train.length,
        [`${key}.train_positives`]: pos,
        [`${key}.valid_rows`]: split.valid.length,
        [`${key}.valid_positives`]: validPos,
        [`${key}.valid_start_day`]: split.validStart,
        [`${key}.test_rows`]: split.test.length,
        [`${key}.test_positives`]: testPos,
        [`${key}.positive_weight`]: weight,
        [`${key}.best_iteration`]: booster.bestIteration > 0 ? booster.bestIteration : booster.numIterations,
        [`${key}.valid_pr_auc`]: averagePrecision(yValid, validProba),
        [`${key}.valid_recall_at_precision`]: validAtPrecision?.recall ?? 0,
        [`${key}.alert_threshold`]: Number.isFinite(threshold) ? threshold : 1,
        [`${key}.pr_auc`]: pr,
        [`${key}.roc_auc`]: roc,
        [`${key}.prevalence`]: testPos / yTest.length,
        [`${key}.alerts`]: atThreshold.tp + atThreshold.fp,
        [`${key}.precision_at_alert_threshold`]: atThreshold.precision,
        [`${key}.recall_at_alert_threshold`]: atThreshold.recall,
      };
      await run.logMetrics(m);
      Object.assign(metrics, {
        [`${key}.pr_auc`]: pr,
        [`${key}.roc_auc`]: roc,
        [`${key}.precision_at_alert_threshold`]: atThreshold.precision,
        [`${key}.recall_at_alert_threshold`]: atThreshold.recall,
      });
      await run.logJson(booster.toJSON(), `model/booster_${h}d.json`);
      results.push({ horizon: h, booster, split, proba, yTest, threshold });
      summaryRows.push([`${h}d`, split.train.length, pos, split.valid.length, validPos, split.test.length, testPos, m[`${key}.best_iteration`], roc, pr, atThreshold.precision, atThreshold.recall]);
    }
    log(
      renderTable(
        ["horizon", "train rows", "train pos", "valid rows", "valid pos", "test rows", "test pos", "rounds", "ROC-AUC", "PR-AUC", "precision @ alert", "recall @ alert"],
        summaryRows,
      ),
    );

    // --- Lead time: for each failure in the test period, days between its first true alert and the failure.
    for (const res of results) {
      const lead = alertLeadTimes(features, res, failuresInData);
      const key = `h${res.horizon}d`;
      const sorted = Float64Array.from(lead.leads).sort();
      const mean = sorted.length > 0 ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0;
      const median = sorted.length > 0 ? sorted[Math.floor((sorted.length - 1) / 2)] : 0;
      await run.logMetrics({ [`${key}.lead_time_mean_days`]: mean, [`${key}.lead_time_median_days`]: median, [`${key}.failures_alerted`]: sorted.length, [`${key}.failures_in_test`]: lead.failures });
      metrics[`${key}.lead_time_mean_days`] = mean;
      log(`${res.horizon}d: ${sorted.length} of ${lead.failures} test-period failures alerted in advance; mean lead ${mean.toFixed(1)} days, median ${median}`);
    }

    // --- SHAP: mean |SHAP| per feature on evenly spaced test rows.
    for (const res of results) {
      const step = Math.max(1, Math.floor(res.split.test.length / config.shapRows));
      const rows = Int32Array.from({ length: Math.ceil(res.split.test.length / step) }, (_, i) => res.split.test[i * step]);
      const Xs = takeRows(features.X, rows);
      const contrib = res.booster.shapValues(Xs);
      const shap = new Float64Array(rows.length * p);
      for (let i = 0; i < rows.length; i++) shap.set(contrib.subarray(i * (p + 1), i * (p + 1) + p), i * p);
      const { order, meanAbs } = shapImportance(shap, p);
      const top = Array.from(order.subarray(0, 5));
      for (let k = 0; k < top.length; k++) await run.logMetric(`h${res.horizon}d.shap.${features.featureNames[top[k]]}`, meanAbs[top[k]]);
      await run.logJson(Array.from(order, (j) => ({ feature: features.featureNames[j], meanAbsShap: meanAbs[j] })), `tables/shap_importance_${res.horizon}d.json`);
      log(`${res.horizon}d top SHAP features: ${top.map((j) => `${features.featureNames[j]} (${meanAbs[j].toFixed(3)})`).join(", ")}`);
      await logPlot(run, shapSummaryPlot({ featureNames: features.featureNames, shap, values: Xs.values }, { title: `SHAP, ${res.horizon}-day model` }), `plots/shap_${res.horizon}d`, { png: false });
    }

    // --- Severity per test vehicle-day, from the alerts of every horizon (rows common to all).
    const byRow = results.map((res) => {
      const map = new Map<number, number>();
      res.split.test.forEach((r, i) => map.set(r, res.proba[i]));
      return map;
    });
    const counts = new Float64Array(SEVERITY_CLASSES.length);
    const failing7 = new Float64Array(SEVERITY_CLASSES.length);
    const label7 = features.labels.get(horizons[0]) as Uint8Array;
    const lines = ["vehicle_id,day," + horizons.map((h) => `p_${h}d`).join(",") + ",severity"];
    for (const r of results[0].split.test) {
      const probs = byRow.map((m) => m.get(r) ?? 0);
      const sev = severityOf(probs.map((q, k) => q >= results[k].threshold));
      const s = SEVERITY_CLASSES.indexOf(sev);
      counts[s]++;
      failing7[s] += label7[r];
      lines.push(`${Math.floor(r / days) + 1},${r % days},${probs.map((q) => q.toPrecision(4)).join(",")},${sev}`);
    }
    await run.logText(lines.join("\n") + "\n", "tables/severity.csv");
    const sevRows: (string | number)[][] = [];
    for (let s = 0; s < SEVERITY_CLASSES.length; s++) {
      await run.logMetrics({ [`severity.${SEVERITY_CLASSES[s]}.rows`]: counts[s], [`severity.${SEVERITY_CLASSES[s]}.failure_rate_${horizons[0]}d`]: counts[s] > 0 ? failing7[s] / counts[s] : 0 });
      sevRows.push([SEVERITY_CLASSES[s], counts[s], counts[s] > 0 ? failing7[s] / counts[s] : NaN]);
    }
    log(renderTable(["severity", "vehicle-days", `share failing within ${horizons[0]}d`], sevRows));

    await logPlot(run, rocPlot(rocCurves, { title: "ROC, test period" }), "plots/roc", { png: false });
    await logPlot(run, prPlot(prCurves, { title: "Precision-recall, test period" }), "plots/pr", { png: false });
    const conclusion = [
      "# Failure prediction",
      "",
      `${vehicles} vehicles x ${days} days, test period from day ${splitDay}. Early stopping and the alert threshold (highest validation recall at validation precision >= ${config.targetPrecision}) use a validation slice: the latest ${Math.round(config.validFraction * 100)}% of each horizon's label-closed training days, one horizon after the last training label. Test-period numbers below are untouched by any choice.`,
      "",
      "| horizon | rounds | ROC-AUC | PR-AUC | precision at alert threshold | recall at alert threshold |",
      "|---|---|---|---|---|---|",
      ...summaryRows.map(
        (r) => `| ${r[0]} | ${r[7]} | ${(r[8] as number).toFixed(3)} | ${(r[9] as number).toFixed(3)} | ${(r[10] as number).toFixed(3)} | ${(r[11] as number).toFixed(3)} |`,
      ),
    ].join("\n");
    await run.logText(conclusion + "\n", "conclusion.md");
    await run.setDescription(conclusion);
    return { metrics, lines: summaryRows.map((r) => `${r[0]}: ROC-AUC ${(r[8] as number).toFixed(3)}, PR-AUC ${(r[9] as number).toFixed(3)}`) };
  },
});

/** Lead times (days from the first alert inside the label window to the failure) of test-period failures. */
function alertLeadTimes(features: DailyFeatures, res: HorizonResult, failures: readonly EvFailure[]): { leads: number[]; failures: number } {
  const { days } = features;
  const probaAt = new Map<number, number>();
  res.split.test.forEach((r, i) => probaAt.set(r, res.proba[i]));
  const leads: number[] = [];
  let count = 0;
  for (const f of failures) {
    if (f.day - res.horizon < res.split.splitDay || f.day >= days) continue;
    count++;
    const base = (f.vehicleId - 1) * days;
    for (let d = f.day - res.horizon; d < f.day; d++) {
      const q = probaAt.get(base + d);
      if (q !== undefined && q >= res.threshold) {
        leads.push(f.day - d);
        break;
      }
    }
  }
  return { leads, failures: count };
}
