import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildBinMappers, findNumericBounds } from "../../lib/trees/binning.js";
import { createRng } from "../../lib/util/random.js";

interface BinFixture {
  names: string[];
  X: Array<Array<number | null>>;
  num_bin: number[];
  thresholds: number[][];
  params: { maxBin: number; minDataInLeaf: number };
}

// Made by tests/trees/fixtures/make_bin_fixture.py with LightGBM (fewer rows than the bin sample).
const fixture = JSON.parse(readFileSync(join(__dirname, "fixtures", "bins.json"), "utf8")) as BinFixture;

describe("LightGBM-compatible binning", () => {
  const n = fixture.X.length;
  const p = fixture.names.length;
  const values = new Float64Array(n * p);
  fixture.X.forEach((row, r) => row.forEach((v, f) => (values[r * p + f] = v === null ? NaN : v)));
  const mappers = buildBinMappers(
    { nRows: n, nCols: p, values },
    { maxBin: fixture.params.maxBin, minDataInBin: 3, binConstructSampleCnt: 200000, categoricalFeatures: new Set(), maxCategories: 255, minDataInLeaf: fixture.params.minDataInLeaf },
    createRng(1),
  );

  it("has LightGBM's number of bins per feature (missing-value bin included)", () => {
    expect(mappers.map((m) => m.totalBins)).toEqual(fixture.num_bin);
  });

  it("has every threshold LightGBM split on among its bin bounds, to the bit", () => {
    fixture.names.forEach((name, f) => {
      const bounds = new Set(Array.from(mappers[f].upperBounds));
      const missing = fixture.thresholds[f].filter((t) => !bounds.has(t));
      expect(missing, name).toEqual([]);
      expect(fixture.thresholds[f].length, name).toBeGreaterThan(10);
    });
  });

  it("gives near-zero values a bin of their own between the negative and positive bins", () => {
    const sorted = Float64Array.from([-3, -2, -1, 0, 0, 0, 1e-40, 1, 2, 3]);
    // Midpoints rounded up by one ulp; the zero bin is (-kZeroThreshold, kZeroThreshold], 1e-35 in single precision.
    const z = Math.fround(1e-35);
    expect(Array.from(findNumericBounds(sorted, 255, 1))).toEqual([-2.4999999999999996, -1.4999999999999998, -z, z, 1.5000000000000002, 2.5000000000000004, Infinity]);
  });

  it("makes a feature that cannot leave minDataInLeaf rows on both sides of any bound trivial (feature_pre_filter)", () => {
    const rows = 200;
    const v = new Float64Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      v[2 * r] = r < 3 ? 1 : 5; // only 3 rows differ: no split with 20 on each side
      v[2 * r + 1] = r % 7;
    }
    const m = buildBinMappers(
      { nRows: rows, nCols: 2, values: v },
      { maxBin: 255, minDataInBin: 3, binConstructSampleCnt: 200000, categoricalFeatures: new Set(), maxCategories: 255, minDataInLeaf: 20 },
      createRng(1),
    );
    expect(m[0].totalBins).toBe(1);
    expect(m[1].totalBins).toBeGreaterThan(1);
  });
});
