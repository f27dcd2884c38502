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
  }

  /**
   * Add the outputs of trees [treeBegin, treeEnd) to `out`: tree t adds to output column
   * `t % numOutputs` (one tree per class per boosting round), or, for vector leaves, to all
   * `outputDim` columns. `out` is row-major with `numOutputs` columns.
   */
  addPredictions(x: FeatureMatrix, out: Float64Array, numOutputs: number, treeBegin: number, treeEnd: number, scale = 1): void {
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
