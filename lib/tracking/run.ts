/**
 * The run API experiments and notebooks use: `const run = await tracker.startRun({...})`, then
 * `run.logParams`, `run.logMetric`, `run.logArtifact`, ..., `run.end()`. It splits large writes into
 * MLflow-sized batches, stringifies values, and refuses writes after the run has ended.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TrackingError, describeError } from "../errors.js";
import { MLFLOW_TAGS, type Metric, type RunInfo, type RunStatus } from "./entities.js";
import type { TrackingStore } from "./store.js";
import { MAX_METRICS_PER_BATCH, MAX_PARAMS_TAGS_PER_BATCH } from "./validation.js";

/** A value that can be logged as a param or tag: stored as text. */
export type LoggableValue = string | number | boolean | null | undefined | bigint;

function asText(value: LoggableValue | object): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function chunkEntries(record: Record<string, string>, size: number): Record<string, string>[] {
  const entries = Object.entries(record);
  const out: Record<string, string>[] = [];
  for (let i = 0; i < entries.length; i += size) out.push(Object.fromEntries(entries.slice(i, i + size)));
  return out;
}

/** A live run: log to it, then end it. */
export class ActiveRun {
  private endedWith: RunStatus | undefined;

  constructor(
    readonly store: TrackingStore,
    readonly info: RunInfo,
  ) {}

  get runId(): string {
    return this.info.runId;
  }

  get experimentId(): string {
    return this.info.experimentId;
  }

  /** Whether end() has been called. */
  get ended(): boolean {
    return this.endedWith !== undefined;
  }

  private assertOpen(what: string): void {
    if (this.endedWith) {
      throw new TrackingError(`cannot ${what}: run ${this.runId} has already ended (${this.endedWith}); start a new run to log more`);
    }
  }

  /** Log one param; logging the same key again with another value is an error. */
  async logParam(key: string, value: LoggableValue | object): Promise<void> {
    await this.logParams({ [key]: value });
  }

  /** Log many params, split into MLflow-sized batches. */
  async logParams(params: Record<string, LoggableValue | object>): Promise<void> {
    this.assertOpen("log params");
    const text: Record<string, string> = {};
    for (const [k, v] of Object.entries(params)) text[k] = asText(v);
    for (const chunk of chunkEntries(text, MAX_PARAMS_TAGS_PER_BATCH)) await this.store.logBatch(this.runId, { params: chunk });
  }

  /** Log one metric point at a step (default 0) and time (default now). */
  async logMetric(key: string, value: number, step = 0, timestamp = Date.now()): Promise<void> {
    this.assertOpen("log a metric");
    await this.store.logBatch(this.runId, { metrics: [{ key, value, step, timestamp }] });
  }

  /** Log several metrics at one step as one batch. */
  async logMetrics(values: Record<string, number>, step = 0, timestamp = Date.now()): Promise<void> {
    const points: Metric[] = Object.entries(values).map(([key, value]) => ({ key, value, step, timestamp }));
    await this.logMetricPoints(points);
  }

  /** Log many metric points; each MLflow-sized batch is durable when its write returns. */
  async logMetricPoints(points: readonly Metric[]): Promise<void> {
    this.assertOpen("log metrics");
    for (let i = 0; i < points.length; i += MAX_METRICS_PER_BATCH) {
      await this.store.logBatch(this.runId, { metrics: points.slice(i, i + MAX_METRICS_PER_BATCH) });
    }
  }

  /** Set one tag (tags, unlike params, may be overwritten). */
  async setTag(key: string, value: LoggableValue | object): Promise<void> {
    await this.setTags({ [key]: value });
  }

  /** Set many tags. */
  async setTags(tags: Record<string, LoggableValue | object>): Promise<void> {
    this.assertOpen("set tags");
    const text: Record<string, string> = {};
    for (const [k, v] of Object.entries(tags)) text[k] = asText(v);
    for (const chunk of chunkEntries(text, MAX_PARAMS_TAGS_PER_BATCH)) await this.store.logBatch(this.runId, { tags: chunk });
  }

  /** Set the run's markdown description (shown by the MLflow UI). */
  async setDescription(markdown: string): Promise<void> {
    await this.setTag(MLFLOW_TAGS.note, markdown);
  }

  /** Copy a local file or folder into the run's artifacts, under `artifactPath`. */
  async logArtifact(localPath: string, artifactPath = ""): Promise<string> {
    this.assertOpen("log an artifact");
    return this.store.logArtifact(this.runId, localPath, artifactPath);
  }

  /** Write text as an artifact file (e.g. "report/summary.md"). */
  async logText(text: string, artifactFile: string): Promise<void> {
    this.assertOpen("log an artifact");
    await this.store.logArtifactBytes(this.runId, artifactFile, text);
  }

  /** Write a value as pretty JSON (NaN and infinities as strings, so the file stays valid JSON). */
  async logJson(value: unknown, artifactFile: string): Promise<void> {
    const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v), 2);
    await this.logText(text + "\n", artifactFile);
  }

  /** Write raw bytes (PNG and the like) as an artifact file. */
  async logBytes(bytes: Uint8Array, artifactFile: string): Promise<void> {
    this.assertOpen("log an artifact");
    await this.store.logArtifactBytes(this.runId, artifactFile, bytes);
  }

  /** Write an SVG or HTML document as an artifact file. */
  async logFigure(markup: string, artifactFile: string): Promise<void> {
    if (!/\.(svg|html?)$/i.test(artifactFile)) throw new TrackingError(`figure artifact '${artifactFile}' must end in .svg or .html`);
    await this.logText(markup, artifactFile);
  }

  /** Log a folder built by `fill` into the artifacts (temporary folder removed afterwards). */
  async logFolder(artifactPath: string, fill: (dir: string) => void | Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), "workbench-artifacts-"));
    try {
      await fill(dir);
      await this.logArtifact(dir, artifactPath);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** End the run with a status (default FINISHED) and the end time. */
  async end(status: RunStatus = "FINISHED"): Promise<void> {
    if (this.endedWith) return;
    await this.store.updateRun(this.runId, { status, endTime: Date.now() });
    this.endedWith = status;
  }

  /** Record an exception on the run (tag + error.txt) and end it as FAILED. */
  async fail(error: unknown): Promise<void> {
    if (this.endedWith) return;
    const message = describeError(error);
    try {
      await this.store.logBatch(this.runId, { tags: { "workbench.error": message.slice(0, 8000) } });
      const stack = error instanceof Error && error.stack ? error.stack : message;
      await this.store.logArtifactBytes(this.runId, "error.txt", stack + "\n");
    } finally {
      await this.end("FAILED");
    }
  }
}
