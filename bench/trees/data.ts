/** Seeded synthetic data for the tree benchmarks, written as raw float64 so the Python peer reads the very same numbers. */
import { writeFileSync } from "node:fs";
import { createRng } from "../../lib/util/random.js";
import type { FeatureMatrix } from "../../lib/trees/matrix.js";

/** A HIGGS-like binary problem: 28 features, a nonlinear logit of several of them, 2% missing in two columns. */
export function makeBinary(n: number, p: number, seed: number): { X: FeatureMatrix; y: Float64Array } {
  const rng = createRng(seed);
  const values = new Float64Array(n * p);
  const y = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const o = r * p;
    for (let f = 0; f < p; f++) values[o + f] = rng.normal();
    const logit =
      0.9 * values[o] - 0.7 * values[o + 1] * values[o + 2] + Math.sin(1.5 * values[o + 3]) + 0.5 * Math.abs(values[o + 4]) -
      0.4 * values[o + 5] * values[o + 5] + 0.3 * values[o + 6] + 0.2 * (values[o + 7] > 0.5 ? 1 : 0) - 0.2;
    y[r] = rng.uniform() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    if (rng.uniform() < 0.02) values[o + 8] = NaN;
    if (rng.uniform() < 0.02) values[o + 9] = NaN;
  }
  return { X: { nRows: n, nCols: p, values }, y };
}

/** Inliers from a standard normal plus a fraction of anomalies from a wider normal (sd 2), so the classes overlap. */
export function makeAnomalies(n: number, p: number, fraction: number, seed: number): { X: FeatureMatrix; y: Float64Array } {
  const rng = createRng(seed);
  const values = new Float64Array(n * p);
  const y = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const anomaly = rng.uniform() < fraction;
    y[r] = anomaly ? 1 : 0;
    for (let f = 0; f < p; f++) values[r * p + f] = anomaly ? 2 * rng.normal() : rng.normal();
  }
  return { X: { nRows: n, nCols: p, values }, y };
}

/** Write features and labels as little-endian float64 files. */
export function writeRaw(path: string, d: { X: FeatureMatrix; y: Float64Array }): void {
  writeFileSync(`${path}.X.f64`, new Uint8Array(d.X.values.buffer, d.X.values.byteOffset, d.X.values.byteLength));
  writeFileSync(`${path}.y.f64`, new Uint8Array(d.y.buffer, d.y.byteOffset, d.y.byteLength));
}
