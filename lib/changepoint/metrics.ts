/**
 * Detection metrics of episodes against injected ground truth, the same for every detector:
 * the delay of the first alert inside each true regression window, mean time to detection (MTTD)
 * with a seeded percentile-bootstrap interval, missed regressions, and false alarms per 1000
 * monitored (in-control) days.
 */
import { ConfigError } from "../errors.js";
import type { Rng } from "../util/random.js";

/** A true regression: days start..end inclusive. */
export interface Regression {
  readonly start: number;
  readonly end: number;
}

/** Settings of the detection metrics. */
export interface DetectionOptions {
  /** Number of days monitored (the length of the series). */
  readonly days: number;
  /** Alerts up to this many days after a regression's end still count as detecting it (default 0). */
  readonly grace?: number;
  /** Bootstrap resamples of the MTTD interval (default 2000). */
  readonly bootstrap?: number;
  /** Interval level (default 0.95). */
  readonly level?: number;
}

/** The detection table row of one detector. */
export interface DetectionMetrics {
  /** Delay (alert day - start) per regression, NaN when missed. */
  readonly delays: Float64Array;
  readonly detected: number;
  readonly missed: number;
  /** Mean delay over detected regressions (NaN if none). */
  readonly mttd: number;
  /** Percentile-bootstrap interval of the MTTD over detected regressions. */
  readonly mttdLower: number;
  readonly mttdUpper: number;
  /** Alerts outside every regression window (plus grace). */
  readonly falseAlarms: number;
  /** Days outside every regression window (plus grace). */
  readonly monitoredDays: number;
  readonly falseAlarmsPer1000Days: number;
}

/** Mean of the values and its seeded percentile-bootstrap interval. */
export function bootstrapMean(
  values: ArrayLike<number>,
  rng: Rng,
  options: { resamples?: number; level?: number } = {},
): { mean: number; lower: number; upper: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, lower: NaN, upper: NaN };
  const B = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(B) || B < 1) throw new ConfigError(`invalid bootstrap resamples: ${B}`);
  if (!(level > 0 && level < 1)) throw new ConfigError(`invalid level: ${level}`);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  const means = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[rng.int(n)];
    means[b] = s / n;
  }
  means.sort();
  const tail = (1 - level) / 2;
  const at = (p: number): number => means[Math.min(B - 1, Math.max(0, Math.round(p * (B - 1))))];
  return { mean, lower: at(tail), upper: at(1 - tail) };
}

/** Score alert days against true regressions: delays, MTTD (bootstrap interval), misses, false alarms. */
export function detectionMetrics(
  alertDays: ArrayLike<number>,
  truth: readonly Regression[],
  options: DetectionOptions,
  rng: Rng,
): DetectionMetrics {
  const days = options.days;
  const grace = options.grace ?? 0;
  if (!Number.isInteger(days) || days < 0) throw new ConfigError(`invalid days: ${days}`);
  if (!Number.isInteger(grace) || grace < 0) throw new ConfigError(`invalid grace: ${grace}`);
  truth.forEach((r, i) => {
    if (!(Number.isInteger(r.start) && Number.isInteger(r.end) && r.start <= r.end)) {
      throw new ConfigError(`invalid truth[${i}]: start ${r.start}, end ${r.end}`);
    }
  });
  const alerts = Float64Array.from(alertDays).sort();
  const delays = new Float64Array(truth.length).fill(NaN);
  const covered = new Uint8Array(days);
  truth.forEach((r, i) => {
    const hi = r.end + grace;
    for (let d = Math.max(0, r.start); d <= Math.min(days - 1, hi); d++) covered[d] = 1;
    for (let k = 0; k < alerts.length; k++) {
      if (alerts[k] >= r.start && alerts[k] <= hi) {
        delays[i] = alerts[k] - r.start;
        break;
      }
    }
  });
  let falseAlarms = 0;
  for (let k = 0; k < alerts.length; k++) {
    const a = alerts[k];
    if (a < 0 || a >= days || covered[a] === 0) falseAlarms++;
  }
  let monitoredDays = 0;
  for (let d = 0; d < days; d++) if (covered[d] === 0) monitoredDays++;
  const found: number[] = [];
  for (let i = 0; i < delays.length; i++) if (!Number.isNaN(delays[i])) found.push(delays[i]);
  const boot = bootstrapMean(found, rng, { resamples: options.bootstrap, level: options.level });
  return {
    delays,
    detected: found.length,
    missed: truth.length - found.length,
    mttd: boot.mean,
    mttdLower: boot.lower,
    mttdUpper: boot.upper,
    falseAlarms,
    monitoredDays,
    falseAlarmsPer1000Days: monitoredDays > 0 ? (1000 * falseAlarms) / monitoredDays : NaN,
  };
}
