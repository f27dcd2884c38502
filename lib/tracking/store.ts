/**
 * The backend contract shared by the file store (mlruns/) and, later, the REST store: the run API,
 * the CLI and the reports talk to this interface only.
 */
import type { ArtifactInfo, Experiment, Metric, Run, RunInfo, RunStatus, ViewType } from "./entities.js";

/** What `createRun` takes. */
export interface CreateRunOptions {
  experimentId?: string;
  runName?: string;
  userId?: string;
  startTime?: number;
  tags?: Record<string, string>;
}

/** What `updateRun` can change. */
export interface UpdateRunOptions {
  status?: RunStatus;
  endTime?: number | null;
  runName?: string;
}

/** One batch of writes; limits as MLflow's log-batch (1000 metrics, 100 params, 100 tags). */
export interface LogBatch {
  metrics?: Metric[];
  params?: Record<string, string>;
  tags?: Record<string, string>;
}

/** Arguments of a run search. */
export interface SearchRunsOptions {
  experimentIds: string[];
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
  viewType?: ViewType;
}

/** One page of search results. */
export interface SearchRunsPage {
  runs: Run[];
  nextPageToken?: string;
}

/** A tracking backend. */
export interface TrackingStore {
  readonly kind: string;
  listExperiments(view?: ViewType): Promise<Experiment[]>;
  getExperiment(experimentId: string): Promise<Experiment>;
  getExperimentByName(name: string): Promise<Experiment | undefined>;
  createExperiment(name: string, tags?: Record<string, string>): Promise<string>;
  getOrCreateExperiment(name: string): Promise<Experiment>;
  renameExperiment(experimentId: string, newName: string): Promise<void>;
  deleteExperiment(experimentId: string): Promise<void>;
  restoreExperiment(experimentId: string): Promise<void>;
  setExperimentTag(experimentId: string, key: string, value: string): Promise<void>;
  createRun(options: CreateRunOptions): Promise<RunInfo>;
  updateRun(runId: string, update: UpdateRunOptions): Promise<RunInfo>;
  deleteRun(runId: string): Promise<void>;
  restoreRun(runId: string): Promise<void>;
  getRun(runId: string): Promise<Run>;
  getRunInfo(runId: string): Promise<RunInfo>;
  logBatch(runId: string, batch: LogBatch): Promise<void>;
  deleteTag(runId: string, key: string): Promise<void>;
  getMetricHistory(runId: string, key: string): Promise<Metric[]>;
  searchRuns(options: SearchRunsOptions): Promise<SearchRunsPage>;
  logArtifact(runId: string, localPath: string, artifactPath?: string): Promise<string>;
  logArtifactBytes(runId: string, artifactFile: string, content: string | Uint8Array): Promise<void>;
  listArtifacts(runId: string, path?: string): Promise<ArtifactInfo[]>;
  readArtifact(runId: string, path: string): Promise<Buffer>;
}
