/**
 * The REST backend: the same TrackingStore contract as the file store, spoken to an MLflow tracking
 * server over its REST API 2.0 (chosen by MLFLOW_TRACKING_URI=http(s)://...).
 *
 * Failure model. Every request is retried with exponential backoff and jitter on network errors,
 * timeouts and 408/429/5xx (retry.ts). Writes are made safe to repeat:
 * - params: re-sending the same value is accepted by MLflow; a different value fails locally first;
 * - tags, run updates, artifact uploads: last write wins, so a repeat changes nothing;
 * - metric points: a repeat would add a second copy on a server whose store keeps duplicates. After
 *   any failure that may hide a delivered request (reset, timeout, 5xx; not a refused connection),
 *   the next attempt first reads the run's history of the batch's keys and drops the points already
 *   there, by (key, step, timestamp, value). A point is thus written at most once, whatever was lost;
 * - run creation: each run carries a random `workbench.create_token` tag; after an ambiguous failure
 *   the retry first searches for a run with that token.
 * When the server stays unreachable past the retries, writes go to an append-only journal (spool.ts)
 * and are replayed when it answers again (on a later write, when the run ends, on the next start,
 * or by `workbench sync`), with the same idempotency rules; the entry a replay resumes at is always
 * treated as possibly delivered, which covers a process killed between a send and its bookkeeping.
 * A run started while the server is unreachable gets a provisional id (`wbspool...`); its replay
 * creates it, records the server's id beside the journal, and rewrites children's parent links.
 */
import { createReadStream, existsSync, readdirSync, statSync } from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import { basename, join, resolve } from "node:path";
import { NotFoundError, TrackingError, describeError } from "../errors.js";
import { createRng, type Rng } from "../util/random.js";
import { MLFLOW_TAGS, type ArtifactInfo, type Experiment, type Metric, type Run, type RunInfo, type ViewType } from "./entities.js";
import { authFromEnv, parseServerUri, type RestAuth } from "./rest-auth.js";
import { isRetryable, maybeDelivered, RestClient, RestError, RestNotFoundError, ServerUnreachableError, type RestRequest, type RestResponse } from "./rest-client.js";
import {
  artifactFromJson,
  chunkLogBatch,
  decodeMetricValue,
  encodeMetricValue,
  encodePath,
  experimentFromJson,
  logBatchBody,
  metricFromJson,
  metricPointKey,
  proxiedArtifactRoot,
  runFromJson,
  runInfoFromJson,
  toKeyValueList,
  MLFLOW_BATCH_LIMITS,
  type BatchLimits,
} from "./rest-codec.js";
import { retryPolicyFromEnv, sleep as realSleep, withRetries, type RetryPolicy } from "./retry.js";
import { defaultSpoolRoot, Spool, type SpoolEntry, type SpooledMetric } from "./spool.js";
import type { CreateRunOptions, LogBatch, SearchRunsOptions, SearchRunsPage, TrackingStore, UpdateRunOptions } from "./store.js";
import {
  MAX_EXPERIMENT_TAG_VALUE_LENGTH,
  MAX_PARAM_VALUE_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  limitValueLength,
  safeArtifactPath,
  validateExperimentName,
  validateKey,
  validateMetric,
  validateRunId,
} from "./validation.js";

/** The tag that makes run creation safe to retry. */
export const CREATE_TOKEN_TAG = "workbench.create_token";
/** Prefix of the provisional id of a run created while the server was unreachable. */
export const PROVISIONAL_RUN_PREFIX = "wbspool";
/** Page size for metric histories (the server's own maximum is 25000 per page). */
export const HISTORY_PAGE_SIZE = 25000;

/** Options of a REST store. */
export interface RestStoreOptions {
  /** Warnings (truncated values, spooling, replays). */
  warn?: (message: string) => void;
  /** Environment to read credentials and retry settings from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Credentials (default from the environment). */
  auth?: RestAuth;
  /** Retry policy overrides. */
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout in ms (default WORKBENCH_HTTP_TIMEOUT_MS, MLFLOW_HTTP_REQUEST_TIMEOUT s, or 60 s). */
  timeoutMs?: number;
  /** Source of jitter (default seeded from the clock). */
  rng?: Rng;
  /** Spool folder for offline writes; false turns spooling off (errors then reach the caller). */
  spoolDir?: string | false;
  /** While a run is offline, how often a write tries the server again (default 2000 ms). */
  probeIntervalMs?: number;
  /** How long ending a run waits for an unreachable server before leaving the run spooled (default 30 s). */
  flushTimeoutMs?: number;
  /** Replay journals left by dead processes on first contact (default true). */
  replayOrphans?: boolean;
  /** Log-batch limits (default MLflow's). */
  batchLimits?: BatchLimits;
  /** Sleep used between retries (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
}

interface CallOptions {
  policy?: RetryPolicy;
  timeoutMs?: number;
}

/** Thrown when a write stopped part-way: what is left to send, and whether its head may have been sent. */
class WriteInterrupted extends ServerUnreachableError {
  override readonly name: string = "WriteInterrupted";
  constructor(
    cause: ServerUnreachableError,
    readonly remaining: SpoolEntry,
  ) {
    super(cause.message, cause.details, { cause: cause.cause });
  }
}

function envTimeout(env: NodeJS.ProcessEnv): number {
  const ms = Number(env.WORKBENCH_HTTP_TIMEOUT_MS);
  if (env.WORKBENCH_HTTP_TIMEOUT_MS && Number.isFinite(ms) && ms > 0) return ms;
  const seconds = Number(env.MLFLOW_HTTP_REQUEST_TIMEOUT);
  if (env.MLFLOW_HTTP_REQUEST_TIMEOUT && Number.isFinite(seconds) && seconds > 0) return seconds * 1000;
  return 60_000;
}

function clockSeed(): number {
  return randomBytes(4).readUInt32LE(0);
}

function listFilesRecursive(root: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listFilesRecursive(root, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

/** Run `tasks` with at most `limit` in flight. */
async function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.min(limit, items.length); w++) {
    workers.push(
      (async () => {
        while (next < items.length) await task(items[next++]);
      })(),
    );
  }
  await Promise.all(workers);
}

function toSpooled(metrics: readonly Metric[]): SpooledMetric[] {
  return metrics.map((m) => [m.key, encodeMetricValue(m.value), m.timestamp, m.step]);
}

function fromSpooled(metrics: readonly SpooledMetric[]): Metric[] {
  return metrics.map(([key, value, timestamp, step]) => ({ key, value: decodeMetricValue(value), timestamp, step }));
}

/** The MLflow tracking server backend. */
export class RestStore implements TrackingStore {
  readonly kind = "rest";
  readonly baseUrl: string;
  readonly client: RestClient;
  readonly spool: Spool | undefined;
  private readonly policy: RetryPolicy;
  private readonly rng: Rng;
  private readonly warn: (message: string) => void;
  private readonly wait: (ms: number) => Promise<void>;
  private readonly probeIntervalMs: number;
  private readonly flushTimeoutMs: number;
  private readonly limits: BatchLimits;
  private readonly infos = new Map<string, RunInfo>();
  private readonly params = new Map<string, Map<string, string>>();
  private readonly lastProbe = new Map<string, number>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly replayOrphansOnStart: boolean;

  constructor(uri: string, options: RestStoreOptions = {}) {
    const env = options.env ?? process.env;
    const parsed = parseServerUri(uri);
    this.baseUrl = parsed.baseUrl;
    const auth = options.auth ?? authFromEnv(env, parsed.userInfo);
    this.client = new RestClient(this.baseUrl, {
      auth,
      timeoutMs: options.timeoutMs ?? envTimeout(env),
      insecureTls: env.MLFLOW_TRACKING_INSECURE_TLS === "true",
      caPath: env.MLFLOW_TRACKING_SERVER_CERT_PATH || undefined,
    });
    this.policy = retryPolicyFromEnv(env, options.retry);
    this.rng = options.rng ?? createRng(clockSeed());
    const redact = (message: string): string => this.client.redactor.redact(message);
    const warn = options.warn ?? ((message: string) => process.emitWarning(message));
    this.warn = (message) => warn(redact(message));
    this.wait = options.sleep ?? realSleep;
    this.probeIntervalMs = options.probeIntervalMs ?? 2000;
    this.flushTimeoutMs = options.flushTimeoutMs ?? 30_000;
    this.limits = options.batchLimits ?? MLFLOW_BATCH_LIMITS;
    const spoolDir = options.spoolDir ?? (env.WORKBENCH_SPOOL_DIR === "off" ? false : defaultSpoolRoot(env));
    this.spool = spoolDir === false ? undefined : new Spool(resolve(spoolDir), this.baseUrl);
    this.replayOrphansOnStart = options.replayOrphans ?? true;
  }

  /** Close idle connections (a process can exit at once afterwards). */
  close(): void {
    this.client.close();
  }

  // ---------------------------------------------------------------- transport

  /**
   * Run `body` with retries. `body` learns whether an earlier attempt may have reached the server
   * (a reset, a timeout, a 5xx - not a refused connection), so a write can check before repeating
   * itself. A retryable failure that outlasts the policy becomes ServerUnreachableError.
   */
  private async retrying<T>(body: (ambiguous: boolean) => Promise<T>, options: CallOptions = {}): Promise<T> {
    const policy = options.policy ?? this.policy;
    let ambiguous = false;
    try {
      return await withRetries(
        policy,
        this.rng,
        async () => {
          try {
            return await body(ambiguous);
          } catch (error) {
            if (maybeDelivered(error)) ambiguous = true;
            throw error;
          }
        },
        {
          isRetryable,
          retryAfterMs: (error) => (error instanceof RestError ? error.details.retryAfterMs : undefined),
          sleep: this.wait,
        },
      );
    } catch (error) {
      if (error instanceof RestError && error.details.retryable && !(error instanceof ServerUnreachableError)) {
        throw new ServerUnreachableError(
          `tracking server ${this.baseUrl} unreachable after ${policy.maxAttempts} attempt(s)`,
          { ...error.details, delivered: ambiguous ? "maybe" : "no" },
          { cause: error },
        );
      }
      throw error;
    }
  }

  /** One request with retries. */
  private call(request: RestRequest, options: CallOptions = {}): Promise<RestResponse> {
    this.replayOrphansOnce();
    const timed: RestRequest = options.timeoutMs !== undefined ? { ...request, timeoutMs: options.timeoutMs } : request;
    return this.retrying(() => this.client.send(timed), options);
  }

  /** One attempt, no retries (for the checks made between the attempts of a write). */
  private async once(method: "GET" | "POST", endpoint: string, payload: Record<string, unknown> | [string, string][], options: CallOptions): Promise<Record<string, unknown>> {
    const request: RestRequest =
      method === "GET"
        ? { method, path: `/api/2.0/mlflow/${endpoint}`, query: payload as [string, string][], timeoutMs: options.timeoutMs }
        : { method, path: `/api/2.0/mlflow/${endpoint}`, json: payload, timeoutMs: options.timeoutMs };
    return (await this.client.send(request)).json;
  }

  private async api(method: "GET" | "POST", endpoint: string, payload?: Record<string, unknown> | [string, string][], options?: CallOptions): Promise<Record<string, unknown>> {
    const request: RestRequest =
      method === "GET"
        ? { method, path: `/api/2.0/mlflow/${endpoint}`, query: (payload as [string, string][] | undefined) ?? [] }
        : { method, path: `/api/2.0/mlflow/${endpoint}`, json: payload ?? {} };
    return (await this.call(request, options)).json;
  }

  // ---------------------------------------------------------------- experiments

  async listExperiments(view: ViewType = "ACTIVE_ONLY"): Promise<Experiment[]> {
    const out: Experiment[] = [];
    let pageToken: string | undefined;
    do {
      const json = await this.api("POST", "experiments/search", { max_results: 1000, view_type: view, ...(pageToken ? { page_token: pageToken } : {}) });
      for (const e of (json.experiments as Record<string, unknown>[] | undefined) ?? []) out.push(experimentFromJson(e));
      pageToken = typeof json.next_page_token === "string" && json.next_page_token !== "" ? json.next_page_token : undefined;
    } while (pageToken);
    return out;
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const json = await this.api("GET", "experiments/get", [["experiment_id", experimentId]]);
    return experimentFromJson(json.experiment as Record<string, unknown>);
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      const json = await this.api("GET", "experiments/get-by-name", [["experiment_name", name]]);
      return experimentFromJson(json.experiment as Record<string, unknown>);
    } catch (error) {
      if (error instanceof RestNotFoundError) return undefined;
      throw error;
    }
  }

  async createExperiment(name: string, tags: Record<string, string> = {}): Promise<string> {
    validateExperimentName(name);
    const tagList: { key: string; value: string }[] = [];
    for (const [key, value] of Object.entries(tags)) {
      validateKey("tag", key);
      tagList.push({ key, value: this.cleanValue("experiment tag value", key, value, MAX_EXPERIMENT_TAG_VALUE_LENGTH) });
    }
    try {
      return await this.retrying(async (ambiguous) => {
        if (ambiguous) {
          // Our earlier attempt may have created it before its answer was lost.
          try {
            const json = await this.once("GET", "experiments/get-by-name", [["experiment_name", name]], {});
            return String((json.experiment as Record<string, unknown>).experiment_id);
          } catch (error) {
            if (!(error instanceof RestNotFoundError)) throw error;
          }
        }
        const json = await this.once("POST", "experiments/create", { name, tags: tagList }, {});
        return String(json.experiment_id);
      });
    } catch (error) {
      if (error instanceof RestError && error.details.errorCode === "RESOURCE_ALREADY_EXISTS") {
        throw new TrackingError(`experiment '${name}' already exists on ${this.baseUrl}`, { cause: error });
      }
      throw error;
    }
  }

  private readonly experimentsByName = new Map<string, Experiment>();

  async getOrCreateExperiment(name: string): Promise<Experiment> {
    validateExperimentName(name);
    let found: Experiment | undefined;
    try {
      found = await this.getExperimentByName(name);
    } catch (error) {
      // Offline: an experiment this process already used stays usable, so that runs can start in the spool.
      const cached = this.experimentsByName.get(name);
      if (cached && error instanceof ServerUnreachableError) return cached;
      throw error;
    }
    if (!found) {
      try {
        await this.createExperiment(name);
      } catch (error) {
        // Another client created it between our lookup and our create.
        if (!(error instanceof TrackingError && /already exists/.test(error.message))) throw error;
      }
      found = await this.getExperimentByName(name);
      if (!found) throw new TrackingError(`experiment '${name}' could not be created on ${this.baseUrl}`);
    }
    if (found.lifecycleStage === "deleted") {
      throw new TrackingError(`experiment '${found.name}' (id ${found.experimentId}) is deleted; restore it with experiments restore`);
    }
    this.experimentsByName.set(name, found);
    return found;
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    validateExperimentName(newName);
    await this.api("POST", "experiments/update", { experiment_id: experimentId, new_name: newName });
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    await this.api("POST", "experiments/delete", { experiment_id: experimentId });
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.api("POST", "experiments/restore", { experiment_id: experimentId });
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    validateKey("tag", key);
    await this.api("POST", "experiments/set-experiment-tag", {
      experiment_id: experimentId,
      key,
      value: this.cleanValue("experiment tag value", key, value, MAX_EXPERIMENT_TAG_VALUE_LENGTH),
    });
  }

  // ---------------------------------------------------------------- runs

  /** Truncate over-long values as MLflow does, and never let a credential through. */
  private cleanValue(what: string, key: string, value: string, limit: number): string {
    let text = String(value);
    if (this.client.redactor.contains(text)) {
      this.warn(`${what} '${key}' contained a tracking-server credential; it was replaced by ***`);
      text = this.client.redactor.redact(text);
    }
    return limitValueLength(what, key, text, limit, this.warn);
  }

  async createRun(options: CreateRunOptions): Promise<RunInfo> {
    const experimentId = options.experimentId ?? "0";
    const tags: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.tags ?? {})) {
      validateKey("tag", key);
      tags[key] = this.cleanValue("tag value", key, value, MAX_TAG_VALUE_LENGTH);
    }
    const tagName = tags[MLFLOW_TAGS.runName];
    if (options.runName && tagName && options.runName !== tagName) {
      throw new TrackingError(`run name '${options.runName}' and tag mlflow.runName '${tagName}' differ`);
    }
    const token = randomUUID().replace(/-/g, "");
    tags[CREATE_TOKEN_TAG] = token;
    const body: Record<string, unknown> = {
      experiment_id: experimentId,
      user_id: options.userId ?? "",
      start_time: options.startTime ?? Date.now(),
      tags: toKeyValueList(tags),
    };
    const runName = options.runName ?? tagName;
    if (runName) body.run_name = runName;
    this.replayOrphansOnce();
    const entry: Extract<SpoolEntry, { op: "create" }> = {
      op: "create",
      experimentId,
      userId: String(body.user_id),
      startTime: Number(body.start_time),
      tags,
      ...(runName ? { runName } : {}),
    };
    try {
      const info = await this.sendCreate(entry, false, {});
      this.infos.set(info.runId, info);
      return info;
    } catch (error) {
      const spool = this.spool;
      if (!spool || !(error instanceof ServerUnreachableError)) throw error;
      // The run starts in the journal under a provisional id; its replay creates it on the server.
      const provisional = `${PROVISIONAL_RUN_PREFIX}${randomUUID().replace(/-/g, "").slice(0, 25)}`;
      this.spoolWrite(provisional, { ...entry, maybeSent: maybeDelivered(error) }, error);
      const info: RunInfo = {
        runId: provisional,
        runName: runName ?? "",
        experimentId,
        userId: entry.userId,
        status: "RUNNING",
        startTime: entry.startTime,
        endTime: null,
        artifactUri: "",
        lifecycleStage: "active",
      };
      this.infos.set(provisional, info);
      return info;
    }
  }

  /** Create a run on the server; after an ambiguous failure, first look for the run by its token. */
  private async sendCreate(entry: Extract<SpoolEntry, { op: "create" }>, maybeSent: boolean, options: CallOptions): Promise<RunInfo> {
    const token = entry.tags[CREATE_TOKEN_TAG];
    const tags = await this.mapRunIds(entry.tags);
    const body: Record<string, unknown> = { experiment_id: entry.experimentId, user_id: entry.userId, start_time: entry.startTime, tags: toKeyValueList(tags) };
    if (entry.runName) body.run_name = entry.runName;
    const json = await this.retrying(async (ambiguous) => {
      if ((ambiguous || maybeSent) && token) {
        // Our earlier attempt may have created the run before its answer was lost: find it by token.
        const found = await this.once(
          "POST",
          "runs/search",
          { experiment_ids: [entry.experimentId], filter: `tags.\`${CREATE_TOKEN_TAG}\` = '${token}'`, max_results: 1, run_view_type: "ALL" },
          options,
        );
        const runs = (found.runs as Record<string, unknown>[] | undefined) ?? [];
        if (runs.length > 0) return { run: runs[0] } as Record<string, unknown>;
      }
      return this.once("POST", "runs/create", body, options);
    }, options);
    return runFromJson(json.run as Record<string, unknown>).info;
  }

  /** Whether a run id is provisional (the run was created offline). */
  static isProvisional(runId: string): boolean {
    return runId.startsWith(PROVISIONAL_RUN_PREFIX);
  }

  private readonly mapping = new Map<string, string>();

  /** The server's id for a run id: itself, or for a provisional id the id its replay created (if done). */
  resolveRunId(runId: string): string {
    if (!RestStore.isProvisional(runId)) return runId;
    const known = this.mapping.get(runId);
    if (known) return known;
    const mapped = this.spool?.mappedId(runId);
    if (mapped) this.mapping.set(runId, mapped);
    return mapped ?? runId;
  }

  /** Replace provisional run ids in link tags (a child started while its parent was offline) by server ids. */
  private async mapRunIds(tags: Record<string, string>): Promise<Record<string, string>> {
    const parent = tags[MLFLOW_TAGS.parentRunId];
    if (!parent || !RestStore.isProvisional(parent)) return tags;
    let mapped = this.resolveRunId(parent);
    if (mapped === parent && this.spool?.has(parent) && (this.spool.owns(parent) || this.spool.claim(parent))) {
      // The parent's creation is still journaled: replay it first.
      await this.exclusive(parent, () => this.drain(parent, {}));
      mapped = this.resolveRunId(parent);
    }
    if (mapped === parent) {
      throw new ServerUnreachableError(`run ${parent}, the parent of this run, was created offline and is not on the server yet`, { retryable: true, delivered: "no" });
    }
    return { ...tags, [MLFLOW_TAGS.parentRunId]: mapped };
  }

  async updateRun(runId: string, update: UpdateRunOptions): Promise<RunInfo> {
    validateRunId(runId);
    const entry: SpoolEntry = { op: "update" };
    if (update.status) entry.status = update.status;
    if (update.endTime !== undefined) entry.endTime = update.endTime;
    if (update.runName) entry.runName = update.runName;
    const answer = await this.write(runId, entry);
    const terminal = update.status !== undefined && update.status !== "RUNNING" && update.status !== "SCHEDULED";
    if (terminal && this.spool?.owns(runId)) await this.flush(runId);
    if (answer) return answer;
    const known = this.infos.get(runId);
    const info: RunInfo = known
      ? { ...known }
      : { runId, runName: "", experimentId: "", userId: "", status: "RUNNING", startTime: 0, endTime: null, artifactUri: "", lifecycleStage: "active" };
    if (update.status) info.status = update.status;
    if (update.endTime !== undefined) info.endTime = update.endTime;
    if (update.runName) info.runName = update.runName;
    this.infos.set(runId, info);
    return info;
  }

  async deleteRun(runId: string): Promise<void> {
    validateRunId(runId);
    await this.api("POST", "runs/delete", { run_id: this.resolveRunId(runId) });
  }

  async restoreRun(runId: string): Promise<void> {
    validateRunId(runId);
    await this.api("POST", "runs/restore", { run_id: this.resolveRunId(runId) });
  }

  async getRun(runId: string): Promise<Run> {
    validateRunId(runId);
    await this.settle(runId);
    const json = await this.api("GET", "runs/get", [["run_id", this.resolveRunId(runId)]]);
    const run = runFromJson(json.run as Record<string, unknown>);
    this.infos.set(run.info.runId, run.info);
    return run;
  }

  async getRunInfo(runId: string): Promise<RunInfo> {
    return (await this.getRun(runId)).info;
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    validateRunId(runId);
    const metrics = batch.metrics ?? [];
    for (const m of metrics) validateMetric(m.key, m.value, m.timestamp, m.step);
    const params: Record<string, string> = {};
    let seen = this.params.get(runId);
    for (const [key, raw] of Object.entries(batch.params ?? {})) {
      validateKey("param", key);
      const value = this.cleanValue("param value", key, raw, MAX_PARAM_VALUE_LENGTH);
      const before = seen?.get(key);
      if (before !== undefined && before !== value) {
        throw new TrackingError(
          `param '${key}' of run ${runId} was already logged as '${before}'; params are immutable, so '${value}' cannot replace it (log it under another key, or start a new run)`,
        );
      }
      params[key] = value;
    }
    const tags: Record<string, string> = {};
    for (const [key, raw] of Object.entries(batch.tags ?? {})) {
      validateKey("tag", key);
      tags[key] = this.cleanValue("tag value", key, raw, MAX_TAG_VALUE_LENGTH);
    }
    if (metrics.length + Object.keys(params).length + Object.keys(tags).length === 0) return;
    await this.write(runId, { op: "batch", metrics: toSpooled(metrics), params, tags });
    if (!seen && Object.keys(params).length > 0) this.params.set(runId, (seen = new Map()));
    for (const [key, value] of Object.entries(params)) seen?.set(key, value);
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    validateRunId(runId);
    validateKey("tag", key);
    await this.write(runId, { op: "deleteTag", key });
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    validateRunId(runId);
    validateKey("metric", key);
    await this.settle(runId);
    return this.fetchHistory(this.resolveRunId(runId), key);
  }

  /** The full history of one metric, page by page (always sending max_results). */
  private async fetchHistory(runId: string, key: string, options?: CallOptions): Promise<Metric[]> {
    const out: Metric[] = [];
    let pageToken: string | undefined;
    do {
      const query: [string, string][] = [
        ["run_id", runId],
        ["metric_key", key],
        ["max_results", String(HISTORY_PAGE_SIZE)],
      ];
      if (pageToken) query.push(["page_token", pageToken]);
      const json = await this.api("GET", "metrics/get-history", query, options);
      for (const m of (json.metrics as Record<string, unknown>[] | undefined) ?? []) out.push(metricFromJson(m));
      pageToken = typeof json.next_page_token === "string" && json.next_page_token !== "" ? json.next_page_token : undefined;
    } while (pageToken);
    return out;
  }

  async searchRuns(options: SearchRunsOptions): Promise<SearchRunsPage> {
    const body: Record<string, unknown> = {
      experiment_ids: options.experimentIds,
      max_results: options.maxResults ?? 1000,
      run_view_type: options.viewType ?? "ACTIVE_ONLY",
    };
    if (options.filter) body.filter = options.filter;
    if (options.orderBy && options.orderBy.length > 0) body.order_by = options.orderBy;
    if (options.pageToken) body.page_token = options.pageToken;
    const json = await this.api("POST", "runs/search", body);
    const runs = ((json.runs as Record<string, unknown>[] | undefined) ?? []).map(runFromJson);
    const next = typeof json.next_page_token === "string" && json.next_page_token !== "" ? json.next_page_token : undefined;
    return { runs, nextPageToken: next };
  }

  // ---------------------------------------------------------------- artifacts

  private async artifactRoot(runId: string): Promise<string> {
    let info = this.infos.get(runId);
    if (!info || !info.artifactUri) {
      const json = await this.api("GET", "runs/get", [["run_id", runId]]);
      info = runFromJson(json.run as Record<string, unknown>).info;
      this.infos.set(runId, info);
    }
    const root = proxiedArtifactRoot(info.artifactUri, this.baseUrl);
    if (root === undefined) {
      throw new TrackingError(
        `run ${runId} keeps its artifacts at ${info.artifactUri}, which this client cannot reach through ${this.baseUrl}; start the server with --serve-artifacts (mlflow-artifacts:/ artifact roots)`,
      );
    }
    return root;
  }

  private artifactUrlPath(root: string, relative: string): string {
    return `/api/2.0/mlflow-artifacts/artifacts/${encodePath(relative === "" ? root : `${root}/${relative}`)}`;
  }

  async logArtifact(runId: string, localPath: string, artifactPath = ""): Promise<string> {
    validateRunId(runId);
    const source = resolve(localPath);
    if (!existsSync(source)) throw new NotFoundError(`artifact source ${source} does not exist`);
    const prefix = safeArtifactPath(artifactPath);
    if (statSync(source).isDirectory()) {
      const files = listFilesRecursive(source);
      await inParallel(files, 4, (rel) => this.putArtifact(runId, prefix === "" ? rel : `${prefix}/${rel}`, { file: join(source, rel) }));
      return artifactPath;
    }
    const target = prefix === "" ? basename(source) : `${prefix}/${basename(source)}`;
    await this.putArtifact(runId, target, { file: source });
    return target;
  }

  async logArtifactBytes(runId: string, artifactFile: string, content: string | Uint8Array): Promise<void> {
    validateRunId(runId);
    const target = safeArtifactPath(artifactFile);
    if (target === "") throw new TrackingError(`artifact file name is empty`);
    const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
    await this.putArtifact(runId, target, bytes);
  }

  /** Upload one artifact file, or spool it when the server is unreachable. */
  private async putArtifact(runId: string, path: string, content: Buffer | { file: string }): Promise<void> {
    const spool = this.spool;
    // Uploads need no order among themselves: they run concurrently unless the run is offline.
    if (!spool || !spool.has(runId)) {
      try {
        await this.upload(this.resolveRunId(runId), path, content);
        return;
      } catch (error) {
        if (!spool || !(error instanceof ServerUnreachableError)) throw error;
        await this.exclusive(runId, async () => this.spoolWrite(runId, { op: "artifact", path, blob: spool.storeBlob(runId, content) }, error));
        return;
      }
    }
    await this.exclusive(runId, async () => {
      if (await this.stillPending(runId)) {
        this.spoolWrite(runId, { op: "artifact", path, blob: spool.storeBlob(runId, content) });
        return;
      }
      try {
        await this.upload(this.resolveRunId(runId), path, content);
      } catch (error) {
        if (!(error instanceof ServerUnreachableError)) throw error;
        this.spoolWrite(runId, { op: "artifact", path, blob: spool.storeBlob(runId, content) }, error);
      }
    });
  }

  private async upload(runId: string, path: string, content: Buffer | { file: string }, options?: CallOptions): Promise<void> {
    const root = await this.artifactRoot(runId);
    const body = content instanceof Buffer ? content : { length: statSync(content.file).size, open: () => createReadStream(content.file) };
    await this.call({ method: "PUT", path: this.artifactUrlPath(root, path), body }, options);
  }

  async listArtifacts(runId: string, path = ""): Promise<ArtifactInfo[]> {
    validateRunId(runId);
    const prefix = safeArtifactPath(path);
    await this.settle(runId);
    const root = await this.artifactRoot(this.resolveRunId(runId));
    const response = await this.call({
      method: "GET",
      path: "/api/2.0/mlflow-artifacts/artifacts",
      query: [["path", prefix === "" ? root : `${root}/${prefix}`]],
    });
    const files = (response.json.files as Record<string, unknown>[] | undefined) ?? [];
    return files.map((f) => artifactFromJson(f, prefix)).sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  async readArtifact(runId: string, path: string): Promise<Buffer> {
    validateRunId(runId);
    const target = safeArtifactPath(path);
    await this.settle(runId);
    const root = await this.artifactRoot(this.resolveRunId(runId));
    try {
      return (await this.call({ method: "GET", path: this.artifactUrlPath(root, target), raw: true })).raw;
    } catch (error) {
      if (error instanceof RestNotFoundError) throw new NotFoundError(`run ${runId} has no artifact file '${path}'`, { cause: error });
      throw error;
    }
  }

  // ---------------------------------------------------------------- writes, idempotency and the spool

  /** Serialize a run's writes, so that journal order is call order. */
  private exclusive<T>(runId: string, body: () => Promise<T>): Promise<T> {
    const before = this.queues.get(runId) ?? Promise.resolve();
    const next = before.then(body, body);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(runId, settled);
    void settled.then(() => {
      if (this.queues.get(runId) === settled) this.queues.delete(runId);
    });
    return next;
  }

  /** Send a write now, or journal it when the run is offline; answers the run info for updates sent online. */
  private async write(runId: string, entry: SpoolEntry): Promise<RunInfo | undefined> {
    return this.exclusive(runId, async () => {
      const spool = this.spool;
      if (spool && (await this.stillPending(runId))) {
        this.spoolWrite(runId, entry);
        return undefined;
      }
      try {
        return await this.apply(runId, entry, false);
      } catch (error) {
        if (!spool || !(error instanceof ServerUnreachableError)) throw error;
        const rest = error instanceof WriteInterrupted ? error.remaining : { ...entry, maybeSent: maybeDelivered(error) };
        this.spoolWrite(runId, rest, error);
        return undefined;
      }
    });
  }

  private readonly spooledRuns = new Set<string>();

  /** Append to the run's journal; the first time, say so once. */
  private spoolWrite(runId: string, entry: SpoolEntry, cause?: unknown): void {
    const spool = this.spool;
    if (!spool) return;
    spool.append(runId, entry);
    if (this.spooledRuns.has(runId)) return;
    this.spooledRuns.add(runId);
    const why = cause === undefined ? "the run has earlier writes spooled" : `the tracking server is unreachable (${describeError(cause)})`;
    this.warn(`run ${runId}: ${why}; writes are spooled to ${spool.dir} and replayed when it answers again`);
  }

  /**
   * Whether the run still has a journal after a replay attempt (made at most once per probe
   * interval): true means the next write must be journaled too, to keep the run's order.
   */
  private async stillPending(runId: string): Promise<boolean> {
    const spool = this.spool;
    if (!spool || !spool.has(runId)) return false;
    if (!spool.owns(runId) && !spool.claim(runId)) return false;
    const now = Date.now();
    if (now - (this.lastProbe.get(runId) ?? 0) < this.probeIntervalMs) return true;
    this.lastProbe.set(runId, now);
    const probe: RetryPolicy = { ...this.policy, maxAttempts: 1 };
    return !(await this.drain(runId, { policy: probe, timeoutMs: Math.min(this.client.options.timeoutMs, 5000) }));
  }

  /** Send one journal entry (or a fresh write) to the server. `maybeSent`: its request may have arrived before. */
  private async apply(journalId: string, entry: SpoolEntry, maybeSent: boolean, options: CallOptions = {}): Promise<RunInfo | undefined> {
    const earlier = maybeSent || entry.maybeSent === true;
    if (entry.op === "create") {
      const info = await this.sendCreate(entry, earlier, options);
      this.spool?.recordMapping(journalId, info.runId);
      this.mapping.set(journalId, info.runId);
      this.infos.set(info.runId, info);
      return info;
    }
    const runId = this.resolveRunId(journalId);
    if (RestStore.isProvisional(runId)) {
      throw new TrackingError(`run ${runId} was created while the server was unreachable, and its creation never reached the server`);
    }
    if (entry.op === "batch") {
      const tags = await this.mapRunIds(entry.tags);
      await this.applyBatch(runId, tags === entry.tags ? entry : { ...entry, tags }, earlier, options);
      return undefined;
    }
    if (entry.op === "update") {
      const body: Record<string, unknown> = { run_id: runId };
      if (entry.status) body.status = entry.status;
      if (entry.endTime !== undefined && entry.endTime !== null) body.end_time = entry.endTime;
      if (entry.runName) body.run_name = entry.runName;
      const json = await this.api("POST", "runs/update", body, options);
      const info = runInfoFromJson((json.run_info ?? {}) as Record<string, unknown>);
      const known = this.infos.get(runId);
      const merged = known ? { ...known, ...info, artifactUri: info.artifactUri || known.artifactUri } : info;
      this.infos.set(runId, merged);
      return merged;
    }
    if (entry.op === "deleteTag") {
      this.replayOrphansOnce();
      await this.retrying(async (ambiguous) => {
        try {
          await this.once("POST", "runs/delete-tag", { run_id: runId, key: entry.key }, options);
        } catch (error) {
          if (!(error instanceof RestNotFoundError)) throw error;
          // Gone already: by our own earlier request, if it may have arrived.
          if (!(ambiguous || earlier)) throw new NotFoundError(`run ${runId} has no tag '${entry.key}'`, { cause: error });
        }
      }, options);
      return undefined;
    }
    const blob = this.spool?.blobPath(journalId, entry.blob);
    if (!blob) throw new TrackingError(`artifact '${entry.path}' of run ${runId} was spooled, but spooling is off now`);
    await this.upload(runId, entry.path, { file: blob }, options);
    return undefined;
  }

  /**
   * Log a batch chunk by chunk. When an earlier attempt may have arrived (the entry is marked so, or
   * a chunk's attempt failed ambiguously), only the points the server lacks are sent again.
   */
  private async applyBatch(runId: string, entry: Extract<SpoolEntry, { op: "batch" }>, maybeSent: boolean, options: CallOptions): Promise<void> {
    this.replayOrphansOnce();
    const interrupted = (error: unknown, rest: { metrics: Metric[]; params: Record<string, string>; tags: Record<string, string> }, delivered: boolean): unknown => {
      if (!(error instanceof ServerUnreachableError)) return error;
      return new WriteInterrupted(error, { op: "batch", metrics: toSpooled(rest.metrics), params: rest.params, tags: rest.tags, maybeSent: delivered });
    };
    let metrics = fromSpooled(entry.metrics);
    if (maybeSent && metrics.length > 0) {
      try {
        metrics = await this.retrying(() => this.undelivered(runId, metrics, options), options);
      } catch (error) {
        throw interrupted(error, { metrics, params: entry.params, tags: entry.tags }, true);
      }
    }
    const chunks = chunkLogBatch(runId, { metrics, params: entry.params, tags: entry.tags }, this.limits);
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c];
      try {
        await this.retrying(async (ambiguous) => {
          let body = chunk.body;
          if (ambiguous && chunk.metrics.length > 0) body = logBatchBody(runId, await this.undelivered(runId, chunk.metrics, options), chunk.params, chunk.tags);
          await this.client.send({ method: "POST", path: "/api/2.0/mlflow/runs/log-batch", jsonText: body, timeoutMs: options.timeoutMs });
        }, options);
      } catch (error) {
        const rest = chunks.slice(c);
        const delivered = error instanceof RestError && error.details.delivered !== "no";
        throw interrupted(
          error,
          {
            metrics: rest.flatMap((k) => k.metrics),
            params: Object.assign({}, ...rest.map((k) => k.params)) as Record<string, string>,
            tags: Object.assign({}, ...rest.map((k) => k.tags)) as Record<string, string>,
          },
          delivered,
        );
      }
    }
  }

  /**
   * The points of a batch the server does not hold yet, judged by the run's history of each key
   * (one attempt per request: the caller retries): the check that makes a re-sent metric batch safe
   * after a lost answer.
   */
  private async undelivered(runId: string, metrics: readonly Metric[], options: CallOptions): Promise<Metric[]> {
    const keys = [...new Set(metrics.map((m) => m.key))];
    const present = new Set<string>();
    for (const key of keys) {
      let pageToken: string | undefined;
      do {
        const query: [string, string][] = [
          ["run_id", runId],
          ["metric_key", key],
          ["max_results", String(HISTORY_PAGE_SIZE)],
        ];
        if (pageToken) query.push(["page_token", pageToken]);
        const json = await this.once("GET", "metrics/get-history", query, options);
        for (const m of (json.metrics as Record<string, unknown>[] | undefined) ?? []) {
          const point = metricFromJson(m);
          present.add(metricPointKey(point.key, point.value, point.timestamp, point.step));
        }
        pageToken = typeof json.next_page_token === "string" && json.next_page_token !== "" ? json.next_page_token : undefined;
      } while (pageToken);
    }
    return metrics.filter((m) => !present.has(metricPointKey(m.key, m.value, m.timestamp, m.step)));
  }

  /**
   * Replay a run's journal from its cursor. True when the journal is fully on the server (and
   * removed); false when the server is still unreachable. Writes the server refuses for good (e.g. a
   * changed param) are set aside in `<run>.rejected.jsonl` with a warning, not retried forever.
   */
  private async drain(runId: string, options: CallOptions): Promise<boolean> {
    const spool = this.spool;
    if (!spool) return true;
    const state = spool.read(runId);
    if (state.torn) this.warn(`run ${runId}: the spool journal ends in a torn line (a writer was killed mid-write); that write is skipped`);
    for (let i = state.cursor; i < state.entries.length; i++) {
      const entry = state.entries[i];
      try {
        // The entry a replay resumes at may have reached the server before a crash or a lost answer.
        await this.apply(runId, entry, i === state.cursor, options);
      } catch (error) {
        if (error instanceof ServerUnreachableError) {
          if (i > state.cursor) spool.advance(runId, i);
          return false;
        }
        if (error instanceof TrackingError) {
          const reason = this.client.redactor.redact(describeError(error));
          spool.reject(runId, entry, reason);
          this.warn(`run ${runId}: the server refused a spooled ${entry.op} write, set aside in ${spool.dir}/${runId}.rejected.jsonl: ${reason}`);
        } else {
          throw error;
        }
      }
      spool.advance(runId, i + 1);
    }
    // An orphan's process died mid-run: unless its journal ended the run, the run would stay RUNNING
    // on the server for ever. It is marked KILLED (MLflow's status for a run whose process was
    // stopped), ended when the journal was last written.
    const terminal = state.entries.some((e) => e.op === "update" && e.status !== undefined && e.status !== "RUNNING" && e.status !== "SCHEDULED");
    if (spool.adoptedFromDeadOwner(runId) && !terminal) {
      const ended: SpoolEntry = { op: "update", status: "KILLED", endTime: spool.lastWritten(runId) };
      try {
        await this.apply(runId, ended, true, options);
        this.warn(`run ${runId}: its process died before ending it; marked KILLED as of its last spooled write`);
      } catch (error) {
        if (error instanceof ServerUnreachableError) return false;
        if (!(error instanceof TrackingError)) throw error;
        this.warn(`run ${runId}: could not mark the run of a dead process KILLED: ${this.client.redactor.redact(describeError(error))}`);
      }
    }
    spool.finish(runId);
    this.spooledRuns.delete(runId);
    this.lastProbe.delete(runId);
    return true;
  }

  /** Before reading a run: replay its journal if there is one, so reads see every write. */
  private async settle(runId: string): Promise<void> {
    const spool = this.spool;
    if (!spool || !spool.has(runId)) return;
    if (!spool.owns(runId) && !spool.claim(runId)) return;
    const done = await this.exclusive(runId, () => this.drain(runId, {}));
    if (!done) {
      throw new ServerUnreachableError(`tracking server ${this.baseUrl} is unreachable and run ${runId} has spooled writes; cannot read it now`, {
        retryable: true,
        delivered: "no",
      });
    }
  }

  /**
   * Replay spooled writes (of one run, or of every run this process spooled plus orphans), waiting
   * up to the flush timeout for the server to come back. True when nothing is left spooled;
   * otherwise the journals stay for a later process or `workbench sync`.
   */
  async flush(runId?: string): Promise<boolean> {
    const spool = this.spool;
    if (!spool) return true;
    const ids = runId ? [runId] : [...new Set([...this.spooledRuns, ...spool.orphans()])];
    let ok = true;
    for (const id of ids) {
      if (!spool.has(id)) continue;
      if (!spool.owns(id) && !spool.claim(id)) continue;
      const started = Date.now();
      let done = false;
      for (;;) {
        done = await this.exclusive(id, () => this.drain(id, {}));
        if (done || Date.now() - started >= this.flushTimeoutMs) break;
        await this.wait(Math.min(this.probeIntervalMs, Math.max(0, this.flushTimeoutMs - (Date.now() - started))));
      }
      if (!done) {
        ok = false;
        this.warn(
          `run ${id}: the tracking server is still unreachable; its writes stay spooled in ${spool.dir} and are replayed by the next workbench process that reaches it, or by \`workbench sync --to ${this.baseUrl}\``,
        );
      }
    }
    return ok;
  }

  /** Runs with spooled writes not yet on the server (this process's and orphans). */
  pendingRuns(): string[] {
    const spool = this.spool;
    if (!spool) return [];
    return [...new Set([...[...this.spooledRuns].filter((id) => spool.has(id)), ...spool.orphans()])].sort();
  }

  /** Replay every journal left by dead processes for this server (one pass, no waiting). */
  async replaySpool(): Promise<{ replayed: string[]; pending: string[] }> {
    const spool = this.spool;
    const replayed: string[] = [];
    const pending: string[] = [];
    if (!spool) return { replayed, pending };
    for (const runId of spool.orphans()) {
      if (!spool.claim(runId)) continue;
      const done = await this.exclusive(runId, () => this.drain(runId, {}));
      (done ? replayed : pending).push(runId);
    }
    return { replayed, pending };
  }

  private orphanReplayStarted = false;
  private orphanReplay: Promise<void> = Promise.resolve();

  /**
   * On first contact, replay in the background the journals that dead processes left for this
   * server (a killed run's writes reach the server on the next start). Not awaited by callers:
   * the replay's own requests come through here too.
   */
  private replayOrphansOnce(): void {
    if (!this.replayOrphansOnStart || !this.spool || this.orphanReplayStarted) return;
    this.orphanReplayStarted = true;
    if (this.spool.orphans().length === 0) return;
    this.orphanReplay = this.replaySpool().then(
      ({ replayed }) => {
        if (replayed.length > 0) this.warn(`replayed the spooled writes of ${replayed.length} run(s) left by an earlier process: ${replayed.join(", ")}`);
      },
      (error: unknown) => this.warn(`could not replay spooled writes: ${describeError(error)}`),
    );
  }

  /** Wait for the start-up replay of orphan journals (if one is running). */
  async idle(): Promise<void> {
    await this.orphanReplay;
  }
}
