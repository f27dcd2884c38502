import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileStore } from "../../lib/tracking/file-store.js";
import { createRng } from "../../lib/util/random.js";
import { MlflowDumper, projectRoot } from "./python.js";

const worker = join(projectRoot, "tests", "tracking", "fixtures", "log-worker.ts");
const TRIALS = 50;
const SIZE = 990; // + 1 param + 1 tag stays within MLflow's 1000 entries per batch

interface Trial {
  runId: string;
  acked: number;
}

/** Start a writer, SIGKILL it `delayMs` after its first acknowledged batch, report what it acked. */
function killedWriter(root: string, index: number, delayMs: number): Promise<Trial> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", worker, root, "crash", String(index), "100000", String(SIZE)], { stdio: ["ignore", "pipe", "pipe"] });
    let buffer = "";
    let runId = "";
    let acked = 0;
    let armed = false;
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith("run ")) runId = line.slice(4);
        if (line.startsWith("ack ")) {
          acked = Number(line.slice(4)) + 1;
          if (!armed) {
            armed = true;
            setTimeout(() => child.kill("SIGKILL"), delayMs);
          }
        }
      }
    });
    child.on("error", reject);
    child.on("close", (_code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`writer ${index} ended without being killed (${signal ?? _code}): ${stderr}`));
      else resolve({ runId, acked });
    });
  });
}

describe("a writer killed at random moments", () => {
  it(`keeps every acknowledged batch and a store MLflow can read (${TRIALS} trials)`, async () => {
    const root = mkdtempSync(join(tmpdir(), "wb-crash-"));
    const rng = createRng(2026);
    const trials: Trial[] = [];
    for (let i = 0; i < TRIALS; i++) trials.push(await killedWriter(root, i, Math.floor(rng.uniform() * 120)));

    const store = new FileStore(root, { warn: () => {} });
    for (const trial of trials) {
      expect(trial.acked).toBeGreaterThan(0);
      const run = await store.getRun(trial.runId);
      for (let b = 0; b < trial.acked; b++) expect(run.data.params[`p${b}`]).toBe(String(b));
      const steps = new Set<number>();
      for (let k = 0; k < 10; k++) for (const m of await store.getMetricHistory(trial.runId, `m${k}`)) steps.add(m.step);
      // Every step of every acknowledged batch is there; a killed batch may be partly there.
      for (let s = 0; s < trial.acked * SIZE; s++) if (!steps.has(s)) throw new Error(`trial run ${trial.runId}: acknowledged step ${s} is missing`);
      expect(Number(run.data.tags.last)).toBeGreaterThanOrEqual(trial.acked - 1);
    }

    // The real MLflow reads the whole store (every metric line parses) and sees the same data.
    const dumper = new MlflowDumper();
    try {
      const theirs = await dumper.dump(root);
      for (const trial of trials) {
        const seen = theirs.runs.find((r) => r.runId === trial.runId) as { histories: Record<string, unknown[]>; params: Record<string, string> };
        let points = 0;
        for (const k of Object.keys(seen.histories)) points += seen.histories[k].length;
        expect(points).toBeGreaterThanOrEqual(trial.acked * SIZE);
        expect(Object.keys(seen.params).length).toBeGreaterThanOrEqual(trial.acked);
      }
    } finally {
      dumper.close();
    }
  }, 600_000);
});
