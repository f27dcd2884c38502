/**
 * Posterior densities: Gaussian kernel density estimates on a grid (Silverman's rule bandwidth),
 * drawn as filled curves per parameter or chain, with an optional reference (true) value and
 * central interval.
 */
import * as Plot from "@observablehq/plot";
import { renderPlot, type Figure, type FigureOptions, type LegendEntry } from "./render.js";
import { invalid, numbers, seriesColor, type Numbers } from "./options.js";

/** A density curve evaluated on a grid. */
export interface DensityCurve {
  x: Float64Array;
  density: Float64Array;
  bandwidth: number;
}

/** Silverman's rule-of-thumb bandwidth 0.9 min(sd, IQR/1.34) n^(-1/5). */
export function silvermanBandwidth(values: Numbers): number {
  const n = values.length;
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  let mean = 0;
  for (let i = 0; i < n; i++) mean += sorted[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (sorted[i] - mean) ** 2;
  const sd = Math.sqrt(ss / Math.max(1, n - 1));
  const q = (p: number) => {
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    return sorted[lo] + (h - lo) * ((sorted[Math.min(n - 1, lo + 1)] ?? sorted[lo]) - sorted[lo]);
  };
  const iqr = q(0.75) - q(0.25);
  const spread = iqr > 0 ? Math.min(sd, iqr / 1.34) : sd;
  const h = 0.9 * spread * Math.pow(n, -0.2);
  return h > 0 ? h : Math.max(Math.abs(mean) * 1e-3, 1e-9);
}

/** Gaussian kernel density estimate of `values` on `points` grid points spanning the data plus 3 bandwidths. */
export function kernelDensity(values: Numbers, options: { bandwidth?: number; points?: number } = {}): DensityCurve {
  numbers("values", values, 2);
  const h = options.bandwidth ?? silvermanBandwidth(values);
  if (!(h > 0)) invalid("bandwidth", h, "expected a positive number");
  const m = options.points ?? 200;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  lo -= 3 * h;
  hi += 3 * h;
  const x = new Float64Array(m);
  const density = new Float64Array(m);
  const step = (hi - lo) / (m - 1);
  for (let j = 0; j < m; j++) x[j] = lo + j * step;
  const norm = 1 / (values.length * h * Math.sqrt(2 * Math.PI));
  // Sorting lets each grid point sum only the values within 8 bandwidths.
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  let start = 0;
  for (let j = 0; j < m; j++) {
    const xj = x[j];
    while (start < sorted.length && sorted[start] < xj - 8 * h) start++;
    let s = 0;
    for (let i = start; i < sorted.length && sorted[i] <= xj + 8 * h; i++) {
      const z = (xj - sorted[i]) / h;
      s += Math.exp(-0.5 * z * z);
    }
    density[j] = s * norm;
  }
  return { x, density, bandwidth: h };
}

/** One set of draws to draw a density for. */
export interface DensitySeries {
  label: string;
  draws: Numbers;
  color?: string;
}

/** Options of the density chart. */
export interface DensityPlotOptions extends FigureOptions {
  width?: number;
  height?: number;
  xLabel?: string;
  /** A vertical reference line (e.g. the true value of a simulated parameter). */
  reference?: number;
  referenceLabel?: string;
  /** Shade the central interval of this probability for each series (e.g. 0.9). */
  interval?: number;
}

function quantileSorted(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Filled kernel density curves of posterior draws, one per series. */
export function densityPlot(series: readonly DensitySeries[], options: DensityPlotOptions = {}): Figure {
  if (series.length === 0) invalid("series", series, "expected at least one series");
  const marks: Plot.Markish[] = [];
  const legend: LegendEntry[] = [];
  series.forEach((s, i) => {
    const draws = numbers(`series[${i}].draws`, s.draws, 2);
    const color = s.color ?? seriesColor(i);
    const kde = kernelDensity(draws);
    marks.push(Plot.areaY({ length: kde.x.length }, { x: kde.x, y: kde.density, fill: color, fillOpacity: 0.15 }));
    marks.push(Plot.lineY({ length: kde.x.length }, { x: kde.x, y: kde.density, stroke: color, strokeWidth: 1.5 }));
    if (options.interval !== undefined) {
      if (!(options.interval > 0 && options.interval < 1)) invalid("interval", options.interval, "expected a probability in (0, 1)");
      const sorted = Float64Array.from(draws as ArrayLike<number>).sort();
      const a = (1 - options.interval) / 2;
      const lo = quantileSorted(sorted, a);
      const hi = quantileSorted(sorted, 1 - a);
      const yMax = Math.max(...kde.density);
      marks.push(Plot.ruleY([-(0.03 + 0.04 * i) * yMax], { x1: lo, x2: hi, stroke: color, strokeWidth: 3 }));
    }
    legend.push({ label: s.label, color, shape: "band" });
  });
  if (options.reference !== undefined) {
    marks.push(Plot.ruleX([options.reference], { stroke: "#222", strokeDasharray: "4,3" }));
    legend.push({ label: options.referenceLabel ?? "reference", color: "#222", shape: "dash" });
  }
  marks.push(Plot.ruleY([0]));
  return renderPlot(
    {
      width: options.width ?? 640,
      height: options.height ?? 300,
      marginLeft: 52,
      x: { label: options.xLabel ?? "value", grid: true },
      y: { label: "density", grid: true },
      marks,
    },
    { ...options, legend: options.legend ?? (series.length > 1 || options.reference !== undefined ? legend : undefined) },
  );
}
