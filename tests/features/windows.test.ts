import { describe, expect, it } from "vitest";
import { N_WINDOW_FEATURES, slidingWindows, WINDOW_FEATURES, type WindowChannels } from "../../lib/features/windows.js";
import { DataError } from "../../lib/errors.js";

/** rpm a linear ramp, load constant, throttle a 0/1 square wave, speed a sine over whole periods, accel +-1, brake zero. */
function constructed(n: number): WindowChannels {
  const f = (g: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => g(i));
  return {
    rpm: f((i) => 1000 + 10 * i),
    throttle: f((i) => (i % 2 === 0 ? 1 : 0)),
    load: f(() => 0.5),
    speed_kmh: f((i) => 60 + 8 * Math.sin((2 * Math.PI * i) / 20)),
    accel_mps2: f((i) => (i % 4 < 2 ? 1 : -1)),
    brake: f(() => 0),
  };
}

const col = (name: (typeof WINDOW_FEATURES)[number]) => WINDOW_FEATURES.indexOf(name);

describe("slidingWindows", () => {
  it("equals the closed forms on a constructed signal", () => {
    const n = 200;
    const W = 100;
    const w = slidingWindows(constructed(n), new Int32Array(n), W, 20);
    expect(w.nRows).toBe(Math.floor((n - W) / 20) + 1);
    expect(w.nCols).toBe(N_WINDOW_FEATURES);
    for (let r = 0; r < w.nRows; r++) {
      const start = r * 20;
      const x = (name: (typeof WINDOW_FEATURES)[number]) => w.values[r * N_WINDOW_FEATURES + col(name)];
      const rpmMean = 1000 + 10 * (start + (W - 1) / 2);
      expect(w.end[r]).toBe(start + W);
      expect(x("rpm_mean")).toBeCloseTo(rpmMean, 8);
      // Population std of an arithmetic sequence: step * sqrt((W^2 - 1) / 12).
      expect(x("rpm_std")).toBeCloseTo(10 * Math.sqrt((W * W - 1) / 12), 8);
      expect(x("rpm_range")).toBeCloseTo(10 * (W - 1), 8);
      expect(x("power_factor_mean")).toBeCloseTo(0.5 * rpmMean, 8);
      expect(x("throttle_mean")).toBe(0.5);
      expect(x("throttle_std")).toBe(0.5);
      expect(x("load_mean")).toBe(0.5);
      expect(x("load_max")).toBe(0.5);
      // A sine over five whole periods: mean 60, std amplitude / sqrt(2).
      expect(x("speed_mean")).toBeCloseTo(60, 10);
      expect(x("speed_std")).toBeCloseTo(8 / Math.SQRT2, 10);
      expect(x("accel_std")).toBe(1);
      expect(x("accel_max")).toBe(1);
      expect(x("accel_min")).toBe(-1);
      expect(x("brake_mean")).toBe(0);
    }
  });

  it("never lets a window cross a group boundary", () => {
    const n = 250;
    const group = Int32Array.from({ length: n }, (_, i) => (i < 130 ? 1 : 2));
    const w = slidingWindows(constructed(n), group, 50, 30);
    // Group 1 (130 samples): ends 50, 80, 110; group 2 (120 samples): ends 180, 210, 240.
    expect(Array.from(w.end)).toEqual([50, 80, 110, 180, 210, 240]);
    expect(Array.from(w.group)).toEqual([1, 1, 1, 2, 2, 2]);
    const rpmStd = w.values[3 * N_WINDOW_FEATURES + col("rpm_std")];
    expect(rpmStd).toBeCloseTo(10 * Math.sqrt((50 * 50 - 1) / 12), 8);
  });

  it("rejects channels of different lengths", () => {
    const ch = constructed(50);
    ch.load = new Float64Array(49);
    expect(() => slidingWindows(ch, new Int32Array(50), 10, 1)).toThrow(DataError);
  });
});
