/**
 * MCMC diagnostics per chain: trace plots (draw against iteration) and rank plots (histograms of
 * each chain's draws' ranks within the pooled draws; flat bars mean the chains mix).
 */
import * as Plot from "@observablehq/plot";
import { renderPlot, type Figure, type FigureOptions, type LegendEntry } from "./render.js";
import { invalid, numbers, seriesColor, type Numbers } from "./options.js";

/** Options of the trace chart. */
export interface TracePlotOptions extends FigureOptions {
  width?: number;
  height?: number;
  /** Parameter name for the y axis. */
  parameter?: string;
  /** Drop this many leading draws per chain from the plot (already-warm draws are expected). */
  skip?: number;
}

function checkChains(chains: readonly Numbers[]): void {
  if (chains.length === 0) invalid("chains", chains, "expected draws for at least one chain");
  chains.forEach((c, i) => numbers(`chains[${i}]`, c, 1));
}

/** Trace plot: one line per chain of a parameter's draws against iteration. */
export function tracePlot(chains: readonly Numbers[], options: TracePlotOptions = {}): Figure {
  checkChains(chains);
  const skip = options.skip ?? 0;
  const marks: Plot.Markish[] = [];
  const legend: LegendEntry[] = [];
  chains.forEach((draws, c) => {
    const n = Math.max(0, draws.length - skip);
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = skip + i;
      y[i] = draws[skip + i];
    }
    const color = seriesColor(c);
    marks.push(Plot.lineY({ length: n }, { x, y, stroke: color, strokeWidth: 0.8, strokeOpacity: 0.85 }));
    legend.push({ label: `chain ${c + 1}`, color, shape: "line" });
  });
  return renderPlot(
    {
      width: options.width ?? 640,
      height: options.height ?? 240,
      marginLeft: 56,
      x: { label: "iteration" },
      y: { label: options.parameter ?? "value", grid: true },
      marks,
    },
    { ...options, legend: options.legend ?? legend },
  );
}

/** Per-chain histogram counts of pooled ranks: counts[c * bins + b]. */
export function rankCounts(chains: readonly Numbers[], bins: number): Float64Array {
  let total = 0;
  for (const c of chains) total += c.length;
  const values = new Float64Array(total);
  const chainOf = new Int32Array(total);
  let k = 0;
  chains.forEach((c, ci) => {
    for (let i = 0; i < c.length; i++) {
      values[k] = c[i];
      chainOf[k++] = ci;
    }
  });
  const order = new Int32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  // Ties keep pooled order so ranks are deterministic.
  order.sort((a, b) => values[a] - values[b] || a - b);
  const counts = new Float64Array(chains.length * bins);
  for (let r = 0; r < total; r++) {
    const b = Math.min(bins - 1, Math.floor((r * bins) / total));
    counts[chainOf[order[r]] * bins + b] += 1;
  }
  return counts;
}

/** Options of the rank chart. */
export interface RankPlotOptions extends FigureOptions {
  width?: number;
  /** Height of each chain's row. */
  rowHeight?: number;
  parameter?: string;
  bins?: number;
}

/** Rank plot: a histogram of pooled ranks for each chain, with the uniform expectation as a dashed line. */
export function rankPlot(chains: readonly Numbers[], options: RankPlotOptions = {}): Figure {
  checkChains(chains);
  const bins = options.bins ?? 20;
  if (!(Number.isInteger(bins) && bins >= 2)) invalid("bins", bins, "expected an integer >= 2");
  const counts = rankCounts(chains, bins);
  const n = counts.length;
  const x1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const fy: string[] = new Array<string>(n);
  const fill: string[] = new Array<string>(n);
  let total = 0;
  for (const c of chains) total += c.length;
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / bins);
    const b = i % bins;
    x1[i] = (b * total) / bins;
    x2[i] = ((b + 1) * total) / bins;
    fy[i] = `chain ${c + 1}`;
    fill[i] = seriesColor(c);
  }
  const expected = chains.map((c) => c.length / bins);
  const rowHeight = options.rowHeight ?? 60;
  return renderPlot(
    {
      width: options.width ?? 640,
      height: chains.length * rowHeight + 50,
      marginLeft: 48,
      marginRight: 64,
      x: { label: `rank of ${options.parameter ?? "draw"} among all draws` },
      y: { label: "count", ticks: 3 },
      fy: { label: null },
      marks: [
        Plot.rectY({ length: n }, { x1, x2, y: counts, fy, fill, fillOpacity: 0.8, inset: 0.5 }),
        Plot.ruleY(expected, { y: (d: number) => d, fy: chains.map((_, c) => `chain ${c + 1}`), stroke: "#222", strokeDasharray: "4,3" }),
        Plot.ruleY([0]),
      ],
    },
    options,
  );
}
