/**
 * `workbench sync --to http://server [--experiment E] [--filter "..."]`: push local mlruns/ runs to
 * an MLflow tracking server, idempotently, after replaying any writes spooled for that server while
 * it was unreachable.
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../../lib/errors.js";
import { FileStore } from "../../lib/tracking/file-store.js";
import { RestStore } from "../../lib/tracking/rest-store.js";
import { syncRuns } from "../../lib/tracking/sync.js";
import { renderTable } from "../../lib/util/table.js";
import { out, type GlobalOptions } from "../common.js";

interface SyncCommandOptions {
  to?: string;
  from?: string;
  experiment?: string[];
  filter?: string;
  dryRun?: boolean;
  concurrency: string;
}

/** Register `workbench sync` on the program. */
export function registerSync(program: Command): void {
  program
    .command("sync")
    .description("push local runs (params, metric histories, tags, artifacts, parent links) to an MLflow tracking server; a second sync sends nothing new")
    .option("--to <uri>", "the tracking server, http(s)://host:port (default $MLFLOW_TRACKING_URI when it is one)")
    .option("--from <dir>", "the local store to push (default --tracking-uri when it is a folder, else ./mlruns)")
    .option("-e, --experiment <name...>", "only these experiments (names or ids)")
    .option("-f, --filter <filter>", `MLflow filter on the local runs, e.g. "metrics.rmse < 1"`)
    .option("--dry-run", "count what would be sent, send nothing")
    .option("--concurrency <n>", "runs pushed at once", "2")
    .action(async (opts: SyncCommandOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const envUri = process.env.MLFLOW_TRACKING_URI;
      const to = opts.to ?? (envUri && /^https?:\/\//i.test(envUri) ? envUri : undefined);
      if (!to || !/^https?:\/\//i.test(to)) throw new UsageError(`sync needs --to http(s)://host:port (got '${to ?? ""}')`);
      const concurrency = Number(opts.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency must be a positive integer, got '${opts.concurrency}'`);
      const globalUri = globals.trackingUri && !/^https?:\/\//i.test(globals.trackingUri) ? globals.trackingUri : undefined;
      const from = resolve(opts.from ?? globalUri ?? "mlruns");
      const warn = (m: string): void => {
        process.stderr.write(`warning: ${m}\n`);
      };
      const source = new FileStore(from, { warn });
      const target = new RestStore(to, { warn, replayOrphans: false });
      try {
        if (!opts.dryRun) {
          const { replayed, pending } = await target.replaySpool();
          if (replayed.length > 0) out(`replayed spooled writes of ${replayed.length} run(s): ${replayed.join(", ")}`);
          if (pending.length > 0) out(`still spooled (server unreachable?): ${pending.join(", ")}`);
        }
        const report = await syncRuns(source, target, {
          experiments: opts.experiment,
          filter: opts.filter,
          dryRun: opts.dryRun,
          concurrency,
          log: (line) => out(line),
        });
        out(
          renderTable(
            ["runs", "created", "updated", "unchanged", "params", "tags", "metric points", "artifacts", "bytes", "failed"],
            [
              [
                report.runsSelected,
                report.runsCreated,
                report.runsUpdated,
                report.runsUnchanged,
                report.params,
                report.tags,
                report.metricPoints,
                report.artifactFiles,
                report.artifactBytes,
                report.failures.length,
              ],
            ],
          ),
        );
        if (opts.dryRun) out("(dry run: nothing was sent)");
        if (report.failures.length > 0) process.exitCode = 1;
      } finally {
        target.close();
      }
    });
}
