/**
 * Verified reproduction: re-run a tracked run from what it recorded (an experiment from its
 * `config.yaml` artifact and seed, through the experiment runner; a notebook from its logged
 * parameters, through the notebook runner), warn when the code may differ from the logged commit,
 * and compare every metric's full history bit for bit.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import YAML from "yaml";
import { UsageError, WorkbenchError } from "../errors.js";
import type { ExperimentDefinition } from "../experiment/definition.js";
import { runExperiment } from "../experiment/runner.js";
import { runNotebook } from "../notebook/runner.js";
import type { ParameterValue } from "../notebook/parameters.js";
import type { Metric, Run } from "../tracking/entities.js";
import { gitInfo } from "../tracking/provenance.js";
import type { Tracker } from "../tracking/tracker.js";

/** One metric that did not come out the same. */
export interface MetricDiff {
  key: string;
  /** Latest values (undefined when the metric is missing on that side). */
  original: number | undefined;
  reproduced: number | undefined;
  /** Points of the history that differ (by step and order), out of the larger history. */
  differingPoints: number;
  points: number;
}

/**
 * Metrics that measure the machine rather than the model (wall time, throughput) and so can never
 * reproduce: keys ending in a time unit (`_seconds`, `_ms`, ...), with a `duration`, `elapsed`,
 * `runtime` or `throughput` part, or with a `time.`/`timing.` prefix. They are listed, not compared.
 */
export const TIMING_METRIC = /[._](seconds|secs|sec|ms|millis|minutes)$|(^|[._])(duration|elapsed|wall_time|walltime|runtime|throughput|per_second)([._]|$)|^(time|timing)\./i;

/** What a reproduction found. */
export interface ReproduceResult {
  originalRunId: string;
  newRunId: string;
  kind: "experiment" | "notebook";
  /** Every metric's history identical, and at least one metric compared. */
  reproduced: boolean;
  warnings: string[];
  diffs: MetricDiff[];
  /** Timing metrics present but not compared (see TIMING_METRIC). */
  ignored: string[];
  /** Metric keys compared and their total points. */
  metricsCompared: number;
  pointsCompared: number;
}

/** How to reproduce. */
export interface ReproduceOptions {
  tracker: Tracker;
  /** The registered experiments (experiments/index.ts), by name. */
  experiments: Record<string, ExperimentDefinition>;
  /** Project root (git state, notebooks). */
  root: string;
  log?: (line: string) => void;
}

/** Warnings about code provenance: a different commit now, or uncommitted changes then or now. */
export function provenanceWarnings(run: Run, root: string): string[] {
  const warnings: string[] = [];
  const logged = run.data.tags["mlflow.source.git.commit"];
  const now = gitInfo(root);
  if (!logged) warnings.push("the run recorded no git commit: the code it ran cannot be checked");
  else if (!now) warnings.push(`the run was made at commit ${logged.slice(0, 12)}, but ${root} is not a git checkout now`);
  else if (now.commit !== logged) warnings.push(`the run was made at commit ${logged.slice(0, 12)}; the code now is at ${now.commit.slice(0, 12)}, so results may differ`);
  if (run.data.tags["workbench.git.dirty"] === "true") warnings.push("the run was made from a tree with uncommitted changes: its exact code is unknown");
  if (now?.dirty) warnings.push("the current tree has uncommitted changes");
  return warnings;
}

function sameNumber(a: number, b: number): boolean {
  return Object.is(a, b) || (a === b);
}

/** Compare the metric histories of two runs point by point (by step, then logging order), skipping timing metrics. */
export async function compareMetrics(tracker: Tracker, a: Run, b: Run, ignore: RegExp = TIMING_METRIC): Promise<{ diffs: MetricDiff[]; metrics: number; points: number; ignored: string[] }> {
  const all = [...new Set([...Object.keys(a.data.metrics), ...Object.keys(b.data.metrics)])].sort();
  const ignored = all.filter((k) => ignore.test(k));
  const keys = all.filter((k) => !ignore.test(k));
  const diffs: MetricDiff[] = [];
  let points = 0;
  const history = async (run: Run, key: string): Promise<Metric[]> =>
    key in run.data.metrics ? [...(await tracker.store.getMetricHistory(run.info.runId, key))].sort((x, y) => x.step - y.step) : [];
  for (const key of keys) {
    const ha = await history(a, key);
    const hb = await history(b, key);
    const n = Math.max(ha.length, hb.length);
    points += n;
    let differing = 0;
    for (let i = 0; i < n; i++) {
      const pa = ha[i];
      const pb = hb[i];
      if (!pa || !pb || pa.step !== pb.step || !sameNumber(pa.value, pb.value)) differing++;
    }
    if (differing > 0) diffs.push({ key, original: a.data.metrics[key], reproduced: b.data.metrics[key], differingPoints: differing, points: n });
  }
  return { diffs, metrics: keys.length, points, ignored };
}

/** Re-run a run from its logged config and seed (or notebook parameters) and compare its metrics. */
export async function reproduceRun(runId: string, options: ReproduceOptions): Promise<ReproduceResult> {
  const { tracker } = options;
  const log = options.log ?? (() => {});
  const original = await tracker.store.getRun(runId);
  const tags = original.data.tags;
  const experiment = await tracker.store.getExperiment(original.info.experimentId);
  const warnings = provenanceWarnings(original, options.root);
  let newRunId: string;
  let kind: ReproduceResult["kind"];
  if (tags["workbench.sweep"] === "parent") {
    throw new UsageError(`run ${runId} is a sweep parent; reproduce one of its child runs (workbench runs list shows them)`);
  }
  if (tags["workbench.notebook"] && tags["workbench.kind"] === "notebook") {
    kind = "notebook";
    let parameters: Record<string, ParameterValue>;
    try {
      parameters = JSON.parse(tags["workbench.notebook.parameters"] ?? "{}") as Record<string, ParameterValue>;
    } catch (error) {
      throw new WorkbenchError(`run ${runId}: tag workbench.notebook.parameters is not JSON`, { cause: error });
    }
    log(`re-running notebook ${tags["workbench.notebook"]} with ${Object.entries(parameters).map(([k, v]) => `${k}=${v}`).join(" ") || "its defaults"}`);
    const storeRoot = (tracker.store as { root?: string }).root;
    const result = await runNotebook(resolve(options.root, tags["workbench.notebook"]), {
      root: options.root,
      parameters,
      trackingUri: storeRoot,
      experiment: experiment.name,
      log: (l) => log(`  ${l}`),
    });
    if (!result.runId) throw new WorkbenchError("internal error: the notebook runner recorded no run");
    newRunId = result.runId;
    if (result.status !== "completed" && result.failedCell) warnings.push(`the re-run failed at cell ${result.failedCell.index}: ${result.failedCell.error.ename}: ${result.failedCell.error.evalue}`);
  } else {
    kind = "experiment";
    const name = tags["workbench.experiment"];
    if (!name) throw new UsageError(`run ${runId} has no workbench.experiment or workbench.notebook tag: it was not made by 'workbench run' or 'workbench notebook run'`);
    const definition = options.experiments[name];
    if (!definition) throw new UsageError(`run ${runId} is of experiment '${name}', which is not registered any more; available: ${Object.keys(options.experiments).sort().join(", ")}`);
    let configText: string;
    try {
      configText = (await tracker.store.readArtifact(runId, "config.yaml")).toString("utf8");
    } catch (error) {
      throw new WorkbenchError(`run ${runId} has no config.yaml artifact to reproduce from`, { cause: error });
    }
    // The logged config becomes the only layer: the runner validates it, hashes it and seeds from it.
    const dir = mkdtempSync(join(tmpdir(), "workbench-reproduce-"));
    try {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, "base.yaml"), YAML.stringify(YAML.parse(configText)));
      log(`re-running experiment ${name} from run ${runId}'s config.yaml (seed ${tags["workbench.seed"] ?? "?"})`);
      const outcome = await runExperiment(definition, { tracker, configDir: dir, trackingExperiment: experiment.name, log });
      newRunId = outcome.runs[0].runId;
      if (outcome.runs[0].status !== "FINISHED") warnings.push(`the re-run failed: ${outcome.runs[0].error ?? "unknown error"}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const reproducedRun = await tracker.store.getRun(newRunId);
  const originalHash = tags["workbench.config_hash"];
  const newHash = reproducedRun.data.tags["workbench.config_hash"];
  if (originalHash && newHash && originalHash !== newHash) {
    warnings.push(`config hash ${newHash.slice(0, 12)} differs from the logged ${originalHash.slice(0, 12)}: the schema (defaults, validation) or parameters changed`);
  }
  const { diffs, metrics, points, ignored } = await compareMetrics(tracker, original, reproducedRun);
  const reproduced = diffs.length === 0 && metrics > 0;
  if (metrics === 0) warnings.push("neither run logged a metric: nothing to compare");
  await tracker.store.logBatch(newRunId, {
    tags: { "workbench.reproduction_of": runId, "workbench.reproduced": String(reproduced) },
  });
  return { originalRunId: runId, newRunId, kind, reproduced, warnings, diffs, ignored, metricsCompared: metrics, pointsCompared: points };
}
