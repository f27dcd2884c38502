/**
 * Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent individualized feature
 * attribution for tree ensembles", Algorithm 2): Shapley values of one tree's output in
 * O(leaves * depth^2) per row, using the training cover of each node as the conditional
 * distribution. The path bookkeeping (extend / unwind / unwound sum) follows the paper; paths
 * live in one preallocated Float64Array per call, one segment per recursion level.
 */
import type { FeatureMatrix } from "./matrix.js";
import { goesLeft, type Tree } from "./tree.js";

/** Expected output of a tree under its training cover (per output dimension). */
export function treeExpectedValue(tree: Tree, k = 0): number {
  const D = tree.outputDim;
  let s = 0;
  let c = 0;
  for (let l = 0; l < tree.leafCover.length; l++) {
    s += tree.leafValue[l * D + k] * tree.leafCover[l];
    c += tree.leafCover[l];
  }
  return s / c;
}

class PathBuffers {
  feature: Int32Array;
  zero: Float64Array;
  one: Float64Array;
  weight: Float64Array;
  constructor(maxDepth: number) {
    const size = ((maxDepth + 2) * (maxDepth + 3)) / 2;
    this.feature = new Int32Array(size);
    this.zero = new Float64Array(size);
    this.one = new Float64Array(size);
    this.weight = new Float64Array(size);
  }
}

function extendPath(b: PathBuffers, s: number, depth: number, zero: number, one: number, feature: number): void {
  const w = b.weight;
  b.feature[s + depth] = feature;
  b.zero[s + depth] = zero;
  b.one[s + depth] = one;
  w[s + depth] = depth === 0 ? 1 : 0;
  for (let i = depth - 1; i >= 0; i--) {
    w[s + i + 1] += (one * w[s + i] * (i + 1)) / (depth + 1);
    w[s + i] = (zero * w[s + i] * (depth - i)) / (depth + 1);
  }
}

function unwindPath(b: PathBuffers, s: number, depth: number, index: number): void {
  const one = b.one[s + index];
  const zero = b.zero[s + index];
  const w = b.weight;
  let next = w[s + depth];
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = w[s + i];
      w[s + i] = (next * (depth + 1)) / ((i + 1) * one);
      next = tmp - (w[s + i] * zero * (depth - i)) / (depth + 1);
    } else {
      w[s + i] = (w[s + i] * (depth + 1)) / (zero * (depth - i));
    }
  }
  for (let i = index; i < depth; i++) {
    b.feature[s + i] = b.feature[s + i + 1];
    b.zero[s + i] = b.zero[s + i + 1];
    b.one[s + i] = b.one[s + i + 1];
  }
}

/** Total weight of the path with element `index` removed, without modifying it. */
function unwoundSum(b: PathBuffers, s: number, depth: number, index: number): number {
  const one = b.one[s + index];
  const zero = b.zero[s + index];
  const w = b.weight;
  let next = w[s + depth];
  let total = 0;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = (next * (depth + 1)) / ((i + 1) * one);
      total += tmp;
      next = w[s + i] - tmp * zero * ((depth - i) / (depth + 1));
    } else if (zero !== 0) {
      total += w[s + i] / zero / ((depth - i) / (depth + 1));
    }
  }
  return total;
}

interface ShapContext {
  tree: Tree;
  values: ArrayLike<number>;
  rowOffset: number;
  out: Float64Array;
  outBase: number;
  classStride: number;
  buf: PathBuffers;
}

function recurse(
  ctx: ShapContext,
  node: number,
  depth: number,
  parentStart: number,
  parentZero: number,
  parentOne: number,
  parentFeature: number,
): void {
  const b = ctx.buf;
  const s = parentStart + depth;
  // Copy the parent's path into this level's segment, then extend it.
  for (let i = 0; i < depth; i++) {
    b.feature[s + i] = b.feature[parentStart + i];
    b.zero[s + i] = b.zero[parentStart + i];
    b.one[s + i] = b.one[parentStart + i];
    b.weight[s + i] = b.weight[parentStart + i];
  }
  extendPath(b, s, depth, parentZero, parentOne, parentFeature);
  const tree = ctx.tree;
  if (node < 0) {
    const leaf = ~node;
    const D = tree.outputDim;
    for (let i = 1; i <= depth; i++) {
      const w = unwoundSum(b, s, depth, i);
      const scale = w * (b.one[s + i] - b.zero[s + i]);
      const base = ctx.outBase + b.feature[s + i];
      for (let k = 0; k < D; k++) ctx.out[base + k * ctx.classStride] += scale * tree.leafValue[leaf * D + k];
    }
    return;
  }
  const f = tree.feature[node];
  const left = tree.left[node];
  const right = tree.right[node];
  const goLeft = goesLeft(tree, node, ctx.values[ctx.rowOffset + f]);
  const hot = goLeft ? left : right;
  const cold = goLeft ? right : left;
  const cover = tree.internalCover[node];
  const coverOf = (c: number) => (c >= 0 ? tree.internalCover[c] : tree.leafCover[~c]);
  const hotZero = coverOf(hot) / cover;
  const coldZero = coverOf(cold) / cover;
  let inZero = 1;
  let inOne = 1;
  let d = depth;
  let index = 0;
  for (; index <= d; index++) if (b.feature[s + index] === f) break;
  if (index !== d + 1) {
    // The feature was split on above: undo that split so it is counted once.
    inZero = b.zero[s + index];
    inOne = b.one[s + index];
    unwindPath(b, s, d, index);
    d -= 1;
  }
  recurse(ctx, hot, d + 1, s, hotZero * inZero, inOne, f);
  recurse(ctx, cold, d + 1, s, coldZero * inZero, 0, f);
}

function maxDepth(tree: Tree): number {
  let m = 0;
  for (let l = 0; l < tree.leafDepth.length; l++) if (tree.leafDepth[l] > m) m = tree.leafDepth[l];
  return m;
}

/**
 * Add one tree's SHAP values for every row of x into `out`: for row r, output dimension k and
 * feature f at `r * rowStride + offset + k * classStride + f`; the tree's expected value goes to
 * feature index nCols (the bias column).
 */
export function treeShapInto(
  tree: Tree,
  x: FeatureMatrix,
  out: Float64Array,
  rowStride: number,
  offset: number,
  classStride: number,
  scale = 1,
): void {
  const D = tree.outputDim;
  const p = x.nCols;
  const expected = new Float64Array(D);
  for (let k = 0; k < D; k++) expected[k] = treeExpectedValue(tree, k);
  const buf = new PathBuffers(maxDepth(tree) + 1);
  const needScale = scale !== 1;
  const tmp = needScale ? new Float64Array(D * Math.max(classStride, p + 1)) : null;
  for (let r = 0; r < x.nRows; r++) {
    const base = r * rowStride + offset;
    for (let k = 0; k < D; k++) out[base + k * classStride + p] += scale * expected[k];
    if (tree.feature.length === 0) continue;
    if (tmp === null) {
      recurse({ tree, values: x.values, rowOffset: r * p, out, outBase: base, classStride, buf }, 0, 0, 0, 1, 1, -1);
    } else {
      tmp.fill(0);
      recurse({ tree, values: x.values, rowOffset: r * p, out: tmp, outBase: 0, classStride, buf }, 0, 0, 0, 1, 1, -1);
      for (let k = 0; k < D; k++) for (let f = 0; f < p; f++) out[base + k * classStride + f] += scale * tmp[k * classStride + f];
    }
  }
}
