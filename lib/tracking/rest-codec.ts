/**
 * The JSON shapes of MLflow's REST API 2.0 (proto field names) and the workbench entities, both
 * ways, plus the splitting of a write into log-batch requests within MLflow's limits: at most
 * 1000 metrics, 100 params, 100 tags, 1000 entries in all and 1 MB of body per request.
 */
import { TrackingError } from "../errors.js";
import type { ArtifactInfo, Experiment, LifecycleStage, Metric, Run, RunInfo, RunStatus } from "./entities.js";
import type { LogBatch } from "./store.js";
import { MAX_ENTITIES_PER_BATCH, MAX_METRICS_PER_BATCH, MAX_PARAMS_TAGS_PER_BATCH } from "./validation.js";

/** MLflow's limit on a log-batch body (mlflow/utils/validation.py MAX_BATCH_LOG_REQUEST_SIZE). */
export const MAX_BATCH_BODY_BYTES = 1_000_000;

/** Limits one log-batch request must respect. */
export interface BatchLimits {
  metrics: number;
  params: number;
  tags: number;
  entries: number;
  bodyBytes: number;
}

/** MLflow's own limits. */
export const MLFLOW_BATCH_LIMITS: Readonly<BatchLimits> = {
  metrics: MAX_METRICS_PER_BATCH,
  params: MAX_PARAMS_TAGS_PER_BATCH,
  tags: MAX_PARAMS_TAGS_PER_BATCH,
  entries: MAX_ENTITIES_PER_BATCH,
  bodyBytes: MAX_BATCH_BODY_BYTES,
};

/** A metric value as proto3 JSON writes a double: NaN and infinities as strings. */
export function encodeMetricValue(value: number): number | string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  return value;
}

/** Read a double from proto3 JSON (a number or "NaN" / "Infinity" / "-Infinity"). */
export function decodeMetricValue(value: unknown): number {
  if (typeof value === "number") return value;
  if (value === "NaN") return NaN;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  throw new TrackingError(`the server sent a metric value that is not a number: ${JSON.stringify(value)}`);
}

/**
 * The identity of a metric point as a server stores it. MLflow's SQL store keeps an infinity as
 * +-1.7976931348623157e308 (the largest double), so the two spellings count as one point.
 */
export function metricPointKey(key: string, value: number, timestamp: number, step: number): string {
  let v: string;
  if (Number.isNaN(value)) v = "nan";
  else if (value === Infinity || value === Number.MAX_VALUE) v = "inf";
  else if (value === -Infinity || value === -Number.MAX_VALUE) v = "-inf";
  else v = String(value === 0 ? 0 : value);
  return `${key}\u0000${step}\u0000${timestamp}\u0000${v}`;
}

function int(value: unknown): number {
  if (value === undefined || value === null || value === "") return 0;
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

function str(value: unknown): string {
  return value === undefined || value === null ? "" : String(value);
}

function keyValues(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(list)) return out;
  for (const item of list as { key?: unknown; value?: unknown }[]) out[str(item.key)] = str(item.value);
  return out;
}

const STATUSES = new Set<RunStatus>(["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]);

/** A RunInfo from its REST JSON. */
export function runInfoFromJson(json: Record<string, unknown>): RunInfo {
  const status = str(json.status) as RunStatus;
  const end = json.end_time;
  return {
    runId: str(json.run_id ?? json.run_uuid),
    runName: str(json.run_name),
    experimentId: str(json.experiment_id),
    userId: str(json.user_id),
    status: STATUSES.has(status) ? status : "RUNNING",
    startTime: int(json.start_time),
    endTime: end === undefined || end === null || end === "" ? null : int(end),
    artifactUri: str(json.artifact_uri),
    lifecycleStage: (json.lifecycle_stage === "deleted" ? "deleted" : "active") as LifecycleStage,
  };
}

/** A Run from its REST JSON. */
export function runFromJson(json: Record<string, unknown>): Run {
  const info = runInfoFromJson((json.info ?? {}) as Record<string, unknown>);
  const data = (json.data ?? {}) as Record<string, unknown>;
  const metrics: Record<string, number> = {};
  if (Array.isArray(data.metrics)) for (const m of data.metrics as { key?: unknown; value?: unknown }[]) metrics[str(m.key)] = decodeMetricValue(m.value);
  const tags = keyValues(data.tags);
  if (!info.runName && tags["mlflow.runName"]) info.runName = tags["mlflow.runName"];
  return { info, data: { metrics, params: keyValues(data.params), tags } };
}

/** An Experiment from its REST JSON. */
export function experimentFromJson(json: Record<string, unknown>): Experiment {
  return {
    experimentId: str(json.experiment_id),
    name: str(json.name),
    artifactLocation: str(json.artifact_location),
    lifecycleStage: (json.lifecycle_stage === "deleted" ? "deleted" : "active") as LifecycleStage,
    creationTime: int(json.creation_time),
    lastUpdateTime: int(json.last_update_time),
    tags: keyValues(json.tags),
  };
}

/** A metric point from its REST JSON. */
export function metricFromJson(json: Record<string, unknown>): Metric {
  return { key: str(json.key), value: decodeMetricValue(json.value), timestamp: int(json.timestamp), step: int(json.step) };
}

/** An artifact listing entry, its path made relative to the run's artifact root. */
export function artifactFromJson(json: Record<string, unknown>, prefix: string): ArtifactInfo {
  const name = str(json.path);
  const path = prefix === "" ? name : `${prefix}/${name}`;
  if (json.is_dir === true) return { path, isDir: true };
  return { path, isDir: false, fileSize: json.file_size === undefined ? undefined : int(json.file_size) };
}

/** `[{key, value}]` as the API wants tags and params. */
export function toKeyValueList(record: Record<string, string>): { key: string; value: string }[] {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}

function serializeMetric(m: Metric): string {
  return `{"key":${JSON.stringify(m.key)},"value":${JSON.stringify(encodeMetricValue(m.value))},"timestamp":${m.timestamp},"step":${m.step}}`;
}

function serializeKeyValue(key: string, value: string): string {
  return `{"key":${JSON.stringify(key)},"value":${JSON.stringify(value)}}`;
}

/** One log-batch request: the entries it carries and its serialized body. */
export interface BatchChunk {
  metrics: Metric[];
  params: Record<string, string>;
  tags: Record<string, string>;
  body: string;
}

/** The JSON body of a log-batch request. */
export function logBatchBody(runId: string, metrics: readonly Metric[], params: Record<string, string>, tags: Record<string, string>): string {
  const m = metrics.map(serializeMetric).join(",");
  const p = Object.entries(params).map(([k, v]) => serializeKeyValue(k, v)).join(",");
  const t = Object.entries(tags).map(([k, v]) => serializeKeyValue(k, v)).join(",");
  return `{"run_id":${JSON.stringify(runId)},"metrics":[${m}],"params":[${p}],"tags":[${t}]}`;
}

/**
 * Split a batch into requests within the limits, greedily and in order: params, then metrics, then
 * tags (MLflow's own order inside a batch, so a tag written with a metric lands after it). Each
 * chunk is as full as the limits allow; an entry never spans two chunks.
 */
export function chunkLogBatch(runId: string, batch: LogBatch, limits: BatchLimits = MLFLOW_BATCH_LIMITS): BatchChunk[] {
  const chunks: BatchChunk[] = [];
  const envelope = Buffer.byteLength(logBatchBody(runId, [], {}, {}), "utf8");
  let metrics: Metric[] = [];
  let params: Record<string, string> = {};
  let tags: Record<string, string> = {};
  let nParams = 0;
  let nTags = 0;
  let bytes = envelope;
  const flush = (): void => {
    if (metrics.length + nParams + nTags === 0) return;
    chunks.push({ metrics, params, tags, body: logBatchBody(runId, metrics, params, tags) });
    metrics = [];
    params = {};
    tags = {};
    nParams = 0;
    nTags = 0;
    bytes = envelope;
  };
  const room = (kind: "metrics" | "params" | "tags", size: number): boolean => {
    const count = kind === "metrics" ? metrics.length : kind === "params" ? nParams : nTags;
    const total = metrics.length + nParams + nTags;
    // +1 for the comma between entries.
    return count < limits[kind] && total < limits.entries && bytes + size + 1 <= limits.bodyBytes;
  };
  const place = (kind: "metrics" | "params" | "tags", size: number): void => {
    if (!room(kind, size)) flush();
    if (!room(kind, size)) throw new TrackingError(`one ${kind.slice(0, -1)} entry (${size} bytes) is larger than a whole log-batch request may be (${limits.bodyBytes} bytes)`);
    bytes += size + 1;
  };
  for (const [key, value] of Object.entries(batch.params ?? {})) {
    place("params", Buffer.byteLength(serializeKeyValue(key, value), "utf8"));
    params[key] = value;
    nParams++;
  }
  for (const m of batch.metrics ?? []) {
    place("metrics", Buffer.byteLength(serializeMetric(m), "utf8"));
    metrics.push(m);
  }
  for (const [key, value] of Object.entries(batch.tags ?? {})) {
    place("tags", Buffer.byteLength(serializeKeyValue(key, value), "utf8"));
    tags[key] = value;
    nTags++;
  }
  flush();
  return chunks;
}

/**
 * The path of a run's artifact root below the server's proxied artifact API
 * (`mlflow-artifacts:/1/<run>/artifacts` -> `1/<run>/artifacts`), or undefined when the run's
 * artifacts live somewhere this client cannot reach through the server.
 */
export function proxiedArtifactRoot(artifactUri: string, baseUrl: string): string | undefined {
  const trimmed = artifactUri.replace(/\/+$/, "");
  let match = /^mlflow-artifacts:\/\/[^/]*\/(.*)$/.exec(trimmed);
  if (match) return match[1];
  match = /^mlflow-artifacts:\/?(.*)$/.exec(trimmed);
  if (match) return match[1].replace(/^\/+/, "");
  const marker = "/api/2.0/mlflow-artifacts/artifacts/";
  if ((trimmed.startsWith("http://") || trimmed.startsWith("https://")) && trimmed.includes(marker)) {
    try {
      const url = new URL(trimmed);
      if (url.origin === new URL(baseUrl).origin) return decodeURIComponent(url.pathname.slice(url.pathname.indexOf(marker) + marker.length));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Percent-encode each segment of a slash-separated path. */
export function encodePath(path: string): string {
  return path
    .split("/")
    .map((segment) => encodeURIComponent(segment))
    .join("/");
}
