/**
 * Leaf-wise (best-first) growth of one regression tree on binned data, LightGBM's strategy:
 * repeatedly split the leaf whose best split reduces the loss most, until num_leaves or no split
 * is left. Rows of each leaf are kept contiguous in one index array; only the smaller child's
 * histogram is built and the larger one's is the parent's minus it.
 */
import type { BinMapper, BinnedData } from "./binning.js";
import { buildHistograms, gatherGradients, planFeatures, subtractHistogram, type FeaturePlan } from "./histogram.js";
import { HistogramWorkers } from "./hist-workers.js";
import {
  findBestCategorical,
  findBestNumeric,
  leafOutput,
  SplitInfo,
  type SplitConstraints,
} from "./split-finder.js";
import { NodeKind, TreeBuilder, type Tree } from "./tree.js";
import { WASM_BINS_PER_FEATURE, WasmHistogramWorkers, type WasmTrainingMemory } from "./wasm-histogram.js";

// A local copy of splitFinder's HIST_STRIDE (see histogram.ts).
const HIST_STRIDE = 2;

/** Limits of the tree shape on top of the split constraints. */
export interface GrowthParams extends SplitConstraints {
  numLeaves: number;
  /** <= 0 means no limit. */
  maxDepth: number;
  /** Threads for histogram construction (1 = no workers). */
  numThreads: number;
}

// Leaves smaller than this are histogrammed by the calling thread alone: the hand-off costs more.
const PARALLEL_MIN_ROWS = 4096;
// The same for the wasm kernel, which is several times faster per row, so the hand-off pays later.
const WASM_PARALLEL_MIN_ROWS = 8192;
// Leaves at least this large are partitioned in two halves by the main thread and a worker.
const PARALLEL_PARTITION_MIN_ROWS = 8192;

function typed<T>(shared: boolean, make: (buf: ArrayBuffer | SharedArrayBuffer | number) => T, bytes: number, length: number): T {
  return shared ? make(new SharedArrayBuffer(bytes)) : make(length);
}

/** A grown tree plus where each leaf's rows sit in the learner's row array. */
export interface GrownTree {
  tree: Tree;
  numLeaves: number;
  /** Row array, valid until the next call to grow(). */
  rows: Uint32Array;
  leafBegin: Int32Array;
  leafCount: Int32Array;
}

/** Grows trees on a fixed binned training set; buffers are reused from tree to tree. */
export class HistTreeLearner {
  private readonly n: number;
  private readonly binOffset: Int32Array;
  private readonly totalBins: number;
  private readonly rows: Uint32Array;
  private readonly tmp: Uint32Array;
  private readonly gh: Float64Array;
  private readonly pool: Float64Array[];
  private readonly leafBegin: Int32Array;
  private readonly leafCount: Int32Array;
  private readonly leafG: Float64Array;
  private readonly leafH: Float64Array;
  private readonly leafHist: Int32Array;
  private readonly best: SplitInfo[];
  private readonly catMask = new Uint8Array(256);
  private plan: FeaturePlan = { fullGroups: new Int32Array(0), singles: new Int32Array(0) };
  private readonly workers: HistogramWorkers | null;
  private readonly wasmWorkers: WasmHistogramWorkers | null = null;
  /** Per thread (main first): number of passes in its wasm pass table for the current tree. */
  private wasmShare: Int32Array;

  /**
   * With `wasm`, the bin codes must already sit in wasm.packed (binMatrix into it) and the
   * histograms are built by the WebAssembly kernel; otherwise by the JavaScript kernels.
   */
  constructor(
    private readonly data: BinnedData,
    private readonly mappers: readonly BinMapper[],
    private readonly params: GrowthParams,
    private readonly wasm: WasmTrainingMemory | null = null,
  ) {
    const nRows = data.nRows;
    this.n = nRows;
    this.binOffset = new Int32Array(mappers.length + 1);
    this.wasmShare = new Int32Array(Math.max(1, params.numThreads));
    // Per-leaf state, the same for both kernels.
    const leaves = params.numLeaves;
    this.leafBegin = new Int32Array(leaves);
    this.leafCount = new Int32Array(leaves);
    this.leafG = new Float64Array(leaves);
    this.leafH = new Float64Array(leaves);
    this.leafHist = new Int32Array(leaves);
    this.best = Array.from({ length: leaves }, () => new SplitInfo());
    if (wasm !== null) {
      if (wasm.packed !== data.packed || data.columns === null) throw new Error("internal: the wasm learner needs the bin codes (words and byte columns) in wasm memory");
      // The wasm layout: 256 bins per feature, whatever the feature's real count.
      for (let f = 0; f <= mappers.length; f++) this.binOffset[f] = f * WASM_BINS_PER_FEATURE;
      this.totalBins = wasm.histDoubles / HIST_STRIDE;
      this.rows = wasm.rows;
      this.tmp = wasm.tmp;
      this.gh = wasm.gh;
      const L = params.numLeaves;
      this.pool = Array.from({ length: L + 1 }, (_, i) => wasm.pool.subarray(i * wasm.histDoubles, (i + 1) * wasm.histDoubles));
      this.workers = null;
      this.wasmWorkers = params.numThreads > 1 ? new WasmHistogramWorkers(wasm, params.numThreads - 1) : null;
      return;
    }
    for (let f = 0; f < mappers.length; f++) this.binOffset[f + 1] = this.binOffset[f] + mappers[f].totalBins;
    this.totalBins = this.binOffset[mappers.length];
    const shared = params.numThreads > 1 && data.packed.buffer instanceof SharedArrayBuffer;
    this.rows = typed(shared, (b) => new Uint32Array(b as ArrayBuffer), nRows * 4, nRows);
    this.tmp = new Uint32Array(nRows);
    this.gh = typed(shared, (b) => new Float64Array(b as ArrayBuffer), 2 * nRows * 8, 2 * nRows);
    const L = params.numLeaves;
    // One histogram per live leaf plus a spare for the smaller child being built, back to back.
    const histSize = this.totalBins * HIST_STRIDE;
    const poolAll = typed(shared, (b) => new Float64Array(b as ArrayBuffer), (L + 1) * histSize * 8, (L + 1) * histSize);
    this.pool = Array.from({ length: L + 1 }, (_, i) => poolAll.subarray(i * histSize, (i + 1) * histSize));
    this.workers = shared
      ? new HistogramWorkers(
          {
            packed: data.packed,
            rows: this.rows,
            gh: this.gh,
            pool: poolAll,
            binOffset: this.binOffset,
            nRows,
            histSize,
            numGroups: data.numGroups,
          },
          params.numThreads - 1,
        )
      : null;
  }

  /**
   * Grow one tree for the given gradients. `bag` lists the training rows in ascending order
   * (null = all rows); `features` lists the features this tree may split on.
   */
  grow(grad: Float64Array, hess: Float64Array, bag: Uint32Array | null, bagCount: number, features: Int32Array): GrownTree {
    const p = this.params;
    const rows = this.rows;
    this.plan = planFeatures(features, this.mappers.length);
    if (this.wasm !== null) this.planWasm(features);
    const count = bag === null ? this.n : bagCount;
    let sumG = 0;
    let sumH = 0;
    if (bag === null && this.wasm !== null && grad.buffer === this.wasm.memory.buffer) {
      [sumG, sumH] = this.wasm.rootLayout(grad, hess, count);
    } else if (bag === null) {
      // The root without bagging reads every row in order: one fused pass resets the row order,
      // lays out the gradient pairs and sums them.
      const gh = this.gh;
      for (let i = 0; i < count; i++) {
        rows[i] = i;
        const g = grad[i];
        const h = hess[i];
        gh[2 * i] = g;
        gh[2 * i + 1] = h;
        sumG += g;
        sumH += h;
      }
    } else {
      rows.set(bag.subarray(0, count));
      const gh = this.gh;
      const byRow = this.wasm !== null;
      for (let i = 0; i < count; i++) {
        const r = rows[i];
        const g = grad[r];
        const h = hess[r];
        // The wasm kernel reads gradient pairs in row order: lay out the bagged rows' pairs once.
        if (byRow) {
          gh[2 * r] = g;
          gh[2 * r + 1] = h;
        }
        sumG += g;
        sumH += h;
      }
    }
    const builder = new TreeBuilder(1);
    builder.root(count);
    builder.setLeafValue(0, 0, leafOutput(sumG, sumH, p.lambdaL1, p.lambdaL2));
    this.leafBegin[0] = 0;
    this.leafCount[0] = count;
    this.leafG[0] = sumG;
    this.leafH[0] = sumH;
    this.leafHist[0] = 0;
    const freeHists: number[] = [];
    for (let i = p.numLeaves; i >= 1; i--) freeHists.push(i);
    const rootHist = this.pool[0];
    this.clearHist(rootHist, features);
    if (bag === null) this.histograms(true, 0, count, 0);
    else this.buildHist(grad, hess, 0, count, 0);
    this.findBest(0, 0, features, builder);
    let numLeaves = 1;
    while (numLeaves < p.numLeaves) {
      let bestLeaf = -1;
      let bestGain = 0;
      for (let l = 0; l < numLeaves; l++) {
        const s = this.best[l];
        if (s.feature >= 0 && s.gain > bestGain) {
          bestGain = s.gain;
          bestLeaf = l;
        }
      }
      if (bestLeaf < 0) break;
      const s = this.best[bestLeaf];
      const right = numLeaves;
      const mapper = this.mappers[s.feature];
      const nLeft = this.partition(bestLeaf, s, mapper);
      let kind: NodeKind;
      let threshold = 0;
      let catLeft: Int32Array | null = null;
      if (s.categorical) {
        kind = NodeKind.Categorical;
        catLeft = Int32Array.from(s.catBins, (b) => mapper.categories[b]).sort();
      } else {
        kind = s.defaultLeft ? NodeKind.NumericMissingLeft : NodeKind.NumericMissingRight;
        threshold = mapper.upperBounds[s.thresholdBin];
      }
      const newLeaf = builder.split(bestLeaf, s.feature, threshold, kind, catLeft, s.gain, nLeft, this.leafCount[bestLeaf] - nLeft);
      if (newLeaf !== right) throw new Error("internal: leaf numbering out of step");
      builder.setLeafValue(bestLeaf, 0, s.leftOutput);
      builder.setLeafValue(right, 0, s.rightOutput);
      const begin = this.leafBegin[bestLeaf];
      const total = this.leafCount[bestLeaf];
      this.leafBegin[right] = begin + nLeft;
      this.leafCount[right] = total - nLeft;
      this.leafCount[bestLeaf] = nLeft;
      this.leafG[bestLeaf] = s.leftG;
      this.leafH[bestLeaf] = s.leftH;
      this.leafG[right] = s.rightG;
      this.leafH[right] = s.rightH;
      numLeaves++;
      const depth = builder.depth(bestLeaf);
      const canSplitMore = numLeaves < p.numLeaves && (p.maxDepth <= 0 || depth < p.maxDepth);
      this.best[bestLeaf].reset();
      this.best[right].reset();
      if (!canSplitMore) continue;
      // Build the smaller child, derive the larger from the parent's histogram in place.
      const parentHist = this.leafHist[bestLeaf];
      const smallIsLeft = nLeft <= total - nLeft;
      const small = smallIsLeft ? bestLeaf : right;
      const large = smallIsLeft ? right : bestLeaf;
      const smallHist = freeHists.pop() as number;
      const sh = this.pool[smallHist];
      this.clearHist(sh, features);
      this.buildHist(grad, hess, this.leafBegin[small], this.leafCount[small], smallHist);
      const ph = this.pool[parentHist];
      for (let i = 0; i < features.length; i++) {
        const f = features[i];
        subtractHistogram(ph, sh, this.binOffset[f], this.binOffset[f + 1]);
      }
      this.leafHist[small] = smallHist;
      this.leafHist[large] = parentHist;
      this.findBest(small, depth, features, builder);
      this.findBest(large, depth, features, builder);
    }
    return {
      tree: builder.build(),
      numLeaves,
      rows: this.rows,
      leafBegin: this.leafBegin,
      leafCount: this.leafCount,
    };
  }

  private clearHist(h: Float64Array, features: Int32Array): void {
    for (let i = 0; i < features.length; i++) {
      const f = features[i];
      h.fill(0, this.binOffset[f] * HIST_STRIDE, this.binOffset[f + 1] * HIST_STRIDE);
    }
  }

  private buildHist(grad: Float64Array, hess: Float64Array, begin: number, count: number, histIndex: number): void {
    // The JS kernels read leaf-ordered pairs; the wasm kernel reads them in row order, laid out in grow().
    if (this.wasm === null) gatherGradients(grad, hess, this.rows, begin, count, this.gh);
    this.histograms(false, begin, count, histIndex);
  }

  /**
   * Give each thread its share of the feature groups holding an active feature (whole groups:
   * the inactive lanes are summed too, into histogram regions nobody reads).
   */
  private planWasm(features: Int32Array): void {
    const wasm = this.wasm as WasmTrainingMemory;
    const active = new Uint8Array(wasm.numGroups);
    for (let i = 0; i < features.length; i++) active[features[i] >>> 2] = 1;
    const groups: number[] = [];
    for (let g = 0; g < wasm.numGroups; g++) if (active[g] === 1) groups.push(g);
    const team = this.wasmWorkers === null ? 1 : this.wasmWorkers.size + 1;
    const per = Math.ceil(groups.length / team);
    for (let t = 0; t < team; t++) {
      const from = Math.min(groups.length, t * per);
      const to = Math.min(groups.length, from + per);
      this.wasmShare[t] = wasm.setGroups(t, groups, from, to);
    }
    this.wasmMainGroups = Math.min(groups.length, per);
    // Single-threaded leaves (small ones) use table 0 with every group.
    this.wasmAll = groups;
  }

  private wasmAll: number[] = [];
  private wasmMainGroups = 0;

  private wasmHistograms(sequential: boolean, begin: number, count: number, histIndex: number): void {
    const wasm = this.wasm as WasmTrainingMemory;
    const workers = this.wasmWorkers;
    if (!sequential) {
      if (workers === null || count < WASM_PARALLEL_MIN_ROWS) wasm.gather(begin, count);
      else {
        // Each pair is copied on its own, so halves on two threads give the same leaf-order array.
        const half = count >>> 1;
        workers.start(0, wasm.gatherJob(begin, half, count));
        wasm.gatherPart(begin, 0, half);
        workers.wait(0);
      }
    }
    if (workers === null) {
      wasm.run(0, this.wasmShare[0], sequential, begin, count, histIndex);
      return;
    }
    if (count < WASM_PARALLEL_MIN_ROWS || this.wasmShare[1] === 0) {
      // Too small to share: the main thread takes every group, then gets its own share back.
      const all = this.wasmAll;
      wasm.run(0, wasm.setGroups(0, all, 0, all.length), sequential, begin, count, histIndex);
      wasm.setGroups(0, all, 0, this.wasmMainGroups);
      return;
    }
    let started = 0;
    for (let w = 0; w < workers.size; w++) {
      const n = this.wasmShare[w + 1];
      if (n === 0) break;
      workers.start(w, wasm.job(w + 1, n, sequential, begin, count, histIndex));
      started++;
    }
    wasm.run(0, this.wasmShare[0], sequential, begin, count, histIndex);
    for (let w = 0; w < started; w++) workers.wait(w);
  }

  /** Fill pool[histIndex] for the leaf's rows, sharing the feature groups with the workers if any. */
  private histograms(sequential: boolean, begin: number, count: number, histIndex: number): void {
    if (this.wasm !== null) {
      this.wasmHistograms(sequential, begin, count, histIndex);
      return;
    }
    const hist = this.pool[histIndex];
    const rows = sequential ? null : this.rows;
    const plan = this.plan;
    const workers = this.workers;
    const groups = plan.fullGroups;
    if (workers === null || count < PARALLEL_MIN_ROWS || groups.length < 2) {
      buildHistograms(this.data, plan, this.binOffset, rows, begin, count, this.gh, hist);
      return;
    }
    const team = workers.size + 1;
    const per = Math.ceil(groups.length / team);
    let started = 0;
    for (let w = 0; w < workers.size; w++) {
      const from = (w + 1) * per;
      const to = Math.min(groups.length, from + per);
      if (from >= to) break;
      workers.start(w, groups.subarray(from, to), sequential, begin, count, histIndex);
      started++;
    }
    buildHistograms(this.data, { fullGroups: groups.subarray(0, per), singles: plan.singles }, this.binOffset, rows, begin, count, this.gh, hist);
    for (let w = 0; w < started; w++) workers.wait(w);
  }

  /** The wasm worker threads (null without wasm or with one thread), for row-parallel work between trees. */
  get wasmTeam(): WasmHistogramWorkers | null {
    return this.wasmWorkers;
  }

  /** Stop the histogram workers (if any); the learner must not be used afterwards. */
  close(): void {
    this.workers?.close();
    this.wasmWorkers?.close();
  }

  private findBest(leaf: number, depth: number, features: Int32Array, builder: TreeBuilder): void {
    const p = this.params;
    const best = this.best[leaf];
    best.reset();
    const count = this.leafCount[leaf];
    const sumG = this.leafG[leaf];
    const sumH = this.leafH[leaf];
    if (p.maxDepth > 0 && builder.depth(leaf) >= p.maxDepth) return;
    if (depth < 0 || count < 2 * Math.max(1, p.minDataInLeaf) || sumH < 2 * p.minSumHessianInLeaf) return;
    const hist = this.pool[this.leafHist[leaf]];
    for (let i = 0; i < features.length; i++) {
      const f = features[i];
      const m = this.mappers[f];
      if (m.categorical) findBestCategorical(hist, this.binOffset[f], m, f, sumG, sumH, count, p, best);
      else findBestNumeric(hist, this.binOffset[f], m, f, sumG, sumH, count, p, best);
    }
  }

  /** Stable partition of the leaf's rows: left rows first; returns the number going left. */
  private partition(leaf: number, s: SplitInfo, mapper: BinMapper): number {
    const rows = this.rows;
    const tmp = this.tmp;
    const begin = this.leafBegin[leaf];
    const end = begin + this.leafCount[leaf];
    const n = this.n;
    const packed = this.data.packed;
    const c = (s.feature >>> 2) * n;
    const shift = (s.feature & 3) << 3;
    // A 256-entry "goes left" table per split makes the loop branch-free: every row is written to
    // both outputs and only the counters advance, so unpredictable splits cost no mispredictions.
    const mask = this.wasm !== null ? this.wasm.mask : this.catMask;
    if (s.categorical) {
      mask.fill(0);
      for (const b of s.catBins) mask[b] = 1;
    } else {
      const t = s.thresholdBin;
      const mb = mapper.missingBin;
      for (let b = 0; b < 256; b++) mask[b] = b === mb ? (s.defaultLeft ? 1 : 0) : b <= t ? 1 : 0;
    }
    if (this.wasm !== null) {
      const wasm = this.wasm;
      const count = end - begin;
      const workers = this.wasmWorkers;
      if (workers === null || count < PARALLEL_PARTITION_MIN_ROWS) return wasm.partition(begin, count, s.feature);
      // Two halves at once, then stitched: the same stable order as one pass over all rows.
      const half = count >>> 1;
      workers.start(0, wasm.partitionJob(begin + half, count - half, s.feature, half));
      const nl0 = wasm.partitionHead(begin, half, s.feature);
      workers.wait(0);
      return wasm.stitchPartition(begin, count, half, nl0, workers.result(0));
    }
    let nl = begin;
    let nr = 0;
    for (let k = begin; k < end; k++) {
      const r = rows[k];
      const left = mask[(packed[c + r] >>> shift) & 255];
      rows[nl] = r;
      tmp[nr] = r;
      nl += left;
      nr += 1 - left;
    }
    rows.set(tmp.subarray(0, nr), nl);
    return nl - begin;
  }
}
