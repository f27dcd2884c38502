import FFT from "fft.js";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/errors.js";
import { createRng } from "../../lib/util/random.js";
import { INDUSTRIAL_FAULTS, INDUSTRIAL_TABLE, IndustrialConfigSchema, createIndustrialSimulation, simulateIndustrial } from "../../lib/simulate/industrial.js";
import { suiteFromTableSchema } from "../../lib/validate/expectations.js";
import { validateTable } from "../../lib/validate/validator.js";
import { slope } from "./stats.js";

interface RealFft {
  createComplexArray(): number[];
  realTransform(out: number[], input: ArrayLike<number>): void;
}

/** Power spectrum |X_k|^2 for k = 0..n/2 of a real signal of power-of-two length. */
function powerSpectrum(x: Float64Array): Float64Array {
  const f = new (FFT as unknown as new (n: number) => RealFft)(x.length);
  const out = f.createComplexArray();
  f.realTransform(out, x);
  const p = new Float64Array(x.length / 2 + 1);
  for (let k = 0; k <= x.length / 2; k++) p[k] = out[2 * k] ** 2 + out[2 * k + 1] ** 2;
  return p;
}

function peakNear(p: Float64Array, bin: number): number {
  let m = 0;
  for (let k = Math.floor(bin) - 2; k <= Math.ceil(bin) + 2; k++) m = Math.max(m, p[k]);
  return m;
}

function median(x: ArrayLike<number>): number {
  const s = Float64Array.from(x).sort();
  return s[Math.floor(s.length / 2)];
}

const runOnly = { meanDwellSeconds: { RUN: 1e12, IDLE: 1, MAINT: 1 } };

describe("industrial config", () => {
  it("has documented defaults and rejects unknown keys", () => {
    const c = IndustrialConfigSchema.parse({});
    expect(c.devices).toBe(10);
    expect(c.sampleIntervalSeconds).toBe(1);
    expect(() => createIndustrialSimulation({ devicez: 3 } as never, createRng(1))).toThrow(ConfigError);
    expect(() => createIndustrialSimulation({ faults: { mix: { overheat: 1, gremlins: 2 } } } as never, createRng(1))).toThrow(/gremlins/);
    expect(() =>
      createIndustrialSimulation(
        { faults: { ratePerDeviceHour: 0, episodes: [{ device: 1, type: "overheat", startSample: 0, durationSamples: 10 }, { device: 1, type: "power_spike", startSample: 5, durationSamples: 10 }] } },
        createRng(1),
      ),
    ).toThrow(/overlap/);
  });
});

describe("industrial faults show their signatures", () => {
  const n = 20_000;
  const sim = simulateIndustrial(
    {
      devices: 3,
      samplesPerDevice: n,
      states: runOnly,
      faults: {
        ratePerDeviceHour: 0,
        episodes: [
          { device: 1, type: "overheat", startSample: 5000, durationSamples: 1200 },
          { device: 1, type: "sensor_dropout", startSample: 15_000, durationSamples: 300, channel: "temp_c", mode: "missing" },
          { device: 2, type: "bearing_wear", startSample: 8000, durationSamples: 4096 },
          { device: 3, type: "power_spike", startSample: 3000, durationSamples: 60 },
          { device: 3, type: "sensor_dropout", startSample: 12_000, durationSamples: 300, channel: "rpm", mode: "stuck" },
        ],
      },
    },
    createRng(17),
  );
  const c = sim.table.columns;
  /** The samples of one device's column (rows are interleaved by time). */
  const series = (col: Float64Array, device: number, from: number, to: number): Float64Array => {
    const out = new Float64Array(to - from);
    for (let k = from; k < to; k++) out[k - from] = col[k * 3 + device - 1];
    return out;
  };
  const tags = (device: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let k = 0; k < n; k++) out[k] = c.fault_tag[k * 3 + device - 1];
    return out;
  };

  it("tags exactly the rows of each episode", () => {
    for (const ep of sim.faults) {
      const t = tags(ep.device);
      const code = INDUSTRIAL_FAULTS.indexOf(ep.type);
      let inside = 0;
      for (let k = ep.startSample; k < ep.endSample; k++) if (t[k] === code) inside++;
      expect(inside).toBe(ep.endSample - ep.startSample);
    }
    let tagged = 0;
    for (let i = 0; i < sim.table.length; i++) if (c.fault_tag[i] !== 0) tagged++;
    expect(tagged).toBe(1200 + 300 + 4096 + 60 + 300);
  });

  it("overheat: temperature ramps at the configured rate during the episode, flat before", () => {
    const time = Float64Array.from({ length: 1200 }, (_, i) => i);
    const during = slope(time, series(c.temp_c, 1, 5000, 6200));
    const before = slope(time, series(c.temp_c, 1, 3800, 5000));
    expect(during).toBeGreaterThan(0.025 * 0.85); // 1.5 degC/min = 0.025 degC/s
    expect(during).toBeLessThan(0.025 * 1.15);
    expect(Math.abs(before)).toBeLessThan(0.003);
  });

  it("bearing wear: vibration RMS rises and the defect tone and harmonics dominate the spectrum", () => {
    const late = series(c.vibration_g, 2, 8000 + 4096 - 1024, 8000 + 4096);
    const pre = series(c.vibration_g, 2, 8000 - 1024, 8000);
    const rms = (x: Float64Array): number => Math.sqrt(x.reduce((a, b) => a + b * b, 0) / x.length);
    expect(rms(late)).toBeGreaterThan(3 * rms(pre));
    const pl = powerSpectrum(late);
    const pp = powerSpectrum(pre);
    const f0 = 0.11 * 1024;
    for (const h of [1, 2, 3]) {
      expect(peakNear(pl, h * f0)).toBeGreaterThan(50 * median(pl));
      expect(peakNear(pp, h * f0)).toBeLessThan(20 * median(pp));
    }
    // Harmonic amplitudes follow the 1 : 0.6 : 0.35 pattern (power ratios 0.36 and 0.12).
    expect(peakNear(pl, 2 * f0) / peakNear(pl, f0)).toBeGreaterThan(0.2);
    expect(peakNear(pl, 3 * f0) / peakNear(pl, f0)).toBeLessThan(0.3);
  });

  it("power spikes: most episode samples are voltage outliers, almost none outside", () => {
    const v = series(c.voltage_v, 3, 0, n);
    const med = median(v);
    const mad = median(v.map((x) => Math.abs(x - med))) * 1.4826;
    let inside = 0;
    let outside = 0;
    for (let k = 0; k < n; k++) {
      const z = Math.abs(v[k] - med) / mad;
      if (k >= 3000 && k < 3060) inside += z > 6 ? 1 : 0;
      else outside += z > 6 ? 1 : 0;
    }
    expect(inside).toBeGreaterThan(0.5 * 60);
    expect(outside / (n - 60)).toBeLessThan(0.001);
  });

  it("dropouts: missing values are NaN exactly during the episode; a stuck sensor repeats one reading", () => {
    const temp = series(c.temp_c, 1, 0, n);
    let nan = 0;
    for (let k = 0; k < n; k++) if (Number.isNaN(temp[k])) nan++;
    expect(nan).toBe(300);
    expect(temp.slice(15_000, 15_300).every(Number.isNaN)).toBe(true);
    const rpm = series(c.rpm, 3, 0, n);
    const stuck = rpm.slice(12_000, 12_300);
    expect(new Set(stuck).size).toBe(1);
    // Healthy running rpm never repeats for long.
    let longest = 1;
    let run = 1;
    for (let k = 1; k < 12_000; k++) {
      run = rpm[k] === rpm[k - 1] ? run + 1 : 1;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeLessThan(5);
  });
});

describe("industrial default config", () => {
  const sim = simulateIndustrial({ devices: 6, samplesPerDevice: 30_000 }, createRng(3));

  it("passes the suite its own schema implies, with all three states and random faults tagged", () => {
    const { report } = validateTable(sim.table, suiteFromTableSchema(INDUSTRIAL_TABLE), { schema: INDUSTRIAL_TABLE });
    expect(report.rowsQuarantined).toBe(0);
    expect(report.success).toBe(true);
    const states = new Set(sim.table.columns.state);
    expect(states.size).toBe(3);
    const tagged = sim.table.columns.fault_tag.reduce((a, b) => a + (b !== 0 ? 1 : 0), 0);
    expect(tagged).toBe(sim.faults.reduce((a, f) => a + f.endSample - f.startSample, 0));
    expect(sim.faults.length).toBeGreaterThan(2);
  });

  it("faults of one device do not depend on how many devices are simulated", () => {
    const small = createIndustrialSimulation({ devices: 2, samplesPerDevice: 30_000 }, createRng(3));
    expect(small.faults).toEqual(sim.faults.filter((f) => f.device <= 2));
  });
});
