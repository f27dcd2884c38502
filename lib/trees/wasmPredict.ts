/**
 * The binned prediction kernel of FlatForest as a WebAssembly function (no bounds checks, small
 * integer work per step): for a block of rows already turned into per-feature threshold codes, it
 * walks trees [treeBegin, treeEnd) eight rows in lock step and adds `scale * leafValue` to each
 * row's output, tree after tree, exactly as the JavaScript kernel does (so bit-identical results).
 * The node format is FlatForest's binned one: per node two int32s, a word (code column << 8 |
 * threshold code; 255 for leaves) and the left child id, the right child following it.
 */
import { sleb, uleb, wasmModuleBytes, type WasmMemory, type WasmModule } from "./wasmHistogram.js";

const I32 = 0x7f;
const F64 = 0x7c;
const op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  get: 0x20,
  set: 0x21,
  tee: 0x22,
  i32Load: 0x28,
  f64Load: 0x2b,
  i32Load8U: 0x2d,
  f64Store: 0x39,
  i32Const: 0x41,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32GtU: 0x4b,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  f64Add: 0xa0,
  f64Mul: 0xa2,
};

const LANES = 8;

/**
 * predictBlock(codes, width, nRows, treeBegin, treeEnd, nodes, roots, depths, values, out, scale):
 * all addresses in bytes; out[r] (f64) += scale * value of row r's leaf, for each tree in order.
 */
export function predictBody(): number[] {
  // Params 0..9 i32, 10 f64 scale.
  const [codes, width, nRows, tBegin, tEnd, nodes, roots, depths, values, out, scale] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
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
  for (let i = 0; i < LANES; i++) n.push(next++);
  for (let i = 0; i < LANES; i++) w.push(next++);
  const numI32 = next - 11;
  const c: number[] = [];
  const get = (i: number) => c.push(op.get, i);
  const set = (i: number) => c.push(op.set, i);
  const i32 = (v: number) => c.push(op.i32Const, ...sleb(v));
  const mem = (code: number, align: number, offset: number) => c.push(code, ...uleb(align), ...uleb(offset));
  // word of node in local x: load(nodes + x * 8)
  const wordOf = (x: number) => {
    get(x);
    i32(3);
    c.push(op.i32Shl);
    get(nodes);
    c.push(op.i32Add);
    mem(op.i32Load, 2, 0);
  };
  // step: n = load(nodes + n*8 + 4) + (codes[rowBase + (w >>> 8)] > (w & 255))
  const step = (nl: number, wl: number, rowBase: () => void) => {
    get(nl);
    i32(3);
    c.push(op.i32Shl);
    get(nodes);
    c.push(op.i32Add);
    mem(op.i32Load, 2, 4);
    rowBase();
    get(wl);
    i32(8);
    c.push(op.i32ShrU, op.i32Add);
    mem(op.i32Load8U, 0, 0);
    get(wl);
    i32(255);
    c.push(op.i32And, op.i32GtU, op.i32Add);
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
    i32(3);
    c.push(op.i32Shl);
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
  for (let i = 0; i < LANES; i++) {
    step(n[i], w[i], () => {
      get(base);
      if (i > 0) {
        get(width);
        i32(i);
        c.push(op.i32Mul, op.i32Add);
      }
    });
  }
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
  return [...uleb(body.length), ...body];
}

/** Parameter types of predictBlock: ten i32 and the f64 scale. */
export const PREDICT_PARAMS = [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, F64];

interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: { env: { memory: WasmMemory } }) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let cached: WasmModule | null | undefined;

/** The module holding predictBlock, or null where WebAssembly is unavailable. */
function predictModule(): WasmModule | null {
  if (cached !== undefined) return cached;
  try {
    cached = wasmApi === undefined ? null : new wasmApi.Module(wasmModuleBytes([{ name: "predictBlock", params: PREDICT_PARAMS, body: predictBody() }]));
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

/** A forest copied into wasm memory with room for one block of row codes and outputs. */
export class WasmForest {
  /** Codes of the current block, `width` bytes per row (fill them, then call run). */
  readonly codes: Uint8Array;
  /** Outputs of the current block (load them, run, read them back). */
  readonly out: Float64Array;
  private readonly fn: PredictFn;
  private readonly addr: { codes: number; out: number; nodes: number; roots: number; depths: number; values: number };

  private constructor(module: WasmModule, nodes: Int32Array, roots: Int32Array, depths: Int32Array, values: Float64Array, blockRows: number, width: number) {
    const api = wasmApi as WasmApi;
    let at = 64;
    const take = (bytes: number) => {
      const a = at;
      at = Math.ceil((at + bytes) / 64) * 64;
      return a;
    };
    const addr = {
      nodes: take(nodes.byteLength),
      roots: take(roots.byteLength),
      depths: take(depths.byteLength),
      values: take(values.byteLength),
      out: take(blockRows * 8),
      codes: take(blockRows * width),
    };
    const pages = Math.ceil(at / 65536);
    const memory = new api.Memory({ initial: pages, maximum: pages, shared: true });
    const buf = memory.buffer;
    new Int32Array(buf, addr.nodes, nodes.length).set(nodes);
    new Int32Array(buf, addr.roots, roots.length).set(roots);
    new Int32Array(buf, addr.depths, depths.length).set(depths);
    new Float64Array(buf, addr.values, values.length).set(values);
    this.out = new Float64Array(buf, addr.out, blockRows);
    this.codes = new Uint8Array(buf, addr.codes, blockRows * width);
    this.addr = addr;
    const instance = new api.Instance(module, { env: { memory } });
    this.fn = instance.exports.predictBlock as PredictFn;
  }

  /** Copy a binned forest into wasm memory, or null where WebAssembly is unavailable. */
  static tryCreate(nodes: Int32Array, roots: Int32Array, depths: Int32Array, values: Float64Array, blockRows: number, width: number): WasmForest | null {
    const module = predictModule();
    if (module === null) return null;
    try {
      return new WasmForest(module, nodes, roots, depths, values, blockRows, width);
    } catch {
      return null;
    }
  }

  /** out[r] += scale * leaf value, for rows [0, nRows) of the block and trees [treeBegin, treeEnd), in tree order. */
  run(nRows: number, width: number, treeBegin: number, treeEnd: number, scale: number): void {
    const a = this.addr;
    this.fn(a.codes, width, nRows, treeBegin, treeEnd, a.nodes, a.roots, a.depths, a.values, a.out, scale);
  }
}
