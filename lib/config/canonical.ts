/**
 * Canonical JSON and the config hash: key order, whitespace and number spelling never change
 * the hash, so two runs with the same resolved config carry the same hash.
 */
import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level (arrays keep their order). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) return JSON.stringify(String(value));
    if (value === undefined) return "null";
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(",")}}`;
}

/** The sha256 of the canonical JSON of a config, as hex. */
export function configHash(config: unknown): string {
  return createHash("sha256").update(canonicalJson(config)).digest("hex");
}

/** Flatten nested config into dotted keys with text values, as MLflow params. */
export function flattenConfig(config: unknown, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    if (prefix !== "") out[prefix] = Array.isArray(config) ? JSON.stringify(config) : String(config);
    return out;
  }
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    if (value === undefined) continue;
    const path = prefix === "" ? key : `${prefix}.${key}`;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) Object.assign(out, flattenConfig(value, path));
    else out[path] = Array.isArray(value) ? JSON.stringify(value) : String(value);
  }
  return out;
}
