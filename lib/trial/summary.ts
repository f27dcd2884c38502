/**
 * From replicate results to the trial's answer: per cell and arm the detection sensitivity, MTTD,
 * false alarms per 1000 monitored days and the bias / RMSE / interval coverage of the rate
 * estimates; paired differences of every arm against the uniform arm with percentile-bootstrap
 * intervals over replicates (the same resampled replicates for both arms, which keeps the pairing);
 * and the verdict on the reference platform's claims (sensitivity from about 60% to about 85%, MTTD
 * down 30-40%).
 */
import type { Rng } from "../util/random.js";
import type { TrialPlan } from "./plan.js";
import { resultIndex } from "./replicate.js";
import type { ReplicateResults } from "./harness.js";
import { ARMS, REPLICATE_METRICS, trialCells, type ArmName, type Cell, type ReplicateMetric } from "./settings.js";

/** An estimate with a two-sided interval. */
export interface Interval {
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
}

/** One arm's results in one cell. */
export interface ArmSummary {
  readonly arm: ArmName;
  /** CUSUM (equal in-control ARL0 for every arm). */
  readonly sensitivity: Interval;
  readonly mttd: Interval;
  readonly falseAlarmsPer1000: Interval;
  readonly bocpdSensitivity: number;
  readonly bocpdMttd: number;
  readonly bocpdFalseAlarmsPer1000: number;
  /** Mean relative error of the Horvitz-Thompson per-trip rate, with its standard error. */
  readonly htBias: number;
  readonly htBiasSe: number;
  readonly htRmse: number;
  readonly htCoverage: number;
  readonly htRelWidth: number;
  readonly hajekBias: number;
  readonly hajekRmse: number;
  readonly hajekCoverage: number;
  readonly sampledTripsPerDay: number;
  readonly sampledEvents: number;
  readonly expectedSampledEvents: number;
  readonly oeInControl: number;
  readonly maxWeightShare: number;
  readonly kishEss: number;
}

/** Paired differences of an arm against the uniform arm. */
export interface PairedSummary {
  readonly arm: ArmName;
  /** Sensitivity difference (arm - uniform), in proportion points. */
  readonly sensitivityDiff: Interval;
  /** Relative MTTD change (arm / uniform - 1). */
  readonly mttdRelChange: Interval;
  /** False alarms per 1000 days difference. */
  readonly falseAlarmDiff: Interval;
  /** RMSE ratio of the Horvitz-Thompson rate (arm / uniform). */
  readonly htRmseRatio: Interval;
}

/** How a claim fared in one cell. */
export type ClaimOutcome = "reproduces" | "smaller than claimed" | "no significant change" | "worse";

/** The verdict on the reference platform's claims for one arm in one cell. */
export interface ClaimVerdict {
  readonly arm: ArmName;
  readonly sensitivity: ClaimOutcome;
  readonly mttd: ClaimOutcome;
  readonly overall: "reproduces" | "partially reproduces" | "does not reproduce";
}

/** Everything about one cell. */
export interface CellSummary {
  readonly cell: Cell;
  readonly arms: ArmSummary[];
  readonly paired: PairedSummary[];
  readonly verdicts: ClaimVerdict[];
}

/** The claimed improvements (narrative of the reference platform). */
export const CLAIM = {
  baselineSensitivity: 0.6,
  improvedSensitivity: 0.85,
  /** Smallest sensitivity gain (points) accepted as reproducing the claimed +25 (5 points of slack). */
  minSensitivityGain: 0.2,
  /** Claimed relative MTTD reduction range. */
  mttdReduction: [0.3, 0.4] as const,
};

function col(results: ReplicateResults, cell: number, arm: number, metric: ReplicateMetric): Float64Array {
  const m = REPLICATE_METRICS.indexOf(metric);
  const out = new Float64Array(results.replicates);
  for (let r = 0; r < results.replicates; r++) out[r] = results.values[r * results.width + resultIndex(cell, arm, m)];
  return out;
}

function mean(x: ArrayLike<number>, idx?: Int32Array): number {
  let s = 0;
  let n = 0;
  const len = idx ? idx.length : x.length;
  for (let k = 0; k < len; k++) {
    const v = x[idx ? idx[k] : k];
    if (!Number.isNaN(v)) {
      s += v;
      n++;
    }
  }
  return n > 0 ? s / n : NaN;
}

/** Per-arm statistics of one resample (idx = replicate indices, or all). */
interface Stats {
  sens: number;
  mttd: number;
  fa: number;
  rmse: number;
}

function stats(det: Float64Array, delay: Float64Array, fa: Float64Array, days: Float64Array, err: Float64Array, idx?: Int32Array): Stats {
  const n = idx ? idx.length : det.length;
  let d = 0;
  let delaySum = 0;
  let faSum = 0;
  let daySum = 0;
  let se = 0;
  let seN = 0;
  for (let k = 0; k < n; k++) {
    const r = idx ? idx[k] : k;
    if (det[r] > 0) {
      d++;
      delaySum += delay[r];
    }
    faSum += fa[r];
    daySum += days[r];
    if (!Number.isNaN(err[r])) {
      se += err[r] * err[r];
      seN++;
    }
  }
  return { sens: d / n, mttd: d > 0 ? delaySum / d : NaN, fa: daySum > 0 ? (1000 * faSum) / daySum : NaN, rmse: seN > 0 ? Math.sqrt(se / seN) : NaN };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const x = p * (sorted.length - 1);
  const lo = Math.floor(x);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (x - lo) * (sorted[hi] - sorted[lo]);
}

function interval(estimate: number, draws: number[], level: number): Interval {
  const finite = Float64Array.from(draws.filter((v) => Number.isFinite(v))).sort();
  const a = (1 - level) / 2;
  return { estimate, lower: percentile(finite, a), upper: percentile(finite, 1 - a) };
}

/** Summarize every cell: arm statistics, paired bootstrap differences and claim verdicts. */
export function summarizeTrial(plan: TrialPlan, results: ReplicateResults, rng: Rng): CellSummary[] {
  const { settings } = plan;
  const R = results.replicates;
  const B = settings.bootstrap;
  const level = settings.confidence;
  // One set of resampled replicate indices for every cell and arm: paired across arms.
  const resamples: Int32Array[] = [];
  for (let b = 0; b < B; b++) {
    const idx = new Int32Array(R);
    for (let k = 0; k < R; k++) idx[k] = rng.int(R);
    resamples.push(idx);
  }
  return trialCells(settings).map((cell) => {
    const perArm = ARMS.map((_, a) => ({
      det: col(results, cell.index, a, "cusum_detected"),
      delay: col(results, cell.index, a, "cusum_delay"),
      fa: col(results, cell.index, a, "cusum_false_alarms"),
      days: col(results, cell.index, a, "monitored_days"),
      err: col(results, cell.index, a, "ht_rel_error"),
    }));
    const full = perArm.map((c) => stats(c.det, c.delay, c.fa, c.days, c.err));
    const boot = resamples.map((idx) => perArm.map((c) => stats(c.det, c.delay, c.fa, c.days, c.err, idx)));
    const arms: ArmSummary[] = ARMS.map((arm, a) => {
      const get = (m: ReplicateMetric): Float64Array => col(results, cell.index, a, m);
      const err = get("ht_rel_error");
      const bocpd = stats(get("bocpd_detected"), get("bocpd_delay"), get("bocpd_false_alarms"), get("monitored_days"), err);
      let v = 0;
      const m = mean(err);
      let n = 0;
      for (let r = 0; r < R; r++) {
        if (!Number.isNaN(err[r])) {
          v += (err[r] - m) * (err[r] - m);
          n++;
        }
      }
      const hajekErr = get("hajek_rel_error");
      let hs = 0;
      for (let r = 0; r < R; r++) hs += hajekErr[r] * hajekErr[r];
      return {
        arm,
        sensitivity: interval(full[a].sens, boot.map((s) => s[a].sens), level),
        mttd: interval(full[a].mttd, boot.map((s) => s[a].mttd), level),
        falseAlarmsPer1000: interval(full[a].fa, boot.map((s) => s[a].fa), level),
        bocpdSensitivity: settings.detection.bocpd ? bocpd.sens : NaN,
        bocpdMttd: settings.detection.bocpd ? bocpd.mttd : NaN,
        bocpdFalseAlarmsPer1000: settings.detection.bocpd ? bocpd.fa : NaN,
        htBias: m,
        htBiasSe: n > 1 ? Math.sqrt(v / (n - 1) / n) : NaN,
        htRmse: full[a].rmse,
        htCoverage: mean(get("ht_covered")),
        htRelWidth: mean(get("ht_rel_width")),
        hajekBias: mean(hajekErr),
        hajekRmse: Math.sqrt(hs / R),
        hajekCoverage: mean(get("hajek_covered")),
        sampledTripsPerDay: mean(get("sampled_trips")),
        sampledEvents: mean(get("sampled_events")),
        expectedSampledEvents: mean(get("expected_sampled_events")),
        oeInControl: mean(get("oe_in_control")),
        maxWeightShare: mean(get("max_weight_share")),
        kishEss: mean(get("kish_ess")),
      };
    });
    const paired: PairedSummary[] = [];
    const verdicts: ClaimVerdict[] = [];
    for (let a = 1; a < ARMS.length; a++) {
      const p: PairedSummary = {
        arm: ARMS[a],
        sensitivityDiff: interval(full[a].sens - full[0].sens, boot.map((s) => s[a].sens - s[0].sens), level),
        mttdRelChange: interval(full[a].mttd / full[0].mttd - 1, boot.map((s) => s[a].mttd / s[0].mttd - 1), level),
        falseAlarmDiff: interval(full[a].fa - full[0].fa, boot.map((s) => s[a].fa - s[0].fa), level),
        htRmseRatio: interval(full[a].rmse / full[0].rmse, boot.map((s) => s[a].rmse / s[0].rmse), level),
      };
      paired.push(p);
      verdicts.push(judge(p));
    }
    return { cell, arms, paired, verdicts };
  });
}

/** The claim verdict from paired differences (see CLAIM for the thresholds). */
export function judge(p: PairedSummary): ClaimVerdict {
  const s = p.sensitivityDiff;
  const sensitivity: ClaimOutcome =
    s.lower > 0 ? (s.estimate >= CLAIM.minSensitivityGain ? "reproduces" : "smaller than claimed") : s.upper < 0 ? "worse" : "no significant change";
  const m = p.mttdRelChange;
  const mttd: ClaimOutcome = !Number.isFinite(m.estimate)
    ? "no significant change"
    : m.upper < 0
      ? m.estimate <= -CLAIM.mttdReduction[0]
        ? "reproduces"
        : "smaller than claimed"
      : m.lower > 0
        ? "worse"
        : "no significant change";
  const overall = sensitivity === "reproduces" && mttd === "reproduces" ? "reproduces" : sensitivity === "reproduces" || mttd === "reproduces" ? "partially reproduces" : "does not reproduce";
  return { arm: p.arm, sensitivity, mttd, overall };
}

function pct(v: number, digits = 0): string {
  return Number.isFinite(v) ? `${(100 * v).toFixed(digits)}%` : "n/a";
}
function num(v: number, digits = 2): string {
  return Number.isFinite(v) ? v.toFixed(digits) : "n/a";
}
function ci(i: Interval, f: (v: number) => string): string {
  return `${f(i.estimate)} [${f(i.lower)}, ${f(i.upper)}]`;
}
function signedPct(v: number): string {
  return Number.isFinite(v) ? `${v >= 0 ? "+" : ""}${(100 * v).toFixed(0)}%` : "n/a";
}
function signedPts(v: number): string {
  return Number.isFinite(v) ? `${v >= 0 ? "+" : ""}${(100 * v).toFixed(0)}` : "n/a";
}

/** Cell label for people: "budget 5%, HR 2, fleet-wide". */
export function cellLabel(cell: Cell): string {
  return `budget ${pct(cell.budget, cell.budget < 0.01 ? 1 : 0)}, HR ${cell.hazardRatio}, ${cell.scope === "fleet" ? "fleet-wide" : `${cell.scope} trips only`}`;
}

/** Markdown tables of every cell (arms, then paired differences). */
export function trialTables(cells: readonly CellSummary[]): string {
  const lines: string[] = [];
  for (const c of cells) {
    lines.push(`### ${cellLabel(c.cell)}`, "");
    lines.push(
      "| arm | sensitivity (CUSUM) | MTTD days | false alarms /1000 d | BOCPD sens. | BOCPD MTTD | BOCPD FA/1000 d | HT bias | HT RMSE | HT cover | Hajek cover | reviewed trips/day | sampled events | design-expected events | in-control O/E | Kish ESS | max weight share |",
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    );
    for (const a of c.arms) {
      lines.push(
        `| ${a.arm} | ${ci(a.sensitivity, (v) => pct(v))} | ${ci(a.mttd, (v) => num(v, 1))} | ${num(a.falseAlarmsPer1000.estimate, 1)} | ${pct(a.bocpdSensitivity)} | ${num(a.bocpdMttd, 1)} | ${num(a.bocpdFalseAlarmsPer1000, 1)} | ${signedPct(a.htBias)} ± ${pct(a.htBiasSe, 1)} | ${pct(a.htRmse)} | ${pct(a.htCoverage)} | ${pct(a.hajekCoverage)} | ${num(a.sampledTripsPerDay, 0)} | ${num(a.sampledEvents, 1)} | ${num(a.expectedSampledEvents, 1)} | ${num(a.oeInControl, 2)} | ${num(a.kishEss, 0)} | ${pct(a.maxWeightShare, 1)} |`,
      );
    }
    lines.push("", "| arm vs uniform | sensitivity (points) | MTTD change | false alarms /1000 d | HT RMSE ratio | sensitivity claim | MTTD claim |", "|---|---|---|---|---|---|---|");
    c.paired.forEach((p, k) => {
      const v = c.verdicts[k];
      lines.push(
        `| ${p.arm} | ${ci(p.sensitivityDiff, signedPts)} | ${ci(p.mttdRelChange, signedPct)} | ${ci(p.falseAlarmDiff, (x) => num(x, 1))} | ${ci(p.htRmseRatio, (x) => num(x, 2))} | ${v.sensitivity} | ${v.mttd} |`,
      );
    });
    lines.push("");
  }
  return lines.join("\n");
}
