/**
 * Threshold sweeps: how precision, recall, F1 (or any metric) change with the decision threshold,
 * with the chosen operating point marked.
 */
import * as Plot from "@observablehq/plot";
import { renderPlot, type Figure, type FigureOptions, type LegendEntry } from "./render.js";
import { column, invalid, numbers, sameLength, seriesColor, type Numbers } from "./options.js";

/** One metric along the sweep. */
export interface SweepSeries {
  label: string;
  values: Numbers;
  color?: string;
}

/** Options of the threshold sweep chart. */
export interface ThresholdSweepOptions extends FigureOptions {
  width?: number;
  height?: number;
  xLabel?: string;
  yLabel?: string;
  /** The chosen threshold, drawn as a vertical rule. */
  chosen?: number;
  /** Fix the y axis to [0, 1] (default true: most sweep metrics are rates). */
  unitInterval?: boolean;
}

/** Metrics against the decision threshold, one line per metric. */
export function thresholdSweepPlot(threshold: Numbers, series: readonly SweepSeries[], options: ThresholdSweepOptions = {}): Figure {
  const t = numbers("threshold", threshold, 2);
  if (series.length === 0) invalid("series", series, "expected at least one metric series");
  const marks: Plot.Markish[] = [];
  const legend: LegendEntry[] = [];
  series.forEach((s, i) => {
    const values = numbers(`series[${i}].values`, s.values);
    sameLength("threshold", t, `series[${i}].values`, values);
    const color = s.color ?? seriesColor(i);
    marks.push(Plot.lineY({ length: t.length }, { x: column(t), y: column(values), stroke: color, strokeWidth: 1.75 }));
    legend.push({ label: s.label, color, shape: "line" });
  });
  if (options.chosen !== undefined) {
    marks.push(Plot.ruleX([options.chosen], { stroke: "#222", strokeDasharray: "4,3" }));
    legend.push({ label: `chosen ${options.chosen.toPrecision(3)}`, color: "#222", shape: "dash" });
  }
  return renderPlot(
    {
      width: options.width ?? 640,
      height: options.height ?? 320,
      marginLeft: 48,
      x: { label: options.xLabel ?? "threshold", grid: true },
      y: { label: options.yLabel ?? "value", grid: true, domain: options.unitInterval === false ? undefined : [0, 1] },
      marks,
    },
    { ...options, legend: options.legend ?? legend },
  );
}
