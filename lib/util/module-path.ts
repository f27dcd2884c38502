/**
 * Where a module's source file lives, found from a stack trace. Library code may not use
 * `import.meta` (notebooks compile it as CommonJS with TypeScript 5.0), yet worker threads need the
 * file of the worker entry and of built-in models; a stack frame names it under tsx, vitest and
 * CommonJS alike.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const FRAME = /\(?((?:file:\/\/)?(?:\/|[A-Za-z]:[\\/])[^():]*?):\d+:\d+\)?\s*$/;

/** The file of the function that called `callerFile`, or null when the stack does not name one. */
export function callerFile(): string | null {
  const stack = new Error().stack ?? "";
  const lines = stack.split("\n").slice(1);
  // lines[0] is this function, lines[1] its caller.
  const line = lines[1];
  if (line === undefined) return null;
  const m = FRAME.exec(line.trim());
  if (m === null) return null;
  const raw = m[1];
  const path = raw.startsWith("file://") ? fileURLToPath(raw) : raw;
  return existsSync(path) ? path : null;
}
