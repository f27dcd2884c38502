/**
 * Per-event explanations of isolation-forest anomaly scores. The forest's raw output is the mean
 * path length E[h(x)]; exact path-dependent TreeSHAP (lib/trees/tree-shap.ts) applies to isolation
 * trees unchanged, with the leaf value depth + c(n) and the training cover as the conditional
 * distribution. A feature whose SHAP value is negative shortens the path, i.e. pushes the row
 * towards "anomalous"; its share of the total shortening is its attribution.
 */
import { DataError } from "../errors.js";
import type { FeatureMatrix } from "../trees/matrix.js";
import { treeShapInto } from "../trees/tree-shap.js";
import { SENSOR_CHANNELS, SENSOR_FAMILIES, type SensorChannel, type SensorFamily } from "../features/industrial.js";
import type { AnomalyModel } from "./model.js";
import type { AnomalyEvent } from "./events.js";

/** One feature's share of an anomaly. */
export interface FeatureShare {
  feature: string;
  family: SensorFamily;
  /** Share of the anomaly attributed to this feature, in percent (shares of all features sum to 100). */
  percent: number;
}

/** The explanation of one scored row. */
export interface RowExplanation {
  /** Top features by share, largest first. */
  top: FeatureShare[];
  /** Percent per sensor family (sums to 100 over all families), largest first. */
  families: { family: SensorFamily; percent: number }[];
  /** Mean path length E[h(x)] and the forest's expected path length (SHAP base value); NaN when a rule, not the forest, explains the row. */
  pathLength: number;
  basePathLength: number;
  /** Set when a deterministic rule (not the forest) flagged the row: what it found. */
  rule?: RuleExplanation;
}

/** One sensor channel caught by the dropout rule. */
export interface DropoutChannel {
  channel: SensorChannel;
  family: SensorFamily;
  /** "missing": no reading (NaN) for `samples` samples; "stuck": the reading unchanged for `samples` samples after the first. */
  kind: "missing" | "stuck";
  samples: number;
}

/** A rule-based explanation: the rule, the channels it names, and a readable sentence. */
export interface RuleExplanation {
  id: "sensor_dropout_streak";
  minStreak: number;
  channels: DropoutChannel[];
  sentence: string;
}

/** Column lookups the rule explanation reads (any feature table with the industrial streak columns). */
export interface StreakFeatures {
  readonly names: readonly string[];
  readonly columns: readonly ArrayLike<number>[];
}

const FAMILY_OF: Record<SensorChannel, SensorFamily> = { voltage_v: "Voltage", current_a: "Current", temp_c: "Temperature", rpm: "RPM", vibration_g: "Vibration" };

/**
 * Explain a row flagged by the dropout streak rule: the channels whose missing or stuck streak
 * reached `minStreak` (the longer streak of the two per channel), shares proportional to streak
 * length, the family of each channel, and a sentence naming channel, kind and length.
 */
export function explainDropout(features: StreakFeatures, row: number, minStreak: number): RowExplanation {
  const found: DropoutChannel[] = [];
  const all: DropoutChannel[] = [];
  for (const channel of SENSOR_CHANNELS) {
    const mi = features.names.indexOf(`${channel}_missing_streak`);
    const si = features.names.indexOf(`${channel}_stuck_streak`);
    if (mi < 0 || si < 0) throw new DataError(`explainDropout: no ${channel}_missing_streak / ${channel}_stuck_streak feature`);
    const missing = features.columns[mi][row];
    const stuck = features.columns[si][row];
    const c: DropoutChannel = missing >= stuck ? { channel, family: FAMILY_OF[channel], kind: "missing", samples: missing } : { channel, family: FAMILY_OF[channel], kind: "stuck", samples: stuck };
    all.push(c);
    if (c.samples >= minStreak && c.samples > 0) found.push(c);
  }
  // Called on a row the rule did not flag (a caller's mistake or a changed limit): name the longest streak rather than nothing.
  if (found.length === 0) {
    const longest = all.reduce((a, b) => (b.samples > a.samples ? b : a));
    if (longest.samples > 0) found.push(longest);
  }
  found.sort((a, b) => b.samples - a.samples || SENSOR_CHANNELS.indexOf(a.channel) - SENSOR_CHANNELS.indexOf(b.channel));
  const total = found.reduce((s, c) => s + c.samples, 0);
  const top: FeatureShare[] = found.map((c) => ({ feature: `${c.channel}_${c.kind}_streak`, family: c.family, percent: total > 0 ? (100 * c.samples) / total : 0 }));
  const fam = new Map<SensorFamily, number>(SENSOR_FAMILIES.map((s) => [s, 0]));
  for (const t of top) fam.set(t.family, (fam.get(t.family) ?? 0) + t.percent);
  const families = [...fam.entries()].map(([family, percent]) => ({ family, percent })).sort((a, b) => b.percent - a.percent);
  const parts = found.map((c) => (c.kind === "missing" ? `${c.family} sensor silent: no reading for ${c.samples} samples` : `${c.family} sensor stuck: reading unchanged for ${c.samples} samples`));
  const sentence = `${parts.length > 0 ? parts.join("; ") : "No sensor streak found"} (rule: dropout streak >= ${minStreak}).`;
  return { top, families, pathLength: NaN, basePathLength: NaN, rule: { id: "sensor_dropout_streak", minStreak, channels: found, sentence } };
}

/**
 * Explain events: the dropout rule explains events it flagged (at the event's last rule-flagged
 * row, where the streak is longest), TreeSHAP of the forest explains the others (at the peak row).
 */
export function explainEvents(
  model: AnomalyModel,
  features: StreakFeatures & { readonly columns: readonly Float64Array[]; readonly families: readonly SensorFamily[] },
  events: readonly AnomalyEvent[],
  options: { dropoutStreakSamples: number; topK?: number },
): RowExplanation[] {
  const forestIdx: number[] = [];
  const out: RowExplanation[] = new Array<RowExplanation>(events.length);
  events.forEach((e, i) => {
    if (e.dropout && e.ruleRow >= 0) out[i] = explainDropout(features, e.ruleRow, options.dropoutStreakSamples);
    else forestIdx.push(i);
  });
  const shap = explainRows(model, features.columns, forestIdx.map((i) => events[i].peakRow), features.families, options.topK ?? 5);
  forestIdx.forEach((i, j) => (out[i] = shap[j]));
  return out;
}

/**
 * SHAP values of the mean path length for each row of a scaled matrix: row r, feature f at
 * `r * (p + 1) + f`, the base value at `r * (p + 1) + p`.
 */
export function pathLengthShap(model: AnomalyModel, x: FeatureMatrix): Float64Array {
  const p = x.nCols;
  const out = new Float64Array(x.nRows * (p + 1));
  const trees = model.forest.trees;
  for (const tree of trees) treeShapInto(tree, x, out, p + 1, 0, 0, 1 / trees.length);
  return out;
}

/** Explain rows of column features: top-k feature shares and family shares of the path shortening. */
export function explainRows(
  model: AnomalyModel,
  columns: readonly Float64Array[],
  rows: ArrayLike<number>,
  families: readonly SensorFamily[],
  topK = 5,
): RowExplanation[] {
  const x = model.transform(columns, rows);
  const p = x.nCols;
  const phi = pathLengthShap(model, x);
  const out: RowExplanation[] = [];
  const push = new Float64Array(p);
  for (let r = 0; r < x.nRows; r++) {
    const base = r * (p + 1);
    let total = 0;
    let sum = 0;
    for (let f = 0; f < p; f++) {
      sum += phi[base + f];
      push[f] = phi[base + f] < 0 ? -phi[base + f] : 0;
      total += push[f];
    }
    const order = Array.from({ length: p }, (_, f) => f).sort((a, b) => push[b] - push[a] || a - b);
    const top: FeatureShare[] = [];
    for (let i = 0; i < Math.min(topK, p); i++) {
      const f = order[i];
      top.push({ feature: model.featureNames[f], family: families[f], percent: total > 0 ? (100 * push[f]) / total : 0 });
    }
    const fam = new Map<SensorFamily, number>(SENSOR_FAMILIES.map((s) => [s, 0]));
    for (let f = 0; f < p; f++) fam.set(families[f], (fam.get(families[f]) ?? 0) + (total > 0 ? (100 * push[f]) / total : 0));
    const famList = [...fam.entries()].map(([family, percent]) => ({ family, percent })).sort((a, b) => b.percent - a.percent);
    out.push({ top, families: famList, pathLength: phi[base + p] + sum, basePathLength: phi[base + p] });
  }
  return out;
}

/** A readable sentence for an explanation, e.g. "Mostly Temperature (61.2%), then Vibration (20.1%); led by temp_c_mean_300 (18.0%)." */
export function explanationSentence(e: RowExplanation): string {
  if (e.rule !== undefined) return e.rule.sentence;
  const fams = e.families.filter((f) => f.percent >= 10).slice(0, 3);
  const lead = fams.length > 0 ? fams : e.families.slice(0, 1);
  const head = `Mostly ${lead[0].family} (${lead[0].percent.toFixed(1)}%)` + (lead.length > 1 ? `, then ${lead.slice(1).map((f) => `${f.family} (${f.percent.toFixed(1)}%)`).join(" and ")}` : "");
  const feats = e.top.slice(0, 3).map((f) => `${f.feature} (${f.percent.toFixed(1)}%)`).join(", ");
  return `${head}; led by ${feats}.`;
}
