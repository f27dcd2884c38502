import { describe, expect, it } from "vitest";
import { ConfigError, DataError } from "../../lib/errors.js";
import { rocAuc } from "../../lib/metrics/roc-auc.js";
import { logLoss, multiclassLogLoss } from "../../lib/metrics/log-loss.js";
import { Booster, train, type IterationRecord } from "../../lib/trees/boosting.js";
import { createRng } from "../../lib/util/random.js";
import { readCsv, reference, sliceRows, takeRows } from "./fixtures.js";

const binary = readCsv("binary.csv");
const binTrain = sliceRows(binary, 0, reference.binary.n_train);
const binTest = sliceRows(binary, reference.binary.n_train, binary.X.nRows);
const binParams = { objective: "binary" as const, numLeaves: 31, learningRate: 0.1, minDataInLeaf: 20, maxBin: 255, categoricalFeature: [7] };

describe("gradient boosting against LightGBM", () => {
  const booster = train(binParams, binTrain, { numBoostRound: 100 });

  it("reaches LightGBM's test AUC within 0.005 on binary data with NaN and a categorical column", () => {
    const auc = rocAuc(binTest.y, booster.predict(binTest.X));
    expect(Math.abs(auc - reference.binary.test_auc)).toBeLessThan(0.005);
    // Log loss within 2% of LightGBM's.
    const ll = logLoss(binTest.y, booster.predict(binTest.X));
    expect(Math.abs(ll - reference.binary.test_logloss) / reference.binary.test_logloss).toBeLessThan(0.02);
  });

  it("never splits the constant column and splits mostly on informative ones", () => {
    const split = booster.featureImportance("split");
    expect(split[8]).toBe(0);
    // Split counts track LightGBM's per feature (same data and parameters).
    reference.binary.split_importance.forEach((v, f) => expect(Math.abs(split[f] - v)).toBeLessThanOrEqual(0.15 * v + 10));
    const gain = booster.featureImportance("gain");
    // Features 5 and 6 are noise: their gain is far below feature 0's.
    expect(gain[5]).toBeLessThan(0.2 * gain[0]);
    expect(gain[6]).toBeLessThan(0.2 * gain[0]);
    expect(split.reduce((a, b) => a + b, 0)).toBe(booster.trees.reduce((s, t) => s + t.feature.length, 0));
  });

  it("uses scale_pos_weight on a rare-event subsample and stays within 0.01 AUC of LightGBM", () => {
    const rare = takeRows(binary, reference.binary_rare.train_rows);
    const b = train({ ...binParams, scalePosWeight: 5 }, rare, { numBoostRound: 60 });
    const auc = rocAuc(binTest.y, b.predict(binTest.X));
    expect(Math.abs(auc - reference.binary_rare.test_auc)).toBeLessThan(0.01);
    // The weight shifts predicted probabilities up versus the unweighted model.
    const plain = train(binParams, rare, { numBoostRound: 60 });
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(b.predict(binTest.X))).toBeGreaterThan(mean(plain.predict(binTest.X)) * 1.5);
  });

  it("reaches LightGBM's regression RMSE within 3%", () => {
    const reg = readCsv("regression.csv");
    const tr = sliceRows(reg, 0, reference.regression.n_train);
    const te = sliceRows(reg, reference.regression.n_train, reg.X.nRows);
    const b = train({ objective: "regression", numLeaves: 15, learningRate: 0.05, lambdaL2: 1, minDataInLeaf: 20 }, tr, { numBoostRound: 200 });
    const pred = b.predict(te.X);
    let se = 0;
    for (let i = 0; i < pred.length; i++) se += (pred[i] - te.y[i]) ** 2;
    const rmse = Math.sqrt(se / pred.length);
    expect(Math.abs(rmse - reference.regression.test_rmse) / reference.regression.test_rmse).toBeLessThan(0.03);
  });

  it("reaches LightGBM's multiclass log loss within 3% and accuracy within 2 points", () => {
    const mc = readCsv("multiclass.csv");
    const tr = sliceRows(mc, 0, reference.multiclass.n_train);
    const te = sliceRows(mc, reference.multiclass.n_train, mc.X.nRows);
    const b = train({ objective: "multiclass", numClass: 3, numLeaves: 15, learningRate: 0.1 }, tr, { numBoostRound: 50 });
    const prob = b.predict(te.X);
    const rows = Array.from({ length: te.X.nRows }, (_, r) => prob.subarray(r * 3, r * 3 + 3));
    rows.forEach((row) => expect(Math.abs(row[0] + row[1] + row[2] - 1)).toBeLessThan(1e-12));
    const ll = multiclassLogLoss(te.y, rows);
    expect(Math.abs(ll - reference.multiclass.test_logloss) / reference.multiclass.test_logloss).toBeLessThan(0.03);
    let correct = 0;
    rows.forEach((row, r) => {
      const arg = row.indexOf(Math.max(...row));
      if (arg === te.y[r]) correct++;
    });
    expect(Math.abs(correct / rows.length - reference.multiclass.test_accuracy)).toBeLessThan(0.02);
  });
});

describe("gradient boosting: training loop", () => {
  const small = sliceRows(binary, 0, 4000);
  const valid = sliceRows(binary, 4000, 6000);

  it("stops early on a validation set and predicts with the best round by default", () => {
    const seen: IterationRecord[] = [];
    const b = train({ ...binParams, learningRate: 0.3, metric: ["binary_logloss", "auc"] }, small, {
      numBoostRound: 300,
      validSets: [valid],
      earlyStoppingRounds: 10,
      callbacks: [(rec) => void seen.push(rec)],
    });
    expect(b.bestIteration).toBeGreaterThan(0);
    expect(seen.length).toBe(b.bestIteration + 10);
    expect(b.numIterations).toBe(seen.length);
    const losses = seen.map((r) => r.evaluations[0].value);
    expect(Math.min(...losses)).toBe(losses[b.bestIteration - 1]);
    expect(seen[0].evaluations.map((e) => e.metric)).toEqual(["binary_logloss", "auc"]);
    // The callback's logged loss equals a recomputation from the model at that round.
    const p = b.predict(valid.X, { numIteration: 5 });
    expect(Math.abs(logLoss(valid.y, p) - seen[4].evaluations[0].value)).toBeLessThan(1e-9);
    expect(Array.from(b.predict(valid.X))).toEqual(Array.from(b.predict(valid.X, { numIteration: b.bestIteration })));
  });

  it("stops when a callback returns 'stop'", () => {
    const b = train(binParams, small, { numBoostRound: 50, callbacks: [(r) => (r.iteration === 6 ? "stop" : undefined)] });
    expect(b.numIterations).toBe(7);
  });

  it("is bit-identical for a seed with bagging and feature fraction, and different for another seed", () => {
    const params = { ...binParams, baggingFraction: 0.7, baggingFreq: 1, featureFraction: 0.6, seed: 11 };
    const a = train(params, small, { numBoostRound: 20 }).predictRaw(valid.X);
    const b = train(params, small, { numBoostRound: 20 }).predictRaw(valid.X);
    const c = train({ ...params, seed: 12 }, small, { numBoostRound: 20 }).predictRaw(valid.X);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it("round-trips through JSON and predicts identically", () => {
    const b = train({ ...binParams, baggingFraction: 0.8, baggingFreq: 2 }, small, { numBoostRound: 15 });
    const text = JSON.stringify(b.toJSON());
    const loaded = Booster.fromJSON(JSON.parse(text));
    expect(Array.from(loaded.predictRaw(valid.X))).toEqual(Array.from(b.predictRaw(valid.X)));
    expect(Array.from(loaded.featureImportance("gain"))).toEqual(Array.from(b.featureImportance("gain")));
    expect(() => Booster.fromJSON({ kind: "RandomForest" })).toThrow(/not a GradientBoostedTrees/);
    expect(() => Booster.fromJSON({ ...JSON.parse(text), version: 9 })).toThrow(/version 9/);
  });

  it("weights rows: doubling a row's weight equals duplicating it", () => {
    // Values rounded to one decimal have fewer distinct values than bins, so both fits bin alike.
    const rounded = { X: { ...binary.X, values: binary.X.values.map((v) => Math.round(v * 10) / 10) }, y: binary.y };
    const rows = Array.from({ length: 1000 }, (_, i) => i);
    const dup = takeRows(rounded, [...rows, ...rows.slice(0, 200)]);
    const w = new Float64Array(1000).fill(1);
    for (let i = 0; i < 200; i++) w[i] = 2;
    const base = takeRows(rounded, rows);
    // min_data_in_leaf counts rows, so disable it to compare the two fits on equal terms.
    const params = { objective: "binary" as const, numLeaves: 8, minDataInLeaf: 0, minSumHessianInLeaf: 1, maxBin: 255 };
    const a = train(params, { ...base, weight: w }, { numBoostRound: 5 }).predictRaw(valid.X);
    const b = train(params, dup, { numBoostRound: 5 }).predictRaw(valid.X);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-9);
  });
});

describe("gradient boosting: bad input", () => {
  const X = { nRows: 6, nCols: 2, values: Float64Array.from([1, 5, 2, 5, 3, 5, 4, 5, 5, 5, 6, 5]) };

  it("raises DataErrors for empty data, a single class, bad labels and wrong widths", () => {
    expect(() => train({ objective: "binary" }, { X: { nRows: 0, nCols: 3, values: new Float64Array(0) }, y: [] })).toThrow(/no rows/);
    expect(() => train({ objective: "binary" }, { X, y: [1, 1, 1, 1, 1, 1] })).toThrow(/single class/);
    expect(() => train({ objective: "binary" }, { X, y: [0, 1, 2, 0, 1, 0] })).toThrow(/row 2 is 2/);
    expect(() => train({ objective: "binary" }, { X, y: [0, 1] })).toThrow(DataError);
    const b = train({ objective: "regression", minDataInLeaf: 1 }, { X, y: [1, 2, 3, 4, 5, 6] }, { numBoostRound: 3 });
    expect(() => b.predict([[1, 2, 3]])).toThrow(/expected 2 features per row, given 3/);
  });

  it("raises a ConfigError naming an unknown or invalid parameter", () => {
    expect(() => train({ numLeaves: 1 }, { X, y: [1, 2, 3, 4, 5, 6] })).toThrow(ConfigError);
    expect(() => train({ numLeaves: 1 }, { X, y: [1, 2, 3, 4, 5, 6] })).toThrow(/numLeaves: 1/);
    expect(() => train({ num_leaves: 4 } as never, { X, y: [1, 2, 3, 4, 5, 6] })).toThrow(/num_leaves/);
  });

  it("returns the mean for constant features (no split possible)", () => {
    const constant = { nRows: 4, nCols: 1, values: Float64Array.from([2, 2, 2, 2]) };
    const b = train({ objective: "regression", minDataInLeaf: 1 }, { X: constant, y: [1, 2, 3, 6] }, { numBoostRound: 5 });
    expect(b.trees.length).toBe(0);
    expect(Array.from(b.predict([[2], [NaN]]))).toEqual([3, 3]);
  });

  it("learns a default side for NaN and treats infinities as extreme values", () => {
    const rng = createRng(3);
    const n = 2000;
    const values = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      // Missing rows behave like large values; -Infinity and +Infinity are the extremes.
      if (u < 0.1) {
        values[i] = NaN;
        y[i] = 10;
      } else if (u < 0.15) {
        values[i] = Infinity;
        y[i] = 10;
      } else if (u < 0.2) {
        values[i] = -Infinity;
        y[i] = -10;
      } else {
        values[i] = rng.normal();
        y[i] = values[i] > 0 ? 10 : -10;
      }
    }
    const b = train({ objective: "regression", numLeaves: 4, learningRate: 1 }, { X: { nRows: n, nCols: 1, values }, y }, { numBoostRound: 1 });
    const pred = b.predict([[NaN], [Infinity], [-Infinity], [1e308], [-1e308], [2], [-2]]);
    expect(Array.from(pred, (v) => Math.round(v))).toEqual([10, 10, -10, 10, -10, 10, -10]);
    const json = JSON.stringify(b.toJSON());
    expect(json).not.toMatch(/Infinity|null/);
  });

  it("sends NaN to the larger side for a feature that had no missing values in training", () => {
    const n = 100;
    const values = Float64Array.from({ length: n }, (_, i) => i);
    const y = Float64Array.from({ length: n }, (_, i) => (i < 30 ? 0 : 1));
    const b = train({ objective: "regression", numLeaves: 2, learningRate: 1, minDataInLeaf: 5 }, { X: { nRows: n, nCols: 1, values }, y }, { numBoostRound: 1 });
    expect(b.predict([[NaN]])[0]).toBeCloseTo(1, 10);
  });

  it("routes unseen and missing categories right, like LightGBM", () => {
    const n = 600;
    const values = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      values[i] = i % 6;
      y[i] = values[i] === 2 ? 5 : 0;
    }
    const b = train({ objective: "regression", numLeaves: 2, learningRate: 1, categoricalFeature: [0], minDataPerGroup: 1, catSmooth: 1 }, { X: { nRows: n, nCols: 1, values }, y }, { numBoostRound: 1 });
    const p = b.predict([[2], [3], [99], [NaN], [-1], [2.5]]);
    expect(p[0]).toBeGreaterThan(4);
    for (let i = 1; i < p.length; i++) expect(p[i]).toBeLessThan(1);
  });
});
