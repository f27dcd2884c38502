/**
 * Name and value rules identical to MLflow's (mlflow/utils/validation.py), so that everything the
 * workbench writes is accepted by the Python client and server, and everything rejected there is
 * rejected here first with a message that names the key.
 */
import { posix } from "node:path";
import { TrackingError } from "../errors.js";

export const MAX_ENTITY_KEY_LENGTH = 250;
export const MAX_PARAM_VALUE_LENGTH = 6000;
export const MAX_TAG_VALUE_LENGTH = 8000;
export const MAX_EXPERIMENT_NAME_LENGTH = 500;
export const MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20000;
export const MAX_METRICS_PER_BATCH = 1000;
export const MAX_PARAMS_TAGS_PER_BATCH = 100;
export const MAX_ENTITIES_PER_BATCH = 1000;

// Python's `\w` is Unicode-aware: letters and digits of any script plus underscore.
const KEY_CHARACTERS = /^[\/\p{L}\p{N}_.\- :]*$/u;
const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;
const EXPERIMENT_ID = /^[a-zA-Z0-9][\w-]{0,63}$/;

/** Why a metric, param or tag key is invalid, or undefined when it is valid. */
export function keyProblem(key: string): string | undefined {
  if (typeof key !== "string") return "the key must be a string";
  if (!KEY_CHARACTERS.test(key)) {
    return "names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/)";
  }
  const normalized = posix.normalize(key);
  if (normalized !== key || normalized === "." || normalized.startsWith("..") || normalized.startsWith("/")) {
    return `names are treated as file paths and must not resolve to another name; this one resolves to '${normalized}'`;
  }
  if (key.length > MAX_ENTITY_KEY_LENGTH) return `keys are at most ${MAX_ENTITY_KEY_LENGTH} characters (got ${key.length})`;
  return undefined;
}

/** Throw a TrackingError naming the key if it is not a valid MLflow key. */
export function validateKey(kind: "metric" | "param" | "tag", key: string): void {
  const problem = keyProblem(key);
  if (problem) throw new TrackingError(`invalid ${kind} key '${key}': ${problem}`);
}

/** Validate a metric point; values may be NaN or infinite, timestamps and steps are integers. */
export function validateMetric(key: string, value: number, timestamp: number, step: number): void {
  validateKey("metric", key);
  if (typeof value !== "number") throw new TrackingError(`invalid value for metric '${key}': expected a number, got ${JSON.stringify(value)}`);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TrackingError(`invalid timestamp for metric '${key}': expected a nonnegative integer (ms), got ${timestamp}`);
  }
  if (!Number.isSafeInteger(step)) throw new TrackingError(`invalid step for metric '${key}': expected an integer, got ${step}`);
}

/**
 * Bring a value within a length limit the way MLflow does by default (MLFLOW_TRUNCATE_LONG_VALUES):
 * truncate and warn, so a long description never fails a run.
 */
export function limitValueLength(what: string, key: string, value: string, limit: number, warn: (message: string) => void): string {
  if (value.length <= limit) return value;
  warn(`${what} '${key}' (${value.length} characters) is truncated to ${limit} characters to meet MLflow's length limit`);
  return value.slice(0, limit);
}

/** Throw unless the id has the form MLflow accepts for a run id. */
export function validateRunId(runId: string): void {
  if (typeof runId !== "string" || !RUN_ID.test(runId)) throw new TrackingError(`invalid run id '${runId}'`);
}

/** Throw unless the id has the form MLflow accepts for an experiment id. */
export function validateExperimentId(experimentId: string): void {
  if (typeof experimentId !== "string" || !EXPERIMENT_ID.test(experimentId)) {
    throw new TrackingError(`invalid experiment id '${experimentId}'`);
  }
}

/** Throw unless the name is a valid experiment name. */
export function validateExperimentName(name: string): void {
  if (typeof name !== "string" || name === "") throw new TrackingError(`invalid experiment name '${name}': it must be a non-empty string`);
  if (name.length > MAX_EXPERIMENT_NAME_LENGTH) {
    throw new TrackingError(`invalid experiment name: at most ${MAX_EXPERIMENT_NAME_LENGTH} characters (got ${name.length})`);
  }
}

/**
 * Resolve an artifact path inside a run's artifact folder, refusing anything that would land
 * outside it (`../x`, absolute paths, backslashes, NUL).
 */
export function safeArtifactPath(relative: string): string {
  if (typeof relative !== "string") throw new TrackingError(`invalid artifact path: expected a string`);
  if (relative.includes("\0") || relative.includes("\\")) {
    throw new TrackingError(`invalid artifact path '${relative}': backslashes and NUL characters are not allowed`);
  }
  if (relative.startsWith("/") || /^[a-zA-Z]:/.test(relative)) {
    throw new TrackingError(`invalid artifact path '${relative}': it must be relative to the run's artifact folder`);
  }
  const normalized = posix.normalize(relative === "" ? "." : relative);
  if (normalized === ".." || normalized.startsWith("../")) {
    throw new TrackingError(`invalid artifact path '${relative}': it escapes the run's artifact folder`);
  }
  return normalized === "." ? "" : normalized.replace(/\/$/, "");
}
