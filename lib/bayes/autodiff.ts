/**
 * Reverse-mode automatic differentiation over Float64Array.
 *
 * A Tape records one node per operation; a node holds either a scalar or a whole vector, so a
 * model over 20k rows costs a handful of nodes, not 20k. The tape keeps its buffers between
 * evaluations (`reset()` rewinds it), so a sampler that evaluates the same model thousands of times
 * allocates nothing after the first evaluation. Node handles are pooled for the same reason: node
 * `i` is the same object on every evaluation, so a user must not keep nodes across evaluations.
 *
 * Log-density helpers are fused nodes: one node computes the summed log density over all
 * (broadcast) elements and stores its partial derivatives during the forward pass, so the
 * backward pass is one multiply-add per element.
 */
import gammaln from "@stdlib/math-base-special-gammaln";
import digamma from "@stdlib/math-base-special-digamma";
import { ConfigError } from "../errors.js";

/** A value on the tape: a scalar (size 1) or a vector. Valid until the tape is reset. */
export class Node {
  constructor(
    readonly tape: Tape,
    readonly id: number,
  ) {}

  /** Number of elements (1 for a scalar). */
  get size(): number {
    return this.tape.sizeOf(this);
  }

  /** The value of a scalar node (the first element of a vector). */
  get value(): number {
    return this.tape.scalar(this);
  }
}

/** Anything an operation accepts: a node, a constant number or a constant data vector (not copied). */
export type Input = Node | number | Float64Array;

const LOG_2PI = Math.log(2 * Math.PI);
const LOG_PI = Math.log(Math.PI);
const LOG_2 = Math.LN2;

// Operation codes. Plain numbers, because a switch over small integers is what V8 compiles best.
const OP_CONST = 0;
const OP_DATA = 1;
const OP_LEAF = 2;
const OP_ADD = 3;
const OP_SUB = 4;
const OP_MUL = 5;
const OP_DIV = 6;
const OP_POW = 7;
const OP_NEG = 8;
const OP_EXP = 9;
const OP_LOG = 10;
const OP_LOG1P = 11;
const OP_EXPM1 = 12;
const OP_SQRT = 13;
const OP_SQUARE = 14;
const OP_LGAMMA = 15;
const OP_SOFTPLUS = 16;
const OP_INV_LOGIT = 17;
const OP_SUM = 18;
const OP_DOT = 19;
const OP_LOGSUMEXP = 20;
const OP_INDEX = 21;
const OP_GATHER = 22;
const OP_MATVEC = 23;
const OP_STACK = 24;
const OP_DENSITY = 25;

// Density kinds for OP_DENSITY.
const D_NORMAL = 0;
const D_HALF_NORMAL = 1;
const D_STUDENT_T = 2;
const D_EXPONENTIAL = 3;
const D_GAMMA = 4;
const D_LOGNORMAL = 5;
const D_CAUCHY = 6;
const D_POISSON = 7;
const D_POISSON_LOG = 8;
const D_WEIBULL = 9;
const D_WEIBULL_LOG_SCALE = 10;

/** Whether each density argument may carry a gradient (false = data only). */
const DENSITY_DIFFERENTIABLE: readonly (readonly boolean[])[] = [
  [true, true, true],
  [true, true],
  [true, true, true, true],
  [true, true],
  [true, true, true],
  [true, true, true],
  [true, true, true],
  [false, true],
  [false, true],
  [true, true, true, false],
  [true, true, true, false],
];

const DENSITY_NAMES = [
  "normal",
  "halfNormal",
  "studentT",
  "exponential",
  "gamma",
  "lognormal",
  "cauchy",
  "poisson",
  "poissonLog",
  "weibull",
  "weibullLogScale",
];

/** A reusable recording of operations with forward values and reverse-mode adjoints. */
export class Tape {
  private cap = 0;
  private count = 0;
  private op: Int32Array = new Int32Array(0);
  private argA: Int32Array = new Int32Array(0);
  private argB: Int32Array = new Int32Array(0);
  private argC: Int32Array = new Int32Array(0);
  private argD: Int32Array = new Int32Array(0);
  private sizes: Int32Array = new Int32Array(0);
  private offs: Int32Array = new Int32Array(0);
  private auxOffs: Int32Array = new Int32Array(0);
  private needs: Uint8Array = new Uint8Array(0);
  private num: Float64Array = new Float64Array(0);
  private dataRef: (Float64Array | null)[] = [];
  private idxRef: (Int32Array | null)[] = [];
  private nodes: Node[] = [];

  /** Forward values of every node, at the node's offset. */
  val: Float64Array = new Float64Array(1024);
  /** Adjoints (d output / d node), filled by `backward`. */
  adj: Float64Array = new Float64Array(1024);
  private aux: Float64Array = new Float64Array(1024);
  private ints: Int32Array = new Int32Array(64);
  private nVal = 0;
  private nAux = 0;
  private nInts = 0;

  constructor() {
    this.grow(256);
  }

  /** Rewind the tape so the next evaluation reuses every buffer. */
  reset(): void {
    this.count = 0;
    this.nVal = 0;
    this.nAux = 0;
    this.nInts = 0;
  }

  /** Number of nodes recorded since the last reset. */
  get length(): number {
    return this.count;
  }

  /** Size of a node (1 for a scalar). */
  sizeOf(x: Node): number {
    return this.sizes[this.own(x)];
  }

  /** Value of a scalar node. */
  scalar(x: Node): number {
    const id = this.own(x);
    const ref = this.dataRef[id];
    return ref !== null ? ref[0] : this.val[this.offs[id]];
  }

  /** A copy of a node's values. */
  values(x: Node): Float64Array {
    const id = this.own(x);
    const ref = this.dataRef[id];
    if (ref !== null) return Float64Array.from(ref);
    return this.val.slice(this.offs[id], this.offs[id] + this.sizes[id]);
  }

  /** Offset of a node's values in `val` and its adjoints in `adj` (not valid for data nodes). */
  offsetOf(x: Node): number {
    return this.offs[this.own(x)];
  }

  /** A differentiable input of `size` elements whose values the caller writes at `offsetOf`. */
  leaf(size: number): Node {
    const id = this.push(OP_LEAF, size, 1, -1, -1, -1, -1, 0);
    return this.nodes[id];
  }

  /** The pooled handle of node `id` (valid once that node exists in the current evaluation). */
  nodeAt(id: number): Node {
    if (id < 0 || id >= this.count) throw new ConfigError(`node ${id} does not exist (tape has ${this.count} nodes)`);
    return this.nodes[id];
  }

  /** A constant scalar. */
  constant(value: number): Node {
    const id = this.push(OP_CONST, 1, 0, -1, -1, -1, -1, 0);
    this.val[this.offs[id]] = value;
    return this.nodes[id];
  }

  /** A constant vector referenced without copying (must not change during the evaluation). */
  data(values: Float64Array): Node {
    return this.nodes[this.dataId(values)];
  }

  // ---------------------------------------------------------------- elementwise binary

  /** Elementwise a + b (a scalar broadcasts over a vector). */
  add(a: Input, b: Input): Node {
    return this.binary(OP_ADD, a, b);
  }

  /** Elementwise a - b. */
  sub(a: Input, b: Input): Node {
    return this.binary(OP_SUB, a, b);
  }

  /** Elementwise a * b. */
  mul(a: Input, b: Input): Node {
    return this.binary(OP_MUL, a, b);
  }

  /** Elementwise a / b. */
  div(a: Input, b: Input): Node {
    return this.binary(OP_DIV, a, b);
  }

  /** Elementwise a ^ b. */
  pow(a: Input, b: Input): Node {
    return this.binary(OP_POW, a, b);
  }

  // ---------------------------------------------------------------- elementwise unary

  /** Elementwise -a. */
  neg(a: Input): Node {
    return this.unary(OP_NEG, a);
  }
  /** Elementwise exp(a). */
  exp(a: Input): Node {
    return this.unary(OP_EXP, a);
  }
  /** Elementwise natural log. */
  log(a: Input): Node {
    return this.unary(OP_LOG, a);
  }
  /** Elementwise log(1 + a), accurate near 0. */
  log1p(a: Input): Node {
    return this.unary(OP_LOG1P, a);
  }
  /** Elementwise exp(a) - 1, accurate near 0. */
  expm1(a: Input): Node {
    return this.unary(OP_EXPM1, a);
  }
  /** Elementwise square root. */
  sqrt(a: Input): Node {
    return this.unary(OP_SQRT, a);
  }
  /** Elementwise a^2. */
  square(a: Input): Node {
    return this.unary(OP_SQUARE, a);
  }
  /** Elementwise log-gamma function. */
  lgamma(a: Input): Node {
    return this.unary(OP_LGAMMA, a);
  }
  /** Elementwise log(1 + exp(a)) (softplus, log1p_exp), stable for large |a|. */
  softplus(a: Input): Node {
    return this.unary(OP_SOFTPLUS, a);
  }
  /** Elementwise 1 / (1 + exp(-a)). */
  invLogit(a: Input): Node {
    return this.unary(OP_INV_LOGIT, a);
  }

  // ---------------------------------------------------------------- reductions and indexing

  /** Sum of all elements (a scalar). */
  sum(a: Input): Node {
    const ia = this.input(a);
    const id = this.push(OP_SUM, 1, this.needs[ia], ia, -1, -1, -1, 0);
    const A = this.arr(ia);
    const ao = this.offOf(ia);
    const n = this.sizes[ia];
    let s = 0;
    for (let i = 0; i < n; i++) s += A[ao + i];
    this.val[this.offs[id]] = s;
    return this.nodes[id];
  }

  /** Inner product of two vectors of equal size (a scalar). */
  dot(a: Input, b: Input): Node {
    const ia = this.input(a);
    const ib = this.input(b);
    const n = this.sizes[ia];
    if (this.sizes[ib] !== n) throw new ConfigError(`dot: sizes differ (${n} vs ${this.sizes[ib]})`);
    const id = this.push(OP_DOT, 1, this.needs[ia] | this.needs[ib], ia, ib, -1, -1, 0);
    const A = this.arr(ia);
    const ao = this.offOf(ia);
    const B = this.arr(ib);
    const bo = this.offOf(ib);
    let s = 0;
    for (let i = 0; i < n; i++) s += A[ao + i] * B[bo + i];
    this.val[this.offs[id]] = s;
    return this.nodes[id];
  }

  /** log(sum(exp(a))) computed without overflow (a scalar). */
  logSumExp(a: Input): Node {
    const ia = this.input(a);
    const id = this.push(OP_LOGSUMEXP, 1, this.needs[ia], ia, -1, -1, -1, 0);
    const A = this.arr(ia);
    const ao = this.offOf(ia);
    const n = this.sizes[ia];
    let m = -Infinity;
    for (let i = 0; i < n; i++) if (A[ao + i] > m) m = A[ao + i];
    let s = 0;
    if (m === -Infinity || m === Infinity) {
      this.val[this.offs[id]] = m;
      return this.nodes[id];
    }
    for (let i = 0; i < n; i++) s += Math.exp(A[ao + i] - m);
    this.val[this.offs[id]] = m + Math.log(s);
    return this.nodes[id];
  }

  /** Element `i` of a vector (a scalar). */
  index(a: Input, i: number): Node {
    const ia = this.input(a);
    if (!Number.isInteger(i) || i < 0 || i >= this.sizes[ia]) {
      throw new ConfigError(`index: ${i} is out of range for a vector of size ${this.sizes[ia]}`);
    }
    const id = this.push(OP_INDEX, 1, this.needs[ia], ia, -1, -1, -1, 0);
    this.num[id] = i;
    this.val[this.offs[id]] = this.arr(ia)[this.offOf(ia) + i];
    return this.nodes[id];
  }

  /** out[k] = a[idx[k]]: index a parameter vector by a group column (e.g. vehicle effects per row). */
  gather(a: Input, idx: Int32Array): Node {
    const ia = this.input(a);
    const m = this.sizes[ia];
    const n = idx.length;
    const id = this.push(OP_GATHER, n, this.needs[ia], ia, -1, -1, -1, 0);
    this.idxRef[id] = idx;
    const A = this.arr(ia);
    const ao = this.offOf(ia);
    const V = this.val;
    const o = this.offs[id];
    for (let k = 0; k < n; k++) {
      const j = idx[k];
      if (j >= m || j < 0) throw new ConfigError(`gather: index ${j} at row ${k} is out of range for size ${m}`);
      V[o + k] = A[ao + j];
    }
    return this.nodes[id];
  }

  /** X b for a constant row-major matrix X (rows x b.size) and a vector b. */
  matvec(x: Float64Array, rows: number, b: Input): Node {
    const ib = this.input(b);
    const p = this.sizes[ib];
    if (x.length !== rows * p) {
      throw new ConfigError(`matvec: matrix has ${x.length} entries, expected ${rows} x ${p}`);
    }
    const ix = this.dataId(x);
    const id = this.push(OP_MATVEC, rows, this.needs[ib], ix, ib, -1, -1, 0);
    const B = this.arr(ib);
    const bo = this.offOf(ib);
    const V = this.val;
    const o = this.offs[id];
    for (let r = 0; r < rows; r++) {
      let s = 0;
      const base = r * p;
      for (let j = 0; j < p; j++) s += x[base + j] * B[bo + j];
      V[o + r] = s;
    }
    return this.nodes[id];
  }

  /** A vector made of scalars. */
  stack(items: readonly Input[]): Node {
    const n = items.length;
    const start = this.nInts;
    this.ensureInts(start + n);
    let need = 0;
    for (let k = 0; k < n; k++) {
      const ik = this.input(items[k]);
      if (this.sizes[ik] !== 1) throw new ConfigError(`stack: item ${k} is a vector of size ${this.sizes[ik]}`);
      this.ints[start + k] = ik;
      need |= this.needs[ik];
    }
    this.nInts = start + n;
    const id = this.push(OP_STACK, n, need, start, -1, -1, -1, 0);
    const V = this.val;
    const o = this.offs[id];
    for (let k = 0; k < n; k++) {
      const ik = this.ints[start + k];
      V[o + k] = this.arr(ik)[this.offOf(ik)];
    }
    return this.nodes[id];
  }

  // ---------------------------------------------------------------- log densities (summed)

  /** Sum of Normal(mu, sigma) log densities at x. */
  normal(x: Input, mu: Input, sigma: Input): Node {
    return this.density(D_NORMAL, x, mu, sigma, undefined);
  }
  /** Sum of HalfNormal(sigma) log densities at x (support x >= 0). */
  halfNormal(x: Input, sigma: Input): Node {
    return this.density(D_HALF_NORMAL, x, sigma, undefined, undefined);
  }
  /** Sum of Student-t(nu, mu, sigma) log densities at x. */
  studentT(x: Input, nu: Input, mu: Input, sigma: Input): Node {
    return this.density(D_STUDENT_T, x, nu, mu, sigma);
  }
  /** Sum of Exponential(rate) log densities at x. */
  exponential(x: Input, rate: Input): Node {
    return this.density(D_EXPONENTIAL, x, rate, undefined, undefined);
  }
  /** Sum of Gamma(shape, rate) log densities at x. */
  gamma(x: Input, shape: Input, rate: Input): Node {
    return this.density(D_GAMMA, x, shape, rate, undefined);
  }
  /** Sum of LogNormal(mu, sigma) log densities at x. */
  lognormal(x: Input, mu: Input, sigma: Input): Node {
    return this.density(D_LOGNORMAL, x, mu, sigma, undefined);
  }
  /** Sum of Cauchy(mu, sigma) log densities at x. */
  cauchy(x: Input, mu: Input, sigma: Input): Node {
    return this.density(D_CAUCHY, x, mu, sigma, undefined);
  }
  /** Sum of Poisson(rate) log probabilities of the counts k (data). */
  poisson(k: Input, rate: Input): Node {
    return this.density(D_POISSON, k, rate, undefined, undefined);
  }
  /** Sum of Poisson(exp(logRate)) log probabilities of the counts k (data). */
  poissonLog(k: Input, logRate: Input): Node {
    return this.density(D_POISSON_LOG, k, logRate, undefined, undefined);
  }
  /**
   * Weibull(shape alpha, scale lambda) log likelihood with right censoring: log density where
   * event = 1, log survival -(t/lambda)^alpha where event = 0 (event omitted = all events).
   */
  weibull(t: Input, alpha: Input, lambda: Input, event?: Input): Node {
    return this.density(D_WEIBULL, t, alpha, lambda, event ?? 1);
  }
  /** The censored Weibull log likelihood with the scale given on the log scale (log lambda). */
  weibullLogScale(t: Input, alpha: Input, logLambda: Input, event?: Input): Node {
    return this.density(D_WEIBULL_LOG_SCALE, t, alpha, logLambda, event ?? 1);
  }

  // ---------------------------------------------------------------- reverse pass

  /** Fill `adj` with d output / d node for every node (output must be a scalar). */
  backward(output: Node): void {
    const out = this.own(output);
    if (this.sizes[out] !== 1) throw new ConfigError(`backward: output must be a scalar, got size ${this.sizes[out]}`);
    const adj = this.adj;
    adj.fill(0, 0, this.nVal);
    adj[this.offs[out]] = 1;
    for (let id = out; id >= 0; id--) {
      if (this.needs[id] === 0) continue;
      const code = this.op[id];
      if (code === OP_LEAF) continue;
      this.backwardNode(id, code);
    }
  }

  /** Gradient of a scalar node with respect to a node, copied out (for tests and users). */
  gradientOf(x: Node): Float64Array {
    const id = this.own(x);
    return this.adj.slice(this.offs[id], this.offs[id] + this.sizes[id]);
  }

  // ---------------------------------------------------------------- internals

  private own(x: Node): number {
    if (x.tape !== this) throw new ConfigError("a node from another tape was used");
    if (x.id >= this.count) throw new ConfigError(`node ${x.id} is stale: the tape was reset after it was made`);
    return x.id;
  }

  private input(x: Input): number {
    if (typeof x === "number") return this.constant(x).id;
    if (x instanceof Float64Array) return this.dataId(x);
    return this.own(x);
  }

  private dataId(values: Float64Array): number {
    const id = this.push(OP_DATA, values.length, 0, -1, -1, -1, -1, 0);
    this.dataRef[id] = values;
    return id;
  }

  private arr(id: number): Float64Array {
    const ref = this.dataRef[id];
    return ref !== null ? ref : this.val;
  }

  private offOf(id: number): number {
    return this.dataRef[id] !== null ? 0 : this.offs[id];
  }

  private grow(cap: number): void {
    const copyI = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.op = copyI(this.op);
    this.argA = copyI(this.argA);
    this.argB = copyI(this.argB);
    this.argC = copyI(this.argC);
    this.argD = copyI(this.argD);
    this.sizes = copyI(this.sizes);
    this.offs = copyI(this.offs);
    this.auxOffs = copyI(this.auxOffs);
    const needs = new Uint8Array(cap);
    needs.set(this.needs);
    this.needs = needs;
    const num = new Float64Array(cap);
    num.set(this.num);
    this.num = num;
    for (let i = this.cap; i < cap; i++) {
      this.dataRef.push(null);
      this.idxRef.push(null);
      this.nodes.push(new Node(this, i));
    }
    this.cap = cap;
  }

  private ensureVal(n: number): void {
    if (n <= this.val.length) return;
    let len = this.val.length * 2;
    while (len < n) len *= 2;
    const v = new Float64Array(len);
    v.set(this.val.subarray(0, this.nVal));
    this.val = v;
    this.adj = new Float64Array(len);
  }

  private ensureAux(n: number): void {
    if (n <= this.aux.length) return;
    let len = this.aux.length * 2;
    while (len < n) len *= 2;
    const v = new Float64Array(len);
    v.set(this.aux.subarray(0, this.nAux));
    this.aux = v;
  }

  private ensureInts(n: number): void {
    if (n <= this.ints.length) return;
    let len = this.ints.length * 2;
    while (len < n) len *= 2;
    const v = new Int32Array(len);
    v.set(this.ints.subarray(0, this.nInts));
    this.ints = v;
  }

  private push(code: number, size: number, need: number, a: number, b: number, c: number, d: number, auxSize: number): number {
    if (this.count === this.cap) this.grow(this.cap * 2);
    const id = this.count++;
    this.op[id] = code;
    this.argA[id] = a;
    this.argB[id] = b;
    this.argC[id] = c;
    this.argD[id] = d;
    this.sizes[id] = size;
    this.needs[id] = need;
    this.dataRef[id] = null;
    this.idxRef[id] = null;
    if (code === OP_DATA) {
      this.offs[id] = 0;
    } else {
      this.offs[id] = this.nVal;
      this.nVal += size;
      this.ensureVal(this.nVal);
    }
    this.auxOffs[id] = this.nAux;
    this.nAux += auxSize;
    this.ensureAux(this.nAux);
    return id;
  }

  private broadcastSize(name: string, na: number, nb: number): number {
    if (na === nb || nb === 1) return na;
    if (na === 1) return nb;
    throw new ConfigError(`${name}: sizes ${na} and ${nb} do not broadcast`);
  }

  private binary(code: number, a: Input, b: Input): Node {
    const ia = this.input(a);
    const ib = this.input(b);
    const na = this.sizes[ia];
    const nb = this.sizes[ib];
    const n = this.broadcastSize(opName(code), na, nb);
    const id = this.push(code, n, this.needs[ia] | this.needs[ib], ia, ib, -1, -1, 0);
    const A = this.arr(ia);
    const ao = this.offOf(ia);
    const B = this.arr(ib);
    const bo = this.offOf(ib);
    const sa = na === 1 ? 0 : 1;
    const sb = nb === 1 ? 0 : 1;
    const V = this.val;
    const o = this.offs[id];
    switch (code) {
      case OP_ADD:
        for (let i = 0; i < n; i++) V[o + i] = A[ao + i * sa] + B[bo + i * sb];
        break;
      case OP_SUB:
        for (let i = 0; i < n; i++) V[o + i] = A[ao + i * sa] - B[bo + i * sb];
        break;
      case OP_MUL:
        for (let i = 0; i < n; i++) V[o + i] = A[ao + i * sa] * B[bo + i * sb];
        break;
      case OP_DIV:
        for (let i = 0; i < n; i++) V[o + i] = A[ao + i * sa] / B[bo + i * sb];
        break;
      default:
        for (let i = 0; i < n; i++) V[o + i] = Math.pow(A[ao + i * sa], B[bo + i * sb]);
    }
    return this.nodes[id];
  }

  private unary(code: number, a: Input): Node {
    const ia = this.input(a);
    const n = this.sizes[ia];
    const id = this.push(code, n, this.needs[ia], ia, -1, -1, -1, 0);
    const A = this.arr(ia);
    const ao = this.offOf(ia);
    const V = this.val;
    const o = this.offs[id];
    switch (code) {
      case OP_NEG:
        for (let i = 0; i < n; i++) V[o + i] = -A[ao + i];
        break;
      case OP_EXP:
        for (let i = 0; i < n; i++) V[o + i] = Math.exp(A[ao + i]);
        break;
      case OP_LOG:
        for (let i = 0; i < n; i++) V[o + i] = Math.log(A[ao + i]);
        break;
      case OP_LOG1P:
        for (let i = 0; i < n; i++) V[o + i] = Math.log1p(A[ao + i]);
        break;
      case OP_EXPM1:
        for (let i = 0; i < n; i++) V[o + i] = Math.expm1(A[ao + i]);
        break;
      case OP_SQRT:
        for (let i = 0; i < n; i++) V[o + i] = Math.sqrt(A[ao + i]);
        break;
      case OP_SQUARE:
        for (let i = 0; i < n; i++) V[o + i] = A[ao + i] * A[ao + i];
        break;
      case OP_LGAMMA:
        for (let i = 0; i < n; i++) V[o + i] = gammaln(A[ao + i]);
        break;
      case OP_SOFTPLUS:
        for (let i = 0; i < n; i++) V[o + i] = softplus(A[ao + i]);
        break;
      default:
        for (let i = 0; i < n; i++) V[o + i] = invLogit(A[ao + i]);
    }
    return this.nodes[id];
  }

  private density(kind: number, a: Input, b: Input, c: Input | undefined, d: Input | undefined): Node {
    const ids = this.scratchIds;
    ids[0] = this.input(a);
    ids[1] = this.input(b);
    ids[2] = c === undefined ? -1 : this.input(c);
    ids[3] = d === undefined ? -1 : this.input(d);
    const diff = DENSITY_DIFFERENTIABLE[kind];
    let n = 1;
    let need = 0;
    let auxSize = 1; // slot 0 absorbs partials nobody needs, so kernels never branch on it
    for (let k = 0; k < 4; k++) {
      const ik = ids[k];
      if (ik < 0) continue;
      const nk = this.sizes[ik];
      if (nk !== 1) {
        if (n !== 1 && nk !== n) {
          throw new ConfigError(`${DENSITY_NAMES[kind]}: argument ${k + 1} has size ${nk}, expected ${n} or 1`);
        }
        n = nk;
      }
      if (this.needs[ik] === 1) {
        if (!diff[k]) {
          throw new ConfigError(`${DENSITY_NAMES[kind]}: argument ${k + 1} must be data, not a parameter`);
        }
        need = 1;
        auxSize += nk;
      }
    }
    const id = this.push(OP_DENSITY, 1, need, ids[0], ids[1], ids[2], ids[3], auxSize);
    this.num[id] = kind;
    const aux = this.aux;
    const base = this.auxOffs[id];
    aux.fill(0, base, base + auxSize);
    // Per argument: values (array, offset, stride) and partial slots (offset, stride).
    const vA: Float64Array[] = this.scratchArrays;
    const vO = this.scratchOff;
    const vS = this.scratchStride;
    const gO = this.scratchGOff;
    const gS = this.scratchGStride;
    let next = base + 1;
    for (let k = 0; k < 4; k++) {
      const ik = ids[k];
      if (ik < 0) {
        vA[k] = ONE;
        vO[k] = 0;
        vS[k] = 0;
        gO[k] = base;
        gS[k] = 0;
        continue;
      }
      const nk = this.sizes[ik];
      vA[k] = this.arr(ik);
      vO[k] = this.offOf(ik);
      vS[k] = nk === 1 ? 0 : 1;
      if (this.needs[ik] === 1) {
        gO[k] = next;
        gS[k] = nk === 1 ? 0 : 1;
        next += nk;
      } else {
        gO[k] = base;
        gS[k] = 0;
      }
    }
    let value: number;
    switch (kind) {
      case D_NORMAL:
        value = kNormal(n, vA[0], vO[0], vS[0], vA[1], vO[1], vS[1], vA[2], vO[2], vS[2], aux, gO[0], gS[0], gO[1], gS[1], gO[2], gS[2]);
        break;
      case D_HALF_NORMAL:
        value = kHalfNormal(n, vA[0], vO[0], vS[0], vA[1], vO[1], vS[1], aux, gO[0], gS[0], gO[1], gS[1]);
        break;
      case D_STUDENT_T:
        value = kStudentT(n, vA, vO, vS, aux, gO, gS);
        break;
      case D_EXPONENTIAL:
        value = kExponential(n, vA[0], vO[0], vS[0], vA[1], vO[1], vS[1], aux, gO[0], gS[0], gO[1], gS[1]);
        break;
      case D_GAMMA:
        value = kGamma(n, vA[0], vO[0], vS[0], vA[1], vO[1], vS[1], vA[2], vO[2], vS[2], aux, gO[0], gS[0], gO[1], gS[1], gO[2], gS[2]);
        break;
      case D_LOGNORMAL:
        value = kLognormal(n, vA[0], vO[0], vS[0], vA[1], vO[1], vS[1], vA[2], vO[2], vS[2], aux, gO[0], gS[0], gO[1], gS[1], gO[2], gS[2]);
        break;
      case D_CAUCHY:
        value = kCauchy(n, vA[0], vO[0], vS[0], vA[1], vO[1], vS[1], vA[2], vO[2], vS[2], aux, gO[0], gS[0], gO[1], gS[1], gO[2], gS[2]);
        break;
      case D_POISSON:
      case D_POISSON_LOG:
        value = kPoisson(kind === D_POISSON_LOG, n, vA[0], vO[0], vS[0], vA[1], vO[1], vS[1], aux, gO[1], gS[1]);
        break;
      default:
        value = kWeibull(kind === D_WEIBULL_LOG_SCALE, n, vA, vO, vS, aux, gO, gS);
    }
    this.val[this.offs[id]] = value;
    return this.nodes[id];
  }

  private readonly scratchArrays: Float64Array[] = [ONE_INIT(), ONE_INIT(), ONE_INIT(), ONE_INIT()];
  private readonly scratchIds = new Int32Array(4);
  private readonly scratchOff = new Int32Array(4);
  private readonly scratchStride = new Int32Array(4);
  private readonly scratchGOff = new Int32Array(4);
  private readonly scratchGStride = new Int32Array(4);

  /** Add g * partial to an argument's adjoints; `gs` 0 means a scalar argument. */
  private accumulate(ia: number, n: number, G: Float64Array, go: number, gs: number, F: Float64Array | null, fo: number, fs: number): void {
    if (this.needs[ia] === 0) return;
    const adj = this.adj;
    const ao = this.offs[ia];
    const na = this.sizes[ia];
    if (na === n && n !== 1) {
      if (F === null) for (let i = 0; i < n; i++) adj[ao + i] += G[go + i * gs];
      else for (let i = 0; i < n; i++) adj[ao + i] += G[go + i * gs] * F[fo + i * fs];
    } else {
      let s = 0;
      if (F === null) for (let i = 0; i < n; i++) s += G[go + i * gs];
      else for (let i = 0; i < n; i++) s += G[go + i * gs] * F[fo + i * fs];
      adj[ao] += s;
    }
  }

  private backwardNode(id: number, code: number): void {
    const adj = this.adj;
    const V = this.val;
    const o = this.offs[id];
    const n = this.sizes[id];
    const ia = this.argA[id];
    const ib = this.argB[id];
    switch (code) {
      case OP_ADD:
        this.accumulate(ia, n, adj, o, 1, null, 0, 0);
        this.accumulate(ib, n, adj, o, 1, null, 0, 0);
        return;
      case OP_SUB:
        this.accumulate(ia, n, adj, o, 1, null, 0, 0);
        if (this.needs[ib] === 1) {
          const bo = this.offs[ib];
          if (this.sizes[ib] === n && n !== 1) for (let i = 0; i < n; i++) adj[bo + i] -= adj[o + i];
          else {
            let s = 0;
            for (let i = 0; i < n; i++) s += adj[o + i];
            adj[bo] -= s;
          }
        }
        return;
      case OP_MUL: {
        const sa = this.sizes[ia] === 1 ? 0 : 1;
        const sb = this.sizes[ib] === 1 ? 0 : 1;
        this.accumulate(ia, n, adj, o, 1, this.arr(ib), this.offOf(ib), sb);
        this.accumulate(ib, n, adj, o, 1, this.arr(ia), this.offOf(ia), sa);
        return;
      }
      case OP_DIV: {
        // d(a/b)/da = 1/b, d(a/b)/db = -out/b
        const B = this.arr(ib);
        const bo = this.offOf(ib);
        const sb = this.sizes[ib] === 1 ? 0 : 1;
        if (this.needs[ia] === 1) {
          const ao = this.offs[ia];
          if (this.sizes[ia] === n && n !== 1) for (let i = 0; i < n; i++) adj[ao + i] += adj[o + i] / B[bo + i * sb];
          else {
            let s = 0;
            for (let i = 0; i < n; i++) s += adj[o + i] / B[bo + i * sb];
            adj[ao] += s;
          }
        }
        if (this.needs[ib] === 1) {
          const bo2 = this.offs[ib];
          if (sb === 1 && n !== 1) for (let i = 0; i < n; i++) adj[bo2 + i] -= (adj[o + i] * V[o + i]) / B[bo + i];
          else {
            let s = 0;
            for (let i = 0; i < n; i++) s += (adj[o + i] * V[o + i]) / B[bo];
            adj[bo2] -= s;
          }
        }
        return;
      }
      case OP_POW: {
        const A = this.arr(ia);
        const ao = this.offOf(ia);
        const sa = this.sizes[ia] === 1 ? 0 : 1;
        const B = this.arr(ib);
        const bo = this.offOf(ib);
        const sb = this.sizes[ib] === 1 ? 0 : 1;
        if (this.needs[ia] === 1) {
          const ga = this.offs[ia];
          let s = 0;
          for (let i = 0; i < n; i++) {
            const b = B[bo + i * sb];
            const d = adj[o + i] * b * Math.pow(A[ao + i * sa], b - 1);
            if (sa === 1) adj[ga + i] += d;
            else s += d;
          }
          if (sa === 0) adj[ga] += s;
        }
        if (this.needs[ib] === 1) {
          const gb = this.offs[ib];
          let s = 0;
          for (let i = 0; i < n; i++) {
            const d = adj[o + i] * V[o + i] * Math.log(A[ao + i * sa]);
            if (sb === 1) adj[gb + i] += d;
            else s += d;
          }
          if (sb === 0) adj[gb] += s;
        }
        return;
      }
      case OP_NEG: {
        const ao = this.offs[ia];
        for (let i = 0; i < n; i++) adj[ao + i] -= adj[o + i];
        return;
      }
      case OP_EXP: {
        const ao = this.offs[ia];
        for (let i = 0; i < n; i++) adj[ao + i] += adj[o + i] * V[o + i];
        return;
      }
      case OP_LOG: {
        const ao = this.offs[ia];
        for (let i = 0; i < n; i++) adj[ao + i] += adj[o + i] / V[ao + i];
        return;
      }
      case OP_LOG1P: {
        const ao = this.offs[ia];
        for (let i = 0; i < n; i++) adj[ao + i] += adj[o + i] / (1 + V[ao + i]);
        return;
      }
      case OP_EXPM1: {
        const ao = this.offs[ia];
        for (let i = 0; i < n; i++) adj[ao + i] += adj[o + i] * (V[o + i] + 1);
        return;
      }
      case OP_SQRT: {
        const ao = this.offs[ia];
        for (let i = 0; i < n; i++) adj[ao + i] += (0.5 * adj[o + i]) / V[o + i];
        return;
      }
      case OP_SQUARE: {
        const ao = this.offs[ia];
        for (let i = 0; i < n; i++) adj[ao + i] += 2 * adj[o + i] * V[ao + i];
        return;
      }
      case OP_LGAMMA: {
        const ao = this.offs[ia];
        for (let i = 0; i < n; i++) adj[ao + i] += adj[o + i] * digamma(V[ao + i]);
        return;
      }
      case OP_SOFTPLUS: {
        const ao = this.offs[ia];
        for (let i = 0; i < n; i++) adj[ao + i] += adj[o + i] * invLogit(V[ao + i]);
        return;
      }
      case OP_INV_LOGIT: {
        const ao = this.offs[ia];
        for (let i = 0; i < n; i++) adj[ao + i] += adj[o + i] * V[o + i] * (1 - V[o + i]);
        return;
      }
      case OP_SUM: {
        const ao = this.offs[ia];
        const g = adj[o];
        const m = this.sizes[ia];
        for (let i = 0; i < m; i++) adj[ao + i] += g;
        return;
      }
      case OP_DOT: {
        const m = this.sizes[ia];
        const g = adj[o];
        if (this.needs[ia] === 1) {
          const B = this.arr(ib);
          const bo = this.offOf(ib);
          const ao = this.offs[ia];
          for (let i = 0; i < m; i++) adj[ao + i] += g * B[bo + i];
        }
        if (this.needs[ib] === 1) {
          const A = this.arr(ia);
          const ao = this.offOf(ia);
          const bo = this.offs[ib];
          for (let i = 0; i < m; i++) adj[bo + i] += g * A[ao + i];
        }
        return;
      }
      case OP_LOGSUMEXP: {
        const ao = this.offs[ia];
        const m = this.sizes[ia];
        const g = adj[o];
        const out = V[o];
        if (!Number.isFinite(out)) return;
        for (let i = 0; i < m; i++) adj[ao + i] += g * Math.exp(V[ao + i] - out);
        return;
      }
      case OP_INDEX:
        adj[this.offs[ia] + this.num[id]] += adj[o];
        return;
      case OP_GATHER: {
        const idx = this.idxRef[id] as Int32Array;
        const ao = this.offs[ia];
        for (let k = 0; k < n; k++) adj[ao + idx[k]] += adj[o + k];
        return;
      }
      case OP_MATVEC: {
        const X = this.dataRef[ia] as Float64Array;
        const p = this.sizes[ib];
        const bo = this.offs[ib];
        for (let r = 0; r < n; r++) {
          const g = adj[o + r];
          if (g === 0) continue;
          const base = r * p;
          for (let j = 0; j < p; j++) adj[bo + j] += g * X[base + j];
        }
        return;
      }
      case OP_STACK: {
        for (let k = 0; k < n; k++) {
          const ik = this.ints[ia + k];
          if (this.needs[ik] === 1) adj[this.offs[ik]] += adj[o + k];
        }
        return;
      }
      case OP_DENSITY: {
        const g = adj[o];
        const aux = this.aux;
        let next = this.auxOffs[id] + 1;
        for (let k = 0; k < 4; k++) {
          const ik = k === 0 ? ia : k === 1 ? ib : k === 2 ? this.argC[id] : this.argD[id];
          if (ik < 0 || this.needs[ik] === 0) continue;
          const nk = this.sizes[ik];
          const ao = this.offs[ik];
          for (let i = 0; i < nk; i++) adj[ao + i] += g * aux[next + i];
          next += nk;
        }
        return;
      }
      default:
        return;
    }
  }
}

function ONE_INIT(): Float64Array {
  return new Float64Array(1);
}
const ONE = new Float64Array([1]);

function opName(code: number): string {
  return ["const", "data", "leaf", "add", "sub", "mul", "div", "pow"][code] ?? `op${code}`;
}

/** log(1 + exp(x)) without overflow. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** 1 / (1 + exp(-x)) without overflow. */
export function invLogit(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

// ---------------------------------------------------------------- density kernels
// Each kernel returns the summed log density and adds partials at aux[g? + i*gs?]. A stride of 0
// sums the partials of a broadcast scalar; an offset at the node's junk slot discards them.

function kNormal(
  n: number,
  X: Float64Array, xo: number, xs: number,
  M: Float64Array, mo: number, ms: number,
  S: Float64Array, so: number, ss: number,
  aux: Float64Array, gx: number, gxs: number, gm: number, gms: number, gs: number, gss: number,
): number {
  let lp = 0;
  for (let i = 0; i < n; i++) {
    const sigma = S[so + i * ss];
    if (!(sigma > 0)) return -Infinity;
    const inv = 1 / sigma;
    const z = (X[xo + i * xs] - M[mo + i * ms]) * inv;
    lp += -0.5 * z * z - Math.log(sigma);
    const dz = z * inv;
    aux[gx + i * gxs] -= dz;
    aux[gm + i * gms] += dz;
    aux[gs + i * gss] += (z * z - 1) * inv;
  }
  return lp - 0.5 * LOG_2PI * n;
}

function kHalfNormal(
  n: number,
  X: Float64Array, xo: number, xs: number,
  S: Float64Array, so: number, ss: number,
  aux: Float64Array, gx: number, gxs: number, gs: number, gss: number,
): number {
  let lp = 0;
  for (let i = 0; i < n; i++) {
    const sigma = S[so + i * ss];
    const x = X[xo + i * xs];
    if (!(sigma > 0) || x < 0) return -Infinity;
    const inv = 1 / sigma;
    const z = x * inv;
    lp += -0.5 * z * z - Math.log(sigma);
    aux[gx + i * gxs] -= z * inv;
    aux[gs + i * gss] += (z * z - 1) * inv;
  }
  return lp + n * (LOG_2 - 0.5 * LOG_2PI);
}

function kStudentT(n: number, A: Float64Array[], O: Int32Array, St: Int32Array, aux: Float64Array, G: Int32Array, GS: Int32Array): number {
  const X = A[0], N = A[1], M = A[2], S = A[3];
  const xo = O[0], no = O[1], mo = O[2], so = O[3];
  const xs = St[0], ns = St[1], ms = St[2], ss = St[3];
  const gx = G[0], gn = G[1], gm = G[2], gs = G[3];
  const gxs = GS[0], gns = GS[1], gms = GS[2], gss = GS[3];
  let lp = 0;
  for (let i = 0; i < n; i++) {
    const nu = N[no + i * ns];
    const sigma = S[so + i * ss];
    if (!(nu > 0) || !(sigma > 0)) return -Infinity;
    const z = (X[xo + i * xs] - M[mo + i * ms]) / sigma;
    const r = (z * z) / nu;
    const l1r = Math.log1p(r);
    const h = 0.5 * (nu + 1);
    lp += gammaln(h) - gammaln(0.5 * nu) - 0.5 * Math.log(nu) - 0.5 * LOG_PI - Math.log(sigma) - h * l1r;
    const dx = -((nu + 1) * z) / (sigma * nu * (1 + r));
    aux[gx + i * gxs] += dx;
    aux[gm + i * gms] -= dx;
    aux[gs + i * gss] += -1 / sigma + ((nu + 1) * r) / (sigma * (1 + r));
    aux[gn + i * gns] += 0.5 * (digamma(h) - digamma(0.5 * nu)) - 0.5 / nu - 0.5 * l1r + (h * r) / (nu * (1 + r));
  }
  return lp;
}

function kExponential(
  n: number,
  X: Float64Array, xo: number, xs: number,
  R: Float64Array, ro: number, rs: number,
  aux: Float64Array, gx: number, gxs: number, gr: number, grs: number,
): number {
  let lp = 0;
  for (let i = 0; i < n; i++) {
    const rate = R[ro + i * rs];
    const x = X[xo + i * xs];
    if (!(rate > 0) || x < 0) return -Infinity;
    lp += Math.log(rate) - rate * x;
    aux[gx + i * gxs] -= rate;
    aux[gr + i * grs] += 1 / rate - x;
  }
  return lp;
}

function kGamma(
  n: number,
  X: Float64Array, xo: number, xs: number,
  A: Float64Array, ao: number, as: number,
  B: Float64Array, bo: number, bs: number,
  aux: Float64Array, gx: number, gxs: number, ga: number, gas: number, gb: number, gbs: number,
): number {
  let lp = 0;
  for (let i = 0; i < n; i++) {
    const a = A[ao + i * as];
    const b = B[bo + i * bs];
    const x = X[xo + i * xs];
    if (!(a > 0) || !(b > 0) || !(x > 0)) return -Infinity;
    const lx = Math.log(x);
    const lb = Math.log(b);
    lp += a * lb - gammaln(a) + (a - 1) * lx - b * x;
    aux[gx + i * gxs] += (a - 1) / x - b;
    aux[ga + i * gas] += lb - digamma(a) + lx;
    aux[gb + i * gbs] += a / b - x;
  }
  return lp;
}

function kLognormal(
  n: number,
  X: Float64Array, xo: number, xs: number,
  M: Float64Array, mo: number, ms: number,
  S: Float64Array, so: number, ss: number,
  aux: Float64Array, gx: number, gxs: number, gm: number, gms: number, gs: number, gss: number,
): number {
  let lp = 0;
  for (let i = 0; i < n; i++) {
    const sigma = S[so + i * ss];
    const x = X[xo + i * xs];
    if (!(sigma > 0) || !(x > 0)) return -Infinity;
    const lx = Math.log(x);
    const inv = 1 / sigma;
    const z = (lx - M[mo + i * ms]) * inv;
    lp += -lx - Math.log(sigma) - 0.5 * z * z;
    aux[gx + i * gxs] += (-1 - z * inv) / x;
    aux[gm + i * gms] += z * inv;
    aux[gs + i * gss] += (z * z - 1) * inv;
  }
  return lp - 0.5 * LOG_2PI * n;
}

function kCauchy(
  n: number,
  X: Float64Array, xo: number, xs: number,
  M: Float64Array, mo: number, ms: number,
  S: Float64Array, so: number, ss: number,
  aux: Float64Array, gx: number, gxs: number, gm: number, gms: number, gs: number, gss: number,
): number {
  let lp = 0;
  for (let i = 0; i < n; i++) {
    const sigma = S[so + i * ss];
    if (!(sigma > 0)) return -Infinity;
    const z = (X[xo + i * xs] - M[mo + i * ms]) / sigma;
    const q = 1 + z * z;
    lp += -Math.log(sigma) - Math.log1p(z * z);
    const dx = (-2 * z) / (sigma * q);
    aux[gx + i * gxs] += dx;
    aux[gm + i * gms] -= dx;
    aux[gs + i * gss] += -1 / sigma + (2 * z * z) / (sigma * q);
  }
  return lp - n * LOG_PI;
}

function kPoisson(
  logLink: boolean,
  n: number,
  K: Float64Array, ko: number, ks: number,
  R: Float64Array, ro: number, rs: number,
  aux: Float64Array, gr: number, grs: number,
): number {
  let lp = 0;
  for (let i = 0; i < n; i++) {
    const k = K[ko + i * ks];
    if (!(k >= 0) || Math.floor(k) !== k) return -Infinity;
    const r = R[ro + i * rs];
    if (logLink) {
      const mu = Math.exp(r);
      lp += k * r - mu - gammaln(k + 1);
      aux[gr + i * grs] += k - mu;
    } else {
      if (r < 0 || (r === 0 && k > 0)) return -Infinity;
      lp += (k === 0 ? 0 : k * Math.log(r)) - r - gammaln(k + 1);
      aux[gr + i * grs] += k / r - 1;
    }
  }
  return lp;
}

function kWeibull(logScale: boolean, n: number, A: Float64Array[], O: Int32Array, St: Int32Array, aux: Float64Array, G: Int32Array, GS: Int32Array): number {
  const T = A[0], Al = A[1], L = A[2], E = A[3];
  const to = O[0], alo = O[1], lo = O[2], eo = O[3];
  const ts = St[0], als = St[1], ls = St[2], es = St[3];
  const gt = G[0], ga = G[1], gl = G[2];
  const gts = GS[0], gas = GS[1], gls = GS[2];
  let lp = 0;
  for (let i = 0; i < n; i++) {
    const t = T[to + i * ts];
    const alpha = Al[alo + i * als];
    const lv = L[lo + i * ls];
    const d = E[eo + i * es];
    if (!(t > 0) || !(alpha > 0)) return -Infinity;
    let ll: number;
    if (logScale) ll = lv;
    else {
      if (!(lv > 0)) return -Infinity;
      ll = Math.log(lv);
    }
    const lt = Math.log(t);
    const u = lt - ll;
    const H = Math.exp(alpha * u);
    // log h = log alpha - log lambda + (alpha - 1)(log t - log lambda); log S = -H
    lp += d * (Math.log(alpha) - ll + (alpha - 1) * u) - H;
    aux[gt + i * gts] += (d * (alpha - 1) - alpha * H) / t;
    aux[ga + i * gas] += d * (1 / alpha + u) - H * u;
    const dll = alpha * (H - d);
    aux[gl + i * gls] += logScale ? dll : dll / lv;
  }
  return lp;
}
