/** The seeded sample of every chart, shared by the snapshot test and the preview script. */
import { armComparisonPlot } from "../../lib/plot/arms.js";
import { changeSeriesPlot } from "../../lib/plot/changepoint.js";
import { prPlot, rocPlot } from "../../lib/plot/classification.js";
import { densityPlot } from "../../lib/plot/density.js";
import type { Figure } from "../../lib/plot/render.js";
import { metricSweepPlot, runMetricPlot } from "../../lib/plot/runs.js";
import { shapSummaryPlot } from "../../lib/plot/shap.js";
import { survivalPlot } from "../../lib/plot/survival.js";
import { thresholdSweepPlot } from "../../lib/plot/threshold-sweep.js";
import { rankPlot, tracePlot } from "../../lib/plot/trace.js";
import { createRng } from "../../lib/util/random.js";
import { seededChains, seededCounts, seededScores, seededSurvival } from "./fixtures.js";

function curves(y: Uint8Array, score: Float64Array) {
  const idx = Array.from(score.keys()).sort((a, b) => score[b] - score[a]);
  const P = y.reduce((s, v) => s + v, 0);
  const N = y.length - P;
  const fpr = [0];
  const tpr = [0];
  const precision = [1];
  const recall = [0];
  const thresholds: number[] = [];
  const f1: number[] = [];
  let tp = 0;
  let fp = 0;
  for (const i of idx) {
    if (y[i]) tp++;
    else fp++;
    fpr.push(fp / N);
    tpr.push(tp / P);
    precision.push(tp / (tp + fp));
    recall.push(tp / P);
    thresholds.push(score[i]);
    f1.push((2 * tp) / (2 * tp + fp + (P - tp)));
  }
  return { fpr, tpr, precision, recall, thresholds, f1, prec: precision.slice(1), rec: recall.slice(1) };
}

/** Every chart type rendered from seeded data. */
export function sampleCharts(): Record<string, Figure> {
  const km = [seededSurvival(1, 60, 0.1, "firmware 4.1"), seededSurvival(2, 60, 0.18, "firmware 4.2")];
  const weib = { label: "Weibull fit", time: Array.from({ length: 50 }, (_, i) => i * 0.8), survival: Array.from({ length: 50 }, (_, i) => Math.exp(-Math.pow((i * 0.8) / 9, 1.1))), smooth: true };
  const chains = seededChains(3, 4, 300);
  const stuck = seededChains(4, 4, 300, true);
  const { counts, expected } = seededCounts(5, 120);
  const prob = Array.from(counts, (_, d) => (d >= 62 && d <= 76 ? 0.7 + 0.2 * Math.sin(d) : 0.05 + 0.04 * Math.cos(d)));
  const a = seededScores(6, 400, 0.1);
  const b = seededScores(7, 400, 0.1);
  const ca = curves(a.y, a.score);
  const cb = curves(b.y, b.score);
  const rng = createRng(8);
  const n = 150;
  const p = 5;
  const shap = new Float64Array(n * p);
  const values = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      values[i * p + j] = rng.normal();
      shap[i * p + j] = values[i * p + j] * (p - j) * 0.1 + 0.02 * rng.normal();
    }
  }
  return {
    survival: survivalPlot([...km, weib], { title: "Time to first critical event", subtitle: "Kaplan-Meier with 95% bands", xLabel: "days" }),
    trace: tracePlot(chains, { title: "Trace: shape", parameter: "shape" }),
    rank: rankPlot(stuck, { title: "Rank plot: one chain stuck", parameter: "shape" }),
    density: densityPlot(
      [
        { label: "prior", draws: Array.from({ length: 400 }, () => rng.normal() * 2) },
        { label: "posterior", draws: chains.flatMap((c) => Array.from(c, (v) => 1 + 0.3 * v)) },
      ],
      { title: "Posterior of the log hazard ratio", reference: 1, referenceLabel: "true value", interval: 0.9 },
    ),
    changepoint: changeSeriesPlot(
      { values: counts, expected, probability: prob, detected: [{ start: 62, end: 76 }], truth: [{ start: 60, end: 74 }] },
      { title: "Daily critical events", threshold: 0.5, probabilityLabel: "P(change)" },
    ),
    roc: rocPlot([
      { label: "model A", fpr: ca.fpr, tpr: ca.tpr, auc: 0.8 },
      { label: "model B", fpr: cb.fpr, tpr: cb.tpr },
    ], { title: "ROC" }),
    pr: prPlot([{ label: "model A", recall: ca.recall, precision: ca.precision, averagePrecision: 0.4 }], { title: "Precision-recall", prevalence: 0.1 }),
    sweep: thresholdSweepPlot(ca.thresholds, [
      { label: "precision", values: ca.prec },
      { label: "recall", values: ca.rec },
      { label: "F1", values: ca.f1 },
    ], { title: "Threshold sweep", chosen: 1.5 }),
    shap: shapSummaryPlot({ featureNames: ["speed", "road_type", "weather", "firmware", "time_of_day"], shap, values }, { title: "SHAP summary" }),
    arms: armComparisonPlot([
      { label: "control", estimate: 2.5, lower: 2.1, upper: 2.9 },
      { label: "firmware 4.2", estimate: 2.2, lower: 1.8, upper: 2.7 },
      { label: "firmware 4.3 (regressed)", estimate: 4.1, lower: 3.4, upper: 4.9 },
    ], { title: "Critical events per million miles", reference: 2.5, xLabel: "rate per million miles" }),
    runMetric: runMetricPlot([
      { label: "a1b2c3d4 base", value: 0.12 },
      { label: "e5f6a7b8 long", value: 0.08 },
    ], { title: "final_interval_width", metric: "final_interval_width" }),
    metricSweep: metricSweepPlot({ x: [100, 100, 200, 200, 400, 400], y: [0.5, 0.45, 0.33, 0.36, 0.25, 0.24] }, { title: "Interval width vs vehicles", xLabel: "vehicles", yLabel: "final_interval_width", logX: true }),
  };
}
