import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileStore } from "../../lib/tracking/file-store.js";
import type { RunStatus } from "../../lib/tracking/entities.js";
import { dumpStore } from "./dump.js";
import { MlflowDumper } from "./python.js";

// Random sequences of tracker operations: whatever state they leave, our reader and MLflow's reader
// must report the same experiments, runs, params, tags, metrics, histories and artifacts.

const keyArb = fc.constantFrom("loss", "acc", "train/loss", "a b", "x:y", "v.1", "deep/er/key", "ünï");
const valueArb = fc.oneof(
  fc.double({ noNaN: false }),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1e-300, 5e-324),
  fc.integer({ min: -1000, max: 1000 }),
);
const textArb = fc.oneof(fc.constantFrom("yes", "no", "1e5", "NaN", "null", "", "a: b", "- x", "héllo", "'q'", '"d"', "#c", "0x1F", "~"), fc.string({ maxLength: 12 }));
const statusArb = fc.constantFrom<RunStatus>("FINISHED", "FAILED", "KILLED");

type Op =
  | { op: "experiment"; name: string }
  | { op: "run"; exp: number; nested: boolean }
  | { op: "metric"; run: number; key: string; value: number; step: number; ts: number }
  | { op: "param"; run: number; key: string; value: string }
  | { op: "tag"; run: number; key: string; value: string }
  | { op: "deleteTag"; run: number; key: string }
  | { op: "end"; run: number; status: RunStatus }
  | { op: "deleteRun"; run: number }
  | { op: "restoreRun"; run: number }
  | { op: "renameExperiment"; exp: number; name: string }
  | { op: "deleteExperiment"; exp: number }
  | { op: "restoreExperiment"; exp: number }
  | { op: "artifact"; run: number; path: string; text: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("experiment" as const), name: fc.constantFrom("alpha", "beta", "gamma delta", "yes", "1e3") }),
  fc.record({ op: fc.constant("run" as const), exp: fc.nat(5), nested: fc.boolean() }),
  // Metrics weigh more, on few keys, steps and times, so ties on (step, timestamp) are common.
  { arbitrary: fc.record({ op: fc.constant("metric" as const), run: fc.nat(8), key: fc.constantFrom("loss", "train/loss", "x:y"), value: valueArb, step: fc.integer({ min: -1, max: 2 }), ts: fc.integer({ min: 0, max: 2 }) }), weight: 6 },
  fc.record({ op: fc.constant("param" as const), run: fc.nat(8), key: keyArb, value: textArb }),
  fc.record({ op: fc.constant("tag" as const), run: fc.nat(8), key: keyArb, value: textArb }),
  fc.record({ op: fc.constant("deleteTag" as const), run: fc.nat(8), key: keyArb }),
  fc.record({ op: fc.constant("end" as const), run: fc.nat(8), status: statusArb }),
  fc.record({ op: fc.constant("deleteRun" as const), run: fc.nat(8) }),
  fc.record({ op: fc.constant("restoreRun" as const), run: fc.nat(8) }),
  fc.record({ op: fc.constant("renameExperiment" as const), exp: fc.nat(5), name: fc.constantFrom("renamed", "other name", "no") }),
  fc.record({ op: fc.constant("deleteExperiment" as const), exp: fc.nat(5) }),
  fc.record({ op: fc.constant("restoreExperiment" as const), exp: fc.nat(5) }),
  fc.record({ op: fc.constant("artifact" as const), run: fc.nat(8), path: fc.constantFrom("a.txt", "d/b.json", "d/e/f.svg"), text: fc.string({ maxLength: 20 }) }),
);

/** Apply operations; operations the store rightly refuses (changed params, deleted targets) are skipped. */
async function apply(root: string, ops: Op[]): Promise<void> {
  const store = new FileStore(root, { warn: () => {} });
  const experiments: string[] = ["0"];
  const runs: string[] = [];
  const pick = <T>(list: T[], i: number): T | undefined => (list.length === 0 ? undefined : list[i % list.length]);
  for (const o of ops) {
    try {
      switch (o.op) {
        case "experiment":
          experiments.push((await store.getOrCreateExperiment(o.name)).experimentId);
          break;
        case "run": {
          const exp = pick(experiments, o.exp) as string;
          const parent = o.nested ? pick(runs, o.exp) : undefined;
          const info = await store.createRun({ experimentId: exp, startTime: 1700000000000 + runs.length, userId: "prop", tags: parent ? { "mlflow.parentRunId": parent } : {} });
          runs.push(info.runId);
          break;
        }
        case "metric": {
          const run = pick(runs, o.run);
          if (run) await store.logBatch(run, { metrics: [{ key: o.key, value: o.value, step: o.step, timestamp: 1000 + o.ts }] });
          break;
        }
        case "param": {
          const run = pick(runs, o.run);
          if (run) await store.logBatch(run, { params: { [o.key]: o.value } });
          break;
        }
        case "tag": {
          const run = pick(runs, o.run);
          if (run) await store.logBatch(run, { tags: { [o.key]: o.value } });
          break;
        }
        case "deleteTag": {
          const run = pick(runs, o.run);
          if (run) await store.deleteTag(run, o.key);
          break;
        }
        case "end": {
          const run = pick(runs, o.run);
          if (run) await store.updateRun(run, { status: o.status, endTime: 1800000000000 });
          break;
        }
        case "deleteRun": {
          const run = pick(runs, o.run);
          if (run) await store.deleteRun(run);
          break;
        }
        case "restoreRun": {
          const run = pick(runs, o.run);
          if (run) await store.restoreRun(run);
          break;
        }
        case "renameExperiment":
          await store.renameExperiment(pick(experiments, o.exp) as string, o.name);
          break;
        case "deleteExperiment":
          await store.deleteExperiment(pick(experiments, o.exp) as string);
          break;
        case "restoreExperiment":
          await store.restoreExperiment(pick(experiments, o.exp) as string);
          break;
        case "artifact": {
          const run = pick(runs, o.run);
          if (run) await store.logArtifactBytes(run, o.path, o.text);
          break;
        }
      }
    } catch (error) {
      // Refusals are part of the contract (immutable params, deleted runs, name clashes); the
      // property is about the state left behind. Anything else is a real failure.
      const message = String(error);
      if (!/immutable|deleted|already exists|is taken|does not exist|not found|has no tag|cannot|default experiment/.test(message)) throw error;
    }
  }
}

let dumper: MlflowDumper;
beforeAll(() => {
  dumper = new MlflowDumper();
});
afterAll(() => dumper?.close());

describe("property: our reader and MLflow's reader agree", () => {
  it("after any sequence of tracker operations", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async (ops) => {
        const root = mkdtempSync(join(tmpdir(), "wb-prop-"));
        try {
          await apply(root, ops);
          const ours = await dumpStore(root);
          const theirs = await dumper.dump(root);
          expect(ours).toEqual(theirs);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      }),
      { numRuns: 100, seed: 20261121 },
    );
  }, 600_000);
});
