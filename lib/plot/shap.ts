/**
 * SHAP summary (beeswarm-like): one row per feature ordered by mean |SHAP|, one dot per sample at
 * its SHAP value, stacked vertically where dots crowd, colored by the feature's value rank (blue
 * low, red high) as in the shap package's summary plot.
 */
import * as Plot from "@observablehq/plot";
import { renderPlot, type Figure, type FigureOptions } from "./render.js";
import { invalid, numbers, type Numbers } from "./options.js";

/** SHAP values of n samples x p features, row-major, with the features' values for coloring. */
export interface ShapSummaryData {
  featureNames: readonly string[];
  /** n * p SHAP values, row-major (sample i, feature j at i * p + j). */
  shap: Numbers;
  /** n * p feature values in the same layout (optional: dots are grey without it). */
  values?: Numbers;
}

/** Options of the SHAP summary chart. */
export interface ShapSummaryOptions extends FigureOptions {
  width?: number;
  /** Height per feature row. */
  rowHeight?: number;
  /** Show at most this many features (default 12). */
  maxFeatures?: number;
}

/** Feature order (indices) by decreasing mean |SHAP|, and the means. */
export function shapImportance(shap: Numbers, p: number): { order: Int32Array; meanAbs: Float64Array } {
  const n = shap.length / p;
  const meanAbs = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) meanAbs[j] += Math.abs(shap[i * p + j]);
  for (let j = 0; j < p; j++) meanAbs[j] /= n;
  const order = Int32Array.from({ length: p }, (_, j) => j).sort((a, b) => meanAbs[b] - meanAbs[a] || a - b);
  return { order, meanAbs };
}

/**
 * Vertical offsets (in rows, |offset| <= 0.4) that spread dots sharing an x bin: 0, +1, -1, +2, ...
 * steps, scaled so the most crowded bin fills the row. Deterministic: sample order breaks ties.
 */
export function beeswarmOffsets(x: Numbers, bins = 60): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  const width = hi > lo ? (hi - lo) / bins : 1;
  const counts = new Int32Array(bins + 1);
  const slot = new Int32Array(n);
  let max = 1;
  for (let i = 0; i < n; i++) {
    const b = Math.min(bins, Math.floor((x[i] - lo) / width));
    const k = counts[b]++;
    slot[i] = k % 2 === 0 ? k / 2 : -(k + 1) / 2;
    if (counts[b] > max) max = counts[b];
  }
  const scale = max > 1 ? 0.4 / Math.ceil((max - 1) / 2) : 0;
  for (let i = 0; i < n; i++) out[i] = slot[i] * scale;
  return out;
}

function valueRanks(values: Numbers, p: number, j: number, n: number): Float64Array {
  const idx = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a * p + j] - values[b * p + j] || a - b);
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) out[idx[r]] = n > 1 ? r / (n - 1) : 0.5;
  return out;
}

/** Beeswarm-like SHAP summary of the most important features. */
export function shapSummaryPlot(data: ShapSummaryData, options: ShapSummaryOptions = {}): Figure {
  const p = data.featureNames.length;
  if (p === 0) invalid("featureNames", data.featureNames, "expected at least one feature");
  const shap = numbers("shap", data.shap, p);
  if (shap.length % p !== 0) invalid("shap.length", shap.length, `expected a multiple of ${p} features`);
  const n = shap.length / p;
  if (data.values && data.values.length !== shap.length) invalid("values.length", data.values.length, `expected ${shap.length} like shap`);
  const { order } = shapImportance(shap, p);
  const shown = Array.from(order.slice(0, Math.min(p, options.maxFeatures ?? 12)));
  const total = shown.length * n;
  const xs = new Float64Array(total);
  const ys = new Float64Array(total);
  const color = new Float64Array(total);
  shown.forEach((j, row) => {
    const column = new Float64Array(n);
    for (let i = 0; i < n; i++) column[i] = shap[i * p + j];
    const offsets = beeswarmOffsets(column);
    const ranks = data.values ? valueRanks(data.values, p, j, n) : null;
    for (let i = 0; i < n; i++) {
      const k = row * n + i;
      xs[k] = column[i];
      ys[k] = row + offsets[i];
      color[k] = ranks ? ranks[i] : 0.5;
    }
  });
  const names = shown.map((j) => data.featureNames[j]);
  const rowHeight = options.rowHeight ?? 30;
  const marginLeft = Math.min(220, 16 + 6.5 * Math.max(...names.map((s) => s.length)));
  return renderPlot(
    {
      width: options.width ?? 640,
      height: 60 + shown.length * rowHeight,
      marginLeft,
      x: { label: "SHAP value (impact on model output)", grid: true },
      y: { domain: [shown.length - 0.5, -0.5], ticks: shown.map((_, r) => r), tickFormat: (r: number) => names[r] ?? "", label: null, tickSize: 0 },
      color: data.values ? { type: "linear", domain: [0, 1], range: ["#008bfb", "#ff0051"], interpolate: "rgb" } : undefined,
      marks: [
        Plot.ruleX([0], { stroke: "#888" }),
        Plot.dot({ length: total }, { x: xs, y: ys, fill: data.values ? color : "#777", r: 2.2, fillOpacity: 0.85 }),
      ],
    },
    {
      ...options,
      legend: options.legend ?? (data.values ? [{ label: "low feature value", color: "#008bfb" }, { label: "high feature value", color: "#ff0051" }] : undefined),
    },
  );
}
