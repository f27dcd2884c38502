/**
 * The one summary-table shape shared by every survival fitter: a row per parameter with its
 * estimate, standard error, Wald interval, the value it is tested against, z and p, plus the
 * hazard-ratio columns for regression models. Fits add model-level statistics (log-likelihood,
 * AIC, concordance, ...) in `stats`. The table is plain data: print it with `formatSummaryTable`,
 * write it with `summaryTableToCSV`, or JSON it with `summaryTableToJSON`.
 */

import { decodeNumber, encodeNumber, type JsonNumber } from "./serialize.js";
import { DataError } from "../errors.js";

/** One parameter of a fitted model. */
export interface SummaryRow {
  name: string;
  estimate: number;
  se: number;
  lower: number;
  upper: number;
  /** The null value the z test compares against (0 for Cox coefficients, 1 for lifelines' Weibull). */
  compareTo: number;
  z: number;
  p: number;
  /** exp(estimate) for log-hazard coefficients. */
  hazardRatio?: number;
  hazardRatioLower?: number;
  hazardRatioUpper?: number;
}

/** A model's parameter table plus model-level statistics. */
export interface SummaryTable {
  /** The fit's kind, e.g. "survival.weibull". */
  model: string;
  /** Interval level, e.g. 0.95. */
  confidenceLevel: number;
  rows: SummaryRow[];
  /** Model-level numbers and labels (number of observations, log-likelihood, AIC, ...). */
  stats: Record<string, number | string>;
}

const ROW_KEYS = ["estimate", "se", "lower", "upper", "compareTo", "z", "p"] as const;
const HR_KEYS = ["hazardRatio", "hazardRatioLower", "hazardRatioUpper"] as const;

function hasHazardRatios(table: SummaryTable): boolean {
  return table.rows.some((r) => r.hazardRatio !== undefined);
}

/** Column headers of a summary table, in print order. */
export function summaryColumns(table: SummaryTable): string[] {
  const pct = `${formatLevel(table.confidenceLevel)}%`;
  const cols = ["coef", "se(coef)", `coef lower ${pct}`, `coef upper ${pct}`];
  if (hasHazardRatios(table)) {
    cols.splice(1, 0, "exp(coef)");
    cols.push(`exp(coef) lower ${pct}`, `exp(coef) upper ${pct}`);
  }
  cols.push("cmp to", "z", "p", "-log2(p)");
  return cols;
}

function formatLevel(level: number): string {
  return String(Math.round(level * 1e6) / 1e4);
}

function rowValues(row: SummaryRow, withHr: boolean): number[] {
  const values = [row.estimate, row.se, row.lower, row.upper];
  if (withHr) {
    values.splice(1, 0, row.hazardRatio ?? NaN);
    values.push(row.hazardRatioLower ?? NaN, row.hazardRatioUpper ?? NaN);
  }
  values.push(row.compareTo, row.z, row.p, -Math.log2(row.p));
  return values;
}

function formatCell(x: number, decimals: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x !== 0 && Math.abs(x) < Math.pow(10, -decimals)) return x.toExponential(Math.max(decimals - 1, 0));
  return x.toFixed(decimals);
}

/** Render a summary table as aligned plain text, lifelines-style. */
export function formatSummaryTable(table: SummaryTable, decimals = 2): string {
  const withHr = hasHazardRatios(table);
  const header = ["", ...summaryColumns(table)];
  const body = table.rows.map((r) => [r.name, ...rowValues(r, withHr).map((v) => formatCell(v, decimals))]);
  const widths = header.map((h, j) => Math.max(h.length, ...body.map((row) => row[j].length)));
  const line = (cells: string[]): string => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ");
  const statLines = Object.entries(table.stats).map(([k, v]) => {
    const shown = typeof v !== "number" ? v : Number.isInteger(v) ? String(v) : formatCell(v, decimals);
    return `${k} = ${shown}`;
  });
  return [`<${table.model}>`, ...statLines, "", line(header), ...body.map(line)].join("\n");
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Render a summary table as CSV (header row + one row per parameter; full precision). */
export function summaryTableToCSV(table: SummaryTable): string {
  const withHr = hasHazardRatios(table);
  const lines = [["covariate", ...summaryColumns(table)].map(csvField).join(",")];
  for (const r of table.rows) lines.push([csvField(r.name), ...rowValues(r, withHr).map((v) => String(v))].join(","));
  return lines.join("\n") + "\n";
}

/** A summary table as JSON-safe plain data (non-finite numbers as strings). */
export interface SummaryTableJSON {
  model: string;
  confidenceLevel: number;
  rows: Array<Record<string, string | JsonNumber>>;
  stats: Record<string, string | JsonNumber>;
}

/** Encode a summary table for JSON. */
export function summaryTableToJSON(table: SummaryTable): SummaryTableJSON {
  const rows = table.rows.map((r) => {
    const out: Record<string, string | JsonNumber> = { name: r.name };
    for (const k of ROW_KEYS) out[k] = encodeNumber(r[k]);
    for (const k of HR_KEYS) if (r[k] !== undefined) out[k] = encodeNumber(r[k] as number);
    return out;
  });
  const stats: Record<string, string | JsonNumber> = {};
  for (const [k, v] of Object.entries(table.stats)) stats[k] = typeof v === "number" ? encodeNumber(v) : v;
  return { model: table.model, confidenceLevel: table.confidenceLevel, rows, stats };
}

/** Decode a summary table written by `summaryTableToJSON`. */
export function summaryTableFromJSON(json: SummaryTableJSON): SummaryTable {
  if (!json || !Array.isArray(json.rows)) throw new DataError("invalid summary table JSON: missing 'rows'");
  const rows = json.rows.map((r, i) => {
    if (typeof r.name !== "string") throw new DataError(`invalid summary table JSON: rows[${i}].name is not a string`);
    const row: SummaryRow = {
      name: r.name,
      estimate: decodeNumber(r.estimate, `rows[${i}].estimate`),
      se: decodeNumber(r.se, `rows[${i}].se`),
      lower: decodeNumber(r.lower, `rows[${i}].lower`),
      upper: decodeNumber(r.upper, `rows[${i}].upper`),
      compareTo: decodeNumber(r.compareTo, `rows[${i}].compareTo`),
      z: decodeNumber(r.z, `rows[${i}].z`),
      p: decodeNumber(r.p, `rows[${i}].p`),
    };
    for (const k of HR_KEYS) if (r[k] !== undefined) row[k] = decodeNumber(r[k], `rows[${i}].${k}`);
    return row;
  });
  const stats: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(json.stats ?? {})) {
    stats[k] = typeof v === "number" || v === "Infinity" || v === "-Infinity" || v === "NaN" ? decodeNumber(v, `stats.${k}`) : v;
  }
  return { model: json.model, confidenceLevel: json.confidenceLevel, rows, stats };
}
