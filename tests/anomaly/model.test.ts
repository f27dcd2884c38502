import { describe, expect, it } from "vitest";
import { fitAnomalyModel } from "../../lib/anomaly/model.js";
import { fitIsolationForest } from "../../lib/trees/isolation-forest.js";
import { createRng } from "../../lib/util/random.js";

describe("AnomalyModel.score", () => {
  // 7 columns x 2000 rows of skewed noise; more rows than one scoring block so blocks are exercised.
  const rng = createRng(11);
  const n = 2000;
  const columns = Array.from({ length: 7 }, (_, f) => Float64Array.from({ length: n }, () => f * 10 + Math.exp(rng.normal())));
  const model = fitAnomalyModel(columns.map((_, f) => `f${f}`), columns, Int32Array.from({ length: 1000 }, (_, i) => i), { nEstimators: 20, maxSamples: 64 }, { rng: createRng(3) });

  it("equals scaling to a matrix then scoring it, bit for bit, on any row selection", () => {
    const rows = Int32Array.from({ length: 1500 }, (_, i) => (i * 7919) % n);
    const a = model.score(columns, rows);
    const b = model.scoreMatrix(model.transform(columns, rows));
    expect(Array.from(a)).toEqual(Array.from(b));
    // And equals 2^(-E[h]/c) of the forest's own path lengths: the forest's score negated.
    const direct = model.forest.scoreSamples(model.transform(columns, rows));
    for (let i = 0; i < rows.length; i++) expect(a[i]).toBe(-direct[i]);
  });

  it("fits the same forest as the isolation forest on the scaled training matrix (without building it)", () => {
    const rows = Int32Array.from({ length: 1000 }, (_, i) => i);
    const direct = fitIsolationForest(model.transform(columns, rows), { nEstimators: 20, maxSamples: 64 }, { rng: createRng(3) });
    expect(model.forest.toJSON()).toEqual(direct.toJSON());
    const bad = columns.map((c) => Float64Array.from(c));
    bad[2][17] = Infinity;
    expect(() => fitAnomalyModel(columns.map((_, f) => `f${f}`), bad, rows)).toThrow(/row 17, feature f2 is Infinity/);
  });

  it("refuses non-finite feature values, naming the row and feature", () => {
    const bad = columns.map((c) => Float64Array.from(c));
    bad[3][700] = NaN;
    expect(() => model.score(bad, [5, 700])).toThrow(/row 700, feature f3 is NaN/);
  });
});
