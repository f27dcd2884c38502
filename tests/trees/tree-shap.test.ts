import { describe, expect, it } from "vitest";
import { train } from "../../lib/trees/boosting.js";
import type { FeatureMatrix } from "../../lib/trees/matrix.js";
import { fitRandomForest } from "../../lib/trees/random-forest.js";
import { goesLeft, NodeKind, TreeBuilder, type Tree } from "../../lib/trees/tree.js";
import { treeShapInto } from "../../lib/trees/tree-shap.js";
import { createRng } from "../../lib/util/random.js";
import { readCsv, sliceRows } from "./fixtures.js";

/**
 * Brute force (the paper's Algorithm 1 plus the Shapley formula): E[f(x) | x_S] follows x on
 * features in S and averages children by training cover elsewhere; phi_i sums over all subsets.
 */
function conditionalExpectation(tree: Tree, x: ArrayLike<number>, inS: boolean[], node: number, k: number): number {
  if (node < 0) return tree.leafValue[~node * tree.outputDim + k];
  const f = tree.feature[node];
  const l = tree.left[node];
  const r = tree.right[node];
  if (inS[f]) return conditionalExpectation(tree, x, inS, goesLeft(tree, node, x[f]) ? l : r, k);
  const cover = (c: number) => (c >= 0 ? tree.internalCover[c] : tree.leafCover[~c]);
  return (cover(l) * conditionalExpectation(tree, x, inS, l, k) + cover(r) * conditionalExpectation(tree, x, inS, r, k)) / tree.internalCover[node];
}

function bruteForceShap(tree: Tree, x: ArrayLike<number>, p: number, k = 0): number[] {
  const fact = (m: number): number => (m <= 1 ? 1 : m * fact(m - 1));
  const phi = new Array<number>(p).fill(0);
  for (let i = 0; i < p; i++) {
    for (let mask = 0; mask < 1 << p; mask++) {
      if (mask & (1 << i)) continue;
      const inS = Array.from({ length: p }, (_, j) => (mask & (1 << j)) !== 0);
      const size = inS.filter(Boolean).length;
      const weight = (fact(size) * fact(p - size - 1)) / fact(p);
      const without = conditionalExpectation(tree, x, inS, 0, k);
      inS[i] = true;
      const withI = conditionalExpectation(tree, x, inS, 0, k);
      phi[i] += weight * (withI - without);
    }
  }
  return phi;
}

function shapOfTree(tree: Tree, row: number[]): Float64Array {
  const p = row.length;
  const x: FeatureMatrix = { nRows: 1, nCols: p, values: Float64Array.from(row) };
  const out = new Float64Array((p + 1) * tree.outputDim);
  treeShapInto(tree, x, out, out.length, 0, p + 1);
  return out;
}

describe("TreeSHAP", () => {
  it("equals brute-force Shapley values on a hand-built tree that splits one feature twice", () => {
    // x0 <= 0.5 ? (x1 <= 0.5 ? (x0 <= 0.2 ? 1 : 3) : 7) : (x2 <= 0.5 ? -2 : 5), with unequal covers.
    const b = new TreeBuilder(1);
    b.root(100);
    const r1 = b.split(0, 0, 0.5, NodeKind.NumericMissingRight, null, 1, 60, 40);
    const r2 = b.split(0, 1, 0.5, NodeKind.NumericMissingLeft, null, 1, 45, 15);
    const r3 = b.split(r1, 2, 0.5, NodeKind.NumericMissingRight, null, 1, 10, 30);
    const r4 = b.split(0, 0, 0.2, NodeKind.NumericMissingRight, null, 1, 20, 25);
    [
      [0, 1],
      [r4, 3],
      [r2, 7],
      [r1, -2],
      [r3, 5],
    ].forEach(([leaf, v]) => b.setLeafValue(leaf, 0, v));
    const tree = b.build();
    for (const row of [
      [0.1, 0.1, 0.9],
      [0.3, 0.9, 0.1],
      [0.9, 0.2, 0.7],
      [0.1, NaN, 0.2],
    ]) {
      const got = shapOfTree(tree, row);
      const want = bruteForceShap(tree, row, 3);
      for (let f = 0; f < 3; f++) expect(Math.abs(got[f] - want[f])).toBeLessThan(1e-12);
    }
  });

  it("equals brute-force Shapley values on trained boosting trees (5 features, NaN and categories)", () => {
    const data = sliceRows(readCsv("binary.csv"), 0, 3000);
    const p = data.X.nCols;
    // Keep 5 of the 9 columns, including the NaN column 1 and the categorical column 7.
    const keep = [0, 1, 2, 3, 7];
    const values = new Float64Array(3000 * keep.length);
    for (let r = 0; r < 3000; r++) keep.forEach((f, j) => (values[r * keep.length + j] = data.X.values[r * p + f]));
    const X = { nRows: 3000, nCols: keep.length, values };
    const b = train({ objective: "binary", numLeaves: 12, categoricalFeature: [4], minDataPerGroup: 20 }, { X, y: data.y }, { numBoostRound: 3 });
    for (const tree of b.trees) {
      for (let r = 0; r < 5; r++) {
        const row = Array.from(values.subarray(r * 5, r * 5 + 5));
        const got = shapOfTree(tree, row);
        const want = bruteForceShap(tree, row, 5);
        for (let f = 0; f < 5; f++) expect(Math.abs(got[f] - want[f])).toBeLessThan(1e-12);
      }
    }
  });

  it("sums to the boosted model's margin within 1e-9 (binary and multiclass)", () => {
    const data = sliceRows(readCsv("binary.csv"), 0, 5000);
    const b = train({ objective: "binary", categoricalFeature: [7] }, data, { numBoostRound: 30 });
    const test = sliceRows(readCsv("binary.csv"), 5000, 5200);
    const raw = b.predictRaw(test.X);
    const shap = b.shapValues(test.X);
    const w = test.X.nCols + 1;
    for (let r = 0; r < test.X.nRows; r++) {
      let s = 0;
      for (let f = 0; f < w; f++) s += shap[r * w + f];
      expect(Math.abs(s - raw[r])).toBeLessThan(1e-9);
    }
    const mc = readCsv("multiclass.csv");
    const m = train({ objective: "multiclass", numClass: 3, numLeaves: 8 }, sliceRows(mc, 0, 2000), { numBoostRound: 10 });
    const mt = sliceRows(mc, 2000, 2100);
    const mraw = m.predictRaw(mt.X);
    const mshap = m.shapValues(mt.X);
    const mw = mt.X.nCols + 1;
    for (let r = 0; r < mt.X.nRows; r++) {
      for (let k = 0; k < 3; k++) {
        let s = 0;
        for (let f = 0; f < mw; f++) s += mshap[(r * 3 + k) * mw + f];
        expect(Math.abs(s - mraw[r * 3 + k])).toBeLessThan(1e-9);
      }
    }
  });

  it("sums to the random forest's class probabilities within 1e-9", () => {
    const data = sliceRows(readCsv("forest.csv"), 0, 1500);
    const rf = fitRandomForest(data, { nEstimators: 20, maxDepth: 8, classWeight: "balanced", seed: 2 });
    const test = sliceRows(readCsv("forest.csv"), 1500, 1600);
    const proba = rf.predictProba(test.X);
    const shap = rf.shapValues(test.X);
    const w = test.X.nCols + 1;
    for (let r = 0; r < test.X.nRows; r++) {
      for (let k = 0; k < 2; k++) {
        let s = 0;
        for (let f = 0; f < w; f++) s += shap[(r * 2 + k) * w + f];
        expect(Math.abs(s - proba[r * 2 + k])).toBeLessThan(1e-9);
      }
    }
  });

  it("gives zero attribution to a feature the model never uses", () => {
    const rng = createRng(9);
    const n = 500;
    const values = new Float64Array(n * 2);
    const y = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      values[2 * r] = rng.normal();
      values[2 * r + 1] = rng.normal();
      y[r] = values[2 * r] * 3;
    }
    // The second column is masked out of every split by making it constant at fit time.
    const fitValues = values.slice();
    for (let r = 0; r < n; r++) fitValues[2 * r + 1] = 1;
    const b = train({ objective: "regression" }, { X: { nRows: n, nCols: 2, values: fitValues }, y }, { numBoostRound: 10 });
    const shap = b.shapValues({ nRows: n, nCols: 2, values });
    for (let r = 0; r < n; r++) expect(shap[r * 3 + 1]).toBe(0);
  });
});
