/**
 * Isolation forest (Liu, Ting & Zhou 2008) with scikit-learn's conventions: 100 trees grown on
 * 256-row subsamples drawn without replacement, random feature and uniform random threshold per
 * node, depth limit ceil(log2(maxSamples)), leaf path length depth + c(n), and
 * `scoreSamples` = -2^(-E[h(x)] / c(maxSamples)) (higher = more normal), where
 * c(n) = 2 H(n-1) - 2 (n-1) / n with H(i) ~ ln(i) + Euler's gamma, c(2) = 1, c(n <= 1) = 0.
 * NaN and infinite values are rejected (scikit-learn rejects them too).
 */
import { DataError } from "../errors.js";
import { createRng, type Rng } from "../util/random.js";
import { FlatForest } from "./flat-forest.js";
import { checkFeatureCount, toMatrix, type FeatureMatrix, type MatrixInput } from "./matrix.js";
import { NodeKind, TreeBuilder, treeFromJSON, treeToJSON, type Tree, type TreeJSON } from "./tree.js";

const EULER_GAMMA = 0.5772156649015329;

/** Average path length of an unsuccessful BST search among n points: the isolation-forest normalizer c(n). */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** Settings of an isolation forest (scikit-learn's names in camelCase). */
export interface IsolationForestParams {
  nEstimators?: number;
  /** Rows per tree: "auto" = min(256, n), an integer count, or a fraction in (0, 1]. */
  maxSamples?: "auto" | number;
  /** "auto": threshold at score -0.5 (the original paper's); a number in (0, 0.5]: that fraction of training rows flagged. */
  contamination?: "auto" | number;
  seed?: number;
}

/** JSON form of a fitted isolation forest. */
export interface IsolationForestJSON {
  kind: "IsolationForest";
  version: 1;
  numFeatures: number;
  maxSamples: number;
  offset: number;
  params: Required<IsolationForestParams>;
  trees: TreeJSON[];
}

function checkFinite(x: FeatureMatrix, what: string): void {
  const v = x.values;
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new DataError(`${what}: row ${Math.floor(i / x.nCols)}, feature ${i % x.nCols} is ${v[i]}; isolation forests need finite values`);
    }
  }
}

/**
 * Isolation trees packed for scoring finite rows: per node one Int32 word holding the first
 * child above the split feature (`child << shift | feature`) and the threshold in a Float64Array,
 * so a step reads two numbers; the two children of a node are adjacent (child = first +
 * (x > threshold)), and leaves loop on themselves (threshold +Infinity, value kept aside), so every
 * row takes exactly its tree's depth in branch-free steps, 8 rows at a time, over row blocks small
 * enough to stay in cache for all trees. Sums follow the flat forest's order (tree by tree,
 * `out += leaf / trees`), so path lengths are bit-identical to it.
 */
class PackedIsolationTrees {
  private readonly word: Int32Array;
  private readonly thr: Float64Array;
  private readonly value: Float64Array;
  private readonly root: Int32Array;
  private readonly depth: Int32Array;
  private readonly shift: number;
  private readonly mask: number;

  private constructor(total: number, trees: readonly Tree[], shift: number) {
    this.word = new Int32Array(total);
    this.thr = new Float64Array(total);
    this.value = new Float64Array(total);
    this.root = new Int32Array(trees.length);
    this.depth = new Int32Array(trees.length);
    this.shift = shift;
    this.mask = (1 << shift) - 1;
    let base = 0;
    trees.forEach((t, ti) => {
      const m = t.feature.length;
      const L = t.leafCover.length;
      // Breadth-first renumbering puts each node's two children next to each other.
      const key = (c: number): number => (c >= 0 ? c : m + ~c);
      const ids = new Int32Array(m + L);
      const queue: number[] = [m === 0 ? ~0 : 0];
      let next = 0;
      ids[key(queue[0])] = next++;
      for (let q = 0; q < queue.length; q++) {
        const c = queue[q];
        const id = base + ids[key(c)];
        if (c >= 0) {
          const l = t.left[c];
          const r = t.right[c];
          ids[key(l)] = next++;
          ids[key(r)] = next++;
          this.thr[id] = t.threshold[c];
          this.word[id] = ((base + ids[key(l)]) << shift) | t.feature[c];
          queue.push(l, r);
        } else {
          this.thr[id] = Infinity;
          this.word[id] = id << shift;
          this.value[id] = t.leafValue[~c];
        }
      }
      let depth = 0;
      for (let l = 0; l < L; l++) depth = Math.max(depth, t.leafDepth[l]);
      this.root[ti] = base;
      this.depth[ti] = m === 0 ? 0 : depth;
      base += m + L;
    });
  }

  /** Pack the trees of a forest over `numFeatures` columns, or null when node ids and features do not fit one 31-bit word. */
  static of(trees: readonly Tree[], numFeatures: number): PackedIsolationTrees | null {
    let total = 0;
    for (const t of trees) total += t.feature.length + t.leafCover.length;
    let shift = 1;
    while (1 << shift < numFeatures) shift++;
    if (shift > 30 || total >= 2 ** (31 - shift)) return null;
    return new PackedIsolationTrees(total, trees, shift);
  }

  /** Add scale x each tree's leaf value, tree by tree, to out[r] for every row r of a row-major matrix. */
  addPathLengths(values: Float64Array | Float32Array, nRows: number, p: number, out: Float64Array, scale: number): void {
    // About 32 KB of row data per block (measured: 32-256 rows of 102 features perform alike).
    const block = Math.max(8, Math.min(1024, (Math.floor(4096 / Math.max(1, p)) >> 3) << 3));
    for (let b0 = 0; b0 < nRows; b0 += block) this.block(values, b0, Math.min(nRows, b0 + block), p, out, scale);
  }

  private block(values: Float64Array | Float32Array, begin: number, end: number, p: number, out: Float64Array, scale: number): void {
    const word = this.word;
    const thr = this.thr;
    const value = this.value;
    const sh = this.shift;
    const mask = this.mask;
    for (let t = 0; t < this.root.length; t++) {
      const root = this.root[t];
      const depth = this.depth[t];
      let r = begin;
      for (; r + 7 < end; r += 8) {
        const o0 = r * p;
        const o1 = o0 + p;
        const o2 = o1 + p;
        const o3 = o2 + p;
        const o4 = o3 + p;
        const o5 = o4 + p;
        const o6 = o5 + p;
        const o7 = o6 + p;
        let n0 = root;
        let n1 = root;
        let n2 = root;
        let n3 = root;
        let n4 = root;
        let n5 = root;
        let n6 = root;
        let n7 = root;
        for (let s = 0; s < depth; s++) {
          const w0 = word[n0];
          const w1 = word[n1];
          const w2 = word[n2];
          const w3 = word[n3];
          const w4 = word[n4];
          const w5 = word[n5];
          const w6 = word[n6];
          const w7 = word[n7];
          n0 = (w0 >> sh) + +(values[o0 + (w0 & mask)] > thr[n0]);
          n1 = (w1 >> sh) + +(values[o1 + (w1 & mask)] > thr[n1]);
          n2 = (w2 >> sh) + +(values[o2 + (w2 & mask)] > thr[n2]);
          n3 = (w3 >> sh) + +(values[o3 + (w3 & mask)] > thr[n3]);
          n4 = (w4 >> sh) + +(values[o4 + (w4 & mask)] > thr[n4]);
          n5 = (w5 >> sh) + +(values[o5 + (w5 & mask)] > thr[n5]);
          n6 = (w6 >> sh) + +(values[o6 + (w6 & mask)] > thr[n6]);
          n7 = (w7 >> sh) + +(values[o7 + (w7 & mask)] > thr[n7]);
        }
        out[r] += scale * value[n0];
        out[r + 1] += scale * value[n1];
        out[r + 2] += scale * value[n2];
        out[r + 3] += scale * value[n3];
        out[r + 4] += scale * value[n4];
        out[r + 5] += scale * value[n5];
        out[r + 6] += scale * value[n6];
        out[r + 7] += scale * value[n7];
      }
      for (; r < end; r++) {
        const o = r * p;
        let n = root;
        for (let s = 0; s < depth; s++) {
          const w = word[n];
          n = (w >> sh) + +(values[o + (w & mask)] > thr[n]);
        }
        out[r] += scale * value[n];
      }
    }
  }
}

/** A fitted isolation forest. */
export class IsolationForest {
  readonly kind = "IsolationForest";
  private readonly flat: FlatForest;
  /** Built on first use; null when the forest is too large for one-word nodes (the flat walker then scores). */
  private packed: PackedIsolationTrees | null | undefined = undefined;

  constructor(
    readonly numFeatures: number,
    /** Rows each tree was grown on. */
    readonly maxSamples: number,
    /** decisionFunction = scoreSamples - offset (scikit-learn's offset_). */
    readonly offset: number,
    readonly params: Required<IsolationForestParams>,
    readonly trees: readonly Tree[],
  ) {
    this.flat = new FlatForest(trees);
  }

  /** Mean path length E[h(x)] of each row over the trees. */
  pathLengths(X: MatrixInput): Float64Array {
    const x = toMatrix(X);
    checkFeatureCount(x, this.numFeatures, "IsolationForest");
    checkFinite(x, "IsolationForest");
    const out = new Float64Array(x.nRows);
    this.addPathLengths(x, out);
    return out;
  }

  /**
   * Add E[h(x)] of each row of `x` to `out[0 .. nRows)` without checks or allocation: for callers
   * that score many small blocks they have already checked (finite values, nCols = numFeatures).
   */
  addPathLengths(x: FeatureMatrix, out: Float64Array): void {
    if (this.packed === undefined) this.packed = PackedIsolationTrees.of(this.trees, this.numFeatures);
    if (this.packed === null) this.flat.addPredictions(x, out, 1, 0, this.trees.length, 1 / this.trees.length);
    else this.packed.addPathLengths(x.values, x.nRows, x.nCols, out, 1 / this.trees.length);
  }

  /** Normality score like scikit-learn's `score_samples`: -2^(-E[h]/c(maxSamples)), in [-1, 0); lower = more anomalous. */
  scoreSamples(X: MatrixInput): Float64Array {
    const h = this.pathLengths(X);
    const c = averagePathLength(this.maxSamples);
    for (let i = 0; i < h.length; i++) h[i] = -Math.pow(2, -h[i] / c);
    return h;
  }

  /** scoreSamples minus the offset: negative = outlier (scikit-learn's `decision_function`). */
  decisionFunction(X: MatrixInput): Float64Array {
    const s = this.scoreSamples(X);
    for (let i = 0; i < s.length; i++) s[i] -= this.offset;
    return s;
  }

  /** -1 for outliers, 1 for inliers (scikit-learn's `predict`). */
  predict(X: MatrixInput): Int8Array {
    const d = this.decisionFunction(X);
    return Int8Array.from(d, (v) => (v < 0 ? -1 : 1));
  }

  /** Serialize to plain JSON (kind "IsolationForest", version 1). */
  toJSON(): IsolationForestJSON {
    return {
      kind: "IsolationForest",
      version: 1,
      numFeatures: this.numFeatures,
      maxSamples: this.maxSamples,
      offset: this.offset,
      params: this.params,
      trees: this.trees.map(treeToJSON),
    };
  }

  /** Load a forest saved with toJSON(). */
  static fromJSON(json: unknown): IsolationForest {
    const j = json as Partial<IsolationForestJSON> | null;
    if (j === null || typeof j !== "object" || j.kind !== "IsolationForest") {
      throw new DataError(`not an IsolationForest model: kind = ${JSON.stringify(j?.kind)}`);
    }
    if (j.version !== 1) throw new DataError(`unsupported IsolationForest version ${JSON.stringify(j.version)} (this library reads 1)`);
    const f = j as IsolationForestJSON;
    return new IsolationForest(f.numFeatures, f.maxSamples, f.offset, f.params, f.trees.map(treeFromJSON));
  }
}

/** Fit an isolation forest on unlabelled rows. */
export function fitIsolationForest(X: MatrixInput, params: IsolationForestParams = {}, options: { rng?: Rng } = {}): IsolationForest {
  const x = toMatrix(X, "training X");
  const n = x.nRows;
  const p = x.nCols;
  if (n === 0) throw new DataError("fitIsolationForest: the training data has no rows");
  if (p === 0) throw new DataError("fitIsolationForest: the training data has no feature columns");
  checkFinite(x, "fitIsolationForest");
  const values = x.values;
  let forest = growForest(n, p, (row, out, at, stride) => {
    for (let f = 0; f < p; f++) out[f * stride + at] = values[row * p + f];
  }, params, options);
  const c = forest.params.contamination;
  if (c !== "auto") {
    // scikit-learn: offset_ = np.percentile(score_samples(X), 100 * contamination), linear interpolation.
    const scores = forest.scoreSamples(x).sort();
    const pos = (n - 1) * c;
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, n - 1);
    const offset = scores[lo] + (scores[hi] - scores[lo]) * (pos - lo);
    forest = new IsolationForest(p, forest.maxSamples, offset, forest.params, forest.trees);
  }
  return forest;
}

/**
 * Fit an isolation forest on n rows of p finite features that `gather` supplies on demand (row
 * `row`'s feature f written to `out[f * stride + at]`), so a caller never materializes the n x p
 * matrix: the trees read only nEstimators x maxSamples rows. Same draws, same trees as
 * fitIsolationForest on the matrix whose rows `gather` returns. Only contamination "auto" (the
 * offset from contamination needs every row's score). The caller guarantees finite values.
 */
export function fitIsolationForestFrom(
  n: number,
  p: number,
  gather: (row: number, out: Float64Array, at: number, stride: number) => void,
  params: IsolationForestParams = {},
  options: { rng?: Rng } = {},
): IsolationForest {
  if (n === 0) throw new DataError("fitIsolationForestFrom: the training data has no rows");
  if (p === 0) throw new DataError("fitIsolationForestFrom: the training data has no feature columns");
  if ((params.contamination ?? "auto") !== "auto") throw new DataError(`fitIsolationForestFrom: contamination ${JSON.stringify(params.contamination)} needs the full matrix; use fitIsolationForest`);
  return growForest(n, p, gather, params, options);
}

function growForest(
  n: number,
  p: number,
  gather: (row: number, out: Float64Array, at: number, stride: number) => void,
  params: IsolationForestParams,
  options: { rng?: Rng },
): IsolationForest {
  const resolved: Required<IsolationForestParams> = {
    nEstimators: params.nEstimators ?? 100,
    maxSamples: params.maxSamples ?? "auto",
    contamination: params.contamination ?? "auto",
    seed: params.seed ?? 0,
  };
  if (!Number.isInteger(resolved.nEstimators) || resolved.nEstimators < 1) throw new DataError(`nEstimators must be an integer >= 1, got ${resolved.nEstimators}`);
  const ms = resolved.maxSamples;
  let maxSamples: number;
  if (ms === "auto") maxSamples = Math.min(256, n);
  else if (Number.isInteger(ms) && ms >= 1) maxSamples = Math.min(ms, n);
  else if (ms > 0 && ms < 1) maxSamples = Math.max(1, Math.floor(ms * n));
  else throw new DataError(`maxSamples ${JSON.stringify(ms)} is not "auto", a positive integer or a fraction in (0, 1)`);
  const c = resolved.contamination;
  if (c !== "auto" && !(c > 0 && c <= 0.5)) throw new DataError(`contamination ${JSON.stringify(c)} is not "auto" or a number in (0, 0.5]`);
  const maxDepth = Math.ceil(Math.log2(Math.max(maxSamples, 2)));
  const rng = options.rng ?? createRng(resolved.seed);
  const trees: Tree[] = [];
  // A permutation kept across trees: a partial Fisher-Yates pass over any permutation draws a
  // uniform sample without replacement, so it never needs resetting.
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  // Each tree reads only its own rows: copy them column-major (maxSamples x p) once per tree.
  const local = new Float64Array(maxSamples * p);
  const samples = new Uint32Array(maxSamples);
  const tmp = new Uint32Array(maxSamples);
  const featOrder = new Int32Array(p);
  for (let t = 0; t < resolved.nEstimators; t++) {
    const trng = rng.fork(t + 1);
    for (let i = 0; i < maxSamples; i++) {
      const j = i + trng.int(n - i);
      const v = perm[j];
      perm[j] = perm[i];
      perm[i] = v;
      gather(v, local, i, maxSamples);
      samples[i] = i;
    }
    trees.push(growIsolationTree(local, maxSamples, p, samples, tmp, featOrder, maxDepth, trng));
  }
  return new IsolationForest(p, maxSamples, -0.5, resolved, trees);
}

function growIsolationTree(
  cols: Float64Array,
  n: number,
  p: number,
  samples: Uint32Array,
  tmp: Uint32Array,
  featOrder: Int32Array,
  maxDepth: number,
  rng: Rng,
): Tree {
  const builder = new TreeBuilder(1);
  const m = samples.length;
  const root = builder.root(m);
  const stack: Array<{ leaf: number; begin: number; end: number; depth: number }> = [{ leaf: root, begin: 0, end: m, depth: 0 }];
  while (stack.length > 0) {
    const node = stack.pop() as { leaf: number; begin: number; end: number; depth: number };
    const count = node.end - node.begin;
    builder.setLeafValue(node.leaf, 0, node.depth + averagePathLength(count));
    if (count <= 1 || node.depth >= maxDepth) continue;
    // Draw features without replacement until one is not constant in this node.
    for (let f = 0; f < p; f++) featOrder[f] = f;
    let feature = -1;
    let lo = 0;
    let hi = 0;
    for (let drawn = 0; drawn < p; drawn++) {
      const j = drawn + rng.int(p - drawn);
      const f = featOrder[j];
      featOrder[j] = featOrder[drawn];
      featOrder[drawn] = f;
      const base = f * n;
      let mn = Infinity;
      let mx = -Infinity;
      for (let i = node.begin; i < node.end; i++) {
        const v = cols[base + samples[i]];
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
      if (mx > mn) {
        feature = f;
        lo = mn;
        hi = mx;
        break;
      }
    }
    if (feature < 0) continue;
    let threshold = lo + (hi - lo) * rng.uniform();
    if (threshold >= hi) threshold = lo;
    const base = feature * n;
    let nl = node.begin;
    let nr = 0;
    for (let i = node.begin; i < node.end; i++) {
      const r = samples[i];
      if (cols[base + r] <= threshold) samples[nl++] = r;
      else tmp[nr++] = r;
    }
    samples.set(tmp.subarray(0, nr), nl);
    const right = builder.split(node.leaf, feature, threshold, NodeKind.NumericMissingRight, null, 0, nl - node.begin, node.end - nl);
    stack.push({ leaf: right, begin: nl, end: node.end, depth: node.depth + 1 });
    stack.push({ leaf: node.leaf, begin: node.begin, end: nl, depth: node.depth + 1 });
  }
  return builder.build();
}
