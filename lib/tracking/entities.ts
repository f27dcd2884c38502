/**
 * The tracking entities, shaped like MLflow's (mlflow/entities): what a store returns and what the
 * Python client would see for the same data.
 */

/** A run's lifecycle status, as MLflow names it. */
export type RunStatus = "RUNNING" | "SCHEDULED" | "FINISHED" | "FAILED" | "KILLED";

/** Whether an experiment or run is live or in the trash. */
export type LifecycleStage = "active" | "deleted";

/** Which runs or experiments a listing returns. */
export type ViewType = "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL";

/** MLflow stores the status as an integer in meta.yaml. */
export const RUN_STATUS_CODES: Readonly<Record<RunStatus, number>> = {
  RUNNING: 1,
  SCHEDULED: 2,
  FINISHED: 3,
  FAILED: 4,
  KILLED: 5,
};

/** Map a stored status code back to its name. */
export function runStatusFromCode(code: number): RunStatus {
  for (const [name, value] of Object.entries(RUN_STATUS_CODES)) {
    if (value === code) return name as RunStatus;
  }
  return "RUNNING";
}

/** An experiment: a named folder of runs. */
export interface Experiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  creationTime: number;
  lastUpdateTime: number;
  tags: Record<string, string>;
}

/** The metadata part of a run (MLflow's RunInfo). */
export interface RunInfo {
  runId: string;
  runName: string;
  experimentId: string;
  userId: string;
  status: RunStatus;
  startTime: number;
  endTime: number | null;
  artifactUri: string;
  lifecycleStage: LifecycleStage;
}

/** One logged metric value. */
export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

/** The logged data of a run: latest metric values, params and tags. */
export interface RunData {
  /** Latest value per key: the point with the greatest (step, timestamp, value). */
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
}

/** A run as a reader returns it. */
export interface Run {
  info: RunInfo;
  data: RunData;
}

/** One entry of an artifact listing. */
export interface ArtifactInfo {
  path: string;
  isDir: boolean;
  fileSize?: number;
}

/** The tag keys MLflow's UI and clients read. */
export const MLFLOW_TAGS = {
  runName: "mlflow.runName",
  user: "mlflow.user",
  sourceName: "mlflow.source.name",
  sourceType: "mlflow.source.type",
  gitCommit: "mlflow.source.git.commit",
  gitBranch: "mlflow.source.git.branch",
  gitRepoUrl: "mlflow.source.git.repoURL",
  parentRunId: "mlflow.parentRunId",
  note: "mlflow.note.content",
} as const;
