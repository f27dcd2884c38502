/**
 * `workbench reproduce <run-id>`: re-run an experiment run (from its config.yaml and seed) or a
 * notebook run (from its parameters), warn when the code differs from the logged commit, and compare
 * every metric: "reproduced" when all are bit-identical, else a diff table (exit code 1).
 */
import type { Command } from "commander";
import { reproduceRun } from "../../lib/report/reproduce.js";
import { renderTable } from "../../lib/util/table.js";
import { experiments } from "../../experiments/index.js";
import { findRun, out, projectRoot, trackerFrom } from "../common.js";

function full(v: number | undefined): string {
  // Bit-level differences must stay visible: print the shortest round-trip form.
  return v === undefined ? "(missing)" : String(v);
}

/** Register the `reproduce` command. */
export function registerReproduceCommands(program: Command): void {
  program
    .command("reproduce")
    .description("re-run a run from its logged config and seed (or notebook parameters) and compare metrics")
    .argument("<run-id>")
    .action(async (id: string, _opts: unknown, command: Command) => {
      const tracker = trackerFrom(command);
      await findRun(tracker, id);
      const result = await reproduceRun(id, { tracker, experiments, root: projectRoot, log: (l) => process.stderr.write(`${l}\n`) });
      for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
      if (result.ignored.length > 0) process.stderr.write(`not compared (timing metrics): ${result.ignored.join(", ")}\n`);
      if (result.reproduced) {
        out(`reproduced: run ${result.newRunId} matches ${result.originalRunId} bit for bit (${result.metricsCompared} metrics, ${result.pointsCompared} points)`);
        return;
      }
      out(`NOT reproduced: run ${result.newRunId} differs from ${result.originalRunId} in ${result.diffs.length} of ${result.metricsCompared} metrics`);
      if (result.diffs.length > 0) {
        out(renderTable(["metric", "original", "reproduced", "differing points"], result.diffs.map((d) => [d.key, full(d.original), full(d.reproduced), `${d.differingPoints}/${d.points}`]), 40));
      }
      process.exitCode = 1;
    });
}
