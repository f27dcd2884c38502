/**
 * Settings of a controlled sampling trial: the arms, the grid of review budgets, regression hazard
 * ratios and scopes, the detectors and the design tuning. One zod schema is the source of truth.
 */
import { z } from "zod";
import { ROAD_TYPES } from "../simulate/fleet.js";

/** The sampling designs compared, in order; the first is the reference arm of paired differences. */
export const ARMS = ["uniform", "stratified", "importance", "adaptive"] as const;
/** A sampling arm. */
export type ArmName = (typeof ARMS)[number];

/** Where a regression acts: every trip, or the trips on one road type. */
export const SCOPES = ["fleet", ...ROAD_TYPES] as const;
/** A regression scope. */
export type Scope = (typeof SCOPES)[number];

/** Settings of a trial. */
export const TrialSettingsSchema = z
  .object({
    /** Replicates (independent outcome worlds with their own regression onset). */
    replicates: z.number().int().min(1).max(100_000).default(200),
    /** Share of each day's trips that can be reviewed (expected sample size / trips). */
    budgets: z.array(z.number().gt(0).max(1)).min(1).default([0.02, 0.05]),
    /** Hazard ratios of the injected regression. */
    hazardRatios: z.array(z.number().gt(1).max(100)).min(1).default([1.5, 2]),
    /** Regression scopes. */
    scopes: z.array(z.enum(SCOPES)).min(1).default(["fleet"]),
    regression: z
      .object({
        durationDays: z.number().int().min(1).default(14),
        /** Onset drawn uniformly from [onsetMin, onsetMax] (monitoring days). */
        onsetMin: z.number().int().min(0).default(15),
        onsetMax: z.number().int().min(0).default(35),
      })
      .strict()
      .prefault({}),
    detection: z
      .object({
        /** Alerts up to this many days after the regression ends still count as detections. */
        graceDays: z.number().int().min(0).default(7),
        /** Poisson CUSUM tuned to this rate ratio, threshold set for the in-control ARL0 below. */
        cusumHazardRatio: z.number().gt(1).default(1.5),
        /** In-control average run length in days (the same for every arm: equal false-alarm budgets). */
        arl0: z.number().gt(1).default(365),
        /** BOCPD (Poisson-Gamma on observed vs design-expected events) alongside the CUSUM. */
        bocpd: z.boolean().default(true),
        /** BOCPD constant hazard (prior change probability per day). */
        bocpdHazard: z.number().gt(0).lt(1).default(0.01),
        /** Gamma(shape, shape) prior on the rate ratio of a segment (mean 1). */
        bocpdPriorShape: z.number().positive().default(2),
        /** Alarm when P(rate ratio > this | data) reaches bocpdProbability. */
        bocpdRatio: z.number().gt(0).default(1.5),
        bocpdProbability: z.number().gt(0).lt(1).default(0.9),
        /** Alarm days before a BOCPD episode alerts. */
        bocpdPersistence: z.number().int().min(1).default(2),
      })
      .strict()
      .prefault({}),
    design: z
      .object({
        /** Importance design: floor on the risk score as a share of its mean (bounds weights at ~1/floor x uniform). */
        importanceFloor: z.number().min(0).max(1).default(0.1),
        /** Importance design: inclusion proportional to risk^exponent (1 = proportional to risk). */
        importanceExponent: z.number().min(0).max(2).default(1),
        /** Stratified design: strata are quantile bands of the predicted risk. */
        strata: z.number().int().min(1).max(50).default(5),
        /** Stratified allocation: neyman (S_h = sqrt(mean risk), the Poisson SD) or proportional. */
        allocation: z.enum(["neyman", "proportional"]).default("neyman"),
        /** Adaptive design: share of the budget kept uniform (defensive mixture). */
        adaptiveDefensive: z.number().min(0).max(1).default(0.2),
        /** Adaptive design: memory (days) of the exponentially weighted cross-entropy statistics. */
        adaptiveMemoryDays: z.number().positive().default(7),
        /** Adaptive design: prior pseudo-events pulling each group's multiplier toward 1. */
        adaptivePrior: z.number().positive().default(3),
      })
      .strict()
      .prefault({}),
    /** Interval level of rate estimates and bootstrap intervals. */
    confidence: z.number().gt(0).lt(1).default(0.95),
    /** Bootstrap resamples (over replicates) of paired differences. */
    bootstrap: z.number().int().min(10).max(100_000).default(1000),
  })
  .strict();

/** Trial settings as written by a user. */
export type TrialSettingsInput = z.input<typeof TrialSettingsSchema>;
/** Trial settings with defaults applied. */
export type TrialSettings = z.output<typeof TrialSettingsSchema>;

/** Metrics recorded per replicate, grid cell and arm (in this order). */
export const REPLICATE_METRICS = [
  "cusum_detected",
  "cusum_delay",
  "cusum_false_alarms",
  "bocpd_detected",
  "bocpd_delay",
  "bocpd_false_alarms",
  "monitored_days",
  "ht_rel_error",
  "ht_covered",
  "ht_rel_width",
  "hajek_rel_error",
  "hajek_covered",
  "sampled_trips",
  "sampled_events",
  "expected_sampled_events",
  "oe_in_control",
  "max_weight_share",
  "kish_ess",
  "truth_events",
  "onset",
] as const;
/** A per-replicate metric. */
export type ReplicateMetric = (typeof REPLICATE_METRICS)[number];

/** One point of the budget x hazard ratio x scope grid. */
export interface Cell {
  readonly index: number;
  readonly budget: number;
  readonly hazardRatio: number;
  readonly scope: Scope;
  /** Short label, e.g. "b0.02_hr2_fleet". */
  readonly key: string;
}

/** The grid cells in storage order (scope, then hazard ratio, then budget). */
export function trialCells(settings: Pick<TrialSettings, "budgets" | "hazardRatios" | "scopes">): Cell[] {
  const out: Cell[] = [];
  for (const scope of settings.scopes) {
    for (const hazardRatio of settings.hazardRatios) {
      for (const budget of settings.budgets) {
        out.push({ index: out.length, budget, hazardRatio, scope, key: `b${budget}_hr${hazardRatio}_${scope}` });
      }
    }
  }
  return out;
}
