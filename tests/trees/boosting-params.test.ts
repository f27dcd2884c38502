import { describe, expect, it } from "vitest";
import { train } from "../../lib/trees/boosting.js";
import { createRng } from "../../lib/util/random.js";
import { readCsv, sliceRows } from "./fixtures.js";

const data = sliceRows(readCsv("binary.csv"), 0, 3000);

describe("gradient boosting parameters", () => {
  it("computes leaf outputs in closed form: -T_l1(G) / (H + l2) times the learning rate", () => {
    const rng = createRng(2);
    const n = 400;
    const values = Float64Array.from({ length: n }, () => rng.normal());
    const y = Float64Array.from(values, (v) => (v > 0.3 ? 5 : -1) + 0.1 * rng.normal());
    const l1 = 7;
    const l2 = 3;
    const lr = 0.5;
    const b = train({ objective: "regression", numLeaves: 2, learningRate: lr, lambdaL1: l1, lambdaL2: l2 }, { X: { nRows: n, nCols: 1, values }, y }, { numBoostRound: 1 });
    const tree = b.trees[0];
    expect(tree.feature.length).toBe(1);
    const init = y.reduce((a, v) => a + v, 0) / n;
    const soft = (g: number) => Math.sign(g) * Math.max(0, Math.abs(g) - l1);
    for (const side of [0, 1]) {
      let G = 0;
      let H = 0;
      for (let i = 0; i < n; i++) {
        if ((values[i] <= tree.threshold[0] ? 0 : 1) !== side) continue;
        G += init - y[i];
        H += 1;
      }
      expect(tree.leafValue[side]).toBeCloseTo((lr * -soft(G)) / (H + l2), 12);
      expect(tree.leafCover[side]).toBe(H);
    }
  });

  it("respects maxDepth, numLeaves and minDataInLeaf", () => {
    const b = train({ objective: "binary", numLeaves: 50, maxDepth: 3, minDataInLeaf: 40 }, data, { numBoostRound: 5 });
    for (const t of b.trees) {
      expect(t.leafCover.length).toBeLessThanOrEqual(8);
      expect(Math.max(...t.leafDepth)).toBeLessThanOrEqual(3);
      // Like LightGBM, split finding checks hessian-estimated counts, so a leaf may land a little
      // under minDataInLeaf; it stays near it.
      expect(Math.min(...t.leafCover)).toBeGreaterThanOrEqual(30);
    }
    const c = train({ objective: "binary", numLeaves: 5 }, data, { numBoostRound: 5 });
    for (const t of c.trees) expect(t.leafCover.length).toBeLessThanOrEqual(5);
  });

  it("samples round(featureFraction * usable features) per tree", () => {
    // 8 usable features (column 8 is constant): 0.5 -> 4 features per tree.
    const b = train({ objective: "binary", featureFraction: 0.5, numLeaves: 31, seed: 3 }, data, { numBoostRound: 10 });
    const used = b.trees.map((t) => new Set(t.feature).size);
    expect(Math.max(...used)).toBeLessThanOrEqual(4);
    const all = new Set(b.trees.flatMap((t) => Array.from(t.feature)));
    expect(all.size).toBeGreaterThan(4);
  });

  it("bags rows: the root cover is the bag size", () => {
    const b = train({ objective: "binary", baggingFraction: 0.6, baggingFreq: 1, seed: 1 }, data, { numBoostRound: 3 });
    for (const t of b.trees) expect(t.internalCover[0]).toBe(Math.floor(0.6 * 3000));
  });

  it("isUnbalance weighs positives by negatives / positives, like scalePosWeight with that ratio", () => {
    const pos = data.y.reduce((a, v) => a + v, 0);
    const ratio = (data.y.length - pos) / pos;
    const a = train({ objective: "binary", isUnbalance: true }, data, { numBoostRound: 5 }).predictRaw(data.X);
    const b = train({ objective: "binary", scalePosWeight: ratio }, data, { numBoostRound: 5 }).predictRaw(data.X);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it("starts from the log-odds of the base rate (boost_from_average) or from 0", () => {
    const pos = data.y.reduce((a, v) => a + v, 0) / data.y.length;
    const b = train({ objective: "binary" }, data, { numBoostRound: 1 });
    expect(b.initScore[0]).toBeCloseTo(Math.log(pos / (1 - pos)), 12);
    expect(train({ objective: "binary", boostFromAverage: false }, data, { numBoostRound: 1 }).initScore[0]).toBe(0);
  });

  it("builds histograms with worker threads and gets bit-identical models for 1, 2 and 3 threads", () => {
    // 12k rows: enough for leaves above the parallel threshold (4096 rows).
    const big = sliceRows(readCsv("binary.csv"), 0, 12000);
    const params = { objective: "binary" as const, categoricalFeature: [7], baggingFraction: 0.8, baggingFreq: 1, featureFraction: 0.9, seed: 4 };
    const one = train(params, big, { numBoostRound: 8 });
    const two = train({ ...params, numThreads: 2 }, big, { numBoostRound: 8 });
    const three = train({ ...params, numThreads: 3 }, big, { numBoostRound: 8 });
    expect(JSON.stringify(two.toJSON().trees)).toBe(JSON.stringify(one.toJSON().trees));
    expect(JSON.stringify(three.toJSON().trees)).toBe(JSON.stringify(one.toJSON().trees));
  });

  it("splits partitions, gradients and score updates between threads without changing the model", () => {
    // 12k rows without bagging: the root partition (>= 8192 rows) is split in halves, and the binary
    // gradients and score updates run on both threads; row weights and a class weight too.
    const big = sliceRows(readCsv("binary.csv"), 0, 12000);
    const rng = createRng(5);
    const weighted = { ...big, weight: Float64Array.from({ length: big.y.length }, () => 0.5 + rng.uniform()) };
    const params = { objective: "binary" as const, scalePosWeight: 1.7, numLeaves: 15, minDataInLeaf: 5, seed: 3 };
    const js = JSON.stringify(train({ ...params, histogramKernel: "js" }, weighted, { numBoostRound: 6 }).toJSON().trees);
    const one = JSON.stringify(train({ ...params, histogramKernel: "wasm" }, weighted, { numBoostRound: 6 }).toJSON().trees);
    const two = train({ ...params, histogramKernel: "wasm", numThreads: 2 }, weighted, { numBoostRound: 6 });
    const three = JSON.stringify(train({ ...params, histogramKernel: "wasm", numThreads: 3 }, weighted, { numBoostRound: 6 }).toJSON().trees);
    expect(one).toBe(js);
    expect(JSON.stringify(two.toJSON().trees)).toBe(js);
    expect(three).toBe(js);
    // Raw scores (the sum of the leaves each row fell in) equal the 1-thread model's at every row.
    const ref = train({ ...params, histogramKernel: "js" }, weighted, { numBoostRound: 6 }).predictRaw(big.X);
    expect(Array.from(two.predictRaw(big.X))).toEqual(Array.from(ref));
    // Regression: serial gradients, score updates shared by the threads.
    const reg = { objective: "regression" as const, numLeaves: 15, seed: 3 };
    const regOne = JSON.stringify(train({ ...reg, histogramKernel: "js" }, weighted, { numBoostRound: 4 }).toJSON().trees);
    expect(JSON.stringify(train({ ...reg, histogramKernel: "wasm", numThreads: 2 }, weighted, { numBoostRound: 4 }).toJSON().trees)).toBe(regOne);
    // The weights matter, so a mix-up of weighted and unweighted gradients would show.
    expect(JSON.stringify(train({ ...params, histogramKernel: "wasm", numThreads: 2 }, big, { numBoostRound: 6 }).toJSON().trees)).not.toBe(js);
  });

  it("gets bit-identical models from the WebAssembly and the JavaScript histogram kernels, at 1 and 2 threads", () => {
    const big = sliceRows(readCsv("binary.csv"), 0, 12000);
    // Bagging, a feature subset (partly active groups), NaN and a categorical feature: every path of both kernels.
    const params = { objective: "binary" as const, categoricalFeature: [7], baggingFraction: 0.8, baggingFreq: 1, featureFraction: 0.7, seed: 9 };
    const js = JSON.stringify(train({ ...params, histogramKernel: "js" }, big, { numBoostRound: 10 }).toJSON().trees);
    const wasm = JSON.stringify(train({ ...params, histogramKernel: "wasm" }, big, { numBoostRound: 10 }).toJSON().trees);
    const wasm2 = JSON.stringify(train({ ...params, histogramKernel: "wasm", numThreads: 2 }, big, { numBoostRound: 10 }).toJSON().trees);
    const plain = JSON.stringify(train({ objective: "binary", histogramKernel: "js" }, big, { numBoostRound: 10 }).toJSON().trees);
    expect(wasm).toBe(js);
    expect(wasm2).toBe(js);
    expect(JSON.stringify(train({ objective: "binary", histogramKernel: "wasm" }, big, { numBoostRound: 10 }).toJSON().trees)).toBe(plain);
    // The comparison can fail: a different model is a different string.
    expect(plain).not.toBe(js);
  });
});
