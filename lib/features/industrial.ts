/**
 * Leakage-safe per-device time-series features for industrial telemetry (the ITAP feature set):
 * rolling mean / std / min / max / slope / z-score over configurable trailing windows, one-step
 * deltas, a seasonality-adjusted residual, FFT energy, dominant frequency bin and peak share over a trailing window, and event
 * counters (state transitions, time since the last state change, missing and stuck streaks).
 *
 * Every feature at a device's sample k is computed from that device's samples 0..k only: the
 * windows trail, prefix sums and monotone deques only ever look back, and the FFT reads the last
 * complete hop-aligned window ending at or before k. Missing readings (NaN) are carried forward
 * (the streak counters record them) so downstream models always see finite values.
 *
 * The seasonality-adjusted residual is a causal classical decomposition: with period P and phase
 * bin b(k) = floor((k mod P) * B / P), the level at sample k is the mean of the P samples before it
 * (of all earlier samples while fewer exist; a full period of a periodic component averages out),
 * the seasonal index of bin b is the mean of (x - level) over that bin's samples in earlier,
 * completed periods (only samples whose level saw a full period count), and the residual is
 * x_k - level_k - index_b(k) (no index yet: x_k - level_k). It is a one-step-ahead forecast error of
 * "level + seasonal profile", so a lasting step of size h shows as h at the step and fades linearly
 * over one period as the level absorbs it. Chosen over a causal STL (LOESS fits per sample, no
 * closed form) and over an online per-phase mean of x itself (no level: every level change would
 * persist in the residual forever) because it is O(1) per sample with prefix sums, exact on a pure
 * periodic signal once two periods are seen, and its behaviour on steps has a closed form to test.
 * Before a full period has passed it reduces to "value minus the device's running mean".
 */
import FFT from "fft.js";
import { z } from "zod";
import { ConfigError, DataError } from "../errors.js";

/** The five sensor channels, in column order. */
export const SENSOR_CHANNELS = ["voltage_v", "current_a", "temp_c", "rpm", "vibration_g"] as const;
/** A sensor channel name. */
export type SensorChannel = (typeof SENSOR_CHANNELS)[number];
/** Sensor families used to group attributions (plus State for the event counters). */
export const SENSOR_FAMILIES = ["Voltage", "Current", "Temperature", "RPM", "Vibration", "State"] as const;
/** A sensor family name. */
export type SensorFamily = (typeof SENSOR_FAMILIES)[number];

const FAMILY_OF_CHANNEL: Record<SensorChannel, SensorFamily> = {
  voltage_v: "Voltage",
  current_a: "Current",
  temp_c: "Temperature",
  rpm: "RPM",
  vibration_g: "Vibration",
};

/** Settings of the industrial feature extractor. */
export const IndustrialFeatureConfigSchema = z.strictObject({
  /** Trailing window lengths in samples for the rolling statistics. */
  windows: z.array(z.number().int().min(2)).min(1).default([30, 300]),
  /** FFT window length in samples (a power of two). */
  fftWindow: z.number().int().min(4).default(64),
  /** The FFT is recomputed every `fftHop` samples; between hops a row sees the last complete window. */
  fftHop: z.number().int().min(1).default(8),
  /** Trailing window (samples) over which state transitions are counted. */
  transitionWindow: z.number().int().min(1).default(600),
  /**
   * Period (samples) of the seasonal component removed by the `season_resid` features: one day at
   * 1 Hz by default (the plant's ambient temperature cycle).
   */
  seasonalPeriod: z.number().int().min(2).default(86_400),
  /** Phase bins per period for the seasonal index (24: an hour-of-day profile; = period: one per sample). */
  seasonalBins: z.number().int().min(1).default(24),
});
/** Feature settings as written by a user. */
export type IndustrialFeatureConfigInput = z.input<typeof IndustrialFeatureConfigSchema>;
/** Feature settings with defaults applied. */
export type IndustrialFeatureConfig = z.output<typeof IndustrialFeatureConfigSchema>;

/** The telemetry columns the extractor reads (row order: any, as long as each device's rows are in time order). */
export interface IndustrialColumns {
  device_id: ArrayLike<number>;
  state: ArrayLike<number>;
  voltage_v: ArrayLike<number>;
  current_a: ArrayLike<number>;
  temp_c: ArrayLike<number>;
  rpm: ArrayLike<number>;
  vibration_g: ArrayLike<number>;
}

/** Extracted features: one Float64Array column per feature, rows in the input's row order. */
export interface IndustrialFeatures {
  readonly names: readonly string[];
  /** The sensor family each feature belongs to. */
  readonly families: readonly SensorFamily[];
  readonly columns: readonly Float64Array[];
  readonly nRows: number;
  /** Per row: the sample index within its device (0-based). */
  readonly sampleIndex: Int32Array;
  readonly config: IndustrialFeatureConfig;
}

/** The feature names (and their families) the extractor produces for a config, in column order. */
export function industrialFeatureNames(config: IndustrialFeatureConfig): { names: string[]; families: SensorFamily[] } {
  const names: string[] = [];
  const families: SensorFamily[] = [];
  for (const ch of SENSOR_CHANNELS) {
    const fam = FAMILY_OF_CHANNEL[ch];
    const add = (n: string): void => {
      names.push(`${ch}_${n}`);
      families.push(fam);
    };
    add("value");
    add("delta");
    add(`season_resid_${config.seasonalPeriod}`);
    for (const w of config.windows) for (const s of ["mean", "std", "min", "max", "slope", "z"]) add(`${s}_${w}`);
    add(`fft_energy_${config.fftWindow}`);
    add(`fft_peak_bin_${config.fftWindow}`);
    add(`fft_peak_share_${config.fftWindow}`);
    add("missing_streak");
    add("stuck_streak");
  }
  names.push(`state_transitions_${config.transitionWindow}`, "time_since_state_change");
  families.push("State", "State");
  return { names, families };
}

interface RealFft {
  createComplexArray(): number[];
  realTransform(out: number[], input: ArrayLike<number>): void;
  completeSpectrum(out: number[]): void;
}

/**
 * Spectral summary of one window: energy = mean power without the DC term (by Parseval the
 * window's variance), dominant bin = argmax |X_k|^2 over k = 1..n/2, peak share = that bin's
 * share of the non-DC power (one-sided, so a pure tone in bin m < n/2 has share 1).
 */
export function spectrumSummary(fft: { transform(x: ArrayLike<number>): void; power: Float64Array }, x: ArrayLike<number>): { energy: number; peakBin: number; peakShare: number } {
  fft.transform(x);
  const p = fft.power;
  const n = (p.length - 1) * 2;
  let total = 0;
  let best = 0;
  let bestBin = 0;
  for (let k = 1; k < p.length; k++) {
    // One-sided: bins 1..n/2-1 stand for two conjugate bins each.
    const w = k === p.length - 1 ? p[k] : 2 * p[k];
    total += w;
    if (w > best) {
      best = w;
      bestBin = k;
    }
  }
  return { energy: total / (n * n), peakBin: bestBin, peakShare: total > 0 ? best / total : 0 };
}

/** A reusable real FFT of length n that leaves |X_k|^2 for k = 0..n/2 in `power`. */
export function createPowerFft(n: number): { transform(x: ArrayLike<number>): void; power: Float64Array } {
  if (!(n >= 4 && (n & (n - 1)) === 0)) throw new ConfigError(`invalid fftWindow: ${n} (expected a power of two >= 4)`);
  const f = new (FFT as unknown as new (size: number) => RealFft)(n);
  const out = f.createComplexArray();
  const input = new Array<number>(n).fill(0);
  const power = new Float64Array(n / 2 + 1);
  return {
    power,
    transform(x: ArrayLike<number>): void {
      for (let i = 0; i < n; i++) input[i] = x[i];
      f.realTransform(out, input);
      for (let k = 0; k <= n / 2; k++) power[k] = out[2 * k] * out[2 * k] + out[2 * k + 1] * out[2 * k + 1];
    },
  };
}

/** Extract the industrial feature set (see the module comment) from telemetry columns. */
export function extractIndustrialFeatures(data: IndustrialColumns, input: IndustrialFeatureConfigInput = {}): IndustrialFeatures {
  const parsed = IndustrialFeatureConfigSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(`invalid feature config: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const config = parsed.data;
  const W = config.fftWindow;
  if ((W & (W - 1)) !== 0) throw new ConfigError(`invalid fftWindow: ${W} (expected a power of two)`);
  const n = data.device_id.length;
  for (const ch of SENSOR_CHANNELS) {
    if (data[ch].length !== n) throw new DataError(`column ${ch} has ${data[ch].length} rows but device_id has ${n}`);
  }
  if (data.state.length !== n) throw new DataError(`column state has ${data.state.length} rows but device_id has ${n}`);
  const { names, families } = industrialFeatureNames(config);
  const columns = names.map(() => new Float64Array(n));
  const sampleIndex = new Int32Array(n);

  // Group rows by device, keeping each device's rows in their input order (= time order).
  const devIds = new Map<number, number>();
  const devOf = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const id = data.device_id[r];
    let d = devIds.get(id);
    if (d === undefined) {
      d = devIds.size;
      devIds.set(id, d);
    }
    devOf[r] = d;
  }
  const D = devIds.size;
  const counts = new Int32Array(D + 1);
  for (let r = 0; r < n; r++) counts[devOf[r] + 1]++;
  for (let d = 0; d < D; d++) counts[d + 1] += counts[d];
  const order = new Int32Array(n);
  const fill = counts.slice(0, D);
  for (let r = 0; r < n; r++) order[fill[devOf[r]]++] = r;

  const maxLen = (() => {
    let m = 0;
    for (let d = 0; d < D; d++) m = Math.max(m, counts[d + 1] - counts[d]);
    return m;
  })();
  const x = new Float64Array(maxLen);
  const s1 = new Float64Array(maxLen + 1);
  const s2 = new Float64Array(maxLen + 1);
  const st = new Float64Array(maxLen + 1);
  const dqMin = new Int32Array(maxLen);
  const dqMax = new Int32Array(maxLen);
  const fftBuf = new Float64Array(W);
  const fft = createPowerFft(W);
  const perChannel = 3 + config.windows.length * 6 + 5;
  const P = config.seasonalPeriod;
  const B = config.seasonalBins;
  if (B > P) throw new ConfigError(`invalid seasonalBins: ${B} (at most seasonalPeriod = ${P})`);
  const seasonSum = new Float64Array(B);
  const seasonCount = new Float64Array(B);
  const cycleSum = new Float64Array(B);
  const cycleCount = new Float64Array(B);

  for (let d = 0; d < D; d++) {
    const begin = counts[d];
    const len = counts[d + 1] - begin;
    for (let i = 0; i < len; i++) sampleIndex[order[begin + i]] = i;
    for (let c = 0; c < SENSOR_CHANNELS.length; c++) {
      const raw = data[SENSOR_CHANNELS[c]];
      const base = c * perChannel;
      const colValue = columns[base];
      const colDelta = columns[base + 1];
      const colMissing = columns[base + perChannel - 2];
      const colStuck = columns[base + perChannel - 1];
      // Carry the last reading forward over gaps; before the first reading use the first one seen.
      let first = NaN;
      for (let i = 0; i < len && Number.isNaN(first); i++) {
        const v = raw[order[begin + i]];
        if (!Number.isNaN(v)) first = v;
      }
      if (Number.isNaN(first)) first = 0;
      let last = first;
      let missing = 0;
      let stuck = 0;
      for (let i = 0; i < len; i++) {
        const r = order[begin + i];
        const v = raw[r];
        if (Number.isNaN(v)) missing++;
        else {
          missing = 0;
          stuck = i > 0 && v === last ? stuck + 1 : 0;
          last = v;
        }
        x[i] = last;
        colValue[r] = last;
        colDelta[r] = i === 0 ? 0 : last - x[i - 1];
        colMissing[r] = missing;
        colStuck[r] = stuck;
      }
      // Prefix sums of the value shifted by the first reading, to limit cancellation in the variance.
      s1[0] = 0;
      s2[0] = 0;
      st[0] = 0;
      for (let i = 0; i < len; i++) {
        const v = x[i] - first;
        s1[i + 1] = s1[i] + v;
        s2[i + 1] = s2[i] + v * v;
        st[i + 1] = st[i] + i * v;
      }
      // Seasonality-adjusted residual (see the module comment); values in the shifted frame x - first.
      const colSeason = columns[base + 2];
      seasonSum.fill(0);
      seasonCount.fill(0);
      cycleSum.fill(0);
      cycleCount.fill(0);
      for (let i = 0; i < len; i++) {
        const phase = i % P;
        if (phase === 0 && i > 0) {
          // A period completed: its deviations join the seasonal index of later periods.
          for (let b = 0; b < B; b++) {
            seasonSum[b] += cycleSum[b];
            seasonCount[b] += cycleCount[b];
          }
          cycleSum.fill(0);
          cycleCount.fill(0);
        }
        const b = Math.floor((phase * B) / P);
        const v = x[i] - first;
        const lo = i > P ? i - P : 0;
        const level = i > 0 ? (s1[i] - s1[lo]) / (i - lo) : v;
        const dev = v - level;
        colSeason[order[begin + i]] = seasonCount[b] > 0 ? dev - seasonSum[b] / seasonCount[b] : dev;
        if (i >= P) {
          cycleSum[b] += dev;
          cycleCount[b]++;
        }
      }
      for (let wi = 0; wi < config.windows.length; wi++) {
        const w = config.windows[wi];
        const o = base + 3 + wi * 6;
        const cMean = columns[o];
        const cStd = columns[o + 1];
        const cMin = columns[o + 2];
        const cMax = columns[o + 3];
        const cSlope = columns[o + 4];
        const cZ = columns[o + 5];
        let minHead = 0;
        let minTail = 0;
        let maxHead = 0;
        let maxTail = 0;
        for (let i = 0; i < len; i++) {
          const r = order[begin + i];
          const lo = i + 1 > w ? i + 1 - w : 0;
          const m = i + 1 - lo;
          const sx = s1[i + 1] - s1[lo];
          const mean = sx / m;
          const variance = Math.max(0, (s2[i + 1] - s2[lo]) / m - mean * mean);
          const sd = Math.sqrt(variance);
          cMean[r] = mean + first;
          cStd[r] = sd;
          // Least-squares slope against the in-window index j = k - lo.
          if (m > 1) {
            const sjx = st[i + 1] - st[lo] - lo * sx;
            const sj = (m * (m - 1)) / 2;
            const sjj = ((m - 1) * m * (2 * m - 1)) / 6;
            cSlope[r] = (m * sjx - sj * sx) / (m * sjj - sj * sj);
          } else cSlope[r] = 0;
          cZ[r] = sd > 1e-12 ? (x[i] - first - mean) / sd : 0;
          // Monotone deques over the trailing window.
          while (minTail > minHead && x[dqMin[minTail - 1]] >= x[i]) minTail--;
          dqMin[minTail++] = i;
          while (dqMin[minHead] < lo) minHead++;
          while (maxTail > maxHead && x[dqMax[maxTail - 1]] <= x[i]) maxTail--;
          dqMax[maxTail++] = i;
          while (dqMax[maxHead] < lo) maxHead++;
          cMin[r] = x[dqMin[minHead]];
          cMax[r] = x[dqMax[maxHead]];
        }
      }
      // FFT over the last complete hop-aligned window; rows before the first full window get zeros.
      const o = base + 3 + config.windows.length * 6;
      const cEnergy = columns[o];
      const cBin = columns[o + 1];
      const cShare = columns[o + 2];
      let energy = 0;
      let bin = 0;
      let share = 0;
      for (let i = 0; i < len; i++) {
        if (i + 1 >= W && (i + 1 - W) % config.fftHop === 0) {
          for (let j = 0; j < W; j++) fftBuf[j] = x[i + 1 - W + j];
          const s = spectrumSummary(fft, fftBuf);
          energy = s.energy;
          bin = s.peakBin;
          share = s.peakShare;
        }
        const r = order[begin + i];
        cEnergy[r] = energy;
        cBin[r] = bin;
        cShare[r] = share;
      }
    }
    // Event counters over the state column.
    const cTrans = columns[SENSOR_CHANNELS.length * perChannel];
    const cSince = columns[SENSOR_CHANNELS.length * perChannel + 1];
    const tw = config.transitionWindow;
    const changed = new Uint8Array(len);
    let inWindow = 0;
    let since = 0;
    for (let i = 0; i < len; i++) {
      const r = order[begin + i];
      changed[i] = i > 0 && data.state[r] !== data.state[order[begin + i - 1]] ? 1 : 0;
      inWindow += changed[i];
      if (i >= tw) inWindow -= changed[i - tw];
      since = changed[i] ? 0 : since + 1;
      cTrans[r] = inWindow;
      cSince[r] = since;
    }
  }
  return { names, families, columns, nRows: n, sampleIndex, config };
}
