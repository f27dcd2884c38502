/**
 * Per-event explanations of isolation-forest anomaly scores. The forest's raw output is the mean
 * path length E[h(x)]; exact path-dependent TreeSHAP (lib/trees/treeShap.ts) applies to isolation
 * trees unchanged, with the leaf value depth + c(n) and the training cover as the conditional
 * distribution. A feature whose SHAP value is negative shortens the path, i.e. pushes the row
 * towards "anomalous"; its share of the total shortening is its attribution.
 */
import type { FeatureMatrix } from "../trees/matrix.js";
import { treeShapInto } from "../trees/treeShap.js";
import { SENSOR_FAMILIES, type SensorFamily } from "../features/industrial.js";
import type { AnomalyModel } from "./model.js";

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
  /** Mean path length E[h(x)] and the forest's expected path length (SHAP base value). */
  pathLength: number;
  basePathLength: number;
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
  const fams = e.families.filter((f) => f.percent >= 10).slice(0, 3);
  const lead = fams.length > 0 ? fams : e.families.slice(0, 1);
  const head = `Mostly ${lead[0].family} (${lead[0].percent.toFixed(1)}%)` + (lead.length > 1 ? `, then ${lead.slice(1).map((f) => `${f.family} (${f.percent.toFixed(1)}%)`).join(" and ")}` : "");
  const feats = e.top.slice(0, 3).map((f) => `${f.feature} (${f.percent.toFixed(1)}%)`).join(", ");
  return `${head}; led by ${feats}.`;
}
