/**
 * Starting TypeScript worker threads from library code. Under `tsx` a Node 20 worker ignores
 * `--import` loaders, so the bootstrap registers tsx's ESM hooks inside the worker before importing
 * the worker module; compiled `.js` builds import the module directly.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

function tsxEsmApi(from: string): string | null {
  try {
    const req = createRequire(from);
    const pkgPath = req.resolve("tsx/package.json");
    const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { exports?: Record<string, unknown> };
    const entry = pkg.exports?.["./esm/api"] as { import?: { default?: string } } | undefined;
    const rel = entry?.import?.default;
    return typeof rel === "string" ? pathToFileURL(join(dirname(pkgPath), rel)).href : null;
  } catch {
    return null;
  }
}

/**
 * Source for `new Worker(code, { eval: true })` that loads `<workerName>.ts|.js` beside `callerFile`
 * and reports a load failure to the parent as `{ type: "error", name, message }`; null when workers
 * cannot be started from here (no file, or no tsx to run TypeScript).
 */
export function workerBootstrapCode(callerFile: string | null, workerName: string): string | null {
  if (callerFile === null) return null;
  const ext = callerFile.endsWith(".ts") ? ".ts" : callerFile.endsWith(".js") ? ".js" : null;
  if (ext === null) return null;
  const file = join(dirname(callerFile), `${workerName}${ext}`);
  if (!existsSync(file)) return null;
  const entry = JSON.stringify(pathToFileURL(file).href);
  const fail = `(e) => { require("node:worker_threads").parentPort.postMessage({ type: "error", name: e && e.name || "Error", message: String(e && e.message || e) }); }`;
  if (ext === ".js") return `import(${entry}).catch(${fail});`;
  const api = tsxEsmApi(callerFile);
  if (api === null) return null;
  return `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${entry}); }).catch(${fail});`;
}

/**
 * `execArgv` for a child process that runs a module beside `callerFile`: for a `.ts` source, tsx's
 * loader (resolved from the caller, not the working directory) so the child runs TypeScript too.
 * Null when the module cannot run (no such file, or TypeScript without tsx).
 */
export function childModuleLaunch(callerFile: string | null, moduleName: string): { file: string; execArgv: string[] } | null {
  if (callerFile === null) return null;
  const ext = callerFile.endsWith(".ts") ? ".ts" : callerFile.endsWith(".js") ? ".js" : null;
  if (ext === null) return null;
  const file = join(dirname(callerFile), `${moduleName}${ext}`);
  if (!existsSync(file)) return null;
  if (ext === ".js") return { file, execArgv: [] };
  try {
    const req = createRequire(callerFile);
    const pkgPath = req.resolve("tsx/package.json");
    const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { exports?: Record<string, unknown> };
    const loader = pkg.exports?.["."];
    if (typeof loader !== "string") return null;
    return { file, execArgv: ["--import", pathToFileURL(join(dirname(pkgPath), loader)).href] };
  } catch {
    return null;
  }
}
