/**
 * Regression episodes from any detector's per-day signal (a probability such as P(HR > 1.5 | data),
 * a change probability, or a 0/1 alarm series): days at or above a threshold form runs, runs
 * separated by short gaps merge, and an episode raises its alert once it has lasted `persistence`
 * alarm days. Pure functions of plain arrays, so every detector is judged by the same rule.
 */
import { ConfigError, DataError } from "../errors.js";
import { gammaPosterior, resolveGammaPrior, type GammaPosteriorSummary, type GammaPrior } from "./gamma-poisson.js";
import { hazardRatioPosterior, type HazardRatioSummary } from "./hazard-ratio.js";
import { validateCounts } from "./validate.js";

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

/** An episode with its rates and hazard ratio against a baseline window. */
export interface AnnotatedEpisode extends Episode {
  /** Rate over the baseline window before the episode. */
  readonly baseline: GammaPosteriorSummary;
  /** Rate over the episode's days start..end. */
  readonly rate: GammaPosteriorSummary;
  /** Posterior of rate / baseline: median, interval, P(HR > threshold). */
  readonly hazardRatio: HazardRatioSummary;
}

/** Settings of annotateEpisodes. */
export interface AnnotateOptions {
  /** Gamma prior on both rates (default: shape 1 centred on the pooled rate of the series). */
  readonly prior?: GammaPrior;
  /** Days before the episode's start used as its baseline (default: all earlier days). */
  readonly baselineDays?: number;
  /** Credible level (default 0.95). */
  readonly level?: number;
  /** HR threshold of pExceed (default 1.5). */
  readonly threshold?: number;
}

/**
 * Attach to each episode the Gamma posteriors of its rate and of a baseline window just before it,
 * and the exact posterior of their hazard ratio (see hazard-ratio.ts).
 */
export function annotateEpisodes(
  episodes: readonly Episode[],
  counts: ArrayLike<number>,
  exposure?: ArrayLike<number>,
  options: AnnotateOptions = {},
): AnnotatedEpisode[] {
  const series = validateCounts(counts, exposure);
  const prior = resolveGammaPrior(options.prior, series);
  const level = options.level ?? 0.95;
  const threshold = options.threshold ?? 1.5;
  const n = series.counts.length;
  const baselineDays = options.baselineDays ?? Infinity;
  if (!(baselineDays >= 1)) throw new ConfigError(`invalid baselineDays: ${baselineDays}`);
  return episodes.map((ep, idx) => {
    if (!(Number.isInteger(ep.start) && Number.isInteger(ep.end) && ep.start >= 0 && ep.end < n && ep.start <= ep.end)) {
      throw new DataError(`episodes[${idx}]: days ${ep.start}..${ep.end} are outside the series of ${n} days`);
    }
    const from = Math.max(0, ep.start - baselineDays);
    let sb = 0;
    let eb = 0;
    for (let t = from; t < ep.start; t++) {
      sb += series.counts[t];
      eb += series.exposure[t];
    }
    let se = 0;
    let ee = 0;
    for (let t = ep.start; t <= ep.end; t++) {
      se += series.counts[t];
      ee += series.exposure[t];
    }
    const baseline = gammaPosterior(sb, eb, prior, level);
    const rate = gammaPosterior(se, ee, prior, level);
    return { ...ep, baseline, rate, hazardRatio: hazardRatioPosterior(baseline, rate, { level, threshold }) };
  });
}
