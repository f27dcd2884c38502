/**
 * The Jupyter kernelspec of the project's TypeScript kernel: tslab started from the project root,
 * so notebooks in notebooks/ import the library as `./lib/...` (tslab's rootDir is its working
 * directory). Installed under a Python prefix (a venv's `share/jupyter/kernels/tslab`), so it does
 * not touch the user's own Jupyter setup.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** A Jupyter kernel.json. */
export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  env?: Record<string, string>;
}

/** The kernelspec that runs tslab with the working directory set to `root`. */
export function tslabKernelSpec(root: string): KernelSpec {
  const dir = resolve(root);
  return {
    // sh -c keeps the cd and the exec in one process that Jupyter can signal.
    argv: ["/bin/sh", "-c", `cd "$1" && exec ./node_modules/.bin/tslab kernel --config-path "$2"`, "tslab-kernel", dir, "{connection_file}"],
    display_name: "TypeScript (workbench)",
    language: "typescript",
  };
}

/** Write the kernelspec under `<prefix>/share/jupyter/kernels/tslab`; returns the kernel folder. */
export function installKernelSpec(prefix: string, root: string): string {
  const dir = join(resolve(prefix), "share", "jupyter", "kernels", "tslab");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "kernel.json"), JSON.stringify(tslabKernelSpec(root), null, 2) + "\n");
  return dir;
}
