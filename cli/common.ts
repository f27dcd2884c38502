/**
 * What every CLI command shares: the tracker from --tracking-uri, output, experiment lookup and
 * formatting. Command groups live in cli/commands/<name>.ts and register themselves on the program.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { NotFoundError, TrackingError, UsageError } from "../lib/errors.js";
import { createTracker, type Tracker } from "../lib/tracking/tracker.js";
import type { Run } from "../lib/tracking/entities.js";
import { experiments } from "../experiments/index.js";

/** The project root (configs/, notebooks/ and the default mlruns/ live here). */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Options every command inherits. */
export interface GlobalOptions {
  trackingUri?: string;
  verbose?: boolean;
}

/** Print a line on stdout. */
export function out(line = ""): void {
  process.stdout.write(line + "\n");
}

/** The tracker selected by --tracking-uri or the environment. */
export function trackerFrom(command: Command): Tracker {
  const opts = command.optsWithGlobals<GlobalOptions>();
  return createTracker({ trackingUri: opts.trackingUri, warn: (m) => process.stderr.write(`warning: ${m}\n`) });
}

/** The registered experiment of that name, or a usage error listing the available ones. */
export function experimentNamed(name: string) {
  const definition = experiments[name];
  if (!definition) throw new UsageError(`unknown experiment '${name}'; available: ${Object.keys(experiments).sort().join(", ")}`);
  return definition;
}

/** The configs/ folder of the project. */
export function defaultConfigDir(): string {
  return join(projectRoot, "configs");
}

/** A timestamp in ms as an ISO date-time (UTC). */
export function formatTime(ms: number | null): string {
  return ms === null || ms === undefined ? "" : new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** How long a run took, for tables. */
export function formatDuration(run: Run): string {
  if (run.info.endTime === null) return "";
  const s = (run.info.endTime - run.info.startTime) / 1000;
  return s < 60 ? `${s.toFixed(1)}s` : `${(s / 60).toFixed(1)}m`;
}

/** A run by id, or a usage error naming the id. */
export async function findRun(tracker: Tracker, id: string): Promise<Run> {
  try {
    return await tracker.store.getRun(id);
  } catch (error) {
    if (error instanceof NotFoundError || error instanceof TrackingError) throw new UsageError(`no run with id '${id}'`, { cause: error });
    throw error;
  }
}

