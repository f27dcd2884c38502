/**
 * The BOCPD inner loops as a small WebAssembly module, emitted byte by byte here (no toolchain, no
 * binary blob). V8 runs the same loops in JavaScript at 35-45 ns per run length per step on the
 * project machine, much of it in Math.exp / Math.log calls and the code around them; here exp and
 * log1p are inlined polynomial code on raw f64 registers.
 *
 * `step` does both passes of a Poisson-Gamma step for counts x <= 16 (bocpd.ts keeps the rest):
 *   pass 1: lp[k] = -a_k log1p(e / b_k), r[k] = prod_{i<x} (a_k + i) / (b_k + e) * rel[i], max lp;
 *   pass 2: prob[k] *= g r[k] exp(lp[k] - max), with g = (1 - hazard) / sum(prob); s1 += x, s2 += e.
 * `stepNormal` does the same for the Normal-Gamma model (see its comment). exp and log1p agree with
 * Math.exp / Math.log1p to about 1e-15 / 1e-14 relative (tests/changepoint/special.test.ts).
 *
 * Two more functions serve both models: `scan` (the pruning pass: what is below the threshold, the
 * least probable run) and `summarize` (mass, mass-weighted start, short-run mass, MAP slot, oldest
 * start of the new posterior).
 *
 * Memory layout (bytes): [0, 128) rel[16]; [128, 640) 2^(j/64), j < 64; [640, 704) outputs;
 * arrays from ARRAYS: prob, s1, s2, lp, r (tmp), start, s3, s4, each `capacity` doubles; then the
 * Normal model's Student-t constants by run length.
 */
import { F64, I32, I64, f64Bytes, sleb, uleb, vec, wasmApi, wasmModuleBytes, type WasmMemory, type WasmModule } from "../util/wasm.js";

/** Byte offset of the first per-run array in the kernel's memory. */
export const ARRAYS = 1024;
const REL = 0;
const TABLE = 128;
const OUT = 640;

const f64const = (v: number): number[] => [0x44, ...f64Bytes(v)];

// Instructions.
const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const tee = (i: number): number[] => [0x22, ...uleb(i)];
const i32c = (v: number): number[] => [0x41, ...sleb(v)];
// i64 constants as literal signed-LEB128 bytes (no BigInt: notebooks compile lib/ for older targets).
const I64_52 = [0x42, 52];
const I64_MANTISSA_MASK = [0x42, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x07]; // 0x000fffffffffffff
const I64_ONE_EXPONENT = [0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0xf8, 0x3f]; // 0x3ff0000000000000
const f64c = f64const;
const load = (offset = 0): number[] => [0x2b, 3, ...uleb(offset)];
const store = (offset = 0): number[] => [0x39, 3, ...uleb(offset)];
const call = (f: number): number[] => [0x10, ...uleb(f)];
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const IF = [0x04, 0x40];
const IF_F64 = [0x04, F64];
const ELSE = [0x05];
const END = [0x0b];
const br = (d: number): number[] => [0x0c, ...uleb(d)];
const brIf = (d: number): number[] => [0x0d, ...uleb(d)];
const RETURN = [0x0f];
const op = {
  i32Add: [0x6a],
  i32Shl: [0x74],
  i32ShrS: [0x75],
  i32And: [0x71],
  i32GeS: [0x4e],
  i32LtS: [0x48],
  i32GtS: [0x4a],
  f64Add: [0xa0],
  f64Sub: [0xa1],
  f64Mul: [0xa2],
  f64Div: [0xa3],
  f64Neg: [0x9a],
  f64Lt: [0x63],
  f64Gt: [0x64],
  f64Nearest: [0x9e],
  i32TruncF64S: [0xaa],
  f64ConvertI32S: [0xb7],
  i64ExtendI32S: [0xac],
  i64Add: [0x7c],
  i64Shl: [0x86],
  i64ShrU: [0x88],
  i64And: [0x83],
  i64Or: [0x84],
  i32WrapI64: [0xa7],
  f64ReinterpretI64: [0xbf],
  i64ReinterpretF64: [0xbd],
};

// Horner evaluation of c0 + c1 t + ... with t in local `t`, pushing the value.
function horner(coeffs: number[], t: number): number[] {
  const out: number[] = [...f64c(coeffs[coeffs.length - 1])];
  for (let i = coeffs.length - 2; i >= 0; i--) out.push(...get(t), ...op.f64Mul, ...f64c(coeffs[i]), ...op.f64Add);
  return out;
}

/** Scratch f64 locals holding t^2, t^4, t^8 for estrin(). */
interface PowerLocals {
  readonly p2: number;
  readonly p4: number;
  readonly p8: number;
}

// Estrin's scheme for c0 + c1 t + ... (local t): the dependency chain is log2(degree) multiply-adds
// deep instead of degree deep. The loops are latency-bound (each run's log and exp is a long chain
// and only about two runs fit in the CPU's reorder window), so this is what makes them fast.
function estrin(coeffs: number[], t: number, pw: PowerLocals): number[] {
  const n = coeffs.length;
  const out: number[] = [];
  if (n > 2) out.push(...get(t), ...get(t), ...op.f64Mul, ...set(pw.p2));
  if (n > 4) out.push(...get(pw.p2), ...get(pw.p2), ...op.f64Mul, ...set(pw.p4));
  if (n > 8) out.push(...get(pw.p4), ...get(pw.p4), ...op.f64Mul, ...set(pw.p8));
  const power = (h: number): number => (h === 1 ? t : h === 2 ? pw.p2 : h === 4 ? pw.p4 : pw.p8);
  const rec = (c: number[]): number[] => {
    if (c.length === 1) return f64c(c[0]);
    let half = 1;
    while (half * 2 < c.length) half *= 2;
    return [...rec(c.slice(0, half)), ...rec(c.slice(half)), ...get(power(half)), ...op.f64Mul, ...op.f64Add];
  };
  out.push(...rec(coeffs));
  return out;
}

interface ExpLocals extends PowerLocals {
  readonly kf: number; // f64
  readonly r: number; // f64
  readonly ki: number; // i32
}

// exp(local x) for x <= 0.35, 0 below -700: 2^(k/64) poly(r), k = round(64 x / ln 2), |r| <= ln2/128.
// Emitted inline at each use: V8 does not inline wasm calls, and a call per run costs as much as the math.
function expInline(x: number, l: ExpLocals): number[] {
  const LN2_64_INV = 64 / Math.LN2;
  const HI = 6.93147180369123816490e-1 / 64;
  const LO = 1.90821492927058770002e-10 / 64;
  return [
    ...get(x), ...f64c(-700), ...op.f64Lt,
    ...IF_F64, ...f64c(0),
    ...ELSE,
    ...get(x), ...f64c(LN2_64_INV), ...op.f64Mul, ...op.f64Nearest, ...tee(l.kf), ...op.i32TruncF64S, ...set(l.ki),
    ...get(x), ...get(l.kf), ...f64c(HI), ...op.f64Mul, ...op.f64Sub, ...get(l.kf), ...f64c(LO), ...op.f64Mul, ...op.f64Sub, ...set(l.r),
    ...estrin([1, 1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720], l.r, l),
    ...get(l.ki), ...i32c(63), ...op.i32And, ...i32c(3), ...op.i32Shl, ...load(TABLE), ...op.f64Mul,
    ...get(l.ki), ...i32c(6), ...op.i32ShrS, ...i32c(1023), ...op.i32Add, ...op.i64ExtendI32S, ...I64_52, ...op.i64Shl,
    ...op.f64ReinterpretI64, ...op.f64Mul,
    ...END,
  ];
}

interface LogLocals extends PowerLocals {
  readonly m: number; // f64
  readonly s: number; // f64
  readonly z: number; // f64
  readonly e: number; // i32
  readonly bits: number; // i64
}

// log1p(local u) for u >= 0: the alternating series below 1/64, else log(1 + u) from the bits of
// 1 + u = m 2^e (m in [sqrt(2)/2, sqrt(2))) and 2 atanh((m - 1) / (m + 1)).
function log1pInline(u: number, l: LogLocals): number[] {
  const LN2_HI = 6.93147180369123816490e-1;
  const LN2_LO = 1.90821492927058770002e-10;
  return [
    ...get(u), ...f64c(0.015625), ...op.f64Lt,
    ...IF_F64,
    ...estrin([1, -1 / 2, 1 / 3, -1 / 4, 1 / 5, -1 / 6, 1 / 7, -1 / 8], u, l), ...get(u), ...op.f64Mul,
    ...ELSE,
    ...get(u), ...f64c(1), ...op.f64Add, ...op.i64ReinterpretF64, ...tee(l.bits),
    ...I64_52, ...op.i64ShrU, ...op.i32WrapI64, ...i32c(-1023), ...op.i32Add, ...set(l.e),
    ...get(l.bits), ...I64_MANTISSA_MASK, ...op.i64And, ...I64_ONE_EXPONENT, ...op.i64Or, ...op.f64ReinterpretI64, ...set(l.m),
    ...get(l.m), ...f64c(Math.SQRT2), ...op.f64Gt,
    ...IF, ...get(l.m), ...f64c(0.5), ...op.f64Mul, ...set(l.m), ...get(l.e), ...i32c(1), ...op.i32Add, ...set(l.e), ...END,
    ...get(l.m), ...f64c(1), ...op.f64Sub, ...get(l.m), ...f64c(1), ...op.f64Add, ...op.f64Div, ...tee(l.s), ...get(l.s), ...op.f64Mul, ...set(l.z),
    ...get(l.s), ...f64c(2), ...op.f64Mul,
    ...estrin([1, 1 / 3, 1 / 5, 1 / 7, 1 / 9, 1 / 11, 1 / 13, 1 / 15, 1 / 17, 1 / 19, 1 / 21], l.z, l),
    ...op.f64Mul,
    ...get(l.e), ...op.f64ConvertI32S, ...f64c(LN2_LO), ...op.f64Mul, ...op.f64Add,
    ...get(l.e), ...op.f64ConvertI32S, ...f64c(LN2_HI), ...op.f64Mul, ...op.f64Add,
    ...END,
  ];
}

// func 0: exp(x), func 1: log1p(u), exported for the tests.
function expBody(): number[] {
  const locals = vec([
    [...uleb(2), F64],
    [...uleb(1), I32],
    [...uleb(3), F64],
  ]);
  return [...locals, ...expInline(0, { kf: 1, r: 2, ki: 3, p2: 4, p4: 5, p8: 6 }), ...END];
}

function log1pBody(): number[] {
  const locals = vec([
    [...uleb(3), F64],
    [...uleb(1), I32],
    [...uleb(1), I64],
    [...uleb(3), F64],
  ]);
  return [...locals, ...log1pInline(0, { m: 1, s: 2, z: 3, e: 4, bits: 5, p2: 6, p4: 7, p8: 8 }), ...END];
}

// func 2: step(K, x, e, a0, b0, hazard, lp0, cap); writes sum(prob) to OUT + 8 and max lp to OUT + 48.
function stepBody(): number[] {
  // params: 0 K i32, 1 x i32, 2 e f64, 3 a0 f64, 4 b0 f64, 5 hazard f64, 6 lp0 f64, 7 cap i32
  // locals: 8 k i32, 9 i i32, 10 p i32 (byte offset), 11 a f64, 12 b f64, 13 v f64, 14 inv f64,
  //         15 prod f64, 16 maxLp f64, 17 sum f64, 18 g f64, 19 stride i32
  const locals = vec([
    [...uleb(3), I32],
    [...uleb(8), F64],
    [...uleb(1), I32],
    [...uleb(7), F64],
    [...uleb(2), I32],
    [...uleb(1), I64],
    [...uleb(3), F64],
  ]);
  // 20 u, 21 m, 22 s, 23 z, 24 kf, 25 r, 26 xe (f64); 27 e, 28 ki (i32); 29 bits (i64); 30-32 powers
  const u = 20, xe = 26;
  const LL: LogLocals = { m: 21, s: 22, z: 23, e: 27, bits: 29, p2: 30, p4: 31, p8: 32 };
  const EL: ExpLocals = { kf: 24, r: 25, ki: 28, p2: 30, p4: 31, p8: 32 };
  const K = 0, X = 1, E = 2, A0 = 3, B0 = 4, HZ = 5, LP0 = 6, CAP = 7;
  const k = 8, i = 9, p = 10, a = 11, b = 12, v = 13, inv = 14, prod = 15, maxLp = 16, sum = 17, g = 18, stride = 19;
  // Array offsets relative to p (= ARRAYS + 8 k): prob +0, s1 +stride, s2 +2 stride, lp +3 stride, r +4 stride.
  const at = (n: number): number[] => [...get(p), ...(n === 0 ? [] : [...get(stride), ...(n === 1 ? [] : [...i32c(n), 0x6c]), ...op.i32Add])];
  const code = [
    ...get(CAP), ...i32c(3), ...op.i32Shl, ...set(stride),
    ...get(LP0), ...set(maxLp),
    ...f64c(0), ...set(sum),
    // pass 1
    ...i32c(0), ...set(k), ...i32c(ARRAYS), ...set(p),
    ...BLOCK, ...LOOP,
    ...get(k), ...get(K), ...op.i32GeS, ...brIf(1),
    ...get(A0), ...at(1), ...load(), ...op.f64Add, ...set(a),
    ...get(B0), ...at(2), ...load(), ...op.f64Add, ...set(b),
    ...get(E), ...get(b), ...op.f64Div, ...set(u),
    ...get(a), ...op.f64Neg, ...log1pInline(u, LL), ...op.f64Mul, ...set(v),
    ...at(3), ...get(v), ...store(),
    ...get(v), ...get(maxLp), ...op.f64Gt, ...IF, ...get(v), ...set(maxLp), ...END,
    ...f64c(1), ...set(prod),
    ...get(X), ...i32c(0), ...op.i32GtS,
    ...IF,
    ...f64c(1), ...get(b), ...get(E), ...op.f64Add, ...op.f64Div, ...set(inv),
    ...get(a), ...get(inv), ...op.f64Mul, ...i32c(REL), ...load(), ...op.f64Mul, ...set(prod),
    ...i32c(1), ...set(i),
    ...BLOCK, ...LOOP,
    ...get(i), ...get(X), ...op.i32GeS, ...brIf(1),
    ...get(prod), ...get(a), ...get(i), ...op.f64ConvertI32S, ...op.f64Add, ...get(inv), ...op.f64Mul,
    ...get(i), ...i32c(3), ...op.i32Shl, ...load(REL), ...op.f64Mul, ...op.f64Mul, ...set(prod),
    ...get(i), ...i32c(1), ...op.i32Add, ...set(i),
    ...br(0), ...END, ...END,
    ...END,
    ...at(4), ...get(prod), ...store(),
    ...get(sum), ...at(0), ...load(), ...op.f64Add, ...set(sum),
    ...get(k), ...i32c(1), ...op.i32Add, ...set(k),
    ...get(p), ...i32c(8), ...op.i32Add, ...set(p),
    ...br(0), ...END, ...END,
    // g = (1 - hazard) / sum
    ...f64c(1), ...get(HZ), ...op.f64Sub, ...get(sum), ...op.f64Div, ...set(g),
    // pass 2
    ...i32c(0), ...set(k), ...i32c(ARRAYS), ...set(p),
    ...BLOCK, ...LOOP,
    ...get(k), ...get(K), ...op.i32GeS, ...brIf(1),
    ...at(0),
    ...at(0), ...load(), ...get(g), ...op.f64Mul, ...at(4), ...load(), ...op.f64Mul,
    ...at(3), ...load(), ...get(maxLp), ...op.f64Sub, ...set(xe), ...expInline(xe, EL), ...op.f64Mul,
    ...store(),
    ...at(1), ...at(1), ...load(), ...get(X), ...op.f64ConvertI32S, ...op.f64Add, ...store(),
    ...at(2), ...at(2), ...load(), ...get(E), ...op.f64Add, ...store(),
    ...get(k), ...i32c(1), ...op.i32Add, ...set(k),
    ...get(p), ...i32c(8), ...op.i32Add, ...set(p),
    ...br(0), ...END, ...END,
    ...i32c(OUT), ...get(sum), ...store(8),
    ...i32c(OUT), ...get(maxLp), ...store(48),
    ...END,
  ];
  return [...locals, ...code];
}

// func 5: stepNormal(K, x, alpha0, hazard, lp0, cap, t, table); max lp to OUT + 48. The Normal-Gamma update of
// bocpd.ts's stepNormal: pass 1 lp[k] = tc[n] - log(beta)/2 - (alpha0 + n/2 + 1/2) log1p(q),
// q = kappa (x - mu)^2 / (2 (kappa + 1) beta), n = t - start[k], tmp[k] = log1p(q); pass 2 the
// weights and the posterior updates (mu, kappa, beta, log beta). `table` is tc's byte offset.
function stepNormalBody(): number[] {
  // params: 0 K i32, 1 x f64, 2 alpha0 f64, 3 hazard f64, 4 lp0 f64, 5 cap i32, 6 t f64, 7 table i32
  // locals: 8 k, 9 p, 10 stride (i32); 11 kap, 12 d, 13 n, 14 l, 15 v, 16 maxLp, 17 sum, 18 g, 19 q (f64);
  //         20 m, 21 s, 22 z, 23 kf, 24 r, 25 xe, 26 p2, 27 p4, 28 p8 (f64); 29 e, 30 ki (i32); 31 bits (i64)
  const locals = vec([
    [...uleb(3), I32],
    [...uleb(9), F64],
    [...uleb(9), F64],
    [...uleb(2), I32],
    [...uleb(1), I64],
  ]);
  const K = 0, X = 1, A0 = 2, HZ = 3, LP0 = 4, CAP = 5, T = 6, TAB = 7;
  const k = 8, p = 9, stride = 10, kap = 11, d = 12, n = 13, l = 14, v = 15, maxLp = 16, sum = 17, g = 18, q = 19, xe = 25;
  const LL: LogLocals = { m: 20, s: 21, z: 22, e: 29, bits: 31, p2: 26, p4: 27, p8: 28 };
  const EL: ExpLocals = { kf: 23, r: 24, ki: 30, p2: 26, p4: 27, p8: 28 };
  // prob 0, s1 (mu) 1, s2 (kappa) 2, lp 3, tmp 4, start 5, s3 (beta) 6, s4 (log beta) 7
  const at = (j: number): number[] => [...get(p), ...(j === 0 ? [] : [...get(stride), ...(j === 1 ? [] : [...i32c(j), 0x6c]), ...op.i32Add])];
  const code = [
    ...get(CAP), ...i32c(3), ...op.i32Shl, ...set(stride),
    ...get(LP0), ...set(maxLp),
    ...f64c(0), ...set(sum),
    ...i32c(0), ...set(k), ...i32c(ARRAYS), ...set(p),
    ...BLOCK, ...LOOP,
    ...get(k), ...get(K), ...op.i32GeS, ...brIf(1),
    ...get(T), ...at(5), ...load(), ...op.f64Sub, ...set(n),
    ...at(2), ...load(), ...set(kap),
    ...get(X), ...at(1), ...load(), ...op.f64Sub, ...set(d),
    // q = kap d d / (2 (kap + 1) beta)
    ...get(kap), ...get(d), ...op.f64Mul, ...get(d), ...op.f64Mul,
    ...f64c(2), ...get(kap), ...f64c(1), ...op.f64Add, ...op.f64Mul, ...at(6), ...load(), ...op.f64Mul, ...op.f64Div, ...set(q),
    ...log1pInline(q, LL), ...set(l),
    ...at(4), ...get(l), ...store(),
    // v = tc[n] - 0.5 s4 - (alpha0 + 0.5 n + 0.5) l
    ...get(TAB), ...get(n), ...op.i32TruncF64S, ...i32c(3), ...op.i32Shl, ...op.i32Add, ...load(),
    ...f64c(0.5), ...at(7), ...load(), ...op.f64Mul, ...op.f64Sub,
    ...get(A0), ...f64c(0.5), ...get(n), ...op.f64Mul, ...op.f64Add, ...f64c(0.5), ...op.f64Add, ...get(l), ...op.f64Mul, ...op.f64Sub,
    ...set(v),
    ...at(3), ...get(v), ...store(),
    ...get(v), ...get(maxLp), ...op.f64Gt, ...IF, ...get(v), ...set(maxLp), ...END,
    ...get(sum), ...at(0), ...load(), ...op.f64Add, ...set(sum),
    ...get(k), ...i32c(1), ...op.i32Add, ...set(k),
    ...get(p), ...i32c(8), ...op.i32Add, ...set(p),
    ...br(0), ...END, ...END,
    ...f64c(1), ...get(HZ), ...op.f64Sub, ...get(sum), ...op.f64Div, ...set(g),
    ...i32c(0), ...set(k), ...i32c(ARRAYS), ...set(p),
    ...BLOCK, ...LOOP,
    ...get(k), ...get(K), ...op.i32GeS, ...brIf(1),
    // prob *= g exp(lp - max)
    ...at(3), ...load(), ...get(maxLp), ...op.f64Sub, ...set(xe),
    ...at(0), ...at(0), ...load(), ...get(g), ...expInline(xe, EL), ...op.f64Mul, ...op.f64Mul, ...store(),
    ...at(2), ...load(), ...set(kap),
    ...get(X), ...at(1), ...load(), ...op.f64Sub, ...set(d),
    // mu' = (kap mu + x) / (kap + 1)
    ...at(1), ...get(kap), ...at(1), ...load(), ...op.f64Mul, ...get(X), ...op.f64Add, ...get(kap), ...f64c(1), ...op.f64Add, ...op.f64Div, ...store(),
    // beta += kap d d / (2 (kap + 1))
    ...at(6), ...at(6), ...load(), ...get(kap), ...get(d), ...op.f64Mul, ...get(d), ...op.f64Mul, ...f64c(2), ...get(kap), ...f64c(1), ...op.f64Add, ...op.f64Mul, ...op.f64Div, ...op.f64Add, ...store(),
    // log beta += tmp
    ...at(7), ...at(7), ...load(), ...at(4), ...load(), ...op.f64Add, ...store(),
    ...at(2), ...get(kap), ...f64c(1), ...op.f64Add, ...store(),
    ...get(k), ...i32c(1), ...op.i32Add, ...set(k),
    ...get(p), ...i32c(8), ...op.i32Add, ...set(p),
    ...br(0), ...END, ...END,
    ...i32c(OUT), ...get(sum), ...store(8),
    ...i32c(OUT), ...get(maxLp), ...store(48),
    ...END,
  ];
  return [...locals, ...code];
}

// func 3: summarize(count, k0, cap): writes sum(prob * start), the mass of runs that started at or
// after k0, the first slot of the largest prob, the earliest start and sum(prob) to OUT + 16 ... + 56.
function summarizeBody(): number[] {
  // params: 0 count i32, 1 k0 f64, 2 cap i32; locals: 3 k i32, 4 p i32, 5 stride i32, 6 w, 7 st,
  //         8 total, 9 ws, 10 short, 11 best (f64), 12 bestSlot i32
  const locals = vec([
    [...uleb(3), I32],
    [...uleb(6), F64],
    [...uleb(1), I32],
    [...uleb(1), F64],
  ]);
  const COUNT = 0, K0 = 1, CAP = 2, k = 3, p = 4, stride = 5, w = 6, st = 7, total = 8, ws = 9, short = 10, best = 11, bestSlot = 12;
  const first = 13; // f64: earliest start
  const code = [
    ...get(CAP), ...i32c(3), ...op.i32Shl, ...set(stride),
    ...f64c(-1), ...set(best), ...i32c(-1), ...set(bestSlot), ...f64c(Infinity), ...set(first),
    ...i32c(0), ...set(k), ...i32c(ARRAYS), ...set(p),
    ...BLOCK, ...LOOP,
    ...get(k), ...get(COUNT), ...op.i32GeS, ...brIf(1),
    ...get(p), ...load(), ...set(w),
    ...get(p), ...get(stride), ...i32c(5), 0x6c, ...op.i32Add, ...load(), ...set(st),
    ...get(total), ...get(w), ...op.f64Add, ...set(total),
    ...get(ws), ...get(w), ...get(st), ...op.f64Mul, ...op.f64Add, ...set(ws),
    ...get(st), ...get(K0), 0x66, ...IF, ...get(short), ...get(w), ...op.f64Add, ...set(short), ...END,
    ...get(w), ...get(best), ...op.f64Gt, ...IF, ...get(w), ...set(best), ...get(k), ...set(bestSlot), ...END,
    ...get(st), ...get(first), ...op.f64Lt, ...IF, ...get(st), ...set(first), ...END,
    ...get(k), ...i32c(1), ...op.i32Add, ...set(k),
    ...get(p), ...i32c(8), ...op.i32Add, ...set(p),
    ...br(0), ...END, ...END,
    ...i32c(OUT), ...get(ws), ...store(16),
    ...i32c(OUT), ...get(short), ...store(24),
    ...i32c(OUT), ...get(bestSlot), ...op.f64ConvertI32S, ...store(32),
    ...i32c(OUT), ...get(first), ...store(40),
    ...i32c(OUT), ...get(total), ...store(56),
    ...END,
  ];
  return [...locals, ...code];
}

// func 4: scan(count, cut, map) -> the first slot of the smallest prob that is >= cut, other than
// map (-1 if none); writes the number of slots other than map whose prob is below cut to OUT.
function scanBody(): number[] {
  // params: 0 count i32, 1 cut f64, 2 map i32; locals: 3 k, 4 p (i32), 5 w, 6 worst, 7 below (f64), 8 m (i32)
  const locals = vec([
    [...uleb(2), I32],
    [...uleb(3), F64],
    [...uleb(1), I32],
  ]);
  const COUNT = 0, CUT = 1, MAP = 2, k = 3, p = 4, w = 5, worst = 6, below = 7, m = 8;
  const code = [
    ...f64c(Infinity), ...set(worst), ...i32c(-1), ...set(m),
    ...i32c(0), ...set(k), ...i32c(ARRAYS), ...set(p),
    ...BLOCK, ...LOOP,
    ...get(k), ...get(COUNT), ...op.i32GeS, ...brIf(1),
    ...get(k), ...get(MAP), 0x47, // i32.ne
    ...IF,
    ...get(p), ...load(), ...tee(w), ...get(CUT), ...op.f64Lt,
    ...IF, ...get(below), ...f64c(1), ...op.f64Add, ...set(below),
    ...ELSE, ...get(w), ...get(worst), ...op.f64Lt, ...IF, ...get(w), ...set(worst), ...get(k), ...set(m), ...END,
    ...END,
    ...END,
    ...get(k), ...i32c(1), ...op.i32Add, ...set(k),
    ...get(p), ...i32c(8), ...op.i32Add, ...set(p),
    ...br(0), ...END, ...END,
    ...i32c(OUT), ...get(below), ...store(0),
    ...get(m),
    ...END,
  ];
  return [...locals, ...code];
}

// Results go to memory (OUT), not return values: a returned f64 is boxed on every call from JS.
// The order matters: the bodies call exp and log1p as functions 0 and 1.
function moduleBytes(): Uint8Array {
  return wasmModuleBytes(
    [
      { name: "exp", params: [F64], result: F64, body: expBody() },
      { name: "log1p", params: [F64], result: F64, body: log1pBody() },
      { name: "step", params: [I32, I32, F64, F64, F64, F64, F64, I32], body: stepBody() },
      { name: "summarize", params: [I32, F64, I32], body: summarizeBody() },
      { name: "scan", params: [I32, F64, I32], result: I32, body: scanBody() },
      { name: "stepNormal", params: [I32, F64, F64, F64, F64, I32, F64, I32], body: stepNormalBody() },
    ],
    { shared: false, minimumPages: 1 },
  );
}

/** The exported kernel of one instance (both models, despite the name). */
export interface PoissonKernel {
  readonly memory: WasmMemory;
  /** Both passes of one step over runs 0..K-1 (see the file comment); the max log predictive goes to out[6]. */
  step(K: number, x: number, e: number, a0: number, b0: number, hazard: number, lp0: number, capacity: number): void;
  exp(x: number): number;
  log1p(u: number): number;
  /** Sum of prob[0..count) (out[7]); sum(prob * start), short mass (start >= k0), MAP slot, oldest start go to out[2..5]. */
  summarize(count: number, k0: number, capacity: number): void;
  /** The pruning scan: least probable slot >= cut other than map; the count below cut goes to out[0]. */
  scan(count: number, cut: number, map: number): number;
  /** The Normal-Gamma step (see stepNormalBody); `table` is the byte offset of the Student-t constants. */
  stepNormal(K: number, x: number, alpha0: number, hazard: number, lp0: number, capacity: number, t: number, table: number): void;
  /** Byte offset of the Student-t constants (after the eight per-run arrays). */
  readonly tableOffset: number;
  /** [slots below cut, sum of prob, sum(prob * start), short mass, MAP slot, earliest start, max lp, total] of the last calls. */
  readonly out: Float64Array;
}

let compiled: WasmModule | null = null;
let unavailable = false;

/** Byte offset of the Student-t constant table in a kernel with room for `capacity` runs. */
export function kernelTableOffset(capacity: number): number {
  return ARRAYS + 8 * 8 * capacity;
}

/**
 * A kernel instance with room for `capacity` runs (and `tableSize` Student-t constants after the
 * arrays), or null where WebAssembly is unavailable.
 */
export function createPoissonKernel(capacity: number, tableSize = 0): PoissonKernel | null {
  if (unavailable || wasmApi === undefined) return null;
  try {
    if (compiled === null) compiled = new wasmApi.Module(moduleBytes());
    const bytes = kernelTableOffset(capacity) + 8 * tableSize;
    const memory = new wasmApi.Memory({ initial: Math.ceil(bytes / 65536) });
    const table = new Float64Array(memory.buffer, TABLE, 64);
    for (let j = 0; j < 64; j++) table[j] = Math.pow(2, j / 64);
    const instance = new wasmApi.Instance(compiled, { env: { memory } });
    const ex = instance.exports as unknown as {
      step: PoissonKernel["step"];
      exp: PoissonKernel["exp"];
      log1p: PoissonKernel["log1p"];
      summarize: PoissonKernel["summarize"];
      scan: PoissonKernel["scan"];
      stepNormal: PoissonKernel["stepNormal"];
    };
    const out = new Float64Array(memory.buffer, OUT, 8);
    return { memory, step: ex.step, exp: ex.exp, log1p: ex.log1p, summarize: ex.summarize, scan: ex.scan, stepNormal: ex.stepNormal, out, tableOffset: kernelTableOffset(capacity) };
  } catch {
    // No WebAssembly (or a failed instantiation): bocpd.ts runs the same loops in JavaScript.
    unavailable = true;
    return null;
  }
}

/** Whether the WebAssembly kernel compiles and instantiates here (tests assert it does under Node). */
export function poissonKernelAvailable(): boolean {
  return createPoissonKernel(16) !== null;
}
