import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import { captureCliOutput } from "./capture.js";
import { FileStore } from "../../lib/tracking/file-store.js";

let uri: string;

const out = captureCliOutput();

beforeEach(() => {
  uri = mkdtempSync(join(tmpdir(), "wb-cli-"));
});

const cli = (...args: string[]) => main(["--tracking-uri", uri, ...args]);

describe("workbench run", () => {
  it("runs an experiment and records config, hash, seed and params", async () => {
    expect(await cli("run", "rate-estimate", "days=30", "vehicles=100")).toBe(0);
    const runId = /run ([0-9a-f]{32}) FINISHED/.exec(out.stdout)?.[1];
    expect(runId).toBeDefined();
    const store = new FileStore(uri);
    const run = await store.getRun(runId as string);
    expect(run.info.status).toBe("FINISHED");
    expect(run.data.params.days).toBe("30");
    expect(run.data.params.seed).toBe("42");
    expect(run.data.tags["workbench.config_hash"]).toMatch(/^[0-9a-f]{64}$/);
    expect(run.data.tags["workbench.seed"]).toBe("42");
    expect(run.data.tags["mlflow.source.git.commit"]).toMatch(/^[0-9a-f]{40}$/);
    const yaml = (await store.readArtifact(runId as string, "config.yaml")).toString();
    expect(yaml).toContain("days: 30");
    expect((await store.getMetricHistory(runId as string, "rate_per_million")).length).toBe(30);
  });

  it("exits 2 with one clear line for config and usage errors, creating no run", async () => {
    expect(await cli("run", "rate-estimate", "days=-3")).toBe(2);
    expect(out.stderr).toMatch(/^error: override 'days=-3': key 'days': Too small/);
    expect(out.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    expect(await cli("run", "rate-estimate", "-c", "nope")).toBe(2);
    expect(out.stderr).toContain("no variant 'nope'");
    expect(await cli("run", "no-such-experiment")).toBe(2);
    expect(await cli("runs", "show", "0123456789abcdef0123456789abcdef")).toBe(2);
    expect(await cli("runs", "list", "--filter", "metrics.x = 'a'")).toBe(2);
    expect(await cli("frobnicate")).toBe(2);
    expect(out.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
    const store = new FileStore(uri);
    const experiments = await store.listExperiments();
    expect(experiments.map((e) => e.name)).toEqual(["Default"]);
  });

  it("sweeps as a parent run with children carrying mlflow.parentRunId", async () => {
    expect(await cli("run", "rate-estimate", "days=5,10", "vehicles=50", "--seeds", "2")).toBe(0);
    const parentId = /sweep parent run ([0-9a-f]{32})/.exec(out.stdout)?.[1] as string;
    const store = new FileStore(uri);
    const experimentId = (await store.getRunInfo(parentId)).experimentId;
    const children = await store.searchRuns({ experimentIds: [experimentId], filter: `tags.mlflow.parentRunId = '${parentId}'` });
    expect(children.runs).toHaveLength(4);
    const seeds = children.runs.map((r) => `${r.data.params.days}/${r.data.params.seed}`).sort();
    expect(seeds).toEqual(["10/42", "10/43", "5/42", "5/43"]);
    const hashes = new Set(children.runs.map((r) => r.data.tags["workbench.config_hash"]));
    expect(hashes.size).toBe(4);
    const parent = await store.getRun(parentId);
    expect(parent.info.status).toBe("FINISHED");
    expect(parent.data.metrics["sweep.children"]).toBe(4);
  });

  it("lists, shows and compares runs", async () => {
    await cli("run", "rate-estimate", "days=5", "vehicles=50");
    await cli("run", "rate-estimate", "days=6", "vehicles=50");
    const ids = [...out.stdout.matchAll(/run ([0-9a-f]{32}) FINISHED/g)].map((m) => m[1]);
    out.stdout = "";
    expect(await cli("runs", "list", "--experiment", "rate-estimate")).toBe(0);
    expect(out.stdout).toContain(ids[0]);
    expect(out.stdout).toContain(ids[1]);
    out.stdout = "";
    expect(await cli("runs", "list", "--filter", "params.days = '6'")).toBe(0);
    expect(out.stdout).toContain(ids[1]);
    expect(out.stdout).not.toContain(ids[0]);
    out.stdout = "";
    expect(await cli("runs", "show", ids[0])).toBe(0);
    expect(out.stdout).toMatch(/params[\s\S]*days\s+5/);
    expect(out.stdout).toContain("config.yaml");
    out.stdout = "";
    expect(await cli("runs", "compare", ids[0], ids[1])).toBe(0);
    expect(out.stdout).toMatch(/params that differ \(1 of 7\)/);
    expect(out.stdout).toMatch(/days\s+5\s+6/);
    expect(out.stdout).toContain("final_rate_per_million");
    out.stdout = "";
    expect(await cli("experiments", "list")).toBe(0);
    expect(out.stdout).toMatch(/rate-estimate\s+active\s+2/);
  });
});

describe("bin/workbench.js", () => {
  it("runs as a command with the right exit codes", () => {
    const bin = join(process.cwd(), "bin", "workbench.js");
    const ok = spawnSync(process.execPath, [bin, "--tracking-uri", uri, "config", "rate-estimate", "days=7"], { encoding: "utf8" });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("days: 7");
    expect(ok.stdout).toMatch(/config hash [0-9a-f]{64}/);
    const schema = spawnSync(process.execPath, [bin, "config", "rate-estimate", "--json-schema"], { encoding: "utf8" });
    expect(JSON.parse(schema.stdout).properties.days).toMatchObject({ type: "integer", minimum: 1, default: 180 });
    const bad = spawnSync(process.execPath, [bin, "--tracking-uri", uri, "run", "rate-estimate", "confidence=2"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^error: override 'confidence=2': key 'confidence'/);
  });

  it("exits 1 on a failure that is not a usage error, touching nothing", () => {
    const bin = join(process.cwd(), "bin", "workbench.js");
    // A tracking root that is a file cannot hold runs: the tracker refuses with a clear error.
    const file = join(uri, "not-a-folder");
    writeFileSync(file, "x");
    const res = spawnSync(process.execPath, [bin, "--tracking-uri", file, "run", "rate-estimate"], { encoding: "utf8" });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/error: tracking root .* is not a folder/);
    expect(readFileSync(file, "utf8")).toBe("x");
  });
});
