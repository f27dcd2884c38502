import { readFileSync } from "node:fs";
import type { FeatureMatrix } from "../../lib/trees/matrix.js";

/** A fixture CSV (columns f0..f{p-1}, y; empty field = NaN) as a matrix and labels. */
export interface CsvData {
  X: FeatureMatrix;
  y: Float64Array;
}

export function readCsv(name: string): CsvData {
  const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8").trim().split("\n");
  const p = text[0].split(",").length - 1;
  const n = text.length - 1;
  const values = new Float64Array(n * p);
  const y = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const cells = text[r + 1].split(",");
    for (let f = 0; f < p; f++) values[r * p + f] = cells[f] === "" ? NaN : Number(cells[f]);
    y[r] = Number(cells[p]);
  }
  return { X: { nRows: n, nCols: p, values }, y };
}

/** Rows [from, to) of a data set. */
export function sliceRows(d: CsvData, from: number, to: number): CsvData {
  const p = d.X.nCols;
  return {
    X: { nRows: to - from, nCols: p, values: d.X.values.slice(from * p, to * p) },
    y: d.y.slice(from, to),
  };
}

/** The given rows of a data set. */
export function takeRows(d: CsvData, rows: readonly number[]): CsvData {
  const p = d.X.nCols;
  const values = new Float64Array(rows.length * p);
  rows.forEach((r, i) => values.set(d.X.values.subarray(r * p, (r + 1) * p), i * p));
  return { X: { nRows: rows.length, nCols: p, values }, y: Float64Array.from(rows, (r) => d.y[r]) };
}

// Reference values made by tests/trees/fixtures/make_fixtures.py (LightGBM, scikit-learn).
export const reference = JSON.parse(readFileSync(new URL("./fixtures/reference.json", import.meta.url), "utf8")) as {
  binary: { n_train: number; test_auc: number; test_logloss: number; split_importance: number[] };
  binary_rare: { train_rows: number[]; test_auc: number; positive_rate: number };
  regression: { n_train: number; test_rmse: number };
  multiclass: { n_train: number; test_logloss: number; test_accuracy: number };
  forest: { n_train: number; test_accuracy: number; oob_score: number; test_auc: number; test_accuracy_by_seed: number[] };
  isolation: { auc: number; auc_by_seed: number[]; score_samples_seed0: number[]; offset_contamination_003_seed0: number };
};
