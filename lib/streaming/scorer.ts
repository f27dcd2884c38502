/**
 * A streaming driving-style scorer: samples arrive one at a time (e.g. 30 Hz telemetry), the last
 * `windowSamples` are kept, and every `stepSamples` samples the window's features go through a
 * classifier to give NORMAL or AGGRESSIVE with a confidence. The window buffer stores each sample
 * twice (at i and i + W in a 2W buffer) so the current window is always one contiguous slice,
 * and the features come from the same kernel as the batch windows, so both agree bit for bit.
 */
import { ConfigError, DataError } from "../errors.js";
import { N_WINDOW_FEATURES, WINDOW_CHANNELS, windowFeaturesInto, type WindowChannels } from "../features/windows.js";
import type { FeatureMatrix } from "../trees/matrix.js";

/** The driving-style labels the scorer emits. */
export type DrivingStyle = "NORMAL" | "AGGRESSIVE";

/** One prediction of the scorer. */
export interface StreamPrediction {
  group: number;
  /** Samples of this group seen when the prediction was made (the window's end, exclusive). */
  end: number;
  probabilityAggressive: number;
  label: DrivingStyle;
  /** Probability of the emitted label (max(p, 1 - p)). */
  confidence: number;
  /** Milliseconds from the arrival of the window's last sample to the prediction. */
  latencyMs: number;
}

/** Settings of a streaming scorer. */
export interface StreamingScorerOptions {
  /** P(AGGRESSIVE) for one feature row (a 1 x N_WINDOW_FEATURES matrix). */
  probability: (x: FeatureMatrix) => number;
  windowSamples: number;
  /** Samples between predictions (the sample rate for one prediction per second). */
  stepSamples: number;
  /** AGGRESSIVE when P(AGGRESSIVE) >= threshold (default 0.5). */
  threshold?: number;
  /** Clock for latencies (default performance.now). */
  now?: () => number;
}

/** A stateful scorer: push samples, read predictions. */
export interface StreamingScorer {
  /**
   * Add one sample (channel values in WINDOW_CHANNELS order) of `group`; a new group starts a new
   * window. Returns the prediction when this sample completes a scoring step, else null.
   */
  push(group: number, sample: ArrayLike<number>): StreamPrediction | null;
  /** Forget the current window. */
  reset(): void;
  /** Latencies of every prediction so far, in milliseconds. */
  latencies(): Float64Array;
}

/** Create a streaming scorer over the sliding-window features. */
export function createStreamingScorer(options: StreamingScorerOptions): StreamingScorer {
  const W = options.windowSamples;
  const step = options.stepSamples;
  if (!(Number.isInteger(W) && W >= 1)) throw new ConfigError(`createStreamingScorer: windowSamples = ${W} must be a positive integer`);
  if (!(Number.isInteger(step) && step >= 1)) throw new ConfigError(`createStreamingScorer: stepSamples = ${step} must be a positive integer`);
  const threshold = options.threshold ?? 0.5;
  const now = options.now ?? (() => performance.now());
  const buffers = WINDOW_CHANNELS.map(() => new Float64Array(2 * W));
  const views: WindowChannels = {
    rpm: buffers[0],
    throttle: buffers[1],
    load: buffers[2],
    speed_kmh: buffers[3],
    accel_mps2: buffers[4],
    brake: buffers[5],
  };
  const row = new Float64Array(N_WINDOW_FEATURES);
  const matrix: FeatureMatrix = { nRows: 1, nCols: N_WINDOW_FEATURES, values: row };
  let latencies = new Float64Array(1024);
  let predictions = 0;
  let group = NaN;
  let seen = 0;

  const reset = () => {
    seen = 0;
    group = NaN;
  };

  return {
    push(g, sample) {
      const t0 = now();
      if (sample.length !== WINDOW_CHANNELS.length) throw new DataError(`StreamingScorer.push: sample has ${sample.length} values, expected ${WINDOW_CHANNELS.length} (${WINDOW_CHANNELS.join(", ")})`);
      if (g !== group) {
        reset();
        group = g;
      }
      const slot = seen % W;
      for (let c = 0; c < buffers.length; c++) {
        buffers[c][slot] = sample[c];
        buffers[c][slot + W] = sample[c];
      }
      seen++;
      if (seen < W || (seen - W) % step !== 0) return null;
      // The oldest sample sits at slot seen % W; its copies make [start, start + W) contiguous.
      windowFeaturesInto(views, seen % W, W, row, 0);
      const p = options.probability(matrix);
      const aggressive = p >= threshold;
      const latencyMs = now() - t0;
      if (predictions === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[predictions++] = latencyMs;
      return { group, end: seen, probabilityAggressive: p, label: aggressive ? "AGGRESSIVE" : "NORMAL", confidence: aggressive ? p : 1 - p, latencyMs };
    },
    reset,
    latencies: () => latencies.slice(0, predictions),
  };
}

/** The q-quantile (0..1) of values by linear interpolation between order statistics (NumPy's default). */
export function quantile(values: Float64Array, q: number): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
