/**
 * What an experiment is: a name, a zod schema for its config (the single source of truth for
 * types, defaults and validation), and a `run(config, ctx)` that logs to the run it is given.
 */
import type { z } from "zod";
import type { ActiveRun } from "../tracking/run.js";
import type { Rng } from "../util/random.js";
import type { ProgressFactory } from "../util/progress.js";

/** What an experiment's `run` receives besides its config. */
export interface ExperimentContext {
  /** The tracked run to log params, metrics and artifacts to. */
  run: ActiveRun;
  /** A generator seeded from the config's `seed`. */
  rng: Rng;
  /** Progress reporting (a bar on a terminal). */
  progress: ProgressFactory;
  /** A line of human-readable output (stdout in the CLI). */
  log: (line: string) => void;
}

/** A config schema must carry a seed so every run is reproducible. */
export interface SeededConfig {
  seed: number;
}

/** An experiment the CLI, notebooks and sweeps can run. */
export interface ExperimentDefinition<S extends z.ZodType<SeededConfig> = z.ZodType<SeededConfig>> {
  name: string;
  description: string;
  schema: S;
  run(config: z.output<S>, ctx: ExperimentContext): Promise<ExperimentSummary>;
}

/** What an experiment returns: its headline metrics and a few lines to print. */
export interface ExperimentSummary {
  metrics: Record<string, number>;
  lines: string[];
}

/** Declare an experiment with its types inferred from the schema. */
export function defineExperiment<S extends z.ZodType<SeededConfig>>(definition: ExperimentDefinition<S>): ExperimentDefinition<S> {
  return definition;
}
