/**
 * Operator alerts from explained anomaly events: deterministic rules over sensor-family dominance
 * (the first matching rule in priority order wins), severity from the score's margin over the
 * operating threshold, a confidence equal to the rule's match strength, and deduplication: a
 * second alert for the same device and cause within `suppressWindowSamples` of the last one is
 * folded into it (counted, severity raised) instead of paging again.
 */
import { z } from "zod";
import type { SensorFamily } from "../features/industrial.js";
import type { RowExplanation } from "./explain.js";
import type { AnomalyEvent } from "./events.js";

/** Alert severities, least to most severe. */
export const SEVERITIES = ["INFO", "WARNING", "CRITICAL"] as const;
/** An alert severity. */
export type Severity = (typeof SEVERITIES)[number];

/** Settings of the alert rules. */
export const AlertConfigSchema = z.strictObject({
  /** Score margin over the threshold for WARNING and CRITICAL. */
  warningMargin: z.number().min(0).default(0.02),
  criticalMargin: z.number().min(0).default(0.05),
  /** Same device + cause within this many samples of the last alert: suppressed (deduplicated). */
  suppressWindowSamples: z.number().int().min(0).default(900),
});
/** Alert settings with defaults applied. */
export type AlertConfig = z.output<typeof AlertConfigSchema>;

const SENSORS: readonly SensorFamily[] = ["Voltage", "Current", "Temperature", "RPM", "Vibration"];

function topSensor(share: (f: SensorFamily) => number): SensorFamily {
  let best = SENSORS[0];
  for (const f of SENSORS) if (share(f) > share(best)) best = f;
  return best;
}

interface Rule {
  id: string;
  cause: string;
  /** Match strength in [0, 1] from family shares (fractions); >= 1 means the rule fully matches, > 0.5 it fires. */
  strength(share: (f: SensorFamily) => number): number;
}

/** The rules, in priority order: combined-family rules before single-family ones. */
export const ALERT_RULES: readonly Rule[] = [
  {
    id: "power_instability_voltage_current",
    cause: "Power instability",
    strength: (s) => Math.min((s("Voltage") + s("Current")) / 0.5, Math.min(s("Voltage"), s("Current")) / 0.15),
  },
  { id: "thermal_overload_temperature", cause: "Thermal overload", strength: (s) => s("Temperature") / 0.35 },
  {
    id: "mechanical_wear_vibration_rpm",
    cause: "Mechanical wear",
    strength: (s) => Math.min((s("Vibration") + s("RPM")) / 0.45, s("Vibration") / 0.2),
  },
  // Voltage alone only counts as electrical noise when no other sensor family outweighs it.
  { id: "electrical_noise_voltage", cause: "Electrical noise", strength: (s) => (topSensor(s) === "Voltage" ? s("Voltage") / 0.35 : 0) },
];

/** One operator alert. */
export interface Alert {
  device: number;
  startSample: number;
  endSample: number;
  peakRow: number;
  score: number;
  severity: Severity;
  cause: string;
  rule: string;
  confidence: number;
  families: { family: SensorFamily; percent: number }[];
  topFeatures: { feature: string; percent: number }[];
  /** Later events folded into this alert by deduplication. */
  suppressed: number;
  lastSample: number;
}

/** Classify one explained event: the first rule whose strength reaches 1, else the strongest rule above 0.5, else the fallback. */
export function classifyEvent(e: RowExplanation): { rule: string; cause: string; confidence: number } {
  const shares = new Map(e.families.map((f) => [f.family, f.percent / 100]));
  const share = (f: SensorFamily): number => shares.get(f) ?? 0;
  for (const r of ALERT_RULES) {
    const s = r.strength(share);
    if (s >= 1) return { rule: r.id, cause: r.cause, confidence: 1 };
  }
  let best: { rule: string; cause: string; confidence: number } | null = null;
  for (const r of ALERT_RULES) {
    const s = r.strength(share);
    if (s > 0.5 && (best === null || s > best.confidence)) best = { rule: r.id, cause: r.cause, confidence: s };
  }
  return best ?? { rule: "fallback_uncategorized", cause: "Uncategorized anomaly", confidence: 0 };
}

/** Severity from the score's margin over the threshold; uncategorized anomalies stay below CRITICAL. */
export function severityOf(score: number, threshold: number, rule: string, config: AlertConfig): Severity {
  const margin = score - threshold;
  let s: Severity = margin >= config.criticalMargin ? "CRITICAL" : margin >= config.warningMargin ? "WARNING" : "INFO";
  if (rule === "fallback_uncategorized" && s === "CRITICAL") s = "WARNING";
  return s;
}

/** Alerts for explained events (events in time order per device), deduplicated per device and cause. */
export function buildAlerts(events: readonly AnomalyEvent[], explanations: readonly RowExplanation[], threshold: number, config: AlertConfig): Alert[] {
  const order = events.map((_, i) => i).sort((a, b) => events[a].startSample - events[b].startSample || events[a].device - events[b].device);
  const last = new Map<string, Alert>();
  const out: Alert[] = [];
  for (const i of order) {
    const ev = events[i];
    const ex = explanations[i];
    // A dropout found by the streak rule has no forest explanation to classify: name it directly.
    const c = ev.dropout ? { rule: "sensor_dropout_streak", cause: "Sensor dropout", confidence: 1 } : classifyEvent(ex);
    const severity = severityOf(ev.peakScore, threshold, c.rule, config);
    const key = `${ev.device}|${c.cause}`;
    const prev = last.get(key);
    if (prev !== undefined && ev.startSample - prev.lastSample <= config.suppressWindowSamples) {
      prev.suppressed++;
      prev.lastSample = ev.endSample;
      if (SEVERITIES.indexOf(severity) > SEVERITIES.indexOf(prev.severity)) prev.severity = severity;
      continue;
    }
    const alert: Alert = {
      device: ev.device,
      startSample: ev.startSample,
      endSample: ev.endSample,
      peakRow: ev.peakRow,
      score: ev.peakScore,
      severity,
      cause: c.cause,
      rule: c.rule,
      confidence: c.confidence,
      families: ex.families.filter((f) => f.percent > 0).slice(0, 3),
      topFeatures: ex.top.slice(0, 3).map((f) => ({ feature: f.feature, percent: f.percent })),
      suppressed: 0,
      lastSample: ev.endSample,
    };
    last.set(key, alert);
    out.push(alert);
  }
  return out;
}
