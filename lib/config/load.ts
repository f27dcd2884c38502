/**
 * Layered, schema-validated experiment configs in the manner of Hydra: `configs/<experiment>/base.yaml`,
 * a named variant layered on it, then `a.b.c=value` overrides typed by the experiment's zod schema.
 * Every error names the file (or the override), the key path, what was expected and what was given.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import YAML from "yaml";
import { z } from "zod";
import { ConfigError } from "../errors.js";
import { configHash, flattenConfig } from "./canonical.js";
import { expectedKind, knownKeys, schemaAt } from "./schema-path.js";

/** A plain nested config object. */
export type ConfigTree = Record<string, unknown>;

/** One `key=value` override from the command line or a sweep. */
export interface Override {
  path: string[];
  /** The raw text as given, for messages. */
  text: string;
  value: unknown;
}

/** Where to find configs and what to layer. */
export interface LoadConfigOptions {
  /** Experiment name: configs live in `<configDir>/<experiment>/`. */
  experiment: string;
  /** Folder holding one subfolder per experiment (default ./configs). */
  configDir?: string;
  /** A variant file name (without .yaml) layered on base.yaml. */
  variant?: string;
  /** `a.b.c=value` strings, applied last. */
  overrides?: readonly string[];
}

/** A resolved, validated config with its provenance. */
export interface ResolvedConfig<T> {
  config: T;
  /** sha256 of the canonical JSON of `config`. */
  hash: string;
  /** Dotted keys to text values, for MLflow params. */
  params: Record<string, string>;
  /** The files and overrides that made it, in layering order. */
  sources: string[];
  /** The resolved config as YAML (the `config.yaml` artifact). */
  yaml: string;
}

function isPlainObject(value: unknown): value is ConfigTree {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Deep-merge `top` onto `base`; arrays and scalars in `top` replace, objects merge. */
export function mergeConfig(base: ConfigTree, top: ConfigTree): ConfigTree {
  const out: ConfigTree = { ...base };
  for (const [key, value] of Object.entries(top)) {
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? mergeConfig(out[key] as ConfigTree, value) : value;
  }
  return out;
}

/** Read one YAML config file into a tree, with errors naming the file and line. */
export function readConfigFile(path: string): ConfigTree {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}`, { cause: error });
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const where = first.linePos?.[0] ? ` at line ${first.linePos[0].line}, column ${first.linePos[0].col}` : "";
    throw new ConfigError(`malformed YAML in ${path}${where}: ${first.message.split("\n")[0]}`);
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) throw new ConfigError(`config file ${path} must hold a mapping of keys to values, not ${Array.isArray(value) ? "a list" : typeof value}`);
  return value;
}

/** Split `a.b.c=value` into its path and raw value text. */
export function splitOverride(text: string): { path: string[]; raw: string } {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new ConfigError(`override '${text}' must have the form key.path=value`);
  const key = text.slice(0, eq).trim();
  if (!/^[A-Za-z_][\w-]*(\.[\w-]+)*$/.test(key)) throw new ConfigError(`override '${text}': '${key}' is not a key path like a.b.c`);
  return { path: key.split("."), raw: text.slice(eq + 1) };
}

/** Parse one override's text as the type the schema expects at its path. */
export function parseOverride(schema: z.ZodType, text: string): Override {
  const { path, raw } = splitOverride(text);
  const at = schemaAt(schema, path);
  if (!at) {
    const parent = path.slice(0, -1);
    const keys = knownKeys(schema, parent);
    const hint = keys.length > 0 ? `; known keys${parent.length ? ` under '${parent.join(".")}'` : ""}: ${keys.join(", ")}` : "";
    throw new ConfigError(`override '${text}': unknown key '${path.join(".")}'${hint}`);
  }
  return { path, text, value: typedValue(at, raw, text) };
}

function typedValue(at: z.ZodType, raw: string, text: string): unknown {
  const kind = expectedKind(at);
  const trimmed = raw.trim();
  if (kind === "string" || kind === "enum") {
    // A quoted string keeps its quotes' content; anything else is taken verbatim.
    if (/^(['"]).*\1$/.test(trimmed)) return trimmed.slice(1, -1);
    return raw;
  }
  if (kind === "number" || kind === "integer") {
    const n = Number(trimmed);
    if (trimmed === "" || Number.isNaN(n)) throw new ConfigError(`override '${text}': expected ${kind === "integer" ? "an integer" : "a number"}, got '${raw}'`);
    return n;
  }
  if (kind === "boolean") {
    if (/^(true|yes|on|1)$/i.test(trimmed)) return true;
    if (/^(false|no|off|0)$/i.test(trimmed)) return false;
    throw new ConfigError(`override '${text}': expected true or false, got '${raw}'`);
  }
  try {
    return YAML.parse(raw);
  } catch (error) {
    throw new ConfigError(`override '${text}': the value is not valid YAML`, { cause: error });
  }
}

function setAtPath(tree: ConfigTree, path: readonly string[], value: unknown): ConfigTree {
  const out: ConfigTree = { ...tree };
  let node = out;
  for (let i = 0; i < path.length - 1; i++) {
    const next = node[path[i]];
    const copy: ConfigTree = isPlainObject(next) ? { ...next } : {};
    node[path[i]] = copy;
    node = copy;
  }
  node[path[path.length - 1]] = value;
  return out;
}

function getAtPath(tree: unknown, path: readonly (string | number | symbol)[]): { found: boolean; value: unknown } {
  let node: unknown = tree;
  for (const key of path) {
    if (node === null || typeof node !== "object" || !(String(key) in (node as Record<string, unknown>))) return { found: false, value: undefined };
    node = (node as Record<string, unknown>)[String(key)];
  }
  return { found: true, value: node };
}

/** Track which layer last set each key path, so errors can name the file. */
function recordOrigins(tree: unknown, origin: string, prefix: string, into: Map<string, string>): void {
  if (!isPlainObject(tree)) return;
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    into.set(path, origin);
    recordOrigins(value, origin, path, into);
  }
}

function originOf(origins: Map<string, string>, path: string, fallback: string): string {
  let p = path;
  for (;;) {
    const found = origins.get(p);
    if (found) return found;
    const dot = p.lastIndexOf(".");
    if (dot < 0) return fallback;
    p = p.slice(0, dot);
  }
}

function describeGiven(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return `'${value}' (text)`;
  if (Array.isArray(value)) return `a list ${JSON.stringify(value)}`;
  if (value !== null && typeof value === "object") return "a mapping";
  return `${JSON.stringify(value)} (${value === null ? "null" : typeof value})`;
}

/** Turn zod issues into one ConfigError naming file, key path, expectation and given value. */
export function configErrorFromIssues(issues: readonly z.core.$ZodIssue[], tree: unknown, origins: Map<string, string>, fallbackOrigin: string): ConfigError {
  const lines = issues.map((issue) => {
    const path = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      const keys = (issue as unknown as { keys: string[] }).keys;
      return keys
        .map((k) => {
          const full = [...path, k].join(".");
          return `${originOf(origins, full, fallbackOrigin)}: unknown key '${full}'`;
        })
        .join("\n");
    }
    const full = path.join(".");
    const given = getAtPath(tree, path);
    return `${originOf(origins, full, fallbackOrigin)}: key '${full || "(root)"}': ${issue.message.replace(/^Invalid input: /, "")}; given ${given.found ? describeGiven(given.value) : "nothing"}`;
  });
  return new ConfigError(lines.length === 1 ? lines[0] : `invalid config:\n  ${lines.join("\n  ")}`);
}

/** List the variants an experiment's config folder offers (every YAML file but base.yaml). */
export function listVariants(configDir: string, experiment: string): string[] {
  const dir = join(configDir, experiment);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && !/^base\.ya?ml$/.test(f))
    .map((f) => f.replace(/\.ya?ml$/, ""))
    .sort();
}

/** Validate an in-memory config tree (e.g. from a notebook) against a schema. */
export function resolveConfigTree<S extends z.ZodType>(schema: S, tree: ConfigTree, sources: string[] = ["(in memory)"]): ResolvedConfig<z.output<S>> {
  const origins = new Map<string, string>();
  recordOrigins(tree, sources[sources.length - 1] ?? "(in memory)", "", origins);
  return finish(schema, tree, origins, sources);
}

function finish<S extends z.ZodType>(schema: S, tree: ConfigTree, origins: Map<string, string>, sources: string[]): ResolvedConfig<z.output<S>> {
  const result = schema.safeParse(tree);
  if (!result.success) throw configErrorFromIssues(result.error.issues, tree, origins, sources[0] ?? "(config)");
  const config = result.data as z.output<S>;
  return {
    config,
    hash: configHash(config),
    params: flattenConfig(config),
    sources,
    yaml: YAML.stringify(config, { sortMapEntries: false }),
  };
}

/** Load base.yaml, layer the variant and the overrides, validate against the schema. */
export function loadConfig<S extends z.ZodType>(schema: S, options: LoadConfigOptions): ResolvedConfig<z.output<S>> {
  const configDir = options.configDir ?? "configs";
  const dir = join(configDir, options.experiment);
  const origins = new Map<string, string>();
  const sources: string[] = [];
  let tree: ConfigTree = {};
  const basePath = ["base.yaml", "base.yml"].map((f) => join(dir, f)).find((p) => existsSync(p));
  if (basePath) {
    const base = readConfigFile(basePath);
    recordOrigins(base, relative(process.cwd(), basePath) || basePath, "", origins);
    sources.push(relative(process.cwd(), basePath) || basePath);
    tree = base;
  }
  if (options.variant) {
    const variantPath = [`${options.variant}.yaml`, `${options.variant}.yml`].map((f) => join(dir, f)).find((p) => existsSync(p));
    if (!variantPath) {
      const available = listVariants(configDir, options.experiment);
      throw new ConfigError(`no variant '${options.variant}' for experiment '${options.experiment}' in ${dir}${available.length ? `; available: ${available.join(", ")}` : ""}`);
    }
    const variant = readConfigFile(variantPath);
    const shown = relative(process.cwd(), variantPath) || variantPath;
    recordOrigins(variant, shown, "", origins);
    sources.push(shown);
    tree = mergeConfig(tree, variant);
  }
  for (const text of options.overrides ?? []) {
    const override = parseOverride(schema, text);
    const origin = `override '${text}'`;
    origins.set(override.path.join("."), origin);
    recordOrigins(override.value, origin, override.path.join("."), origins);
    sources.push(origin);
    tree = setAtPath(tree, override.path, override.value);
  }
  return finish(schema, tree, origins, sources.length > 0 ? sources : ["(schema defaults)"]);
}
