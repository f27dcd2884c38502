/**
 * The entry point to tracking: resolves the tracking URI (option, then MLFLOW_TRACKING_URI, then
 * ./mlruns), opens the backend, and starts runs with provenance tags. `withRun` ends a run as
 * FAILED with the error recorded when the body throws.
 */
import { resolve } from "node:path";
import { TrackingError } from "../errors.js";
import { MLFLOW_TAGS, type Experiment, type Run } from "./entities.js";
import { FileStore } from "./file-store.js";
import { RestStore } from "./rest-store.js";
import { provenanceTags, currentUser } from "./provenance.js";
import { ActiveRun } from "./run.js";
import type { SearchRunsOptions, SearchRunsPage, TrackingStore } from "./store.js";

/** How to open a tracker. */
export interface TrackerOptions {
  /** A folder, a file: URI, or an http(s) MLflow tracking server; default MLFLOW_TRACKING_URI or ./mlruns. */
  trackingUri?: string;
  warn?: (message: string) => void;
}

/** What `startRun` takes. */
export interface StartRunOptions {
  /** Experiment name (created if missing) or id. */
  experiment?: string;
  experimentId?: string;
  runName?: string;
  parentRunId?: string;
  tags?: Record<string, string>;
  description?: string;
  sourceName?: string;
  sourceType?: "LOCAL" | "NOTEBOOK" | "JOB" | "PROJECT";
  /** Skip git and user provenance tags (for tight loops that create many runs). */
  skipProvenance?: boolean;
}

/** Pick the tracking location from an option, the environment, or the default ./mlruns. */
export function resolveTrackingUri(explicit?: string): string {
  const uri = explicit ?? process.env.MLFLOW_TRACKING_URI ?? "mlruns";
  return uri;
}

/** Open the backend for a tracking URI. */
export function openStore(uri: string, warn?: (message: string) => void): TrackingStore {
  if (/^https?:\/\//i.test(uri)) return new RestStore(uri, { warn });
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) && !uri.startsWith("file:")) {
    throw new TrackingError(`tracking URI ${uri}: unsupported scheme; use a folder path or a file: URI`);
  }
  return new FileStore(uri.startsWith("file:") ? uri : resolve(uri), { warn });
}

/** A tracker bound to one store. */
export class Tracker {
  constructor(readonly store: TrackingStore) {}

  /** Start a run in an experiment (by name, created on first use, or by id). */
  async startRun(options: StartRunOptions = {}): Promise<ActiveRun> {
    let experimentId = options.experimentId;
    if (!experimentId) {
      const experiment = await this.store.getOrCreateExperiment(options.experiment ?? "Default");
      experimentId = experiment.experimentId;
    }
    const tags: Record<string, string> = options.skipProvenance
      ? {}
      : provenanceTags({ sourceName: options.sourceName, sourceType: options.sourceType });
    Object.assign(tags, options.tags ?? {});
    if (options.parentRunId) tags[MLFLOW_TAGS.parentRunId] = options.parentRunId;
    if (options.description) tags[MLFLOW_TAGS.note] = options.description;
    const info = await this.store.createRun({
      experimentId,
      runName: options.runName,
      userId: currentUser(),
      startTime: Date.now(),
      tags,
    });
    return new ActiveRun(this.store, info);
  }

  /** Run `body` inside a run: FINISHED on success; FAILED with the error recorded on a throw. */
  async withRun<T>(options: StartRunOptions, body: (run: ActiveRun) => Promise<T>): Promise<T> {
    const run = await this.startRun(options);
    try {
      const result = await body(run);
      await run.end("FINISHED");
      return result;
    } catch (error) {
      await run.fail(error);
      throw error;
    }
  }

  /** Search runs in experiments given by name or id. */
  async searchRuns(options: Omit<SearchRunsOptions, "experimentIds"> & { experiments?: string[]; experimentIds?: string[] }): Promise<SearchRunsPage> {
    const ids = [...(options.experimentIds ?? [])];
    for (const name of options.experiments ?? []) {
      const experiment = await this.store.getExperimentByName(name);
      if (!experiment) throw new TrackingError(`no experiment named '${name}'`);
      ids.push(experiment.experimentId);
    }
    if (ids.length === 0) for (const e of await this.store.listExperiments()) ids.push(e.experimentId);
    return this.store.searchRuns({ ...options, experimentIds: ids });
  }

  /** Every run matching a search, following page tokens. */
  async searchAllRuns(options: Omit<SearchRunsOptions, "experimentIds"> & { experiments?: string[]; experimentIds?: string[] }): Promise<Run[]> {
    const out: Run[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.searchRuns({ ...options, pageToken, maxResults: options.maxResults ?? 50000 });
      out.push(...page.runs);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out;
  }

  /** List experiments (active by default). */
  async listExperiments(): Promise<Experiment[]> {
    return this.store.listExperiments();
  }
}

/** Open a tracker on the resolved tracking URI. */
export function createTracker(options: TrackerOptions = {}): Tracker {
  return new Tracker(openStore(resolveTrackingUri(options.trackingUri), options.warn));
}
