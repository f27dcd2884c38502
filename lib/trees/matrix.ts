/**
 * The feature matrix every tree model reads: row-major numbers with a known shape. Row-major
 * keeps one row's features in one cache line during prediction; training copies the columns it
 * needs into its own binned, column-major store.
 */
import { DataError } from "../errors.js";

/** A dense row-major matrix: value of row r, feature f at `values[r * nCols + f]`. NaN means missing. */
export interface FeatureMatrix {
  readonly nRows: number;
  readonly nCols: number;
  readonly values: Float64Array | Float32Array;
}

/** Anything the tree models accept as features: a FeatureMatrix or an array of rows. */
export type MatrixInput = FeatureMatrix | ReadonlyArray<ArrayLike<number>>;

/** Build a FeatureMatrix from an array of equally long rows (null and undefined become NaN). */
export function matrixFromRows(rows: ReadonlyArray<ArrayLike<number | null | undefined>>): FeatureMatrix {
  const nRows = rows.length;
  const nCols = nRows === 0 ? 0 : rows[0].length;
  const values = new Float64Array(nRows * nCols);
  for (let r = 0; r < nRows; r++) {
    const row = rows[r];
    if (row.length !== nCols) throw new DataError(`row ${r} has ${row.length} features but row 0 has ${nCols}`);
    for (let f = 0; f < nCols; f++) {
      const v = row[f];
      values[r * nCols + f] = v === null || v === undefined ? NaN : v;
    }
  }
  return { nRows, nCols, values };
}

/** Build a FeatureMatrix from equally long columns (null and undefined become NaN). */
export function matrixFromColumns(columns: ReadonlyArray<ArrayLike<number | null | undefined>>): FeatureMatrix {
  const nCols = columns.length;
  const nRows = nCols === 0 ? 0 : columns[0].length;
  const values = new Float64Array(nRows * nCols);
  for (let f = 0; f < nCols; f++) {
    const col = columns[f];
    if (col.length !== nRows) throw new DataError(`column ${f} has ${col.length} rows but column 0 has ${nRows}`);
    for (let r = 0; r < nRows; r++) {
      const v = col[r];
      values[r * nCols + f] = v === null || v === undefined ? NaN : v;
    }
  }
  return { nRows, nCols, values };
}

function isFeatureMatrix(x: MatrixInput): x is FeatureMatrix {
  return !Array.isArray(x) && typeof (x as FeatureMatrix).nCols === "number";
}

/** Normalize a MatrixInput to a FeatureMatrix, checking its shape (no copy when it already is one). */
export function toMatrix(x: MatrixInput, what = "X"): FeatureMatrix {
  if (isFeatureMatrix(x)) {
    if (x.values.length !== x.nRows * x.nCols) {
      throw new DataError(`${what}: values has ${x.values.length} entries, expected nRows * nCols = ${x.nRows * x.nCols}`);
    }
    return x;
  }
  return matrixFromRows(x as ReadonlyArray<ArrayLike<number>>);
}

/** Fail with a DataError naming expected and given feature counts when a model meets the wrong width. */
export function checkFeatureCount(x: FeatureMatrix, expected: number, model: string): void {
  if (x.nCols !== expected) {
    throw new DataError(`${model}: expected ${expected} features per row, given ${x.nCols}`);
  }
}
