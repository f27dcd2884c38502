/**
 * The anomaly model: standard scaling (training mean and standard deviation) followed by an
 * isolation forest, fitted on normal rows only. The anomaly score is 2^(-E[h(x)] / c(psi)), the
 * negated scikit-learn `score_samples`: in (0, 1], higher = more anomalous. The operating threshold
 * chosen on labelled data is stored with the model so a saved model carries its decision rule.
 */
import { DataError } from "../errors.js";
import type { Rng } from "../util/random.js";
import { averagePathLength, fitIsolationForest, fitIsolationForestFrom, IsolationForest, type IsolationForestJSON, type IsolationForestParams } from "../trees/isolation-forest.js";
import type { FeatureMatrix } from "../trees/matrix.js";

/** Rows scaled and scored per block by AnomalyModel.score (256 rows x 102 features = 209 KB: stays in L2 while all trees walk it). */
const SCORE_BLOCK_ROWS = 256;

/** How the stored threshold was chosen. */
export interface ThresholdChoice {
  threshold: number;
  rule: "recall_at_precision" | "best_f1" | "manual";
  minPrecision: number | null;
}

/** JSON form of a fitted anomaly model. */
export interface AnomalyModelJSON {
  kind: "AnomalyModel";
  version: 1;
  featureNames: string[];
  mean: number[];
  scale: number[];
  forest: IsolationForestJSON;
  threshold: ThresholdChoice | null;
}

/** A fitted scaler + isolation forest, with an optional operating threshold. */
export class AnomalyModel {
  readonly kind = "AnomalyModel";
  constructor(
    readonly featureNames: readonly string[],
    readonly mean: Float64Array,
    readonly scale: Float64Array,
    readonly forest: IsolationForest,
    readonly threshold: ThresholdChoice | null = null,
  ) {}

  /** Standard-scale the selected rows of column features into a row-major matrix. */
  transform(columns: readonly Float64Array[], rows: ArrayLike<number>): FeatureMatrix {
    if (columns.length !== this.featureNames.length) throw new DataError(`AnomalyModel.transform: got ${columns.length} feature columns, the model has ${this.featureNames.length}`);
    return standardize(columns, rows, this.mean, this.scale);
  }

  /**
   * Anomaly scores (higher = more anomalous) of the selected rows, equal to
   * `scoreMatrix(transform(columns, rows))` but scaled and scored in blocks of rows: the scaled
   * block stays in cache, and no n x p matrix is ever allocated.
   */
  score(columns: readonly Float64Array[], rows: ArrayLike<number>): Float64Array {
    const p = this.featureNames.length;
    if (columns.length !== p) throw new DataError(`AnomalyModel.score: got ${columns.length} feature columns, the model has ${p}`);
    const n = rows.length;
    const out = new Float64Array(n);
    const block = SCORE_BLOCK_ROWS;
    const buf = new Float64Array(Math.min(n, block) * p);
    const c = averagePathLength(this.forest.maxSamples);
    for (let b0 = 0; b0 < n; b0 += block) {
      const m = Math.min(block, n - b0);
      for (let f = 0; f < p; f++) {
        const col = columns[f];
        const mu = this.mean[f];
        const sd = this.scale[f];
        for (let i = 0; i < m; i++) {
          const v = (col[rows[b0 + i]] - mu) / sd;
          // The forest would silently send NaN right: refuse it like the forest's own entry points do.
          if (!(v - v === 0)) throw new DataError(`AnomalyModel.score: row ${rows[b0 + i]}, feature ${this.featureNames[f]} is ${col[rows[b0 + i]]}; isolation forests need finite values`);
          buf[i * p + f] = v;
        }
      }
      const h = out.subarray(b0, b0 + m);
      this.forest.addPathLengths({ nRows: m, nCols: p, values: m * p === buf.length ? buf : buf.subarray(0, m * p) }, h);
      for (let i = 0; i < m; i++) h[i] = Math.pow(2, -h[i] / c);
    }
    return out;
  }

  /** Anomaly scores of an already scaled matrix. */
  scoreMatrix(x: FeatureMatrix): Float64Array {
    const s = this.forest.scoreSamples(x);
    for (let i = 0; i < s.length; i++) s[i] = -s[i];
    return s;
  }

  /** A copy of this model carrying an operating threshold. */
  withThreshold(choice: ThresholdChoice): AnomalyModel {
    return new AnomalyModel(this.featureNames, this.mean, this.scale, this.forest, choice);
  }

  /** Serialize to plain JSON (kind "AnomalyModel", version 1). */
  toJSON(): AnomalyModelJSON {
    return {
      kind: "AnomalyModel",
      version: 1,
      featureNames: [...this.featureNames],
      mean: Array.from(this.mean),
      scale: Array.from(this.scale),
      forest: this.forest.toJSON(),
      threshold: this.threshold,
    };
  }

  /** Load a model saved with toJSON(). */
  static fromJSON(json: unknown): AnomalyModel {
    const j = json as Partial<AnomalyModelJSON> | null;
    if (j === null || typeof j !== "object" || j.kind !== "AnomalyModel") throw new DataError(`not an AnomalyModel: kind = ${JSON.stringify(j?.kind)}`);
    if (j.version !== 1) throw new DataError(`unsupported AnomalyModel version ${JSON.stringify(j.version)} (this library reads 1)`);
    const m = j as AnomalyModelJSON;
    return new AnomalyModel(m.featureNames, Float64Array.from(m.mean), Float64Array.from(m.scale), IsolationForest.fromJSON(m.forest), m.threshold);
  }
}

/** Gather the selected rows of column features into a row-major matrix, standard-scaled. */
export function standardize(columns: readonly Float64Array[], rows: ArrayLike<number>, mean: Float64Array, scale: Float64Array): FeatureMatrix {
  const p = columns.length;
  const n = rows.length;
  const values = new Float64Array(n * p);
  for (let f = 0; f < p; f++) {
    const col = columns[f];
    const m = mean[f];
    const s = scale[f];
    for (let i = 0; i < n; i++) values[i * p + f] = (col[rows[i]] - m) / s;
  }
  return { nRows: n, nCols: p, values };
}

/** Fit the scaler and the isolation forest on the given (normal) training rows of column features. */
export function fitAnomalyModel(
  names: readonly string[],
  columns: readonly Float64Array[],
  trainRows: ArrayLike<number>,
  params: IsolationForestParams = {},
  ctx: { rng?: Rng } = {},
): AnomalyModel {
  const n = trainRows.length;
  if (n < 2) throw new DataError(`fitAnomalyModel: need at least 2 training rows, got ${n}`);
  if (names.length !== columns.length) throw new DataError(`fitAnomalyModel: ${names.length} names for ${columns.length} columns`);
  const p = columns.length;
  const mean = new Float64Array(p);
  const scale = new Float64Array(p);
  for (let f = 0; f < p; f++) {
    const col = columns[f];
    let s = 0;
    for (let i = 0; i < n; i++) s += col[trainRows[i]];
    const m = s / n;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const d = col[trainRows[i]] - m;
      ss += d * d;
    }
    const sd = Math.sqrt(ss / n);
    // A non-finite value makes the mean non-finite: name the first such row.
    if (!(m - m === 0)) {
      let i = 0;
      while (i < n && col[trainRows[i]] - col[trainRows[i]] === 0) i++;
      throw new DataError(`fitAnomalyModel: row ${trainRows[i]}, feature ${names[f]} is ${col[trainRows[i]]}; isolation forests need finite values`);
    }
    mean[f] = m;
    // A feature constant in training keeps unit scale (scikit-learn's StandardScaler does the same).
    scale[f] = sd > 0 ? sd : 1;
  }
  // The trees read only nEstimators x maxSamples rows: scale those on demand instead of building
  // the n x p scaled matrix (the same values, so the same forest as fitting on that matrix).
  const gather = (row: number, out: Float64Array, at: number, stride: number): void => {
    const r = trainRows[row];
    for (let f = 0; f < p; f++) out[f * stride + at] = (columns[f][r] - mean[f]) / scale[f];
  };
  const forest =
    (params.contamination ?? "auto") === "auto"
      ? fitIsolationForestFrom(n, p, gather, params, { rng: ctx.rng })
      : fitIsolationForest(standardize(columns, trainRows, mean, scale), params, { rng: ctx.rng });
  return new AnomalyModel(names, mean, scale, forest);
}
