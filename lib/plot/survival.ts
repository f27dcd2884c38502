/**
 * Survival curves as right-continuous steps with pointwise confidence bands, one color per group
 * (Kaplan-Meier style), with optional censoring ticks and smooth parametric overlays.
 */
import * as Plot from "@observablehq/plot";
import { renderPlot, type Figure, type FigureOptions, type LegendEntry } from "./render.js";
import { column, invalid, numbers, sameLength, seriesColor, type Numbers } from "./options.js";

/** One survival curve: S(t) at the event times, with optional interval and censoring times. */
export interface SurvivalCurve {
  label: string;
  /** Times where S changes (need not start at 0: a point (0, 1) is added). */
  time: Numbers;
  survival: Numbers;
  lower?: Numbers;
  upper?: Numbers;
  /** Times of censored observations, drawn as ticks on the curve. */
  censored?: Numbers;
  /** Draw as a smooth line (a fitted parametric model) rather than steps. */
  smooth?: boolean;
  color?: string;
}

/** Options of the survival chart. */
export interface SurvivalPlotOptions extends FigureOptions {
  width?: number;
  height?: number;
  xLabel?: string;
  yLabel?: string;
  /** Upper end of the y axis (default 1). */
  yMax?: number;
}

/** S at time t from a right-continuous step curve (1 before the first step). */
export function stepValue(time: Numbers, survival: Numbers, t: number): number {
  let lo = 0;
  let hi = time.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (time[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 1 : survival[lo - 1];
}

function withOrigin(time: Numbers, values: Numbers, origin: number): { x: Float64Array; y: Float64Array } {
  const start = time.length > 0 && time[0] === 0 ? 0 : 1;
  const n = time.length + start;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  if (start === 1) y[0] = origin;
  for (let i = 0; i < time.length; i++) {
    x[i + start] = time[i];
    y[i + start] = values[i];
  }
  return { x, y };
}

/** Step plot of survival curves with confidence bands, censoring ticks and a legend. */
export function survivalPlot(curves: readonly SurvivalCurve[], options: SurvivalPlotOptions = {}): Figure {
  if (curves.length === 0) invalid("curves", curves, "expected at least one curve");
  const marks: Plot.Markish[] = [];
  const legend: LegendEntry[] = [];
  curves.forEach((curve, i) => {
    const time = numbers(`curves[${i}].time`, curve.time);
    const surv = numbers(`curves[${i}].survival`, curve.survival);
    sameLength(`curves[${i}].time`, time, `curves[${i}].survival`, surv);
    const color = curve.color ?? seriesColor(i);
    const curveType = curve.smooth ? "linear" : "step-after";
    if (curve.lower && curve.upper) {
      sameLength(`curves[${i}].time`, time, `curves[${i}].lower`, curve.lower);
      sameLength(`curves[${i}].time`, time, `curves[${i}].upper`, curve.upper);
      const lo = withOrigin(time, curve.lower, 1);
      const hi = withOrigin(time, curve.upper, 1);
      marks.push(Plot.areaY({ length: lo.x.length }, { x: lo.x, y1: lo.y, y2: hi.y, curve: curveType, fill: color, fillOpacity: 0.18 }));
    }
    const s = withOrigin(time, surv, 1);
    marks.push(Plot.lineY({ length: s.x.length }, { x: s.x, y: s.y, curve: curveType, stroke: color, strokeWidth: 1.75, strokeDasharray: curve.smooth ? "5,3" : undefined }));
    if (curve.censored && curve.censored.length > 0) {
      const c = curve.censored;
      const cy = new Float64Array(c.length);
      for (let k = 0; k < c.length; k++) cy[k] = stepValue(time, surv, c[k]);
      marks.push(Plot.dot({ length: c.length }, { x: column(c), y: cy, stroke: color, strokeWidth: 1, symbol: "plus", r: 3 }));
    }
    legend.push({ label: curve.label, color, shape: curve.smooth ? "dash" : curve.lower ? "band" : "line" });
  });
  marks.push(Plot.ruleY([0]));
  return renderPlot(
    {
      width: options.width ?? 640,
      height: options.height ?? 360,
      marginLeft: 48,
      x: { label: options.xLabel ?? "time", grid: true },
      y: { label: options.yLabel ?? "survival probability", domain: [0, options.yMax ?? 1], grid: true },
      marks,
    },
    { ...options, legend: options.legend ?? legend },
  );
}
