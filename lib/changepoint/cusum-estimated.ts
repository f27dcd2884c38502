/**
 * Poisson CUSUM thresholds that account for an estimated in-control rate.
 *
 * A chart built from lambda0-hat = S / E (S events over a warm-up exposure E) and given the threshold
 * whose ARL0 reaches the target *at lambda0-hat* (the plug-in threshold) raises more false alarms
 * than nominal on average: the ARL0 is convex and steep in the estimation error, so under-estimates
 * of the rate cost far more in-control run length than over-estimates give back (Jones, Champ &
 * Rigdon 2004, "The run length distribution of the CUSUM with estimated parameters", JQT 36).
 *
 * Gandy & Kvaloy (2013, "Guaranteed conditional performance of control charts via bootstrap
 * methods", Scand. J. Statist. 40) choose instead the threshold h such that the chart's conditional
 * ARL0 (given the estimate) reaches the target with probability 1 - alpha. Their bootstrap: in a
 * world where the truth is lambda0-hat, redraw the warm-up (S* ~ Poisson(lambda0-hat E)), build the
 * chart from lambda* = S* / E, find the threshold h(S*) whose ARL0 at truth lambda0-hat reaches the
 * target, and take the (1 - alpha) quantile of h(S*).
 *
 * Here the parameter is one Poisson count, so that bootstrap needs no resampling: h(s) decreases in
 * s (a higher estimated rate gives a higher reference value, hence fewer alarms, hence a lower h
 * for the same ARL0; tests/changepoint/cusum-estimated.test.ts checks it), so the (1 - alpha) quantile
 * of h(S*) is h at the alpha quantile of S*: one exact threshold computation, no Monte Carlo noise.
 *
 * The guarantee is strong and costly: with 60 warm-up events and HR 1.5, alpha = 0.1 more than
 * doubles the plug-in threshold. The second method, "expected", targets what a false-alarm rate per
 * 1000 days measures instead: the same bootstrap law, but h is chosen so that the *expected* alarm
 * rate E*[1 / ARL0(h; chart from lambda*, truth lambda0-hat)] equals 1 / target (for a chart that
 * restarts after each alarm, 1 / ARL0 is its long-run alarm rate). That is Gandy & Kvaloy's bootstrap
 * bias correction applied to the alarm rate; the expectation is an exact sum over the Poisson law
 * of S*, binned into at most `points` groups of consecutive counts.
 */
import { ConfigError } from "../errors.js";
import { chooseCusumThreshold, cusumArlCurve, type CusumArlOptions, type CusumThreshold } from "./cusum-arl.js";
import { poissonCusumReference } from "./cusum.js";
import { lgamma } from "./special.js";

/** The chart to tune and the warm-up that estimated its in-control rate. */
export interface CusumEstimatedSetting {
  /** Rate ratio the CUSUM is tuned to detect (> 1). */
  readonly hr: number;
  /** Exposure per monitored day (assumed constant for the ARL; default 1). */
  readonly exposure?: number;
  /** Target in-control average run length (days). */
  readonly arl0: number;
  /** Events observed during the warm-up. */
  readonly warmupEvents: number;
  /** Exposure of the warm-up (same units as exposure). */
  readonly warmupExposure: number;
}

/** Options of the guaranteed-performance threshold. */
export interface CusumGuaranteedOptions extends CusumArlOptions {
  /** The conditional ARL0 reaches the target with probability >= 1 - alpha (default 0.1). */
  readonly alpha?: number;
}

/**
 * A threshold chosen for an estimated in-control rate. Its `arl0` is, for "guaranteed", the ARL0 of
 * the bootstrap chart at the alpha quantile (>= target); for "expected", 1 / the expected alarm rate.
 */
export interface CusumEstimatedThreshold extends CusumThreshold {
  readonly method: "guaranteed" | "expected";
  /** The estimate the chart is built from: warmupEvents / warmupExposure (0.5 events if none). */
  readonly lambda0: number;
  /** The plug-in threshold (ARL0 at the estimate = target; same lattice size), for comparison. */
  readonly plugInH: number;
  /** "guaranteed": the warm-up count at the alpha quantile of its bootstrap law, whose threshold was taken. */
  readonly bootstrapEvents?: number;
  /** "guaranteed": the alpha used. */
  readonly alpha?: number;
}

/**
 * The in-control rate estimate of a warm-up: events / exposure, with half an event when there were
 * none (a chart needs a positive rate; the bootstrap uses the same rule, so they stay consistent).
 */
export function warmupRateEstimate(events: number, exposure: number): number {
  if (!(events >= 0) || !Number.isInteger(events)) throw new ConfigError(`invalid warmupEvents: ${events} (must be an integer >= 0)`);
  if (!(exposure > 0) || !Number.isFinite(exposure)) throw new ConfigError(`invalid warmupExposure: ${exposure} (must be > 0)`);
  return (events === 0 ? 0.5 : events) / exposure;
}

// Largest s with P(S <= s - 1) <= alpha for S ~ Poisson(mu): the alpha quantile in the sense the
// quantile of the decreasing h(S) needs (P(S >= s) >= 1 - alpha).
function lowerPoissonQuantile(mu: number, alpha: number): number {
  let cdf = 0;
  const logMu = Math.log(mu);
  for (let s = 0; ; s++) {
    // P(S <= s - 1) is cdf before adding s.
    const next = cdf + Math.exp(s * logMu - mu - lgamma(s + 1));
    if (next > alpha) return s;
    cdf = next;
    if (s > mu + 50 * Math.sqrt(mu) + 50) return s; // unreachable for alpha < 1; guards the loop
  }
}

/**
 * Choose the Poisson CUSUM threshold for an estimated in-control rate so that the chart's conditional
 * ARL0 reaches the target with probability 1 - alpha (Gandy & Kvaloy 2013, exact parametric bootstrap).
 */
export function chooseCusumThresholdGuaranteed(
  setting: CusumEstimatedSetting,
  options: CusumGuaranteedOptions = {},
): CusumEstimatedThreshold {
  const alpha = options.alpha ?? 0.1;
  if (!(alpha > 0 && alpha < 1)) throw new ConfigError(`invalid alpha: ${alpha} (must be in (0, 1))`);
  const lambda0 = warmupRateEstimate(setting.warmupEvents, setting.warmupExposure);
  const e = setting.exposure ?? 1;
  const arlOptions: CusumArlOptions = { maxStates: options.maxStates, resolution: options.resolution };
  const plugIn = chooseCusumThreshold({ lambda0, hr: setting.hr, exposure: e, arl0: setting.arl0 }, arlOptions);
  const s = lowerPoissonQuantile(lambda0 * setting.warmupExposure, alpha);
  const lambdaStar = warmupRateEstimate(s, setting.warmupExposure);
  // The chart built from lambda* must reach the target when the truth is lambda0-hat.
  const h = chooseCusumThreshold({ lambda0: lambdaStar, hr: setting.hr, exposure: e, arl0: setting.arl0, rate: lambda0 }, arlOptions);
  return { ...h, method: "guaranteed", lambda0, plugInH: plugIn.h, bootstrapEvents: s, alpha };
}

/** Options of the expected-alarm-rate threshold. */
export interface CusumExpectedOptions {
  /** Largest number of lattice states per chart (default 160; the cost grows as its cube, per point). */
  readonly maxStates?: number;
  /** Bootstrap support points (groups of consecutive warm-up counts; default 24). */
  readonly points?: number;
}

/**
 * Choose the Poisson CUSUM threshold for an estimated in-control rate so that the expected alarm
 * rate over the estimate's bootstrap law equals 1 / arl0 (bootstrap bias correction, see the file comment).
 */
export function chooseCusumThresholdExpected(
  setting: CusumEstimatedSetting,
  options: CusumExpectedOptions = {},
): CusumEstimatedThreshold {
  const lambda0 = warmupRateEstimate(setting.warmupEvents, setting.warmupExposure);
  const e = setting.exposure ?? 1;
  const E = setting.warmupExposure;
  const target = setting.arl0;
  const maxStates = options.maxStates ?? 160;
  const maxPoints = options.points ?? 24;
  if (!Number.isInteger(maxPoints) || maxPoints < 1) throw new ConfigError(`invalid points: ${maxPoints} (must be an integer >= 1)`);
  // Validates hr and arl0 (and fails fast on an unreachable arl0) before the bootstrap work.
  const plugIn = chooseCusumThreshold({ lambda0, hr: setting.hr, exposure: e, arl0: target }, { maxStates });
  poissonCusumReference(lambda0, setting.hr);

  // Bootstrap law of the warm-up count, S* ~ Poisson(lambda0-hat E), on [q(1e-10), q(1 - 1e-10)].
  const mu = lambda0 * E;
  const logMu = Math.log(mu);
  const lo = Math.max(0, Math.floor(mu - 8 * Math.sqrt(mu) - 10));
  const hiS = Math.ceil(mu + 8 * Math.sqrt(mu) + 10);
  const ss: number[] = [];
  const ws: number[] = [];
  for (let s = lo; s <= hiS; s++) {
    const w = Math.exp(s * logMu - mu - lgamma(s + 1));
    if (w > 1e-10) {
      ss.push(s);
      ws.push(w);
    }
  }
  // Group consecutive counts into at most maxPoints bins; a bin is its weighted mean rate.
  const per = Math.ceil(ss.length / maxPoints);
  const rates: number[] = [];
  const weights: number[] = [];
  let totalW = 0;
  for (let i = 0; i < ss.length; i += per) {
    let w = 0;
    let wr = 0;
    for (let j = i; j < Math.min(ss.length, i + per); j++) {
      w += ws[j];
      wr += ws[j] * warmupRateEstimate(ss[j], E);
    }
    rates.push(wr / w);
    weights.push(w);
    totalW += w;
  }
  const rateOf = 1 / target;
  // Bracket on a common lattice, widening it until the expected rate at its top is below target.
  let hMax = 2 * plugIn.h;
  for (let attempt = 0; ; attempt++) {
    const m = Math.max(1, Math.floor(maxStates / hMax));
    const N = Math.ceil(hMax * m);
    const curves = rates.map((r) => cusumArlCurve({ lambda0: r, hr: setting.hr, exposure: e, rate: lambda0 }, m, N));
    const expectedRate = (n: number): number => {
      let f = 0;
      for (let i = 0; i < curves.length; i++) f += weights[i] / curves[i](n);
      return f / totalW;
    };
    if (expectedRate(N) > rateOf) {
      if (attempt >= 6) {
        throw new ConfigError(`arl0 ${target}: no threshold up to ${hMax} events gives an expected alarm rate of 1/${target} with warm-up ${setting.warmupEvents} events over ${E}`);
      }
      hMax *= 2;
      continue;
    }
    let a = 1;
    let b = N;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (expectedRate(mid) <= rateOf) b = mid;
      else a = mid + 1;
    }
    return { h: a / m, arl0: 1 / expectedRate(a), resolution: m, method: "expected", lambda0, plugInH: plugIn.h };
  }
}
