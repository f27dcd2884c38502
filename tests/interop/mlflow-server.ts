/**
 * Start and stop a real `mlflow server` from the interop venv on a free 127.0.0.1 port, with a
 * temporary SQLite (or file) backend and a served artifact folder. The server runs in its own process
 * group so that stopping it kills its workers too.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mlflowEnv, pythonPath } from "./python.js";

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

async function waitUntilUp(url: string, child: ChildProcess, deadlineMs: number, log: () => string): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`mlflow server exited early (${child.exitCode ?? child.signalCode}):\n${log()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status < 500) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() - started > deadlineMs) throw new Error(`mlflow server did not come up at ${url} within ${deadlineMs} ms:\n${log()}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

export interface ServerOptions {
  backend?: "sqlite" | "file";
  appName?: "basic-auth";
  env?: Record<string, string>;
}

/** A running mlflow server. */
export class MlflowServer {
  readonly dir: string;
  port = 0;
  private child: ChildProcess | undefined;

  constructor(readonly options: ServerOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), "wb-mlflow-server-"));
    mkdirSync(join(this.dir, "artifacts"), { recursive: true });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get backendUri(): string {
    return this.options.backend === "file" ? join(this.dir, "mlruns") : `sqlite:///${join(this.dir, "mlflow.db")}`;
  }

  /** Start (or restart on the same port, with the same stores). */
  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const args = [
      "-m",
      "mlflow",
      "server",
      "--backend-store-uri",
      this.backendUri,
      "--artifacts-destination",
      join(this.dir, "artifacts"),
      "--serve-artifacts",
      "--host",
      "127.0.0.1",
      "--port",
      String(this.port),
      "--workers",
      "1",
    ];
    if (this.options.appName) args.push("--app-name", this.options.appName);
    // Output goes to a file, never to a pipe: a pipe this process stops reading (while it waits in
    // spawnSync for a Python client, say) fills up and blocks the server in its access log.
    const logFd = openSync(this.logPath, "a");
    const child = spawn(pythonPath(), args, { env: mlflowEnv(this.options.env ?? {}), stdio: ["ignore", logFd, logFd], detached: true, cwd: this.dir });
    closeSync(logFd);
    this.child = child;
    await waitUntilUp(`${this.url}/health`, child, 240_000, () => this.log());
  }

  private get logPath(): string {
    return join(this.dir, "server.log");
  }

  /** The end of the server's output (for failure messages). */
  log(): string {
    try {
      return readFileSync(this.logPath, "utf8").slice(-20000);
    } catch {
      return "";
    }
  }

  /** Stop the whole process group; SIGKILL when `hard`, or when SIGTERM is not enough within 10 s. */
  async stop(hard = false): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const signal = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        try {
          child.kill(sig);
        } catch {
          // Already gone.
        }
      }
    };
    signal(hard ? "SIGKILL" : "SIGTERM");
    const timer = setTimeout(() => signal("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
    // Workers of the group may outlive the leader by a moment; make sure none holds the port.
    signal("SIGKILL");
  }

  /** Stop and remove the stores. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
