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
  const births = new Float64Array(n);
  if (data.entry) {
    births.set(data.entry);
  } else {
    let minDuration = Infinity;
    for (let i = 0; i < n; i++) if (durations[i] < minDuration) minDuration = durations[i];
    births.fill(Math.min(0, minDuration));
  }
  const byDeath = argsort(durations);
  // Without entry times every birth is at the same time, so identity order is already sorted.
  const byBirth = data.entry ? argsort(births) : Uint32Array.from({ length: n }, (_, i) => i);

  const time: number[] = [];
  const removed: number[] = [];
  const observed: number[] = [];
  const entrance: number[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < n) {
    const tDeath = i < n ? durations[byDeath[i]] : Infinity;
    const tBirth = j < n ? births[byBirth[j]] : Infinity;
    const t = Math.min(tDeath, tBirth);
    let rem = 0;
    let obs = 0;
    let ent = 0;
    while (i < n && durations[byDeath[i]] === t) {
      const k = byDeath[i++];
      rem += weights[k];
      if (events[k] === 1) obs += weights[k];
    }
    while (j < n && births[byBirth[j]] === t) ent += weights[byBirth[j++]];
    time.push(t);
    removed.push(rem);
    observed.push(obs);
    entrance.push(ent);
  }

  const m = time.length;
  const table: EventTable = {
    time: Float64Array.from(time),
    removed: Float64Array.from(removed),
    observed: Float64Array.from(observed),
    censored: new Float64Array(m),
    entrance: Float64Array.from(entrance),
    atRisk: new Float64Array(m),
  };
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
