/**
 * All trees of an ensemble flattened into a handful of typed arrays, so prediction is one tight
 * loop with no object access. Rows are processed in blocks small enough to stay in cache while
 * every tree visits them.
 */
import { NodeKind, type Tree } from "./tree.js";
import type { FeatureMatrix } from "./matrix.js";
import { addPredictionsParallel, WasmForest } from "./wasm-predict.js";

// Below this many rows per thread, starting the other threads costs more than it saves.
const PARALLEL_MIN_ROWS = 8192;

function dim1(outputDim: number, numOutputs: number): boolean {
  return outputDim === 1 && numOutputs === 1;
}

const BLOCK_ROWS = 512;
// Below this many trees per call, binning the rows costs more than the cheaper traversal saves.
const BINNED_MIN_TREES = 8;
// Bin code of NaN in the binned kernel; real codes stay below it (at most 254 thresholds per feature).
const NAN_CODE = 255;

/**
 * The forest re-expressed on per-feature bin codes (numeric trees only): code(v) = number of the
 * feature's distinct split thresholds below v, so `v <= threshold_k` exactly when `code(v) <= k`,
 * for every v including +/-Infinity. NaN is code 255 (above every threshold code, so it goes right);
 * a feature that some node sends left on NaN gets a second code column where NaN is 0, and such
 * nodes read that column. A node is two int32s: a word (code column << 8 | threshold code; leaves
 * are the word 255, which nothing exceeds) and the id of its left child, the right child following
 * it. The whole forest then fits in a few tens of kilobytes and a row block's codes in L1.
 */
interface BinnedForest {
  /** Features used by any split, ascending. */
  features: Int32Array;
  /** Per used feature: its NaN-goes-left code column (>= nCols), or -1. */
  leftColumn: Int32Array;
  /** Code columns per row: nCols plus the NaN-goes-left columns. */
  width: number;
  /** Per used feature (same order): thresholds ascending, padded with +Infinity to a power of two. */
  thrStart: Int32Array;
  thrSize: Int32Array;
  thresholds: Float64Array;
  root: Int32Array;
  depth: Int32Array;
  nodes: Int32Array;
  value: Float64Array;
}

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
  private binned: BinnedForest | null | undefined = undefined;
  private binnedCols = 0;
  private wasmCache: { bf: BinnedForest; wf: WasmForest | null } | undefined = undefined;
  /** Use the WebAssembly kernel where it applies (false: the JavaScript kernels only, e.g. to compare them). */
  useWasm = true;
  private readonly trees: readonly Tree[];

  constructor(trees: readonly Tree[]) {
    this.trees = trees;
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
   * `outputDim` columns. `out` is row-major with `numOutputs` columns. `numThreads` > 1 shares
   * large numeric scalar-output batches among worker threads (bit-identical results).
   */
  addPredictions(x: FeatureMatrix, out: Float64Array, numOutputs: number, treeBegin: number, treeEnd: number, scale = 1, numThreads = 1): void {
    if (!this.hasCategorical) {
      const binned = treeEnd - treeBegin >= BINNED_MIN_TREES ? this.binnedForest(x.nCols) : null;
      // Several threads (scalar outputs, wasm available): each bins and walks its own rows, same bits as one thread.
      const threads = Math.min(numThreads, Math.floor(x.nRows / PARALLEL_MIN_ROWS));
      if (binned !== null && threads > 1 && this.useWasm && dim1(this.outputDim, numOutputs)) {
        if (addPredictionsParallel(binned, x.values, x.nRows, x.nCols, out, treeBegin, treeEnd, scale, threads, BLOCK_ROWS)) return;
      }
      if (binned !== null) this.addPredictionsBinned(binned, x, out, numOutputs, treeBegin, treeEnd, scale);
      else this.addPredictionsLockstep(x, out, numOutputs, treeBegin, treeEnd, scale);
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

  /** The binned forest in wasm memory (built on first use), or null where WebAssembly is unavailable or disabled. */
  private wasmForest(bf: BinnedForest): WasmForest | null {
    if (!this.useWasm) return null;
    if (this.wasmCache === undefined || this.wasmCache.bf !== bf) {
      this.wasmCache = { bf, wf: WasmForest.tryCreate(bf, this.binnedCols, BLOCK_ROWS) };
    }
    return this.wasmCache.wf;
  }

  /** Which kernel addPredictions uses for `numTrees` trees on rows of `nCols` features (a diagnostic for tests and benches). */
  kernelFor(nCols: number, numTrees = this.numTrees, numOutputs = this.outputDim): "wasm-binned" | "binned" | "lockstep" | "general" {
    if (this.hasCategorical) return "general";
    const bf = numTrees >= BINNED_MIN_TREES ? this.binnedForest(nCols) : null;
    if (bf === null) return "lockstep";
    return dim1(this.outputDim, numOutputs) && this.wasmForest(bf) !== null ? "wasm-binned" : "binned";
  }

  /** The binned layout for rows of `nCols` features, built on first use; null when some feature has more than 254 distinct thresholds. */
  private binnedForest(nCols: number): BinnedForest | null {
    if (this.binned !== undefined && (this.binned === null || this.binnedCols === nCols)) return this.binned;
    this.binned = buildBinnedForest(this.trees, this.outputDim, nCols);
    this.binnedCols = nCols;
    return this.binned;
  }

  /**
   * The lock-step kernel on bin codes: each block of rows is binned once (only the features the
   * forest splits on), then every tree walks the codes. Same leaves, same additions in the same
   * order as the float kernels, so the output is bit-identical.
   */
  private addPredictionsBinned(bf: BinnedForest, x: FeatureMatrix, out: Float64Array, numOutputs: number, treeBegin: number, treeEnd: number, scale: number): void {
    const { nRows, nCols: p, values } = x;
    const W = bf.width;
    // Scalar outputs in one column (binary, regression, isolation forest): the wasm kernel walks the trees.
    const wf = dim1(this.outputDim, numOutputs) ? this.wasmForest(bf) : null;
    if (wf !== null) {
      wf.addPredictions(values, 0, nRows, out, treeBegin, treeEnd, scale);
      return;
    }
    const codes = new Uint8Array(BLOCK_ROWS * W);
    const feats = bf.features;
    const leftCol = bf.leftColumn;
    const thrStart = bf.thrStart;
    const thrSize = bf.thrSize;
    const thr = bf.thresholds;
    const nodes = bf.nodes;
    const dim = this.outputDim;
    const value = bf.value;
    for (let b0 = 0; b0 < nRows; b0 += BLOCK_ROWS) {
      const b1 = Math.min(nRows, b0 + BLOCK_ROWS);
      for (let i = 0; i < feats.length; i++) {
        const f = feats[i];
        const u = thrStart[i] - 1;
        const size = thrSize[i];
        const lc = leftCol[i];
        let r = b0;
        let o = 0;
        // Four rows at a time: their searches are independent chains of loads the CPU can overlap.
        for (; r + 3 < b1; r += 4, o += 4 * W) {
          const v0 = values[r * p + f];
          const v1 = values[(r + 1) * p + f];
          const v2 = values[(r + 2) * p + f];
          const v3 = values[(r + 3) * p + f];
          let c0 = 0;
          let c1 = 0;
          let c2 = 0;
          let c3 = 0;
          for (let step = size >>> 1; step > 0; step >>>= 1) {
            c0 += +(thr[u + c0 + step] < v0) * step;
            c1 += +(thr[u + c1 + step] < v1) * step;
            c2 += +(thr[u + c2 + step] < v2) * step;
            c3 += +(thr[u + c3 + step] < v3) * step;
          }
          codes[o + f] = v0 === v0 ? c0 : NAN_CODE;
          codes[o + W + f] = v1 === v1 ? c1 : NAN_CODE;
          codes[o + 2 * W + f] = v2 === v2 ? c2 : NAN_CODE;
          codes[o + 3 * W + f] = v3 === v3 ? c3 : NAN_CODE;
          if (lc >= 0) {
            codes[o + lc] = v0 === v0 ? c0 : 0;
            codes[o + W + lc] = v1 === v1 ? c1 : 0;
            codes[o + 2 * W + lc] = v2 === v2 ? c2 : 0;
            codes[o + 3 * W + lc] = v3 === v3 ? c3 : 0;
          }
        }
        for (; r < b1; r++, o += W) {
          const v = values[r * p + f];
          // Branch-free lower bound: the count of thresholds strictly below v.
          let c = 0;
          for (let step = size >>> 1; step > 0; step >>>= 1) c += +(thr[u + c + step] < v) * step;
          const nan = v !== v;
          codes[o + f] = nan ? NAN_CODE : c;
          if (lc >= 0) codes[o + lc] = nan ? 0 : c;
        }
      }
      for (let t = treeBegin; t < treeEnd; t++) {
        const root = bf.root[t];
        const depth = bf.depth[t];
        const col = t % numOutputs;
        let r = b0;
        for (; r + 7 < b1; r += 8) {
          const o0 = (r - b0) * W;
          const o1 = o0 + W;
          const o2 = o1 + W;
          const o3 = o2 + W;
          const o4 = o3 + W;
          const o5 = o4 + W;
          const o6 = o5 + W;
          const o7 = o6 + W;
          let n0 = root;
          let n1 = root;
          let n2 = root;
          let n3 = root;
          let n4 = root;
          let n5 = root;
          let n6 = root;
          let n7 = root;
          for (let s = 0; s < depth; s++) {
            const w0 = nodes[2 * n0];
            const w1 = nodes[2 * n1];
            const w2 = nodes[2 * n2];
            const w3 = nodes[2 * n3];
            const w4 = nodes[2 * n4];
            const w5 = nodes[2 * n5];
            const w6 = nodes[2 * n6];
            const w7 = nodes[2 * n7];
            // Internal words hold a threshold code <= 253, so the low bytes AND to 255 only when all are leaves.
            if ((w0 & w1 & w2 & w3 & w4 & w5 & w6 & w7 & 255) === 255) break;
            n0 = nodes[2 * n0 + 1] + +(codes[o0 + (w0 >>> 8)] > (w0 & 255));
            n1 = nodes[2 * n1 + 1] + +(codes[o1 + (w1 >>> 8)] > (w1 & 255));
            n2 = nodes[2 * n2 + 1] + +(codes[o2 + (w2 >>> 8)] > (w2 & 255));
            n3 = nodes[2 * n3 + 1] + +(codes[o3 + (w3 >>> 8)] > (w3 & 255));
            n4 = nodes[2 * n4 + 1] + +(codes[o4 + (w4 >>> 8)] > (w4 & 255));
            n5 = nodes[2 * n5 + 1] + +(codes[o5 + (w5 >>> 8)] > (w5 & 255));
            n6 = nodes[2 * n6 + 1] + +(codes[o6 + (w6 >>> 8)] > (w6 & 255));
            n7 = nodes[2 * n7 + 1] + +(codes[o7 + (w7 >>> 8)] > (w7 & 255));
          }
          if (dim === 1) {
            out[r * numOutputs + col] += scale * value[n0];
            out[(r + 1) * numOutputs + col] += scale * value[n1];
            out[(r + 2) * numOutputs + col] += scale * value[n2];
            out[(r + 3) * numOutputs + col] += scale * value[n3];
            out[(r + 4) * numOutputs + col] += scale * value[n4];
            out[(r + 5) * numOutputs + col] += scale * value[n5];
            out[(r + 6) * numOutputs + col] += scale * value[n6];
            out[(r + 7) * numOutputs + col] += scale * value[n7];
          } else {
            const ns = [n0, n1, n2, n3, n4, n5, n6, n7];
            for (let i = 0; i < 8; i++) for (let k = 0; k < dim; k++) out[(r + i) * numOutputs + k] += scale * value[ns[i] * dim + k];
          }
        }
        for (; r < b1; r++) {
          const o = (r - b0) * W;
          let n = root;
          for (let w = nodes[2 * n]; (w & 255) !== 255; w = nodes[2 * n]) n = nodes[2 * n + 1] + +(codes[o + (w >>> 8)] > (w & 255));
          for (let k = 0; k < dim; k++) out[r * numOutputs + (dim === 1 ? col : k)] += scale * value[n * dim + k];
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

/** Re-express numeric trees on threshold codes (see BinnedForest); null if a feature has > 254 thresholds or too many features. */
function buildBinnedForest(trees: readonly Tree[], dim: number, nCols: number): BinnedForest | null {
  const perFeature = new Map<number, Set<number>>();
  const nanLeft = new Set<number>();
  let total = 0;
  for (const t of trees) {
    for (let i = 0; i < t.feature.length; i++) {
      if (t.kind[i] === NodeKind.Categorical) return null;
      const f = t.feature[i];
      if (f >= nCols) return null;
      let set = perFeature.get(f);
      if (set === undefined) perFeature.set(f, (set = new Set()));
      set.add(t.threshold[i]);
      if (t.kind[i] === NodeKind.NumericMissingLeft) nanLeft.add(f);
    }
    total += t.feature.length + t.leafCover.length;
  }
  const features = Int32Array.from([...perFeature.keys()].sort((a, b) => a - b));
  const leftColumn = new Int32Array(features.length).fill(-1);
  let width = nCols;
  features.forEach((f, i) => {
    if (nanLeft.has(f)) leftColumn[i] = width++;
  });
  if (width >= 1 << 22) return null;
  const colOfLeft = new Map<number, number>();
  features.forEach((f, i) => colOfLeft.set(f, leftColumn[i]));
  const thrStart = new Int32Array(features.length);
  const thrSize = new Int32Array(features.length);
  const lists: Float64Array[] = [];
  const codeOf = new Map<number, Map<number, number>>();
  let size = 0;
  for (let i = 0; i < features.length; i++) {
    const sorted = Float64Array.from(perFeature.get(features[i]) as Set<number>).sort();
    if (sorted.length > NAN_CODE - 1) return null;
    const codes = new Map<number, number>();
    sorted.forEach((v, k) => codes.set(v, k));
    codeOf.set(features[i], codes);
    // A power of two above the count, so a search over the padded list can answer "all below".
    let padded = 1;
    while (padded <= sorted.length) padded *= 2;
    const list = new Float64Array(padded).fill(Infinity);
    list.set(sorted);
    lists.push(list);
    thrStart[i] = size;
    thrSize[i] = padded;
    size += padded;
  }
  const thresholds = new Float64Array(size);
  lists.forEach((l, i) => thresholds.set(l, thrStart[i]));
  const root = new Int32Array(trees.length);
  const depth = new Int32Array(trees.length);
  const nodes = new Int32Array(2 * total);
  const value = new Float64Array(total * dim);
  let next = 0;
  trees.forEach((t, ti) => {
    root[ti] = next;
    // Breadth-first ids so that every node's two children are adjacent.
    const queue: number[] = [t.feature.length === 0 ? ~0 : 0];
    const ids: number[] = [next++];
    let maxDepth = 0;
    for (let q = 0; q < queue.length; q++) {
      const ref = queue[q];
      const id = ids[q];
      if (ref < 0) {
        nodes[2 * id] = 255;
        nodes[2 * id + 1] = id;
        for (let k = 0; k < dim; k++) value[id * dim + k] = t.leafValue[~ref * dim + k];
        maxDepth = Math.max(maxDepth, t.leafDepth[~ref]);
        continue;
      }
      const code = (codeOf.get(t.feature[ref]) as Map<number, number>).get(t.threshold[ref]) as number;
      const column = t.kind[ref] === NodeKind.NumericMissingLeft ? (colOfLeft.get(t.feature[ref]) as number) : t.feature[ref];
      nodes[2 * id] = (column << 8) | code;
      nodes[2 * id + 1] = next;
      queue.push(t.left[ref], t.right[ref]);
      ids.push(next, next + 1);
      next += 2;
    }
    depth[ti] = t.feature.length === 0 ? 0 : maxDepth;
  });
  return { features, leftColumn, width, thrStart, thrSize, thresholds, root, depth, nodes, value };
}

function bitsetWords(cats: Int32Array): number {
  let max = -1;
  for (const c of cats) if (c > max) max = c;
  return (max >>> 5) + 1;
}
