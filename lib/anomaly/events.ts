/**
 * From flagged rows to events and fleet summaries: consecutive flagged rows of one device (gaps up
 * to `mergeGapSamples`) form one event whose peak row is the one explained; events aggregate per
 * device (count, mean and 95th-percentile peak score, family shares) and across the fleet.
 */
import type { SensorFamily } from "../features/industrial.js";
import type { RowExplanation } from "./explain.js";
import { percentileSorted } from "./thresholds.js";

/** A run of flagged rows on one device. */
export interface AnomalyEvent {
  device: number;
  startSample: number;
  endSample: number;
  rows: number;
  /** Row (in the telemetry table) with the highest score, and that score. */
  peakRow: number;
  peakScore: number;
  /** The most frequent fault tag code among the event's rows (0 = none). */
  tag: number;
  /** Whether any of its rows was flagged by the sensor-dropout rule rather than the forest. */
  dropout: boolean;
  /**
   * The event's last row flagged by the dropout rule (-1 if none). Streaks only grow while a
   * dropout lasts, so this row carries the event's longest streak: the one its explanation names.
   */
  ruleRow: number;
}

/**
 * Group flagged rows into events. `rows` are table rows in ascending order, `device` and `sample`
 * the table's device id and per-device sample index columns.
 */
export function groupEvents(
  rows: ArrayLike<number>,
  scores: ArrayLike<number>,
  threshold: number,
  device: ArrayLike<number>,
  sample: ArrayLike<number>,
  tags: ArrayLike<number>,
  mergeGapSamples: number,
  /** Per entry of `rows`: 1 where the dropout rule flagged the row (optional). */
  ruleFlags?: ArrayLike<number>,
  /** Per entry of `rows`: 1 where the row is flagged (e.g. after persistence); replaces `score >= threshold` when given. */
  flags?: ArrayLike<number>,
): AnomalyEvent[] {
  const open = new Map<number, { ev: AnomalyEvent; tagCounts: Map<number, number> }>();
  const done: AnomalyEvent[] = [];
  const close = (o: { ev: AnomalyEvent; tagCounts: Map<number, number> }): void => {
    let best = 0;
    let bestCount = -1;
    for (const [t, c] of o.tagCounts) if (c > bestCount || (c === bestCount && t < best)) [best, bestCount] = [t, c];
    o.ev.tag = best;
    done.push(o.ev);
  };
  for (let i = 0; i < rows.length; i++) {
    if (flags !== undefined ? flags[i] !== 1 : !(scores[i] >= threshold)) continue;
    const r = rows[i];
    const d = device[r];
    const k = sample[r];
    const cur = open.get(d);
    if (cur !== undefined && k - cur.ev.endSample <= mergeGapSamples) {
      cur.ev.endSample = k;
      cur.ev.rows++;
      if (scores[i] > cur.ev.peakScore) {
        cur.ev.peakScore = scores[i];
        cur.ev.peakRow = r;
      }
      cur.tagCounts.set(tags[r], (cur.tagCounts.get(tags[r]) ?? 0) + 1);
      if (ruleFlags !== undefined && ruleFlags[i] === 1) {
        cur.ev.dropout = true;
        cur.ev.ruleRow = r;
      }
      continue;
    }
    if (cur !== undefined) close(cur);
    const byRule = ruleFlags !== undefined && ruleFlags[i] === 1;
    open.set(d, { ev: { device: d, startSample: k, endSample: k, rows: 1, peakRow: r, peakScore: scores[i], tag: 0, dropout: byRule, ruleRow: byRule ? r : -1 }, tagCounts: new Map([[tags[r], 1]]) });
  }
  for (const o of open.values()) close(o);
  return done.sort((a, b) => a.device - b.device || a.startSample - b.startSample);
}

/** Per-device summary of explained events. */
export interface DeviceSummary {
  device: number;
  events: number;
  flaggedRows: number;
  meanScore: number;
  p95Score: number;
  /** Family shares averaged over the device's events (percent), largest first. */
  families: { family: SensorFamily; percent: number }[];
}

/** Fleet-wide summary. */
export interface FleetSummary {
  devices: number;
  devicesWithEvents: number;
  events: number;
  meanScore: number;
  p95Score: number;
  families: { family: SensorFamily; percent: number }[];
  /** The fleet's dominant family, and whether it dominates on at least half the affected devices (systemic). */
  dominantFamily: SensorFamily | null;
  systemic: boolean;
}

function meanFamilies(list: readonly RowExplanation[]): { family: SensorFamily; percent: number }[] {
  const acc = new Map<SensorFamily, number>();
  for (const e of list) for (const f of e.families) acc.set(f.family, (acc.get(f.family) ?? 0) + f.percent / list.length);
  return [...acc.entries()].map(([family, percent]) => ({ family, percent })).sort((a, b) => b.percent - a.percent);
}

function scoreStats(scores: number[]): { mean: number; p95: number } {
  if (scores.length === 0) return { mean: 0, p95: 0 };
  const s = Float64Array.from(scores).sort();
  return { mean: scores.reduce((a, b) => a + b, 0) / scores.length, p95: percentileSorted(s, 95) };
}

/** Aggregate explained events per device (sorted by event count, then mean score) and fleet-wide. */
export function aggregateEvents(
  events: readonly AnomalyEvent[],
  explanations: readonly RowExplanation[],
  deviceCount: number,
): { devices: DeviceSummary[]; fleet: FleetSummary } {
  const byDevice = new Map<number, number[]>();
  events.forEach((e, i) => {
    const l = byDevice.get(e.device) ?? [];
    l.push(i);
    byDevice.set(e.device, l);
  });
  const devices: DeviceSummary[] = [];
  for (const [device, idx] of byDevice) {
    const st = scoreStats(idx.map((i) => events[i].peakScore));
    devices.push({
      device,
      events: idx.length,
      flaggedRows: idx.reduce((a, i) => a + events[i].rows, 0),
      meanScore: st.mean,
      p95Score: st.p95,
      families: meanFamilies(idx.map((i) => explanations[i])),
    });
  }
  devices.sort((a, b) => b.events - a.events || b.meanScore - a.meanScore || a.device - b.device);
  const st = scoreStats(events.map((e) => e.peakScore));
  const families = meanFamilies(explanations);
  const dominantFamily = families.length > 0 && explanations.length > 0 ? families[0].family : null;
  const sharing = devices.filter((d) => d.families.length > 0 && d.families[0].family === dominantFamily).length;
  return {
    devices,
    fleet: {
      devices: deviceCount,
      devicesWithEvents: devices.length,
      events: events.length,
      meanScore: st.mean,
      p95Score: st.p95,
      families,
      dominantFamily,
      systemic: devices.length > 1 && sharing >= Math.max(2, deviceCount / 2),
    },
  };
}
