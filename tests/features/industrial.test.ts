import { describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/errors.js";
import { createPowerFft, extractIndustrialFeatures, industrialFeatureNames, IndustrialFeatureConfigSchema, spectrumSummary } from "../../lib/features/industrial.js";
import { createRng } from "../../lib/util/random.js";

/** Two devices interleaved by time, random-walk channels, a few NaN gaps and state changes. */
function telemetry(len: number, seed: number) {
  const rng = createRng(seed);
  const n = 2 * len;
  const cols = {
    device_id: new Int32Array(n),
    state: new Uint8Array(n),
    voltage_v: new Float64Array(n),
    current_a: new Float64Array(n),
    temp_c: new Float64Array(n),
    rpm: new Float64Array(n),
    vibration_g: new Float64Array(n),
  };
  for (let k = 0; k < len; k++) {
    for (let d = 0; d < 2; d++) {
      const r = 2 * k + d;
      cols.device_id[r] = d + 7;
      cols.state[r] = Math.floor(k / 37) % 3 === 2 ? 1 : 0;
      cols.voltage_v[r] = 230 + rng.normal();
      cols.current_a[r] = 10 + 0.1 * rng.normal();
      cols.temp_c[r] = k % 50 < 3 ? NaN : 60 + rng.normal();
      cols.rpm[r] = 1800 + 3 * rng.normal();
      cols.vibration_g[r] = 0.03 * rng.normal();
    }
  }
  return { ...cols, n };
}

describe("industrial features", () => {
  const config = { windows: [5, 30], fftWindow: 16, fftHop: 4, transitionWindow: 50 };

  it("produces at least 60 finite features over the five channels", () => {
    const data = telemetry(200, 1);
    const f = extractIndustrialFeatures(data, config);
    expect(f.names.length).toBeGreaterThanOrEqual(60);
    expect(f.names).toEqual(industrialFeatureNames(IndustrialFeatureConfigSchema.parse(config)).names);
    for (const c of f.columns) for (const v of c) expect(Number.isFinite(v)).toBe(true);
    expect(f.sampleIndex[2 * 150 + 1]).toBe(150);
  });

  it("is leakage-safe: changing data after t leaves every feature at t unchanged", () => {
    const len = 300;
    const t = 173;
    const a = telemetry(len, 2);
    const b = telemetry(len, 2);
    const rng = createRng(99);
    // Perturb every channel and the state of both devices after sample t.
    for (let k = t + 1; k < len; k++) {
      for (let d = 0; d < 2; d++) {
        const r = 2 * k + d;
        b.voltage_v[r] += 50 * rng.normal();
        b.current_a[r] = NaN;
        b.temp_c[r] += 100;
        b.rpm[r] *= 0.5;
        b.vibration_g[r] = Math.sin(k);
        b.state[r] = 2;
      }
    }
    const fa = extractIndustrialFeatures(a, config);
    const fb = extractIndustrialFeatures(b, config);
    let differsLater = false;
    for (let f = 0; f < fa.columns.length; f++) {
      for (let k = 0; k <= t; k++) {
        for (let d = 0; d < 2; d++) expect(fb.columns[f][2 * k + d], `${fa.names[f]} at sample ${k}`).toBe(fa.columns[f][2 * k + d]);
      }
      if (fb.columns[f][2 * (len - 1)] !== fa.columns[f][2 * (len - 1)]) differsLater = true;
    }
    expect(differsLater).toBe(true);
  });

  it("rolling statistics match a direct computation over the trailing window", () => {
    const data = telemetry(120, 3);
    const f = extractIndustrialFeatures(data, config);
    const col = (name: string) => f.columns[f.names.indexOf(name)];
    for (const k of [0, 3, 29, 30, 77, 119]) {
      const r = 2 * k + 1;
      const lo = Math.max(0, k - 29);
      const xs: number[] = [];
      for (let j = lo; j <= k; j++) xs.push(data.rpm[2 * j + 1]);
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
      expect(col("rpm_mean_30")[r]).toBeCloseTo(m, 9);
      expect(col("rpm_std_30")[r]).toBeCloseTo(sd, 7);
      expect(col("rpm_min_30")[r]).toBe(Math.min(...xs));
      expect(col("rpm_max_30")[r]).toBe(Math.max(...xs));
      if (xs.length > 1) {
        const jm = (xs.length - 1) / 2;
        let num = 0;
        let den = 0;
        xs.forEach((x, j) => {
          num += (j - jm) * (x - m);
          den += (j - jm) ** 2;
        });
        expect(col("rpm_slope_30")[r]).toBeCloseTo(num / den, 7);
      }
      expect(col("rpm_delta")[r]).toBeCloseTo(k === 0 ? 0 : data.rpm[r] - data.rpm[r - 2], 9);
    }
  });

  it("carries missing readings forward and counts the streak", () => {
    const data = telemetry(60, 4);
    const f = extractIndustrialFeatures(data, config);
    const value = f.columns[f.names.indexOf("temp_c_value")];
    const streak = f.columns[f.names.indexOf("temp_c_missing_streak")];
    // temp is NaN at k % 50 in {0,1,2}: k = 50, 51, 52 carry the reading of k = 49.
    expect(value[2 * 52]).toBe(data.temp_c[2 * 49]);
    expect(streak[2 * 52]).toBe(3);
    expect(streak[2 * 53]).toBe(0);
  });

  it("FFT features of a pure sine equal the closed form (energy A^2/2, peak bin m, share 1)", () => {
    const n = 64;
    const fft = createPowerFft(n);
    for (const [A, m, phase] of [
      [1, 5, 0],
      [0.37, 12, 0.9],
      [2.5, 1, 2],
    ]) {
      const x = Float64Array.from({ length: n }, (_, i) => 3 + A * Math.sin((2 * Math.PI * m * i) / n + phase));
      const s = spectrumSummary(fft, x);
      expect(s.energy).toBeCloseTo((A * A) / 2, 10);
      expect(s.peakBin).toBe(m);
      expect(s.peakShare).toBeCloseTo(1, 10);
    }
    // At Nyquist (bin n/2) a cosine has power A^2 (no conjugate twin).
    const nyq = Float64Array.from({ length: n }, (_, i) => 0.8 * Math.cos(Math.PI * i));
    expect(spectrumSummary(fft, nyq).energy).toBeCloseTo(0.64, 10);
    expect(spectrumSummary(fft, nyq).peakBin).toBe(n / 2);
  });

  it("extractor FFT columns see the trailing hop-aligned window of a sine", () => {
    const len = 200;
    const data = telemetry(len, 5);
    const m = 3;
    for (let k = 0; k < len; k++) for (let d = 0; d < 2; d++) data.vibration_g[2 * k + d] = 0.5 * Math.sin((2 * Math.PI * m * k) / 16);
    const f = extractIndustrialFeatures(data, config);
    const energy = f.columns[f.names.indexOf("vibration_g_fft_energy_16")];
    const bin = f.columns[f.names.indexOf("vibration_g_fft_peak_bin_16")];
    expect(energy[2 * 14]).toBe(0); // before the first full window
    for (const k of [15, 16, 18, 19, 100, 199]) {
      expect(energy[2 * k]).toBeCloseTo(0.125, 10);
      expect(bin[2 * k]).toBe(m);
    }
  });

  it("rejects bad configs and ragged columns", () => {
    const data = telemetry(20, 6);
    expect(() => extractIndustrialFeatures(data, { fftWindow: 12 })).toThrow(ConfigError);
    expect(() => extractIndustrialFeatures(data, { windowz: [3] } as never)).toThrow(/windowz/);
    expect(() => extractIndustrialFeatures({ ...data, rpm: new Float64Array(3) })).toThrow(/rpm/);
  });
});
