/**
 * Argument checks and small helpers shared by the chart functions: every check fails with
 * `invalid <name>: <value>` naming what was expected, as Observable Plot's option helpers do.
 */
import { DataError } from "../errors.js";

/** A numeric column: a plain array or any typed array. */
export type Numbers = ArrayLike<number>;

/** The categorical palette (Observable 10), in the order series are colored. */
export const PALETTE: readonly string[] = ["#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5", "#9c6b4e", "#9498a0"];

/** The palette color for series `i` (cycling). */
export function seriesColor(i: number): string {
  return PALETTE[i % PALETTE.length];
}

function show(value: unknown): string {
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") return String(value);
  if (value === undefined || value === null) return String(value);
  try {
    return JSON.stringify(value)?.slice(0, 60) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Fail with `invalid <name>: <value> (<expected>)`. */
export function invalid(name: string, value: unknown, expected: string): never {
  throw new DataError(`invalid ${name}: ${show(value)} (${expected})`);
}

/** A required numeric column with at least `min` entries. */
export function numbers(name: string, value: unknown, min = 1): Numbers {
  const ok = value !== null && typeof value === "object" && typeof (value as { length?: unknown }).length === "number";
  if (!ok) invalid(name, value, "expected an array of numbers");
  const arr = value as Numbers;
  if (arr.length < min) invalid(`${name}.length`, arr.length, `expected at least ${min}`);
  return arr;
}

/** Check that two columns have the same length. */
export function sameLength(nameA: string, a: Numbers, nameB: string, b: Numbers): void {
  if (a.length !== b.length) invalid(`${nameB}.length`, b.length, `expected ${a.length}, the length of ${nameA}`);
}

/** An optional positive number, or the default. */
export function maybePositive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(typeof value === "number" && value > 0 && Number.isFinite(value))) invalid(name, value, "expected a positive finite number");
  return value;
}

/** A Float64Array copy of a numeric column. */
export function toFloat64(values: Numbers): Float64Array {
  return Float64Array.from(values as ArrayLike<number>);
}

/** A column Plot accepts as channel values (typed arrays pass through, anything else is copied). */
export function column(values: Numbers): Float64Array | Int32Array | number[] {
  if (values instanceof Float64Array || values instanceof Int32Array || Array.isArray(values)) return values as Float64Array | Int32Array | number[];
  return Float64Array.from(values as ArrayLike<number>);
}

/** Index array 0..n-1 as a Float64Array (x values for series without an explicit x). */
export function indexColumn(n: number, start = 0): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = start + i;
  return out;
}

/** Finite minimum and maximum of a column (NaN entries skipped). */
export function extent(values: Numbers): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
