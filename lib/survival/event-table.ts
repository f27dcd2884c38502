/**
 * The life table every non-parametric estimator is built on, laid out exactly like lifelines'
 * `event_table`: one row per distinct time (event, censoring or entry), with the weighted counts
 * removed / observed / censored / entrance and the number at risk just before that time.
 * Without entry times every row is "born" at time 0, so the table starts with a row at 0.
 */

import type { CheckedSurvivalData } from "./data.js";

/** Columns of an event table, one entry per distinct time, times increasing. */
export interface EventTable {
  time: Float64Array;
  /** Weighted number leaving the risk set at this time (events + censorings). */
  removed: Float64Array;
  /** Weighted number of observed events at this time. */
  observed: Float64Array;
  /** Weighted number censored at this time. */
  censored: Float64Array;
  /** Weighted number entering the risk set at this time. */
  entrance: Float64Array;
  /** Weighted number at risk just before this time (entrants at this time included). */
  atRisk: Float64Array;
}

/** The distinct values of `keys` in increasing order and each key's position among them (keys must not be NaN). */
export function rankValues(keys: Float64Array): { unique: Float64Array; rank: Uint32Array } {
  const n = keys.length;
  // A native numeric typed-array sort is several times faster than sorting indices with a comparator.
  const sorted = Float64Array.from(keys).sort();
  let m = 0;
  for (let i = 0; i < n; i++) if (m === 0 || sorted[i] !== sorted[m - 1]) sorted[m++] = sorted[i];
  const unique = sorted.slice(0, m);
  const rank = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const x = keys[i];
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (unique[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    rank[i] = lo;
  }
  return { unique, rank };
}

/** Indices 0..n-1 sorted by the given keys (ascending; ties keep index order); keys must not be NaN. */
export function argsort(keys: Float64Array): Uint32Array {
  const { unique, rank } = rankValues(keys);
  // Counting sort on the ranks: stable and linear once the ranks are known.
  const start = new Uint32Array(unique.length + 1);
  for (let i = 0; i < rank.length; i++) start[rank[i] + 1]++;
  for (let r = 0; r < unique.length; r++) start[r + 1] += start[r];
  const order = new Uint32Array(keys.length);
  for (let i = 0; i < rank.length; i++) order[start[rank[i]]++] = i;
  return order;
}

/** Build the lifelines-style event table of checked survival data. */
export function buildEventTable(data: CheckedSurvivalData): EventTable {
  const { n, durations, events, weights } = data;
  // Births are the entry times, or one common time (0, or the smallest duration if that is below 0).
  let firstBirth = 0;
  if (!data.entry) for (let i = 0; i < n; i++) if (durations[i] < firstBirth) firstBirth = durations[i];
  const keys = new Float64Array(data.entry ? 2 * n : n + 1);
  keys.set(durations);
  if (data.entry) keys.set(data.entry, n);
  else keys[n] = firstBirth;
  // Every distinct time gets a row; counts are accumulated straight into their rank, no row sort needed.
  const { unique, rank } = rankValues(keys);
  const m = unique.length;
  const table: EventTable = {
    time: unique,
    removed: new Float64Array(m),
    observed: new Float64Array(m),
    censored: new Float64Array(m),
    entrance: new Float64Array(m),
    atRisk: new Float64Array(m),
  };
  let totalWeight = 0;
  for (let i = 0; i < n; i++) {
    const r = rank[i];
    const w = weights[i];
    table.removed[r] += w;
    if (events[i] === 1) table.observed[r] += w;
    if (data.entry) table.entrance[rank[n + i]] += w;
    totalWeight += w;
  }
  if (!data.entry) table.entrance[rank[n]] = totalWeight;
  let entered = 0;
  let left = 0;
  for (let r = 0; r < m; r++) {
    entered += table.entrance[r];
    table.atRisk[r] = entered - left;
    left += table.removed[r];
    table.censored[r] = table.removed[r] - table.observed[r];
  }
  return table;
}

/** Index of the last element of a sorted array that is <= t, or -1 when t precedes them all. */
export function lastIndexAtOrBefore(sorted: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
