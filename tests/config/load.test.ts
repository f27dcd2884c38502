import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError } from "../../lib/errors.js";
import { canonicalJson, configHash, flattenConfig } from "../../lib/config/canonical.js";
import { loadConfig, mergeConfig, parseOverride, resolveConfigTree } from "../../lib/config/load.js";

const schema = z.strictObject({
  seed: z.number().int().min(0).default(1),
  name: z.string().default("study"),
  budget: z.number().gt(0).lt(1).default(0.02),
  enabled: z.boolean().default(true),
  arms: z.array(z.enum(["uniform", "importance"])).default(["uniform"]),
  model: z
    .strictObject({
      depth: z.number().int().min(1).max(12).default(6),
      kind: z.enum(["gbdt", "forest"]).default("gbdt"),
    })
    .default({ depth: 6, kind: "gbdt" }),
});

function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "wb-config-"));
  mkdirSync(join(dir, "study"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, "study", name), text);
  return dir;
}

describe("loadConfig", () => {
  it("layers base, variant and typed overrides over schema defaults", () => {
    const dir = configDir({ "base.yaml": "seed: 3\nmodel:\n  depth: 4\n", "deep.yaml": "model:\n  depth: 10\n" });
    const resolved = loadConfig(schema, { experiment: "study", configDir: dir, variant: "deep", overrides: ["budget=0.05", "name=123", "enabled=false", "arms=[uniform, importance]"] });
    expect(resolved.config).toEqual({ seed: 3, name: "123", budget: 0.05, enabled: false, arms: ["uniform", "importance"], model: { depth: 10, kind: "gbdt" } });
    expect(resolved.sources.map((s) => s.split("/").pop())).toEqual(["base.yaml", "deep.yaml", "override 'budget=0.05'", "override 'name=123'", "override 'enabled=false'", "override 'arms=[uniform, importance]'"]);
    expect(resolved.params["model.depth"]).toBe("10");
    expect(resolved.params.arms).toBe('["uniform","importance"]');
    expect(resolved.yaml).toContain("depth: 10");
  });

  it("names the file, key, expectation and given value for a wrong type", () => {
    const dir = configDir({ "base.yaml": "model:\n  depth: deep\n" });
    expect(() => loadConfig(schema, { experiment: "study", configDir: dir })).toThrow(/base\.yaml: key 'model\.depth': expected number, received string; given 'deep' \(text\)/);
  });

  it("names the file and the key for unknown keys, even nested", () => {
    const dir = configDir({ "base.yaml": "seed: 1\n", "typo.yaml": "model:\n  dept: 3\n" });
    expect(() => loadConfig(schema, { experiment: "study", configDir: dir, variant: "typo" })).toThrow(/typo\.yaml: unknown key 'model\.dept'/);
  });

  it("reports out-of-range values with the limit", () => {
    const dir = configDir({ "base.yaml": "budget: 1.5\n" });
    expect(() => loadConfig(schema, { experiment: "study", configDir: dir })).toThrow(/key 'budget': Too big: expected number to be <1; given 1\.5/);
  });

  it("blames the override, not the file, for a bad override value", () => {
    const dir = configDir({ "base.yaml": "seed: 1\n" });
    expect(() => loadConfig(schema, { experiment: "study", configDir: dir, overrides: ["model.depth=30"] })).toThrow(/override 'model\.depth=30': key 'model\.depth': Too big/);
    expect(() => loadConfig(schema, { experiment: "study", configDir: dir, overrides: ["model.depth=abc"] })).toThrow(/override 'model\.depth=abc': expected an integer, got 'abc'/);
    expect(() => loadConfig(schema, { experiment: "study", configDir: dir, overrides: ["model.width=3"] })).toThrow(/unknown key 'model\.width'; known keys under 'model': depth, kind/);
    expect(() => loadConfig(schema, { experiment: "study", configDir: dir, overrides: ["enabled=maybe"] })).toThrow(/expected true or false/);
    expect(() => loadConfig(schema, { experiment: "study", configDir: dir, overrides: ["novalue"] })).toThrow(/key\.path=value/);
  });

  it("reports malformed YAML with the file, line and column", () => {
    const dir = configDir({ "base.yaml": "seed: 1\nmodel:\n  depth: [1, 2\n" });
    expect(() => loadConfig(schema, { experiment: "study", configDir: dir })).toThrow(ConfigError);
    expect(() => loadConfig(schema, { experiment: "study", configDir: dir })).toThrow(/malformed YAML in .*base\.yaml at line \d+, column \d+/);
    const listDir = configDir({ "base.yaml": "- a\n- b\n" });
    expect(() => loadConfig(schema, { experiment: "study", configDir: listDir })).toThrow(/must hold a mapping/);
  });

  it("lists available variants when one is missing", () => {
    const dir = configDir({ "base.yaml": "seed: 1\n", "full.yaml": "seed: 2\n", "quick.yaml": "seed: 3\n" });
    expect(() => loadConfig(schema, { experiment: "study", configDir: dir, variant: "fast" })).toThrow(/no variant 'fast'.*available: full, quick/);
  });

  it("types override values by the schema, not by guessing", () => {
    expect(parseOverride(schema, "name=1e5").value).toBe("1e5");
    expect(parseOverride(schema, "name='quoted text'").value).toBe("quoted text");
    expect(parseOverride(schema, "budget=1e-2").value).toBe(0.01);
    expect(parseOverride(schema, "enabled=yes").value).toBe(true);
  });

  it("validates in-memory trees the same way (notebooks)", () => {
    expect(resolveConfigTree(schema, { seed: 5 }).config.model.depth).toBe(6);
    expect(() => resolveConfigTree(schema, { seed: -1 }, ["notebook cell"])).toThrow(/notebook cell: key 'seed'/);
  });
});

describe("config hash and params", () => {
  it("is independent of key order and stable across runs", () => {
    const a = { seed: 1, model: { depth: 3, kind: "gbdt" }, arms: ["a", "b"] };
    const b = { arms: ["a", "b"], model: { kind: "gbdt", depth: 3 }, seed: 1 };
    expect(configHash(a)).toBe(configHash(b));
    expect(configHash(a)).not.toBe(configHash({ ...a, arms: ["b", "a"] }));
    expect(canonicalJson(b)).toBe('{"arms":["a","b"],"model":{"depth":3,"kind":"gbdt"},"seed":1}');
    // Fixed value: sha256 of the canonical JSON above, computed independently with `sha256sum`.
    expect(configHash(a)).toBe("34f149410214e28ae7956d8f84800fb2d698d26af527e88c5a9e8c06c33d70e5");
  });

  it("flattens nested configs into dotted params", () => {
    expect(flattenConfig({ a: { b: { c: 1 } }, d: [1, 2], e: "x", f: null })).toEqual({ "a.b.c": "1", d: "[1,2]", e: "x", f: "null" });
    expect(mergeConfig({ a: { b: 1, c: 2 }, l: [1] }, { a: { c: 3 }, l: [2] })).toEqual({ a: { b: 1, c: 3 }, l: [2] });
  });
});
