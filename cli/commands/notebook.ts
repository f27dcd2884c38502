/**
 * `workbench notebook ...`: run notebooks headless (papermill-style parameters, executed notebook
 * and HTML recorded as a tracked run), build notebooks from their percent-format sources, and
 * export executed notebooks to HTML.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../../lib/errors.js";
import { installKernelSpec } from "../../lib/notebook/kernelspec.js";
import { readNotebook, serializeNotebook } from "../../lib/notebook/nbformat.js";
import { fromPercent } from "../../lib/notebook/percent.js";
import { parseParameterArgs } from "../../lib/notebook/parameters.js";
import { describeFailure, runNotebook, type NotebookRunResult } from "../../lib/notebook/runner.js";
import { notebookToHtml } from "../../lib/report/notebook-html.js";
import { renderTable } from "../../lib/util/table.js";
import { out, projectRoot, type GlobalOptions } from "../common.js";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The notebooks in notebooks/ (sorted by name). */
export function listNotebooks(root = projectRoot): string[] {
  const dir = join(root, "notebooks");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb") && !f.startsWith("."))
    .sort()
    .map((f) => join("notebooks", f));
}

function report(result: NotebookRunResult): void {
  if (result.failedCell) {
    process.stderr.write(`error: ${describeFailure(result.path, result.failedCell)}\n`);
    const tb = result.failedCell.error.traceback.slice(0, 12).join("\n");
    if (tb) process.stderr.write(tb.replace(/^/gm, "    ") + "\n");
  }
  const where = [result.outputPath && `notebook ${relative(process.cwd(), result.outputPath)}`, result.htmlPath && `html ${relative(process.cwd(), result.htmlPath)}`].filter(Boolean).join(", ");
  out(`${result.path}: ${result.status} in ${(result.durationMs / 1000).toFixed(1)} s (engine start ${(result.startupMs / 1000).toFixed(1)} s)${result.runId ? `, run ${result.runId}` : ""}${where ? `; ${where}` : ""}`);
}

/** Register the `notebook` command group. */
export function registerNotebookCommands(program: Command): void {
  const notebook = program.command("notebook").description("run notebooks headless, build them from sources, export them to HTML");

  notebook
    .command("run")
    .description("execute a notebook in-process with parameters; records the execution as a tracked run")
    .argument("[notebook]", "the .ipynb file (or use --all)")
    .option("-p, --parameter <name=value>", "override a parameter of the cell tagged 'parameters' (repeatable)", collect, [])
    .option("-o, --output <path>", "write the executed notebook here (with --all: a folder)")
    .option("--html <path>", "also write the executed notebook as HTML (with --all: a folder)")
    .option("--all", "run every notebook in notebooks/")
    .option("-e, --experiment <name>", "tracking experiment (default: notebook metadata, else 'notebooks')")
    .option("--no-track", "do not record a tracked run")
    .option("--cell-timeout <seconds>", "stop a cell running longer than this (cells then run in a child process)")
    .action(async (path: string | undefined, opts: { parameter: string[]; output?: string; html?: string; all?: boolean; experiment?: string; track: boolean; cellTimeout?: string }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const cellTimeoutSeconds = opts.cellTimeout === undefined ? undefined : Number(opts.cellTimeout);
      if (cellTimeoutSeconds !== undefined && !(cellTimeoutSeconds > 0 && Number.isFinite(cellTimeoutSeconds))) throw new UsageError(`--cell-timeout must be a positive number of seconds, got '${opts.cellTimeout}'`);
      const parameters = parseParameterArgs(opts.parameter);
      let paths: string[];
      if (opts.all) {
        if (path) throw new UsageError("give either a notebook or --all, not both");
        paths = listNotebooks();
        if (paths.length === 0) throw new UsageError(`no notebooks in ${join(projectRoot, "notebooks")}`);
      } else {
        if (!path) throw new UsageError("which notebook? give a path to an .ipynb file, or --all");
        if (!existsSync(path)) throw new UsageError(`no notebook at ${path}`);
        paths = [path];
      }
      const results: NotebookRunResult[] = [];
      for (const p of paths) {
        const name = basename(p).replace(/\.ipynb$/, "");
        const output = opts.output && opts.all ? join(opts.output, `${name}.ipynb`) : opts.output;
        const htmlOutput = opts.html && opts.all ? join(opts.html, `${name}.html`) : opts.html;
        if (paths.length > 1) out(`== ${p}`);
        const result = await runNotebook(resolve(p), {
          root: projectRoot,
          parameters,
          output,
          htmlOutput,
          track: opts.track,
          trackingUri: globals.trackingUri,
          experiment: opts.experiment,
          cellTimeoutSeconds,
          log: (line) => process.stderr.write(`  ${line}\n`),
        });
        report(result);
        results.push(result);
      }
      if (results.length > 1) {
        out();
        out(renderTable(["notebook", "status", "seconds", "run"], results.map((r) => [r.path, r.status, (r.durationMs / 1000).toFixed(1), r.runId ?? ""])));
      }
      if (results.some((r) => r.status !== "completed")) process.exitCode = 1;
    });

  notebook
    .command("build")
    .description("build notebooks/*.ipynb from their percent-format sources in notebooks/src/*.ts")
    .argument("[sources...]", "source files (default: every notebooks/src/*.ts)")
    .action((sources: string[]) => {
      const srcDir = join(projectRoot, "notebooks", "src");
      const files = sources.length > 0 ? sources.map((s) => resolve(s)) : existsSync(srcDir) ? readdirSync(srcDir).filter((f) => f.endsWith(".ts")).sort().map((f) => join(srcDir, f)) : [];
      if (files.length === 0) throw new UsageError(`no notebook sources in ${srcDir}`);
      for (const file of files) {
        const target = join(projectRoot, "notebooks", basename(file).replace(/\.ts$/, ".ipynb"));
        writeFileSync(target, serializeNotebook(fromPercent(readFileSync(file, "utf8"))));
        out(`${relative(process.cwd(), file)} -> ${relative(process.cwd(), target)}`);
      }
    });

  notebook
    .command("kernelspec")
    .description("install the tslab kernelspec (cwd = project root) under a Python prefix, e.g. a venv")
    .requiredOption("--prefix <dir>", "Python prefix (the venv folder) whose share/jupyter/kernels gets the spec")
    .action((opts: { prefix: string }) => {
      out(`installed kernelspec 'tslab' in ${installKernelSpec(opts.prefix, projectRoot)}`);
    });

  notebook
    .command("html")
    .description("export a notebook (executed or not) to a self-contained HTML page")
    .argument("<notebook>")
    .option("-o, --output <path>", "HTML file (default: next to the notebook)")
    .action((path: string, opts: { output?: string }) => {
      const nb = readNotebook(path);
      const target = opts.output ?? path.replace(/\.ipynb$/, "") + ".html";
      mkdirSync(resolve(target, ".."), { recursive: true });
      writeFileSync(target, notebookToHtml(nb, { title: basename(path) }));
      out(`wrote ${target}`);
    });
}
