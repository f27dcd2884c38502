/**
 * Side-by-side benchmark of the tree models against their Python peers on the same data, in the
 * same run: gradient boosting vs LightGBM (1 and 2 threads), random forest vs scikit-learn's
 * RandomForestClassifier, isolation forest vs scikit-learn's IsolationForest, and prediction
 * throughput. Prints a ratio table (ours / peer; < 1 means we are faster for times).
 *
 *   npx tsx bench/trees/bench.ts
 *   TREES_PYTHON=/path/to/python BENCH_ROWS=1000000 BENCH_ROUNDS=100 npx tsx bench/trees/bench.ts
 *   BENCH_ONLY_BOOSTING=1 npx tsx bench/trees/bench.ts   (boosting rows only)
 *
 * The Python side needs lightgbm, scikit-learn and numpy (tests/trees/fixtures/requirements.txt).
 * Times are wall-clock and CPU seconds of single runs on a shared 2-core machine: noisy.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { rocAuc } from "../../lib/metrics/roc-auc.js";
import { train } from "../../lib/trees/boosting.js";
import { fitIsolationForest } from "../../lib/trees/isolation-forest.js";
import { fitRandomForest } from "../../lib/trees/random-forest.js";
import { makeAnomalies, makeBinary, writeRaw } from "./data.js";
import type { FeatureMatrix } from "../../lib/trees/matrix.js";

const PYTHON = process.env.TREES_PYTHON ?? "/work/venvs/trees/bin/python";
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 100);
const LEAVES = 31;
const P = 28;
const FOREST_ROWS = Number(process.env.BENCH_FOREST_ROWS ?? 50_000);
const ANOMALY_ROWS = Number(process.env.BENCH_ANOMALY_ROWS ?? 200_000);
const SKIP_PEER = process.env.BENCH_SKIP_PEER === "1";
// Boosting rows only (no forests): a shorter run, to catch a quiet moment on a shared machine.
const ONLY_BOOSTING = process.env.BENCH_ONLY_BOOSTING === "1";

interface PeerResult {
  lightgbm: string;
  sklearn?: string;
  boosting: Array<{ threads: number; train_s: number; train_cpu_s: number; predict_rows_per_s: number; predict_wall_rows_per_s: number; auc: number }>;
  random_forest?: { fit_s: number; predict_s: number; auc: number; accuracy: number };
  isolation_forest?: { fit_s: number; score_s: number; auc: number };
}

function timed<T>(f: () => T): { value: T; wall: number; cpu: number } {
  const c = process.cpuUsage();
  const t = performance.now();
  const value = f();
  const used = process.cpuUsage(c);
  return { value, wall: (performance.now() - t) / 1000, cpu: (used.user + used.system) / 1e6 };
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), "trees-bench-"));
  try {
    console.log(`load average at start: ${loadavg().map((v) => v.toFixed(2)).join(" ")}`);
    console.log(`data: boosting ${ROWS} x ${P} (+200000 test), forest ${FOREST_ROWS} x ${P}, anomalies ${ANOMALY_ROWS} x ${P}`);
    const trainSet = makeBinary(ROWS, P, 1);
    const testSet = makeBinary(200_000, P, 2);
    const forestSet = makeBinary(FOREST_ROWS, P, 3);
    const anomalySet = makeAnomalies(ANOMALY_ROWS, P, 0.01, 4);
    writeRaw(join(dir, "d.train"), trainSet);
    writeRaw(join(dir, "d.test"), testSet);
    writeRaw(join(dir, "d.forest"), forestSet);
    writeRaw(join(dir, "d.anomaly"), anomalySet);

    let peer: PeerResult | null = null;
    if (!SKIP_PEER) {
      console.log(`running the Python peer (${PYTHON}) ...`);
      const res = spawnSync(PYTHON, [join(__dirnameOf(), "peer.py"), join(dir, "d"), String(ROUNDS), String(LEAVES), "1,2", String(P), ...(ONLY_BOOSTING ? [] : ["--forests"])], {
        encoding: "utf8",
        maxBuffer: 1 << 24,
      });
      if (res.status !== 0) {
        console.error(`peer failed (status ${res.status}): ${res.stderr}`);
      } else {
        peer = JSON.parse(res.stdout.trim().split("\n").pop() as string) as PeerResult;
      }
    }

    console.log("running ours ...");
    const boost = timed(() => train({ objective: "binary", numLeaves: LEAVES, maxBin: 255, learningRate: 0.1 }, trainSet, { numBoostRound: ROUNDS }));
    const booster = boost.value;
    const boost2 = timed(() => train({ objective: "binary", numLeaves: LEAVES, maxBin: 255, learningRate: 0.1, numThreads: 2 }, trainSet, { numBoostRound: ROUNDS }));
    const auc2 = rocAuc(testSet.y, boost2.value.predict(testSet.X));
    const pred = timed(() => booster.predict(testSet.X));
    const auc = rocAuc(testSet.y, pred.value);
    // Prediction throughput on a fixed batch, best of three (the first call warms the JIT), CPU
    // time at 1 thread and wall time at 1 and 2 threads (CPU time of 2 threads counts both).
    let bestPredict = Infinity;
    let bestPredictWall = Infinity;
    let bestPredictWall2 = Infinity;
    for (let i = 0; i < 3; i++) {
      const t1 = timed(() => booster.predictRaw(testSet.X));
      bestPredict = Math.min(bestPredict, t1.cpu);
      bestPredictWall = Math.min(bestPredictWall, t1.wall);
      bestPredictWall2 = Math.min(bestPredictWall2, timed(() => booster.predictRaw(testSet.X, { numThreads: 2 })).wall);
    }

    const forests = ONLY_BOOSTING ? null : runForests(forestSet, anomalySet);

    const rows: Array<[string, string, string, string]> = [];
    const f = (v: number | undefined, d = 2) => (v === undefined || !Number.isFinite(v) ? "n/a" : v.toFixed(d));
    const ratio = (a: number, b: number | undefined) => (b === undefined ? "n/a" : (a / b).toFixed(2));
    const lgb1 = peer?.boosting.find((b) => b.threads === 1);
    const lgb2 = peer?.boosting.find((b) => b.threads === 2);
    rows.push([`boost train wall s, 1 thread (${ROUNDS} trees)`, f(boost.wall), f(lgb1?.train_s), ratio(boost.wall, lgb1?.train_s)]);
    rows.push(["boost train CPU s, 1 thread", f(boost.cpu), f(lgb1?.train_cpu_s), ratio(boost.cpu, lgb1?.train_cpu_s)]);
    rows.push(["boost train wall s, 2 threads", f(boost2.wall), f(lgb2?.train_s), ratio(boost2.wall, lgb2?.train_s)]);
    rows.push(["boost train CPU s, 2 threads (all threads)", f(boost2.cpu), f(lgb2?.train_cpu_s), ratio(boost2.cpu, lgb2?.train_cpu_s)]);
    rows.push(["boost test AUC", f(auc, 5), f(lgb1?.auc, 5), lgb1 ? `diff ${(auc - lgb1.auc).toFixed(5)}` : "n/a"]);
    rows.push(["boost test AUC, 2 threads", f(auc2, 5), f(lgb2?.auc, 5), lgb2 ? `diff ${(auc2 - lgb2.auc).toFixed(5)}` : "n/a"]);
    const nt = testSet.X.nRows;
    rows.push(["boost predict rows/s (1 thread, CPU)", f(nt / bestPredict, 0), f(lgb1?.predict_rows_per_s, 0), ratio(nt / bestPredict, lgb1?.predict_rows_per_s)]);
    rows.push(["boost predict rows/s (1 thread, wall)", f(nt / bestPredictWall, 0), f(lgb1?.predict_wall_rows_per_s, 0), ratio(nt / bestPredictWall, lgb1?.predict_wall_rows_per_s)]);
    rows.push(["boost predict rows/s (2 threads, wall)", f(nt / bestPredictWall2, 0), f(lgb2?.predict_wall_rows_per_s, 0), ratio(nt / bestPredictWall2, lgb2?.predict_wall_rows_per_s)]);
    if (forests !== null) {
      const { rf, rfPred, rfAuc, rfAccuracy, iso, isoScore, isoAuc } = forests;
      rows.push(["random forest fit s (100 trees, depth 12)", f(rf.wall), f(peer?.random_forest?.fit_s), ratio(rf.wall, peer?.random_forest?.fit_s)]);
      rows.push(["random forest predict s", f(rfPred.wall, 3), f(peer?.random_forest?.predict_s, 3), ratio(rfPred.wall, peer?.random_forest?.predict_s)]);
      rows.push(["random forest test AUC", f(rfAuc, 4), f(peer?.random_forest?.auc, 4), peer?.random_forest ? `diff ${(rfAuc - peer.random_forest.auc).toFixed(4)}` : "n/a"]);
      rows.push(["random forest accuracy", f(rfAccuracy, 4), f(peer?.random_forest?.accuracy, 4), peer?.random_forest ? `diff ${(rfAccuracy - peer.random_forest.accuracy).toFixed(4)}` : "n/a"]);
      rows.push(["isolation forest fit s", f(iso.wall, 3), f(peer?.isolation_forest?.fit_s, 3), ratio(iso.wall, peer?.isolation_forest?.fit_s)]);
      rows.push([`isolation forest score s (${ANOMALY_ROWS} rows)`, f(isoScore.wall, 3), f(peer?.isolation_forest?.score_s, 3), ratio(isoScore.wall, peer?.isolation_forest?.score_s)]);
      rows.push(["isolation forest AUC", f(isoAuc, 4), f(peer?.isolation_forest?.auc, 4), peer?.isolation_forest ? `diff ${(isoAuc - peer.isolation_forest.auc).toFixed(4)}` : "n/a"]);
    }
    const head: [string, string, string, string] = ["measure", "ours", peer ? `peer (lightgbm ${peer.lightgbm}${peer.sklearn ? `, sklearn ${peer.sklearn}` : ""})` : "peer", "ours/peer"];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]) => "| " + r.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
    console.log(line(head));
    console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
    for (const r of rows) console.log(line(r));
    console.log("Targets: boosting train <= 1.5x LightGBM at the same thread count with AUC within 0.002; isolation forest no slower than scikit-learn; prediction >= 1M rows/s.");
    console.log("Ours at 2 threads: histograms (by feature groups), leaf gathers, row partitions, binary gradients and score updates (by rows) shared by the main thread and one worker, bit-identical to 1 thread; binning, bin bounds and split finding stay on the main thread. Prediction rows split between two threads.");
    console.log(`Load average at the end: ${loadavg().map((v) => v.toFixed(2)).join(" ")} (2 cores, shared: CPU and wall times are noisy).`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Random forest and isolation forest runs on their data sets (timed). */
function runForests(forestSet: { X: FeatureMatrix; y: Float64Array }, anomalySet: { X: FeatureMatrix; y: Float64Array }) {
  const nf = Math.floor(FOREST_ROWS * 0.8);
  const fTrain = { X: { nRows: nf, nCols: P, values: forestSet.X.values.subarray(0, nf * P) }, y: forestSet.y.subarray(0, nf) };
  const fTest = { X: { nRows: FOREST_ROWS - nf, nCols: P, values: forestSet.X.values.subarray(nf * P) }, y: forestSet.y.subarray(nf) };
  const rf = timed(() => fitRandomForest(fTrain, { nEstimators: 100, maxDepth: 12, maxFeatures: "sqrt", classWeight: "balanced", seed: 0 }));
  const rfPred = timed(() => rf.value.predictProba(fTest.X));
  const rfAuc = rocAuc(fTest.y, Float64Array.from({ length: fTest.X.nRows }, (_, r) => rfPred.value[2 * r + 1]));
  let rfCorrect = 0;
  for (let r = 0; r < fTest.X.nRows; r++) if ((rfPred.value[2 * r + 1] >= 0.5 ? 1 : 0) === fTest.y[r]) rfCorrect++;
  const iso = timed(() => fitIsolationForest(anomalySet.X, { nEstimators: 100, maxSamples: 256, seed: 0 }));
  const isoScore = timed(() => iso.value.scoreSamples(anomalySet.X));
  const isoAuc = rocAuc(anomalySet.y, isoScore.value.map((v) => -v));
  return { rf, rfPred, rfAuc, rfAccuracy: rfCorrect / fTest.X.nRows, iso, isoScore, isoAuc };
}

function __dirnameOf(): string {
  // bench/ is run with tsx from the repository root; resolve the peer script from the cwd.
  return join(process.cwd(), "bench", "trees");
}

main();
