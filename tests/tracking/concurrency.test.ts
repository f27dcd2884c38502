import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileStore } from "../../lib/tracking/file-store.js";

const worker = join(__dirname, "fixtures", "log-worker.ts");

function runWorker(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", worker, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("concurrent writers", () => {
  it("4 processes create one experiment by name and lose no metric line, even in a shared run", async () => {
    const root = mkdtempSync(join(tmpdir(), "wb-concurrency-"));
    const store = new FileStore(root, { warn: () => {} });
    const sharedExp = await store.getOrCreateExperiment("shared-run");
    const shared = await store.createRun({ experimentId: sharedExp.experimentId });
    const batches = 40;
    const size = 200;
    const startAt = String(Date.now() + 2500);
    const results = await Promise.all([0, 1, 2, 3].map((w) => runWorker([root, "contended", String(w), String(batches), String(size), shared.runId, startAt])));
    for (const r of results) expect(r.stderr).toBe("");
    for (const r of results) expect(r.code).toBe(0);

    const all = await store.listExperiments("ALL");
    for (let k = 0; k < 30; k++) expect(all.filter((e) => e.name === `contended-${k}`)).toHaveLength(1);
    const named = all.filter((e) => e.name === "contended");
    expect(named).toHaveLength(1);
    const runs = (await store.searchRuns({ experimentIds: [named[0].experimentId] })).runs;
    expect(runs).toHaveLength(4);
    for (const run of runs) {
      let points = 0;
      for (let k = 0; k < 10; k++) points += (await store.getMetricHistory(run.info.runId, `m${k}`)).length;
      expect(points).toBe(batches * size);
      expect(Object.keys(run.data.params)).toHaveLength(batches);
    }
    // The shared run's file got 4 x 40 appends of 100 lines: every line whole, none lost.
    const sharedDir = join(root, sharedExp.experimentId, shared.runId, "metrics");
    const lines = readFileSync(join(sharedDir, "shared"), "utf8").split("\n").filter(Boolean);
    expect(lines).toHaveLength(4 * batches * 100);
    const history = await store.getMetricHistory(shared.runId, "shared");
    expect(history).toHaveLength(4 * batches * 100);
    for (let w = 0; w < 4; w++) expect(history.filter((m) => m.value === w)).toHaveLength(batches * 100);
    // No lock or temp file left behind anywhere in the store root.
    expect(readdirSync(root).filter((f) => f.startsWith(".") && f !== ".trash")).toEqual([]);
  }, 120_000);
});
