/**
 * The file-store backend: reads and writes exactly MLflow's `mlruns/` layout, so the Python
 * client, `mlflow ui` and `mlflow server` see what the workbench logs, and the workbench reads
 * what Python logged.
 *
 * Durability rules (see specs/mlflow.md): meta.yaml, params and tags are replaced atomically
 * (temp file in the run folder + rename); each metric key's lines of a batch go out in one
 * O_APPEND write, so a killed writer leaves whole lines only and concurrent writers never
 * interleave; a run becomes visible only when its meta.yaml (written last) exists.
 */
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { randomBytes, randomUUID } from "node:crypto";
import { NotFoundError, TrackingError } from "../errors.js";
import {
  MLFLOW_TAGS,
  RUN_STATUS_CODES,
  runStatusFromCode,
  type ArtifactInfo,
  type Experiment,
  type LifecycleStage,
  type Metric,
  type Run,
  type RunInfo,
  type RunStatus,
  type ViewType,
} from "./entities.js";
import { withFileLock } from "./file-lock.js";
import { parseMeta, readMeta, stringifyMeta, writeFileAtomic, type MetaRecord } from "./meta-yaml.js";
import { compileFilter, sortRuns, type RunValueSource } from "./search-filter.js";
import type { LogBatch, SearchRunsOptions, SearchRunsPage, TrackingStore, CreateRunOptions, UpdateRunOptions } from "./store.js";
import {
  MAX_ENTITIES_PER_BATCH,
  MAX_EXPERIMENT_TAG_VALUE_LENGTH,
  MAX_METRICS_PER_BATCH,
  MAX_PARAMS_TAGS_PER_BATCH,
  MAX_PARAM_VALUE_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  keyProblem,
  limitValueLength,
  safeArtifactPath,
  validateExperimentId,
  validateExperimentName,
  validateKey,
  validateMetric,
  validateRunId,
} from "./validation.js";

const TRASH = ".trash";
const RESERVED_EXPERIMENT_FOLDERS = new Set(["tags", "datasets", "traces", "models"]);
const DEFAULT_EXPERIMENT_ID = "0";
const LOCK_FILE = ".workbench-experiments.lock";
const SEARCH_MAX_RESULTS_THRESHOLD = 50000;

/** Options of a file store. */
export interface FileStoreOptions {
  /** Called with warnings (value truncation, skipped malformed lines). */
  warn?: (message: string) => void;
}

/** Format a metric value as Python's float repr reads back exactly. */
export function formatMetricValue(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (value === 0 && Object.is(value, -0)) return "-0.0";
  return String(value);
}

/** Parse one metric line; undefined for a malformed or torn line. */
export function parseMetricLine(key: string, line: string): Metric | undefined {
  const parts = line.trim().split(" ");
  if (parts.length !== 2 && parts.length !== 3 && parts.length !== 5) return undefined;
  if (!/^-?\d+$/.test(parts[0])) return undefined;
  const value = parseFloatPython(parts[1]);
  if (value === undefined) return undefined;
  if (parts.length >= 3 && !/^-?\d+$/.test(parts[2])) return undefined;
  return { key, value, timestamp: Number(parts[0]), step: parts.length >= 3 ? Number(parts[2]) : 0 };
}

function parseFloatPython(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === "nan" || lower === "+nan" || lower === "-nan") return NaN;
  if (lower === "inf" || lower === "+inf" || lower === "infinity" || lower === "+infinity") return Infinity;
  if (lower === "-inf" || lower === "-infinity") return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** Python's max() over (step, timestamp, value) tuples: is `a` greater than `b`? */
function laterThan(a: Metric, b: Metric): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  if (a.value === b.value) return false;
  return a.value > b.value;
}

/** The latest point of a metric history as MLflow picks it. */
export function latestMetric(points: readonly Metric[]): Metric | undefined {
  let best: Metric | undefined;
  for (const p of points) if (best === undefined || laterThan(p, best)) best = p;
  return best;
}

function randomExperimentId(): string {
  // MLflow 2+ uses random 18-digit decimal ids; keep the first digit nonzero.
  const bytes = randomBytes(8);
  const n = bytes.readBigUInt64BE() % 900000000000000000n;
  return String(100000000000000000n + n);
}

const ADJECTIVES = ["amber", "bold", "calm", "clever", "brisk", "gentle", "keen", "lucid", "quiet", "rapid", "steady", "vivid", "wise", "zesty"];
const NOUNS = ["falcon", "harbor", "lantern", "meadow", "otter", "quartz", "river", "summit", "thistle", "willow", "comet", "delta", "ember", "fjord"];

function randomRunName(): string {
  const b = randomBytes(3);
  return `${ADJECTIVES[b[0] % ADJECTIVES.length]}-${NOUNS[b[1] % NOUNS.length]}-${b[2] % 1000}`;
}

function listFilesRecursive(root: string, prefix = ""): string[] {
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(join(root, prefix), { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const entry of entries) {
    const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listFilesRecursive(root, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

function listDirs(path: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

function readTextOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "EISDIR") return undefined;
    throw error;
  }
}

function requireString(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}

function requireNumberOrNull(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** The MLflow file store rooted at a folder. */
export class FileStore implements TrackingStore {
  readonly root: string;
  readonly kind = "file";
  private readonly warn: (message: string) => void;
  // Run id -> run folder; run folders never move except with their experiment.
  private readonly runDirs = new Map<string, string>();
  private readonly knownDirs = new Set<string>();

  constructor(root: string, options: FileStoreOptions = {}) {
    this.root = resolve(root.startsWith("file:") ? fileURLToPath(root) : root);
    this.warn = options.warn ?? ((message) => process.emitWarning(message));
    this.ensureRoot();
  }

  /**
   * Create the root with MLflow's Default experiment and trash folder, as MLflow does for a new
   * root. An existing store is never given a Default experiment it did not have: readers stay
   * readers. (An empty folder counts as new, so a fresh temp folder behaves like a new root.)
   */
  private ensureRoot(): void {
    if (existsSync(this.root) && !statSync(this.root).isDirectory()) {
      throw new TrackingError(`tracking root ${this.root} exists but is not a folder`);
    }
    const isNew = !existsSync(this.root) || readdirSync(this.root).length === 0;
    mkdirSync(join(this.root, TRASH), { recursive: true });
    if (isNew) {
      withFileLock(join(this.root, LOCK_FILE), () => {
        if (!existsSync(join(this.root, DEFAULT_EXPERIMENT_ID, "meta.yaml"))) this.writeNewExperiment(DEFAULT_EXPERIMENT_ID, "Default", {});
      });
    }
  }

  // ---------------------------------------------------------------- experiments

  private experimentDir(experimentId: string, view: ViewType = "ALL"): string | undefined {
    validateExperimentId(experimentId);
    if (view !== "DELETED_ONLY" && existsSync(join(this.root, experimentId, "meta.yaml"))) return join(this.root, experimentId);
    if (view !== "ACTIVE_ONLY" && existsSync(join(this.root, TRASH, experimentId, "meta.yaml"))) return join(this.root, TRASH, experimentId);
    return undefined;
  }

  private requireExperimentDir(experimentId: string, view: ViewType = "ALL"): string {
    const dir = this.experimentDir(experimentId, view);
    if (!dir) throw new NotFoundError(`experiment '${experimentId}' does not exist in ${this.root}`);
    return dir;
  }

  private readExperiment(dir: string): Experiment {
    const meta = readMeta(join(dir, "meta.yaml"));
    const tagsDir = join(dir, "tags");
    const tags: Record<string, string> = {};
    for (const key of listFilesRecursive(tagsDir)) tags[key] = readFileSync(join(tagsDir, key), "utf8");
    return {
      experimentId: requireString(meta.experiment_id),
      name: requireString(meta.name),
      artifactLocation: requireString(meta.artifact_location),
      lifecycleStage: (meta.lifecycle_stage === "deleted" ? "deleted" : "active") as LifecycleStage,
      creationTime: requireNumberOrNull(meta.creation_time) ?? 0,
      lastUpdateTime: requireNumberOrNull(meta.last_update_time) ?? 0,
      tags,
    };
  }

  private writeExperimentMeta(dir: string, experiment: Experiment): void {
    const record: MetaRecord = {
      artifact_location: experiment.artifactLocation,
      creation_time: experiment.creationTime,
      experiment_id: experiment.experimentId,
      last_update_time: experiment.lastUpdateTime,
      lifecycle_stage: experiment.lifecycleStage,
      name: experiment.name,
    };
    writeFileAtomic(join(dir, "meta.yaml"), stringifyMeta(record));
  }

  private writeNewExperiment(experimentId: string, name: string, tags: Record<string, string>): void {
    const dir = join(this.root, experimentId);
    mkdirSync(dir, { recursive: true });
    const now = Date.now();
    for (const [key, value] of Object.entries(tags)) this.writeTagFile(dir, join(dir, "tags"), key, value, MAX_EXPERIMENT_TAG_VALUE_LENGTH);
    this.writeExperimentMeta(dir, {
      experimentId,
      name,
      artifactLocation: pathToFileURL(dir).href,
      lifecycleStage: "active",
      creationTime: now,
      lastUpdateTime: now,
      tags: {},
    });
  }

  async listExperiments(view: ViewType = "ACTIVE_ONLY"): Promise<Experiment[]> {
    return this.listExperimentsSync(view);
  }

  private listExperimentsSync(view: ViewType): Experiment[] {
    const dirs: string[] = [];
    if (view !== "DELETED_ONLY") for (const d of listDirs(this.root)) if (d !== TRASH && d !== "models") dirs.push(join(this.root, d));
    if (view !== "ACTIVE_ONLY") for (const d of listDirs(join(this.root, TRASH))) dirs.push(join(this.root, TRASH, d));
    const out: Experiment[] = [];
    for (const dir of dirs) {
      if (!existsSync(join(dir, "meta.yaml"))) continue; // Being created, or not an experiment.
      const experiment = this.readExperiment(dir);
      if (experiment.experimentId !== basename(dir)) continue;
      out.push(experiment);
    }
    // MLflow's default order: creation_time DESC, experiment_id ASC.
    return out.sort((a, b) => b.creationTime - a.creationTime || (a.experimentId < b.experimentId ? -1 : 1));
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return this.readExperiment(this.requireExperimentDir(experimentId));
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    return this.listExperimentsSync("ALL").find((e) => e.name === name);
  }

  async createExperiment(name: string, tags: Record<string, string> = {}): Promise<string> {
    validateExperimentName(name);
    for (const key of Object.keys(tags)) validateKey("tag", key);
    return withFileLock(join(this.root, LOCK_FILE), () => {
      const existing = this.listExperimentsSync("ALL").find((e) => e.name === name);
      if (existing) {
        const state = existing.lifecycleStage === "deleted" ? " in deleted state (restore it, or remove it from .trash)" : "";
        throw new TrackingError(`experiment '${name}' already exists${state} (id ${existing.experimentId})`);
      }
      const id = this.unusedExperimentId();
      this.writeNewExperiment(id, name, tags);
      return id;
    });
  }

  async getOrCreateExperiment(name: string): Promise<Experiment> {
    validateExperimentName(name);
    const found = this.listExperimentsSync("ALL").find((e) => e.name === name);
    if (found) return this.checkActive(found);
    // Decide under the lock, so that processes racing on one name create one experiment.
    const id = withFileLock(join(this.root, LOCK_FILE), () => {
      const again = this.listExperimentsSync("ALL").find((e) => e.name === name);
      if (again) return again.experimentId;
      const fresh = this.unusedExperimentId();
      this.writeNewExperiment(fresh, name, {});
      return fresh;
    });
    return this.checkActive(this.readExperiment(this.requireExperimentDir(id)));
  }

  private unusedExperimentId(): string {
    let id = randomExperimentId();
    while (existsSync(join(this.root, id)) || existsSync(join(this.root, TRASH, id))) id = randomExperimentId();
    return id;
  }

  private checkActive(experiment: Experiment): Experiment {
    if (experiment.lifecycleStage === "deleted") {
      throw new TrackingError(`experiment '${experiment.name}' (id ${experiment.experimentId}) is deleted; restore it with experiments restore`);
    }
    return experiment;
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    validateExperimentName(newName);
    withFileLock(join(this.root, LOCK_FILE), () => {
      const dir = this.requireExperimentDir(experimentId, "ACTIVE_ONLY");
      const clash = this.listExperimentsSync("ALL").find((e) => e.name === newName);
      if (clash) throw new TrackingError(`cannot rename experiment ${experimentId}: the name '${newName}' is taken by experiment ${clash.experimentId}`);
      const experiment = this.readExperiment(dir);
      this.writeExperimentMeta(dir, { ...experiment, name: newName, lastUpdateTime: Date.now() });
    });
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    if (experimentId === DEFAULT_EXPERIMENT_ID) throw new TrackingError("cannot delete the default experiment '0'");
    const dir = this.requireExperimentDir(experimentId, "ACTIVE_ONLY");
    const now = Date.now();
    for (const runId of listDirs(dir)) {
      if (RESERVED_EXPERIMENT_FOLDERS.has(runId)) continue;
      const meta = this.readRunMetaOrUndefined(join(dir, runId));
      if (meta && meta.lifecycle_stage !== "deleted") this.writeRunMeta(join(dir, runId), { ...meta, lifecycle_stage: "deleted", deleted_time: now });
    }
    const experiment = this.readExperiment(dir);
    this.writeExperimentMeta(dir, { ...experiment, lifecycleStage: "deleted", lastUpdateTime: now });
    renameSync(dir, join(this.root, TRASH, experimentId));
    this.runDirs.clear();
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    const dir = this.requireExperimentDir(experimentId, "DELETED_ONLY");
    if (existsSync(join(this.root, experimentId))) throw new TrackingError(`cannot restore experiment ${experimentId}: an active one has the same id`);
    const target = join(this.root, experimentId);
    renameSync(dir, target);
    for (const runId of listDirs(target)) {
      if (RESERVED_EXPERIMENT_FOLDERS.has(runId)) continue;
      const meta = this.readRunMetaOrUndefined(join(target, runId));
      if (meta && meta.lifecycle_stage === "deleted") this.writeRunMeta(join(target, runId), { ...meta, lifecycle_stage: "active", deleted_time: null });
    }
    const experiment = this.readExperiment(target);
    this.writeExperimentMeta(target, { ...experiment, lifecycleStage: "active", lastUpdateTime: Date.now() });
    this.runDirs.clear();
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    validateKey("tag", key);
    const dir = this.requireExperimentDir(experimentId, "ACTIVE_ONLY");
    this.writeTagFile(dir, join(dir, "tags"), key, value, MAX_EXPERIMENT_TAG_VALUE_LENGTH);
  }

  // ---------------------------------------------------------------- runs

  private readRunMetaOrUndefined(runDir: string): MetaRecord | undefined {
    const text = readTextOrUndefined(join(runDir, "meta.yaml"));
    return text === undefined ? undefined : parseMeta(text);
  }

  private writeRunMeta(runDir: string, meta: MetaRecord): void {
    writeFileAtomic(join(runDir, "meta.yaml"), stringifyMeta(meta), runDir);
  }

  private infoFromMeta(meta: MetaRecord, tagRunName?: string): RunInfo {
    const status = typeof meta.status === "number" ? runStatusFromCode(meta.status) : ((meta.status as RunStatus | null) ?? "RUNNING");
    return {
      runId: requireString(meta.run_id ?? meta.run_uuid),
      runName: requireString(meta.run_name) || tagRunName || "",
      experimentId: requireString(meta.experiment_id),
      userId: requireString(meta.user_id),
      status,
      startTime: requireNumberOrNull(meta.start_time) ?? 0,
      endTime: requireNumberOrNull(meta.end_time),
      artifactUri: requireString(meta.artifact_uri),
      lifecycleStage: meta.lifecycle_stage === "deleted" ? "deleted" : "active",
    };
  }

  /** Find a run's folder the way MLflow does: in any active or deleted experiment. */
  private runDir(runId: string): string {
    validateRunId(runId);
    const cached = this.runDirs.get(runId);
    if (cached && existsSync(join(cached, "meta.yaml"))) return cached;
    const experimentDirs = [
      ...listDirs(this.root).filter((d) => d !== TRASH).map((d) => join(this.root, d)),
      ...listDirs(join(this.root, TRASH)).map((d) => join(this.root, TRASH, d)),
    ];
    for (const expDir of experimentDirs) {
      const candidate = join(expDir, runId);
      if (existsSync(join(candidate, "meta.yaml")) && existsSync(join(candidate, "metrics")) && existsSync(join(candidate, "params"))) {
        this.runDirs.set(runId, candidate);
        return candidate;
      }
    }
    throw new NotFoundError(`run '${runId}' not found in ${this.root}`);
  }

  private runInfoAt(runDir: string): RunInfo {
    const meta = readMeta(join(runDir, "meta.yaml"));
    return this.infoFromMeta(meta, meta.run_name ? undefined : readTextOrUndefined(join(runDir, "tags", MLFLOW_TAGS.runName)));
  }

  /** The run folder, checked writable: MLflow refuses writes to a deleted run. */
  private writableRunDir(runId: string): string {
    const dir = this.runDir(runId);
    const info = this.runInfoAt(dir);
    if (info.lifecycleStage !== "active") throw new TrackingError(`run '${runId}' is deleted; restore it before logging to it`);
    return dir;
  }

  async createRun(options: CreateRunOptions): Promise<RunInfo> {
    const experimentId = options.experimentId ?? DEFAULT_EXPERIMENT_ID;
    const expDir = this.requireExperimentDir(experimentId);
    const experiment = this.readExperiment(expDir);
    if (experiment.lifecycleStage !== "active") throw new TrackingError(`cannot create a run in deleted experiment ${experimentId} ('${experiment.name}')`);
    const tags = { ...(options.tags ?? {}) };
    const tagName = tags[MLFLOW_TAGS.runName];
    if (options.runName && tagName && options.runName !== tagName) {
      throw new TrackingError(`run name '${options.runName}' and tag mlflow.runName '${tagName}' differ`);
    }
    const runName = options.runName ?? tagName ?? randomRunName();
    tags[MLFLOW_TAGS.runName] = runName;
    for (const key of Object.keys(tags)) validateKey("tag", key);
    const runId = randomUUID().replace(/-/g, "");
    const runDir = join(expDir, runId);
    for (const sub of ["metrics", "params", "artifacts", "tags"]) mkdirSync(join(runDir, sub), { recursive: true });
    for (const [key, value] of Object.entries(tags)) this.writeTagFile(runDir, join(runDir, "tags"), key, value, MAX_TAG_VALUE_LENGTH);
    const startTime = options.startTime ?? Date.now();
    const artifactUri = `${experiment.artifactLocation.replace(/\/$/, "")}/${runId}/artifacts`;
    const meta: MetaRecord = {
      artifact_uri: artifactUri,
      deleted_time: null,
      end_time: null,
      entry_point_name: "",
      experiment_id: experimentId,
      lifecycle_stage: "active",
      run_id: runId,
      run_name: runName,
      run_uuid: runId,
      source_name: "",
      source_type: 4,
      source_version: "",
      start_time: startTime,
      status: RUN_STATUS_CODES.RUNNING,
      tags: [],
      user_id: options.userId ?? "",
    };
    // meta.yaml last: until it exists, readers (ours and MLflow's) skip the folder.
    this.writeRunMeta(runDir, meta);
    this.runDirs.set(runId, runDir);
    return this.infoFromMeta(meta);
  }

  async updateRun(runId: string, update: UpdateRunOptions): Promise<RunInfo> {
    const dir = this.writableRunDir(runId);
    const meta = readMeta(join(dir, "meta.yaml"));
    const next: MetaRecord = { ...meta };
    if (update.status) next.status = RUN_STATUS_CODES[update.status];
    if (update.endTime !== undefined) next.end_time = update.endTime;
    if (update.runName) {
      next.run_name = update.runName;
      this.writeTagFile(dir, join(dir, "tags"), MLFLOW_TAGS.runName, update.runName, MAX_TAG_VALUE_LENGTH);
    }
    this.writeRunMeta(dir, next);
    return this.infoFromMeta(next);
  }

  async deleteRun(runId: string): Promise<void> {
    const dir = this.runDir(runId);
    const meta = readMeta(join(dir, "meta.yaml"));
    this.writeRunMeta(dir, { ...meta, lifecycle_stage: "deleted", deleted_time: Date.now() });
  }

  async restoreRun(runId: string): Promise<void> {
    const dir = this.runDir(runId);
    const meta = readMeta(join(dir, "meta.yaml"));
    this.writeRunMeta(dir, { ...meta, lifecycle_stage: "active", deleted_time: null });
  }

  async getRunInfo(runId: string): Promise<RunInfo> {
    return this.runInfoAt(this.runDir(runId));
  }

  async getRun(runId: string): Promise<Run> {
    return this.readRun(this.runDir(runId));
  }

  private readRun(runDir: string): Run {
    const info = this.runInfoAt(runDir);
    const metrics: Record<string, number> = {};
    for (const key of listFilesRecursive(join(runDir, "metrics"))) {
      const latest = latestMetric(this.readMetricFile(runDir, key));
      if (latest) metrics[key] = latest.value;
    }
    const params: Record<string, string> = {};
    for (const key of listFilesRecursive(join(runDir, "params"))) params[key] = readFileSync(join(runDir, "params", key), "utf8");
    const tags: Record<string, string> = {};
    for (const key of listFilesRecursive(join(runDir, "tags"))) tags[key] = readFileSync(join(runDir, "tags", key), "utf8");
    if (!info.runName && tags[MLFLOW_TAGS.runName]) info.runName = tags[MLFLOW_TAGS.runName];
    return { info, data: { metrics, params, tags } };
  }

  private readMetricFile(runDir: string, key: string): Metric[] {
    const text = readTextOrUndefined(join(runDir, "metrics", key));
    if (text === undefined) return [];
    const out: Metric[] = [];
    const lines = text.split("\n");
    // The last element is "" for a complete file; anything else there is a torn tail.
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (line === "") continue;
      if (i === lines.length - 1) {
        this.warn(`ignoring an incomplete last line in metric '${key}' of ${runDir}: ${JSON.stringify(line)}`);
        break;
      }
      const metric = parseMetricLine(key, line);
      if (metric) out.push(metric);
      else this.warn(`ignoring malformed line ${i + 1} of metric '${key}' in ${runDir}: ${JSON.stringify(line)}`);
    }
    return out;
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    validateKey("metric", key);
    return this.readMetricFile(this.runDir(runId), key);
  }

  private ensureDir(dir: string): void {
    if (this.knownDirs.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    this.knownDirs.add(dir);
  }

  private writeTagFile(runDir: string, tagsDir: string, key: string, value: string, limit: number): void {
    validateKey("tag", key);
    const text = limitValueLength("tag value", key, String(value), limit, this.warn);
    const path = join(tagsDir, key);
    this.ensureDir(dirname(path));
    writeFileAtomic(path, text, runDir);
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    this.logBatchSync(runId, batch);
  }

  /** Validate a whole batch first, then write params, metrics and tags (MLflow's order). */
  logBatchSync(runId: string, batch: LogBatch): void {
    const metrics = batch.metrics ?? [];
    const params = batch.params ?? {};
    const tags = batch.tags ?? {};
    const paramKeys = Object.keys(params);
    const tagKeys = Object.keys(tags);
    if (metrics.length > MAX_METRICS_PER_BATCH || paramKeys.length > MAX_PARAMS_TAGS_PER_BATCH || tagKeys.length > MAX_PARAMS_TAGS_PER_BATCH) {
      throw new TrackingError(
        `a batch holds at most ${MAX_METRICS_PER_BATCH} metrics, ${MAX_PARAMS_TAGS_PER_BATCH} params and ${MAX_PARAMS_TAGS_PER_BATCH} tags (got ${metrics.length}, ${paramKeys.length}, ${tagKeys.length}); use the run API, which splits batches`,
      );
    }
    if (metrics.length + paramKeys.length + tagKeys.length > MAX_ENTITIES_PER_BATCH) {
      throw new TrackingError(`a batch holds at most ${MAX_ENTITIES_PER_BATCH} entries in all`);
    }
    for (const m of metrics) validateMetric(m.key, m.value, m.timestamp, m.step);
    for (const key of paramKeys) validateKey("param", key);
    for (const key of tagKeys) validateKey("tag", key);
    const dir = this.writableRunDir(runId);

    const paramValues: [string, string][] = paramKeys.map((key) => [
      key,
      limitValueLength("param value", key, String(params[key]), MAX_PARAM_VALUE_LENGTH, this.warn),
    ]);
    for (const [key, value] of paramValues) {
      const existing = readTextOrUndefined(join(dir, "params", key));
      if (existing !== undefined && existing !== value) {
        throw new TrackingError(
          `param '${key}' of run ${runId} was already logged as '${existing}'; params are immutable, so '${value}' cannot replace it (log it under another key, or start a new run)`,
        );
      }
    }
    for (const [key, value] of paramValues) {
      const path = join(dir, "params", key);
      if (readTextOrUndefined(path) === value) continue;
      this.ensureDir(dirname(path));
      writeFileAtomic(path, value, dir);
    }

    if (metrics.length > 0) {
      const byKey = new Map<string, string[]>();
      for (const m of metrics) {
        let lines = byKey.get(m.key);
        if (!lines) byKey.set(m.key, (lines = []));
        lines.push(`${m.timestamp} ${formatMetricValue(m.value)} ${m.step}\n`);
      }
      for (const [key, lines] of byKey) {
        const path = join(dir, "metrics", key);
        this.ensureDir(dirname(path));
        // One write per key per batch, in append mode: atomic with respect to other appenders.
        const fd = openSync(path, "a");
        try {
          writeSync(fd, lines.join(""));
        } finally {
          closeSync(fd);
        }
      }
    }

    for (const key of tagKeys) {
      this.writeTagFile(dir, join(dir, "tags"), key, tags[key], MAX_TAG_VALUE_LENGTH);
      if (key === MLFLOW_TAGS.runName) {
        const meta = readMeta(join(dir, "meta.yaml"));
        this.writeRunMeta(dir, { ...meta, run_name: tags[key] });
      }
    }
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    validateKey("tag", key);
    const dir = this.writableRunDir(runId);
    const path = join(dir, "tags", key);
    if (!existsSync(path)) throw new NotFoundError(`run ${runId} has no tag '${key}'`);
    // Rename away first so the removal is atomic for readers, then unlink.
    const trash = join(dir, `.tmp-deleted-${randomBytes(6).toString("hex")}`);
    renameSync(path, trash);
    unlinkSync(trash);
  }

  // ---------------------------------------------------------------- search

  async searchRuns(options: SearchRunsOptions): Promise<SearchRunsPage> {
    const maxResults = options.maxResults ?? 1000;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > SEARCH_MAX_RESULTS_THRESHOLD) {
      throw new TrackingError(`maxResults must be an integer in [1, ${SEARCH_MAX_RESULTS_THRESHOLD}], got ${maxResults}`);
    }
    const view = options.viewType ?? "ACTIVE_ONLY";
    const matches = compileFilter(options.filter);
    const candidates: LazyRun[] = [];
    for (const experimentId of options.experimentIds) {
      const expDir = this.experimentDir(experimentId);
      if (!expDir) continue;
      for (const name of listDirs(expDir)) {
        if (RESERVED_EXPERIMENT_FOLDERS.has(name)) continue;
        const runDir = join(expDir, name);
        const meta = this.readRunMetaOrUndefined(runDir);
        if (!meta) continue;
        const info = this.infoFromMeta(meta);
        if (info.experimentId !== experimentId || info.runId !== name) continue;
        if (view === "ACTIVE_ONLY" && info.lifecycleStage !== "active") continue;
        if (view === "DELETED_ONLY" && info.lifecycleStage !== "deleted") continue;
        const lazy = new LazyRun(runDir, info, this);
        if (matches(lazy)) candidates.push(lazy);
      }
    }
    const sorted = sortRuns(candidates, options.orderBy);
    const offset = decodePageToken(options.pageToken);
    const page = sorted.slice(offset, offset + maxResults);
    return {
      runs: page.map((lazy) => this.readRun(lazy.runDir)),
      nextPageToken: offset + maxResults < sorted.length ? encodePageToken(offset + maxResults) : undefined,
    };
  }

  /** @internal Latest value of one metric, for lazy filter evaluation. */
  latestMetricAt(runDir: string, key: string): number | undefined {
    return latestMetric(this.readMetricFile(runDir, key))?.value;
  }

  // ---------------------------------------------------------------- artifacts

  /** The local folder holding a run's artifacts. */
  artifactDir(runId: string): string {
    const dir = this.runDir(runId);
    const info = this.runInfoAt(dir);
    if (info.artifactUri.startsWith("file:")) return fileURLToPath(info.artifactUri);
    return join(dir, "artifacts");
  }

  private artifactTarget(runId: string, artifactPath: string): string {
    const relative = safeArtifactPath(artifactPath);
    const root = this.artifactDir(runId);
    const target = relative === "" ? root : join(root, relative);
    if (target !== root && !target.startsWith(root + "/")) throw new TrackingError(`artifact path '${artifactPath}' escapes the run's artifact folder`);
    return target;
  }

  async logArtifact(runId: string, localPath: string, artifactPath = ""): Promise<string> {
    this.writableRunDir(runId);
    const source = resolve(localPath);
    if (!existsSync(source)) throw new NotFoundError(`artifact source ${source} does not exist`);
    const stats = statSync(source);
    const destDir = this.artifactTarget(runId, artifactPath);
    mkdirSync(destDir, { recursive: true });
    if (stats.isDirectory()) {
      for (const rel of listFilesRecursive(source)) {
        const dest = join(destDir, rel);
        mkdirSync(dirname(dest), { recursive: true });
        this.copyAtomic(join(source, rel), dest, destDir);
      }
      return artifactPath;
    }
    const dest = join(destDir, basename(source));
    this.copyAtomic(source, dest, destDir);
    return artifactPath === "" ? basename(source) : `${safeArtifactPath(artifactPath)}/${basename(source)}`;
  }

  private copyAtomic(source: string, dest: string, tempDir: string): void {
    const temp = join(tempDir, `.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
    copyFileSync(source, temp);
    renameSync(temp, dest);
  }

  async logArtifactBytes(runId: string, artifactFile: string, content: string | Uint8Array): Promise<void> {
    this.writableRunDir(runId);
    const target = this.artifactTarget(runId, artifactFile);
    if (target === this.artifactDir(runId)) throw new TrackingError(`artifact file name is empty`);
    mkdirSync(dirname(target), { recursive: true });
    const temp = join(dirname(target), `.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
    const fd = openSync(temp, "w");
    try {
      writeSync(fd, typeof content === "string" ? Buffer.from(content, "utf8") : content);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  }

  async listArtifacts(runId: string, path = ""): Promise<ArtifactInfo[]> {
    const target = this.artifactTarget(runId, path);
    if (!existsSync(target) || !statSync(target).isDirectory()) return [];
    const prefix = safeArtifactPath(path);
    return readdirSync(target, { withFileTypes: true })
      .filter((e) => !e.name.startsWith(".tmp-"))
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((e) => {
        const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
        return e.isDirectory() ? { path: rel, isDir: true } : { path: rel, isDir: false, fileSize: statSync(join(target, e.name)).size };
      });
  }

  async readArtifact(runId: string, path: string): Promise<Buffer> {
    const target = this.artifactTarget(runId, path);
    if (!existsSync(target) || statSync(target).isDirectory()) throw new NotFoundError(`run ${runId} has no artifact file '${path}'`);
    return readFileSync(target);
  }
}

/** A run whose params, tags and metrics are read only when a filter or sort asks for them. */
class LazyRun implements RunValueSource {
  private readonly cache = new Map<string, string | number | undefined>();
  constructor(
    readonly runDir: string,
    readonly info: RunInfo,
    private readonly store: FileStore,
  ) {}
  private cached<T extends string | number>(slot: string, read: () => T | undefined): T | undefined {
    if (this.cache.has(slot)) return this.cache.get(slot) as T | undefined;
    // A key that is not a valid MLflow key cannot have been logged (and must not become a path).
    if (keyProblem(slot.slice(2)) !== undefined) return undefined;
    const value = read();
    this.cache.set(slot, value);
    return value;
  }
  metric(key: string): number | undefined {
    return this.cached(`m:${key}`, () => this.store.latestMetricAt(this.runDir, key));
  }
  param(key: string): string | undefined {
    return this.cached(`p:${key}`, () => readTextOrUndefined(join(this.runDir, "params", key)));
  }
  tag(key: string): string | undefined {
    return this.cached(`t:${key}`, () => readTextOrUndefined(join(this.runDir, "tags", key)));
  }
}

/** Page tokens in MLflow's format: base64 of {"offset": n}. */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString("base64");
}

/** Read a page token; an empty token is offset 0. */
export function decodePageToken(token: string | undefined): number {
  if (!token) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { offset?: unknown };
    const offset = Number(parsed.offset);
    if (Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // Fall through to the error below.
  }
  throw new TrackingError(`invalid page token '${token}'`);
}
