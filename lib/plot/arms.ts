/**
 * Arm comparisons (a forest plot): each arm's estimate with its interval on one row, against a
 * reference value such as the control's rate or a hazard ratio of 1.
 */
import * as Plot from "@observablehq/plot";
import { renderPlot, type Figure, type FigureOptions } from "./render.js";
import { invalid, seriesColor } from "./options.js";

/** One arm (or group, or model) with its estimate and interval. */
export interface ArmEstimate {
  label: string;
  estimate: number;
  lower: number;
  upper: number;
}

/** Options of the arm comparison chart. */
export interface ArmPlotOptions extends FigureOptions {
  width?: number;
  /** Height per arm row. */
  rowHeight?: number;
  xLabel?: string;
  /** A vertical reference line (e.g. 1 for hazard ratios). */
  reference?: number;
  /** Log-scaled x axis (ratios). */
  log?: boolean;
}

/** Estimates with intervals, one row per arm, in the given order. */
export function armComparisonPlot(arms: readonly ArmEstimate[], options: ArmPlotOptions = {}): Figure {
  if (arms.length === 0) invalid("arms", arms, "expected at least one arm");
  arms.forEach((a, i) => {
    if (![a.estimate, a.lower, a.upper].every(Number.isFinite)) invalid(`arms[${i}]`, a, "expected finite estimate, lower and upper");
    if (!(a.lower <= a.estimate && a.estimate <= a.upper)) invalid(`arms[${i}]`, a, "expected lower <= estimate <= upper");
    if (options.log && !(a.lower > 0)) invalid(`arms[${i}].lower`, a.lower, "expected a positive value on a log axis");
  });
  const labels = arms.map((a) => a.label);
  const colors = arms.map((_, i) => seriesColor(i));
  const marks: Plot.Markish[] = [];
  if (options.reference !== undefined) marks.push(Plot.ruleX([options.reference], { stroke: "#888", strokeDasharray: "4,3" }));
  marks.push(
    Plot.ruleY(arms, { y: (a: ArmEstimate) => a.label, x1: (a: ArmEstimate) => a.lower, x2: (a: ArmEstimate) => a.upper, stroke: (_a: ArmEstimate, i: number) => colors[i], strokeWidth: 2.5 }),
    Plot.tickX(arms, { y: (a: ArmEstimate) => a.label, x: (a: ArmEstimate) => a.lower, stroke: (_a: ArmEstimate, i: number) => colors[i], strokeWidth: 1.5, inset: 6 }),
    Plot.tickX(arms, { y: (a: ArmEstimate) => a.label, x: (a: ArmEstimate) => a.upper, stroke: (_a: ArmEstimate, i: number) => colors[i], strokeWidth: 1.5, inset: 6 }),
    Plot.dot(arms, { y: (a: ArmEstimate) => a.label, x: (a: ArmEstimate) => a.estimate, fill: (_a: ArmEstimate, i: number) => colors[i], r: 4.5, stroke: "white" }),
    Plot.text(arms, {
      y: (a: ArmEstimate) => a.label,
      x: (a: ArmEstimate) => a.upper,
      text: (a: ArmEstimate) => `${fmt(a.estimate)} [${fmt(a.lower)}, ${fmt(a.upper)}]`,
      dx: 8,
      textAnchor: "start",
      fill: "#333",
    }),
  );
  const marginLeft = Math.min(220, 16 + 6.5 * Math.max(...labels.map((l) => l.length)));
  return renderPlot(
    {
      width: options.width ?? 640,
      height: 50 + arms.length * (options.rowHeight ?? 34),
      marginLeft,
      marginRight: 150,
      x: { label: options.xLabel ?? "estimate", grid: true, type: options.log ? "log" : "linear" },
      y: { domain: labels, label: null },
      // Plot's scale type for colors is not needed: colors are literal.
      color: { type: "identity" },
      marks,
    },
    options,
  );
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.01 || a >= 1e4)) return v.toExponential(2);
  return v.toPrecision(3);
}
