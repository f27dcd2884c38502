/**
 * The binned prediction kernel of FlatForest as a WebAssembly function (no bounds checks, small
 * integer work per step): for a block of rows already turned into per-feature threshold codes, it
 * walks trees [treeBegin, treeEnd) eight rows in lock step and adds `scale * leafValue` to each
 * row's output, tree after tree, exactly as the JavaScript kernel does (so bit-identical results).
 * The node format is FlatForest's binned one: per node two int32s, a word (code column << 8 |
 * threshold code; 255 for leaves) and the left child id, the right child following it.
 */
import { Worker } from "node:worker_threads";
import { F64, I32, sharedWasmMemory, sleb, uleb, wasmApi, wasmModuleBytes, type WasmApi, type WasmModule, OP } from "../util/wasm.js";
import { SHARED_MEMORY } from "./wasm-histogram.js";
const op = OP;

/**
 * binRows(values, nRows, p, table, nFeat, codes, W): threshold codes of rows [0, nRows) of a
 * row-major f64 block with p columns, for the features in the table (16 bytes each: feature,
 * byte address of its ascending thresholds padded with +Infinity to `size`, size (a power of
 * two), NaN-left code column or -1). code = number of thresholds below v (a branch-free binary
 * search, four rows interleaved); NaN is 255, or 0 in the NaN-left column.
 */
export function binBody(): number[] {
  const [values, nRows, p, table, nFeat, codes, W] = [0, 1, 2, 3, 4, 5, 6];
  let next = 7;
  const fi = next++;
  const f = next++;
  const thr = next++;
  const size = next++;
  const lc = next++;
  const r = next++;
  const step = next++;
  const cs: number[] = [];
  for (let i = 0; i < 4; i++) cs.push(next++);
  const numI32 = next - 7;
  const vs: number[] = [];
  for (let i = 0; i < 4; i++) vs.push(next++);
  const c: number[] = [];
  const get = (i: number) => c.push(op.get, i);
  const set = (i: number) => c.push(op.set, i);
  const i32 = (v: number) => c.push(op.i32Const, ...sleb(v));
  const mem = (code: number, align: number, offset: number) => c.push(code, ...uleb(align), ...uleb(offset));
  const rowsLoop = (k: number) => {
    c.push(op.block, 0x40, op.loop, 0x40);
    // leave when r + k > nRows
    get(r);
    i32(k);
    c.push(op.i32Add);
    get(nRows);
    c.push(op.i32GtU, op.brIf, 1);
    for (let i = 0; i < k; i++) {
      // v_i = values[((r + i) * p + f) * 8]
      get(r);
      if (i > 0) {
        i32(i);
        c.push(op.i32Add);
      }
      get(p);
      c.push(op.i32Mul);
      get(f);
      c.push(op.i32Add);
      i32(3);
      c.push(op.i32Shl);
      get(values);
      c.push(op.i32Add);
      mem(op.f64Load, 3, 0);
      set(vs[i]);
      i32(0);
      set(cs[i]);
    }
    get(size);
    i32(1);
    c.push(op.i32ShrU);
    set(step);
    c.push(op.block, 0x40, op.loop, 0x40);
    get(step);
    c.push(0x45 /* i32.eqz */, op.brIf, 1);
    for (let i = 0; i < k; i++) {
      // c_i += thr[c_i + step - 1] < v_i ? step : 0   (thr local holds the address minus 8)
      get(cs[i]);
      get(step);
      i32(0);
      get(cs[i]);
      get(step);
      c.push(op.i32Add);
      i32(3);
      c.push(op.i32Shl);
      get(thr);
      c.push(op.i32Add);
      mem(op.f64Load, 3, 0);
      get(vs[i]);
      c.push(op.f64Lt, op.select, op.i32Add);
      set(cs[i]);
    }
    get(step);
    i32(1);
    c.push(op.i32ShrU);
    set(step);
    c.push(op.br, 0, op.end, op.end);
    for (let i = 0; i < k; i++) {
      // codes[(r + i) * W + f] = NaN ? 255 : c_i; and the NaN-left column
      get(r);
      if (i > 0) {
        i32(i);
        c.push(op.i32Add);
      }
      get(W);
      c.push(op.i32Mul);
      get(codes);
      c.push(op.i32Add);
      c.push(op.tee, step);
      get(f);
      c.push(op.i32Add);
      i32(255);
      get(cs[i]);
      get(vs[i]);
      get(vs[i]);
      c.push(op.f64Ne, op.select);
      mem(op.i32Store8, 0, 0);
      get(lc);
      i32(0);
      c.push(op.i32LtS, 0x45 /* i32.eqz */, op.if, 0x40);
      get(step);
      get(lc);
      c.push(op.i32Add);
      i32(0);
      get(cs[i]);
      get(vs[i]);
      get(vs[i]);
      c.push(op.f64Ne, op.select);
      mem(op.i32Store8, 0, 0);
      c.push(op.end);
    }
    get(r);
    i32(k);
    c.push(op.i32Add);
    set(r);
    c.push(op.br, 0, op.end, op.end);
  };
  c.push(op.block, 0x40, op.loop, 0x40);
  get(fi);
  get(nFeat);
  c.push(op.i32GeU, op.brIf, 1);
  const entry = (offset: number, local: number) => {
    get(fi);
    i32(4);
    c.push(op.i32Shl);
    get(table);
    c.push(op.i32Add);
    mem(op.i32Load, 2, offset);
    set(local);
  };
  entry(0, f);
  entry(4, thr);
  entry(8, size);
  entry(12, lc);
  get(thr);
  i32(8);
  c.push(op.i32Sub);
  set(thr);
  i32(0);
  set(r);
  rowsLoop(4);
  rowsLoop(1);
  get(fi);
  i32(1);
  c.push(op.i32Add);
  set(fi);
  c.push(op.br, 0, op.end, op.end);
  c.push(op.end);
  const body = [...uleb(2), ...uleb(numI32), I32, ...uleb(4), F64, ...c];
  return body;
}

const LANES = 8;

/**
 * predictBlock(codes, width, nRows, treeBegin, treeEnd, nodes, roots, depths, values, out, scale):
 * all addresses in bytes; out[r] (f64) += scale * value of row r's leaf, for each tree in order.
 * Node references are byte addresses (see writeNodes), so a step is two loads and no index
 * arithmetic: word at n, left child at n + 4, right child 8 bytes after the left one. `values` is
 * the distance from a node's address to its leaf value's address.
 */
export function predictBody(): number[] {
  // Params 0..9 i32, 10 f64 scale. (nodes, param 5, is unused: node references are addresses.)
  const [codes, width, nRows, tBegin, tEnd, , roots, depths, values, out, scale] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  // i32 locals
  let next = 11;
  const t = next++;
  const root = next++;
  const depth = next++;
  const r = next++;
  const s = next++;
  const base = next++;
  const all = next++;
  const n: number[] = [];
  const w: number[] = [];
  const rb: number[] = [];
  for (let i = 0; i < LANES; i++) n.push(next++);
  for (let i = 0; i < LANES; i++) w.push(next++);
  for (let i = 0; i < LANES; i++) rb.push(next++);
  const numI32 = next - 11;
  const c: number[] = [];
  const get = (i: number) => c.push(op.get, i);
  const set = (i: number) => c.push(op.set, i);
  const i32 = (v: number) => c.push(op.i32Const, ...sleb(v));
  const mem = (code: number, align: number, offset: number) => c.push(code, ...uleb(align), ...uleb(offset));
  // word of the node at address x
  const wordOf = (x: number) => {
    get(x);
    mem(op.i32Load, 2, 0);
  };
  // step: n = load(n + 4) + 8 * (codes[rowBase + (w >>> 8)] > (w & 255))
  const step = (nl: number, wl: number, rowBase: () => void) => {
    get(nl);
    mem(op.i32Load, 2, 4);
    rowBase();
    get(wl);
    i32(8);
    c.push(op.i32ShrU, op.i32Add);
    mem(op.i32Load8U, 0, 0);
    get(wl);
    i32(255);
    c.push(op.i32And, op.i32GtU);
    i32(3);
    c.push(op.i32Shl, op.i32Add);
    set(nl);
  };
  // out[row] += scale * values[nl]
  const accumulate = (nl: number, row: () => void) => {
    row();
    i32(3);
    c.push(op.i32Shl);
    get(out);
    c.push(op.i32Add);
    row();
    i32(3);
    c.push(op.i32Shl);
    get(out);
    c.push(op.i32Add);
    mem(op.f64Load, 3, 0);
    c.push(op.get, scale);
    get(nl);
    get(values);
    c.push(op.i32Add);
    mem(op.f64Load, 3, 0);
    c.push(op.f64Mul, op.f64Add);
    mem(op.f64Store, 3, 0);
  };
  get(tBegin);
  set(t);
  c.push(op.block, 0x40, op.loop, 0x40); // trees
  get(t);
  get(tEnd);
  c.push(op.i32GeU, op.brIf, 1);
  get(t);
  i32(2);
  c.push(op.i32Shl);
  get(roots);
  c.push(op.i32Add);
  mem(op.i32Load, 2, 0);
  set(root);
  get(t);
  i32(2);
  c.push(op.i32Shl);
  get(depths);
  c.push(op.i32Add);
  mem(op.i32Load, 2, 0);
  set(depth);
  i32(0);
  set(r);
  // Groups of LANES rows.
  c.push(op.block, 0x40, op.loop, 0x40);
  get(r);
  i32(LANES);
  c.push(op.i32Add);
  get(nRows);
  c.push(op.i32GtU, op.brIf, 1);
  // base = codes + r * width
  get(r);
  get(width);
  c.push(op.i32Mul);
  get(codes);
  c.push(op.i32Add);
  set(base);
  for (let i = 0; i < LANES; i++) {
    get(root);
    set(n[i]);
    // Each lane's row of codes, computed once per group of rows.
    get(base);
    if (i > 0) {
      get(width);
      i32(i);
      c.push(op.i32Mul, op.i32Add);
    }
    set(rb[i]);
  }
  i32(0);
  set(s);
  c.push(op.block, 0x40, op.loop, 0x40); // steps
  get(s);
  get(depth);
  c.push(op.i32GeU, op.brIf, 1);
  for (let i = 0; i < LANES; i++) {
    wordOf(n[i]);
    set(w[i]);
  }
  // Internal words hold a threshold code <= 253: the low bytes AND to 255 only when all are leaves.
  get(w[0]);
  for (let i = 1; i < LANES; i++) {
    get(w[i]);
    c.push(op.i32And);
  }
  i32(255);
  c.push(op.i32And);
  set(all);
  get(all);
  i32(255);
  c.push(op.i32Eq, op.brIf, 1);
  for (let i = 0; i < LANES; i++) step(n[i], w[i], () => get(rb[i]));
  get(s);
  i32(1);
  c.push(op.i32Add);
  set(s);
  c.push(op.br, 0, op.end, op.end);
  for (let i = 0; i < LANES; i++) {
    accumulate(n[i], () => {
      get(r);
      if (i > 0) {
        i32(i);
        c.push(op.i32Add);
      }
    });
  }
  get(r);
  i32(LANES);
  c.push(op.i32Add);
  set(r);
  c.push(op.br, 0, op.end, op.end);
  // Remaining rows one at a time, until the leaf.
  c.push(op.block, 0x40, op.loop, 0x40);
  get(r);
  get(nRows);
  c.push(op.i32GeU, op.brIf, 1);
  get(r);
  get(width);
  c.push(op.i32Mul);
  get(codes);
  c.push(op.i32Add);
  set(base);
  get(root);
  set(n[0]);
  c.push(op.block, 0x40, op.loop, 0x40);
  wordOf(n[0]);
  c.push(op.tee, w[0]);
  i32(255);
  c.push(op.i32And);
  i32(255);
  c.push(op.i32Eq, op.brIf, 1);
  step(n[0], w[0], () => get(base));
  c.push(op.br, 0, op.end, op.end);
  accumulate(n[0], () => get(r));
  get(r);
  i32(1);
  c.push(op.i32Add);
  set(r);
  c.push(op.br, 0, op.end, op.end);
  get(t);
  i32(1);
  c.push(op.i32Add);
  set(t);
  c.push(op.br, 0, op.end, op.end);
  c.push(op.end);
  const body = [...uleb(1), ...uleb(numI32), I32, ...c];
  return body;
}

/** Parameter types of predictBlock: ten i32 and the f64 scale. */
export const PREDICT_PARAMS = [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, F64];

let cached: WasmModule | null | undefined;

/** The module holding predictBlock, or null where WebAssembly is unavailable. */
function predictModule(): WasmModule | null {
  if (cached !== undefined) return cached;
  try {
    cached =
      wasmApi === undefined
        ? null
        : new wasmApi.Module(
            wasmModuleBytes(
              [
                { name: "predictBlock", params: PREDICT_PARAMS, body: predictBody() },
                { name: "binRows", params: [I32, I32, I32, I32, I32, I32, I32], body: binBody() },
              ],
              SHARED_MEMORY,
            ),
          );
  } catch {
    cached = null;
  }
  return cached;
}

type PredictFn = (
  codes: number,
  width: number,
  nRows: number,
  treeBegin: number,
  treeEnd: number,
  nodes: number,
  roots: number,
  depths: number,
  values: number,
  out: number,
  scale: number,
) => void;
type BinFn = (values: number, nRows: number, p: number, table: number, nFeat: number, codes: number, width: number) => void;

/** What the kernels need of FlatForest's binned layout (see BinnedForest there). */
export interface BinnedForestArrays {
  features: Int32Array;
  leftColumn: Int32Array;
  width: number;
  thrStart: Int32Array;
  thrSize: Int32Array;
  thresholds: Float64Array;
  root: Int32Array;
  depth: Int32Array;
  nodes: Int32Array;
  value: Float64Array;
}

/**
 * Write the forest's nodes and roots into wasm memory with byte addresses for references (node i
 * at nodesAddr + 8 i), and the leaf values 8 bytes per node id (value of node i at valuesAddr + 8 i).
 */
function writeForest(buf: SharedArrayBuffer, bf: BinnedForestArrays, nodesAddr: number, rootsAddr: number, depthsAddr: number, valuesAddr: number): void {
  const nodes = new Int32Array(buf, nodesAddr, bf.nodes.length);
  for (let i = 0; i < bf.nodes.length; i += 2) {
    nodes[i] = bf.nodes[i];
    nodes[i + 1] = nodesAddr + 8 * bf.nodes[i + 1];
  }
  const roots = new Int32Array(buf, rootsAddr, bf.root.length);
  for (let t = 0; t < bf.root.length; t++) roots[t] = nodesAddr + 8 * bf.root[t];
  new Int32Array(buf, depthsAddr, bf.depth.length).set(bf.depth);
  new Float64Array(buf, valuesAddr, bf.value.length).set(bf.value);
}

/** A binned forest copied into wasm memory, with room for one block of rows (values, codes, outputs). */
export class WasmForest {
  private readonly values: Float64Array;
  private readonly out: Float64Array;
  private readonly predictFn: PredictFn;
  private readonly binFn: BinFn;
  private readonly addr: { values: number; codes: number; out: number; nodes: number; roots: number; depths: number; leaves: number; table: number };
  private readonly nFeat: number;
  private readonly width: number;

  private constructor(module: WasmModule, bf: BinnedForestArrays, private readonly nCols: number, private readonly blockRows: number) {
    const api = wasmApi as WasmApi;
    let at = 64;
    const take = (bytes: number) => {
      const a = at;
      at = Math.ceil((at + bytes) / 64) * 64;
      return a;
    };
    this.nFeat = bf.features.length;
    this.width = bf.width;
    const addr = {
      nodes: take(bf.nodes.byteLength),
      roots: take(bf.root.byteLength),
      depths: take(bf.depth.byteLength),
      leaves: take(bf.value.byteLength),
      thresholds: take(bf.thresholds.byteLength),
      table: take(this.nFeat * 16),
      values: take(blockRows * nCols * 8),
      out: take(blockRows * 8),
      codes: take(blockRows * bf.width),
    };
    const pages = Math.ceil(at / 65536);
    const memory = sharedWasmMemory(pages);
    const buf = memory.buffer;
    writeForest(buf, bf, addr.nodes, addr.roots, addr.depths, addr.leaves);
    new Float64Array(buf, addr.thresholds, bf.thresholds.length).set(bf.thresholds);
    const table = new Int32Array(buf, addr.table, 4 * this.nFeat);
    for (let i = 0; i < this.nFeat; i++) {
      table[4 * i] = bf.features[i];
      table[4 * i + 1] = addr.thresholds + bf.thrStart[i] * 8;
      table[4 * i + 2] = bf.thrSize[i];
      table[4 * i + 3] = bf.leftColumn[i];
    }
    this.values = new Float64Array(buf, addr.values, blockRows * nCols);
    this.out = new Float64Array(buf, addr.out, blockRows);
    this.addr = addr;
    const instance = new api.Instance(module, { env: { memory } });
    this.predictFn = instance.exports.predictBlock as PredictFn;
    this.binFn = instance.exports.binRows as BinFn;
  }

  /** Copy a binned forest into wasm memory (blocks of blockRows rows of nCols features), or null where WebAssembly is unavailable. */
  static tryCreate(bf: BinnedForestArrays, nCols: number, blockRows: number): WasmForest | null {
    const module = predictModule();
    if (module === null) return null;
    try {
      return new WasmForest(module, bf, nCols, blockRows);
    } catch {
      return null;
    }
  }

  /**
   * out[r] += scale * leaf value of row r, for rows [b0, b1) of the row-major `values` (nCols
   * columns) and trees [treeBegin, treeEnd), in tree order, one block of rows at a time.
   */
  addPredictions(values: Float64Array | Float32Array, b0: number, b1: number, out: Float64Array, treeBegin: number, treeEnd: number, scale: number): void {
    const a = this.addr;
    const p = this.nCols;
    for (let s0 = b0; s0 < b1; s0 += this.blockRows) {
      const s1 = Math.min(b1, s0 + this.blockRows);
      const m = s1 - s0;
      this.values.set(values.subarray(s0 * p, s1 * p));
      this.out.set(out.subarray(s0, s1));
      this.binFn(a.values, m, p, a.table, this.nFeat, a.codes, this.width);
      this.predictFn(a.codes, this.width, m, treeBegin, treeEnd, a.nodes, a.roots, a.depths, a.leaves - a.nodes, a.out, scale);
      out.set(this.out.subarray(0, m), s0);
    }
  }
}

const WORKER_SOURCE = `
"use strict";
const { parentPort } = require("node:worker_threads");
parentPort.on("message", (m) => {
  const inst = new WebAssembly.Instance(m.module, { env: { memory: m.memory } });
  const binRows = inst.exports.binRows, predictBlock = inst.exports.predictBlock;
  for (let s0 = m.b0; s0 < m.b1; s0 += m.block) {
    const k = Math.min(m.b1, s0 + m.block) - s0;
    binRows(m.values + s0 * m.p * 8, k, m.p, m.table, m.nFeat, m.codes, m.width);
    predictBlock(m.codes, m.width, k, m.tb, m.te, m.nodes, m.roots, m.depths, m.leaves, m.out + s0 * 8, m.scale);
  }
  const ctrl = new Int32Array(m.ctrl);
  Atomics.store(ctrl, 0, 1);
  Atomics.notify(ctrl, 0);
});
`;

const pool: Worker[] = [];

/** The first n prediction workers (started on first use, unref'd so they never keep the process alive). */
function workers(n: number): Worker[] {
  while (pool.length < n) {
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    pool.push(w);
  }
  return pool.slice(0, n);
}

/**
 * Predict with `threads` threads (the caller plus threads - 1 workers): the rows and a copy of the
 * forest go to a shared wasm memory, each thread bins and walks its own contiguous range of rows.
 * Every row's additions happen in tree order as in one thread, so the output is bit-identical.
 * Returns false (doing nothing) where WebAssembly is unavailable or the rows do not fit.
 */
export function addPredictionsParallel(
  bf: BinnedForestArrays,
  values: Float64Array | Float32Array,
  nRows: number,
  nCols: number,
  out: Float64Array,
  treeBegin: number,
  treeEnd: number,
  scale: number,
  threads: number,
  blockRows: number,
): boolean {
  const module = predictModule();
  if (module === null || wasmApi === undefined) return false;
  const bytes = nRows * (nCols * 8 + 8) + threads * blockRows * bf.width + bf.nodes.byteLength + bf.value.byteLength + bf.thresholds.byteLength + (1 << 20);
  if (!(bytes < 0xc0000000)) return false;
  let at = 64;
  const take = (n: number) => {
    const a = at;
    at = Math.ceil((at + n) / 64) * 64;
    return a;
  };
  const nFeat = bf.features.length;
  const a = {
    nodes: take(bf.nodes.byteLength),
    roots: take(bf.root.byteLength),
    depths: take(bf.depth.byteLength),
    leaves: take(bf.value.byteLength),
    thresholds: take(bf.thresholds.byteLength),
    table: take(nFeat * 16),
    values: take(nRows * nCols * 8),
    out: take(nRows * 8),
    codes: Array.from({ length: threads }, () => take(blockRows * bf.width)),
  };
  const memory = sharedWasmMemory(Math.ceil(at / 65536));
  const buf = memory.buffer;
  writeForest(buf, bf, a.nodes, a.roots, a.depths, a.leaves);
  new Float64Array(buf, a.thresholds, bf.thresholds.length).set(bf.thresholds);
  const table = new Int32Array(buf, a.table, 4 * nFeat);
  for (let i = 0; i < nFeat; i++) {
    table[4 * i] = bf.features[i];
    table[4 * i + 1] = a.thresholds + bf.thrStart[i] * 8;
    table[4 * i + 2] = bf.thrSize[i];
    table[4 * i + 3] = bf.leftColumn[i];
  }
  new Float64Array(buf, a.values, nRows * nCols).set(values.subarray(0, nRows * nCols));
  const outW = new Float64Array(buf, a.out, nRows);
  outW.set(out.subarray(0, nRows));
  const per = Math.ceil(nRows / threads);
  const team = workers(threads - 1);
  const ctrls: Int32Array[] = [];
  team.forEach((w, i) => {
    const b0 = Math.min(nRows, (i + 1) * per);
    const b1 = Math.min(nRows, b0 + per);
    const ctrl = new Int32Array(new SharedArrayBuffer(4));
    ctrls.push(ctrl);
    w.postMessage({
      module,
      memory,
      ctrl: ctrl.buffer,
      b0,
      b1,
      block: blockRows,
      p: nCols,
      values: a.values,
      table: a.table,
      nFeat,
      codes: a.codes[i + 1],
      width: bf.width,
      tb: treeBegin,
      te: treeEnd,
      nodes: a.nodes,
      roots: a.roots,
      depths: a.depths,
      leaves: a.leaves - a.nodes,
      out: a.out,
      scale,
    });
  });
  const inst = new wasmApi.Instance(module, { env: { memory } });
  const binFn = inst.exports.binRows as BinFn;
  const predictFn = inst.exports.predictBlock as PredictFn;
  for (let s0 = 0; s0 < Math.min(nRows, per); s0 += blockRows) {
    const k = Math.min(Math.min(nRows, per), s0 + blockRows) - s0;
    binFn(a.values + s0 * nCols * 8, k, nCols, a.table, nFeat, a.codes[0], bf.width);
    predictFn(a.codes[0], bf.width, k, treeBegin, treeEnd, a.nodes, a.roots, a.depths, a.leaves - a.nodes, a.out + s0 * 8, scale);
  }
  for (const ctrl of ctrls) while (Atomics.load(ctrl, 0) === 0) Atomics.wait(ctrl, 0, 0);
  out.set(outW);
  return true;
}
