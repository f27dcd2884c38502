/**
 * The small end-to-end experiment: estimate a rare event rate (critical events per million
 * miles) from seeded simulated fleet exposure, logging the running estimate and its exact
 * (Garwood) and Jeffreys intervals per day, and whether they cover the true rate.
 */
import { z } from "zod";
import gammaQuantile from "@stdlib/stats-base-dists-gamma-quantile";
import { defineExperiment } from "../lib/experiment/definition.js";
import type { Metric } from "../lib/tracking/entities.js";

export const rateEstimateSchema = z.strictObject({
  seed: z.number().int().min(0).max(0xffffffff).default(42),
  days: z.number().int().min(1).max(100_000).default(180),
  vehicles: z.number().int().min(1).max(1_000_000).default(1000),
  /** Mean miles per vehicle per day; daily miles are Gamma with this mean. */
  milesPerVehicleDay: z.number().positive().default(40),
  /** Gamma shape of daily miles (smaller = more variable). */
  milesShape: z.number().positive().default(2),
  /** True critical-event rate per million miles. */
  trueRatePerMillionMiles: z.number().positive().max(1e6).default(2.5),
  /** Two-sided interval level. */
  confidence: z.number().gt(0).lt(1).default(0.95),
});

/** The resolved config of the rate-estimate experiment. */
export type RateEstimateConfig = z.output<typeof rateEstimateSchema>;

/** Exact Poisson (Garwood) interval for `events` over `exposure`. */
export function garwoodInterval(events: number, exposure: number, confidence: number): [number, number] {
  const alpha = 1 - confidence;
  const lower = events === 0 ? 0 : gammaQuantile(alpha / 2, events, 1) / exposure;
  const upper = gammaQuantile(1 - alpha / 2, events + 1, 1) / exposure;
  return [lower, upper];
}

/** Jeffreys interval: quantiles of the Gamma(events + 1/2, exposure) posterior. */
export function jeffreysInterval(events: number, exposure: number, confidence: number): [number, number] {
  const alpha = 1 - confidence;
  const lower = events === 0 ? 0 : gammaQuantile(alpha / 2, events + 0.5, exposure);
  return [lower, gammaQuantile(1 - alpha / 2, events + 0.5, exposure)];
}

export default defineExperiment({
  name: "rate-estimate",
  description: "Estimate a rare Poisson event rate from seeded simulated exposure, with exact and Jeffreys intervals.",
  schema: rateEstimateSchema,
  async run(config, { run, rng, progress, log }) {
    const trueRatePerMile = config.trueRatePerMillionMiles / 1e6;
    const milesScale = config.milesPerVehicleDay / config.milesShape;
    let events = 0;
    let exposure = 0;
    let coveredDays = 0;
    let daysWithEstimate = 0;
    const points: Metric[] = [];
    const csv: string[] = ["day,exposure_miles,events,cumulative_events,rate_per_million,garwood_lower,garwood_upper,jeffreys_lower,jeffreys_upper"];
    const bar = progress("rate-estimate", config.days);
    const timestamp = Date.now();
    for (let day = 0; day < config.days; day++) {
      let dayMiles = 0;
      for (let v = 0; v < config.vehicles; v++) dayMiles += rng.gamma(config.milesShape) * milesScale;
      const dayEvents = rng.poisson(trueRatePerMile * dayMiles);
      events += dayEvents;
      exposure += dayMiles;
      const perMillion = 1e6 / exposure;
      const estimate = events * perMillion;
      const [gLow, gHigh] = garwoodInterval(events, exposure, config.confidence);
      const [jLow, jHigh] = jeffreysInterval(events, exposure, config.confidence);
      const covered = gLow <= trueRatePerMile && trueRatePerMile <= gHigh;
      daysWithEstimate++;
      if (covered) coveredDays++;
      const metrics: Record<string, number> = {
        rate_per_million: estimate,
        garwood_lower: gLow * 1e6,
        garwood_upper: gHigh * 1e6,
        jeffreys_lower: jLow * 1e6,
        jeffreys_upper: jHigh * 1e6,
        cumulative_events: events,
        exposure_million_miles: exposure / 1e6,
        covered: covered ? 1 : 0,
      };
      for (const [key, value] of Object.entries(metrics)) points.push({ key, value, step: day, timestamp });
      csv.push([day, dayMiles.toFixed(3), dayEvents, events, estimate, gLow * 1e6, gHigh * 1e6, jLow * 1e6, jHigh * 1e6].join(","));
      bar.update(day + 1);
    }
    bar.stop();
    await run.logMetricPoints(points);
    const estimate = (events / exposure) * 1e6;
    const [low, high] = garwoodInterval(events, exposure, config.confidence);
    const final = {
      final_rate_per_million: estimate,
      final_relative_error: (estimate - config.trueRatePerMillionMiles) / config.trueRatePerMillionMiles,
      final_interval_width: (high - low) * 1e6,
      final_covers_truth: low <= trueRatePerMile && trueRatePerMile <= high ? 1 : 0,
      running_coverage: coveredDays / daysWithEstimate,
      total_events: events,
      total_million_miles: exposure / 1e6,
    };
    await run.logMetrics(final, config.days);
    await run.logText(csv.join("\n") + "\n", "daily.csv");
    await run.logJson({ config, ...final, interval: [low * 1e6, high * 1e6] }, "summary.json");
    const lines = [
      `true rate            ${config.trueRatePerMillionMiles.toFixed(3)} per million miles`,
      `estimate             ${estimate.toFixed(3)} per million miles (${events} events over ${(exposure / 1e6).toFixed(2)} M miles)`,
      `${(config.confidence * 100).toFixed(0)}% exact interval   [${(low * 1e6).toFixed(3)}, ${(high * 1e6).toFixed(3)}] ${final.final_covers_truth ? "covers" : "MISSES"} the truth`,
    ];
    for (const line of lines) log(line);
    return { metrics: final, lines };
  },
});
