import { describe, expect, it } from "vitest";
import fc from "fast-check";
import gammaln from "@stdlib/math-base-special-gammaln";
import { Tape, type Node } from "../../lib/bayes/autodiff.js";

type Build = (t: Tape, xs: Node[]) => Node;

/** Evaluate build at the given input values, returning the value and the tape gradient per input. */
function evalGrad(build: Build, inputs: Float64Array[]): { value: number; grads: Float64Array[] } {
  const t = new Tape();
  const leaves = inputs.map((v) => {
    const leaf = t.leaf(v.length);
    t.val.set(v, t.offsetOf(leaf));
    return leaf;
  });
  const out = build(t, leaves);
  t.backward(out);
  return { value: out.value, grads: leaves.map((l) => t.gradientOf(l)) };
}

function evalValue(build: Build, inputs: Float64Array[]): number {
  const t = new Tape();
  const leaves = inputs.map((v) => {
    const leaf = t.leaf(v.length);
    t.val.set(v, t.offsetOf(leaf));
    return leaf;
  });
  return build(t, leaves).value;
}

/** Central finite differences with a step scaled to each coordinate. */
function checkGradient(build: Build, inputs: Float64Array[], rtol = 1e-5): void {
  const { grads } = evalGrad(build, inputs);
  inputs.forEach((v, k) => {
    for (let i = 0; i < v.length; i++) {
      const h = 1e-6 * Math.max(1, Math.abs(v[i]));
      const plus = inputs.map((a) => Float64Array.from(a));
      const minus = inputs.map((a) => Float64Array.from(a));
      plus[k][i] += h;
      minus[k][i] -= h;
      const fd = (evalValue(build, plus) - evalValue(build, minus)) / (2 * h);
      const ad = grads[k][i];
      const scale = Math.max(1, Math.abs(fd), Math.abs(ad));
      expect(Math.abs(ad - fd) / scale, `input ${k}[${i}]: autodiff ${ad} vs finite difference ${fd}`).toBeLessThan(rtol);
    }
  });
}

const num = (lo: number, hi: number): fc.Arbitrary<number> => fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
const vec = (n: number, lo: number, hi: number): fc.Arbitrary<Float64Array> => fc.array(num(lo, hi), { minLength: n, maxLength: n }).map((a) => Float64Array.from(a));
const RUNS = { numRuns: 40, seed: 42 };

describe("tape operations: gradients match finite differences", () => {
  const unary: [string, (t: Tape, x: Node) => Node, number, number][] = [
    ["neg", (t, x) => t.neg(x), -5, 5],
    ["exp", (t, x) => t.exp(x), -3, 3],
    ["log", (t, x) => t.log(x), 0.1, 10],
    ["log1p", (t, x) => t.log1p(x), -0.9, 10],
    ["expm1", (t, x) => t.expm1(x), -3, 3],
    ["sqrt", (t, x) => t.sqrt(x), 0.1, 10],
    ["square", (t, x) => t.square(x), -5, 5],
    ["lgamma", (t, x) => t.lgamma(x), 0.2, 20],
    ["softplus", (t, x) => t.softplus(x), -30, 30],
    ["invLogit", (t, x) => t.invLogit(x), -10, 10],
  ];
  for (const [name, f, lo, hi] of unary) {
    it(`${name} (vector, summed with random weights)`, () => {
      fc.assert(
        fc.property(vec(4, lo, hi), vec(4, -2, 2), (x, w) => {
          checkGradient((t, [a]) => t.dot(f(t, a), w), [x]);
        }),
        RUNS,
      );
    });
  }

  const binary: [string, (t: Tape, a: Node, b: Node) => Node, number, number, number, number][] = [
    ["add", (t, a, b) => t.add(a, b), -5, 5, -5, 5],
    ["sub", (t, a, b) => t.sub(a, b), -5, 5, -5, 5],
    ["mul", (t, a, b) => t.mul(a, b), -5, 5, -5, 5],
    ["div", (t, a, b) => t.div(a, b), -5, 5, 0.5, 5],
    ["pow", (t, a, b) => t.pow(a, b), 0.2, 4, -2, 2],
  ];
  for (const [name, f, alo, ahi, blo, bhi] of binary) {
    it(`${name}: vector-vector, scalar-vector and vector-scalar broadcasting`, () => {
      fc.assert(
        fc.property(vec(3, alo, ahi), vec(3, blo, bhi), vec(3, -2, 2), (a, b, w) => {
          checkGradient((t, [x, y]) => t.dot(f(t, x, y), w), [a, b]);
          checkGradient((t, [x, y]) => t.dot(f(t, x, y), w), [a.subarray(0, 1), b]);
          checkGradient((t, [x, y]) => t.dot(f(t, x, y), w), [a, b.subarray(0, 1)]);
          checkGradient((t, [x, y]) => f(t, x, y), [a.subarray(0, 1), b.subarray(0, 1)]);
        }),
        RUNS,
      );
    });
  }

  it("binary ops with constant operands leave the constant out of the gradient", () => {
    const data = Float64Array.from([1, 2, 3]);
    checkGradient((t, [x]) => t.sum(t.mul(t.add(x, data), t.div(2, t.sub(x, -5)))), [Float64Array.from([0.5, 1, 1.5])]);
  });

  it("sum, dot, logSumExp, index, stack", () => {
    fc.assert(
      fc.property(vec(5, -20, 20), vec(5, -3, 3), (x, y) => {
        checkGradient((t, [a]) => t.mul(t.sum(a), t.sum(a)), [x]);
        checkGradient((t, [a, b]) => t.dot(a, b), [x, y]);
        checkGradient((t, [a]) => t.logSumExp(a), [x]);
        checkGradient((t, [a]) => t.mul(t.index(a, 2), t.index(a, 4)), [x]);
        checkGradient((t, [a, b]) => t.dot(t.stack([t.index(a, 0), t.index(b, 1), 3]), t.stack([t.index(b, 2), t.index(a, 3), t.index(a, 1)])), [x, y]);
      }),
      RUNS,
    );
  });

  it("logSumExp value matches the direct formula and stays finite for large inputs", () => {
    const t = new Tape();
    expect(t.logSumExp(Float64Array.from([1, 2, 3])).value).toBeCloseTo(Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)), 14);
    expect(t.logSumExp(Float64Array.from([1000, 1000])).value).toBeCloseTo(1000 + Math.LN2, 10);
  });

  it("gather scatters adjoints back to repeated indices", () => {
    const idx = Int32Array.from([0, 2, 2, 1, 0, 2]);
    fc.assert(
      fc.property(vec(3, -3, 3), vec(6, -2, 2), (x, w) => {
        checkGradient((t, [a]) => t.dot(t.square(t.gather(a, idx)), w), [x]);
      }),
      RUNS,
    );
  });

  it("matvec against a constant matrix", () => {
    const X = Float64Array.from([1, 2, -1, 0.5, 3, 0, 2, -2]);
    fc.assert(
      fc.property(vec(2, -3, 3), vec(4, -2, 2), (b, w) => {
        checkGradient((t, [beta]) => t.dot(t.exp(t.matvec(X, 4, beta)), w), [b]);
      }),
      RUNS,
    );
  });
});

describe("log densities: values match closed forms and gradients match finite differences", () => {
  const LOG2PI = Math.log(2 * Math.PI);

  it("normal", () => {
    const t = new Tape();
    expect(t.normal(1.5, 0.5, 2).value).toBeCloseTo(-0.5 * LOG2PI - Math.log(2) - 0.125, 14);
    fc.assert(
      fc.property(vec(3, -5, 5), num(-2, 2), num(0.3, 3), (x, mu, s) => {
        checkGradient((tp, [a, b, c]) => tp.normal(a, b, c), [x, Float64Array.of(mu), Float64Array.of(s)]);
        checkGradient((tp, [a, b, c]) => tp.normal(a, b, c), [x.subarray(0, 1), x, Float64Array.of(s, s + 0.1, s + 0.2)]);
      }),
      RUNS,
    );
  });

  it("halfNormal", () => {
    const t = new Tape();
    expect(t.halfNormal(1, 2).value).toBeCloseTo(Math.log(2) - 0.5 * LOG2PI - Math.log(2) - 0.125, 14);
    expect(t.halfNormal(-1, 2).value).toBe(-Infinity);
    fc.assert(
      fc.property(vec(3, 0.01, 5), num(0.3, 3), (x, s) => {
        checkGradient((tp, [a, b]) => tp.halfNormal(a, b), [x, Float64Array.of(s)]);
      }),
      RUNS,
    );
  });

  it("studentT", () => {
    const t = new Tape();
    const nu = 3.5, mu = 0.2, s = 1.7, x = -0.9;
    const z = (x - mu) / s;
    const ref = gammaln((nu + 1) / 2) - gammaln(nu / 2) - 0.5 * Math.log(nu * Math.PI) - Math.log(s) - ((nu + 1) / 2) * Math.log(1 + (z * z) / nu);
    expect(t.studentT(x, nu, mu, s).value).toBeCloseTo(ref, 13);
    fc.assert(
      fc.property(vec(3, -5, 5), num(0.5, 30), num(-2, 2), num(0.3, 3), (xs, n, m, sg) => {
        checkGradient((tp, [a, b, c, d]) => tp.studentT(a, b, c, d), [xs, Float64Array.of(n), Float64Array.of(m), Float64Array.of(sg)]);
      }),
      RUNS,
    );
  });

  it("exponential, gamma, lognormal, cauchy", () => {
    const t = new Tape();
    expect(t.exponential(2, 0.5).value).toBeCloseTo(Math.log(0.5) - 1, 14);
    expect(t.gamma(2, 3, 1.5).value).toBeCloseTo(3 * Math.log(1.5) - gammaln(3) + 2 * Math.log(2) - 3, 13);
    expect(t.lognormal(2, 0.3, 0.8).value).toBeCloseTo(-Math.log(2) - Math.log(0.8) - 0.5 * LOG2PI - 0.5 * ((Math.log(2) - 0.3) / 0.8) ** 2, 13);
    expect(t.cauchy(1, 0.5, 2).value).toBeCloseTo(-Math.log(Math.PI * 2 * (1 + 0.0625)), 13);
    fc.assert(
      fc.property(vec(3, 0.05, 5), num(0.3, 5), num(0.3, 5), num(-1, 1), (x, a, b, m) => {
        checkGradient((tp, [p, q]) => tp.exponential(p, q), [x, Float64Array.of(a)]);
        checkGradient((tp, [p, q, r]) => tp.gamma(p, q, r), [x, Float64Array.of(a), Float64Array.of(b)]);
        checkGradient((tp, [p, q, r]) => tp.lognormal(p, q, r), [x, Float64Array.of(m), Float64Array.of(b)]);
        checkGradient((tp, [p, q, r]) => tp.cauchy(p, q, r), [x, Float64Array.of(m), Float64Array.of(b)]);
      }),
      RUNS,
    );
  });

  it("poisson and poissonLog (counts are data)", () => {
    const t = new Tape();
    const k = Float64Array.from([0, 3, 7]);
    expect(t.poisson(k, 2.5).value).toBeCloseTo(3 * -2.5 + 10 * Math.log(2.5) - gammaln(4) - gammaln(8), 12);
    expect(t.poissonLog(k, Math.log(2.5)).value).toBeCloseTo(t.poisson(k, 2.5).value, 12);
    fc.assert(
      fc.property(num(0.2, 10), vec(3, -1, 2), (r, eta) => {
        checkGradient((tp, [a]) => tp.poisson(k, a), [Float64Array.of(r)]);
        checkGradient((tp, [a]) => tp.poissonLog(k, a), [eta]);
      }),
      RUNS,
    );
    expect(() => {
      const tp = new Tape();
      tp.poisson(tp.leaf(1), 1);
    }).toThrow(/must be data/);
  });

  it("weibull with right censoring: value and gradients, scale and log-scale forms agree", () => {
    const t = new Tape();
    const times = Float64Array.from([0.5, 2, 3.5]);
    const ev = Float64Array.from([1, 0, 1]);
    const alpha = 1.7, lam = 2.2;
    let ref = 0;
    for (let i = 0; i < 3; i++) {
      const H = (times[i] / lam) ** alpha;
      ref += ev[i] * (Math.log(alpha / lam) + (alpha - 1) * Math.log(times[i] / lam)) - H;
    }
    expect(t.weibull(times, alpha, lam, ev).value).toBeCloseTo(ref, 13);
    expect(t.weibullLogScale(times, alpha, Math.log(lam), ev).value).toBeCloseTo(ref, 13);
    fc.assert(
      fc.property(vec(3, 0.05, 6), num(0.3, 4), vec(3, 0.3, 5), (tt, a, l) => {
        checkGradient((tp, [x, y, z]) => tp.weibull(x, y, z, ev), [tt, Float64Array.of(a), l]);
        checkGradient((tp, [x, y, z]) => tp.weibullLogScale(x, y, z, ev), [tt, Float64Array.of(a), Float64Array.of(Math.log(l[0]))]);
        checkGradient((tp, [y, z]) => tp.weibull(tt, y, z), [Float64Array.of(a), l.subarray(0, 1)]);
      }),
      RUNS,
    );
  });
});

describe("tape reuse", () => {
  it("a reset tape gives the same values and gradients without reallocating its buffers", () => {
    const t = new Tape();
    const data = Float64Array.from({ length: 5000 }, (_, i) => Math.sin(i));
    const run = (v: number): [number, number] => {
      t.reset();
      const x = t.leaf(1);
      t.val[t.offsetOf(x)] = v;
      const out = t.normal(data, x, 1.5);
      t.backward(out);
      return [out.value, t.adj[t.offsetOf(x)]];
    };
    const first = run(0.3);
    const valBuffer = t.val;
    run(0.7);
    const again = run(0.3);
    expect(again).toEqual(first);
    expect(t.val).toBe(valBuffer);
  });

  it("rejects a node from before a reset and mismatched sizes, naming the problem", () => {
    const t = new Tape();
    const a = t.leaf(3);
    expect(() => t.add(a, Float64Array.from([1, 2]))).toThrow(/sizes 3 and 2 do not broadcast/);
    t.reset();
    expect(() => t.exp(a)).toThrow(/stale/);
  });
});
