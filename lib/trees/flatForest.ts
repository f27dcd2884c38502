/**
 * All trees of an ensemble flattened into a handful of typed arrays, so prediction is one tight
 * loop with no object access. Rows are processed in blocks small enough to stay in cache while
 * every tree visits them.
 */
import { NodeKind, type Tree } from "./tree.js";
import type { FeatureMatrix } from "./matrix.js";

const BLOCK_ROWS = 512;

/** Flattened trees: node arrays concatenated, children re-based, leaves as ~globalLeafIndex. */
export class FlatForest {
  readonly numTrees: number;
  readonly outputDim: number;
  private readonly root: Int32Array;
  private readonly feature: Int32Array;
  private readonly threshold: Float64Array;
  private readonly kind: Uint8Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly catStart: Int32Array;
  private readonly catWords: Int32Array;
  private readonly catBits: Uint32Array;
  private readonly leafValue: Float64Array;
  private readonly hasCategorical: boolean;
  // Lock-step layout (numeric trees only): leaves are nodes whose two children are themselves, so
  // every row takes exactly `depth` branch-free steps and several rows advance together.
  private readonly lsRoot: Int32Array;
  private readonly lsDepth: Int32Array;
  private readonly lsChild: Int32Array;
  private readonly lsFeature: Int32Array;
  private readonly lsThreshold: Float64Array;
  private readonly lsNanRight: Int32Array;
  private readonly lsValue: Float64Array;
  private leafStart = 0;

  constructor(trees: readonly Tree[]) {
    this.numTrees = trees.length;
    this.outputDim = trees.length > 0 ? trees[0].outputDim : 1;
    let nodes = 0;
    let leaves = 0;
    let words = 0;
    for (const t of trees) {
      nodes += t.feature.length;
      leaves += t.leafCover.length;
      for (let i = 0; i < t.feature.length; i++) {
        if (t.kind[i] === NodeKind.Categorical) words += bitsetWords(t.catLeft[i]);
      }
    }
    this.root = new Int32Array(trees.length);
    this.feature = new Int32Array(nodes);
    this.threshold = new Float64Array(nodes);
    this.kind = new Uint8Array(nodes);
    this.left = new Int32Array(nodes);
    this.right = new Int32Array(nodes);
    this.catStart = new Int32Array(nodes);
    this.catWords = new Int32Array(nodes);
    this.catBits = new Uint32Array(words);
    this.leafValue = new Float64Array(leaves * this.outputDim);
    let nodeBase = 0;
    let leafBase = 0;
    let wordBase = 0;
    let anyCat = false;
    const rebase = (c: number) => (c >= 0 ? c + nodeBase : ~(~c + leafBase));
    trees.forEach((t, ti) => {
      const m = t.feature.length;
      this.root[ti] = m === 0 ? ~leafBase : nodeBase;
      for (let i = 0; i < m; i++) {
        const g = nodeBase + i;
        this.feature[g] = t.feature[i];
        this.threshold[g] = t.threshold[i];
        this.kind[g] = t.kind[i];
        this.left[g] = rebase(t.left[i]);
        this.right[g] = rebase(t.right[i]);
        if (t.kind[i] === NodeKind.Categorical) {
          anyCat = true;
          const w = bitsetWords(t.catLeft[i]);
          this.catStart[g] = wordBase;
          this.catWords[g] = w;
          for (const c of t.catLeft[i]) this.catBits[wordBase + (c >>> 5)] |= 1 << (c & 31);
          wordBase += w;
        }
      }
      this.leafValue.set(t.leafValue, leafBase * this.outputDim);
      nodeBase += m;
      leafBase += t.leafCover.length;
    });
    this.hasCategorical = anyCat;
    const totalNodes = nodes + leaves;
    this.lsRoot = new Int32Array(trees.length);
    this.lsDepth = new Int32Array(trees.length);
    this.lsChild = new Int32Array(anyCat ? 0 : 2 * totalNodes);
    this.lsFeature = new Int32Array(anyCat ? 0 : totalNodes);
    this.lsThreshold = new Float64Array(anyCat ? 0 : totalNodes);
    this.lsNanRight = new Int32Array(anyCat ? 0 : totalNodes);
    this.lsValue = new Float64Array(anyCat ? 0 : totalNodes * this.outputDim);
    if (!anyCat) {
      // Internal nodes of all trees first, then all leaves: "node >= leafStart" means a leaf.
      this.leafStart = nodes;
      let nodeBase2 = 0;
      let leafBase2 = nodes;
      trees.forEach((t, ti) => {
        const m = t.feature.length;
        const L = t.leafCover.length;
        const id = (c: number) => (c >= 0 ? nodeBase2 + c : leafBase2 + ~c);
        this.lsRoot[ti] = m === 0 ? leafBase2 : nodeBase2;
        let depth = 0;
        for (let l = 0; l < L; l++) depth = Math.max(depth, t.leafDepth[l]);
        this.lsDepth[ti] = m === 0 ? 0 : depth;
        for (let i = 0; i < m; i++) {
          const g = nodeBase2 + i;
          this.lsChild[2 * g] = id(t.left[i]);
          this.lsChild[2 * g + 1] = id(t.right[i]);
          this.lsFeature[g] = t.feature[i];
          this.lsThreshold[g] = t.threshold[i];
          this.lsNanRight[g] = t.kind[i] === NodeKind.NumericMissingLeft ? 0 : 1;
        }
        for (let l = 0; l < L; l++) {
          const g = leafBase2 + l;
          this.lsChild[2 * g] = g;
          this.lsChild[2 * g + 1] = g;
          for (let k = 0; k < this.outputDim; k++) this.lsValue[g * this.outputDim + k] = t.leafValue[l * this.outputDim + k];
        }
        nodeBase2 += m;
        leafBase2 += L;
      });
    }
  }

  /**
   * Add the outputs of trees [treeBegin, treeEnd) to `out`: tree t adds to output column
   * `t % numOutputs` (one tree per class per boosting round), or, for vector leaves, to all
   * `outputDim` columns. `out` is row-major with `numOutputs` columns.
   */
  addPredictions(x: FeatureMatrix, out: Float64Array, numOutputs: number, treeBegin: number, treeEnd: number, scale = 1): void {
    if (!this.hasCategorical) {
      this.addPredictionsLockstep(x, out, numOutputs, treeBegin, treeEnd, scale);
      return;
    }
    const { nRows, nCols, values } = x;
    const feature = this.feature;
    const threshold = this.threshold;
    const left = this.left;
    const right = this.right;
    const kind = this.kind;
    const leafValue = this.leafValue;
    const dim = this.outputDim;
    const cat = this.hasCategorical;
    for (let b0 = 0; b0 < nRows; b0 += BLOCK_ROWS) {
      const b1 = Math.min(nRows, b0 + BLOCK_ROWS);
      for (let t = treeBegin; t < treeEnd; t++) {
        const root = this.root[t];
        const col = dim === 1 ? t % numOutputs : 0;
        for (let r = b0; r < b1; r++) {
          let node = root;
          const off = r * nCols;
          if (cat) {
            while (node >= 0) node = this.step(node, values[off + feature[node]]);
          } else {
            while (node >= 0) {
              const v = values[off + feature[node]];
              // NaN fails both comparisons and falls to the node's default side.
              node = v <= threshold[node] ? left[node] : v > threshold[node] ? right[node] : kind[node] === 1 ? left[node] : right[node];
            }
          }
          const leaf = ~node;
          if (dim === 1) out[r * numOutputs + col] += scale * leafValue[leaf];
          else for (let k = 0; k < dim; k++) out[r * numOutputs + k] += scale * leafValue[leaf * dim + k];
        }
      }
    }
  }

  private addPredictionsLockstep(x: FeatureMatrix, out: Float64Array, numOutputs: number, treeBegin: number, treeEnd: number, scale: number): void {
    const { nRows, nCols: p, values } = x;
    const child = this.lsChild;
    const feat = this.lsFeature;
    const thr = this.lsThreshold;
    const nanR = this.lsNanRight;
    const LS = this.leafStart;
    for (let b0 = 0; b0 < nRows; b0 += BLOCK_ROWS) {
      const b1 = Math.min(nRows, b0 + BLOCK_ROWS);
      // Blocks without NaN (the usual case) skip the missing-value arithmetic.
      let anyNaN = false;
      for (let i = b0 * p, e = b1 * p; i < e; i++) {
        const v = values[i];
        if (v !== v) {
          anyNaN = true;
          break;
        }
      }
      for (let t = treeBegin; t < treeEnd; t++) {
        const root = this.lsRoot[t];
        const depth = this.lsDepth[t];
        const col = t % numOutputs;
        let r = b0;
        for (; r + 7 < b1; r += 8) {
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
          // 8 independent rows advance together; a finished row loops on its leaf until all are done.
          if (anyNaN) {
            for (let s = 0; s < depth; s++) {
              // Child = 2 * node + (goes right); NaN fails v > thr and goes right only where nanR = 1.
              const v0 = values[o0 + feat[n0]];
              const v1 = values[o1 + feat[n1]];
              const v2 = values[o2 + feat[n2]];
              const v3 = values[o3 + feat[n3]];
              const v4 = values[o4 + feat[n4]];
              const v5 = values[o5 + feat[n5]];
              const v6 = values[o6 + feat[n6]];
              const v7 = values[o7 + feat[n7]];
              n0 = child[2 * n0 + (+(v0 > thr[n0]) | (nanR[n0] & +(v0 !== v0)))];
              n1 = child[2 * n1 + (+(v1 > thr[n1]) | (nanR[n1] & +(v1 !== v1)))];
              n2 = child[2 * n2 + (+(v2 > thr[n2]) | (nanR[n2] & +(v2 !== v2)))];
              n3 = child[2 * n3 + (+(v3 > thr[n3]) | (nanR[n3] & +(v3 !== v3)))];
              n4 = child[2 * n4 + (+(v4 > thr[n4]) | (nanR[n4] & +(v4 !== v4)))];
              n5 = child[2 * n5 + (+(v5 > thr[n5]) | (nanR[n5] & +(v5 !== v5)))];
              n6 = child[2 * n6 + (+(v6 > thr[n6]) | (nanR[n6] & +(v6 !== v6)))];
              n7 = child[2 * n7 + (+(v7 > thr[n7]) | (nanR[n7] & +(v7 !== v7)))];
              if (n0 >= LS && n1 >= LS && n2 >= LS && n3 >= LS && n4 >= LS && n5 >= LS && n6 >= LS && n7 >= LS) break;
            }
          } else {
            for (let s = 0; s < depth; s++) {
              n0 = child[2 * n0 + +(values[o0 + feat[n0]] > thr[n0])];
              n1 = child[2 * n1 + +(values[o1 + feat[n1]] > thr[n1])];
              n2 = child[2 * n2 + +(values[o2 + feat[n2]] > thr[n2])];
              n3 = child[2 * n3 + +(values[o3 + feat[n3]] > thr[n3])];
              n4 = child[2 * n4 + +(values[o4 + feat[n4]] > thr[n4])];
              n5 = child[2 * n5 + +(values[o5 + feat[n5]] > thr[n5])];
              n6 = child[2 * n6 + +(values[o6 + feat[n6]] > thr[n6])];
              n7 = child[2 * n7 + +(values[o7 + feat[n7]] > thr[n7])];
              if (n0 >= LS && n1 >= LS && n2 >= LS && n3 >= LS && n4 >= LS && n5 >= LS && n6 >= LS && n7 >= LS) break;
            }
          }
          this.accumulate(out, r * numOutputs, col, n0, scale);
          this.accumulate(out, (r + 1) * numOutputs, col, n1, scale);
          this.accumulate(out, (r + 2) * numOutputs, col, n2, scale);
          this.accumulate(out, (r + 3) * numOutputs, col, n3, scale);
          this.accumulate(out, (r + 4) * numOutputs, col, n4, scale);
          this.accumulate(out, (r + 5) * numOutputs, col, n5, scale);
          this.accumulate(out, (r + 6) * numOutputs, col, n6, scale);
          this.accumulate(out, (r + 7) * numOutputs, col, n7, scale);
        }
        for (; r < b1; r++) {
          const o = r * p;
          let n = root;
          while (n < LS) {
            const v = values[o + feat[n]];
            n = child[2 * n + (+(v > thr[n]) | (nanR[n] & +(v !== v)))];
          }
          this.accumulate(out, r * numOutputs, col, n, scale);
        }
      }
    }
  }

  /** Add a leaf's output(s) to one row of `out`: one column for scalar leaves, all columns for vector leaves. */
  private accumulate(out: Float64Array, rowBase: number, col: number, node: number, scale: number): void {
    const dim = this.outputDim;
    if (dim === 1) out[rowBase + col] += scale * this.lsValue[node];
    else for (let k = 0; k < dim; k++) out[rowBase + k] += scale * this.lsValue[node * dim + k];
  }

  /** The global leaf index each row reaches in tree t. */
  leafOf(x: FeatureMatrix, row: number, t: number): number {
    let node = this.root[t];
    const off = row * x.nCols;
    while (node >= 0) node = this.step(node, x.values[off + this.feature[node]]);
    return ~node;
  }

  private step(node: number, v: number): number {
    const k = this.kind[node];
    if (k === NodeKind.Categorical) {
      const w = v >>> 5;
      const inSet = v >= 0 && v < 0x100000 && v === Math.floor(v) && w < this.catWords[node] && (this.catBits[this.catStart[node] + w] & (1 << (v & 31))) !== 0;
      return inSet ? this.left[node] : this.right[node];
    }
    const thr = this.threshold[node];
    if (v <= thr) return this.left[node];
    if (v > thr) return this.right[node];
    return k === NodeKind.NumericMissingLeft ? this.left[node] : this.right[node];
  }
}

function bitsetWords(cats: Int32Array): number {
  let max = -1;
  for (const c of cats) if (c > max) max = c;
  return (max >>> 5) + 1;
}
