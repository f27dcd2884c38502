import { describe, expect, it } from "vitest";
import { N_WINDOW_FEATURES, slidingWindows, WINDOW_CHANNELS } from "../../lib/features/windows.js";
import { createStreamingScorer, quantile } from "../../lib/streaming/scorer.js";
import { simulateVehicle, streamVehicle } from "../../lib/simulate/vehicle.js";
import { createRng } from "../../lib/util/random.js";
import type { FeatureMatrix } from "../../lib/trees/matrix.js";

describe("createStreamingScorer", () => {
  it("gives the batch windows' features and predictions on the same simulated data, once per second", async () => {
    const input = { hz: 30, trips: 3, tripSeconds: 40, profiles: ["aggressive", "normal", "safe"] as ("aggressive" | "normal" | "safe")[], chunkSamples: 17 };
    const { table } = simulateVehicle(input, createRng(9));
    const c = table.columns;
    const batch = slidingWindows({ rpm: c.rpm, throttle: c.throttle, load: c.load, speed_kmh: c.speed_kmh, accel_mps2: c.accel_mps2, brake: c.brake }, c.trip_id, 300, 30);
    // A model that exposes its whole input: its "probability" is a hash of the feature row.
    const seen: Float64Array[] = [];
    const probability = (x: FeatureMatrix) => {
      seen.push(Float64Array.from(x.values));
      return x.values[1] / (1 + x.values[1]);
    };
    const scorer = createStreamingScorer({ probability, windowSamples: 300, stepSamples: 30 });
    const out = [];
    const sample = new Float64Array(WINDOW_CHANNELS.length);
    for await (const chunk of streamVehicle(input, createRng(9))) {
      for (let i = 0; i < chunk.length; i++) {
        WINDOW_CHANNELS.forEach((name, k) => (sample[k] = chunk.columns[name][i]));
        const p = scorer.push(chunk.columns.trip_id[i], sample);
        if (p) out.push(p);
      }
    }
    // 40 s trips, 10 s windows, 1 s stride: 31 predictions per trip.
    expect(out.length).toBe(3 * 31);
    expect(batch.nRows).toBe(out.length);
    for (let r = 0; r < batch.nRows; r++) {
      expect(Array.from(seen[r])).toEqual(Array.from(batch.values.subarray(r * N_WINDOW_FEATURES, (r + 1) * N_WINDOW_FEATURES)));
      expect(out[r].group).toBe(batch.group[r]);
      const pBatch = batch.values[r * N_WINDOW_FEATURES + 1] / (1 + batch.values[r * N_WINDOW_FEATURES + 1]);
      expect(out[r].probabilityAggressive).toBe(pBatch);
      expect(out[r].label).toBe(pBatch >= 0.5 ? "AGGRESSIVE" : "NORMAL");
      expect(out[r].confidence).toBe(Math.max(pBatch, 1 - pBatch));
    }
    expect(scorer.latencies().length).toBe(out.length);
  });

  it("measures latency with the given clock", () => {
    let t = 0;
    const scorer = createStreamingScorer({ probability: () => 0.9, windowSamples: 3, stepSamples: 2, now: () => (t += 5) });
    const s = new Float64Array(6);
    expect(scorer.push(1, s)).toBeNull();
    expect(scorer.push(1, s)).toBeNull();
    const p = scorer.push(1, s);
    expect(p?.label).toBe("AGGRESSIVE");
    expect(p?.latencyMs).toBe(5);
    expect(scorer.push(1, s)).toBeNull();
    expect(scorer.push(1, s)).not.toBeNull();
  });

  it("quantile interpolates like NumPy", () => {
    expect(quantile(Float64Array.from([4, 1, 3, 2]), 0.5)).toBe(2.5);
    expect(quantile(Float64Array.from([0, 10]), 0.99)).toBeCloseTo(9.9, 12);
  });
});
