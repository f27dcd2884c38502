/**
 * Saving figures with a tracked run: the SVG (vector, small, diffable) and a PNG rendering under
 * the same name, so the MLflow UI and plain file viewers both show them.
 */
import { toPng, type Figure, type PngOptions } from "./render.js";
import { invalid } from "./options.js";

/** The part of a run that figures need (an ActiveRun satisfies it). */
export interface FigureSink {
  logFigure(markup: string, artifactFile: string): Promise<void>;
  logBytes(bytes: Uint8Array, artifactFile: string): Promise<void>;
}

/** Options of `logPlot`. */
export interface LogPlotOptions extends PngOptions {
  /** Also write a PNG (default true). */
  png?: boolean;
}

/** Log a figure as `<name>.svg` (and `<name>.png`) artifacts of a run; returns the paths written. */
export async function logPlot(run: FigureSink, figure: Figure, name: string, options: LogPlotOptions = {}): Promise<string[]> {
  const base = name.replace(/\.(svg|png)$/i, "");
  if (base === "" || base.startsWith("/") || base.split("/").includes("..")) invalid("name", name, "expected a relative artifact path like plots/survival");
  const written = [`${base}.svg`];
  await run.logFigure(figure.svg, `${base}.svg`);
  if (options.png ?? true) {
    await run.logBytes(toPng(figure, options), `${base}.png`);
    written.push(`${base}.png`);
  }
  return written;
}
