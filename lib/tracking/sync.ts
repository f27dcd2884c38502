/**
 * Push runs from one store (a local mlruns/ folder) to another (an MLflow tracking server),
 * idempotently. Each pushed run carries `workbench.source_run_id` (its local id) and, once complete,
 * `workbench.sync_digest` (a hash of everything pushed). A later sync skips runs whose digest is
 * unchanged and, for the others, sends only what the server lacks: missing params, changed tags,
 * metric points not in the server's history, artifact files missing or of another size, and the
 * status. So an interrupted sync resumes where it stopped and a second sync sends nothing.
 * Parents are pushed before their children, and `mlflow.parentRunId` is rewritten to the server's id.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { TrackingError, describeError } from "../errors.js";
import { MLFLOW_TAGS, type ArtifactInfo, type Experiment, type Metric, type Run } from "./entities.js";
import { metricPointKey } from "./rest-codec.js";
import { CREATE_TOKEN_TAG } from "./rest-store.js";
import type { TrackingStore } from "./store.js";
import { MAX_METRICS_PER_BATCH, MAX_PARAMS_TAGS_PER_BATCH } from "./validation.js";

/** The tag holding the source run id on a pushed run. */
export const SOURCE_RUN_TAG = "workbench.source_run_id";
/** The tag holding the digest of what a completed push sent. */
export const SYNC_DIGEST_TAG = "workbench.sync_digest";

const OWN_TAGS = new Set([SOURCE_RUN_TAG, SYNC_DIGEST_TAG, CREATE_TOKEN_TAG]);

/** What to push. */
export interface SyncOptions {
  /** Experiment names or ids (default: every active experiment). */
  experiments?: string[];
  /** An MLflow search filter on the source runs. */
  filter?: string;
  /** Count what would be sent, send nothing. */
  dryRun?: boolean;
  /** Runs pushed at once (default 2). */
  concurrency?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** What a sync did. */
export interface SyncReport {
  runsSelected: number;
  runsCreated: number;
  runsUpdated: number;
  runsUnchanged: number;
  experimentsCreated: number;
  params: number;
  tags: number;
  metricPoints: number;
  artifactFiles: number;
  artifactBytes: number;
  statusUpdates: number;
  /** Source run id -> target run id. */
  runMap: Record<string, string>;
  /** Runs that could not be pushed, with the reason. */
  failures: { runId: string; error: string }[];
}

/** A source store that can hand out artifact files by path (the file store can). */
interface FileArtifacts {
  artifactDir(runId: string): string;
}

function hasArtifactDir(store: TrackingStore): store is TrackingStore & FileArtifacts {
  return typeof (store as Partial<FileArtifacts>).artifactDir === "function";
}

async function listArtifactsDeep(store: TrackingStore, runId: string, path = ""): Promise<ArtifactInfo[]> {
  const out: ArtifactInfo[] = [];
  for (const entry of await store.listArtifacts(runId, path)) {
    if (entry.isDir) out.push(...(await listArtifactsDeep(store, runId, entry.path)));
    else out.push(entry);
  }
  return out;
}

interface SourceRun {
  run: Run;
  histories: Map<string, Metric[]>;
  artifacts: ArtifactInfo[];
  digest: string;
}

async function readSource(store: TrackingStore, run: Run): Promise<SourceRun> {
  const runId = run.info.runId;
  const histories = new Map<string, Metric[]>();
  const hash = createHash("sha256");
  hash.update(JSON.stringify([run.info.runName, run.info.status, run.info.endTime, run.info.startTime, run.info.userId]));
  hash.update(JSON.stringify(Object.entries(run.data.params).sort()));
  hash.update(JSON.stringify(Object.entries(run.data.tags).sort()));
  for (const key of Object.keys(run.data.metrics).sort()) {
    const history = await store.getMetricHistory(runId, key);
    histories.set(key, history);
    hash.update(key);
    for (const m of history) hash.update(metricPointKey(m.key, m.value, m.timestamp, m.step));
  }
  const artifacts = await listArtifactsDeep(store, runId);
  hash.update(JSON.stringify(artifacts.map((a) => [a.path, a.fileSize ?? 0])));
  return { run, histories, artifacts, digest: hash.digest("hex").slice(0, 32) };
}

function emptyReport(): SyncReport {
  return {
    runsSelected: 0,
    runsCreated: 0,
    runsUpdated: 0,
    runsUnchanged: 0,
    experimentsCreated: 0,
    params: 0,
    tags: 0,
    metricPoints: 0,
    artifactFiles: 0,
    artifactBytes: 0,
    statusUpdates: 0,
    runMap: {},
    failures: [],
  };
}

async function resolveExperiments(source: TrackingStore, names: string[] | undefined): Promise<Experiment[]> {
  if (!names || names.length === 0) return source.listExperiments("ACTIVE_ONLY");
  const out: Experiment[] = [];
  for (const name of names) {
    const byName = await source.getExperimentByName(name);
    if (byName) {
      out.push(byName);
      continue;
    }
    try {
      out.push(await source.getExperiment(name));
    } catch (error) {
      throw new TrackingError(`no experiment named or numbered '${name}' in the source store`, { cause: error });
    }
  }
  return out;
}

async function allRuns(store: TrackingStore, experimentIds: string[], filter?: string): Promise<Run[]> {
  const out: Run[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.searchRuns({ experimentIds, filter, maxResults: 1000, pageToken, viewType: "ACTIVE_ONLY" });
    out.push(...page.runs);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

/** Push the selected runs of `source` into `target`; safe to repeat and to resume after a failure. */
export async function syncRuns(source: TrackingStore, target: TrackingStore, options: SyncOptions = {}): Promise<SyncReport> {
  const log = options.log ?? (() => {});
  const report = emptyReport();
  const experiments = await resolveExperiments(source, options.experiments);
  const experimentById = new Map(experiments.map((e) => [e.experimentId, e]));
  const selected = experiments.length === 0 ? [] : await allRuns(source, experiments.map((e) => e.experimentId), options.filter);
  report.runsSelected = selected.length;

  // Parents come along even when the filter left them out, so that links can be kept.
  const byId = new Map(selected.map((r) => [r.info.runId, r]));
  for (let i = 0; i < selected.length; i++) {
    const parentId = selected[i].data.tags[MLFLOW_TAGS.parentRunId];
    if (parentId && !byId.has(parentId)) {
      try {
        const parent = await source.getRun(parentId);
        byId.set(parentId, parent);
        selected.push(parent);
      } catch {
        log(`run ${selected[i].info.runId}: its parent ${parentId} is not in the source store; the link is kept as it is`);
      }
    }
  }

  // Target experiments by name, and the runs already pushed into them.
  const targetExperiment = new Map<string, string>();
  const pushed = new Map<string, Run>();
  for (const run of selected) {
    const sourceExperimentId = run.info.experimentId;
    if (targetExperiment.has(sourceExperimentId)) continue;
    const experiment = experimentById.get(sourceExperimentId) ?? (await source.getExperiment(sourceExperimentId));
    let remote = await target.getExperimentByName(experiment.name);
    if (!remote && !options.dryRun) {
      const id = await target.createExperiment(experiment.name, experiment.tags);
      report.experimentsCreated++;
      remote = await target.getExperiment(id);
    }
    if (!remote) {
      targetExperiment.set(sourceExperimentId, "");
      continue;
    }
    if (remote.lifecycleStage === "deleted") throw new TrackingError(`experiment '${experiment.name}' is deleted on the target; restore it before syncing into it`);
    targetExperiment.set(sourceExperimentId, remote.experimentId);
    for (const existing of await allRuns(target, [remote.experimentId], `tags.\`${SOURCE_RUN_TAG}\` LIKE '%'`)) {
      const sourceId = existing.data.tags[SOURCE_RUN_TAG];
      if (sourceId) pushed.set(sourceId, existing);
    }
  }

  // Parents before children: push depth by depth.
  const depth = new Map<string, number>();
  const depthOf = (run: Run, seen: Set<string> = new Set()): number => {
    const known = depth.get(run.info.runId);
    if (known !== undefined) return known;
    const parentId = run.data.tags[MLFLOW_TAGS.parentRunId];
    const parent = parentId ? byId.get(parentId) : undefined;
    const d = parent && !seen.has(parentId) ? depthOf(parent, new Set([...seen, run.info.runId])) + 1 : 0;
    depth.set(run.info.runId, d);
    return d;
  };
  const levels: Run[][] = [];
  for (const run of selected) (levels[depthOf(run)] ??= []).push(run);

  for (const level of levels) {
    if (!level) continue;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < level.length) {
        const run = level[next++];
        try {
          await pushRun(source, target, run, targetExperiment.get(run.info.experimentId) ?? "", pushed, report, options);
        } catch (error) {
          report.failures.push({ runId: run.info.runId, error: describeError(error) });
          log(`run ${run.info.runId}: ${describeError(error)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker));
  }
  return report;
}

async function pushRun(
  source: TrackingStore,
  target: TrackingStore,
  run: Run,
  targetExperimentId: string,
  pushed: Map<string, Run>,
  report: SyncReport,
  options: SyncOptions,
): Promise<void> {
  const sourceId = run.info.runId;
  const src = await readSource(source, run);
  let remote = pushed.get(sourceId);
  if (remote && remote.data.tags[SYNC_DIGEST_TAG] === src.digest) {
    report.runMap[sourceId] = remote.info.runId;
    report.runsUnchanged++;
    return;
  }

  // Tags as the target should hold them: the parent link points at the target's parent run.
  const wantedTags: Record<string, string> = {};
  for (const [key, value] of Object.entries(run.data.tags)) if (!OWN_TAGS.has(key)) wantedTags[key] = value;
  const parentId = run.data.tags[MLFLOW_TAGS.parentRunId];
  if (parentId) {
    const mapped = report.runMap[parentId] ?? pushed.get(parentId)?.info.runId;
    if (mapped) wantedTags[MLFLOW_TAGS.parentRunId] = mapped;
  }
  wantedTags[SOURCE_RUN_TAG] = sourceId;

  const dry = options.dryRun === true;
  const created = !remote;
  let remoteId = remote?.info.runId ?? `(new:${sourceId})`;
  if (!remote && !dry) {
    const info = await target.createRun({
      experimentId: targetExperimentId,
      runName: run.info.runName || undefined,
      userId: run.info.userId,
      startTime: run.info.startTime,
      tags: { [SOURCE_RUN_TAG]: sourceId, ...(run.info.runName ? { [MLFLOW_TAGS.runName]: run.info.runName } : {}) },
    });
    remoteId = info.runId;
    remote = await target.getRun(remoteId);
    pushed.set(sourceId, remote);
  }
  report.runMap[sourceId] = remoteId;

  const remoteParams = remote?.data.params ?? {};
  const remoteTags = remote?.data.tags ?? {};
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(run.data.params)) {
    if (remoteParams[key] === undefined) params[key] = value;
    else if (remoteParams[key] !== value) throw new TrackingError(`param '${key}' is '${remoteParams[key]}' on the target but '${value}' in the source; params cannot change`);
  }
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(wantedTags)) if (remoteTags[key] !== value) tags[key] = value;

  const points: Metric[] = [];
  for (const [key, history] of src.histories) {
    const present = new Set<string>();
    if (remote && !created) for (const m of await target.getMetricHistory(remoteId, key)) present.add(metricPointKey(m.key, m.value, m.timestamp, m.step));
    for (const m of history) {
      const id = metricPointKey(m.key, m.value, m.timestamp, m.step);
      if (present.has(id)) continue;
      // A point repeated in the source is one point for a server that keeps points unique.
      present.add(id);
      points.push(m);
    }
  }
  report.params += Object.keys(params).length;
  report.tags += Object.keys(tags).length;
  report.metricPoints += points.length;
  if (!dry) {
    // MLflow-sized batches (the REST store splits further by body size where needed).
    const paramEntries = Object.entries(params);
    for (let i = 0; i < paramEntries.length; i += MAX_PARAMS_TAGS_PER_BATCH) {
      await target.logBatch(remoteId, { params: Object.fromEntries(paramEntries.slice(i, i + MAX_PARAMS_TAGS_PER_BATCH)) });
    }
    for (let i = 0; i < points.length; i += MAX_METRICS_PER_BATCH) await target.logBatch(remoteId, { metrics: points.slice(i, i + MAX_METRICS_PER_BATCH) });
    const tagEntries = Object.entries(tags);
    for (let i = 0; i < tagEntries.length; i += MAX_PARAMS_TAGS_PER_BATCH) {
      await target.logBatch(remoteId, { tags: Object.fromEntries(tagEntries.slice(i, i + MAX_PARAMS_TAGS_PER_BATCH)) });
    }
  }

  const remoteFiles = new Map<string, number | undefined>();
  if (remote && !created) for (const a of await listArtifactsDeep(target, remoteId)) remoteFiles.set(a.path, a.fileSize);
  for (const artifact of src.artifacts) {
    if (remoteFiles.has(artifact.path) && remoteFiles.get(artifact.path) === artifact.fileSize) continue;
    report.artifactFiles++;
    report.artifactBytes += artifact.fileSize ?? 0;
    if (dry) continue;
    if (hasArtifactDir(source)) {
      const slash = artifact.path.lastIndexOf("/");
      await target.logArtifact(remoteId, join(source.artifactDir(sourceId), artifact.path), slash < 0 ? "" : artifact.path.slice(0, slash));
    } else {
      await target.logArtifactBytes(remoteId, artifact.path, await source.readArtifact(sourceId, artifact.path));
    }
  }

  if (!remote || remote.info.status !== run.info.status || remote.info.endTime !== run.info.endTime) {
    report.statusUpdates++;
    if (!dry) await target.updateRun(remoteId, { status: run.info.status, endTime: run.info.endTime ?? undefined });
  }
  if (!dry) await target.logBatch(remoteId, { tags: { [SYNC_DIGEST_TAG]: src.digest } });
  if (created) report.runsCreated++;
  else report.runsUpdated++;
}
