import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { defineModel } from "../../lib/bayes/model.js";
import { bounded, ParamLayout, positive, real, simplex } from "../../lib/bayes/params.js";
import { ConfigError } from "../../lib/errors.js";

const layout = new ParamLayout({ a: real(), s: positive({ lower: 1 }), v: positive({ size: 3 }), b: bounded(-1, 4, { size: 2 }), w: simplex(4) });
const dim = layout.dim;
const uArb = fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: dim, maxLength: dim }).map((a) => Float64Array.from(a));

/** log |det J| of the map from u to the free constrained coordinates, by finite differences. */
function numericLogJacobian(u: Float64Array): number {
  // Free coordinates: every constrained value except the last entry of the simplex.
  const free = (x: Float64Array): Float64Array => x.subarray(0, layout.constrainedDim - 1);
  const x0 = new Float64Array(layout.constrainedDim);
  const J: number[][] = [];
  for (let j = 0; j < dim; j++) {
    const up = Float64Array.from(u);
    const dn = Float64Array.from(u);
    const h = 1e-6;
    up[j] += h;
    dn[j] -= h;
    const xu = new Float64Array(layout.constrainedDim);
    const xd = new Float64Array(layout.constrainedDim);
    layout.constrain(up, xu);
    layout.constrain(dn, xd);
    const fu = free(xu);
    const fd = free(xd);
    J.push(Array.from(fu, (v, i) => (v - fd[i]) / (2 * h)));
  }
  layout.constrain(u, x0);
  return Math.log(Math.abs(det(J)));
}

function det(m: number[][]): number {
  const a = m.map((r) => r.slice());
  const n = a.length;
  let d = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    if (p !== c) {
      [a[p], a[c]] = [a[c], a[p]];
      d = -d;
    }
    d *= a[c][c];
    for (let r = c + 1; r < n; r++) {
      const f = a[r][c] / a[c][c];
      for (let k = c; k < n; k++) a[r][k] -= f * a[c][k];
    }
  }
  return d;
}

describe("constrained parameters", () => {
  it("maps into the constraints and back", () => {
    fc.assert(
      fc.property(uArb, (u) => {
        const x = new Float64Array(layout.constrainedDim);
        layout.constrain(u, x);
        expect(x[1]).toBeGreaterThan(1);
        for (const v of x.subarray(2, 5)) expect(v).toBeGreaterThan(0);
        for (const v of x.subarray(5, 7)) {
          expect(v).toBeGreaterThan(-1);
          expect(v).toBeLessThan(4);
        }
        const w = x.subarray(7, 11);
        expect(w.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
        for (const v of w) expect(v).toBeGreaterThan(0);
        const back = layout.unconstrain(x);
        for (let i = 0; i < dim; i++) expect(back[i]).toBeCloseTo(u[i], 8);
      }),
      { numRuns: 50, seed: 1 },
    );
  });

  it("returns the log-Jacobian determinant of the transform (checked numerically, simplex included)", () => {
    fc.assert(
      fc.property(uArb, (u) => {
        const x = new Float64Array(layout.constrainedDim);
        const logJ = layout.constrain(u, x);
        expect(Math.abs(logJ - numericLogJacobian(u))).toBeLessThan(1e-5);
      }),
      { numRuns: 30, seed: 2 },
    );
  });

  it("propagates gradients through every transform (model gradient vs finite differences)", () => {
    const model = defineModel({
      params: { a: real(), s: positive({ lower: 1 }), v: positive({ size: 3 }), b: bounded(-1, 4, { size: 2 }), w: simplex(4) },
      logDensity(t, p) {
        const target = Float64Array.from([0.1, 0.2, 0.3, 0.4]);
        return t.add(
          t.add(t.normal(p.a, 0, 1), t.gamma(p.s, 2, 1)),
          t.add(t.add(t.lognormal(p.v, 0, 1), t.normal(p.b, 1, 2)), t.dot(target, t.log(p.w))),
        );
      },
    });
    fc.assert(
      fc.property(uArb, (u) => {
        const g = new Float64Array(dim);
        model.logDensityGradient(u, g);
        const s = new Float64Array(dim);
        for (let j = 0; j < dim; j++) {
          const h = 1e-6;
          const up = Float64Array.from(u);
          const dn = Float64Array.from(u);
          up[j] += h;
          dn[j] -= h;
          const fd = (model.logDensityGradient(up, s) - model.logDensityGradient(dn, s)) / (2 * h);
          expect(Math.abs(g[j] - fd) / Math.max(1, Math.abs(fd)), `coordinate ${j}`).toBeLessThan(1e-6);
        }
      }),
      { numRuns: 30, seed: 3 },
    );
  });

  it("names flat quantities like ArviZ and rejects bad declarations", () => {
    expect(layout.flatNames).toEqual(["a", "s", "v[0]", "v[1]", "v[2]", "b[0]", "b[1]", "w[0]", "w[1]", "w[2]", "w[3]"]);
    expect(layout.dim).toBe(10);
    expect(() => bounded(2, 1)).toThrow(ConfigError);
    expect(() => simplex(1)).toThrow(/invalid simplex size: 1/);
    expect(() => layout.fromNamed({ a: 1 })).toThrow(/missing value for parameter "s"/);
    expect(() => new ParamLayout({ "bad name": real() })).toThrow(/invalid parameter name/);
  });
});
