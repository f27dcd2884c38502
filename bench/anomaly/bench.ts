/**
 * Anomaly pipeline throughput: feature extraction, scaler + isolation-forest fit, and scoring, ours
 * beside pandas + scikit-learn (peer.py, run from the venv in ANOMALY_VENV, default
 * /work/venvs/anomaly) on the same simulated telemetry in the same run. Rows: BENCH_DEVICES x
 * BENCH_SAMPLES (default 20 x 50,000 = 1M). Timings on a shared 2-core machine are noisy.
 *
 *   npx tsx bench/anomaly/bench.ts
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extractIndustrialFeatures } from "../../lib/features/industrial.js";
import { fitAnomalyModel } from "../../lib/anomaly/model.js";
import { simulateIndustrial } from "../../lib/simulate/industrial.js";
import { createRng } from "../../lib/util/random.js";
import { renderTable } from "../../lib/util/table.js";

const devices = Number(process.env.BENCH_DEVICES ?? 20);
const samples = Number(process.env.BENCH_SAMPLES ?? 50_000);
const venv = process.env.ANOMALY_VENV ?? "/work/venvs/anomaly";
const featureConfig = { windows: [30, 300], fftWindow: 64, fftHop: 8, transitionWindow: 600 };

const sim = simulateIndustrial({ devices, samplesPerDevice: samples, faults: { ratePerDeviceHour: 0.3 } }, createRng(7));
const c = sim.table.columns;
const dir = mkdtempSync(join(tmpdir(), "anomaly-bench-"));
for (const name of ["device_id", "state", "voltage_v", "current_a", "temp_c", "rpm", "vibration_g"] as const) {
  writeFileSync(join(dir, `${name}.f64`), Float64Array.from(c[name]));
}
writeFileSync(join(dir, "meta.json"), JSON.stringify(featureConfig));

const t0 = performance.now();
const f = extractIndustrialFeatures(c, featureConfig);
const t1 = performance.now();
const split = Math.floor(samples * 0.5);
const train: number[] = [];
const scored: number[] = [];
for (let r = 0; r < f.nRows; r++) {
  if (c.state[r] !== 0) continue;
  (f.sampleIndex[r] < split ? train : scored).push(r);
}
const t1b = performance.now();
const model = fitAnomalyModel(f.names, f.columns, train, { nEstimators: 100, maxSamples: 256 }, { rng: createRng(0) });
const t2 = performance.now();
const scores = model.score(f.columns, scored);
const t3 = performance.now();
const ours = { features_s: (t1 - t0) / 1000, fit_s: (t2 - t1b) / 1000, score_s: (t3 - t2) / 1000 };
let mean = 0;
for (const s of scores) mean += s / scores.length;

const peer = JSON.parse(execFileSync(join(venv, "bin", "python"), [join(process.cwd(), "bench", "anomaly", "peer.py"), dir], { encoding: "utf8", maxBuffer: 1 << 24 })) as {
  rows: number;
  features: number;
  features_s: number;
  fit_s: number;
  score_s: number;
  mean_score: number;
};
const rows = f.nRows;
const line = (stage: string, a: number, b: number, n: number) => [stage, a.toFixed(3), b.toFixed(3), Math.round(n / a).toLocaleString("en-US"), Math.round(n / b).toLocaleString("en-US"), (b / a).toFixed(2)];
console.log(`${rows.toLocaleString("en-US")} rows (${devices} devices x ${samples}), ${f.names.length} features ours / ${peer.features} peer; train ${train.length}, scored ${scored.length}`);
console.log(
  renderTable(
    ["stage", "ours s", "pandas+sklearn s", "ours rows/s", "peer rows/s", "speedup (peer/ours)"],
    [
      line("features", ours.features_s, peer.features_s, rows),
      line("scaler+forest fit", ours.fit_s, peer.fit_s, train.length),
      line("score", ours.score_s, peer.score_s, scored.length),
      line("total", ours.features_s + ours.fit_s + ours.score_s, peer.features_s + peer.fit_s + peer.score_s, rows),
    ],
  ),
);
console.log(`mean anomaly score: ours ${mean.toFixed(4)}, peer ${peer.mean_score.toFixed(4)} (different random trees; same scale)`);
console.log("Noisy: 2 shared cores. Single-threaded on both sides (scikit-learn's IsolationForest default n_jobs=None).");
