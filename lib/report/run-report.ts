/**
 * The run comparison report: one self-contained HTML page for an experiment's runs with each run's
 * provenance (config hash, commit, seed), the params that differ, a metrics table, and charts of
 * metrics across runs, against swept params, and over steps.
 */
import { UsageError } from "../errors.js";
import { metricHistoryPlot, metricSweepPlot, runMetricPlot } from "../plot/runs.js";
import type { Figure } from "../plot/render.js";
import type { Run } from "../tracking/entities.js";
import type { Tracker } from "../tracking/tracker.js";
import { escapeHtml, htmlPage } from "./html.js";

/** What to report on. */
export interface RunReportOptions {
  tracker: Tracker;
  /** Experiment name. */
  experiment: string;
  /** Only these runs (default: every active run of the experiment that is not a sweep parent). */
  runIds?: readonly string[];
  /** At most this many runs when none are named (newest first; default 50). */
  maxRuns?: number;
  /** Cap on charts per section (default 8). */
  maxCharts?: number;
}

/** The report page and what went into it. */
export interface RunReport {
  html: string;
  runs: Run[];
  differingParams: string[];
  metrics: string[];
  figures: number;
}

function short(id: string | undefined, n = 12): string {
  return id ? id.slice(0, n) : "";
}

function num(v: number | undefined): string {
  if (v === undefined) return "";
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  return Number(v.toPrecision(6)).toString();
}

function runLabel(run: Run): string {
  return `${run.info.runId.slice(0, 8)} ${run.info.runName}`;
}

function table(header: string[], rows: string[][], classes?: (r: number, c: number) => string): string {
  const head = `<thead><tr>${header.map((h) => `<th>${h}</th>`).join("")}</tr></thead>`;
  const body = rows.map((row, r) => `<tr>${row.map((cell, c) => `<td${classes ? ` class="${classes(r, c)}"` : ""}>${cell}</td>`).join("")}</tr>`).join("");
  return `<table>${head}<tbody>${body}</tbody></table>`;
}

function figureHtml(figure: Figure): string {
  return `<figure>${figure.svg}</figure>`;
}

async function selectRuns(options: RunReportOptions): Promise<Run[]> {
  const { tracker } = options;
  const experiment = await tracker.store.getExperimentByName(options.experiment);
  if (!experiment) throw new UsageError(`no tracked experiment named '${options.experiment}'`);
  if (options.runIds && options.runIds.length > 0) {
    const runs: Run[] = [];
    for (const id of options.runIds) {
      let run: Run;
      try {
        run = await tracker.store.getRun(id);
      } catch (error) {
        throw new UsageError(`no run with id '${id}'`, { cause: error });
      }
      if (run.info.experimentId !== experiment.experimentId) throw new UsageError(`run ${id} belongs to experiment ${run.info.experimentId}, not to '${options.experiment}'`);
      runs.push(run);
    }
    return runs;
  }
  const runs = await tracker.searchAllRuns({ experimentIds: [experiment.experimentId], orderBy: ["attributes.start_time DESC"] });
  return runs.filter((r) => r.data.tags["workbench.sweep"] !== "parent").slice(0, options.maxRuns ?? 50);
}

/** Build the HTML comparison report of an experiment's runs. */
export async function buildRunReport(options: RunReportOptions): Promise<RunReport> {
  const runs = await selectRuns(options);
  if (runs.length === 0) throw new UsageError(`experiment '${options.experiment}' has no runs to report on`);
  const maxCharts = options.maxCharts ?? 8;
  const header = ["", ...runs.map((r) => `<span class="mono">${escapeHtml(r.info.runId.slice(0, 8))}</span><br>${escapeHtml(r.info.runName)}`)];
  const sections: string[] = [];
  let figures = 0;

  sections.push(`<h1>${escapeHtml(options.experiment)}: ${runs.length} run${runs.length === 1 ? "" : "s"}</h1>`);
  sections.push(`<p class="meta">Generated ${escapeHtml(new Date().toISOString())} by <code>workbench report</code>.</p>`);

  const provenance: [string, (r: Run) => string][] = [
    ["status", (r) => `<span class="badge ${r.info.status === "FINISHED" ? "ok" : r.info.status === "FAILED" ? "failed" : ""}">${escapeHtml(r.info.status)}</span>`],
    ["started", (r) => escapeHtml(new Date(r.info.startTime).toISOString().replace("T", " ").slice(0, 19))],
    ["seconds", (r) => (r.info.endTime ? ((r.info.endTime - r.info.startTime) / 1000).toFixed(1) : "")],
    ["config hash", (r) => `<span class="mono">${escapeHtml(short(r.data.tags["workbench.config_hash"]))}</span>`],
    ["seed", (r) => escapeHtml(r.data.tags["workbench.seed"] ?? "")],
    ["variant", (r) => escapeHtml(r.data.tags["workbench.variant"] ?? "")],
    ["commit", (r) => `<span class="mono">${escapeHtml(short(r.data.tags["mlflow.source.git.commit"]))}</span>${r.data.tags["workbench.git.dirty"] === "true" ? ' <span class="badge failed">dirty</span>' : ""}`],
    ["source", (r) => escapeHtml(r.data.tags["mlflow.source.name"] ?? "")],
    ["reproduction of", (r) => `<span class="mono">${escapeHtml(short(r.data.tags["workbench.reproduction_of"], 8))}</span>`],
  ];
  sections.push(`<h2 id="provenance">Runs and provenance</h2>`);
  sections.push(table(header, provenance.map(([name, f]) => [escapeHtml(name), ...runs.map(f)])));

  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.data.params)))].sort();
  const differing = paramKeys.filter((k) => new Set(runs.map((r) => r.data.params[k])).size > 1);
  const same = paramKeys.filter((k) => !differing.includes(k));
  sections.push(`<h2 id="params">Params that differ (${differing.length} of ${paramKeys.length})</h2>`);
  if (differing.length > 0) {
    sections.push(table(header, differing.map((k) => [`<code>${escapeHtml(k)}</code>`, ...runs.map((r) => escapeHtml(r.data.params[k] ?? "(unset)"))]), (_r, c) => (c === 0 ? "" : "diff")));
  } else {
    sections.push(`<p>All runs share the same params.</p>`);
  }
  if (same.length > 0) {
    sections.push(`<details><summary>${same.length} params equal in every run</summary>${table(["param", "value"], same.map((k) => [`<code>${escapeHtml(k)}</code>`, escapeHtml(runs[0].data.params[k] ?? "")]))}</details>`);
  }

  const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.data.metrics)))].sort();
  sections.push(`<h2 id="metrics">Metrics (latest values)</h2>`);
  if (metricKeys.length === 0) sections.push("<p>No run logged a metric.</p>");
  else sections.push(table(header, metricKeys.map((k) => [`<code>${escapeHtml(k)}</code>`, ...runs.map((r) => num(r.data.metrics[k]))]), (_r, c) => (c === 0 ? "" : "num")));

  if (runs.length > 1 && metricKeys.length > 0) {
    sections.push(`<h2 id="across-runs">Metrics across runs</h2><div class="grid">`);
    for (const key of metricKeys.slice(0, maxCharts)) {
      const values = runs.map((r) => ({ label: runLabel(r), value: r.data.metrics[key] ?? NaN }));
      if (!values.some((v) => Number.isFinite(v.value))) continue;
      sections.push(figureHtml(runMetricPlot(values, { title: key, metric: key, width: 480 })));
      figures++;
    }
    sections.push(`</div>`);
  }

  // A param is a sweep axis when it varies and every run's value is numeric.
  const axes = differing.filter((k) => runs.every((r) => r.data.params[k] !== undefined && r.data.params[k] !== "" && Number.isFinite(Number(r.data.params[k]))));
  const sweepable = axes.filter((k) => k !== "seed");
  if (sweepable.length > 0 && metricKeys.length > 0) {
    sections.push(`<h2 id="sweeps">Metrics against swept params</h2><div class="grid">`);
    let count = 0;
    for (const axis of sweepable.slice(0, 3)) {
      const others = differing.filter((k) => k !== axis && k !== "seed");
      for (const key of metricKeys) {
        if (count >= maxCharts) break;
        const x = runs.map((r) => Number(r.data.params[axis]));
        const y = runs.map((r) => r.data.metrics[key] ?? NaN);
        if (!y.some(Number.isFinite)) continue;
        const group = others.length > 0 ? runs.map((r) => others.map((o) => `${o}=${r.data.params[o] ?? ""}`).join(" ")) : undefined;
        const positive = x.every((v) => v > 0);
        const spread = positive ? Math.max(...x) / Math.min(...x) : 1;
        sections.push(figureHtml(metricSweepPlot({ x, y, group }, { title: `${key} vs ${axis}`, xLabel: axis, yLabel: key, logX: spread >= 20, width: 480 })));
        figures++;
        count++;
      }
    }
    sections.push(`</div>`);
  }

  // Metrics logged at many steps (per day, per iteration) are drawn as histories.
  const historyCharts: string[] = [];
  for (const key of metricKeys) {
    if (historyCharts.length >= Math.min(4, maxCharts)) break;
    const histories = [];
    for (const r of runs.slice(0, 10)) {
      if (!(key in r.data.metrics)) continue;
      const h = await options.tracker.store.getMetricHistory(r.info.runId, key);
      if (h.length < 3) continue;
      const sorted = [...h].sort((a, b) => a.step - b.step);
      histories.push({ label: runLabel(r), step: sorted.map((p) => p.step), value: sorted.map((p) => p.value) });
    }
    if (histories.length === 0) continue;
    historyCharts.push(figureHtml(metricHistoryPlot(histories, { title: `${key} by step`, yLabel: key, width: 480 })));
    figures++;
  }
  if (historyCharts.length > 0) sections.push(`<h2 id="histories">Metric histories</h2><div class="grid">${historyCharts.join("")}</div>`);

  const html = htmlPage({ title: `${options.experiment}: run report`, body: sections.join("\n") });
  return { html, runs, differingParams: differing, metrics: metricKeys, figures };
}
