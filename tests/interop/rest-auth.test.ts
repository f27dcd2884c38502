import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeError } from "../../lib/errors.js";
import { RestStore } from "../../lib/tracking/rest-store.js";
import { Tracker } from "../../lib/tracking/tracker.js";
import { MlflowServer } from "./mlflow-server.js";
import { pythonRuns } from "./rest-helpers.js";

// `mlflow server --app-name basic-auth`: MLflow 3.17 ships no admin password; the first start
// creates the admin from MLFLOW_AUTH_ADMIN_PASSWORD, and the auth app keeps its users in the
// database named by the ini file that MLFLOW_AUTH_CONFIG_PATH points to.
const ADMIN = "admin";
const PASSWORD = "Wb-interop-S3cret-passphrase";
const scratch = mkdtempSync(join(tmpdir(), "wb-rest-auth-"));
const ini = join(scratch, "basic_auth.ini");
writeFileSync(
  ini,
  [
    "[mlflow]",
    "default_permission = READ",
    `database_uri = sqlite:///${join(scratch, "basic_auth.db")}`,
    `admin_username = ${ADMIN}`,
    "authorization_function = mlflow.server.auth:authenticate_request_basic_auth",
    // Without the cache every request pays a PBKDF2 hash (seconds each on a busy 2-core machine).
    "auth_cache_ttl_seconds = 300",
    "",
  ].join("\n"),
);
// The auth app also refuses to start without a static CSRF key (MLFLOW_FLASK_SERVER_SECRET_KEY).
const server = new MlflowServer({
  backend: "sqlite",
  appName: "basic-auth",
  env: { MLFLOW_AUTH_CONFIG_PATH: ini, MLFLOW_AUTH_ADMIN_PASSWORD: PASSWORD, MLFLOW_FLASK_SERVER_SECRET_KEY: "wb-interop-csrf-key" },
});

function store(env: NodeJS.ProcessEnv, warnings: string[] = []): RestStore {
  return new RestStore(server.url, { env, spoolDir: join(scratch, "spool"), retry: { maxAttempts: 2, baseDelayMs: 10 }, timeoutMs: 30_000, warn: (m) => warnings.push(m) });
}

function filesUnder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => (statSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name)) : [join(dir, name)]));
}

beforeAll(async () => {
  await server.start();
}, 300_000);

afterAll(async () => {
  await server.dispose();
  rmSync(scratch, { recursive: true, force: true });
}, 60_000);

describe("REST backend against mlflow server --app-name basic-auth", () => {
  it("works with the right credentials (Basic wins over a token that is also set)", async () => {
    const warnings: string[] = [];
    const good = store({ MLFLOW_TRACKING_USERNAME: ADMIN, MLFLOW_TRACKING_PASSWORD: PASSWORD, MLFLOW_TRACKING_TOKEN: "not-a-valid-token" }, warnings);
    const tracker = new Tracker(good);
    const run = await tracker.startRun({ experiment: "secured", runName: "authed", skipProvenance: true });
    await run.logParams({ a: 1, sneaky: `the password is ${PASSWORD}` });
    await run.logMetricPoints([0.5, 0.25].map((value, step) => ({ key: "loss", value, step, timestamp: 1_700_000_000_000 + step })));
    await run.logText("secured artifact\n", "out.txt");
    await run.end();
    const py = pythonRuns(server.url, [run.runId], { MLFLOW_TRACKING_USERNAME: ADMIN, MLFLOW_TRACKING_PASSWORD: PASSWORD })[run.runId];
    expect(py.info.status).toBe("FINISHED");
    expect(py.params.a).toBe("1");
    // A credential never reaches the server's params or tags: it is replaced, with a warning.
    expect(py.params.sneaky).toBe("the password is ***");
    expect(warnings.some((w) => /contained a tracking-server credential/.test(w))).toBe(true);
    expect(py.metrics.loss).toEqual([
      [0, 1_700_000_000_000, 0.5],
      [1, 1_700_000_000_001, 0.25],
    ]);
    expect(py.artifacts).toEqual({ "out.txt": "secured artifact\n" });
    good.close();
  });

  it("fails with a clear error naming the user, never the password, when the password is wrong or missing", async () => {
    const wrongPassword = `${PASSWORD}-but-wrong`;
    const warnings: string[] = [];
    const wrong = store({ MLFLOW_TRACKING_USERNAME: ADMIN, MLFLOW_TRACKING_PASSWORD: wrongPassword }, warnings);
    const error = await wrong.getOrCreateExperiment("secured").catch((e: unknown) => e);
    const message = describeError(error);
    expect(message).toMatch(/rejected the credentials \(401 Unauthorized\)/);
    expect(message).toMatch(/basic auth as user 'admin' \(MLFLOW_TRACKING_USERNAME \/ MLFLOW_TRACKING_PASSWORD\)/);
    // Not retried as if the server were down, and nothing spooled.
    const writeError = describeError(await wrong.logBatch("0123456789abcdef0123456789abcdef", { params: { x: "1" } }).catch((e: unknown) => e));
    expect(writeError).toMatch(/401/);
    expect(wrong.pendingRuns()).toEqual([]);

    const anonymous = store({});
    const anonymousError = describeError(await anonymous.listExperiments().catch((e: unknown) => e));
    expect(anonymousError).toMatch(/401 Unauthorized.*no credentials \(set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN\)/);

    const evidence = [message, writeError, anonymousError, ...warnings, ...filesUnder(join(scratch, "spool")).map((f) => readFileSync(f, "utf8"))].join("\n");
    for (const secret of [PASSWORD, wrongPassword, Buffer.from(`${ADMIN}:${wrongPassword}`).toString("base64")]) expect(evidence).not.toContain(secret);
    wrong.close();
    anonymous.close();
  });
});
