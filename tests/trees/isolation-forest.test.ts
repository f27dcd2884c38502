import { describe, expect, it } from "vitest";
import { FlatForest } from "../../lib/trees/flat-forest.js";
import { averagePathLength, fitIsolationForest } from "../../lib/trees/isolation-forest.js";
import type { FeatureMatrix } from "../../lib/trees/matrix.js";
import { createRng } from "../../lib/util/random.js";

function matrix(nRows: number, nCols: number, seed: number, f32 = false): FeatureMatrix {
  const rng = createRng(seed);
  const values = f32 ? new Float32Array(nRows * nCols) : new Float64Array(nRows * nCols);
  for (let i = 0; i < values.length; i++) values[i] = (i % nCols) + (rng.uniform() < 0.05 ? 6 : 1) * rng.normal();
  return { nRows, nCols, values };
}

/** E[h(x)] through the generic flat-forest walker, the reference the packed kernel must reproduce. */
function flatPathLengths(trees: ConstructorParameters<typeof FlatForest>[0], x: FeatureMatrix): Float64Array {
  const out = new Float64Array(x.nRows);
  new FlatForest(trees).addPredictions(x, out, 1, 0, trees.length, 1 / trees.length);
  return out;
}

describe("isolation forest scoring kernel", () => {
  it("gives path lengths bit-identical to the flat forest, across row blocks and ragged 8-row groups", () => {
    // 13 columns -> 624-row blocks; 2003 rows = 3 full blocks + a ragged tail.
    const train = matrix(3000, 13, 1);
    const forest = fitIsolationForest(train, { nEstimators: 40, seed: 5 });
    for (const x of [matrix(2003, 13, 2), matrix(7, 13, 3), matrix(1500, 13, 4, true)]) {
      expect(Array.from(forest.pathLengths(x))).toEqual(Array.from(flatPathLengths(forest.trees, x)));
    }
  });

  it("wide rows (97 columns) too, and scores are -2^(-E[h]/c(256))", () => {
    const forest = fitIsolationForest(matrix(2000, 97, 6), { nEstimators: 25, seed: 1 });
    const x = matrix(1001, 97, 7);
    const h = forest.pathLengths(x);
    expect(Array.from(h)).toEqual(Array.from(flatPathLengths(forest.trees, x)));
    const s = forest.scoreSamples(x);
    for (let i = 0; i < x.nRows; i += 97) expect(s[i]).toBe(-Math.pow(2, -h[i] / averagePathLength(256)));
  });

  it("single-leaf trees (constant training data) give every row the path length c(n)", () => {
    const n = 300;
    const constant: FeatureMatrix = { nRows: n, nCols: 3, values: new Float64Array(n * 3).fill(2.5) };
    const forest = fitIsolationForest(constant, { nEstimators: 5, seed: 2 });
    for (const t of forest.trees) expect(t.feature.length).toBe(0);
    const h = forest.pathLengths(matrix(19, 3, 8));
    for (const v of h) expect(v).toBeCloseTo(averagePathLength(256), 12);
  });
});
