/**
 * Industrial device telemetry in the manner of the ITAP reference system: N devices sampled at a
 * fixed interval on five channels (voltage, current, temperature, rpm, vibration), operating states
 * RUN / IDLE / MAINT from a continuous-time Markov chain, and injected faults whose episodes are the
 * ground truth and whose rows carry a fault tag.
 *
 * Signal model per device (all first-order, so values move like real plant data):
 * - rpm follows its state's target (RUN: nominal, IDLE: standby speed, MAINT: stopped) with a 5 s lag;
 * - current = idle draw + rated current x load x speed fraction, load an AR(1) around its nominal;
 * - voltage = supply voltage - line drop x current + noise;
 * - temperature relaxes (time constant `thermalTauSeconds`) to ambient + heating x (current / rated)^2,
 *   ambient following a daily cycle;
 * - vibration is the band-limited accelerometer signal (in g) after the gateway's decimation: broadband
 *   noise that grows with speed; bearing defects add tones at `bearingToneCyclesPerSample` and its 2nd and
 *   3rd harmonics (below Nyquist by construction).
 *
 * Faults: overheat drift (temperature ramps at `overheatRampCPerMinute`), bearing wear (tone amplitude
 * and broadband noise grow over the episode), power spikes (voltage and current jump on most samples),
 * sensor dropouts (one channel missing, NaN, or stuck at its last reading).
 */
import { z } from "zod";
import type { Rng } from "../util/random.js";
import { ConfigError } from "../errors.js";
import { DAY_MS, clamp, isoInstant, parseConfig, parseInstant, pickWeighted, quantize } from "./common.js";
import { type Chunk, type RowOf, allocChunk, defineTable, truncateChunk, collectChunks } from "./table.js";
import { writeTable, type TableFormat, type WriteResult } from "./write.js";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Operating states, in code order. */
export const INDUSTRIAL_STATES = ["RUN", "IDLE", "MAINT"] as const;
/** Fault tags, in code order ("none" is code 0). */
export const INDUSTRIAL_FAULTS = ["none", "overheat", "bearing_wear", "power_spike", "sensor_dropout"] as const;
/** Channels in the order sensor dropouts index them. */
export const INDUSTRIAL_CHANNELS = ["voltage_v", "current_a", "temp_c", "rpm", "vibration_g"] as const;

/** An injected fault type. */
export type IndustrialFaultType = Exclude<(typeof INDUSTRIAL_FAULTS)[number], "none">;

/** The industrial telemetry table: one row per device per sample. */
export const INDUSTRIAL_TABLE = defineTable({
  name: "industrial_telemetry",
  description: "Industrial device telemetry, one row per device per sampling instant, interleaved by time.",
  key: ["device_id", "timestamp"],
  orderedBy: { column: "timestamp", groupBy: ["device_id"] },
  columns: [
    { name: "timestamp", type: "timestamp", description: "Sampling instant (UTC)" },
    { name: "device_id", type: "int32", description: "Device number (1-based; DEV-0001 is 1)", min: 1 },
    { name: "state", type: "category", description: "Operating state", categories: INDUSTRIAL_STATES },
    { name: "voltage_v", type: "float64", decimals: 1, description: "Supply voltage", unit: "V", nullable: true, min: 0, max: 500 },
    { name: "current_a", type: "float64", decimals: 2, description: "Motor current", unit: "A", nullable: true, min: 0, max: 200 },
    { name: "temp_c", type: "float64", decimals: 2, description: "Winding temperature", unit: "degC", nullable: true, min: -40, max: 250 },
    { name: "rpm", type: "float64", decimals: 1, description: "Shaft speed", unit: "1/min", nullable: true, min: 0, max: 8000 },
    { name: "vibration_g", type: "float64", decimals: 4, description: "Band-limited accelerometer reading", unit: "g", nullable: true, min: -20, max: 20 },
    { name: "fault_tag", type: "category", description: "Injected fault active on this row (none if healthy)", categories: INDUSTRIAL_FAULTS },
  ],
});

/** A typed chunk of the industrial table. */
export type IndustrialChunk = Chunk<typeof INDUSTRIAL_TABLE>;
/** One industrial row as written to JSONL. */
export type IndustrialRow = RowOf<typeof INDUSTRIAL_TABLE>;

const range = z.tuple([z.number().positive(), z.number().positive()]).refine((r) => r[0] <= r[1], {
  message: "range must be [min, max] with min <= max",
});

const faultTypeEnum = z.enum(["overheat", "bearing_wear", "power_spike", "sensor_dropout"]);

const explicitEpisode = z
  .object({
    device: z.number().int().min(1),
    type: faultTypeEnum,
    startSample: z.number().int().min(0),
    durationSamples: z.number().int().min(1),
    /** For sensor_dropout: the channel that drops out. */
    channel: z.enum(INDUSTRIAL_CHANNELS).optional(),
    /** For sensor_dropout: missing (NaN) or stuck (frozen) values. */
    mode: z.enum(["missing", "stuck"]).optional(),
  })
  .strict();

/** Config of the industrial generator (defaults: 10 devices x 6 h at 1 Hz). */
export const IndustrialConfigSchema = z
  .object({
    devices: z.number().int().min(1).max(100_000).default(10),
    samplesPerDevice: z.number().int().min(1).default(21_600),
    sampleIntervalSeconds: z.number().positive().default(1),
    start: isoInstant.default("2026-01-01T00:00:00Z"),
    /** Rows per emitted chunk (rounded to whole sampling instants). */
    chunkRows: z.number().int().min(1).default(65_536),
    ambientC: z.number().default(25),
    ambientDailyAmplitudeC: z.number().min(0).default(4),
    states: z
      .object({
        meanDwellSeconds: z
          .object({ RUN: z.number().positive().default(3600), IDLE: z.number().positive().default(900), MAINT: z.number().positive().default(1200) })
          .strict()
          .prefault({}),
        /** Probability, on leaving RUN / IDLE / MAINT, of each next state (rows: from; columns RUN, IDLE, MAINT). */
        next: z
          .object({
            RUN: z.tuple([z.literal(0), z.number().min(0), z.number().min(0)]).default([0, 0.85, 0.15]),
            IDLE: z.tuple([z.number().min(0), z.literal(0), z.number().min(0)]).default([0.9, 0, 0.1]),
            MAINT: z.tuple([z.number().min(0), z.number().min(0), z.literal(0)]).default([0.4, 0.6, 0]),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    nominal: z
      .object({
        voltageV: z.number().positive().default(230),
        ratedCurrentA: z.number().positive().default(12),
        rpm: z.number().positive().default(1800),
        idleRpmFraction: z.number().min(0).max(1).default(0.3),
        heatingC: z.number().min(0).default(40),
        thermalTauSeconds: z.number().positive().default(900),
        /** Relative spread of nominal values between devices (sd of a log-normal factor). */
        deviceSpread: z.number().min(0).default(0.03),
      })
      .strict()
      .prefault({}),
    faults: z
      .object({
        /** Random episodes per device-hour (0 = only the explicit episodes). */
        ratePerDeviceHour: z.number().min(0).default(0.1),
        mix: z
          .object({
            overheat: z.number().min(0).default(0.3),
            bearing_wear: z.number().min(0).default(0.2),
            power_spike: z.number().min(0).default(0.3),
            sensor_dropout: z.number().min(0).default(0.2),
          })
          .strict()
          .prefault({}),
        durationSeconds: z
          .object({
            overheat: range.default([600, 1800]),
            bearing_wear: range.default([1800, 7200]),
            power_spike: range.default([5, 60]),
            sensor_dropout: range.default([60, 600]),
          })
          .strict()
          .prefault({}),
        overheatRampCPerMinute: z.number().positive().default(1.5),
        bearingToneCyclesPerSample: z.number().gt(0).lt(1 / 6).default(0.11),
        bearingMaxAmplitudeG: z.number().positive().default(0.5),
        spikeVoltageFraction: range.default([0.15, 0.45]),
        spikeProbability: z.number().min(0).max(1).default(0.7),
        episodes: z.array(explicitEpisode).default([]),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** Industrial config as written by a user (every key optional). */
export type IndustrialConfigInput = z.input<typeof IndustrialConfigSchema>;
/** Industrial config with defaults applied. */
export type IndustrialConfig = z.output<typeof IndustrialConfigSchema>;

/** One injected fault episode (ground truth). Samples are per-device sample indices, end exclusive. */
export interface IndustrialFaultEpisode {
  device: number;
  type: IndustrialFaultType;
  startSample: number;
  endSample: number;
  startTime: string;
  endTime: string;
  channel: (typeof INDUSTRIAL_CHANNELS)[number] | null;
  mode: "missing" | "stuck" | null;
}

/** A planned industrial run: the parsed config, the fault ground truth and a chunk iterator. */
export interface IndustrialSimulation {
  readonly config: IndustrialConfig;
  readonly faults: readonly IndustrialFaultEpisode[];
  readonly rows: number;
  /** Generate the table chunk by chunk; each call starts afresh and yields identical chunks. */
  chunks(): Generator<IndustrialChunk>;
}

const FAULT_TYPES: readonly IndustrialFaultType[] = ["overheat", "bearing_wear", "power_spike", "sensor_dropout"];

function planFaults(config: IndustrialConfig, rng: Rng, startMs: number): IndustrialFaultEpisode[] {
  const dt = config.sampleIntervalSeconds;
  const f = config.faults;
  const n = config.samplesPerDevice;
  const iso = (sample: number): string => new Date(startMs + sample * dt * 1000).toISOString();
  const out: IndustrialFaultEpisode[] = [];
  const weights = FAULT_TYPES.map((t) => f.mix[t]);
  for (let device = 1; device <= config.devices; device++) {
    const explicit = f.episodes.filter((e) => e.device === device);
    const episodes: IndustrialFaultEpisode[] = explicit.map((e) => ({
      device,
      type: e.type,
      startSample: e.startSample,
      endSample: Math.min(n, e.startSample + e.durationSamples),
      startTime: iso(e.startSample),
      endTime: iso(Math.min(n, e.startSample + e.durationSamples)),
      channel: e.type === "sensor_dropout" ? (e.channel ?? "temp_c") : null,
      mode: e.type === "sensor_dropout" ? (e.mode ?? "missing") : null,
    }));
    if (f.ratePerDeviceHour > 0 && weights.some((w) => w > 0)) {
      // Schedule from the device's own stream so adding devices never changes another device's faults.
      const r = rng.fork(0x4641554c + device);
      const meanGapSamples = 3600 / (f.ratePerDeviceHour * dt);
      let t = r.exponential() * meanGapSamples;
      while (t < n) {
        const type = FAULT_TYPES[pickWeighted(weights, r.uniform())];
        const [lo, hi] = f.durationSeconds[type];
        const duration = Math.max(1, Math.round((lo + (hi - lo) * r.uniform()) / dt));
        const start = Math.floor(t);
        const end = Math.min(n, start + duration);
        const channel = INDUSTRIAL_CHANNELS[r.int(INDUSTRIAL_CHANNELS.length)];
        const mode = r.uniform() < 0.5 ? "missing" : "stuck";
        const clash = explicit.some((e) => start < e.startSample + e.durationSamples && e.startSample < end);
        if (!clash) {
          episodes.push({
            device,
            type,
            startSample: start,
            endSample: end,
            startTime: iso(start),
            endTime: iso(end),
            channel: type === "sensor_dropout" ? channel : null,
            mode: type === "sensor_dropout" ? mode : null,
          });
        }
        t = end + r.exponential() * meanGapSamples;
      }
    }
    episodes.sort((a, b) => a.startSample - b.startSample);
    for (let i = 1; i < episodes.length; i++) {
      if (episodes[i].startSample < episodes[i - 1].endSample) {
        throw new ConfigError(`invalid industrial config: fault episodes overlap on device ${device} at sample ${episodes[i].startSample}`);
      }
    }
    out.push(...episodes);
  }
  return out;
}

const FAULT_CODE: Record<IndustrialFaultType, number> = { overheat: 1, bearing_wear: 2, power_spike: 3, sensor_dropout: 4 };
const CHANNEL_CODE: Record<(typeof INDUSTRIAL_CHANNELS)[number], number> = { voltage_v: 0, current_a: 1, temp_c: 2, rpm: 3, vibration_g: 4 };

/** Plan an industrial telemetry run (faults are drawn now; rows are generated lazily by `chunks()`). */
export function createIndustrialSimulation(input: IndustrialConfigInput | undefined, rng: Rng): IndustrialSimulation {
  const config = parseConfig(IndustrialConfigSchema, input, "industrial");
  const startMs = parseInstant(config.start, "start");
  const faults = planFaults(config, rng, startMs);
  const rows = config.devices * config.samplesPerDevice;
  return { config, faults, rows, chunks: () => industrialChunks(config, rng, startMs, faults) };
}

function* industrialChunks(config: IndustrialConfig, rng: Rng, startMs: number, faults: readonly IndustrialFaultEpisode[]): Generator<IndustrialChunk> {
  const N = config.devices;
  const n = config.samplesPerDevice;
  const dt = config.sampleIntervalSeconds;
  const nom = config.nominal;
  const f = config.faults;
  const ticksPerChunk = Math.max(1, Math.floor(config.chunkRows / N));

  // Per-device state, struct-of-arrays so the inner loop allocates nothing.
  const rngs: Rng[] = [];
  const vNom = new Float64Array(N);
  const iRated = new Float64Array(N);
  const rpmNom = new Float64Array(N);
  const loadMean = new Float64Array(N);
  const state = new Uint8Array(N);
  const rpm = new Float64Array(N);
  const load = new Float64Array(N);
  const temp = new Float64Array(N);
  const heatOffset = new Float64Array(N);
  const stuck = new Float64Array(N);
  const epIndex = new Int32Array(N);
  const deviceEpisodes: IndustrialFaultEpisode[][] = [];
  for (let d = 0; d < N; d++) {
    const r = rng.fork(d + 1);
    rngs.push(r);
    const s = nom.deviceSpread;
    vNom[d] = nom.voltageV * Math.exp(0.3 * s * r.normal());
    iRated[d] = nom.ratedCurrentA * Math.exp(s * r.normal());
    rpmNom[d] = nom.rpm * Math.exp(s * r.normal());
    loadMean[d] = clamp(0.75 + 0.08 * r.normal(), 0.4, 0.95);
    load[d] = loadMean[d];
    state[d] = r.uniform() < 0.8 ? 0 : 1;
    rpm[d] = state[d] === 0 ? rpmNom[d] : rpmNom[d] * nom.idleRpmFraction;
    temp[d] = config.ambientC + nom.heatingC * (state[d] === 0 ? loadMean[d] * loadMean[d] : 0.05);
    deviceEpisodes.push(faults.filter((e) => e.device === d + 1));
  }
  const leave = Float64Array.from(["RUN", "IDLE", "MAINT"] as const, (s) => 1 - Math.exp(-dt / config.states.meanDwellSeconds[s]));
  // Widened explicitly: TypeScript 5.0 (which compiles notebook imports) reads zod's tuple output
  // type for these rows as a union of optional-element tuples.
  const nextW = [config.states.next.RUN, config.states.next.IDLE, config.states.next.MAINT] as unknown as readonly (readonly number[])[];
  const rpmAlpha = 1 - Math.exp(-dt / 5);
  const tempAlpha = 1 - Math.exp(-dt / nom.thermalTauSeconds);
  const coolAlpha = 1 - Math.exp(-dt / 600);
  const loadPhi = Math.exp(-dt / 120);
  const loadSd = 0.05 * Math.sqrt(1 - loadPhi * loadPhi);
  const ramp = (f.overheatRampCPerMinute / 60) * dt;
  const tone = 2 * Math.PI * f.bearingToneCyclesPerSample;
  const [spikeLo, spikeHi] = f.spikeVoltageFraction;

  for (let tick0 = 0; tick0 < n; tick0 += ticksPerChunk) {
    const ticks = Math.min(ticksPerChunk, n - tick0);
    const chunk = allocChunk(INDUSTRIAL_TABLE, ticks * N);
    const c = chunk.columns;
    let row = 0;
    for (let k = tick0; k < tick0 + ticks; k++) {
      const tMs = startMs + k * dt * 1000;
      const hourOfDay = ((tMs % DAY_MS) + DAY_MS) % DAY_MS / 3_600_000;
      const ambient = config.ambientC + config.ambientDailyAmplitudeC * Math.sin((2 * Math.PI * (hourOfDay - 9)) / 24);
      for (let d = 0; d < N; d++) {
        const r = rngs[d];
        // State: leave with the per-sample probability of an exponential dwell.
        let s = state[d];
        if (r.uniform() < leave[s]) {
          s = pickWeighted(nextW[s], r.uniform());
          state[d] = s;
        }
        // Active fault episode, if any (episodes are sorted and disjoint).
        const eps = deviceEpisodes[d];
        let ei = epIndex[d];
        while (ei < eps.length && eps[ei].endSample <= k) ei++;
        epIndex[d] = ei;
        const ep = ei < eps.length && eps[ei].startSample <= k ? eps[ei] : null;
        const faultCode = ep ? FAULT_CODE[ep.type] : 0;
        const progress = ep ? (k - ep.startSample + 1) / (ep.endSample - ep.startSample) : 0;

        const targetRpm = s === 0 ? rpmNom[d] : s === 1 ? rpmNom[d] * nom.idleRpmFraction : 0;
        rpm[d] += (targetRpm - rpm[d]) * rpmAlpha;
        if (targetRpm === 0 && rpm[d] < 1) rpm[d] = 0;
        load[d] = loadMean[d] + loadPhi * (load[d] - loadMean[d]) + loadSd * r.normal();
        const speedFrac = rpm[d] / rpmNom[d];
        const running = rpm[d] > 0;
        let current = (s === 2 ? 0.1 : 0.8) + iRated[d] * clamp(load[d], 0, 1.2) * speedFrac * (s === 0 ? 1 : 0.25);
        let voltage = vNom[d] - 0.15 * current + 0.6 * r.normal();
        current += 0.05 * r.normal();
        const tEq = ambient + nom.heatingC * (current / iRated[d]) * (current / iRated[d]);
        temp[d] += (tEq - temp[d]) * tempAlpha;
        if (faultCode === 1) heatOffset[d] += ramp;
        else heatOffset[d] -= heatOffset[d] * coolAlpha;
        let temperature = temp[d] + heatOffset[d] + 0.1 * r.normal();
        let rpmOut = running ? rpm[d] + 3 * r.normal() : 0;
        let vib = (0.01 + 0.03 * speedFrac) * r.normal();
        if (faultCode === 2 && running) {
          const a = f.bearingMaxAmplitudeG * progress * speedFrac;
          const ph = tone * k;
          vib = vib * (1 + 1.5 * progress) + a * (Math.sin(ph) + 0.6 * Math.sin(2 * ph) + 0.35 * Math.sin(3 * ph));
          temperature += 3 * progress;
        } else if (faultCode === 3 && r.uniform() < f.spikeProbability) {
          const up = r.uniform() < 0.8;
          const size = spikeLo + (spikeHi - spikeLo) * r.uniform();
          voltage *= up ? 1 + size : 1 - size;
          current *= 1 + 0.3 + 0.9 * r.uniform();
        }
        const values0 = quantize(clamp(voltage, 0, 500), 10);
        const values1 = quantize(clamp(current, 0, 200), 100);
        const values2 = quantize(clamp(temperature, -40, 250), 100);
        const values3 = quantize(clamp(rpmOut, 0, 8000), 10);
        const values4 = quantize(clamp(vib, -20, 20), 10_000);
        c.voltage_v[row] = values0;
        c.current_a[row] = values1;
        c.temp_c[row] = values2;
        c.rpm[row] = values3;
        c.vibration_g[row] = values4;
        if (faultCode === 4) {
          const ch = CHANNEL_CODE[ep!.channel!];
          const col = ch === 0 ? c.voltage_v : ch === 1 ? c.current_a : ch === 2 ? c.temp_c : ch === 3 ? c.rpm : c.vibration_g;
          if (ep!.mode === "missing") col[row] = NaN;
          else {
            // A stuck sensor repeats the reading it had when the episode began.
            if (k === ep!.startSample) stuck[d] = col[row];
            col[row] = stuck[d];
          }
        }
        c.timestamp[row] = tMs;
        c.device_id[row] = d + 1;
        c.state[row] = s;
        c.fault_tag[row] = faultCode;
        row++;
      }
    }
    yield row === chunk.length ? chunk : truncateChunk(chunk, row);
  }
}

/** Generate the whole industrial table in memory (fine up to a few million rows). */
export function simulateIndustrial(input: IndustrialConfigInput | undefined, rng: Rng): { config: IndustrialConfig; table: IndustrialChunk; faults: readonly IndustrialFaultEpisode[] } {
  const sim = createIndustrialSimulation(input, rng);
  return { config: sim.config, table: collectChunks(INDUSTRIAL_TABLE, sim.chunks()), faults: sim.faults };
}

/** Stream the industrial table to `dir/industrial_telemetry.<format>` and its fault ground truth to `dir/industrial_faults.json`. */
export async function writeIndustrial(
  input: IndustrialConfigInput | undefined,
  rng: Rng,
  dir: string,
  formats: readonly TableFormat[] = ["csv"],
): Promise<{ tables: WriteResult[]; truthPath: string; config: IndustrialConfig }> {
  const sim = createIndustrialSimulation(input, rng);
  await mkdir(dir, { recursive: true });
  const tables: WriteResult[] = [];
  for (const format of formats) {
    tables.push(await writeTable(INDUSTRIAL_TABLE, sim.chunks(), join(dir, `industrial_telemetry.${format}`), format));
  }
  const truthPath = join(dir, "industrial_faults.json");
  await writeFile(truthPath, JSON.stringify({ kind: "industrial-ground-truth", version: 1, config: sim.config, faults: sim.faults }, null, 2) + "\n");
  return { tables, truthPath, config: sim.config };
}
