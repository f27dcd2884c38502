/**
 * What the REST interop tests share: the Python client's view of runs on a server, and the
 * canonical form of our own view for comparison.
 */
import type { Metric } from "../../lib/tracking/entities.js";
import { runPython } from "./python.js";

export interface PyRun {
  info: { run_id: string; run_name: string; experiment_id: string; user_id: string; status: string; start_time: number; end_time: number | null; lifecycle_stage: string };
  params: Record<string, string>;
  tags: Record<string, string>;
  latest: Record<string, number | string>;
  metrics: Record<string, [number, number, number | string][]>;
  artifacts: Record<string, string>;
}

/** Runs as the Python MlflowClient reads them from a server. */
export function pythonRuns(uri: string, runIds: string[], env: Record<string, string> = {}): Record<string, PyRun> {
  return JSON.parse(runPython("rest_dump.py", [uri, "run", ...runIds], env)) as Record<string, PyRun>;
}

/** Every page of a Python search_runs. */
export function pythonSearchPages(uri: string, experimentId: string, filter: string, orderBy: string[], maxResults: number): string[][] {
  return JSON.parse(runPython("rest_dump.py", [uri, "search", experimentId, filter, orderBy.join(","), String(maxResults)])) as string[][];
}

/** A metric value as the Python dump spells it, after MLflow's SQL store clamped infinities. */
export function pyValue(value: number, clampInfinity: boolean): number | string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return clampInfinity ? Number.MAX_VALUE : "Infinity";
  if (value === -Infinity) return clampInfinity ? -Number.MAX_VALUE : "-Infinity";
  return value;
}

/** A history in the dump's canonical form: [step, timestamp, value] sorted by (step, timestamp, value). */
export function canonicalHistory(points: readonly Metric[], clampInfinity: boolean): [number, number, number | string][] {
  const rank = (v: number | string): number => (typeof v === "string" ? -Infinity : v);
  return points
    .map((m) => [m.step, m.timestamp, pyValue(m.value, clampInfinity)] as [number, number, number | string])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1] || rank(a[2]) - rank(b[2]) || (String(a[2]) < String(b[2]) ? -1 : String(a[2]) > String(b[2]) ? 1 : 0));
}
