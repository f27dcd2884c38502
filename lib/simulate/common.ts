/**
 * Small helpers shared by the generators: config parsing with named errors, quantization to a sensor
 * resolution, and calendar arithmetic on epoch milliseconds.
 */
import { z } from "zod";
import { ConfigError } from "../errors.js";

/** Parse a generator config with its zod schema, turning violations into a ConfigError naming each key. */
export function parseConfig<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    return `${key}: ${issue.message}`;
  });
  throw new ConfigError(`invalid ${what} config: ${problems.join("; ")}`, { cause: result.error });
}

/** Round to a multiple of `step` the way a sensor with that resolution would report it. */
export function quantize(x: number, inverseStep: number): number {
  return Math.round(x * inverseStep) / inverseStep;
}

/** Clamp to [lo, hi]. */
export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Epoch milliseconds of an ISO date or date-time, or a ConfigError naming the key. */
export function parseInstant(text: string, key: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new ConfigError(`invalid ${key}: "${text}" is not an ISO date`);
  return ms;
}

/** Milliseconds per day. */
export const DAY_MS = 86_400_000;

/** A zod string that must be an ISO date (YYYY-MM-DD) or ISO date-time in UTC. */
export const isoInstant = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z)?$/.test(s) && Number.isFinite(Date.parse(s)), {
    message: "expected an ISO date (2026-01-01) or UTC date-time (2026-01-01T00:00:00Z)",
  });

/** Draw an index from unnormalized weights with one uniform. */
export function pickWeighted(weights: Float64Array | readonly number[], u: number): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i];
  let acc = 0;
  const target = u * total;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i];
    if (target < acc) return i;
  }
  return weights.length - 1;
}
