/**
 * LightGBM-style gradient boosting: `train(params, dataset, { numBoostRound, validSets,
 * callbacks, earlyStoppingRounds })` returns a Booster. Histogram-based, leaf-wise trees on
 * features binned once into uint8 codes; see hist-tree-learner.ts for the growth and
 * split-finder.ts for the gain.
 *
 * Bad input, decided here once: NaN is a missing value and follows each split's learned default
 * side (for features that had no NaN in training: the side that held more training rows);
 * +/-Infinity are ordinary extreme values (below / above every finite value); constant columns
 * are never split; an empty training set, a single class, non-0/1 binary labels and a feature
 * count that differs from training at prediction are DataErrors.
 */
import { ConfigError, DataError } from "../errors.js";
import { createRng, type Rng } from "../util/random.js";
import { binMatrix, buildBinMappers } from "./binning.js";
import { defaultMetric, evaluateMetric, higherIsBetter } from "./eval-metrics.js";
import { FlatForest } from "./flat-forest.js";
import { HistTreeLearner } from "./hist-tree-learner.js";
import { checkFeatureCount, toMatrix, type FeatureMatrix, type MatrixInput } from "./matrix.js";
import {
  binaryObjective,
  checkLabels,
  multiclassObjective,
  regressionObjective,
  transformScores,
  type Objective,
  type ObjectiveName,
} from "./objectives.js";
import { resolveBoostingParams, type BoostingParams, type BoostingParamsInput, type MetricName } from "./params.js";
import { leafIndexOf, treeFromJSON, treeToJSON, type Tree, type TreeJSON } from "./tree.js";
import { treeShapInto } from "./tree-shap.js";
import { WasmTrainingMemory } from "./wasm-histogram.js";

/** Training or validation data: features, labels and optional sample weights. */
export interface TreeDataset {
  X: MatrixInput;
  y: ArrayLike<number>;
  weight?: ArrayLike<number>;
  featureNames?: readonly string[];
}

/** One metric value on one data set at one iteration. */
export interface EvalRecord {
  dataset: string;
  metric: MetricName;
  value: number;
  higherIsBetter: boolean;
}

/** What a callback sees after each boosting round (a plain value, like LightGBM's CallbackEnv). */
export interface IterationRecord {
  /** 0-based round just finished. */
  iteration: number;
  numBoostRound: number;
  evaluations: EvalRecord[];
}

/** Called after every round; returning "stop" ends training after this round. */
export type BoostingCallback = (record: IterationRecord) => void | "stop";

/** Options of train() besides the model parameters. */
export interface TrainOptions {
  numBoostRound?: number;
  validSets?: readonly TreeDataset[];
  validNames?: readonly string[];
  callbacks?: readonly BoostingCallback[];
  /** Stop when the first metric on the first validation set has not improved for this many rounds. */
  earlyStoppingRounds?: number;
  /** Overrides params.seed as the source of bagging, feature and bin-sample draws. */
  rng?: Rng;
}

/** JSON form of a Booster (kind + schema version). */
export interface BoosterJSON {
  kind: "GradientBoostedTrees";
  version: 1;
  objective: ObjectiveName;
  numClass: number;
  numFeatures: number;
  featureNames: string[];
  initScore: number[];
  bestIteration: number;
  numIterations: number;
  params: BoostingParams;
  trees: TreeJSON[];
}

interface BoosterState {
  objective: ObjectiveName;
  numClass: number;
  numFeatures: number;
  featureNames: string[];
  initScore: Float64Array;
  bestIteration: number;
  params: BoostingParams;
  trees: Tree[];
  evalHistory: IterationRecord[];
}

/** Options of Booster prediction methods. */
export interface PredictOptions {
  /** Use the first this many rounds (default: the best round after early stopping, else all). */
  numIteration?: number;
  /** Threads for large batches (worker_threads; default 1); results are identical for any count. */
  numThreads?: number;
}

/** A trained gradient-boosting model: plain fitted state plus prediction methods. */
export class Booster {
  readonly kind = "GradientBoostedTrees";
  readonly objective: ObjectiveName;
  /** Outputs per row: 1, or the number of classes for multiclass. */
  readonly numClass: number;
  readonly numFeatures: number;
  readonly featureNames: string[];
  readonly initScore: Float64Array;
  /** Best round (1-based count of rounds) found by early stopping, or 0. */
  readonly bestIteration: number;
  readonly params: BoostingParams;
  readonly trees: readonly Tree[];
  /** Every round's record, as the callbacks saw it (empty after fromJSON). */
  readonly evalHistory: readonly IterationRecord[];
  private readonly flat: FlatForest;

  constructor(state: BoosterState) {
    this.objective = state.objective;
    this.numClass = state.numClass;
    this.numFeatures = state.numFeatures;
    this.featureNames = state.featureNames;
    this.initScore = state.initScore;
    this.bestIteration = state.bestIteration;
    this.params = state.params;
    this.trees = state.trees;
    this.evalHistory = state.evalHistory;
    this.flat = new FlatForest(state.trees);
  }

  /** Number of boosting rounds held (trees / numClass). */
  get numIterations(): number {
    return this.trees.length / this.numClass;
  }

  private treeEnd(options: PredictOptions): number {
    const it = options.numIteration ?? (this.bestIteration > 0 ? this.bestIteration : this.numIterations);
    if (!Number.isInteger(it) || it < 0) throw new DataError(`numIteration must be an integer >= 0, got ${it}`);
    return Math.min(it, this.numIterations) * this.numClass;
  }

  private matrix(X: MatrixInput): FeatureMatrix {
    const x = toMatrix(X);
    checkFeatureCount(x, this.numFeatures, "Booster");
    return x;
  }

  /** Raw margins (log-odds, regression value, or per-class scores row-major with numClass columns). */
  predictRaw(X: MatrixInput, options: PredictOptions = {}): Float64Array {
    const x = this.matrix(X);
    const K = this.numClass;
    const out = new Float64Array(x.nRows * K);
    for (let r = 0; r < x.nRows; r++) for (let k = 0; k < K; k++) out[r * K + k] = this.initScore[k];
    const threads = options.numThreads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw new DataError(`numThreads must be an integer >= 1, got ${threads}`);
    this.flat.addPredictions(x, out, K, 0, this.treeEnd(options), 1, threads);
    return out;
  }

  /** Predictions: probability of class 1 (binary), value (regression) or class probabilities row-major (multiclass). */
  predict(X: MatrixInput, options: PredictOptions = {}): Float64Array {
    const out = this.predictRaw(X, options);
    transformScores(this.objective, out, this.numClass);
    return out;
  }

  /** Per-feature importance: number of splits ("split") or total loss reduction ("gain"), over the predicting rounds. */
  featureImportance(type: "split" | "gain" = "split", options: PredictOptions = {}): Float64Array {
    const imp = new Float64Array(this.numFeatures);
    const end = this.treeEnd(options);
    for (let t = 0; t < end; t++) {
      const tree = this.trees[t];
      for (let i = 0; i < tree.feature.length; i++) imp[tree.feature[i]] += type === "split" ? 1 : tree.gain[i];
    }
    return imp;
  }

  /**
   * Exact path-dependent TreeSHAP contributions on the raw margin: row-major, for each row and
   * class `numFeatures + 1` values, the last being the expected value; each row's values sum
   * to predictRaw (LightGBM's pred_contrib layout).
   */
  shapValues(X: MatrixInput, options: PredictOptions = {}): Float64Array {
    const x = this.matrix(X);
    const K = this.numClass;
    const p = this.numFeatures;
    const width = p + 1;
    const out = new Float64Array(x.nRows * K * width);
    const end = this.treeEnd(options);
    for (let r = 0; r < x.nRows; r++) for (let k = 0; k < K; k++) out[(r * K + k) * width + p] = this.initScore[k];
    for (let t = 0; t < end; t++) {
      const k = t % K;
      treeShapInto(this.trees[t], x, out, K * width, k * width, 0);
    }
    return out;
  }

  /** Serialize to plain JSON (kind "GradientBoostedTrees", version 1). */
  toJSON(): BoosterJSON {
    return {
      kind: "GradientBoostedTrees",
      version: 1,
      objective: this.objective,
      numClass: this.numClass,
      numFeatures: this.numFeatures,
      featureNames: [...this.featureNames],
      initScore: Array.from(this.initScore),
      bestIteration: this.bestIteration,
      numIterations: this.numIterations,
      params: this.params,
      trees: this.trees.map(treeToJSON),
    };
  }

  /** Load a Booster saved with toJSON(); it predicts exactly as the original. */
  static fromJSON(json: unknown): Booster {
    const j = json as Partial<BoosterJSON> | null;
    if (j === null || typeof j !== "object" || j.kind !== "GradientBoostedTrees") {
      throw new DataError(`not a GradientBoostedTrees model: kind = ${JSON.stringify(j?.kind)}`);
    }
    if (j.version !== 1) throw new DataError(`unsupported GradientBoostedTrees version ${JSON.stringify(j.version)} (this library reads 1)`);
    const b = j as BoosterJSON;
    return new Booster({
      objective: b.objective,
      numClass: b.numClass,
      numFeatures: b.numFeatures,
      featureNames: b.featureNames,
      initScore: Float64Array.from(b.initScore),
      bestIteration: b.bestIteration,
      params: b.params,
      trees: b.trees.map(treeFromJSON),
      evalHistory: [],
    });
  }
}

function checkWeights(weight: ArrayLike<number> | undefined, n: number, what: string): ArrayLike<number> | null {
  if (weight === undefined) return null;
  if (weight.length !== n) throw new DataError(`${what}: weight has ${weight.length} entries but there are ${n} rows`);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weight[i];
    if (!(w >= 0) || !Number.isFinite(w)) throw new DataError(`${what}: weight of row ${i} is ${w}, expected a finite number >= 0`);
    total += w;
  }
  if (total === 0) throw new DataError(`${what}: all sample weights are 0`);
  return weight;
}

/** Draw `k` of `0..n-1` without replacement, returned ascending (selection sampling). */
function sampleSorted(n: number, k: number, rng: Rng, out: Uint32Array): number {
  let m = 0;
  for (let i = 0; i < n && m < k; i++) if ((n - i) * rng.uniform() < k - m) out[m++] = i;
  return m;
}

// Training sets at least this large get their gradients and score updates split between threads.
const PARALLEL_ROWS_MIN = 8192;

/** Train a gradient-boosting model with LightGBM's parameters and training loop. */
export function train(paramsInput: BoostingParamsInput, dataset: TreeDataset, options: TrainOptions = {}): Booster {
  const params = resolveBoostingParams(paramsInput);
  const x = toMatrix(dataset.X, "training X");
  const n = x.nRows;
  const nf = x.nCols;
  if (n === 0) throw new DataError("train: the training data has no rows");
  if (nf === 0) throw new DataError("train: the training data has no feature columns");
  if (dataset.y.length !== n) throw new DataError(`train: ${n} rows of features but ${dataset.y.length} labels`);
  const y = dataset.y;
  const weight = checkWeights(dataset.weight, n, "train");
  const K = params.objective === "multiclass" ? params.numClass : 1;
  checkLabels(params.objective, y, K);
  for (const f of params.categoricalFeature) {
    if (f >= nf) throw new DataError(`categoricalFeature ${f} does not exist: the data has ${nf} features`);
  }
  const featureNames = dataset.featureNames ? [...dataset.featureNames] : Array.from({ length: nf }, (_, f) => `Column_${f}`);
  if (featureNames.length !== nf) throw new DataError(`train: ${featureNames.length} feature names for ${nf} features`);
  const numRounds = options.numBoostRound ?? 100;
  if (!Number.isInteger(numRounds) || numRounds < 0) throw new DataError(`numBoostRound must be an integer >= 0, got ${numRounds}`);

  const objective: Objective =
    params.objective === "binary"
      ? binaryObjective(y, weight, params)
      : params.objective === "multiclass"
        ? multiclassObjective(y, weight, K, params.boostFromAverage)
        : regressionObjective(y, weight, params.boostFromAverage);

  const rng = options.rng ?? createRng(params.seed);
  const binRng = rng.fork(1);
  const bagRng = rng.fork(2);
  const featRng = rng.fork(3);

  const mappers = buildBinMappers(
    x,
    {
      maxBin: params.maxBin,
      minDataInBin: params.minDataInBin,
      binConstructSampleCnt: params.binConstructSampleCnt,
      categoricalFeatures: new Set(params.categoricalFeature),
      maxCategories: Math.min(params.maxBin, 255),
      minDataInLeaf: params.minDataInLeaf,
    },
    binRng,
  );
  const wasm = params.histogramKernel === "js" ? null : WasmTrainingMemory.tryCreate(n, nf, params.numLeaves + 1, params.numThreads, K);
  if (params.histogramKernel === "wasm" && wasm === null) {
    throw new ConfigError("invalid boosting param histogramKernel: \"wasm\" (WebAssembly SIMD with shared memory is not available here, or the data exceed its 32-bit memory); use \"auto\" or \"js\"");
  }
  const bins = wasm !== null ? binMatrix(x, mappers, wasm.packed, wasm.columns) : binMatrix(x, mappers, params.numThreads > 1);
  const usable: number[] = [];
  for (let f = 0; f < nf; f++) if (mappers[f].totalBins >= 2) usable.push(f);
  const learner = new HistTreeLearner(bins, mappers, params, wasm);

  const initScore = objective.initScores();
  // Row-parallel binary gradients and score updates on the wasm workers, in wasm memory.
  const team = wasm !== null && K === 1 ? learner.wasmTeam : null;
  const classWeights = team !== null ? objective.classWeights : undefined;
  const scores = wasm !== null && team !== null ? wasm.scores : new Float64Array(K * n);
  if (wasm !== null && classWeights !== undefined) {
    for (let i = 0; i < n; i++) {
      wasm.labels[i] = y[i];
      wasm.weights[i] = weight === null ? 1 : weight[i];
    }
  }
  for (let k = 0; k < K; k++) scores.fill(initScore[k], k * n, (k + 1) * n);
  // In wasm memory when the wasm kernels run, so that the root pass can read them there.
  const grad = wasm !== null ? wasm.grad : new Float64Array(K * n);
  const hess = wasm !== null ? wasm.hess : new Float64Array(K * n);

  const valids = (options.validSets ?? []).map((v, i) => {
    const vx = toMatrix(v.X, `validation set ${i} X`);
    checkFeatureCount(vx, nf, `validation set ${i}`);
    if (v.y.length !== vx.nRows) throw new DataError(`validation set ${i}: ${vx.nRows} rows of features but ${v.y.length} labels`);
    const vs = new Float64Array(K * vx.nRows);
    for (let k = 0; k < K; k++) vs.fill(initScore[k], k * vx.nRows, (k + 1) * vx.nRows);
    return {
      name: options.validNames?.[i] ?? `valid_${i}`,
      x: vx,
      y: v.y,
      weight: checkWeights(v.weight, vx.nRows, `validation set ${i}`),
      scores: vs,
    };
  });
  const metrics: MetricName[] = params.metric ?? [defaultMetric(params.objective)];
  const esRounds = options.earlyStoppingRounds ?? 0;
  if (esRounds > 0 && valids.length === 0) throw new DataError("earlyStoppingRounds needs at least one validation set");

  const useBagging = params.baggingFraction < 1 && params.baggingFreq > 0;
  const bag = useBagging ? new Uint32Array(n) : null;
  let bagCount = n;
  const bagMark = useBagging ? new Uint8Array(n) : null;
  const nFeat = Math.max(1, Math.round(usable.length * params.featureFraction));
  const featBuf = new Uint32Array(usable.length);

  const leafOf = bag === null && params.numLeaves <= 256 ? new Uint8Array(n) : null;
  const trees: Tree[] = [];
  const history: IterationRecord[] = [];
  let bestScore = NaN;
  let bestIter = 0;
  let bestIteration = 0;
  try {
    for (let iter = 0; iter < numRounds; iter++) {
      if (useBagging && iter % params.baggingFreq === 0) {
        bagCount = sampleSorted(n, Math.max(1, Math.floor(params.baggingFraction * n)), bagRng, bag as Uint32Array);
        (bagMark as Uint8Array).fill(0);
        for (let i = 0; i < bagCount; i++) (bagMark as Uint8Array)[(bag as Uint32Array)[i]] = 1;
      }
      if (team !== null && wasm !== null && classWeights !== undefined && n >= PARALLEL_ROWS_MIN) {
        const half = n >>> 1;
        team.start(0, wasm.binaryGradientsJob(classWeights[0], classWeights[1], half, n));
        wasm.binaryGradients(classWeights[0], classWeights[1], 0, half);
        team.wait(0);
      } else objective.gradients(scores, grad, hess);
      const iterTrees: Tree[] = [];
      let anySplit = false;
      for (let k = 0; k < K; k++) {
        let features: Int32Array;
        if (nFeat >= usable.length) features = Int32Array.from(usable);
        else {
          const m = sampleSorted(usable.length, nFeat, featRng, featBuf);
          features = Int32Array.from(featBuf.subarray(0, m), (i) => usable[i]);
        }
        const gk = grad.subarray(k * n, (k + 1) * n);
        const hk = hess.subarray(k * n, (k + 1) * n);
        const grown = learner.grow(gk, hk, bag, bagCount, features);
        const tree = grown.tree;
        if (grown.numLeaves > 1) anySplit = true;
        for (let i = 0; i < tree.leafValue.length; i++) tree.leafValue[i] *= params.learningRate;
        const sk = scores.subarray(k * n, (k + 1) * n);
        if (team !== null && wasm !== null && bag === null && grown.numLeaves <= 256 && n >= PARALLEL_ROWS_MIN) {
          // The main thread and a worker each take about half of the leaves, then half of the rows.
          wasm.setLeaves(grown.numLeaves, grown.leafBegin, grown.leafCount, tree.leafValue);
          let cut = grown.numLeaves;
          let acc = 0;
          for (let l = 0; l < grown.numLeaves; l++) {
            if (2 * acc >= n) {
              cut = l;
              break;
            }
            acc += grown.leafCount[l];
          }
          team.start(0, wasm.leafOfJob(cut, grown.numLeaves));
          wasm.fillLeafOf(0, cut);
          team.wait(0);
          const half = n >>> 1;
          team.start(0, wasm.scoreJob(k * n, half, n));
          wasm.addScores(k * n, 0, half);
          team.wait(0);
        } else if (leafOf !== null && bag === null && grown.numLeaves <= 256) {
          // Random byte stores (which the CPU buffers) then one sequential pass, instead of a
          // read-modify-write of a random score per row.
          for (let l = 0; l < grown.numLeaves; l++) {
            const b = grown.leafBegin[l];
            const e = b + grown.leafCount[l];
            for (let i = b; i < e; i++) leafOf[grown.rows[i]] = l;
          }
          const lv = tree.leafValue;
          for (let r = 0; r < n; r++) sk[r] += lv[leafOf[r]];
        } else {
          for (let l = 0; l < grown.numLeaves; l++) {
            const v = tree.leafValue[l];
            const b = grown.leafBegin[l];
            const e = b + grown.leafCount[l];
            for (let i = b; i < e; i++) sk[grown.rows[i]] += v;
          }
        }
        if (bagMark !== null) {
          for (let r = 0; r < n; r++) if (bagMark[r] === 0) sk[r] += tree.leafValue[leafIndexOf(tree, x.values, r * nf)];
        }
        iterTrees.push(tree);
      }
      if (!anySplit) {
        // LightGBM's rule: a round in which no tree could split ends training and is dropped.
        break;
      }
      trees.push(...iterTrees);
      const evaluations: EvalRecord[] = [];
      for (const v of valids) {
        const vn = v.x.nRows;
        const single = new FlatForest(iterTrees);
        for (let k = 0; k < K; k++) {
          const tmp = new Float64Array(vn);
          single.addPredictions(v.x, tmp, 1, k, k + 1);
          for (let r = 0; r < vn; r++) v.scores[k * vn + r] += tmp[r];
        }
        for (const m of metrics) {
          evaluations.push({ dataset: v.name, metric: m, value: evaluateMetric(m, v.scores, v.y, v.weight, K), higherIsBetter: higherIsBetter(m) });
        }
      }
      const record: IterationRecord = { iteration: iter, numBoostRound: numRounds, evaluations };
      history.push(record);
      let stop = false;
      for (const cb of options.callbacks ?? []) if (cb(record) === "stop") stop = true;
      if (esRounds > 0) {
        const e = evaluations[0];
        const better = Number.isNaN(bestScore) || (e.higherIsBetter ? e.value > bestScore : e.value < bestScore);
        if (better) {
          bestScore = e.value;
          bestIter = iter;
        } else if (iter - bestIter >= esRounds) {
          bestIteration = bestIter + 1;
          stop = true;
        }
      }
      if (stop) break;
    }
  } finally {
    learner.close();
  }
  if (esRounds > 0 && bestIteration === 0 && trees.length > 0) bestIteration = bestIter + 1;
  return new Booster({
    objective: params.objective,
    numClass: K,
    numFeatures: nf,
    featureNames,
    initScore,
    bestIteration,
    params,
    trees,
    evalHistory: history,
  });
}
