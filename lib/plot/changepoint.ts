/**
 * A monitored series with its change signal: the top panel shows the observed values (counts or
 * rates) with detected episodes shaded and true episodes outlined; the bottom panel shows the
 * detector's per-step probability with its alarm threshold.
 */
import * as Plot from "@observablehq/plot";
import { composeFigure, renderPanel, type Figure, type FigureOptions, type LegendEntry } from "./render.js";
import { column, indexColumn, invalid, numbers, sameLength, type Numbers } from "./options.js";

/** A span of steps [start, end], both inclusive. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** The data of a change-point chart. */
export interface ChangeSeries {
  /** Observed value per step (e.g. daily critical events, or a rate). */
  values: Numbers;
  /** Step positions (default 0..n-1). */
  x?: Numbers;
  /** A smooth reference drawn over the values (e.g. expected events under the truth). */
  expected?: Numbers;
  /** Per-step probability from the detector (change probability, P(HR > c), ...). */
  probability?: Numbers;
  /** Episodes the detector reported. */
  detected?: readonly Span[];
  /** Episodes that were really injected (simulations). */
  truth?: readonly Span[];
}

/** Options of the change-point chart. */
export interface ChangeSeriesOptions extends FigureOptions {
  width?: number;
  height?: number;
  probabilityHeight?: number;
  xLabel?: string;
  yLabel?: string;
  probabilityLabel?: string;
  /** Alarm threshold drawn on the probability panel. */
  threshold?: number;
}

function spans(name: string, list: readonly Span[] | undefined): Span[] {
  return (list ?? []).map((s, i) => {
    if (!(Number.isFinite(s.start) && Number.isFinite(s.end) && s.end >= s.start)) invalid(`${name}[${i}]`, s, "expected {start, end} with end >= start");
    return s;
  });
}

/** Series with detected (shaded) and true (outlined) episodes over a change-probability panel. */
export function changeSeriesPlot(data: ChangeSeries, options: ChangeSeriesOptions = {}): Figure {
  const values = numbers("values", data.values, 1);
  const x = data.x ? numbers("x", data.x) : indexColumn(values.length);
  sameLength("values", values, "x", x);
  const detected = spans("detected", data.detected);
  const truth = spans("truth", data.truth);
  const width = options.width ?? 720;
  const xDomain: [number, number] = [x[0] - 0.5, x[x.length - 1] + 0.5];
  const legend: LegendEntry[] = [{ label: "observed", color: "#4269d0", shape: "swatch" }];
  const band = (list: Span[], style: Record<string, unknown>) =>
    Plot.rectX({ length: list.length }, { x1: list.map((s) => s.start - 0.5), x2: list.map((s) => s.end + 0.5), ...style });
  const top: Plot.Markish[] = [
    band(detected, { fill: "#ff725c", fillOpacity: 0.18 }),
    band(truth, { fill: "none", stroke: "#222", strokeDasharray: "3,3" }),
    Plot.rectY({ length: values.length }, { x1: Array.from(x, (v) => v - 0.45), x2: Array.from(x, (v) => v + 0.45), y: column(values), fill: "#4269d0", fillOpacity: 0.75 }),
    Plot.ruleY([0]),
  ];
  if (detected.length > 0) legend.push({ label: "detected episode", color: "#ff725c", shape: "band" });
  if (truth.length > 0) legend.push({ label: "true episode", color: "#222", shape: "dash" });
  if (data.expected) {
    sameLength("values", values, "expected", data.expected);
    top.push(Plot.lineY({ length: values.length }, { x: column(x), y: column(data.expected), stroke: "#efb118", strokeWidth: 1.75 }));
    legend.push({ label: "expected", color: "#efb118", shape: "line" });
  }
  const panels = [
    renderPanel({
      width,
      height: options.height ?? 240,
      marginLeft: 52,
      marginRight: 20,
      x: { domain: xDomain, label: data.probability ? null : (options.xLabel ?? "day"), axis: data.probability ? null : "bottom" },
      y: { label: options.yLabel ?? "events", grid: true },
      marks: top,
    }),
  ];
  if (data.probability) {
    const p = data.probability;
    sameLength("values", values, "probability", p);
    const bottom: Plot.Markish[] = [
      band(detected, { fill: "#ff725c", fillOpacity: 0.18 }),
      Plot.areaY({ length: p.length }, { x: column(x), y: column(p), fill: "#a463f2", fillOpacity: 0.2, curve: "step" }),
      Plot.lineY({ length: p.length }, { x: column(x), y: column(p), stroke: "#a463f2", strokeWidth: 1.25, curve: "step" }),
      Plot.ruleY([0]),
    ];
    if (options.threshold !== undefined) bottom.push(Plot.ruleY([options.threshold], { stroke: "#ff725c", strokeDasharray: "4,3" }));
    legend.push({ label: options.probabilityLabel ?? "change probability", color: "#a463f2", shape: "band" });
    panels.push(
      renderPanel({
        width,
        height: options.probabilityHeight ?? 150,
        marginLeft: 52,
        marginRight: 20,
        marginTop: 24,
        x: { domain: xDomain, label: options.xLabel ?? "day" },
        y: { label: options.probabilityLabel ?? "probability", domain: [0, 1], ticks: 4, grid: true },
        marks: bottom,
      }),
    );
  }
  return composeFigure(panels, { ...options, legend: options.legend ?? legend });
}
