/**
 * Observable Plot outside a browser: plots are rendered into a linkedom document and serialized
 * as standalone SVG (with the xmlns that linkedom leaves out), composed into a figure with a
 * title, a legend and stacked panels, and rasterized to PNG with resvg.
 */
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import { Resvg } from "@resvg/resvg-js";
import { createHash } from "node:crypto";
import { DataError } from "../errors.js";

/** A rendered figure: one standalone SVG document and its size in CSS pixels. */
export interface Figure {
  readonly kind: "figure";
  readonly svg: string;
  readonly width: number;
  readonly height: number;
  readonly title?: string;
}

/** One legend entry: a colored swatch (or line, or band) and its label. */
export interface LegendEntry {
  label: string;
  color: string;
  shape?: "swatch" | "line" | "dash" | "band";
}

/** Title, subtitle and legend drawn around the plot panels. */
export interface FigureOptions {
  title?: string;
  subtitle?: string;
  legend?: readonly LegendEntry[];
  /** A short note under the panels (source, caveat). */
  caption?: string;
}

/** The Plot options a panel accepts; `document` is supplied here. */
export type PanelOptions = Omit<Plot.PlotOptions, "document" | "title" | "subtitle" | "caption">;

const SVG_NS = "http://www.w3.org/2000/svg";
const FONT = "system-ui, -apple-system, 'DejaVu Sans', sans-serif";
const TITLE_SIZE = 15;
const TEXT_SIZE = 11;

interface Serializable {
  outerHTML: string;
  tagName: string;
  getAttribute(name: string): string | null;
}

let sharedDocument: unknown;

function plotDocument(): unknown {
  // One document serves every render: Plot only creates detached elements in it.
  if (!sharedDocument) sharedDocument = parseHTML("<!doctype html><html><head></head><body></body></html>").document;
  return sharedDocument;
}

/** Escape text for an XML attribute or text node. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** Render one Plot specification to a bare `<svg>` string and its size. */
export function renderPanel(options: PanelOptions): { svg: string; width: number; height: number } {
  const { title, subtitle, caption } = options as Plot.PlotOptions;
  if (title !== undefined || subtitle !== undefined || caption !== undefined) {
    throw new DataError("invalid panel options: title, subtitle and caption belong to the figure (FigureOptions), not to a panel");
  }
  const element = Plot.plot({ ...options, document: plotDocument() as Plot.PlotOptions["document"] }) as unknown as Serializable;
  if (element.tagName.toLowerCase() !== "svg") {
    throw new DataError(`invalid panel options: Plot returned a <${element.tagName.toLowerCase()}> (legends must be drawn by the figure, not by Plot)`);
  }
  const width = Number(element.getAttribute("width"));
  const height = Number(element.getAttribute("height"));
  return { svg: element.outerHTML, width, height };
}

/** Rough text width for the legend layout (DejaVu Sans averages about 0.6 em per glyph). */
function textWidth(text: string, size: number): number {
  return text.length * size * 0.6;
}

function legendSvg(entries: readonly LegendEntry[], width: number, y: number): { markup: string; height: number } {
  const parts: string[] = [];
  let x = 12;
  let row = 0;
  const rowHeight = 18;
  for (const entry of entries) {
    const w = 22 + textWidth(entry.label, TEXT_SIZE) + 14;
    if (x + w > width - 8 && x > 12) {
      x = 12;
      row++;
    }
    const cy = y + row * rowHeight + 9;
    const color = escapeXml(entry.color);
    switch (entry.shape ?? "swatch") {
      case "line":
        parts.push(`<line x1="${x}" x2="${x + 16}" y1="${cy}" y2="${cy}" stroke="${color}" stroke-width="2"/>`);
        break;
      case "dash":
        parts.push(`<line x1="${x}" x2="${x + 16}" y1="${cy}" y2="${cy}" stroke="${color}" stroke-width="2" stroke-dasharray="4,3"/>`);
        break;
      case "band":
        parts.push(`<rect x="${x}" y="${cy - 6}" width="16" height="12" fill="${color}" fill-opacity="0.25" stroke="${color}" stroke-width="1"/>`);
        break;
      default:
        parts.push(`<rect x="${x}" y="${cy - 6}" width="16" height="12" fill="${color}"/>`);
    }
    parts.push(`<text x="${x + 22}" y="${cy}" dy="0.35em" font-size="${TEXT_SIZE}" fill="#222">${escapeXml(entry.label)}</text>`);
    x += w;
  }
  return { markup: parts.join(""), height: entries.length === 0 ? 0 : (row + 1) * rowHeight + 4 };
}

/**
 * Give Plot's global-counter ids (clip paths, markers, patterns) a per-figure prefix, so output is
 * deterministic across calls and several figures can share one HTML page without id clashes.
 */
function localizeIds(svg: string): string {
  const ids = [...new Set(svg.match(/\bplot-(?:clip|marker|pattern)-\d+\b/g) ?? [])];
  if (ids.length === 0) return svg;
  const prefix = createHash("sha256").update(svg.replace(/\bplot-(?:clip|marker|pattern)-\d+\b/g, "id")).digest("hex").slice(0, 8);
  const rename = new Map(ids.map((id, i) => [id, `${id.replace(/-\d+$/, "")}-${prefix}-${i + 1}`]));
  return svg.replace(/\bplot-(?:clip|marker|pattern)-\d+\b/g, (id) => rename.get(id) ?? id);
}

function withNamespace(svg: string): string {
  return svg.startsWith("<svg xmlns=") ? svg : svg.replace(/^<svg\b/, `<svg xmlns="${SVG_NS}"`);
}

/** Compose panels (stacked top to bottom) with a title, subtitle, legend and caption into one SVG figure. */
export function composeFigure(panels: readonly { svg: string; width: number; height: number }[], figure: FigureOptions = {}): Figure {
  if (panels.length === 0) throw new DataError("invalid figure: at least one panel is needed");
  const width = Math.max(...panels.map((p) => p.width));
  const parts: string[] = [];
  let y = 8;
  if (figure.title) {
    parts.push(`<text x="12" y="${y + TITLE_SIZE}" font-size="${TITLE_SIZE}" font-weight="bold" fill="#111">${escapeXml(figure.title)}</text>`);
    y += TITLE_SIZE + 8;
  }
  if (figure.subtitle) {
    parts.push(`<text x="12" y="${y + TEXT_SIZE}" font-size="${TEXT_SIZE + 1}" fill="#444">${escapeXml(figure.subtitle)}</text>`);
    y += TEXT_SIZE + 10;
  }
  if (figure.legend && figure.legend.length > 0) {
    const legend = legendSvg(figure.legend, width, y);
    parts.push(legend.markup);
    y += legend.height;
  }
  for (const panel of panels) {
    // A nested <svg> keeps Plot's own attributes (font, fill, viewBox) intact.
    const nested = panel.svg.replace(/^<svg\b/, `<svg x="0" y="${y}"`);
    parts.push(localizeIds(nested));
    y += panel.height;
  }
  if (figure.caption) {
    parts.push(`<text x="12" y="${y + TEXT_SIZE + 2}" font-size="${TEXT_SIZE - 1}" fill="#555">${escapeXml(figure.caption)}</text>`);
    y += TEXT_SIZE + 8;
  }
  const height = Math.ceil(y + 4);
  const label = figure.title ? ` aria-label="${escapeXml(figure.title)}"` : "";
  const svg =
    `<svg xmlns="${SVG_NS}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" role="img"${label}>` +
    `<rect width="100%" height="100%" fill="white"/>` +
    parts.join("") +
    `</svg>`;
  return { kind: "figure", svg: withNamespace(svg), width, height, title: figure.title };
}

/** Render one Plot specification as a figure (white background, optional title and legend). */
export function renderPlot(options: PanelOptions, figure: FigureOptions = {}): Figure {
  return composeFigure([renderPanel(options)], figure);
}

/** Options for rasterizing a figure. */
export interface PngOptions {
  /** Pixel density: 2 renders a 640-px-wide figure 1280 px wide. Default 2. */
  scale?: number;
}

/** Rasterize a figure (or any standalone SVG) to PNG bytes with resvg and the DejaVu Sans font. */
export function toPng(figure: Figure | string, options: PngOptions = {}): Uint8Array {
  const svg = typeof figure === "string" ? figure : figure.svg;
  if (!/^<svg[^>]*\bxmlns="http:\/\/www\.w3\.org\/2000\/svg"/.test(svg)) {
    throw new DataError("invalid svg: a standalone SVG with xmlns=\"http://www.w3.org/2000/svg\" is needed for PNG output");
  }
  const scale = options.scale ?? 2;
  if (!(scale > 0 && scale <= 8)) throw new DataError(`invalid scale: ${scale} (expected a number in (0, 8])`);
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
  });
  return new Uint8Array(resvg.render().asPng());
}

/** A figure as a `data:` URI (for HTML pages that must not reference files). */
export function toDataUri(figure: Figure): string {
  return `data:image/svg+xml;base64,${Buffer.from(figure.svg, "utf8").toString("base64")}`;
}
