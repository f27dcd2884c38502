/**
 * Charts for comparing tracked runs: a metric across runs (one dot per run, with an interval when
 * known) and a metric against a swept parameter (replicates as dots, their mean as a line).
 */
import * as Plot from "@observablehq/plot";
import { renderPlot, type Figure, type FigureOptions, type LegendEntry } from "./render.js";
import { invalid, seriesColor } from "./options.js";

/** One run's value of a metric. */
export interface RunValue {
  label: string;
  value: number;
}

/** Options of the per-run metric chart. */
export interface RunMetricOptions extends FigureOptions {
  width?: number;
  rowHeight?: number;
  metric?: string;
}

/** A metric's value in each run, one row per run in the given order. */
export function runMetricPlot(runs: readonly RunValue[], options: RunMetricOptions = {}): Figure {
  if (runs.length === 0) invalid("runs", runs, "expected at least one run");
  const finite = runs.filter((r) => Number.isFinite(r.value));
  const labels = runs.map((r) => r.label);
  const lo = Math.min(0, ...finite.map((r) => r.value));
  const marginLeft = Math.min(240, 16 + 6.5 * Math.max(...labels.map((l) => l.length)));
  return renderPlot(
    {
      width: options.width ?? 640,
      height: 50 + runs.length * (options.rowHeight ?? 24),
      marginLeft,
      marginRight: 70,
      x: { label: options.metric ?? "value", grid: true },
      y: { domain: labels, label: null },
      marks: [
        Plot.ruleY(finite, { y: (r: RunValue) => r.label, x1: lo, x2: (r: RunValue) => r.value, stroke: "#ccc" }),
        Plot.dot(finite, { y: (r: RunValue) => r.label, x: (r: RunValue) => r.value, fill: seriesColor(0), r: 4 }),
        Plot.text(finite, { y: (r: RunValue) => r.label, x: (r: RunValue) => r.value, text: (r: RunValue) => r.value.toPrecision(4), dx: 8, textAnchor: "start", fill: "#333" }),
      ],
    },
    options,
  );
}

/** Points of a metric against a swept numeric parameter, optionally grouped (one color per group). */
export interface SweepPoints {
  x: readonly number[];
  y: readonly number[];
  group?: readonly string[];
}

/** Options of the metric-vs-parameter chart. */
export interface SweepPlotOptions extends FigureOptions {
  width?: number;
  height?: number;
  xLabel?: string;
  yLabel?: string;
  logX?: boolean;
}

/** A metric against a swept parameter: every run as a dot, the mean per parameter value as a line. */
export function metricSweepPlot(points: SweepPoints, options: SweepPlotOptions = {}): Figure {
  const n = points.x.length;
  if (n === 0) invalid("x", points.x, "expected at least one point");
  if (points.y.length !== n) invalid("y.length", points.y.length, `expected ${n}, the length of x`);
  if (points.group && points.group.length !== n) invalid("group.length", points.group.length, `expected ${n}, the length of x`);
  const groups = points.group ? [...new Set(points.group)] : ["all"];
  const marks: Plot.Markish[] = [];
  const legend: LegendEntry[] = [];
  groups.forEach((g, gi) => {
    const idx: number[] = [];
    for (let i = 0; i < n; i++) if ((points.group ? points.group[i] : "all") === g && Number.isFinite(points.y[i])) idx.push(i);
    const color = seriesColor(gi);
    const xs = idx.map((i) => points.x[i]);
    const ys = idx.map((i) => points.y[i]);
    const sums = new Map<number, { s: number; k: number }>();
    for (let k = 0; k < xs.length; k++) {
      const e = sums.get(xs[k]) ?? { s: 0, k: 0 };
      e.s += ys[k];
      e.k += 1;
      sums.set(xs[k], e);
    }
    const mx = [...sums.keys()].sort((a, b) => a - b);
    const my = mx.map((x) => (sums.get(x) as { s: number; k: number }).s / (sums.get(x) as { s: number; k: number }).k);
    marks.push(Plot.dot({ length: xs.length }, { x: xs, y: ys, stroke: color, r: 3.5 }));
    marks.push(Plot.line({ length: mx.length }, { x: mx, y: my, stroke: color, strokeWidth: 1.75, marker: "dot" }));
    legend.push({ label: points.group ? g : "mean over runs", color, shape: "line" });
  });
  return renderPlot(
    {
      width: options.width ?? 560,
      height: options.height ?? 320,
      marginLeft: 56,
      x: { label: options.xLabel ?? "parameter", grid: true, type: options.logX ? "log" : "linear" },
      y: { label: options.yLabel ?? "metric", grid: true },
      marks,
    },
    { ...options, legend: options.legend ?? legend },
  );
}

/** One run's history of a metric. */
export interface MetricHistory {
  label: string;
  step: readonly number[];
  value: readonly number[];
}

/** A metric's logged history (value by step), one line per run. */
export function metricHistoryPlot(histories: readonly MetricHistory[], options: SweepPlotOptions = {}): Figure {
  if (histories.length === 0) invalid("histories", histories, "expected at least one run's history");
  const marks: Plot.Markish[] = [];
  const legend: LegendEntry[] = [];
  histories.forEach((h, i) => {
    if (h.step.length !== h.value.length) invalid(`histories[${i}].value.length`, h.value.length, `expected ${h.step.length}, the length of step`);
    const color = seriesColor(i);
    marks.push(Plot.lineY({ length: h.step.length }, { x: h.step as number[], y: h.value as number[], stroke: color, strokeWidth: 1.5 }));
    legend.push({ label: h.label, color, shape: "line" });
  });
  return renderPlot(
    {
      width: options.width ?? 560,
      height: options.height ?? 300,
      marginLeft: 56,
      x: { label: options.xLabel ?? "step", grid: true },
      y: { label: options.yLabel ?? "value", grid: true },
      marks,
    },
    { ...options, legend: options.legend ?? legend },
  );
}
