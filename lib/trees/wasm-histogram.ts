/**
 * The histogram kernel of gradient boosting as a small WebAssembly module with 128-bit SIMD: a
 * (gradient, hessian) pair is one f64x2 lane pair, so each feature's update is one load, one add
 * and one store, with no bounds checks. The module is emitted byte by byte below (no toolchain or
 * binary blob) and works on a shared linear memory that holds the bin codes, the row order, the
 * gradient pairs and the histogram pool, so worker threads can run the same code on the same data.
 *
 * Every bin still receives its rows' gradients in leaf order, one IEEE addition at a time, so the
 * histograms equal the JavaScript kernels' bit for bit (f64x2.add is two independent f64 adds).
 *
 * Histogram layout here: every feature owns 256 bins (feature f's bin b at pair index 256 f + b),
 * whatever its real bin count; groups of four features are then 16 KiB apart and a group's four
 * lanes are at fixed offsets (0, 4, 8, 12 KiB), which the kernel folds into its load/store offsets.
 */
import { Worker } from "node:worker_threads";
import { awaitJob, CTRL_DONE, CTRL_SEQ, postJob } from "../util/fork-join.js";
import { F64, I32, V128, sharedWasmMemory, sleb, uleb, wasmApi, wasmModuleBytes, type ImportedMemory, type WasmApi, type WasmMemory, type WasmModule, OP } from "../util/wasm.js";

/** The memory the training and prediction kernels import: shared, so worker threads run on the same data. */
export const SHARED_MEMORY: ImportedMemory = { shared: true, minimumPages: 1, maximumPages: 65536 };

/** Bins reserved per feature in the wasm histogram layout. */
export const WASM_BINS_PER_FEATURE = 256;
const GROUP_BYTES = 4 * WASM_BINS_PER_FEATURE * 16;
const PAGE = 65536;

const op = OP;
const simd = (code: number) => [0xfd, ...uleb(code)];
const V128_LOAD = 0x00;
const V128_STORE = 0x0b;
const F64X2_ADD = 0xf0;

/**
 * Kernel body: histograms of column-major bin words, two feature groups (eight features) per pass
 * over the leaf's rows, so every column is read as an ascending stream. Params: 0 = first (row
 * index for the sequential kernel, byte address of rows[begin] otherwise), 1 = count, 2 = gh byte
 * address (pairs in row order for the sequential kernel, in leaf order otherwise), 3 = histogram
 * byte address, 4 = pass table byte address (per pass: column A byte address, histogram offset A,
 * column B byte address or -1, histogram offset B), 5 = number of passes.
 * Locals: 6 k, 7 gp, 8 gEnd, 9 colA, 10 colB, 11 hA, 12 hB, 13 r, 14 w, 15 a, 16 ghv (v128).
 */
function kernelBody(sequential: boolean): number[] {
  const [first, count, gh, hist, table, nPasses, k, gp, gEnd, colA, colB, hA, hB, r, w, a, ghv] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  const c: number[] = [];
  const get = (i: number) => c.push(op.get, i);
  const set = (i: number) => c.push(op.set, i);
  const i32 = (v: number) => c.push(op.i32Const, ...sleb(v));
  const memarg = (align: number, offset: number) => c.push(...uleb(align), ...uleb(offset));
  const load = (offset: number) => {
    c.push(op.i32Load);
    memarg(2, offset);
  };
  // Four lanes of word w into the group histogram at base (a local).
  const lanes = (base: number) => {
    for (let lane = 0; lane < 4; lane++) {
      get(base);
      get(w);
      if (lane > 0) {
        i32(8 * lane);
        c.push(op.i32ShrU);
      }
      if (lane < 3) {
        i32(255);
        c.push(op.i32And);
      }
      i32(4);
      c.push(op.i32Shl, op.i32Add);
      c.push(op.tee, a);
      get(a);
      c.push(...simd(V128_LOAD));
      memarg(4, lane * WASM_BINS_PER_FEATURE * 16);
      get(ghv);
      c.push(...simd(F64X2_ADD), ...simd(V128_STORE));
      memarg(4, lane * WASM_BINS_PER_FEATURE * 16);
    }
  };
  // One pass over the rows with one or two groups.
  const rowLoop = (two: boolean) => {
    i32(0);
    set(k);
    c.push(op.block, 0x40, op.loop, 0x40);
    get(k);
    get(count);
    c.push(op.i32GeU, op.brIf, 1);
    get(first);
    get(k);
    if (sequential) c.push(op.i32Add);
    else {
      i32(2);
      c.push(op.i32Shl, op.i32Add);
      load(0);
    }
    set(r);
    // ghv = gh[(sequential ? r : k) * 16]
    get(sequential ? r : k);
    i32(4);
    c.push(op.i32Shl);
    get(gh);
    c.push(op.i32Add, ...simd(V128_LOAD));
    memarg(4, 0);
    set(ghv);
    // w = column A word of row r
    get(r);
    i32(2);
    c.push(op.i32Shl);
    get(colA);
    c.push(op.i32Add);
    load(0);
    set(w);
    lanes(hA);
    if (two) {
      get(r);
      i32(2);
      c.push(op.i32Shl);
      get(colB);
      c.push(op.i32Add);
      load(0);
      set(w);
      lanes(hB);
    }
    get(k);
    i32(1);
    c.push(op.i32Add);
    set(k);
    c.push(op.br, 0, op.end, op.end);
  };
  get(table);
  get(nPasses);
  i32(4);
  c.push(op.i32Shl, op.i32Add);
  set(gEnd);
  get(table);
  set(gp);
  c.push(op.block, 0x40, op.loop, 0x40);
  get(gp);
  get(gEnd);
  c.push(op.i32GeU, op.brIf, 1);
  get(gp);
  load(0);
  set(colA);
  get(hist);
  get(gp);
  load(4);
  c.push(op.i32Add);
  set(hA);
  get(gp);
  load(8);
  set(colB);
  get(hist);
  get(gp);
  load(12);
  c.push(op.i32Add);
  set(hB);
  get(colB);
  i32(-1);
  c.push(op.i32Eq, op.if, 0x40);
  rowLoop(false);
  c.push(op.else);
  rowLoop(true);
  c.push(op.end);
  get(gp);
  i32(16);
  c.push(op.i32Add);
  set(gp);
  c.push(op.br, 0, op.end, op.end);
  c.push(op.end);
  const locals = [...uleb(2), ...uleb(10), I32, ...uleb(1), V128];
  const body = [...locals, ...c];
  return body;
}

/**
 * Gather body: gradient pairs of rows[begin, begin+count) from row order into leaf order. Params:
 * 0 = byte address of rows[begin], 1 = count, 2 = gh (row order), 3 = destination. Locals: 4 k.
 */
function gatherBody(): number[] {
  const [rows, count, gh, dst, k] = [0, 1, 2, 3, 4];
  const c: number[] = [];
  const get = (i: number) => c.push(op.get, i);
  const i32 = (v: number) => c.push(op.i32Const, ...sleb(v));
  c.push(op.block, 0x40, op.loop, 0x40);
  get(k);
  get(count);
  c.push(op.i32GeU, op.brIf, 1);
  // dst[k * 16] = gh[rows[k] * 16]
  get(k);
  i32(4);
  c.push(op.i32Shl);
  get(dst);
  c.push(op.i32Add);
  get(rows);
  get(k);
  i32(2);
  c.push(op.i32Shl, op.i32Add, op.i32Load, ...uleb(2), ...uleb(0));
  i32(4);
  c.push(op.i32Shl);
  get(gh);
  c.push(op.i32Add, ...simd(V128_LOAD), ...uleb(4), ...uleb(0));
  c.push(...simd(V128_STORE), ...uleb(4), ...uleb(0));
  get(k);
  i32(1);
  c.push(op.i32Add, op.set, k);
  c.push(op.br, 0, op.end, op.end);
  c.push(op.end);
  const body = [...uleb(1), ...uleb(1), I32, ...c];
  return body;
}

/**
 * Partition body: params 0 = byte address of rows[begin], 1 = count, 2 = byte address of the split
 * feature's column of codes (one byte per row), 3 = byte address of the 256-entry "goes left"
 * mask, 4 = byte address of the scratch row array. Left rows are written back in order from
 * rows[begin], right rows to the scratch array in order (branch-free: every row is written to
 * both, only the cursors advance); returns the number of left rows.
 * Locals: 5 k, 6 nl, 7 tr, 8 r, 9 left.
 */
function partitionBody(): number[] {
  const [rows, count, col, mask, tmp, k, nl, tr, r, left] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const c: number[] = [];
  const get = (i: number) => c.push(op.get, i);
  const set = (i: number) => c.push(op.set, i);
  const i32 = (v: number) => c.push(op.i32Const, ...sleb(v));
  const memarg = (align: number, offset: number) => c.push(...uleb(align), ...uleb(offset));
  get(rows);
  set(nl);
  get(tmp);
  set(tr);
  c.push(op.block, 0x40, op.loop, 0x40);
  get(k);
  get(count);
  c.push(op.i32GeU, op.brIf, 1);
  // r = rows[k]
  get(rows);
  get(k);
  i32(2);
  c.push(op.i32Shl, op.i32Add, op.i32Load);
  memarg(2, 0);
  set(r);
  // left = mask[col[r]]
  get(mask);
  get(col);
  get(r);
  c.push(op.i32Add, op.i32Load8U);
  memarg(0, 0);
  c.push(op.i32Add, op.i32Load8U);
  memarg(0, 0);
  set(left);
  get(nl);
  get(r);
  c.push(op.i32Store);
  memarg(2, 0);
  get(tr);
  get(r);
  c.push(op.i32Store);
  memarg(2, 0);
  // nl += 4 * left; tr += 4 - 4 * left
  get(left);
  i32(2);
  c.push(op.i32Shl);
  c.push(op.tee, left);
  get(nl);
  c.push(op.i32Add);
  set(nl);
  get(tr);
  i32(4);
  c.push(op.i32Add);
  get(left);
  c.push(op.i32Sub);
  set(tr);
  get(k);
  i32(1);
  c.push(op.i32Add);
  set(k);
  c.push(op.br, 0, op.end, op.end);
  get(nl);
  get(rows);
  c.push(op.i32Sub);
  i32(2);
  c.push(op.i32ShrU);
  c.push(op.end);
  const body = [...uleb(1), ...uleb(5), I32, ...c];
  return body;
}

/**
 * Root layout body: for i < n, rows[i] = i and gh[i] = (grad[i], hess[i]), summing gradients and
 * hessians in row order (the same additions as the JavaScript loop); the two sums go to `sums`.
 * Params: 0 grad, 1 hess, 2 gh, 3 rows, 4 n, 5 sums (byte addresses). Locals: 6 i, 7 sg, 8 sh, 9 v.
 */
function rootLayoutBody(): number[] {
  const [grad, hess, gh, rows, n, sums, i, sg, sh, v] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const c: number[] = [];
  const get = (x: number) => c.push(op.get, x);
  const set = (x: number) => c.push(op.set, x);
  const i32 = (x: number) => c.push(op.i32Const, ...sleb(x));
  const mem = (code: number, align: number, offset: number) => c.push(code, ...uleb(align), ...uleb(offset));
  const F64_LOAD = 0x2b;
  const F64_STORE = 0x39;
  const F64_ADD = 0xa0;
  const addr = (base: number, shift: number) => {
    get(i);
    i32(shift);
    c.push(op.i32Shl);
    get(base);
    c.push(op.i32Add);
  };
  c.push(op.block, 0x40, op.loop, 0x40);
  get(i);
  get(n);
  c.push(op.i32GeU, op.brIf, 1);
  addr(rows, 2);
  get(i);
  mem(op.i32Store, 2, 0);
  for (const [src, acc, off] of [[grad, sg, 0], [hess, sh, 8]] as const) {
    addr(src, 3);
    mem(F64_LOAD, 3, 0);
    set(v);
    addr(gh, 4);
    get(v);
    mem(F64_STORE, 3, off);
    get(acc);
    get(v);
    c.push(F64_ADD);
    set(acc);
  }
  get(i);
  i32(1);
  c.push(op.i32Add);
  set(i);
  c.push(op.br, 0, op.end, op.end);
  get(sums);
  get(sg);
  mem(F64_STORE, 3, 0);
  get(sums);
  get(sh);
  mem(F64_STORE, 3, 8);
  c.push(op.end);
  const body = [...uleb(2), ...uleb(1), I32, ...uleb(3), F64, ...c];
  return body;
}

/** The module: imports a shared memory "env.memory", exports histSeq, histRows, partition, gather and rootLayout. */
export function histogramModuleBytes(): Uint8Array {
  const i32s = (n: number) => Array.from({ length: n }, () => I32);
  return wasmModuleBytes(
    [
      { name: "histSeq", params: i32s(6), body: kernelBody(true) },
      { name: "histRows", params: i32s(6), body: kernelBody(false) },
      { name: "partition", params: i32s(5), result: I32, body: partitionBody() },
      { name: "gather", params: i32s(4), body: gatherBody() },
      { name: "rootLayout", params: i32s(6), body: rootLayoutBody() },
    ],
    SHARED_MEMORY,
  );
}

let cachedModule: WasmModule | null | undefined;

/** The compiled kernel module, or null where WebAssembly SIMD or shared memory is unavailable. */
export function histogramModule(): WasmModule | null {
  if (cachedModule !== undefined) return cachedModule;
  try {
    cachedModule = wasmApi === undefined ? null : new wasmApi.Module(histogramModuleBytes());
  } catch {
    cachedModule = null;
  }
  return cachedModule;
}

type KernelFn = (first: number, count: number, gh: number, hist: number, table: number, nPasses: number) => void;
type GatherFn = (rows: number, count: number, gh: number, dst: number) => void;
type PartitionFn = (rows: number, count: number, col: number, mask: number, tmp: number) => number;

/**
 * Linear memory of one training run: bin codes (column-major words as BinnedData, and byte
 * columns for the partition), row order, gradient pairs in row order (gh[2r], gh[2r+1]) and in leaf order, the leaf histogram pool and one group table per thread.
 */
export class WasmTrainingMemory {
  readonly memory: WasmMemory<SharedArrayBuffer>;
  readonly module: WasmModule;
  readonly packed: Uint32Array;
  /** The same codes column by column, one byte each (feature f's column at f * nRows): the partition reads one feature of many rows. */
  readonly columns: Uint8Array;
  readonly rows: Uint32Array;
  /** Scratch rows of the partition. */
  readonly tmp: Uint32Array;
  /** The "goes left" table of the split being applied, by bin code. */
  readonly mask: Uint8Array;
  readonly gh: Float64Array;
  /** Gradients and hessians of every class (class-major, numClass * nRows), for the objective to fill. */
  readonly grad: Float64Array;
  readonly hess: Float64Array;
  private readonly sums: Float64Array;
  /** Raw scores of the training rows (class-major), for the boosting loop to fill and update. */
  readonly scores: Float64Array;
  /** Labels and row weights (all 1 without weights) for the row-parallel binary gradients. */
  readonly labels: Float64Array;
  readonly weights: Float64Array;
  /** Leaf of each row in the last tree (trees of at most 256 leaves). */
  readonly leafOf: Uint8Array;
  /** Leaf segments of the last tree (begin, end, leaf per segment) and its leaf values. */
  private readonly segs: Int32Array;
  private readonly leafValues: Float64Array;
  private readonly consts: Float64Array;
  private readonly scoresAddr: number;
  private readonly labelsAddr: number;
  private readonly weightsAddr: number;
  private readonly leafOfAddr: number;
  private readonly segsAddr: number;
  private readonly leafValuesAddr: number;
  private readonly constsAddr: number;
  private readonly gradAddr: number;
  private readonly hessAddr: number;
  private readonly sumsAddr: number;
  private readonly rootLayoutFn: (grad: number, hess: number, gh: number, rows: number, n: number, sums: number) => void;
  /** All histograms, `histDoubles` each. */
  readonly pool: Float64Array;
  readonly histDoubles: number;
  readonly numGroups: number;
  readonly nRows: number;
  private readonly tables: Int32Array[];
  private readonly tableAddr: number[];
  private readonly histSeq: KernelFn;
  private readonly histRows: KernelFn;
  private readonly partitionFn: PartitionFn;
  private readonly tmpAddr: number;
  private readonly maskAddr: number;
  private readonly packedAddr: number;
  private readonly columnsAddr: number;
  private readonly rowsAddr: number;
  private readonly ghAddr: number;
  private readonly ghOrdAddr: number;
  private readonly gatherFn: GatherFn;
  private readonly poolAddr: number;

  private constructor(module: WasmModule, nRows: number, nCols: number, numHists: number, threads: number, numClass: number) {
    this.module = module;
    this.nRows = nRows;
    const numGroups = (nCols + 3) >>> 2;
    this.numGroups = numGroups;
    this.histDoubles = (numGroups * GROUP_BYTES) / 8;
    const align = (x: number) => Math.ceil(x / 64) * 64;
    let at = 64;
    const take = (bytes: number) => {
      const a = at;
      at = align(at + bytes);
      return a;
    };
    this.packedAddr = take(numGroups * nRows * 4);
    this.columnsAddr = take(numGroups * 4 * nRows);
    this.rowsAddr = take(nRows * 4);
    this.tmpAddr = take(nRows * 4);
    this.maskAddr = take(256);
    this.ghAddr = take(nRows * 16);
    this.ghOrdAddr = take(nRows * 16);
    const gradAddr = take(numClass * nRows * 8);
    const hessAddr = take(numClass * nRows * 8);
    this.sumsAddr = take(16);
    this.gradAddr = gradAddr;
    this.hessAddr = hessAddr;
    this.scoresAddr = take(numClass * nRows * 8);
    this.labelsAddr = take(nRows * 8);
    this.weightsAddr = take(nRows * 8);
    this.leafOfAddr = take(nRows);
    this.segsAddr = take(3 * 256 * 4);
    this.leafValuesAddr = take(256 * 8);
    this.constsAddr = take(16);
    this.poolAddr = take(numHists * numGroups * GROUP_BYTES);
    this.tableAddr = Array.from({ length: threads }, () => take(numGroups * 16));
    const pages = Math.ceil(at / PAGE);
    this.memory = sharedWasmMemory(pages);
    const buf = this.memory.buffer;
    this.packed = new Uint32Array(buf, this.packedAddr, numGroups * nRows);
    this.columns = new Uint8Array(buf, this.columnsAddr, nCols * nRows);
    this.rows = new Uint32Array(buf, this.rowsAddr, nRows);
    this.tmp = new Uint32Array(buf, this.tmpAddr, nRows);
    this.mask = new Uint8Array(buf, this.maskAddr, 256);
    this.gh = new Float64Array(buf, this.ghAddr, 2 * nRows);
    this.grad = new Float64Array(buf, gradAddr, numClass * nRows);
    this.hess = new Float64Array(buf, hessAddr, numClass * nRows);
    this.sums = new Float64Array(buf, this.sumsAddr, 2);
    this.scores = new Float64Array(buf, this.scoresAddr, numClass * nRows);
    this.labels = new Float64Array(buf, this.labelsAddr, nRows);
    this.weights = new Float64Array(buf, this.weightsAddr, nRows);
    this.leafOf = new Uint8Array(buf, this.leafOfAddr, nRows);
    this.segs = new Int32Array(buf, this.segsAddr, 3 * 256);
    this.leafValues = new Float64Array(buf, this.leafValuesAddr, 256);
    this.consts = new Float64Array(buf, this.constsAddr, 2);
    this.pool = new Float64Array(buf, this.poolAddr, numHists * this.histDoubles);
    this.tables = this.tableAddr.map((a) => new Int32Array(buf, a, 4 * numGroups));
    const instance = new (wasmApi as WasmApi).Instance(module, { env: { memory: this.memory } });
    this.histSeq = instance.exports.histSeq as KernelFn;
    this.histRows = instance.exports.histRows as KernelFn;
    this.partitionFn = instance.exports.partition as PartitionFn;
    this.gatherFn = instance.exports.gather as GatherFn;
    this.rootLayoutFn = instance.exports.rootLayout as (grad: number, hess: number, gh: number, rows: number, n: number, sums: number) => void;
  }

  /**
   * Memory for nRows x nCols with numHists histograms and `threads` group tables, or null when
   * WebAssembly SIMD is unavailable or the data would not fit a 32-bit address space.
   */
  static tryCreate(nRows: number, nCols: number, numHists: number, threads: number, numClass = 1): WasmTrainingMemory | null {
    const module = histogramModule();
    if (module === null) return null;
    const numGroups = (nCols + 3) >>> 2;
    const bytes = 2 * numGroups * nRows * 4 + nRows * (57 + 24 * numClass) + numHists * numGroups * GROUP_BYTES + (1 << 20);
    if (!(bytes < 0xc0000000)) return null;
    try {
      return new WasmTrainingMemory(module, nRows, nCols, numHists, threads, numClass);
    } catch {
      return null;
    }
  }

  /** Write thread t's pass table for groups[from, to) (two groups per pass); returns the number of passes. */
  setGroups(t: number, groups: ArrayLike<number>, from: number, to: number): number {
    const table = this.tables[t];
    let passes = 0;
    for (let i = from; i < to; i += 2, passes++) {
      const ga = groups[i];
      table[4 * passes] = this.packedAddr + ga * this.nRows * 4;
      table[4 * passes + 1] = ga * GROUP_BYTES;
      if (i + 1 < to) {
        const gb = groups[i + 1];
        table[4 * passes + 2] = this.packedAddr + gb * this.nRows * 4;
        table[4 * passes + 3] = gb * GROUP_BYTES;
      } else {
        table[4 * passes + 2] = -1;
        table[4 * passes + 3] = 0;
      }
    }
    return passes;
  }

  /**
   * The root of an unbagged tree: rows = 0..n-1, gradient pairs laid out by row, and the sums of
   * gradients and hessians (in row order). `grad` and `hess` must be views into this memory.
   */
  rootLayout(grad: Float64Array, hess: Float64Array, n: number): [number, number] {
    if (grad.buffer !== this.memory.buffer || hess.buffer !== this.memory.buffer) throw new Error("internal: rootLayout needs gradients in wasm memory");
    this.rootLayoutFn(grad.byteOffset, hess.byteOffset, this.ghAddr, this.rowsAddr, n, this.sumsAddr);
    return [this.sums[0], this.sums[1]];
  }

  /** Copy the gradient pairs of rows[begin, begin+count) into leaf order for histRows. */
  gather(begin: number, count: number): void {
    this.gatherFn(this.rowsAddr + begin * 4, count, this.ghAddr, this.ghOrdAddr);
  }

  /** Gather pairs [from, count) of the leaf at begin (gather() does all count); for splitting it between threads. */
  gatherPart(begin: number, from: number, to: number): void {
    this.gatherFn(this.rowsAddr + (begin + from) * 4, to - from, this.ghAddr, this.ghOrdAddr + from * 16);
  }

  /** A worker job: gatherPart(begin, from, to). */
  gatherJob(begin: number, from: number, to: number): number[] {
    return [JOB_GATHER, this.rowsAddr + (begin + from) * 4, to - from, this.ghAddr, this.ghOrdAddr + from * 16];
  }

  /** Histogram the passes in thread t's table over a leaf (gathered first unless sequential), into histogram `hist` of the pool. */
  run(t: number, nPasses: number, sequential: boolean, begin: number, count: number, hist: number): void {
    const histAddr = this.poolAddr + hist * this.histDoubles * 8;
    if (sequential) this.histSeq(begin, count, this.ghAddr, histAddr, this.tableAddr[t], nPasses);
    else this.histRows(this.rowsAddr + begin * 4, count, this.ghOrdAddr, histAddr, this.tableAddr[t], nPasses);
  }

  /**
   * Stable partition of rows[begin, begin+count) by `mask` (set it first) on the bin code of one
   * feature: left rows first, in order; returns the number of left rows.
   */
  partition(begin: number, count: number, feature: number): number {
    const nl = this.partitionFn(this.rowsAddr + begin * 4, count, this.columnsAddr + feature * this.nRows, this.maskAddr, this.tmpAddr);
    this.rows.set(this.tmp.subarray(0, count - nl), begin + nl);
    return nl;
  }

  /**
   * First half of a two-thread partition: the rows rows[begin, begin+half) are partitioned in
   * place (right rows to tmp[0, ...)); returns their number of left rows. The second half,
   * partitionJob(begin + half, count - half, feature, half), runs on a worker at the same time.
   */
  partitionHead(begin: number, half: number, feature: number): number {
    return this.partitionFn(this.rowsAddr + begin * 4, half, this.columnsAddr + feature * this.nRows, this.maskAddr, this.tmpAddr);
  }

  /** A worker job partitioning rows[begin, begin+count) in place, right rows to tmp[tmpAt, ...). */
  partitionJob(begin: number, count: number, feature: number, tmpAt: number): number[] {
    return [JOB_PARTITION, this.rowsAddr + begin * 4, count, this.columnsAddr + feature * this.nRows, this.maskAddr, this.tmpAddr + tmpAt * 4, 0];
  }

  /**
   * Join the two halves of a split partition into the single-thread order (left rows of both
   * halves, then right rows of both, each in row order); returns the number of left rows.
   */
  stitchPartition(begin: number, count: number, half: number, nl0: number, nl1: number): number {
    const rows = this.rows;
    const mid = begin + half;
    rows.copyWithin(begin + nl0, mid, mid + nl1);
    const nr0 = half - nl0;
    const nr1 = count - half - nl1;
    const at = begin + nl0 + nl1;
    rows.set(this.tmp.subarray(0, nr0), at);
    rows.set(this.tmp.subarray(half, half + nr1), at + nr0);
    return nl0 + nl1;
  }

  /**
   * Record the last tree's leaves for leafOfJob/scoreJob: segments of the row array (one per
   * leaf, `rows` order) and the leaf values; at most 256 leaves.
   */
  setLeaves(numLeaves: number, leafBegin: Int32Array, leafCount: Int32Array, leafValue: ArrayLike<number>): void {
    for (let l = 0; l < numLeaves; l++) {
      this.segs[3 * l] = leafBegin[l];
      this.segs[3 * l + 1] = leafBegin[l] + leafCount[l];
      this.segs[3 * l + 2] = l;
      this.leafValues[l] = leafValue[l];
    }
  }

  /** leafOf[rows[i]] = leaf for the rows of leaf segments [from, to) (see setLeaves). */
  fillLeafOf(from: number, to: number): void {
    const rows = this.rows;
    const leafOf = this.leafOf;
    for (let sgm = from; sgm < to; sgm++) {
      const e = this.segs[3 * sgm + 1];
      const l = this.segs[3 * sgm + 2];
      for (let i = this.segs[3 * sgm]; i < e; i++) leafOf[rows[i]] = l;
    }
  }

  /** scores[offset + r] += leafValue[leafOf[r]] for rows r in [from, to). */
  addScores(offset: number, from: number, to: number): void {
    const sk = this.scores;
    const leafOf = this.leafOf;
    const lv = this.leafValues;
    for (let r = from; r < to; r++) sk[offset + r] += lv[leafOf[r]];
  }

  /**
   * Binary log-loss gradients and hessians of rows [from, to) from scores, labels and weights
   * (the same arithmetic as binaryObjective's gradients, with class weights wPos and wNeg).
   */
  binaryGradients(wPos: number, wNeg: number, from: number, to: number): void {
    const sc = this.scores;
    const y = this.labels;
    const wt = this.weights;
    const grad = this.grad;
    const hess = this.hess;
    for (let i = from; i < to; i++) {
      const p = 1 / (1 + Math.exp(-sc[i]));
      const yi = y[i];
      const w = (yi === 1 ? wPos : wNeg) * wt[i];
      grad[i] = (p - yi) * w;
      hess[i] = p * (1 - p) * w;
    }
  }

  /** A worker job: fillLeafOf(from, to). */
  leafOfJob(from: number, to: number): number[] {
    return [JOB_LEAF_OF, this.rowsAddr, this.leafOfAddr, this.segsAddr, from, to];
  }

  /** A worker job: addScores(offset, from, to). */
  scoreJob(offset: number, from: number, to: number): number[] {
    return [JOB_SCORES, (this.scoresAddr >>> 3) + offset, this.leafOfAddr, this.leafValuesAddr >>> 3, from, to];
  }

  /** A worker job: binaryGradients(wPos, wNeg, from, to). */
  binaryGradientsJob(wPos: number, wNeg: number, from: number, to: number): number[] {
    this.consts[0] = wPos;
    this.consts[1] = wNeg;
    return [JOB_BINARY, this.scoresAddr >>> 3, this.labelsAddr >>> 3, this.weightsAddr >>> 3, this.gradAddr >>> 3, this.hessAddr >>> 3, this.constsAddr >>> 3, from, to];
  }

  /** What a worker needs to run thread t's share: the job as plain numbers. */
  job(t: number, nPasses: number, sequential: boolean, begin: number, count: number, hist: number): number[] {
    const histAddr = this.poolAddr + hist * this.histDoubles * 8;
    return sequential
      ? [1, begin, count, this.ghAddr, histAddr, this.tableAddr[t], nPasses]
      : [0, this.rowsAddr + begin * 4, count, this.ghOrdAddr, histAddr, this.tableAddr[t], nPasses];
  }
}

const CTRL_JOB = 2;
const CTRL_RESULT = 31;
const JOB_EXIT = 2;
const JOB_PARTITION = 3;
const JOB_LEAF_OF = 4;
const JOB_SCORES = 5;
const JOB_BINARY = 6;
const JOB_GATHER = 7;

const WORKER_SOURCE = `
"use strict";
const { workerData } = require("node:worker_threads");
const ctrl = new Int32Array(workerData.ctrl);
const instance = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } });
const f64 = new Float64Array(workerData.memory.buffer), u8 = new Uint8Array(workerData.memory.buffer), u32 = new Uint32Array(workerData.memory.buffer), i32 = new Int32Array(workerData.memory.buffer);
const histSeq = instance.exports.histSeq, histRows = instance.exports.histRows, partition = instance.exports.partition, gather = instance.exports.gather;
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, ${CTRL_SEQ}, seen);
  seen = Atomics.load(ctrl, ${CTRL_SEQ});
  const mode = ctrl[${CTRL_JOB}];
  if (mode === ${JOB_EXIT}) break;
  const a = ctrl.subarray(${CTRL_JOB + 1}, ${CTRL_JOB + 10});
  if (mode === ${JOB_LEAF_OF}) {
    // The same loops as WasmTrainingMemory.fillLeafOf / addScores / binaryGradients.
    const rows = a[0] >>> 2, lo = a[1], sg = a[2] >>> 2;
    for (let s = a[3]; s < a[4]; s++) {
      const e = i32[sg + 3 * s + 1], l = i32[sg + 3 * s + 2];
      for (let i = i32[sg + 3 * s]; i < e; i++) u8[lo + u32[rows + i]] = l;
    }
  } else if (mode === ${JOB_SCORES}) {
    const sk = a[0], lo = a[1], lv = a[2];
    for (let r = a[3]; r < a[4]; r++) f64[sk + r] += f64[lv + u8[lo + r]];
  } else if (mode === ${JOB_BINARY}) {
    const sc = a[0], y = a[1], wt = a[2], grad = a[3], hess = a[4], wPos = f64[a[5]], wNeg = f64[a[5] + 1];
    for (let i = a[6]; i < a[7]; i++) {
      const p = 1 / (1 + Math.exp(-f64[sc + i]));
      const yi = f64[y + i];
      const w = (yi === 1 ? wPos : wNeg) * f64[wt + i];
      f64[grad + i] = (p - yi) * w;
      f64[hess + i] = p * (1 - p) * w;
    }
  } else if (mode === ${JOB_GATHER}) {
    gather(a[0], a[1], a[2], a[3]);
  } else if (mode === ${JOB_PARTITION}) {
    ctrl[${CTRL_RESULT}] = partition(ctrl[${CTRL_JOB + 1}], ctrl[${CTRL_JOB + 2}], ctrl[${CTRL_JOB + 3}], ctrl[${CTRL_JOB + 4}], ctrl[${CTRL_JOB + 5}]);
  } else {
    const f = mode === 1 ? histSeq : histRows;
    f(ctrl[${CTRL_JOB + 1}], ctrl[${CTRL_JOB + 2}], ctrl[${CTRL_JOB + 3}], ctrl[${CTRL_JOB + 4}], ctrl[${CTRL_JOB + 5}], ctrl[${CTRL_JOB + 6}]);
  }
  Atomics.store(ctrl, ${CTRL_DONE}, seen);
  Atomics.notify(ctrl, ${CTRL_DONE});
}
`;

/** Worker threads running the wasm kernel on a WasmTrainingMemory (synchronous fork-join via Atomics). */
export class WasmHistogramWorkers {
  private readonly workers: Array<{ worker: Worker; ctrl: Int32Array; seq: number }> = [];
  private closed = false;

  constructor(mem: WasmTrainingMemory, numWorkers: number) {
    for (let w = 0; w < numWorkers; w++) {
      const ctrl = new Int32Array(new SharedArrayBuffer(32 * 4));
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ctrl: ctrl.buffer, module: mem.module, memory: mem.memory } });
      // Training is synchronous: the workers must never keep the process alive on their own.
      worker.unref();
      this.workers.push({ worker, ctrl, seq: 0 });
    }
  }

  /** Number of worker threads. */
  get size(): number {
    return this.workers.length;
  }

  /** Start worker w on a job from WasmTrainingMemory.job(). */
  start(w: number, job: readonly number[]): void {
    const h = this.workers[w];
    for (let i = 0; i < job.length; i++) h.ctrl[CTRL_JOB + i] = job[i];
    h.seq++;
    postJob(h.ctrl, h.seq);
  }

  /** Result of worker w's last partition job (its number of left rows); call after wait(w). */
  result(w: number): number {
    return this.workers[w].ctrl[CTRL_RESULT];
  }

  /** Block until worker w has finished its current job. */
  wait(w: number): void {
    const h = this.workers[w];
    awaitJob(h.ctrl, h.seq);
  }

  /** Ask every worker to exit. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.workers) {
      h.ctrl[CTRL_JOB] = JOB_EXIT;
      h.seq++;
      postJob(h.ctrl, h.seq);
    }
  }
}
