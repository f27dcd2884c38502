/**
 * JSON encoding shared by the survival fits. JSON has no Infinity or NaN, and a median survival
 * time of Infinity is a real answer, so non-finite numbers travel as the strings "Infinity",
 * "-Infinity" and "NaN". Every fitted value serialises as `{ kind, version, ... }` and is loaded
 * back by a `fromJSON` that checks both.
 */

import { DataError } from "../errors.js";

/** A number as stored in JSON. */
export type JsonNumber = number | "Infinity" | "-Infinity" | "NaN";

/** Encode one number for JSON. */
export function encodeNumber(x: number): JsonNumber {
  if (Number.isFinite(x)) return x;
  if (Number.isNaN(x)) return "NaN";
  return x > 0 ? "Infinity" : "-Infinity";
}

/** Decode one number stored by `encodeNumber`. */
export function decodeNumber(x: unknown, key: string): number {
  if (typeof x === "number") return x;
  if (x === "Infinity") return Infinity;
  if (x === "-Infinity") return -Infinity;
  if (x === "NaN") return NaN;
  throw new DataError(`invalid number at '${key}': ${JSON.stringify(x)}`);
}

/** Encode an array of numbers for JSON. */
export function encodeArray(a: ArrayLike<number>): JsonNumber[] {
  const out: JsonNumber[] = new Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = encodeNumber(a[i]);
  return out;
}

/** Decode an array stored by `encodeArray` into a Float64Array. */
export function decodeArray(x: unknown, key: string): Float64Array {
  if (!Array.isArray(x)) throw new DataError(`invalid array at '${key}': expected a JSON array`);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = decodeNumber(x[i], `${key}[${i}]`);
  return out;
}

/** Read a JSON object and check that it carries the expected kind and schema version. */
export function expectKind(json: unknown, kind: string, version: number): Record<string, unknown> {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new DataError(`cannot load ${kind}: expected a JSON object`);
  }
  const record = json as Record<string, unknown>;
  if (record.kind !== kind) throw new DataError(`cannot load ${kind}: 'kind' is ${JSON.stringify(record.kind)}`);
  if (record.version !== version) {
    throw new DataError(`cannot load ${kind}: schema 'version' is ${JSON.stringify(record.version)}, this build reads ${version}`);
  }
  return record;
}

/** Read a required string field. */
export function readString(record: Record<string, unknown>, key: string): string {
  const v = record[key];
  if (typeof v !== "string") throw new DataError(`invalid '${key}': expected a string, got ${JSON.stringify(v)}`);
  return v;
}

/** Read a required string array field. */
export function readStrings(record: Record<string, unknown>, key: string): string[] {
  const v = record[key];
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) {
    throw new DataError(`invalid '${key}': expected an array of strings`);
  }
  return v as string[];
}
