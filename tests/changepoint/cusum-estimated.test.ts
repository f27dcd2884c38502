import { describe, expect, it } from "vitest";
import { poissonCusumReference } from "../../lib/changepoint/cusum.js";
import { chooseCusumThreshold, poissonCusumArl } from "../../lib/changepoint/cusum-arl.js";
import {
  chooseCusumThresholdExpected,
  chooseCusumThresholdGuaranteed,
  warmupRateEstimate,
} from "../../lib/changepoint/cusum-estimated.js";
import { ConfigError } from "../../lib/errors.js";
import { createRng } from "../../lib/util/random.js";

const HR = 1.5;
const ARL0 = 365;
const NOMINAL = 1000 / ARL0; // false alarms per 1000 days of a chart that restarts after each alarm

describe("CUSUM thresholds with an estimated in-control rate", () => {
  it("h(s) of the bootstrap charts decreases in the warm-up count s (what the exact quantile relies on)", () => {
    let previous = Infinity;
    for (let s = 40; s <= 90; s += 5) {
      const h = chooseCusumThreshold({ lambda0: s / 30, hr: HR, exposure: 1, arl0: ARL0, rate: 2 }, { maxStates: 300 }).h;
      expect(h).toBeLessThan(previous);
      previous = h;
    }
  });

  it("bad settings are ConfigErrors naming the key", () => {
    const base = { hr: HR, exposure: 1, arl0: ARL0, warmupEvents: 60, warmupExposure: 30 };
    expect(() => chooseCusumThresholdGuaranteed(base, { alpha: 1 })).toThrow(/invalid alpha: 1/);
    expect(() => chooseCusumThresholdExpected({ ...base, warmupEvents: 2.5 })).toThrow(ConfigError);
    expect(() => chooseCusumThresholdExpected({ ...base, warmupExposure: 0 })).toThrow(/invalid warmupExposure: 0/);
    expect(() => chooseCusumThresholdExpected({ ...base, arl0: 1e20 })).toThrow(/maximum supported/);
    expect(warmupRateEstimate(0, 30)).toBeCloseTo(0.5 / 30, 15);
  });

  // A seeded simulation of the whole procedure: the in-control rate (2 events a day, exposure 1 a
  // day) is estimated from a 30-day warm-up, the threshold chosen by each method, and the chart run
  // on 1000 in-control days, restarting after each alarm. 500 replicates; the interval is the mean
  // false-alarm rate +/- 1.96 standard errors over replicates (the estimate varies between them, so
  // that is the right unit of replication).
  it("seeded simulation: plug-in exceeds the nominal false-alarm rate, the estimation-aware thresholds do not", () => {
    const truth = 2;
    const warmupDays = 30;
    const days = 1000;
    const replicates = 500;
    const rng = createRng(20260);
    type Method = "plugIn" | "expected" | "guaranteed";
    const cache = new Map<number, Record<Method, number>>();
    const conditionalArl = new Map<number, number>();
    const thresholds = (S: number): Record<Method, number> => {
      let t = cache.get(S);
      if (!t) {
        const setting = { hr: HR, exposure: 1, arl0: ARL0, warmupEvents: S, warmupExposure: warmupDays };
        const g = chooseCusumThresholdGuaranteed(setting, { alpha: 0.1, maxStates: 200 });
        t = { plugIn: g.plugInH, expected: chooseCusumThresholdExpected(setting).h, guaranteed: g.h };
        cache.set(S, t);
      }
      return t;
    };
    const methods: Method[] = ["plugIn", "expected", "guaranteed"];
    const perReplicate: Record<Method, number[]> = { plugIn: [], expected: [], guaranteed: [] };
    let guaranteedMet = 0;
    for (let r = 0; r < replicates; r++) {
      let S = 0;
      for (let d = 0; d < warmupDays; d++) S += rng.poisson(truth);
      const lambda0 = warmupRateEstimate(S, warmupDays);
      const k = poissonCusumReference(lambda0, HR);
      const h = thresholds(S);
      const stats: Record<Method, number> = { plugIn: 0, expected: 0, guaranteed: 0 };
      const alarms: Record<Method, number> = { plugIn: 0, expected: 0, guaranteed: 0 };
      for (let d = 0; d < days; d++) {
        const x = rng.poisson(truth);
        for (const m of methods) {
          stats[m] = Math.max(0, stats[m] + x - k);
          if (stats[m] >= h[m]) {
            alarms[m]++;
            stats[m] = 0;
          }
        }
      }
      for (const m of methods) perReplicate[m].push((1000 * alarms[m]) / days);
      if (r < 100) {
        // The guarantee is about the conditional ARL0 (exact chain at the true rate) of each replicate.
        let arl = conditionalArl.get(S);
        if (arl === undefined) {
          arl = poissonCusumArl({ lambda0, hr: HR, exposure: 1, h: h.guaranteed, rate: truth }, { maxStates: 200 });
          conditionalArl.set(S, arl);
        }
        if (arl >= ARL0) guaranteedMet++;
      }
    }
    const summary = (v: number[]): { mean: number; lo: number; hi: number } => {
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1));
      const half = (1.96 * sd) / Math.sqrt(v.length);
      return { mean, lo: mean - half, hi: mean + half };
    };
    const plugIn = summary(perReplicate.plugIn);
    const expected = summary(perReplicate.expected);
    const guaranteed = summary(perReplicate.guaranteed);
    // The known estimated-parameter effect: the plug-in chart alarms far more often than nominal.
    expect(plugIn.lo).toBeGreaterThan(1.5 * NOMINAL);
    // Matching the expected alarm rate brings it back to nominal: the interval covers (or is below)
    // nominal and the estimate is within 25% of it.
    expect(expected.lo).toBeLessThan(NOMINAL);
    expect(Math.abs(expected.mean / NOMINAL - 1)).toBeLessThan(0.25);
    // The guaranteed-performance threshold is below nominal, and its ARL0 reaches the target in
    // about 1 - alpha = 90% of replicates (>= 80% of 100 allows for the sampling error).
    expect(guaranteed.hi).toBeLessThan(NOMINAL);
    expect(guaranteedMet).toBeGreaterThanOrEqual(80);
    if (process.env.CHANGEPOINT_VERBOSE) console.log({ plugIn, expected, guaranteed, guaranteedMet, nominal: NOMINAL, distinct: cache.size });
  });
});
