/**
 * The workbench reader's view of a store, in the same canonical shape as mlflow_dump.py prints,
 * so interop tests can compare the two with one deep equality.
 */
import type { ArtifactInfo } from "../../lib/tracking/entities.js";
import { FileStore } from "../../lib/tracking/file-store.js";

type Num = number | string;

function num(x: number): Num {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  return x;
}

function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A canonical dump of everything a reader sees in a store. */
export interface StoreDump {
  experiments: { experimentId: string; name: string; lifecycleStage: string; tags: Record<string, string> }[];
  runs: Record<string, unknown>[];
  activeRunIds: string[];
}

async function allArtifacts(store: FileStore, runId: string, path = ""): Promise<ArtifactInfo[]> {
  const out: ArtifactInfo[] = [];
  for (const a of await store.listArtifacts(runId, path)) {
    out.push({ path: a.path, isDir: a.isDir, fileSize: a.isDir ? undefined : a.fileSize });
    if (a.isDir) out.push(...(await allArtifacts(store, runId, a.path)));
  }
  return out;
}

/** Dump a store with the workbench's own reader. */
export async function dumpStore(root: string): Promise<StoreDump> {
  const store = new FileStore(root, { warn: () => {} });
  const experiments = (await store.listExperiments("ALL")).sort((a, b) => (a.experimentId < b.experimentId ? -1 : 1));
  const runs: Record<string, unknown>[] = [];
  const activeRunIds: string[] = [];
  for (const e of experiments) {
    const page = await store.searchRuns({ experimentIds: [e.experimentId], viewType: "ALL", maxResults: 50000 });
    for (const r of page.runs) {
      const histories: Record<string, [number, Num, number][]> = {};
      for (const key of Object.keys(r.data.metrics).sort()) {
        histories[key] = (await store.getMetricHistory(r.info.runId, key)).map((m) => [m.timestamp, num(m.value), m.step]);
      }
      runs.push({
        runId: r.info.runId,
        experimentId: r.info.experimentId,
        runName: r.info.runName,
        status: r.info.status,
        startTime: r.info.startTime,
        endTime: r.info.endTime,
        lifecycleStage: r.info.lifecycleStage,
        userId: r.info.userId,
        params: sortedRecord(r.data.params),
        tags: sortedRecord(r.data.tags),
        metrics: Object.fromEntries(Object.entries(sortedRecord(r.data.metrics)).map(([k, v]) => [k, num(v)])),
        histories,
        artifacts: (await allArtifacts(store, r.info.runId)).map((a) => ({ path: a.path, isDir: a.isDir, fileSize: a.fileSize ?? null })).sort((a, b) => (a.path < b.path ? -1 : 1)),
      });
    }
    if (e.lifecycleStage === "active") {
      const active = await store.searchRuns({ experimentIds: [e.experimentId], maxResults: 50000 });
      activeRunIds.push(...active.runs.map((r) => r.info.runId));
    }
  }
  return {
    experiments: experiments.map((e) => ({ experimentId: e.experimentId, name: e.name, lifecycleStage: e.lifecycleStage, tags: sortedRecord(e.tags) })),
    runs: runs.sort((a, b) => ((a.runId as string) < (b.runId as string) ? -1 : 1)),
    activeRunIds: activeRunIds.sort(),
  };
}
