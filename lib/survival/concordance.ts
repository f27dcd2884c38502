/**
 * Harrell's concordance index with lifelines' conventions (lifelines.utils.concordance_index):
 * a pair is comparable when the shorter time is an observed event and the times differ, or when
 * an event and a censoring share a time (the censored one is taken to outlive the event); two
 * events at the same time are not comparable. A comparable pair is concordant when the row that
 * failed first has the lower predicted score (scores are predicted survival times: higher means
 * longer survival); tied scores count one half. O(n log n): rows are swept in time order while a
 * Fenwick tree over the distinct scores of earlier failures answers "how many are lower".
 */

import { DataError } from "../errors.js";
import { checkSurvivalData, describeRows } from "./data.js";
import { argsort } from "./event-table.js";

/** Counts behind a concordance index. */
export interface ConcordanceCounts {
  concordant: number;
  tied: number;
  pairs: number;
}

/** Count concordant, tied-score and comparable pairs. */
export function concordanceCounts(eventTimes: ArrayLike<number>, predictedScores: ArrayLike<number>, events?: ArrayLike<number | boolean>): ConcordanceCounts {
  const checked = checkSurvivalData({ durations: eventTimes, events }, { context: "concordance index" });
  const n = checked.n;
  if (predictedScores.length !== n) throw new DataError(`concordance index: ${predictedScores.length} predicted scores for ${n} rows`);
  const scores = Float64Array.from(predictedScores as ArrayLike<number>);
  const bad: number[] = [];
  for (let i = 0; i < n; i++) if (Number.isNaN(scores[i])) bad.push(i);
  if (bad.length > 0) throw new DataError(`concordance index: predicted scores are NaN at ${describeRows(bad)}`);
  const { durations, events: ev } = checked;

  // Distinct scores of the failures, for the Fenwick tree's index space.
  const deathScores: number[] = [];
  for (let i = 0; i < n; i++) if (ev[i] === 1) deathScores.push(scores[i]);
  if (deathScores.length === 0) return { concordant: 0, tied: 0, pairs: 0 };
  const unique = Float64Array.from(deathScores).sort();
  let m = 0;
  for (let i = 0; i < unique.length; i++) if (i === 0 || unique[i] !== unique[m - 1]) unique[m++] = unique[i];
  const keys = unique.subarray(0, m);
  const tree = new Float64Array(m + 1);
  let poolSize = 0;

  const lowerBound = (x: number): number => {
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const prefix = (k: number): number => {
    let s = 0;
    for (let i = k; i > 0; i -= i & -i) s += tree[i];
    return s;
  };
  const add = (k: number): void => {
    for (let i = k + 1; i <= m; i += i & -i) tree[i] += 1;
  };
  const countEqual = (pos: number): number => (pos < m ? prefix(pos + 1) - prefix(pos) : 0);

  const order = argsort(durations);
  let concordant = 0;
  let tied = 0;
  let pairs = 0;
  let i = 0;
  while (i < n) {
    const t = durations[order[i]];
    let end = i;
    while (end < n && durations[order[end]] === t) end++;
    // Failures at t are compared with failures strictly before t, then join the pool;
    // censorings at t are compared with all failures up to and including t and never join.
    for (const wantEvent of [1, 0]) {
      for (let k = i; k < end; k++) {
        const r = order[k];
        if (ev[r] !== wantEvent) continue;
        const pos = lowerBound(scores[r]);
        const equal = keys[pos] === scores[r] ? countEqual(pos) : 0;
        pairs += poolSize;
        concordant += prefix(pos);
        tied += equal;
      }
      if (wantEvent === 1) {
        for (let k = i; k < end; k++) {
          const r = order[k];
          if (ev[r] === 1) {
            add(lowerBound(scores[r]));
            poolSize++;
          }
        }
      }
    }
    i = end;
  }
  return { concordant, tied, pairs };
}

/** Harrell's C: (concordant + tied / 2) / comparable pairs; higher scores mean longer predicted survival. */
export function concordanceIndex(eventTimes: ArrayLike<number>, predictedScores: ArrayLike<number>, events?: ArrayLike<number | boolean>): number {
  const c = concordanceCounts(eventTimes, predictedScores, events);
  if (c.pairs === 0) throw new DataError("concordance index: no comparable pairs (no observed event precedes another time)");
  return (c.concordant + c.tied / 2) / c.pairs;
}
