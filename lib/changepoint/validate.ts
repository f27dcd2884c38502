/**
 * Input checks shared by every change-point detector, so that bad data fails the same way
 * everywhere: a DataError naming the index and the value at fault.
 *
 * Zero-exposure days are allowed: a day with exposure 0 carries no information about the rate
 * (its Poisson likelihood is 1 when its count is 0), so it is kept in the time axis and
 * contributes nothing. A positive count on a zero-exposure day is impossible under the model and
 * is an error.
 */
import { DataError } from "../errors.js";

/** Counts with their exposures, validated and copied (inputs are never mutated). */
export interface CountSeries {
  readonly counts: Float64Array;
  readonly exposure: Float64Array;
}

type NumericArray = ArrayLike<number>;

/** Validate a count series and its exposures; exposure defaults to 1 per day. */
export function validateCounts(counts: NumericArray, exposure?: NumericArray, what = "counts"): CountSeries {
  const n = counts.length;
  if (n === 0) throw new DataError(`${what}: the series is empty`);
  if (exposure !== undefined && exposure.length !== n) {
    throw new DataError(`exposure: length ${exposure.length} differs from ${what} length ${n}`);
  }
  const c = new Float64Array(n);
  const e = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = counts[i];
    if (Number.isNaN(x)) throw new DataError(`${what}[${i}] is NaN`);
    if (!Number.isFinite(x) || x < 0 || Math.floor(x) !== x) {
      throw new DataError(`${what}[${i}] = ${x}: counts must be finite non-negative integers`);
    }
    const ex = exposure === undefined ? 1 : exposure[i];
    if (Number.isNaN(ex)) throw new DataError(`exposure[${i}] is NaN`);
    if (!Number.isFinite(ex) || ex < 0) throw new DataError(`exposure[${i}] = ${ex}: exposure must be finite and >= 0`);
    if (ex === 0 && x > 0) {
      throw new DataError(`${what}[${i}] = ${x} with exposure[${i}] = 0: events cannot occur without exposure`);
    }
    c[i] = x;
    e[i] = ex;
  }
  return { counts: c, exposure: e };
}

/** Validate a real-valued series (finite values only) and copy it. */
export function validateReal(values: NumericArray, what = "values"): Float64Array {
  const n = values.length;
  if (n === 0) throw new DataError(`${what}: the series is empty`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = values[i];
    if (Number.isNaN(x)) throw new DataError(`${what}[${i}] is NaN`);
    if (!Number.isFinite(x)) throw new DataError(`${what}[${i}] = ${x}: values must be finite`);
    out[i] = x;
  }
  return out;
}

/** Check one streaming observation (count model) and name the time step at fault. */
export function checkCountObservation(x: number, exposure: number, t: number): void {
  if (Number.isNaN(x)) throw new DataError(`observation ${t} is NaN`);
  if (!Number.isFinite(x) || x < 0 || Math.floor(x) !== x) {
    throw new DataError(`observation ${t} = ${x}: counts must be finite non-negative integers`);
  }
  if (Number.isNaN(exposure)) throw new DataError(`exposure of observation ${t} is NaN`);
  if (!Number.isFinite(exposure) || exposure < 0) {
    throw new DataError(`exposure of observation ${t} = ${exposure}: exposure must be finite and >= 0`);
  }
  if (exposure === 0 && x > 0) {
    throw new DataError(`observation ${t} = ${x} with exposure 0: events cannot occur without exposure`);
  }
}

/** Check one streaming real observation. */
export function checkRealObservation(x: number, t: number): void {
  if (Number.isNaN(x)) throw new DataError(`observation ${t} is NaN`);
  if (!Number.isFinite(x)) throw new DataError(`observation ${t} = ${x}: values must be finite`);
}
