/**
 * A minimal WebAssembly binary writer for the hand-written numeric kernels (BOCPD, gradient
 * boosting), and the few WebAssembly JS API members they use. Kernels are emitted byte by byte from
 * TypeScript, so there is no toolchain, no binary blob in the repository and nothing to rebuild.
 *
 * Only what the kernels need: modules that import one linear memory as "env.memory" and export
 * functions; no tables, globals or data segments.
 */

import { WorkbenchError } from "../errors.js";

/** Value type codes. */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const F64 = 0x7c;
export const V128 = 0x7b;

/** Opcodes (single bytes) of the instructions the kernels use. */
export const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  select: 0x1b,
  get: 0x20,
  set: 0x21,
  tee: 0x22,
  i32Load: 0x28,
  f64Load: 0x2b,
  i32Load8U: 0x2d,
  i32Store: 0x36,
  f64Store: 0x39,
  i32Store8: 0x3a,
  i32Const: 0x41,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32GtU: 0x4b,
  i32GeU: 0x4f,
  f64Ne: 0x62,
  f64Lt: 0x63,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  f64Add: 0xa0,
  f64Mul: 0xa2,
} as const;

/** Unsigned LEB128 bytes of n (0 <= n < 2^32). */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 bytes of a 32-bit integer n. */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** The eight little-endian bytes of a float64 (the immediate of f64.const). */
export function f64Bytes(v: number): number[] {
  return Array.from(new Uint8Array(new Float64Array([v]).buffer));
}

/** A section: id, byte length, body. */
export function section(id: number, body: readonly number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** A vector: element count, then the elements' bytes. */
export function vec(items: readonly (readonly number[])[]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** A name (ASCII): byte length, then the bytes. */
export function wasmName(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

/** One exported function: name, parameter and result value types, and its body (locals, then code ending in `end`). */
export interface WasmFunctionSpec {
  name: string;
  params: readonly number[];
  result?: number;
  body: readonly number[];
}

/** The memory a module imports as "env.memory", in 64 KiB pages. */
export interface ImportedMemory {
  shared: boolean;
  minimumPages: number;
  /** Required for shared memories. */
  maximumPages?: number;
}

/**
 * A module that imports "env.memory" and exports `funcs` in order (function i has index i, which is
 * what `call` instructions in the bodies refer to).
 */
export function wasmModuleBytes(funcs: readonly WasmFunctionSpec[], memory: ImportedMemory): Uint8Array {
  const types = section(1, vec(funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...(f.result === undefined ? [0] : [1, f.result])])));
  const limits = memory.maximumPages === undefined ? [0x00, ...uleb(memory.minimumPages)] : [memory.shared ? 0x03 : 0x01, ...uleb(memory.minimumPages), ...uleb(memory.maximumPages)];
  const imports = section(2, vec([[...wasmName("env"), ...wasmName("memory"), 0x02, ...limits]]));
  const functions = section(3, vec(funcs.map((_, i) => uleb(i))));
  const exports = section(7, vec(funcs.map((f, i) => [...wasmName(f.name), 0x00, ...uleb(i)])));
  const code = section(10, vec(funcs.map((f) => [...uleb(f.body.length), ...f.body])));
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...functions, ...exports, ...code]);
}

// The WebAssembly JS API, typed locally: the project's type libraries (ES2023 + @types/node) do not
// declare the WebAssembly globals.
/** A compiled module (opaque). */
export interface WasmModule {
  readonly __opaqueWasmModule?: never;
}
/** A linear memory; `buffer` is a SharedArrayBuffer for shared memories. */
export interface WasmMemory<B extends ArrayBufferLike = ArrayBufferLike> {
  readonly buffer: B;
}
/** The members of the WebAssembly namespace the kernels use. */
export interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: { env: { memory: WasmMemory } }) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

/** The WebAssembly namespace, or undefined where the runtime has none (callers fall back to JavaScript). */
export const wasmApi: WasmApi | undefined = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** A shared memory of exactly `pages` 64 KiB pages (for kernels that worker threads run on the same data). */
export function sharedWasmMemory(pages: number): WasmMemory<SharedArrayBuffer> {
  if (wasmApi === undefined) throw new WorkbenchError("WebAssembly is not available in this runtime");
  return new wasmApi.Memory({ initial: pages, maximum: pages, shared: true }) as WasmMemory<SharedArrayBuffer>;
}
