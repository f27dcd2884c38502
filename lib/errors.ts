/**
 * The one error family of the workbench. Every error a user can meet is a WorkbenchError (or a
 * subclass) whose message names the file, key, row or value at fault; the CLI prints the message
 * alone and maps the class to an exit code.
 */

/** Base class of every error the workbench raises on purpose. */
export class WorkbenchError extends Error {
  override readonly name: string = "WorkbenchError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A config file, override or schema violation (CLI exit code 2). */
export class ConfigError extends WorkbenchError {
  override readonly name: string = "ConfigError";
}

/** Bad command-line usage (CLI exit code 2). */
export class UsageError extends WorkbenchError {
  override readonly name: string = "UsageError";
}

/** Input data that cannot be used as given: names the rows or columns at fault. */
export class DataError extends WorkbenchError {
  override readonly name: string = "DataError";
}

/** A numerical procedure that did not converge or could not start. */
export class ConvergenceError extends WorkbenchError {
  override readonly name: string = "ConvergenceError";
}

/** A tracking-store violation: invalid key, changed param, write to a finished run, bad path. */
export class TrackingError extends WorkbenchError {
  override readonly name: string = "TrackingError";
}

/** The named entity (experiment, run, artifact) does not exist. */
export class NotFoundError extends TrackingError {
  override readonly name: string = "NotFoundError";
}

/** Render any thrown value as one line for a user, following the `cause` chain. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(current.message);
      current = (current as { cause?: unknown }).cause;
    } else {
      parts.push(String(current));
      current = undefined;
    }
  }
  return parts.join(": caused by: ");
}
