/**
 * Runs an experiment from its configs: resolves and validates every point of a sweep before any
 * run is created (a config error writes nothing), records each run's resolved config, params,
 * config hash and seed, and groups a sweep's children under a parent run.
 */
import type { z } from "zod";
import { ConfigError, describeError } from "../errors.js";
import { loadConfig, type ResolvedConfig } from "../config/load.js";
import { expandSweep, type SweepPoint } from "../config/sweep.js";
import type { RunStatus } from "../tracking/entities.js";
import type { ActiveRun } from "../tracking/run.js";
import type { Tracker } from "../tracking/tracker.js";
import { createRng } from "../util/random.js";
import { silentProgress, type ProgressFactory } from "../util/progress.js";
import type { ExperimentDefinition, ExperimentSummary, SeededConfig } from "./definition.js";

/** How to run an experiment. */
export interface RunExperimentOptions {
  tracker: Tracker;
  variant?: string;
  overrides?: readonly string[];
  /** Replicates per sweep point: seeds config.seed, config.seed + 1, ... */
  seeds?: number;
  configDir?: string;
  progress?: ProgressFactory;
  log?: (line: string) => void;
  /** The MLflow experiment to log into (default: the experiment's name). */
  trackingExperiment?: string;
}

/** The result of one child (or the single) run. */
export interface RunOutcome {
  runId: string;
  status: RunStatus;
  choices: Record<string, string>;
  replicate: number;
  configHash: string;
  summary?: ExperimentSummary;
  error?: string;
}

/** Everything an experiment invocation produced. */
export interface ExperimentOutcome {
  experimentId: string;
  parentRunId?: string;
  runs: RunOutcome[];
  status: RunStatus;
}

interface PlannedRun<T> {
  point: SweepPoint;
  resolved: ResolvedConfig<T>;
}

/** Resolve every sweep point's config, failing before anything is logged. */
export function planRuns<S extends z.ZodType<SeededConfig>>(definition: ExperimentDefinition<S>, options: Pick<RunExperimentOptions, "variant" | "overrides" | "seeds" | "configDir">): PlannedRun<z.output<S>>[] {
  const points = expandSweep(options.overrides ?? [], options.seeds ?? 1);
  return points.map((point) => {
    const load = (overrides: string[]) =>
      loadConfig(definition.schema, { experiment: definition.name, configDir: options.configDir, variant: options.variant, overrides });
    let resolved = load(point.overrides);
    if (point.replicate > 0) {
      if (point.overrides.some((o) => o.startsWith("seed="))) throw new ConfigError("--seeds cannot be combined with a seed=... override sweep");
      resolved = load([...point.overrides, `seed=${resolved.config.seed + point.replicate}`]);
    }
    return { point, resolved };
  });
}

/** Record the resolved config on a run: params, config.yaml, hash and seed tags. */
export async function recordConfig(run: ActiveRun, experiment: string, resolved: ResolvedConfig<SeededConfig>, variant?: string): Promise<void> {
  await run.logParams(resolved.params);
  await run.setTags({
    "workbench.experiment": experiment,
    "workbench.config_hash": resolved.hash,
    "workbench.seed": String(resolved.config.seed),
    "workbench.variant": variant ?? "base",
    "workbench.config_sources": resolved.sources.join(" | "),
  });
  await run.logText(resolved.yaml, "config.yaml");
}

async function executeOne<S extends z.ZodType<SeededConfig>>(
  definition: ExperimentDefinition<S>,
  planned: PlannedRun<z.output<S>>,
  run: ActiveRun,
  options: RunExperimentOptions,
): Promise<RunOutcome> {
  const base = { runId: run.runId, choices: planned.point.choices, replicate: planned.point.replicate, configHash: planned.resolved.hash };
  try {
    await recordConfig(run, definition.name, planned.resolved, options.variant);
    const summary = await definition.run(planned.resolved.config, {
      run,
      rng: createRng(planned.resolved.config.seed),
      progress: options.progress ?? silentProgress,
      log: options.log ?? (() => {}),
    });
    await run.end("FINISHED");
    return { ...base, status: "FINISHED", summary };
  } catch (error) {
    await run.fail(error);
    return { ...base, status: "FAILED", error: describeError(error) };
  }
}

/** Run an experiment (one run, or a parent with one child per sweep point and seed). */
export async function runExperiment<S extends z.ZodType<SeededConfig>>(definition: ExperimentDefinition<S>, options: RunExperimentOptions): Promise<ExperimentOutcome> {
  const plan = planRuns(definition, options);
  const trackingExperiment = options.trackingExperiment ?? definition.name;
  const { tracker } = options;
  const sourceName = `workbench run ${definition.name}`;
  if (plan.length === 1) {
    const run = await tracker.startRun({ experiment: trackingExperiment, sourceName });
    const outcome = await executeOne(definition, plan[0], run, options);
    return { experimentId: run.experimentId, runs: [outcome], status: outcome.status };
  }
  const parent = await tracker.startRun({ experiment: trackingExperiment, sourceName, runName: `${definition.name}-sweep` });
  const runs: RunOutcome[] = [];
  try {
    const axes = [...new Set(plan.flatMap((p) => Object.keys(p.point.choices)))];
    await parent.setTags({
      "workbench.experiment": definition.name,
      "workbench.sweep": "parent",
      "workbench.sweep.axes": axes.join(",") || "(seeds only)",
      "workbench.sweep.size": String(plan.length),
    });
    await parent.logParams({ "sweep.overrides": (options.overrides ?? []).join(" "), "sweep.seeds": options.seeds ?? 1, "sweep.variant": options.variant ?? "base" });
    const bar = (options.progress ?? silentProgress)(`${definition.name} sweep`, plan.length);
    for (let i = 0; i < plan.length; i++) {
      const planned = plan[i];
      const label = Object.entries(planned.point.choices).map(([k, v]) => `${k}=${v}`);
      if ((options.seeds ?? 1) > 1) label.push(`seed=${planned.resolved.config.seed}`);
      const child = await tracker.startRun({
        experimentId: parent.experimentId,
        parentRunId: parent.runId,
        runName: label.join(" ") || `replicate-${planned.point.replicate}`,
        sourceName,
      });
      runs.push(await executeOne(definition, planned, child, { ...options, progress: silentProgress }));
      bar.update(i + 1, label.join(" "));
    }
    bar.stop();
    const failed = runs.filter((r) => r.status !== "FINISHED").length;
    await parent.logMetrics({ "sweep.children": runs.length, "sweep.failed": failed });
    await parent.logJson(
      runs.map((r) => ({ runId: r.runId, status: r.status, choices: r.choices, replicate: r.replicate, configHash: r.configHash, metrics: r.summary?.metrics ?? {}, error: r.error })),
      "sweep_summary.json",
    );
    const status: RunStatus = failed > 0 ? "FAILED" : "FINISHED";
    if (failed > 0) await parent.setTag("workbench.error", `${failed} of ${runs.length} child runs failed`);
    await parent.end(status);
    return { experimentId: parent.experimentId, parentRunId: parent.runId, runs, status };
  } catch (error) {
    await parent.fail(error);
    throw error;
  }
}
