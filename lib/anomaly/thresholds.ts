/**
 * Threshold selection for anomaly scores: a sweep over score percentiles with precision, recall
 * and F1 at each cut, the operator rule (the highest recall whose precision reaches P_min, else the
 * best F1), and recall per fault type at a chosen threshold.
 */
import { DataError } from "../errors.js";
import { ratesFromCounts } from "../metrics/thresholdMetrics.js";
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
