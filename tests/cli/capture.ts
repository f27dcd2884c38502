/**
 * Capture what the CLI prints while tests call `main()` in-process: stdout and stderr are
 * collected per test, and process.exitCode is reset around each test.
 */
import { afterEach, beforeEach, vi } from "vitest";

/** The text printed during the current test; assign "" to clear it mid-test. */
export interface CapturedOutput {
  stdout: string;
  stderr: string;
}

/** Install per-test capture of process.stdout and process.stderr writes. */
export function captureCliOutput(): CapturedOutput {
  const captured: CapturedOutput = { stdout: "", stderr: "" };
  beforeEach(() => {
    captured.stdout = "";
    captured.stderr = "";
    process.exitCode = undefined;
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      captured.stdout += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      captured.stderr += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });
  return captured;
}
