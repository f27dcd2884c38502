/**
 * Change-point detectors judged by mean time to detection (MTTD): seeded replicates of a daily
 * critical-event series with an injected safety regression, every detector run on every replicate,
 * and one detection table (detection rate, MTTD with a bootstrap interval, missed regressions,
 * false alarms per 1000 monitored days) per detector.
 *
 * The world. One fleet (lib/simulate/fleet.ts, trip level, no built-in regressions) gives each day's
 * exposure (miles) and the expected critical events of its trips, sum(mu_i). Given the trips, a day's
 * critical count is Poisson(sum mu_i), so a replicate draws its counts as
 * Poisson(expected_d * HR_r(d)) with its own fleet-wide regression (onset uniform in a range,
 * configurable duration and hazard ratio): the exact conditional law of the trip-level simulation,
 * at the cost of one Poisson draw per day instead of a fleet per replicate.
 *
 * Detection is sequential, as a daily pipeline would see it: the offline detectors (exact Bayesian
 * product partition, PELT) are refit every day on the data so far and only their verdict about the
 * latest day counts, so their delays are real-time delays and comparable with the online ones (BOCPD,
 * CUSUM). The first `warmupDays` estimate the in-control rate lambda0 and are not monitored.
 * Episodes come from each detector's per-day signal through extractEpisodes (the platform's rule:
 * alarm while P(HR > 1.5 | data) passes a threshold), so every detector is scored by one rule.
 */
import { z } from "zod";
import { defineExperiment } from "../lib/experiment/definition.js";
import { ConfigError } from "../lib/errors.js";
import type { Rng } from "../lib/util/random.js";
import { simulateFleet, fleetDailySeries } from "../lib/simulate/fleet.js";
import { multipleChangepoints } from "../lib/changepoint/multiple-changepoints.js";
import { createBocpd } from "../lib/changepoint/bocpd.js";
import { poissonCusum } from "../lib/changepoint/cusum.js";
import { chooseCusumThreshold } from "../lib/changepoint/cusum-arl.js";
import { chooseCusumThresholdExpected, chooseCusumThresholdGuaranteed } from "../lib/changepoint/cusum-estimated.js";
import { pelt } from "../lib/changepoint/pelt.js";
import { extractEpisodes, type Episode } from "../lib/changepoint/episodes.js";
import { detectionMetrics, type DetectionMetrics, type Regression } from "../lib/changepoint/metrics.js";
import { changeSeriesPlot } from "../lib/plot/changepoint.js";
import { logPlot } from "../lib/plot/artifacts.js";

const episodeRule = {
  /** Alarm runs separated by at most this many quiet days merge into one episode. */
  mergeGap: z.number().int().min(0).default(3),
  /** Alarm days before an episode raises its alert. */
  persistence: z.number().int().min(1).default(1),
};

export const changepointSchema = z.strictObject({
  seed: z.number().int().min(0).max(0xffffffff).default(42),
  /** Seeded replicates (one series each). */
  replicates: z.number().int().min(1).max(100_000).default(40),
  /** Days per series. */
  days: z.number().int().min(10).max(10_000).default(120),
  /** Leading days that estimate the in-control rate; not monitored. */
  warmupDays: z.number().int().min(5).default(30),
  fleet: z
    .strictObject({
      /** Trips per day: the exposure knob. */
      tripsPerDay: z.number().int().min(1).max(1_000_000).default(2000),
      vehicles: z.number().int().min(1).max(1_000_000).default(200),
      /** Expected critical events per baseline trip (about tripsPerDay * this events per day). */
      criticalRatePerTrip: z.number().gt(0).lt(1).default(0.001),
      /** Keep the fleet generator's weather Markov chain (rain/snow/fog raise the hazard) instead of clear days. */
      weatherVariation: z.boolean().default(false),
      /** Trips in the pilot sample that calibrates the baseline hazard. */
      calibrationTrips: z.number().int().min(1000).default(20_000),
    })
    .prefault({}),
  regression: z
    .strictObject({
      hazardRatio: z.number().positive().default(2),
      durationDays: z.number().int().min(1).default(14),
      /** Onset day is uniform on [onsetMin, onsetMax] (inclusive). */
      onsetMin: z.number().int().min(0).default(45),
      onsetMax: z.number().int().min(0).default(90),
      /** Share of replicates with no regression at all (pure in-control series). */
      nullShare: z.number().min(0).max(1).default(0.25),
    })
    .prefault({}),
  /** The platform's episode definition: hazard ratio above this is a regression. */
  hrThreshold: z.number().gt(1).default(1.5),
  detectors: z
    .strictObject({
      bayesOffline: z
        .strictObject({
          enabled: z.boolean().default(true),
          /** Alarm while P(HR > hrThreshold | data so far) >= this. */
          threshold: z.number().default(0.9),
          /** Geometric segment-length prior: expected segment length in days. */
          expectedSegmentDays: z.number().gt(1).default(100),
          /** Pruning tolerance of the exact recursion. */
          tolerance: z.number().min(0).lt(1).default(1e-8),
          ...episodeRule,
        })
        .prefault({}),
      bocpd: z
        .strictObject({
          enabled: z.boolean().default(true),
          /** Alarm while the online P(rate > hrThreshold * lambda0 | data so far) >= this. */
          threshold: z.number().default(0.9),
          /** Constant hazard is 1 / expectedSegmentDays. */
          expectedSegmentDays: z.number().gt(1).default(100),
          /** Gamma prior shape of a segment's rate (its mean is lambda0). */
          priorShape: z.number().positive().default(2),
          ...episodeRule,
        })
        .prefault({}),
      cusum: z
        .strictObject({
          enabled: z.boolean().default(true),
          /** Rate ratio the CUSUM is tuned to detect. */
          hr: z.number().gt(1).default(1.5),
          /** Target in-control average run length (days); sets the threshold h. */
          arl0: z.number().gt(1).default(365),
          /**
           * How h accounts for lambda0 being estimated from the warm-up (lib/changepoint/cusum-estimated.ts):
           * "plug-in" treats the estimate as the truth (false alarms then run well above 1000/arl0 per
           * 1000 days: Jones, Champ & Rigdon 2004); "expected" chooses h so that the expected alarm rate
           * over the estimate's bootstrap law is 1/arl0 (about nominal on average); "guaranteed" so that
           * the conditional ARL0 reaches arl0 with probability 1 - guaranteeAlpha (Gandy & Kvaloy 2013;
           * conservative: fewer false alarms, slower detection).
           */
          thresholdMethod: z.enum(["plug-in", "expected", "guaranteed"]).default("expected"),
          /** alpha of the "guaranteed" method. */
          guaranteeAlpha: z.number().gt(0).lt(1).default(0.1),
          /** A fixed decision threshold h (events) instead of the ARL0-chosen one (null: use arl0). */
          h: z.number().positive().nullable().default(null),
          ...episodeRule,
        })
        .prefault({}),
      pelt: z
        .strictObject({
          enabled: z.boolean().default(true),
          /** Penalty per change point ("bic" = log n). */
          penalty: z.union([z.literal("bic"), z.number().positive()]).default("bic"),
          minSize: z.number().int().min(1).default(2),
          ...episodeRule,
        })
        .prefault({}),
    })
    .prefault({}),
  /** Alerts up to this many days after a regression's end still count as detecting it. */
  grace: z.number().int().min(0).default(0),
  /** Bootstrap resamples of the MTTD interval. */
  bootstrap: z.number().int().min(1).default(1000),
  /** Replicate shown in the plots (-1: the first regression the Bayesian detector caught, else the first regression). */
  plotReplicate: z.number().int().min(-1).default(-1),
});

/** The resolved config of the changepoint experiment. */
export type ChangepointConfig = z.output<typeof changepointSchema>;

/** Detector names in table order (also the metric prefixes). */
export const DETECTORS = ["bayes_offline", "bocpd", "cusum", "pelt"] as const;
export type DetectorName = (typeof DETECTORS)[number];

/** One replicate's series and truth. */
interface Replicate {
  counts: Float64Array;
  /** Exposure in units of the warm-up's mean daily exposure (about 1 per day). */
  exposure: Float64Array;
  /** Expected counts under the truth. */
  expected: Float64Array;
  /** Days onset..end inclusive, or null for an in-control replicate. */
  regression: Regression | null;
}

/** The signal and episodes of one detector on one replicate. */
interface DetectorOutput {
  signal: Float64Array;
  episodes: Episode[];
  /** Extra facts worth keeping (thresholds used). */
  info: Record<string, number>;
}

function validate(config: ChangepointConfig): void {
  const r = config.regression;
  if (config.warmupDays >= config.days) throw new ConfigError(`warmupDays ${config.warmupDays} must be < days ${config.days}`);
  if (r.onsetMin > r.onsetMax) throw new ConfigError(`regression.onsetMin ${r.onsetMin} > regression.onsetMax ${r.onsetMax}`);
  if (r.onsetMin < config.warmupDays) throw new ConfigError(`regression.onsetMin ${r.onsetMin} must be >= warmupDays ${config.warmupDays} (the warm-up is assumed in control)`);
  if (r.onsetMax >= config.days) throw new ConfigError(`regression.onsetMax ${r.onsetMax} must be < days ${config.days}`);
}

/** Simulate the fleet once: per-day exposure (miles) and expected critical events without regressions. */
function simulateWorld(config: ChangepointConfig, rng: Rng): { miles: Float64Array; expected: Float64Array } {
  const f = config.fleet;
  const sim = simulateFleet(
    {
      days: config.days,
      tripsPerDay: f.tripsPerDay,
      vehicles: f.vehicles,
      criticalRatePerTrip: f.criticalRatePerTrip,
      calibrationTrips: f.calibrationTrips,
      // One firmware version: a rollout with its own hazard ratio would be a real (non-regression) change.
      firmware: [{ version: "base", releaseDay: 0, rolloutMeanDays: 0, hazardRatio: 1 }],
      regressions: [],
      ...(f.weatherVariation ? {} : { weatherMix: { clear: 1, rain: 0, snow: 0, fog: 0 } }),
    },
    rng,
  );
  const s = fleetDailySeries(sim.dailyTruth);
  return { miles: s.exposureMiles, expected: s.expectedCritical };
}

function drawReplicate(config: ChangepointConfig, world: { miles: Float64Array; expected: Float64Array }, rng: Rng): Replicate {
  const n = config.days;
  const r = config.regression;
  const isNull = rng.uniform() < r.nullShare;
  const onset = r.onsetMin + rng.int(r.onsetMax - r.onsetMin + 1);
  const end = Math.min(n - 1, onset + r.durationDays - 1);
  const counts = new Float64Array(n);
  const expected = new Float64Array(n);
  for (let d = 0; d < n; d++) {
    const hr = !isNull && d >= onset && d <= end ? r.hazardRatio : 1;
    expected[d] = world.expected[d] * hr;
    counts[d] = rng.poisson(expected[d]);
  }
  let unit = 0;
  for (let d = 0; d < config.warmupDays; d++) unit += world.miles[d];
  unit /= config.warmupDays;
  const exposure = new Float64Array(n);
  for (let d = 0; d < n; d++) exposure[d] = world.miles[d] / unit;
  return { counts, exposure, expected, regression: isNull ? null : { start: onset, end } };
}

/** In-control rate per exposure unit from the warm-up (half an event added so a silent warm-up stays positive). */
function warmupRate(rep: Replicate, warmup: number): number {
  let s = 0;
  let e = 0;
  for (let d = 0; d < warmup; d++) {
    s += rep.counts[d];
    e += rep.exposure[d];
  }
  return (s + (s === 0 ? 0.5 : 0)) / e;
}

function episodesOf(signal: Float64Array, warmup: number, threshold: number, rule: { mergeGap: number; persistence: number }): Episode[] {
  // Warm-up days carry no verdict: they are filled with -Infinity so they never alarm.
  return extractEpisodes(signal, { threshold, mergeGap: rule.mergeGap, persistence: rule.persistence }).filter((e) => e.alertDay >= warmup);
}

function runBayesOffline(rep: Replicate, lambda0: number, config: ChangepointConfig): DetectorOutput {
  const o = config.detectors.bayesOffline;
  const n = rep.counts.length;
  const signal = new Float64Array(n).fill(-Infinity);
  for (let t = config.warmupDays; t < n; t++) {
    const r = multipleChangepoints(rep.counts.subarray(0, t + 1), rep.exposure.subarray(0, t + 1), {
      segmentPrior: { kind: "geometric", p: 1 / o.expectedSegmentDays },
      tolerance: o.tolerance,
      exceedance: { baselineRate: lambda0, ratio: config.hrThreshold },
    });
    signal[t] = (r.exceedance as Float64Array)[t];
  }
  return { signal, episodes: episodesOf(signal, config.warmupDays, o.threshold, o), info: {} };
}

function runBocpdDetector(rep: Replicate, lambda0: number, config: ChangepointConfig): DetectorOutput {
  const o = config.detectors.bocpd;
  const n = rep.counts.length;
  const det = createBocpd({ kind: "poisson-gamma", shape: o.priorShape, rate: o.priorShape / lambda0 }, { hazard: 1 / o.expectedSegmentDays });
  const signal = new Float64Array(n).fill(-Infinity);
  for (let t = 0; t < n; t++) {
    det.update(rep.counts[t], rep.exposure[t]);
    if (t >= config.warmupDays) signal[t] = det.exceedance(lambda0, config.hrThreshold);
  }
  return { signal, episodes: episodesOf(signal, config.warmupDays, o.threshold, o), info: {} };
}

function runCusumDetector(rep: Replicate, lambda0: number, config: ChangepointConfig): DetectorOutput {
  const o = config.detectors.cusum;
  const n = rep.counts.length;
  const w = config.warmupDays;
  // The ARL is computed for the mean monitored exposure (about 1 by construction).
  let meanExposure = 0;
  for (let d = w; d < n; d++) meanExposure += rep.exposure[d];
  meanExposure /= n - w;
  const h = o.h ?? cusumThreshold(rep, lambda0, meanExposure, config);
  const res = poissonCusum(rep.counts.subarray(w), rep.exposure.subarray(w), { lambda0, hr: o.hr, h });
  const signal = new Float64Array(n).fill(-Infinity);
  for (let t = w; t < n; t++) signal[t] = res.alarm[t - w];
  return { signal, episodes: episodesOf(signal, w, 1, o), info: { h } };
}

// Thresholds depend on the replicate only through the warm-up (events, exposure) and the mean
// monitored exposure, which repeat across replicates (one simulated world): memoized per run.
const thresholdCache = new WeakMap<ChangepointConfig, Map<string, number>>();

function cusumThreshold(rep: Replicate, lambda0: number, meanExposure: number, config: ChangepointConfig): number {
  const o = config.detectors.cusum;
  const w = config.warmupDays;
  let events = 0;
  let exposure = 0;
  for (let d = 0; d < w; d++) {
    events += rep.counts[d];
    exposure += rep.exposure[d];
  }
  let cache = thresholdCache.get(config);
  if (!cache) {
    cache = new Map();
    thresholdCache.set(config, cache);
  }
  const key = `${o.thresholdMethod}|${events}|${exposure}|${meanExposure}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const setting = { hr: o.hr, exposure: meanExposure, arl0: o.arl0, warmupEvents: events, warmupExposure: exposure };
  let h: number;
  if (o.thresholdMethod === "plug-in") h = chooseCusumThreshold({ lambda0, hr: o.hr, exposure: meanExposure, arl0: o.arl0 }).h;
  else if (o.thresholdMethod === "expected") h = chooseCusumThresholdExpected(setting).h;
  else h = chooseCusumThresholdGuaranteed(setting, { alpha: o.guaranteeAlpha }).h;
  cache.set(key, h);
  return h;
}

function runPeltDetector(rep: Replicate, lambda0: number, config: ChangepointConfig): DetectorOutput {
  const o = config.detectors.pelt;
  const n = rep.counts.length;
  const signal = new Float64Array(n).fill(-Infinity);
  for (let t = config.warmupDays; t < n; t++) {
    const counts = rep.counts.subarray(0, t + 1);
    const exposure = rep.exposure.subarray(0, t + 1);
    const r = pelt(counts, { cost: "poisson", exposure, penalty: o.penalty, minSize: o.minSize });
    const cps = r.changepoints;
    let alarm = 0;
    if (cps.length > 0) {
      // Alarm when the latest segment's rate is above hrThreshold times the in-control rate.
      let s = 0;
      let e = 0;
      for (let d = cps[cps.length - 1]; d <= t; d++) {
        s += counts[d];
        e += exposure[d];
      }
      alarm = e > 0 && s / e >= config.hrThreshold * lambda0 ? 1 : 0;
    }
    signal[t] = alarm;
  }
  return { signal, episodes: episodesOf(signal, config.warmupDays, 1, o), info: {} };
}

const RUNNERS: Record<DetectorName, (rep: Replicate, lambda0: number, config: ChangepointConfig) => DetectorOutput> = {
  bayes_offline: runBayesOffline,
  bocpd: runBocpdDetector,
  cusum: runCusumDetector,
  pelt: runPeltDetector,
};

function enabledDetectors(config: ChangepointConfig): DetectorName[] {
  const d = config.detectors;
  const on: Record<DetectorName, boolean> = { bayes_offline: d.bayesOffline.enabled, bocpd: d.bocpd.enabled, cusum: d.cusum.enabled, pelt: d.pelt.enabled };
  return DETECTORS.filter((k) => on[k]);
}

/** One row of the detector table. */
export interface DetectorRow {
  detector: DetectorName;
  regressions: number;
  detected: number;
  missed: number;
  detectionRate: number;
  mttdDays: number;
  mttdLower: number;
  mttdUpper: number;
  alerts: number;
  falseAlarms: number;
  monitoredDays: number;
  falseAlarmsPer1000Days: number;
}

function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "-";
}

function markdownTable(rows: readonly DetectorRow[], config: ChangepointConfig): string {
  const head = "| detector | detected / regressions | detection rate | MTTD (days) | 95% bootstrap | missed | false alarms | per 1000 monitored days |";
  const sep = "|---|---|---|---|---|---|---|---|";
  const body = rows.map(
    (r) =>
      `| ${r.detector} | ${r.detected} / ${r.regressions} | ${fmt(r.detectionRate, 3)} | ${fmt(r.mttdDays)} | [${fmt(r.mttdLower)}, ${fmt(r.mttdUpper)}] | ${r.missed} | ${r.falseAlarms} | ${fmt(r.falseAlarmsPer1000Days)} |`,
  );
  const r = config.regression;
  return [
    `# Change-point detectors: detection of injected regressions`,
    ``,
    `${config.replicates} replicates x ${config.days} days (first ${config.warmupDays} days warm-up, not monitored); ` +
      `fleet ${config.fleet.tripsPerDay} trips/day at ${config.fleet.criticalRatePerTrip} critical events per trip; ` +
      `regression HR ${r.hazardRatio} for ${r.durationDays} days, onset uniform on [${r.onsetMin}, ${r.onsetMax}], ${r.nullShare * 100}% in-control replicates; ` +
      `episode threshold HR > ${config.hrThreshold}; seed ${config.seed}.`,
    ``,
    head,
    sep,
    ...body,
    ``,
  ].join("\n");
}

export default defineExperiment({
  name: "changepoint",
  description: "Change-point detectors (Bayesian offline, BOCPD, CUSUM, PELT) on seeded regression replicates: detection rate, MTTD, false alarms.",
  schema: changepointSchema,
  async run(config, { run, rng, progress, log }) {
    validate(config);
    const detectors = enabledDetectors(config);
    const world = simulateWorld(config, rng.fork(1));
    const seriesRng = rng.fork(2);
    const monitored = config.days - config.warmupDays;
    const alerts: Record<string, number[]> = {};
    const episodeCount: Record<string, number> = {};
    for (const d of detectors) {
      alerts[d] = [];
      episodeCount[d] = 0;
    }
    const truth: Regression[] = [];
    const csv: string[] = ["replicate,onset,end,lambda0," + detectors.map((d) => `${d}_delay,${d}_false_alarms`).join(",")];
    let plotIndex = config.plotReplicate;
    let plotCaught = false;
    let plotData: { rep: Replicate; lambda0: number; outputs: Partial<Record<DetectorName, DetectorOutput>> } | null = null;
    const bar = progress("changepoint", config.replicates);
    for (let i = 0; i < config.replicates; i++) {
      const rep = drawReplicate(config, world, seriesRng);
      const lambda0 = warmupRate(rep, config.warmupDays);
      // Replicates are laid end to end on one monitored timeline so the pooled metrics come from one call.
      const offset = i * monitored - config.warmupDays;
      const regression = rep.regression ? { start: rep.regression.start + offset, end: rep.regression.end + offset } : null;
      if (regression) truth.push(regression);
      const outputs: Partial<Record<DetectorName, DetectorOutput>> = {};
      const row: (string | number)[] = [i, rep.regression?.start ?? "", rep.regression?.end ?? "", lambda0.toPrecision(6)];
      for (const d of detectors) {
        const out = RUNNERS[d](rep, lambda0, config);
        outputs[d] = out;
        episodeCount[d] += out.episodes.length;
        for (const e of out.episodes) alerts[d].push(e.alertDay + offset);
        const r = rep.regression;
        const hit = r ? out.episodes.find((e) => e.alertDay >= r.start && e.alertDay <= r.end + config.grace) : undefined;
        const falseAlarms = out.episodes.filter((e) => !r || e.alertDay < r.start || e.alertDay > r.end + config.grace).length;
        row.push(hit ? hit.alertDay - (r as Regression).start : "", falseAlarms);
      }
      csv.push(row.join(","));
      // By default show a regression the Bayesian detector caught (else the first regression at all).
      if (config.plotReplicate < 0 && rep.regression && !plotCaught) {
        const caught = outputs.bayes_offline?.episodes.some((e) => e.alertDay >= (rep.regression as Regression).start && e.alertDay <= (rep.regression as Regression).end + config.grace) ?? false;
        if (caught || plotData === null) {
          plotIndex = i;
          plotData = { rep, lambda0, outputs };
          plotCaught = caught;
        }
      } else if (i === config.plotReplicate) plotData = { rep, lambda0, outputs };
      bar.update(i + 1);
    }
    bar.stop();

    const metricsRng = rng.fork(3);
    const rows: DetectorRow[] = [];
    const metrics: Record<string, number> = {};
    for (const d of detectors) {
      const m: DetectionMetrics = detectionMetrics(alerts[d], truth, { days: config.replicates * monitored, grace: config.grace, bootstrap: config.bootstrap }, metricsRng.fork(DETECTORS.indexOf(d)));
      const row: DetectorRow = {
        detector: d,
        regressions: truth.length,
        detected: m.detected,
        missed: m.missed,
        detectionRate: truth.length > 0 ? m.detected / truth.length : NaN,
        mttdDays: m.mttd,
        mttdLower: m.mttdLower,
        mttdUpper: m.mttdUpper,
        alerts: episodeCount[d],
        falseAlarms: m.falseAlarms,
        monitoredDays: m.monitoredDays,
        falseAlarmsPer1000Days: m.falseAlarmsPer1000Days,
      };
      rows.push(row);
      Object.assign(metrics, {
        [`${d}.detection_rate`]: row.detectionRate,
        [`${d}.mttd_days`]: row.mttdDays,
        [`${d}.mttd_lower`]: row.mttdLower,
        [`${d}.mttd_upper`]: row.mttdUpper,
        [`${d}.detected`]: row.detected,
        [`${d}.missed`]: row.missed,
        [`${d}.alerts`]: row.alerts,
        [`${d}.false_alarms`]: row.falseAlarms,
        [`${d}.false_alarms_per_1000_days`]: row.falseAlarmsPer1000Days,
      });
    }
    metrics["regressions"] = truth.length;
    metrics["monitored_days"] = config.replicates * monitored;
    await run.logMetrics(metrics);
    await run.logJson({ config, regressions: truth.length, detectors: rows }, "detectors.json");
    const md = markdownTable(rows, config);
    await run.logText(md, "detectors.md");
    await run.logText(csv.join("\n") + "\n", "replicates.csv");

    if (plotData) {
      const { rep, lambda0, outputs } = plotData;
      const truthSpans = rep.regression ? [rep.regression] : [];
      // The retrospective posterior of the whole series: where the changes were, with hindsight.
      const full = multipleChangepoints(rep.counts, rep.exposure, {
        segmentPrior: { kind: "geometric", p: 1 / config.detectors.bayesOffline.expectedSegmentDays },
        tolerance: config.detectors.bayesOffline.tolerance,
        exceedance: { baselineRate: lambda0, ratio: config.hrThreshold },
      });
      const bayes = outputs.bayes_offline;
      await logPlot(
        run,
        changeSeriesPlot(
          { values: rep.counts, expected: rep.expected, probability: full.changeProbability, detected: bayes?.episodes ?? [], truth: truthSpans },
          {
            title: `Replicate ${plotIndex}: daily critical events and posterior change probability`,
            subtitle: `shaded: episodes of the sequential Bayesian detector (P(HR > ${config.hrThreshold}) >= ${config.detectors.bayesOffline.threshold}); dashed: injected regression`,
            yLabel: "critical events / day",
            probabilityLabel: "P(change on day | all data)",
          },
        ),
        "plots/replicate_change_probability",
      );
      // The same posterior read as the platform reads it: P(day's rate > hrThreshold * lambda0 | all data).
      await logPlot(
        run,
        changeSeriesPlot(
          { values: rep.counts, expected: rep.expected, probability: full.exceedance as Float64Array, detected: bayes?.episodes ?? [], truth: truthSpans },
          {
            title: `Replicate ${plotIndex}: retrospective P(HR > ${config.hrThreshold} | all data)`,
            subtitle: `expected number of changes ${full.expectedChanges.toFixed(2)}; MAP changes on days ${Array.from(full.mapChanges).join(", ") || "none"}`,
            yLabel: "critical events / day",
            probabilityLabel: `P(HR > ${config.hrThreshold} | all data)`,
            threshold: config.detectors.bayesOffline.threshold,
          },
        ),
        "plots/replicate_p_hr_retrospective",
      );
      if (bayes) {
        const signal = Float64Array.from(bayes.signal, (v) => (Number.isFinite(v) ? v : 0));
        await logPlot(
          run,
          changeSeriesPlot(
            { values: rep.counts, expected: rep.expected, probability: signal, detected: bayes.episodes, truth: truthSpans },
            {
              title: `Replicate ${plotIndex}: sequential P(HR > ${config.hrThreshold} | data so far)`,
              subtitle: `in-control rate from the ${config.warmupDays}-day warm-up: ${(lambda0).toFixed(2)} events per mean day`,
              yLabel: "critical events / day",
              probabilityLabel: `P(HR > ${config.hrThreshold})`,
              threshold: config.detectors.bayesOffline.threshold,
            },
          ),
          "plots/replicate_p_hr",
        );
      }
    }

    const lines = [
      `${truth.length} regressions over ${config.replicates} replicates, ${config.replicates * monitored} monitored days`,
      ...rows.map(
        (r) =>
          `${r.detector.padEnd(14)} detection ${fmt(r.detectionRate, 3)}  MTTD ${fmt(r.mttdDays)} d [${fmt(r.mttdLower)}, ${fmt(r.mttdUpper)}]  missed ${r.missed}  false alarms ${r.falseAlarms} (${fmt(r.falseAlarmsPer1000Days)} / 1000 d)`,
      ),
    ];
    for (const line of lines) log(line);
    return { metrics, lines };
  },
});
