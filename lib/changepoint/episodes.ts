/**
 * Regression episodes from any detector's per-day signal (a probability such as P(HR > 1.5 | data),
 * a change probability, or a 0/1 alarm series): days at or above a threshold form runs, runs
 * separated by short gaps merge, and an episode raises its alert once it has lasted `persistence`
 * alarm days. Pure functions of plain arrays, so every detector is judged by the same rule.
 */
import { ConfigError, DataError } from "../errors.js";

/** One regression episode. */
export interface Episode {
  /** First alarm day. */
  readonly start: number;
  /** Last alarm day (inclusive). */
  readonly end: number;
  /** Day the alert is raised (the persistence-th alarm day of the episode). */
  readonly alertDay: number;
  /** Largest signal value within the episode. */
  readonly peak: number;
}

/** How a signal becomes episodes. */
export interface EpisodeOptions {
  /** Alarm when signal >= threshold (default 0.5). */
  readonly threshold?: number;
  /** Alarm runs separated by at most this many quiet days merge into one episode (default 0). */
  readonly mergeGap?: number;
  /** Alarm days needed before the episode alerts (default 1). */
  readonly persistence?: number;
}

/** Extract episodes from a per-day signal. */
export function extractEpisodes(signal: ArrayLike<number>, options: EpisodeOptions = {}): Episode[] {
  const threshold = options.threshold ?? 0.5;
  const mergeGap = options.mergeGap ?? 0;
  const persistence = options.persistence ?? 1;
  if (!Number.isFinite(threshold)) throw new ConfigError(`invalid threshold: ${threshold}`);
  if (!Number.isInteger(mergeGap) || mergeGap < 0) throw new ConfigError(`invalid mergeGap: ${mergeGap}`);
  if (!Number.isInteger(persistence) || persistence < 1) throw new ConfigError(`invalid persistence: ${persistence}`);
  const out: Episode[] = [];
  let start = -1;
  let end = -1;
  let alarmDays = 0;
  let alertDay = -1;
  let peak = -Infinity;
  const close = (): void => {
    if (start >= 0 && alertDay >= 0) out.push({ start, end, alertDay, peak });
    start = -1;
    alarmDays = 0;
    alertDay = -1;
    peak = -Infinity;
  };
  for (let t = 0; t < signal.length; t++) {
    const v = signal[t];
    if (Number.isNaN(v)) throw new DataError(`signal[${t}] is NaN`);
    if (v >= threshold) {
      if (start >= 0 && t - end - 1 > mergeGap) close();
      if (start < 0) start = t;
      end = t;
      alarmDays++;
      if (alarmDays === persistence) alertDay = t;
      if (v > peak) peak = v;
    }
  }
  close();
  return out;
}
