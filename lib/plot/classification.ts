/**
 * Classifier curves: ROC (true vs false positive rate, with the chance diagonal) and
 * precision-recall (with the prevalence baseline), several models per chart.
 */
import * as Plot from "@observablehq/plot";
import { renderPlot, type Figure, type FigureOptions, type LegendEntry } from "./render.js";
import { column, invalid, numbers, sameLength, seriesColor, type Numbers } from "./options.js";

/** One ROC curve: false and true positive rates at decreasing thresholds. */
export interface RocCurve {
  label: string;
  fpr: Numbers;
  tpr: Numbers;
  /** Shown in the legend when given. */
  auc?: number;
  color?: string;
}

/** One precision-recall curve. */
export interface PrCurve {
  label: string;
  recall: Numbers;
  precision: Numbers;
  /** Average precision, shown in the legend when given. */
  averagePrecision?: number;
  color?: string;
}

/** Options shared by the curve charts. */
export interface CurvePlotOptions extends FigureOptions {
  width?: number;
  height?: number;
}

/** ROC curves with the chance diagonal. */
export function rocPlot(curves: readonly RocCurve[], options: CurvePlotOptions = {}): Figure {
  if (curves.length === 0) invalid("curves", curves, "expected at least one curve");
  const marks: Plot.Markish[] = [Plot.line([[0, 0], [1, 1]], { stroke: "#999", strokeDasharray: "4,3" })];
  const legend: LegendEntry[] = [];
  curves.forEach((c, i) => {
    const fpr = numbers(`curves[${i}].fpr`, c.fpr, 2);
    const tpr = numbers(`curves[${i}].tpr`, c.tpr, 2);
    sameLength(`curves[${i}].fpr`, fpr, `curves[${i}].tpr`, tpr);
    const color = c.color ?? seriesColor(i);
    marks.push(Plot.line({ length: fpr.length }, { x: column(fpr), y: column(tpr), stroke: color, strokeWidth: 1.75 }));
    legend.push({ label: c.auc === undefined ? c.label : `${c.label} (AUC ${c.auc.toFixed(3)})`, color, shape: "line" });
  });
  legend.push({ label: "chance", color: "#999", shape: "dash" });
  const size = options.width ?? 420;
  return renderPlot(
    {
      width: size,
      height: options.height ?? size,
      marginLeft: 48,
      x: { label: "false positive rate", domain: [0, 1], grid: true },
      y: { label: "true positive rate", domain: [0, 1], grid: true },
      marks,
    },
    { ...options, legend: options.legend ?? legend },
  );
}

/** Precision-recall curves (step interpolation, as average precision is computed) with an optional prevalence baseline. */
export function prPlot(curves: readonly PrCurve[], options: CurvePlotOptions & { prevalence?: number } = {}): Figure {
  if (curves.length === 0) invalid("curves", curves, "expected at least one curve");
  const marks: Plot.Markish[] = [];
  const legend: LegendEntry[] = [];
  curves.forEach((c, i) => {
    const recall = numbers(`curves[${i}].recall`, c.recall, 2);
    const precision = numbers(`curves[${i}].precision`, c.precision, 2);
    sameLength(`curves[${i}].recall`, recall, `curves[${i}].precision`, precision);
    const color = c.color ?? seriesColor(i);
    marks.push(Plot.line({ length: recall.length }, { x: column(recall), y: column(precision), stroke: color, strokeWidth: 1.75, curve: "step-before" }));
    legend.push({ label: c.averagePrecision === undefined ? c.label : `${c.label} (AP ${c.averagePrecision.toFixed(3)})`, color, shape: "line" });
  });
  if (options.prevalence !== undefined) {
    if (!(options.prevalence >= 0 && options.prevalence <= 1)) invalid("prevalence", options.prevalence, "expected a proportion in [0, 1]");
    marks.push(Plot.ruleY([options.prevalence], { stroke: "#999", strokeDasharray: "4,3" }));
    legend.push({ label: `prevalence ${options.prevalence.toPrecision(2)}`, color: "#999", shape: "dash" });
  }
  const size = options.width ?? 420;
  return renderPlot(
    {
      width: size,
      height: options.height ?? size,
      marginLeft: 48,
      x: { label: "recall", domain: [0, 1], grid: true },
      y: { label: "precision", domain: [0, 1], grid: true },
      marks,
    },
    { ...options, legend: options.legend ?? legend },
  );
}
