import { describe, expect, it } from "vitest";
import { train } from "../../lib/trees/boosting.js";
import { FlatForest } from "../../lib/trees/flat-forest.js";
import { fitRandomForest } from "../../lib/trees/random-forest.js";
import { leafIndexOf, type Tree } from "../../lib/trees/tree.js";
import { readCsv, sliceRows } from "./fixtures.js";

/** Reference prediction: walk each tree node by node with the plain Tree routing rules. */
function slowSum(trees: readonly Tree[], values: Float64Array, p: number, nRows: number, K: number, init: ArrayLike<number>): Float64Array {
  const out = new Float64Array(nRows * K);
  for (let r = 0; r < nRows; r++) {
    for (let k = 0; k < K; k++) out[r * K + k] = init[k];
    trees.forEach((t, i) => {
      out[r * K + (i % K)] += t.leafValue[leafIndexOf(t, values, r * p)];
    });
  }
  return out;
}

describe("flattened prediction kernels", () => {
  const data = readCsv("binary.csv");
  const tr = sliceRows(data, 0, 4000);
  const te = sliceRows(data, 4000, 4403); // 403 rows: exercises the 8-row groups and the remainder loop
  const p = te.X.nCols;

  it("lock-step numeric kernel equals node-by-node routing exactly, NaN included", () => {
    const b = train({ objective: "binary", numLeaves: 20 }, tr, { numBoostRound: 25 });
    expect(b.trees.every((t) => t.kind.every((k) => k !== 2))).toBe(true);
    const want = slowSum(b.trees, te.X.values as Float64Array, p, te.X.nRows, 1, b.initScore);
    expect(Array.from(b.predictRaw(te.X))).toEqual(Array.from(want));
    // Blocks without any NaN take the NaN-free branch: check it on a NaN-free copy.
    const clean = { ...te.X, values: te.X.values.map((v) => (Number.isNaN(v) ? 0 : v)) };
    expect(Array.from(b.predictRaw(clean))).toEqual(Array.from(slowSum(b.trees, clean.values as Float64Array, p, te.X.nRows, 1, b.initScore)));
  });

  it("binned kernels (wasm and JS) equal node-by-node routing exactly at thresholds, infinities, -0 and NaN", () => {
    const b = train({ objective: "binary", numLeaves: 31 }, tr, { numBoostRound: 30 });
    const flat = new FlatForest(b.trees);
    expect(flat.kernelFor(p)).toBe("wasm-binned");
    expect(b.trees.some((t) => t.kind.some((k) => k === 1))).toBe(true);
    expect(b.trees.some((t) => t.kind.some((k) => k === 0))).toBe(true);
    // Rows built from the model's own thresholds (on them, just above, just below) and special values.
    const thresholds: number[][] = Array.from({ length: p }, () => []);
    for (const t of b.trees) t.feature.forEach((f, i) => thresholds[f].push(t.threshold[i]));
    const specials = [NaN, Infinity, -Infinity, -0, 0];
    const n = 1003;
    const values = new Float64Array(n * p);
    let seed = 7;
    const pick = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
    for (let r = 0; r < n; r++) {
      for (let f = 0; f < p; f++) {
        const th = thresholds[f];
        const u = pick();
        let v: number;
        if (u < 0.1 || th.length === 0) v = specials[Math.floor(pick() * specials.length)];
        else {
          const t = th[Math.floor(pick() * th.length)];
          v = u < 0.5 ? t : u < 0.75 ? t + Math.abs(t) * 1e-12 + 1e-300 : t - Math.abs(t) * 1e-12 - 1e-300;
        }
        values[r * p + f] = v;
      }
    }
    const X = { nRows: n, nCols: p, values };
    const want = slowSum(b.trees, values, p, n, 1, b.initScore);
    expect(Array.from(b.predictRaw(X))).toEqual(Array.from(want));
    // The same through the JavaScript binned kernel.
    flat.useWasm = false;
    expect(flat.kernelFor(p)).toBe("binned");
    const js = new Float64Array(n).fill(b.initScore[0]);
    flat.addPredictions(X, js, 1, 0, b.trees.length);
    expect(Array.from(js)).toEqual(Array.from(want));
    // Fewer trees than the binning pays for take the float kernel, with the same result.
    expect(flat.kernelFor(p, 3)).toBe("lockstep");
    expect(Array.from(b.predictRaw(X, { numIteration: 3 }))).toEqual(Array.from(slowSum(b.trees.slice(0, 3), values, p, n, 1, b.initScore)));
  });

  it("predicts bit-identically with 2 threads (rows split among worker threads) and from Float32 input", () => {
    const b = train({ objective: "binary", numLeaves: 31 }, tr, { numBoostRound: 20 });
    // 20k rows resampled from the test rows with noise, NaN kept: enough for two threads' shares.
    let seed = 3;
    const pick = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
    const n = 20000;
    const values = new Float64Array(n * p);
    for (let r = 0; r < n; r++) {
      const src = Math.floor(pick() * te.X.nRows);
      for (let f = 0; f < p; f++) values[r * p + f] = te.X.values[src * p + f] + (pick() - 0.5) * 0.1;
    }
    const X = { nRows: n, nCols: p, values };
    const one = b.predictRaw(X);
    const two = b.predictRaw(X, { numThreads: 2 });
    expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
    expect(Array.from(one.subarray(0, 500))).toEqual(Array.from(slowSum(b.trees, values, p, 500, 1, b.initScore)));
    const f32 = Float32Array.from(values);
    const want32 = slowSum(b.trees, Float64Array.from(f32), p, n, 1, b.initScore);
    expect(Array.from(b.predictRaw({ nRows: n, nCols: p, values: f32 }, { numThreads: 2 }))).toEqual(Array.from(want32));
    expect(() => b.predictRaw(X, { numThreads: 0 })).toThrow(/numThreads/);
  });

  it("categorical kernel equals node-by-node routing exactly", () => {
    const b = train({ objective: "binary", numLeaves: 20, categoricalFeature: [7] }, tr, { numBoostRound: 25 });
    expect(b.trees.some((t) => t.kind.some((k) => k === 2))).toBe(true);
    const want = slowSum(b.trees, te.X.values as Float64Array, p, te.X.nRows, 1, b.initScore);
    expect(Array.from(b.predictRaw(te.X))).toEqual(Array.from(want));
  });

  it("vector leaves (forest class probabilities) add every class column", () => {
    const rf = fitRandomForest(tr, { nEstimators: 7, maxDepth: 6, seed: 4 });
    const flat = new FlatForest(rf.trees);
    const out = new Float64Array(te.X.nRows * 2);
    flat.addPredictions(te.X, out, 2, 0, rf.trees.length);
    for (let r = 0; r < te.X.nRows; r++) {
      for (let k = 0; k < 2; k++) {
        let s = 0;
        for (const t of rf.trees) s += t.leafValue[leafIndexOf(t, te.X.values, r * p) * 2 + k];
        expect(out[r * 2 + k]).toBe(s);
      }
    }
  });
});
