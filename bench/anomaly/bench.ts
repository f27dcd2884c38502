/**
 * Anomaly pipeline throughput at fleet scale: feature extraction, scaler + isolation-forest fit, and
 * scoring, ours beside pandas + scikit-learn (peer.py, run from the venv in ANOMALY_VENV, default
 * /work/venvs/anomaly) on the same simulated telemetry in the same run.
 *
 * Rows: BENCH_DEVICES x BENCH_SAMPLES (default 100 x 100,000 = 10M). Both sides process the fleet
 * in blocks of BENCH_BLOCK_DEVICES devices (default 10, i.e. 1M rows): features are per device, so
 * a block is self-contained, and neither 10M x 102 float64 features (8.2 GB) nor pandas'
 * intermediate copies of them need to exist at once. Per block, both sides: features (102 columns),
 * then on block 0 only the scaler + isolation forest fit (100 trees x 256 rows, on the block's
 * first-half RUN rows), then scaling + scoring of the block's second-half RUN rows. Each stage's
 * time is summed over blocks; reading the block's raw columns from disk is not timed on either side.
 * Block 0's feature column sums are compared between the two sides to show they compute the same
 * features. Timings on a shared 2-core machine are noisy (the load average is printed).
 *
 *   npx tsx bench/anomaly/bench.ts
 *   BENCH_DEVICES=20 BENCH_SAMPLES=50000 npx tsx bench/anomaly/bench.ts   # 1M rows, quick
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { extractIndustrialFeatures } from "../../lib/features/industrial.js";
import { fitAnomalyModel, type AnomalyModel } from "../../lib/anomaly/model.js";
import { simulateIndustrial } from "../../lib/simulate/industrial.js";
import { createRng } from "../../lib/util/random.js";
import { renderTable } from "../../lib/util/table.js";

const devices = Number(process.env.BENCH_DEVICES ?? 100);
const samples = Number(process.env.BENCH_SAMPLES ?? 100_000);
const blockDevices = Math.min(devices, Number(process.env.BENCH_BLOCK_DEVICES ?? 10));
const venv = process.env.ANOMALY_VENV ?? "/work/venvs/anomaly";
const featureConfig = { windows: [30, 300], fftWindow: 64, fftHop: 8, transitionWindow: 600, seasonalPeriod: 86_400, seasonalBins: 24 };
const COLUMNS = ["device_id", "state", "voltage_v", "current_a", "temp_c", "rpm", "vibration_g"] as const;
const blocks = Math.ceil(devices / blockDevices);

// Simulate block by block (each block its own seeded fleet, device ids offset) and write raw float64 columns.
const dir = mkdtempSync(join(tmpdir(), "anomaly-bench-"));
const tSim = performance.now();
for (let b = 0; b < blocks; b++) {
  const nDev = Math.min(blockDevices, devices - b * blockDevices);
  const sim = simulateIndustrial({ devices: nDev, samplesPerDevice: samples, faults: { ratePerDeviceHour: 0.3 } }, createRng(7).fork(b + 1));
  const c = sim.table.columns;
  for (const name of COLUMNS) {
    const col = Float64Array.from(c[name]);
    if (name === "device_id") for (let i = 0; i < col.length; i++) col[i] += b * blockDevices;
    writeFileSync(join(dir, `b${b}_${name}.f64`), col);
  }
}
writeFileSync(join(dir, "meta.json"), JSON.stringify({ ...featureConfig, blocks, samples }));
console.log(`simulated ${(devices * samples).toLocaleString("en-US")} rows in ${blocks} blocks (${((performance.now() - tSim) / 1000).toFixed(1)} s, not timed)`);

const readBlock = (b: number): Record<(typeof COLUMNS)[number], Float64Array> => {
  const out = {} as Record<(typeof COLUMNS)[number], Float64Array>;
  for (const name of COLUMNS) {
    const buf = readFileSync(join(dir, `b${b}_${name}.f64`));
    out[name] = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
  }
  return out;
};

const ours = { features_s: 0, fit_s: 0, score_s: 0 };
let rows = 0;
let trainRows = 0;
let scoredRows = 0;
let scoreSum = 0;
let featureCount = 0;
let featureNames: readonly string[] = [];
let colSums: number[] = [];
let absSums: number[] = [];
let model: AnomalyModel | null = null;
const split = Math.floor(samples * 0.5);
for (let b = 0; b < blocks; b++) {
  const c = readBlock(b);
  const t0 = performance.now();
  const f = extractIndustrialFeatures(c, featureConfig);
  const t1 = performance.now();
  ours.features_s += (t1 - t0) / 1000;
  rows += f.nRows;
  featureCount = f.names.length;
  featureNames = f.names;
  if (b === 0) {
    colSums = f.columns.map((col) => col.reduce((a, v) => a + v, 0));
    absSums = f.columns.map((col) => col.reduce((a, v) => a + Math.abs(v), 0));
  }
  // Row selection is part of the scoring stage on both sides.
  const t2 = performance.now();
  let nTrain = 0;
  let nScored = 0;
  for (let r = 0; r < f.nRows; r++) if (c.state[r] === 0) f.sampleIndex[r] < split ? nTrain++ : nScored++;
  const train = new Int32Array(nTrain);
  const scored = new Int32Array(nScored);
  nTrain = 0;
  nScored = 0;
  for (let r = 0; r < f.nRows; r++) {
    if (c.state[r] !== 0) continue;
    if (f.sampleIndex[r] < split) train[nTrain++] = r;
    else scored[nScored++] = r;
  }
  const t3 = performance.now();
  if (model === null) {
    model = fitAnomalyModel(f.names, f.columns, train, { nEstimators: 100, maxSamples: 256 }, { rng: createRng(0) });
    trainRows = train.length;
  }
  const t4 = performance.now();
  const scores = model.score(f.columns, scored);
  const t5 = performance.now();
  ours.fit_s += (t4 - t3) / 1000;
  ours.score_s += (t3 - t2 + t5 - t4) / 1000;
  scoredRows += scores.length;
  for (const s of scores) scoreSum += s;
}

const peer = JSON.parse(execFileSync(join(venv, "bin", "python"), [join(process.cwd(), "bench", "anomaly", "peer.py"), dir], { encoding: "utf8", maxBuffer: 1 << 26 })) as {
  rows: number;
  features: number;
  train: number;
  scored: number;
  features_s: number;
  fit_s: number;
  score_s: number;
  mean_score: number;
  colsums: number[];
};
rmSync(dir, { recursive: true, force: true });

const line = (stage: string, a: number, b: number, n: number) => [stage, a.toFixed(2), b.toFixed(2), Math.round(n / a).toLocaleString("en-US"), Math.round(n / b).toLocaleString("en-US"), (b / a).toFixed(2)];
console.log(`${rows.toLocaleString("en-US")} rows (${devices} devices x ${samples.toLocaleString("en-US")}, blocks of ${blockDevices} devices), ${featureCount} features ours / ${peer.features} peer; fit on ${trainRows.toLocaleString("en-US")} rows (ours) / ${peer.train.toLocaleString("en-US")} (peer); scored ${scoredRows.toLocaleString("en-US")} / ${peer.scored.toLocaleString("en-US")}`);
console.log(
  renderTable(
    ["stage", "ours s", "pandas+sklearn s", "ours rows/s", "peer rows/s", "speedup (peer/ours)"],
    [
      line("features", ours.features_s, peer.features_s, rows),
      line("scaler+forest fit", ours.fit_s, peer.fit_s, trainRows),
      line("scale+score", ours.score_s, peer.score_s, scoredRows),
      line("total", ours.features_s + ours.fit_s + ours.score_s, peer.features_s + peer.fit_s + peer.score_s, rows),
    ],
  ),
);
// Same features: block 0's column sums agree up to float64 rounding (relative to the sum of |values|,
// since e.g. a delta column telescopes to a small sum of large terms).
let worst = 0;
let worstName = "";
for (let j = 0; j < Math.min(colSums.length, peer.colsums.length); j++) {
  const rel = Math.abs(colSums[j] - peer.colsums[j]) / Math.max(1e-300, absSums[j]);
  if (rel > worst) [worst, worstName] = [rel, featureNames[j]];
}
console.log(`block 0 feature column sums, ours vs peer: max |difference| / sum |value| = ${worst.toExponential(2)} (${worstName})`);
console.log(`mean anomaly score: ours ${(scoreSum / scoredRows).toFixed(4)}, peer ${peer.mean_score.toFixed(4)} (different random trees; same scale)`);
console.log(`load average ${loadavg().map((v) => v.toFixed(2)).join(" ")} on ${cpus().length} shared cores: noisy. Single-threaded on both sides (scikit-learn's IsolationForest n_jobs=None).`);
