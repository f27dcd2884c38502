/**
 * Threshold selection for anomaly scores: a sweep over score percentiles with precision, recall
 * and F1 at each cut, the operator rule (the highest recall whose precision reaches P_min, else the
 * best F1), and recall per fault type at a chosen threshold.
 */
import { DataError } from "../errors.js";
import { ratesFromCounts } from "../metrics/threshold-metrics.js";
import type { ThresholdChoice } from "./model.js";

/** One row of a percentile threshold sweep. */
export interface SweepRow {
  percentile: number;
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
  tp: number;
  fp: number;
  fn: number;
  flagged: number;
}

/** The q-th percentile (0..100) of sorted values with linear interpolation (NumPy's default). */
export function percentileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new DataError("percentile of an empty array");
  const pos = ((n - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Precision, recall and F1 when rows with score >= the q-th score percentile are flagged, for each q. */
export function percentileSweep(labels: ArrayLike<number>, scores: ArrayLike<number>, percentiles: readonly number[]): SweepRow[] {
  const n = scores.length;
  if (labels.length !== n) throw new DataError(`percentileSweep: ${labels.length} labels for ${n} scores`);
  const sorted = Float64Array.from(scores).sort();
  const out: SweepRow[] = [];
  for (const q of percentiles) {
    if (!(q >= 0 && q <= 100)) throw new DataError(`percentileSweep: percentile ${q} is not in [0, 100]`);
    const threshold = percentileSorted(sorted, q);
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < n; i++) {
      const pos = labels[i] !== 0;
      if (scores[i] >= threshold) {
        if (pos) tp++;
        else fp++;
      } else if (pos) fn++;
    }
    out.push({ percentile: q, threshold, tp, fp, fn, flagged: tp + fp, ...ratesFromCounts(tp, fp, fn) });
  }
  return out;
}

/**
 * The operator rule: among rows with precision >= minPrecision, the highest recall (ties: higher
 * precision, then higher threshold); if none qualifies, the best F1 (ties: higher threshold).
 */
export function chooseThreshold(rows: readonly SweepRow[], minPrecision: number): { row: SweepRow; choice: ThresholdChoice } {
  if (rows.length === 0) throw new DataError("chooseThreshold: the sweep is empty");
  if (!(minPrecision >= 0 && minPrecision <= 1)) throw new DataError(`chooseThreshold: minPrecision = ${minPrecision} is not in [0, 1]`);
  let best: SweepRow | undefined;
  for (const r of rows) {
    if (r.precision < minPrecision || r.tp === 0) continue;
    if (
      best === undefined ||
      r.recall > best.recall ||
      (r.recall === best.recall && (r.precision > best.precision || (r.precision === best.precision && r.threshold > best.threshold)))
    ) best = r;
  }
  if (best !== undefined) return { row: best, choice: { threshold: best.threshold, rule: "recall_at_precision", minPrecision } };
  let f1Best = rows[0];
  for (const r of rows) if (r.f1 > f1Best.f1 || (r.f1 === f1Best.f1 && r.threshold > f1Best.threshold)) f1Best = r;
  return { row: f1Best, choice: { threshold: f1Best.threshold, rule: "best_f1", minPrecision } };
}

/** Recall of one fault type: flagged rows among rows carrying that tag. */
export interface FaultRecall {
  tag: string;
  recall: number;
  tp: number;
  fn: number;
}

/** Recall per fault tag at a threshold (tag code 0 = healthy is skipped; tags absent from the data are left out). */
export function perFaultRecall(tags: ArrayLike<number>, scores: ArrayLike<number>, threshold: number, tagNames: readonly string[]): FaultRecall[] {
  const tp = new Float64Array(tagNames.length);
  const total = new Float64Array(tagNames.length);
  for (let i = 0; i < scores.length; i++) {
    const t = tags[i];
    if (t === 0) continue;
    total[t]++;
    if (scores[i] >= threshold) tp[t]++;
  }
  const out: FaultRecall[] = [];
  for (let t = 1; t < tagNames.length; t++) {
    if (total[t] === 0) continue;
    out.push({ tag: tagNames[t], recall: tp[t] / total[t], tp: tp[t], fn: total[t] - tp[t] });
  }
  return out;
}

/**
 * Per-device time order of scored rows, for decisions that look back along a device's history:
 * `order` lists scored-row indices grouped by device, each device's rows in time order, and
 * `runStart[i]` is 1 where scored row i does not directly follow its device's previous scored row
 * (a device change, or a gap of unscored samples such as an unsettled stretch).
 */
export interface DeviceSequence {
  order: Int32Array;
  runStart: Uint8Array;
  /** Device of each scored row (the fold key for leave-one-device-out calibration). */
  device: Float64Array;
}

/** Build the per-device time order of scored rows from their device ids and per-device sample indices. */
export function deviceSequence(device: ArrayLike<number>, sample: ArrayLike<number>): DeviceSequence {
  const n = device.length;
  if (sample.length !== n) throw new DataError(`deviceSequence: ${sample.length} sample indices for ${n} device ids`);
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => device[a] - device[b] || sample[a] - sample[b]);
  const runStart = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    const i = order[j];
    const prev = j > 0 ? order[j - 1] : -1;
    runStart[i] = prev < 0 || device[prev] !== device[i] || sample[i] !== sample[prev] + 1 ? 1 : 0;
  }
  return { order, runStart, device: Float64Array.from(device) };
}

/** Event-level persistence: flag a sample when at least k of the last n consecutive samples of its device score at or above the threshold. */
export interface Persistence {
  k: number;
  n: number;
}

/**
 * Flags under a threshold with k-of-n persistence along each device's run of consecutive scored
 * samples (the window restarts at every run start, so a gap never lends evidence). `force[i] = 1`
 * flags row i outright and counts as a hit (rules that are persistent by construction). Causal:
 * a flag depends on the row and the n - 1 before it only.
 */
export function persistentFlags(scores: ArrayLike<number>, threshold: number, seq: DeviceSequence, persistence: Persistence, force?: ArrayLike<number>, out?: Uint8Array): Uint8Array {
  const { k, n } = persistence;
  if (!(Number.isInteger(k) && Number.isInteger(n) && k >= 1 && n >= k)) throw new DataError(`persistence: need integers 1 <= k <= n, got k = ${k}, n = ${n}`);
  const m = scores.length;
  const flags = out ?? new Uint8Array(m);
  const ring = new Uint8Array(n);
  let pos = 0;
  let hits = 0;
  for (let j = 0; j < m; j++) {
    const i = seq.order[j];
    if (seq.runStart[i] === 1) {
      ring.fill(0);
      hits = 0;
      pos = 0;
    }
    const forced = force !== undefined && force[i] === 1;
    const hit = forced || scores[i] >= threshold ? 1 : 0;
    hits += hit - ring[pos];
    ring[pos] = hit;
    pos = pos + 1 === n ? 0 : pos + 1;
    flags[i] = forced || hits >= k ? 1 : 0;
  }
  return flags;
}

/** True/false positives and misses of 0/1 flags against labels, over the rows with `select[i] = 1` (all rows without it). */
export function flagOutcomes(labels: ArrayLike<number>, flags: ArrayLike<number>, select?: ArrayLike<number>): { tp: number; fp: number; fn: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < flags.length; i++) {
    if (select !== undefined && select[i] !== 1) continue;
    const pos = labels[i] !== 0;
    if (flags[i] === 1) {
      if (pos) tp++;
      else fp++;
    } else if (pos) fn++;
  }
  return { tp, fp, fn };
}

/**
 * A percentile sweep of decisions with persistence, counted on the selected rows only: thresholds
 * are percentiles of the selected rows' scores, flags come from `persistentFlags` over all rows
 * (persistence reads each device's own history, which lies in the same selection when the
 * selection is by device). Forced rows are flagged at every threshold, so they are left out of
 * both the percentiles and the counts: the sweep calibrates the score's decisions only (otherwise a
 * rule's synthetic top score can make "flag only the rule's rows" look like the most precise cut).
 */
export function persistentSweep(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  percentiles: readonly number[],
  seq: DeviceSequence,
  persistence: Persistence,
  select?: Uint8Array,
  force?: ArrayLike<number>,
): SweepRow[] {
  const n = scores.length;
  if (labels.length !== n) throw new DataError(`persistentSweep: ${labels.length} labels for ${n} scores`);
  const counted = new Uint8Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    if ((select === undefined || select[i] === 1) && (force === undefined || force[i] !== 1)) {
      counted[i] = 1;
      count++;
    }
  }
  if (count === 0) throw new DataError("persistentSweep: no rows selected");
  const sorted = new Float64Array(count);
  for (let i = 0, j = 0; i < n; i++) if (counted[i] === 1) sorted[j++] = scores[i];
  sorted.sort();
  const flags = new Uint8Array(n);
  const out: SweepRow[] = [];
  for (const q of percentiles) {
    if (!(q >= 0 && q <= 100)) throw new DataError(`persistentSweep: percentile ${q} is not in [0, 100]`);
    const threshold = percentileSorted(sorted, q);
    persistentFlags(scores, threshold, seq, persistence, force, flags);
    const { tp, fp, fn } = flagOutcomes(labels, flags, counted);
    out.push({ percentile: q, threshold, tp, fp, fn, flagged: tp + fp, ...ratesFromCounts(tp, fp, fn) });
  }
  return out;
}

/** Held-out decisions: every device's rows judged with a threshold chosen on the other devices only. */
export interface HeldOutDecisions {
  /** Per scored row: 1 if flagged under its held-out threshold (with persistence). */
  flags: Uint8Array;
  /** The threshold each device's rows were judged with, and the rule that chose it. */
  thresholds: { device: number; threshold: number; rule: ThresholdChoice["rule"] }[];
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
}

/**
 * Leave-one-device-out threshold calibration: for each device, sweep and apply the operator rule
 * on the other devices' rows, then judge the device's rows with that threshold. No row's label
 * ever influences its own threshold, so the pooled counts are an honest estimate of what the rule
 * achieves on a machine it was not calibrated on (a percentile cut chosen on the reported rows
 * themselves is optimistic). Needs at least two devices.
 */
export function leaveOneDeviceOut(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  percentiles: readonly number[],
  seq: DeviceSequence,
  persistence: Persistence,
  minPrecision: number,
  force?: ArrayLike<number>,
): HeldOutDecisions {
  const n = scores.length;
  const devices = [...new Set(Array.from(seq.device))].sort((a, b) => a - b);
  if (devices.length < 2) throw new DataError(`leaveOneDeviceOut: need at least 2 devices among the scored rows, got ${devices.length}`);
  const flags = new Uint8Array(n);
  const tmp = new Uint8Array(n);
  const others = new Uint8Array(n);
  const thresholds: HeldOutDecisions["thresholds"] = [];
  for (const d of devices) {
    for (let i = 0; i < n; i++) others[i] = seq.device[i] === d ? 0 : 1;
    const { choice } = chooseThreshold(persistentSweep(labels, scores, percentiles, seq, persistence, others, force), minPrecision);
    thresholds.push({ device: d, threshold: choice.threshold, rule: choice.rule });
    persistentFlags(scores, choice.threshold, seq, persistence, force, tmp);
    for (let i = 0; i < n; i++) if (others[i] === 0) flags[i] = tmp[i];
  }
  const { tp, fp, fn } = flagOutcomes(labels, flags);
  return { flags, thresholds, tp, fp, fn, ...ratesFromCounts(tp, fp, fn) };
}
