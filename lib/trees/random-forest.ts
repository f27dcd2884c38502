/**
 * Random forest classifier in scikit-learn's shape: bootstrap samples, exact CART splits on the
 * Gini criterion, `maxFeatures` candidate features per node ("sqrt" by default), `maxDepth`,
 * `minSamplesLeaf`, `classWeight: "balanced"`, probability averaging over trees and the
 * out-of-bag score. Missing values (NaN) are tried on both sides of each split and follow the
 * better one (scikit-learn >= 1.4 does the same); +/-Infinity are extreme values.
 */
import { DataError } from "../errors.js";
import { createRng, type Rng } from "../util/random.js";
import { FlatForest } from "./flat-forest.js";
import { checkFeatureCount, toMatrix, type FeatureMatrix, type MatrixInput } from "./matrix.js";
import { sortPairs } from "./sort-pairs.js";
import { NodeKind, TreeBuilder, treeFromJSON, treeToJSON, type Tree, type TreeJSON } from "./tree.js";
import { treeShapInto } from "./tree-shap.js";

/** Settings of a random forest (scikit-learn's names in camelCase). */
export interface RandomForestParams {
  nEstimators?: number;
  /** null or <= 0: grow until pure or minSamples limits. */
  maxDepth?: number | null;
  minSamplesSplit?: number;
  minSamplesLeaf?: number;
  /** "sqrt", "log2", a fraction in (0, 1], an integer count, or null for all features. */
  maxFeatures?: "sqrt" | "log2" | number | null;
  bootstrap?: boolean;
  /** null, "balanced" (n / (K * count_k), computed once on the full labels) or one weight per class. */
  classWeight?: null | "balanced" | readonly number[];
  oobScore?: boolean;
  seed?: number;
}

/** Labelled training data for a forest. */
export interface ForestDataset {
  X: MatrixInput;
  y: ArrayLike<number>;
  weight?: ArrayLike<number>;
  featureNames?: readonly string[];
}

/** JSON form of a fitted random forest. */
export interface RandomForestJSON {
  kind: "RandomForestClassifier";
  version: 1;
  classes: number[];
  numFeatures: number;
  featureNames: string[];
  params: Required<Omit<RandomForestParams, "classWeight">> & { classWeight: null | "balanced" | number[] };
  oobScore: number | null;
  featureImportances: number[];
  trees: TreeJSON[];
}

const FEATURE_THRESHOLD = 1e-7;

/** A fitted random forest classifier. */
export class RandomForestClassifier {
  readonly kind = "RandomForestClassifier";
  private readonly flat: FlatForest;

  constructor(
    readonly classes: number[],
    readonly numFeatures: number,
    readonly featureNames: string[],
    readonly params: RandomForestJSON["params"],
    readonly trees: readonly Tree[],
    /** Out-of-bag accuracy (null unless fitted with oobScore). */
    readonly oobScore: number | null,
    /** Mean decrease in impurity per feature, normalized to sum 1 (scikit-learn's feature_importances_). */
    readonly featureImportances: Float64Array,
    /** Out-of-bag class probabilities, row-major (only right after fitting with oobScore). */
    readonly oobDecisionFunction: Float64Array | null = null,
  ) {
    this.flat = new FlatForest(trees);
  }

  private matrix(X: MatrixInput): FeatureMatrix {
    const x = toMatrix(X);
    checkFeatureCount(x, this.numFeatures, "RandomForestClassifier");
    return x;
  }

  /** Class probabilities, row-major with one column per class (in `classes` order): the mean of the trees' leaf class fractions. */
  predictProba(X: MatrixInput): Float64Array {
    const x = this.matrix(X);
    const K = this.classes.length;
    const out = new Float64Array(x.nRows * K);
    this.flat.addPredictions(x, out, K, 0, this.trees.length, 1 / this.trees.length);
    return out;
  }

  /** Predicted class labels: the class with the highest mean probability (first on ties). */
  predict(X: MatrixInput): Float64Array {
    const proba = this.predictProba(X);
    const K = this.classes.length;
    const out = new Float64Array(proba.length / K);
    for (let r = 0; r < out.length; r++) {
      let arg = 0;
      for (let k = 1; k < K; k++) if (proba[r * K + k] > proba[r * K + arg]) arg = k;
      out[r] = this.classes[arg];
    }
    return out;
  }

  /**
   * TreeSHAP values of the predicted probabilities: row-major, per row and class
   * `numFeatures + 1` values (last = expected value) that sum to predictProba.
   */
  shapValues(X: MatrixInput): Float64Array {
    const x = this.matrix(X);
    const K = this.classes.length;
    const width = this.numFeatures + 1;
    const out = new Float64Array(x.nRows * K * width);
    for (const tree of this.trees) treeShapInto(tree, x, out, K * width, 0, width, 1 / this.trees.length);
    return out;
  }

  /** Serialize to plain JSON (kind "RandomForestClassifier", version 1). */
  toJSON(): RandomForestJSON {
    return {
      kind: "RandomForestClassifier",
      version: 1,
      classes: [...this.classes],
      numFeatures: this.numFeatures,
      featureNames: [...this.featureNames],
      params: this.params,
      oobScore: this.oobScore,
      featureImportances: Array.from(this.featureImportances),
      trees: this.trees.map(treeToJSON),
    };
  }

  /** Load a forest saved with toJSON(). */
  static fromJSON(json: unknown): RandomForestClassifier {
    const j = json as Partial<RandomForestJSON> | null;
    if (j === null || typeof j !== "object" || j.kind !== "RandomForestClassifier") {
      throw new DataError(`not a RandomForestClassifier model: kind = ${JSON.stringify(j?.kind)}`);
    }
    if (j.version !== 1) throw new DataError(`unsupported RandomForestClassifier version ${JSON.stringify(j.version)} (this library reads 1)`);
    const f = j as RandomForestJSON;
    return new RandomForestClassifier(
      f.classes,
      f.numFeatures,
      f.featureNames,
      f.params,
      f.trees.map(treeFromJSON),
      f.oobScore,
      Float64Array.from(f.featureImportances),
    );
  }
}

interface BuildContext {
  cols: Float64Array;
  n: number;
  p: number;
  K: number;
  yk: Uint8Array | Uint16Array;
  w: Float64Array;
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  maxFeatures: number;
  rng: Rng;
  // Scratch buffers, reused across nodes and trees.
  xf: Float64Array;
  idxBuf: Uint32Array;
  featOrder: Int32Array;
  total: Float64Array;
  leftCounts: Float64Array;
  missCounts: Float64Array;
  importances: Float64Array;
  rootWeight: number;
}

function gini(counts: Float64Array, off: number, K: number, w: number): number {
  if (w <= 0) return 0;
  let s = 0;
  for (let k = 0; k < K; k++) {
    const q = counts[off + k] / w;
    s += q * q;
  }
  return 1 - s;
}

/** Fit a random forest classifier; labels may be any numbers (classes are their sorted distinct values). */
export function fitRandomForest(data: ForestDataset, params: RandomForestParams = {}, options: { rng?: Rng } = {}): RandomForestClassifier {
  const x = toMatrix(data.X, "training X");
  const n = x.nRows;
  const p = x.nCols;
  if (n === 0) throw new DataError("fitRandomForest: the training data has no rows");
  if (p === 0) throw new DataError("fitRandomForest: the training data has no feature columns");
  if (data.y.length !== n) throw new DataError(`fitRandomForest: ${n} rows of features but ${data.y.length} labels`);
  const resolved: RandomForestJSON["params"] = {
    nEstimators: params.nEstimators ?? 100,
    maxDepth: params.maxDepth ?? null,
    minSamplesSplit: params.minSamplesSplit ?? 2,
    minSamplesLeaf: params.minSamplesLeaf ?? 1,
    maxFeatures: params.maxFeatures === undefined ? "sqrt" : params.maxFeatures,
    bootstrap: params.bootstrap ?? true,
    classWeight: params.classWeight === undefined || params.classWeight === null ? null : params.classWeight === "balanced" ? "balanced" : [...params.classWeight],
    oobScore: params.oobScore ?? false,
    seed: params.seed ?? 0,
  };
  if (!Number.isInteger(resolved.nEstimators) || resolved.nEstimators < 1) throw new DataError(`nEstimators must be an integer >= 1, got ${resolved.nEstimators}`);
  if (resolved.oobScore && !resolved.bootstrap) throw new DataError("oobScore needs bootstrap = true");
  const classSet = new Set<number>();
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(data.y[i])) throw new DataError(`fitRandomForest: label of row ${i} is ${data.y[i]}`);
    classSet.add(data.y[i]);
  }
  const classes = [...classSet].sort((a, b) => a - b);
  if (classes.length < 2) throw new DataError(`fitRandomForest: the labels hold a single class (${classes[0]}); a classifier needs at least two`);
  const K = classes.length;
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const yk = K < 256 ? new Uint8Array(n) : new Uint16Array(n);
  const classCounts = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    yk[i] = classIndex.get(data.y[i]) as number;
    classCounts[yk[i]]++;
  }
  const classW = new Float64Array(K).fill(1);
  if (resolved.classWeight === "balanced") for (let k = 0; k < K; k++) classW[k] = n / (K * classCounts[k]);
  else if (Array.isArray(resolved.classWeight)) {
    if (resolved.classWeight.length !== K) throw new DataError(`classWeight has ${resolved.classWeight.length} entries for ${K} classes`);
    resolved.classWeight.forEach((v, k) => (classW[k] = v));
  }
  const baseW = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const sw = data.weight === undefined ? 1 : data.weight[i];
    if (!(sw >= 0) || !Number.isFinite(sw)) throw new DataError(`fitRandomForest: weight of row ${i} is ${sw}`);
    baseW[i] = sw * classW[yk[i]];
  }
  const mf = resolved.maxFeatures;
  const maxFeatures =
    mf === null
      ? p
      : mf === "sqrt"
        ? Math.max(1, Math.floor(Math.sqrt(p)))
        : mf === "log2"
          ? Math.max(1, Math.floor(Math.log2(p)))
          : Number.isInteger(mf) && mf >= 1
            ? Math.min(p, mf)
            : mf > 0 && mf <= 1
              ? Math.max(1, Math.floor(mf * p))
              : NaN;
  if (Number.isNaN(maxFeatures)) throw new DataError(`maxFeatures ${JSON.stringify(mf)} is not "sqrt", "log2", null, a fraction in (0, 1] or a positive integer`);

  // Column-major copy: each node's split search reads one feature at a time.
  const cols = new Float64Array(n * p);
  for (let r = 0; r < n; r++) for (let f = 0; f < p; f++) cols[f * n + r] = x.values[r * p + f];

  const rng = options.rng ?? createRng(resolved.seed);
  const ctx: BuildContext = {
    cols,
    n,
    p,
    K,
    yk,
    w: new Float64Array(n),
    maxDepth: resolved.maxDepth === null || resolved.maxDepth <= 0 ? Infinity : resolved.maxDepth,
    minSamplesSplit: resolved.minSamplesSplit,
    minSamplesLeaf: resolved.minSamplesLeaf,
    maxFeatures,
    rng,
    xf: new Float64Array(n),
    idxBuf: new Uint32Array(n),
    featOrder: new Int32Array(p),
    total: new Float64Array(K),
    leftCounts: new Float64Array(K),
    missCounts: new Float64Array(K),
    importances: new Float64Array(p),
    rootWeight: 0,
  };
  const trees: Tree[] = [];
  const importances = new Float64Array(p);
  const counts = new Uint32Array(n);
  const oobSum = resolved.oobScore ? new Float64Array(n * K) : null;
  const oobN = resolved.oobScore ? new Uint32Array(n) : null;
  for (let t = 0; t < resolved.nEstimators; t++) {
    const treeRng = rng.fork(t + 1);
    ctx.rng = treeRng;
    counts.fill(0);
    if (resolved.bootstrap) for (let i = 0; i < n; i++) counts[treeRng.int(n)]++;
    else counts.fill(1);
    let m = 0;
    const samples = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      ctx.w[i] = counts[i] * baseW[i];
      // Rows drawn zero times or with zero weight do not enter the tree (as in scikit-learn).
      if (ctx.w[i] > 0) samples[m++] = i;
    }
    ctx.importances.fill(0);
    const tree = buildTree(ctx, samples, m);
    trees.push(tree);
    let s = 0;
    for (let f = 0; f < p; f++) s += ctx.importances[f];
    if (s > 0) for (let f = 0; f < p; f++) importances[f] += ctx.importances[f] / s;
    if (oobSum !== null && oobN !== null) {
      const single = new FlatForest([tree]);
      for (let r = 0; r < n; r++) {
        if (counts[r] !== 0) continue;
        const leaf = single.leafOf(x, r, 0);
        for (let k = 0; k < K; k++) oobSum[r * K + k] += tree.leafValue[leaf * K + k];
        oobN[r]++;
      }
    }
  }
  let total = 0;
  for (let f = 0; f < p; f++) total += importances[f];
  if (total > 0) for (let f = 0; f < p; f++) importances[f] /= total;
  let oobScore: number | null = null;
  let oobDecision: Float64Array | null = null;
  if (oobSum !== null && oobN !== null) {
    let correct = 0;
    for (let r = 0; r < n; r++) {
      const c = Math.max(1, oobN[r]);
      let arg = 0;
      for (let k = 0; k < K; k++) {
        oobSum[r * K + k] /= c;
        if (oobSum[r * K + k] > oobSum[r * K + arg]) arg = k;
      }
      if (arg === yk[r]) correct++;
    }
    oobScore = correct / n;
    oobDecision = oobSum;
  }
  const featureNames = data.featureNames ? [...data.featureNames] : Array.from({ length: p }, (_, f) => `Column_${f}`);
  return new RandomForestClassifier(classes, p, featureNames, resolved, trees, oobScore, importances, oobDecision);
}

interface PendingNode {
  leaf: number;
  begin: number;
  end: number;
  depth: number;
}

function buildTree(ctx: BuildContext, samples: Uint32Array, m: number): Tree {
  const { K, yk, w } = ctx;
  const builder = new TreeBuilder(K);
  const nodeCounts = (begin: number, end: number, out: Float64Array) => {
    out.fill(0);
    for (let i = begin; i < end; i++) out[yk[samples[i]]] += w[samples[i]];
  };
  const total = ctx.total;
  nodeCounts(0, m, total);
  let rootW = 0;
  for (let k = 0; k < K; k++) rootW += total[k];
  ctx.rootWeight = rootW;
  const root = builder.root(rootW);
  const setLeaf = (leaf: number, counts: Float64Array, wsum: number) => {
    for (let k = 0; k < K; k++) builder.setLeafValue(leaf, k, counts[k] / wsum);
  };
  setLeaf(root, total, rootW);
  // Depth-first, like scikit-learn's DepthFirstTreeBuilder.
  const stack: PendingNode[] = [{ leaf: root, begin: 0, end: m, depth: 0 }];
  const split = new SplitResult(K);
  while (stack.length > 0) {
    const node = stack.pop() as PendingNode;
    const count = node.end - node.begin;
    nodeCounts(node.begin, node.end, total);
    let wN = 0;
    for (let k = 0; k < K; k++) wN += total[k];
    const impurity = gini(total, 0, K, wN);
    if (
      node.depth >= ctx.maxDepth ||
      count < ctx.minSamplesSplit ||
      count < 2 * ctx.minSamplesLeaf ||
      impurity <= 2.220446049250313e-16
    ) {
      continue;
    }
    if (!findSplit(ctx, samples, node.begin, node.end, wN, split)) continue;
    // Partition: rows going left first, keeping relative order.
    const col = ctx.cols.subarray(split.feature * ctx.n, (split.feature + 1) * ctx.n);
    const buf = ctx.idxBuf;
    let nl = node.begin;
    let nr = 0;
    for (let i = node.begin; i < node.end; i++) {
      const r = samples[i];
      const v = col[r];
      const left = v === v ? v <= split.threshold : split.missingLeft;
      if (left) samples[nl++] = r;
      else buf[nr++] = r;
    }
    samples.set(buf.subarray(0, nr), nl);
    const leftCounts = new Float64Array(K);
    const rightCounts = new Float64Array(K);
    nodeCounts(node.begin, nl, leftCounts);
    nodeCounts(nl, node.end, rightCounts);
    let wl = 0;
    let wr = 0;
    for (let k = 0; k < K; k++) {
      wl += leftCounts[k];
      wr += rightCounts[k];
    }
    const improvement = (wN / ctx.rootWeight) * (impurity - (wl / wN) * gini(leftCounts, 0, K, wl) - (wr / wN) * gini(rightCounts, 0, K, wr));
    ctx.importances[split.feature] += improvement;
    const right = builder.split(
      node.leaf,
      split.feature,
      split.threshold,
      split.missingLeft ? NodeKind.NumericMissingLeft : NodeKind.NumericMissingRight,
      null,
      improvement,
      wl,
      wr,
    );
    setLeaf(node.leaf, leftCounts, wl);
    setLeaf(right, rightCounts, wr);
    stack.push({ leaf: right, begin: nl, end: node.end, depth: node.depth + 1 });
    stack.push({ leaf: node.leaf, begin: node.begin, end: nl, depth: node.depth + 1 });
  }
  return builder.build();
}

class SplitResult {
  feature = -1;
  threshold = 0;
  missingLeft = false;
  constructor(readonly K: number) {}
}

/** Best Gini split of samples[begin, end) over randomly ordered candidate features; false if none. */
function findSplit(ctx: BuildContext, samples: Uint32Array, begin: number, end: number, wN: number, out: SplitResult): boolean {
  const { K, yk, w, n, p, rng, xf, featOrder, total, leftCounts, missCounts } = ctx;
  const count = end - begin;
  const idx = ctx.idxBuf;
  for (let f = 0; f < p; f++) featOrder[f] = f;
  let bestProxy = -Infinity;
  let found = false;
  let visited = 0;
  let constants = 0;
  const minLeaf = ctx.minSamplesLeaf;
  // Fisher-Yates draws without replacement; scikit-learn's rule: visit maxFeatures features, and
  // keep going past that only while every feature seen so far was constant in this node.
  for (let drawn = 0; drawn < p && (visited < ctx.maxFeatures || visited <= constants); drawn++) {
    const j = drawn + rng.int(p - drawn);
    const f = featOrder[j];
    featOrder[j] = featOrder[drawn];
    featOrder[drawn] = f;
    visited++;
    const col = ctx.cols.subarray(f * n, (f + 1) * n);
    // Non-missing values first (sorted), missing rows counted apart.
    let m = 0;
    missCounts.fill(0);
    let missW = 0;
    let nMiss = 0;
    for (let i = begin; i < end; i++) {
      const r = samples[i];
      const v = col[r];
      if (v === v) {
        xf[m] = v;
        idx[m] = r;
        m++;
      } else {
        missCounts[yk[r]] += w[r];
        missW += w[r];
        nMiss++;
      }
    }
    sortPairs(xf, idx, 0, m);
    if (m === 0 || (xf[m - 1] <= xf[0] + FEATURE_THRESHOLD && nMiss === 0)) {
      constants++;
      continue;
    }
    leftCounts.fill(0);
    let wl = 0;
    // Position pos: rows [0, pos) of the sorted non-missing values go left.
    for (let pos = 1; pos <= m; pos++) {
      const r = idx[pos - 1];
      leftCounts[yk[r]] += w[r];
      wl += w[r];
      if (pos < m && xf[pos] <= xf[pos - 1] + FEATURE_THRESHOLD) continue;
      if (pos === m && nMiss === 0) break;
      for (let side = 0; side < 2; side++) {
        const missLeft = side === 1;
        if (missLeft && (nMiss === 0 || pos === m)) continue;
        const nLeft = pos + (missLeft ? nMiss : 0);
        const nRight = count - nLeft;
        if (nLeft < minLeaf || nRight < minLeaf) continue;
        const wLeft = wl + (missLeft ? missW : 0);
        const wRight = wN - wLeft;
        if (wLeft <= 0 || wRight <= 0) continue;
        let sl = 0;
        let sr = 0;
        for (let k = 0; k < K; k++) {
          const lk = leftCounts[k] + (missLeft ? missCounts[k] : 0);
          const rk = total[k] - lk;
          sl += lk * lk;
          sr += rk * rk;
        }
        // Maximizing sum_k L_k^2 / wL + sum_k R_k^2 / wR minimizes the children's weighted Gini.
        const proxy = sl / wLeft + sr / wRight;
        if (proxy > bestProxy) {
          bestProxy = proxy;
          found = true;
          out.feature = f;
          out.missingLeft = missLeft;
          if (pos === m) {
            // All non-missing rows left, missing right: threshold = +Infinity separates them.
            out.threshold = Infinity;
          } else {
            let thr = xf[pos - 1] / 2 + xf[pos] / 2;
            if (thr === xf[pos] || thr === Infinity || thr === -Infinity) thr = xf[pos - 1];
            out.threshold = thr;
          }
        }
      }
    }
  }
  return found;
}
