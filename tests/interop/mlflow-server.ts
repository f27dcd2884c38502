/**
 * Start and stop a real `mlflow server` from the interop venv on a free 127.0.0.1 port, with a
 * temporary SQLite (or file) backend and a served artifact folder. The server runs in its own process
 * group so that stopping it kills its workers too.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
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
  private output = "";

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
    this.output = "";
    const child = spawn(pythonPath(), args, { env: mlflowEnv(this.options.env ?? {}), stdio: ["ignore", "pipe", "pipe"], detached: true, cwd: this.dir });
    this.child = child;
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-20000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    await waitUntilUp(`${this.url}/health`, child, 240_000, () => this.output);
  }

  /** Server output so far (for failure messages). */
  log(): string {
    return this.output;
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
