/**
 * Sliding-window features of vehicle telemetry (the reference simulator's 10-second windows):
 * statistics of rpm, throttle, engine load, speed, acceleration and brake over the last N samples.
 * One kernel computes one window from scratch, so batch windows and a streaming scorer that calls
 * the same kernel on the same samples agree bit for bit.
 */
import { ConfigError, DataError } from "../errors.js";

/** Input channels, in the order a streaming sample lists them. */
export const WINDOW_CHANNELS = ["rpm", "throttle", "load", "speed_kmh", "accel_mps2", "brake"] as const;

/** Output features, in column order. */
export const WINDOW_FEATURES = [
  "rpm_mean",
  "rpm_std",
  "rpm_range",
  "power_factor_mean",
  "throttle_mean",
  "throttle_std",
  "load_mean",
  "load_max",
  "speed_mean",
  "speed_std",
  "accel_std",
  "accel_max",
  "accel_min",
  "brake_mean",
] as const;

/** Number of window features. */
export const N_WINDOW_FEATURES = WINDOW_FEATURES.length;

/** Telemetry channels as equally long typed arrays. */
export interface WindowChannels {
  rpm: Float64Array;
  throttle: Float64Array;
  load: Float64Array;
  speed_kmh: Float64Array;
  accel_mps2: Float64Array;
  brake: Float64Array;
}

function mean(x: Float64Array, start: number, n: number): number {
  let s = 0;
  for (let i = start; i < start + n; i++) s += x[i];
  return s / n;
}

/** Population standard deviation, two-pass so that a constant window gives exactly 0. */
function std(x: Float64Array, start: number, n: number, m: number): number {
  let s = 0;
  for (let i = start; i < start + n; i++) {
    const d = x[i] - m;
    s += d * d;
  }
  return Math.sqrt(s / n);
}

function max(x: Float64Array, start: number, n: number): number {
  let v = -Infinity;
  for (let i = start; i < start + n; i++) if (x[i] > v) v = x[i];
  return v;
}

function min(x: Float64Array, start: number, n: number): number {
  let v = Infinity;
  for (let i = start; i < start + n; i++) if (x[i] < v) v = x[i];
  return v;
}

/** Compute the features of samples [start, start + n) into out[offset .. offset + N_WINDOW_FEATURES). */
export function windowFeaturesInto(ch: WindowChannels, start: number, n: number, out: Float64Array, offset: number): void {
  if (n <= 0) throw new DataError(`windowFeaturesInto: window length ${n} must be positive`);
  const rpmMean = mean(ch.rpm, start, n);
  let pf = 0;
  for (let i = start; i < start + n; i++) pf += ch.rpm[i] * ch.load[i];
  const throttleMean = mean(ch.throttle, start, n);
  const speedMean = mean(ch.speed_kmh, start, n);
  const accelMean = mean(ch.accel_mps2, start, n);
  out[offset] = rpmMean;
  out[offset + 1] = std(ch.rpm, start, n, rpmMean);
  out[offset + 2] = max(ch.rpm, start, n) - min(ch.rpm, start, n);
  out[offset + 3] = pf / n;
  out[offset + 4] = throttleMean;
  out[offset + 5] = std(ch.throttle, start, n, throttleMean);
  out[offset + 6] = mean(ch.load, start, n);
  out[offset + 7] = max(ch.load, start, n);
  out[offset + 8] = speedMean;
  out[offset + 9] = std(ch.speed_kmh, start, n, speedMean);
  out[offset + 10] = std(ch.accel_mps2, start, n, accelMean);
  out[offset + 11] = max(ch.accel_mps2, start, n);
  out[offset + 12] = min(ch.accel_mps2, start, n);
  out[offset + 13] = mean(ch.brake, start, n);
}

/** Windows of a series: features row-major, and for each window its group and end sample (exclusive). */
export interface SlidingWindows {
  nRows: number;
  nCols: number;
  values: Float64Array;
  /** Group (e.g. trip id) of each window. */
  group: Int32Array;
  /** Index one past the window's last sample. */
  end: Int32Array;
}

/**
 * Full windows of `windowSamples` samples every `stepSamples` samples, never crossing a change of
 * `group` (windows of a group end at groupStart + windowSamples + k * stepSamples).
 */
export function slidingWindows(ch: WindowChannels, group: ArrayLike<number>, windowSamples: number, stepSamples: number): SlidingWindows {
  if (!(Number.isInteger(windowSamples) && windowSamples >= 1)) throw new ConfigError(`slidingWindows: windowSamples = ${windowSamples} must be a positive integer`);
  if (!(Number.isInteger(stepSamples) && stepSamples >= 1)) throw new ConfigError(`slidingWindows: stepSamples = ${stepSamples} must be a positive integer`);
  const n = ch.rpm.length;
  for (const name of WINDOW_CHANNELS) if (ch[name].length !== n) throw new DataError(`slidingWindows: channel ${name} has ${ch[name].length} samples, rpm has ${n}`);
  if (group.length !== n) throw new DataError(`slidingWindows: group has ${group.length} entries, channels have ${n}`);
  // Count first so the output is allocated once.
  let count = 0;
  for (let s = 0; s < n; ) {
    let e = s;
    while (e < n && group[e] === group[s]) e++;
    if (e - s >= windowSamples) count += Math.floor((e - s - windowSamples) / stepSamples) + 1;
    s = e;
  }
  const p = N_WINDOW_FEATURES;
  const values = new Float64Array(count * p);
  const groups = new Int32Array(count);
  const ends = new Int32Array(count);
  let w = 0;
  for (let s = 0; s < n; ) {
    let e = s;
    while (e < n && group[e] === group[s]) e++;
    for (let end = s + windowSamples; end <= e; end += stepSamples) {
      windowFeaturesInto(ch, end - windowSamples, windowSamples, values, w * p);
      groups[w] = group[s];
      ends[w] = end;
      w++;
    }
    s = e;
  }
  return { nRows: count, nCols: p, values, group: groups, end: ends };
}
