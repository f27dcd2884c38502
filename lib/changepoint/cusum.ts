/**
 * Upper Poisson CUSUM for a rate increase from lambda0 to lambda1 = hr * lambda0 with a daily
 * exposure: S_t = max(0, S_{t-1} + x_t - k e_t) with the reference value
 * k = lambda0 (hr - 1) / log(hr), i.e. the log likelihood ratio divided by log(hr), so S is in
 * units of events. An alarm is raised when S_t >= h (Lucas 1985, "Counted data CUSUM's").
 */
import { ConfigError } from "../errors.js";
import { validateCounts } from "./validate.js";

/** Settings of a Poisson CUSUM. */
export interface PoissonCusumOptions {
  /** In-control rate (events per unit exposure). */
  readonly lambda0: number;
  /** Rate ratio to detect (> 1); lambda1 = hr * lambda0. */
  readonly hr: number;
  /** Decision threshold in events (see chooseCusumThreshold). */
  readonly h: number;
  /** Restart the statistic at 0 after an alarm (default true). */
  readonly restart?: boolean;
}

/** Statistic and alarms of a Poisson CUSUM over a series. */
export interface PoissonCusumResult {
  readonly statistic: Float64Array;
  /** 1 on alarm days. */
  readonly alarm: Uint8Array;
  /** Indices of alarm days. */
  readonly alarmDays: Int32Array;
  /** The reference value k per unit exposure. */
  readonly reference: number;
}

/** Reference value k = lambda0 (hr - 1) / log(hr) of the Poisson CUSUM. */
export function poissonCusumReference(lambda0: number, hr: number): number {
  if (!(lambda0 > 0) || !Number.isFinite(lambda0)) throw new ConfigError(`invalid lambda0: ${lambda0} (must be > 0)`);
  if (!(hr > 1) || !Number.isFinite(hr)) throw new ConfigError(`invalid hr: ${hr} (must be > 1)`);
  return (lambda0 * (hr - 1)) / Math.log(hr);
}

/** Run the upper Poisson CUSUM over counts with exposure (default 1 per day). */
export function poissonCusum(
  counts: ArrayLike<number>,
  exposure: ArrayLike<number> | undefined,
  options: PoissonCusumOptions,
): PoissonCusumResult {
  const series = validateCounts(counts, exposure);
  const k = poissonCusumReference(options.lambda0, options.hr);
  const h = options.h;
  if (!(h > 0) || !Number.isFinite(h)) throw new ConfigError(`invalid h: ${h} (must be > 0)`);
  const restart = options.restart ?? true;
  const n = series.counts.length;
  const statistic = new Float64Array(n);
  const alarm = new Uint8Array(n);
  const days: number[] = [];
  let s = 0;
  for (let t = 0; t < n; t++) {
    s = Math.max(0, s + series.counts[t] - k * series.exposure[t]);
    statistic[t] = s;
    if (s >= h) {
      alarm[t] = 1;
      days.push(t);
      if (restart) s = 0;
    }
  }
  return { statistic, alarm, alarmDays: Int32Array.from(days), reference: k };
}
