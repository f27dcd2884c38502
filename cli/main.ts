/**
 * The `workbench` command line: run experiments (with variants, overrides, sweeps and seeds),
 * list, show and compare runs, and manage experiments. Exit codes: 0 success, 1 a run failed,
 * 2 usage or config error. Errors print one clear line; --verbose adds the stack.
 */
import { Command, CommanderError } from "commander";
import { z } from "zod";
import { ConfigError, TrackingError, UsageError, WorkbenchError, describeError } from "../lib/errors.js";
import { loadConfig, listVariants } from "../lib/config/load.js";
import { runExperiment } from "../lib/experiment/runner.js";
import type { Run } from "../lib/tracking/entities.js";
import { terminalProgress } from "../lib/util/progress.js";
import { renderTable } from "../lib/util/table.js";
import { experiments } from "../experiments/index.js";
import { defaultConfigDir, experimentNamed, findRun, formatDuration, formatTime, out, trackerFrom } from "./common.js";
import { registerNotebookCommands } from "./commands/notebook.js";
import { registerReportCommands } from "./commands/report.js";
import { registerReproduceCommands } from "./commands/reproduce.js";
import { registerSync } from "./commands/sync.js";
import { registerDataCommands } from "./commands/data.js";

function buildProgram(): Command {
  const program = new Command();
  program
    .name("workbench")
    .description("The rare-event research workbench: config-versioned experiments tracked in MLflow's format.")
    .option("--tracking-uri <uri>", "tracking store: a folder or file: URI (default $MLFLOW_TRACKING_URI or ./mlruns)")
    .option("-v, --verbose", "print stack traces with errors")
    .showHelpAfterError()
    .exitOverride();

  program
    .command("run")
    .description("run an experiment; key=value overrides, key=a,b,c or key=range(start,stop,step) sweeps")
    .argument("<experiment>", "experiment name (see `workbench experiments available`)")
    .argument("[overrides...]", "config overrides such as days=365 or budget=0.01,0.02")
    .option("-c, --config <variant>", "config variant layered on base.yaml")
    .option("--seeds <n>", "replicates per sweep point (seed, seed+1, ...)", (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--seeds must be a positive integer, got '${v}'`);
      return n;
    })
    .option("--config-dir <dir>", "folder holding configs/<experiment>/", defaultConfigDir())
    .action(async (name: string, overrides: string[], opts: { config?: string; seeds?: number; configDir: string }, command: Command) => {
      const definition = experimentNamed(name);
      const tracker = trackerFrom(command);
      const outcome = await runExperiment(definition, {
        tracker,
        variant: opts.config,
        overrides,
        seeds: opts.seeds,
        configDir: opts.configDir,
        progress: terminalProgress(),
        log: out,
      });
      out();
      if (outcome.parentRunId) out(`sweep parent run ${outcome.parentRunId} (${outcome.runs.length} child runs) in experiment ${outcome.experimentId}`);
      for (const r of outcome.runs) {
        const label = Object.entries(r.choices).map(([k, v]) => `${k}=${v}`).join(" ");
        out(`run ${r.runId} ${r.status}${label ? ` [${label}]` : ""}${r.error ? `: ${r.error}` : ""}`);
      }
      if (outcome.status !== "FINISHED") process.exitCode = 1;
    });

  const runs = program.command("runs").description("list, show and compare tracked runs");
  runs
    .command("list")
    .description("list runs, newest first")
    .option("-e, --experiment <name>", "only this experiment")
    .option("-f, --filter <filter>", `MLflow filter, e.g. "metrics.rmse < 1 and params.days = '120'"`)
    .option("-o, --order-by <clause...>", 'order, e.g. "metrics.rmse ASC"')
    .option("-n, --max <n>", "at most this many runs", "50")
    .option("--deleted", "list deleted runs instead")
    .action(async (opts: { experiment?: string; filter?: string; orderBy?: string[]; max: string; deleted?: boolean }, command: Command) => {
      const tracker = trackerFrom(command);
      const max = Number(opts.max);
      if (!Number.isInteger(max) || max < 1) throw new UsageError(`--max must be a positive integer, got '${opts.max}'`);
      let page;
      try {
        page = await tracker.searchRuns({
          experiments: opts.experiment ? [opts.experiment] : undefined,
          filter: opts.filter,
          orderBy: opts.orderBy,
          maxResults: max,
          viewType: opts.deleted ? "DELETED_ONLY" : "ACTIVE_ONLY",
        });
      } catch (error) {
        if (error instanceof TrackingError) throw new UsageError(describeError(error));
        throw error;
      }
      const rows = page.runs.map((r) => [
        r.info.runId,
        r.info.runName,
        r.info.status,
        formatTime(r.info.startTime),
        formatDuration(r),
        (r.data.tags["workbench.config_hash"] ?? "").slice(0, 10),
        (r.data.tags["mlflow.parentRunId"] ?? "").slice(0, 8),
      ]);
      out(renderTable(["run_id", "name", "status", "started", "took", "config", "parent"], rows));
      if (page.nextPageToken) out(`(more runs: raise --max)`);
    });

  runs
    .command("show")
    .description("show one run: info, params, metrics, tags, artifacts")
    .argument("<run-id>")
    .option("--all-tags", "include mlflow.* system tags")
    .action(async (id: string, opts: { allTags?: boolean }, command: Command) => {
      const tracker = trackerFrom(command);
      const run = await findRun(tracker, id);
      const { info, data } = run;
      out(`run ${info.runId}  ${info.runName}`);
      out(`  experiment ${info.experimentId}   status ${info.status}   user ${info.userId}`);
      out(`  started ${formatTime(info.startTime)}   ended ${formatTime(info.endTime)}   ${info.lifecycleStage}`);
      out(`  artifacts ${info.artifactUri}`);
      if (data.tags["mlflow.note.content"]) out(`\n${data.tags["mlflow.note.content"]}`);
      out("\nparams");
      out(renderTable(["key", "value"], Object.entries(data.params).sort(([a], [b]) => (a < b ? -1 : 1))));
      out("\nmetrics (latest)");
      out(renderTable(["key", "value"], Object.entries(data.metrics).sort(([a], [b]) => (a < b ? -1 : 1))));
      out("\ntags");
      const tags = Object.entries(data.tags).filter(([k]) => opts.allTags || !k.startsWith("mlflow.") || k === "mlflow.parentRunId" || k === "mlflow.source.git.commit");
      out(renderTable(["key", "value"], tags.sort(([a], [b]) => (a < b ? -1 : 1))));
      const artifacts = await tracker.store.listArtifacts(info.runId);
      out("\nartifacts");
      out(renderTable(["path", "size"], artifacts.map((a) => [a.isDir ? `${a.path}/` : a.path, a.fileSize ?? null])));
    });

  runs
    .command("compare")
    .description("compare runs: the params that differ, then every metric")
    .argument("<run-ids...>")
    .option("--all-params", "show params that are equal too")
    .action(async (ids: string[], opts: { allParams?: boolean }, command: Command) => {
      if (ids.length < 2) throw new UsageError("compare needs at least two run ids");
      const tracker = trackerFrom(command);
      const found: Run[] = [];
      for (const id of ids) found.push(await findRun(tracker, id));
      const header = ["", ...found.map((r) => `${r.info.runId.slice(0, 8)} ${r.info.runName}`)];
      const paramKeys = [...new Set(found.flatMap((r) => Object.keys(r.data.params)))].sort();
      const differing = paramKeys.filter((k) => opts.allParams || new Set(found.map((r) => r.data.params[k])).size > 1);
      const provenance = ["workbench.config_hash", "workbench.seed", "mlflow.source.git.commit"];
      out(renderTable(header, [
        ["status", ...found.map((r) => r.info.status)],
        ...provenance.map((k) => [k.replace(/^(workbench|mlflow\.source)\./, ""), ...found.map((r) => (r.data.tags[k] ?? "").slice(0, 12))]),
      ]));
      out(`\nparams that differ (${differing.length} of ${paramKeys.length})`);
      out(renderTable(header, differing.map((k) => [k, ...found.map((r) => r.data.params[k] ?? "(unset)")])));
      const metricKeys = [...new Set(found.flatMap((r) => Object.keys(r.data.metrics)))].sort();
      out("\nmetrics (latest)");
      out(renderTable(header, metricKeys.map((k) => [k, ...found.map((r) => r.data.metrics[k] ?? null)])));
    });

  for (const [verb, description] of [
    ["delete", "move a run to the deleted state (it stays on disk and can be restored)"],
    ["restore", "restore a deleted run"],
  ] as const) {
    runs
      .command(verb)
      .description(description)
      .argument("<run-id>")
      .action(async (id: string, _opts: unknown, command: Command) => {
        const tracker = trackerFrom(command);
        await findRun(tracker, id);
        if (verb === "delete") await tracker.store.deleteRun(id);
        else await tracker.store.restoreRun(id);
        out(`${verb === "delete" ? "deleted" : "restored"} run ${id}`);
      });
  }

  const exps = program.command("experiments").description("list and manage experiments");
  exps
    .command("list")
    .description("list tracked experiments")
    .option("--all", "include deleted experiments")
    .action(async (opts: { all?: boolean }, command: Command) => {
      const tracker = trackerFrom(command);
      const list = await tracker.store.listExperiments(opts.all ? "ALL" : "ACTIVE_ONLY");
      const rows = [];
      for (const e of list) {
        const page = await tracker.store.searchRuns({ experimentIds: [e.experimentId], maxResults: 50000 });
        rows.push([e.experimentId, e.name, e.lifecycleStage, page.runs.length, formatTime(e.creationTime)]);
      }
      out(renderTable(["experiment_id", "name", "stage", "runs", "created"], rows));
    });
  exps
    .command("available")
    .description("list the experiments this workbench can run, with their config variants")
    .action(() => {
      const rows = Object.values(experiments).map((d) => [d.name, listVariants(defaultConfigDir(), d.name).join(", "), d.description]);
      out(renderTable(["experiment", "variants", "description"], rows, 100));
    });
  exps
    .command("rename")
    .argument("<experiment-id>")
    .argument("<new-name>")
    .action(async (id: string, name: string, _o: unknown, command: Command) => {
      await trackerFrom(command).store.renameExperiment(id, name);
      out(`renamed experiment ${id} to '${name}'`);
    });
  for (const verb of ["delete", "restore"] as const) {
    exps
      .command(verb)
      .argument("<experiment-id>")
      .action(async (id: string, _o: unknown, command: Command) => {
        const store = trackerFrom(command).store;
        if (verb === "delete") await store.deleteExperiment(id);
        else await store.restoreExperiment(id);
        out(`${verb === "delete" ? "deleted" : "restored"} experiment ${id}`);
      });
  }

  program
    .command("config")
    .description("print an experiment's resolved config and its hash, without running it")
    .argument("<experiment>")
    .argument("[overrides...]")
    .option("-c, --config <variant>", "config variant layered on base.yaml")
    .option("--config-dir <dir>", "folder holding configs/<experiment>/", defaultConfigDir())
    .option("--json-schema", "print the config's JSON Schema (for editors) instead")
    .action((name: string, overrides: string[], opts: { config?: string; configDir: string; jsonSchema?: boolean }) => {
      const definition = experimentNamed(name);
      if (opts.jsonSchema) {
        out(JSON.stringify(z.toJSONSchema(definition.schema, { io: "input" }), null, 2));
        return;
      }
      const resolved = loadConfig(definition.schema, { experiment: name, configDir: opts.configDir, variant: opts.config, overrides });
      out(`# ${name}: ${resolved.sources.join(" + ")}`);
      out(`# config hash ${resolved.hash}`);
      out(resolved.yaml.trimEnd());
    });

  // Command groups in their own files register here, one line each.
  registerNotebookCommands(program);
  registerReportCommands(program);
  registerReproduceCommands(program);
  registerSync(program);
  registerDataCommands(program);
  return program;
}

/** Exit code for an error: 2 for usage and config mistakes, 1 for everything else. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError || error instanceof UsageError) return 2;
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  return 1;
}

/** Run the CLI with arguments (without node and script). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const verbose = argv.includes("--verbose") || argv.includes("-v");
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return exitCodeFor(error);
    const message = error instanceof WorkbenchError ? describeError(error) : `unexpected error: ${describeError(error)}`;
    process.stderr.write(`error: ${message}\n`);
    if (verbose && error instanceof Error && error.stack) process.stderr.write(error.stack + "\n");
    return exitCodeFor(error);
  }
}

const invokedDirectly = process.argv[1] !== undefined && /cli[\\/]main\.ts$|bin[\\/]workbench(\.js)?$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`error: ${describeError(error)}\n`);
      process.exitCode = 1;
    },
  );
}
