/**
 * Sweeps in the manner of Hydra's multirun: `key=a,b,c` and `key=range(start,stop,step)` expand into
 * the cartesian product of override sets; `--seeds N` adds N replicates of each.
 */
import { ConfigError } from "../errors.js";
import { splitOverride } from "./load.js";

/** One swept key and the values it takes. */
export interface SweepAxis {
  key: string;
  values: string[];
}

/** One point of a sweep: its overrides and the replicate index. */
export interface SweepPoint {
  overrides: string[];
  /** The values chosen on each axis, e.g. { "budget": "0.02" }. */
  choices: Record<string, string>;
  replicate: number;
}

/** Expand `range(start, stop[, step])` like Python's range, for integers and decimals. */
export function expandRange(text: string, source: string): string[] {
  const m = /^range\(([^)]*)\)$/.exec(text.trim());
  if (!m) throw new ConfigError(`sweep '${source}': expected range(start, stop[, step])`);
  const parts = m[1].split(",").map((s) => s.trim());
  if (parts.length < 1 || parts.length > 3 || parts.some((p) => p === "" || Number.isNaN(Number(p)))) {
    throw new ConfigError(`sweep '${source}': range takes 1 to 3 numbers, got '${m[1]}'`);
  }
  const nums = parts.map(Number);
  const [start, stop, step] = nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1];
  if (step === 0) throw new ConfigError(`sweep '${source}': range step must not be 0`);
  // Count first, then compute each value from the index, so decimal steps do not drift.
  const count = Math.max(0, Math.ceil((stop - start) / step - 1e-12));
  if (count > 100000) throw new ConfigError(`sweep '${source}': range has ${count} values, more than 100000`);
  const decimals = Math.max(...parts.map((p) => (p.includes(".") ? p.split(".")[1].length : 0)));
  return Array.from({ length: count }, (_, i) => {
    const v = start + i * step;
    return decimals > 0 ? String(Number(v.toFixed(decimals))) : String(Math.round(v));
  });
}

function splitTopLevelCommas(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = "";
  let current = "";
  for (const ch of value) {
    if (quote) {
      if (ch === quote) quote = "";
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "[" || ch === "{" || ch === "(") depth++;
    else if (ch === "]" || ch === "}" || ch === ")") depth--;
    else if (ch === "," && depth === 0) {
      out.push(current);
      current = "";
      continue;
    }
    current += ch;
  }
  out.push(current);
  return out;
}

/** Separate fixed overrides from swept axes. */
export function parseSweep(overrides: readonly string[]): { fixed: string[]; axes: SweepAxis[] } {
  const fixed: string[] = [];
  const axes: SweepAxis[] = [];
  for (const text of overrides) {
    const { path, raw } = splitOverride(text);
    const key = path.join(".");
    const trimmed = raw.trim();
    let values: string[] | undefined;
    if (/^range\(/.test(trimmed)) values = expandRange(trimmed, text);
    else if (!/^[\[{'"]/.test(trimmed)) {
      const parts = splitTopLevelCommas(raw);
      if (parts.length > 1) values = parts.map((p) => p.trim());
    }
    if (!values) fixed.push(text);
    else {
      if (values.length === 0) throw new ConfigError(`sweep '${text}' has no values`);
      if (values.some((v) => v === "")) throw new ConfigError(`sweep '${text}' has an empty value`);
      if (axes.some((a) => a.key === key)) throw new ConfigError(`key '${key}' is swept twice`);
      axes.push({ key, values });
    }
  }
  return { fixed, axes };
}

/** The cartesian product of the axes times the replicates, in a stable order. */
export function expandSweep(overrides: readonly string[], seeds = 1): SweepPoint[] {
  if (!Number.isInteger(seeds) || seeds < 1) throw new ConfigError(`--seeds must be a positive integer, got ${seeds}`);
  const { fixed, axes } = parseSweep(overrides);
  let combos: Record<string, string>[] = [{}];
  for (const axis of axes) combos = combos.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.key]: v })));
  const points: SweepPoint[] = [];
  for (const choices of combos) {
    for (let r = 0; r < seeds; r++) {
      points.push({ overrides: [...fixed, ...Object.entries(choices).map(([k, v]) => `${k}=${v}`)], choices, replicate: r });
    }
  }
  return points;
}
