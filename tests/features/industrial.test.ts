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
    // A short seasonal period (several completed periods before t, bins of 4 samples) exercises the seasonal index too.
    for (const cfg of [{ ...config, seasonalPeriod: 86400, seasonalBins: 24 }, { ...config, seasonalPeriod: 40, seasonalBins: 10 }]) {
      const fa = extractIndustrialFeatures(a, cfg);
      const fb = extractIndustrialFeatures(b, cfg);
      const differsLater = new Set<string>();
      for (let f = 0; f < fa.columns.length; f++) {
        // Compare the whole column prefix at once (a per-value expect over 100 columns is slow).
        const bad: string[] = [];
        for (let k = 0; k <= t; k++) {
          for (let d = 0; d < 2; d++) if (!Object.is(fb.columns[f][2 * k + d], fa.columns[f][2 * k + d])) bad.push(`sample ${k} device ${d}`);
        }
        expect(bad, fa.names[f]).toEqual([]);
        for (let k = t + 1; k < len; k++) if (fb.columns[f][2 * k] !== fa.columns[f][2 * k]) differsLater.add(fa.names[f]);
      }
      // The perturbation is visible later in every channel's residual: the test can fail.
      for (const ch of ["voltage_v", "current_a", "temp_c", "rpm", "vibration_g"]) expect(differsLater.has(`${ch}_season_resid_${cfg.seasonalPeriod}`), ch).toBe(true);
    }
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

  it("seasonal residual of a pure periodic signal plus a step: 0 after two periods, then h (1 - j / P) j samples after the step", () => {
    // One device; every channel = c + periodic(k) + h [k >= k0], P = 24 with one phase bin per sample.
    const P = 24;
    const k0 = 5 * P;
    const len = k0 + 2 * P;
    const h = 7.5;
    const data = telemetry(len, 9);
    const n = data.n;
    const periodic = (k: number): number => 3 * Math.sin((2 * Math.PI * k) / P) + 1.25 * Math.cos((6 * Math.PI * k) / P) + (k % P === 5 ? 2 : 0) - 2 / P;
    for (let r = 0; r < n; r++) {
      const k = r >> 1;
      const v = 40 + periodic(k) + (k >= k0 ? h : 0);
      for (const ch of ["voltage_v", "current_a", "temp_c", "rpm", "vibration_g"] as const) data[ch][r] = v;
    }
    const f = extractIndustrialFeatures(data, { ...config, seasonalPeriod: P, seasonalBins: P });
    const resid = f.columns[f.names.indexOf(`temp_c_season_resid_${P}`)];
    for (let k = 2 * P; k < k0; k++) expect(Math.abs(resid[2 * k]), `sample ${k}`).toBeLessThan(1e-9);
    // The level (mean of the P samples before k) absorbs the step linearly; the seasonal index still holds periods before the step.
    for (let j = 0; j < P; j++) expect(resid[2 * (k0 + j)], `step + ${j}`).toBeCloseTo(h * (1 - j / P), 9);
    expect(resid[2 * k0]).toBeCloseTo(h, 9);
    // Coarser bins average the profile within a bin, so the pure periodic signal is no longer removed exactly.
    const coarse = extractIndustrialFeatures(data, { ...config, seasonalPeriod: P, seasonalBins: 4 });
    const rc = coarse.columns[coarse.names.indexOf(`temp_c_season_resid_${P}`)];
    expect(Math.max(...Array.from({ length: k0 - 2 * P }, (_, i) => Math.abs(rc[2 * (2 * P + i)])))).toBeGreaterThan(0.1);
    expect(() => extractIndustrialFeatures(data, { seasonalPeriod: 10, seasonalBins: 11 })).toThrow(/seasonalBins/);
  });

  it("rejects bad configs and ragged columns", () => {
    const data = telemetry(20, 6);
    expect(() => extractIndustrialFeatures(data, { fftWindow: 12 })).toThrow(ConfigError);
    expect(() => extractIndustrialFeatures(data, { windowz: [3] } as never)).toThrow(/windowz/);
    expect(() => extractIndustrialFeatures({ ...data, rpm: new Float64Array(3) })).toThrow(/rpm/);
  });
});
