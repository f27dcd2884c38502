/**
 * The fitted decision tree shared by boosting, random forests and isolation forests, stored as
 * parallel arrays (internal nodes and leaves apart) so it serializes to JSON as it is and flattens
 * into one prediction kernel. A child reference >= 0 is an internal node; a negative one, ~leaf.
 */

/** How an internal node routes a value (a plain object rather than an enum, for isolatedModules). */
export const NodeKind = {
  /** value <= threshold goes left; NaN goes right. */
  NumericMissingRight: 0,
  /** value <= threshold goes left; NaN goes left. */
  NumericMissingLeft: 1,
  /** value in the node's category set goes left; everything else (unseen, NaN) goes right. */
  Categorical: 2,
} as const;

/** One of the NodeKind codes. */
export type NodeKind = (typeof NodeKind)[keyof typeof NodeKind];

/** One fitted tree as plain arrays. */
export interface Tree {
  /** Split feature per internal node. */
  feature: Int32Array;
  /** Split threshold per internal node (categorical nodes: unused, 0). */
  threshold: Float64Array;
  /** NodeKind per internal node. */
  kind: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  /** Categories that go left, per internal node (empty for numeric nodes). */
  catLeft: Int32Array[];
  /** Loss reduction of each split (boosting) or impurity decrease (forests). */
  gain: Float64Array;
  /** Training cover of each internal node: the count (or weight) of rows that reached it. */
  internalCover: Float64Array;
  /** Leaf outputs, `leafValue[leaf * outputDim + k]`. */
  leafValue: Float64Array;
  /** Training cover of each leaf. */
  leafCover: Float64Array;
  /** Number of outputs per leaf (1 for boosting, number of classes for forest classifiers). */
  outputDim: number;
  /** Depth of each leaf (root = 0). */
  leafDepth: Int32Array;
}

/** The JSON form of a tree: the same arrays as plain number arrays. */
export interface TreeJSON {
  feature: number[];
  /** Infinite thresholds (a forest's "missing vs. everything" split) are written as strings, since JSON has no Infinity. */
  threshold: Array<number | "Infinity" | "-Infinity">;
  kind: number[];
  left: number[];
  right: number[];
  catLeft: number[][];
  gain: number[];
  internalCover: number[];
  leafValue: number[];
  leafCover: number[];
  outputDim: number;
  leafDepth: number[];
}

/** Number of leaves of a tree. */
export function numLeaves(tree: Tree): number {
  return tree.leafCover.length;
}

/** Serialize a tree to plain arrays. */
export function treeToJSON(tree: Tree): TreeJSON {
  return {
    feature: Array.from(tree.feature),
    threshold: Array.from(tree.threshold, (t) => (t === Infinity ? "Infinity" : t === -Infinity ? "-Infinity" : t)),
    kind: Array.from(tree.kind),
    left: Array.from(tree.left),
    right: Array.from(tree.right),
    catLeft: tree.catLeft.map((c) => Array.from(c)),
    gain: Array.from(tree.gain),
    internalCover: Array.from(tree.internalCover),
    leafValue: Array.from(tree.leafValue),
    leafCover: Array.from(tree.leafCover),
    outputDim: tree.outputDim,
    leafDepth: Array.from(tree.leafDepth),
  };
}

/** Load a tree from its JSON form. */
export function treeFromJSON(json: TreeJSON): Tree {
  return {
    feature: Int32Array.from(json.feature),
    threshold: Float64Array.from(json.threshold, (t) => (typeof t === "string" ? Number(t) : t)),
    kind: Uint8Array.from(json.kind),
    left: Int32Array.from(json.left),
    right: Int32Array.from(json.right),
    catLeft: json.catLeft.map((c) => Int32Array.from(c)),
    gain: Float64Array.from(json.gain),
    internalCover: Float64Array.from(json.internalCover),
    leafValue: Float64Array.from(json.leafValue),
    leafCover: Float64Array.from(json.leafCover),
    outputDim: json.outputDim,
    leafDepth: Int32Array.from(json.leafDepth),
  };
}

/** Route one row (row-major values at `offset`) through the tree and return its leaf index. */
export function leafIndexOf(tree: Tree, values: ArrayLike<number>, offset: number): number {
  let node = tree.left.length === 0 ? -1 : 0;
  while (node >= 0) node = goesLeft(tree, node, values[offset + tree.feature[node]]) ? tree.left[node] : tree.right[node];
  return ~node;
}

/** Whether a value goes to the left child of an internal node. */
export function goesLeft(tree: Tree, node: number, v: number): boolean {
  const kind = tree.kind[node];
  if (kind === NodeKind.Categorical) return tree.catLeft[node].includes(v);
  if (v !== v) return kind === NodeKind.NumericMissingLeft;
  return v <= tree.threshold[node];
}

/** Incrementally builds a tree node by node during fitting. */
export class TreeBuilder {
  private feature: number[] = [];
  private threshold: number[] = [];
  private kind: number[] = [];
  private left: number[] = [];
  private right: number[] = [];
  private catLeft: Int32Array[] = [];
  private gain: number[] = [];
  private internalCover: number[] = [];
  private leafValue: number[] = [];
  private leafCover: number[] = [];
  private leafDepth: number[] = [];
  private leafParent: number[] = [];
  private leafIsLeft: boolean[] = [];

  constructor(readonly outputDim: number) {}

  /** Create the root as a single leaf and return its leaf index (0). */
  root(cover: number): number {
    return this.addLeaf(cover, 0, -1, false);
  }

  private addLeaf(cover: number, depth: number, parent: number, isLeft: boolean): number {
    const id = this.leafCover.length;
    this.leafCover.push(cover);
    this.leafDepth.push(depth);
    this.leafParent.push(parent);
    this.leafIsLeft.push(isLeft);
    for (let k = 0; k < this.outputDim; k++) this.leafValue.push(0);
    return id;
  }

  /**
   * Turn a leaf into an internal node: the leaf keeps its index as the left child and a new leaf
   * (returned) becomes the right child, the same numbering as LightGBM.
   */
  split(
    leaf: number,
    feature: number,
    threshold: number,
    kind: NodeKind,
    catLeft: Int32Array | null,
    gain: number,
    leftCover: number,
    rightCover: number,
  ): number {
    const node = this.feature.length;
    const parent = this.leafParent[leaf];
    if (parent >= 0) {
      if (this.leafIsLeft[leaf]) this.left[parent] = node;
      else this.right[parent] = node;
    }
    this.feature.push(feature);
    this.threshold.push(threshold);
    this.kind.push(kind);
    this.catLeft.push(catLeft ?? new Int32Array(0));
    this.gain.push(gain);
    this.internalCover.push(this.leafCover[leaf]);
    const depth = this.leafDepth[leaf] + 1;
    const right = this.addLeaf(rightCover, depth, node, false);
    this.left.push(~leaf);
    this.right.push(~right);
    this.leafCover[leaf] = leftCover;
    this.leafDepth[leaf] = depth;
    this.leafParent[leaf] = node;
    this.leafIsLeft[leaf] = true;
    return right;
  }

  /** Set the output(s) of a leaf. */
  setLeafValue(leaf: number, k: number, value: number): void {
    this.leafValue[leaf * this.outputDim + k] = value;
  }

  /** Depth of a leaf (root = 0). */
  depth(leaf: number): number {
    return this.leafDepth[leaf];
  }

  /** Finish: copy into typed arrays. */
  build(): Tree {
    return {
      feature: Int32Array.from(this.feature),
      threshold: Float64Array.from(this.threshold),
      kind: Uint8Array.from(this.kind),
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      catLeft: this.catLeft,
      gain: Float64Array.from(this.gain),
      internalCover: Float64Array.from(this.internalCover),
      leafValue: Float64Array.from(this.leafValue),
      leafCover: Float64Array.from(this.leafCover),
      outputDim: this.outputDim,
      leafDepth: Int32Array.from(this.leafDepth),
    };
  }
}
