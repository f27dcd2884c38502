/**
 * `workbench report <experiment>`: an HTML page comparing an experiment's runs (params that differ,
 * metrics, charts across runs and sweeps, provenance), self-contained so it can be mailed or archived.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import type { Command } from "commander";
import { buildRunReport } from "../../lib/report/run-report.js";
import { out, trackerFrom } from "../common.js";

/** Register the `report` command. */
export function registerReportCommands(program: Command): void {
  program
    .command("report")
    .description("write an HTML report comparing an experiment's runs")
    .argument("<experiment>", "tracked experiment name")
    .option("--runs <ids>", "comma-separated run ids (default: the experiment's runs, newest first)")
    .option("-o, --output <path>", "HTML file to write (default reports/<experiment>.html)")
    .option("-n, --max <n>", "at most this many runs when --runs is not given", "50")
    .action(async (experiment: string, opts: { runs?: string; output?: string; max: string }, command: Command) => {
      const tracker = trackerFrom(command);
      const runIds = opts.runs ? opts.runs.split(",").map((s) => s.trim()).filter((s) => s !== "") : undefined;
      const report = await buildRunReport({ tracker, experiment, runIds, maxRuns: Number(opts.max) || 50 });
      const target = resolve(opts.output ?? `reports/${experiment.replace(/[^\w.-]+/g, "_")}.html`);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, report.html);
      out(`wrote ${relative(process.cwd(), target) || target}: ${report.runs.length} runs, ${report.differingParams.length} differing params, ${report.metrics.length} metrics, ${report.figures} charts`);
    });
}
