import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bocpdFromJSON, createBocpd, runBocpd, type BocpdModel, type BocpdState } from "../../lib/changepoint/bocpd.js";
import { poissonKernelAvailable } from "../../lib/changepoint/wasm-bocpd.js";
import { multipleChangepoints } from "../../lib/changepoint/multiple-changepoints.js";
import { createRng } from "../../lib/util/random.js";
import { COAL, COAL_START_YEAR } from "./helpers.js";

interface Fixture {
  model: BocpdModel;
  hazard: number;
  x?: number[];
  counts?: number[];
  exposure?: number[];
  runLength: number[][];
}
const fixtures = JSON.parse(
  readFileSync(new URL("./fixtures/bocpd.json", import.meta.url), "utf8"),
) as { normal: Fixture; poisson: Fixture };

function compareToReference(f: Fixture, engine: "wasm" | "js" = "wasm"): number {
  const det = createBocpd(f.model, { hazard: f.hazard, threshold: 0, maxRuns: Infinity, engine });
  const xs = f.x ?? f.counts!;
  let worst = 0;
  for (let t = 0; t < xs.length; t++) {
    det.update(xs[t], f.exposure ? f.exposure[t] : 1);
    const { runLength, probability } = det.runLengthPosterior();
    const ref = f.runLength[t];
    expect(runLength.length).toBe(ref.length);
    for (let k = 0; k < ref.length; k++) {
      expect(runLength[k]).toBe(k + 1);
      worst = Math.max(worst, Math.abs(probability[k] - ref[k]));
    }
  }
  return worst;
}

describe("BOCPD against the reference implementation (bayesian-changepoint-detection)", () => {
  it("Normal-Gamma / Student-t: full run-length posteriors agree to 1e-9", () => {
    expect(compareToReference(fixtures.normal)).toBeLessThan(1e-9);
    expect(compareToReference(fixtures.normal, "js")).toBeLessThan(1e-9);
  });
  it("Poisson-Gamma with exposure (incl. zero-exposure days): full run-length posteriors agree to 1e-9", () => {
    expect(poissonKernelAvailable()).toBe(true);
    expect(compareToReference(fixtures.poisson)).toBeLessThan(1e-9);
    expect(compareToReference(fixtures.poisson, "js")).toBeLessThan(1e-9);
  });

  it("the WebAssembly and JavaScript engines give the same pruned Poisson posteriors (to 1e-12)", () => {
    const rng = createRng(33);
    const n = 3000;
    const counts = new Float64Array(n);
    const exposure = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      exposure[t] = t % 97 === 0 ? 0 : 5 + 10 * rng.uniform();
      // Rates 0.3 and 0.6 per unit: counts up to ~20, so both the kernel (x <= 16) and the fallback run.
      counts[t] = rng.poisson((Math.floor(t / 700) % 2 ? 0.6 : 0.3) * exposure[t]);
    }
    const model: BocpdModel = { kind: "poisson-gamma", shape: 2, rate: 5 };
    const wasm = runBocpd(model, counts, exposure, { engine: "wasm" });
    const js = runBocpd(model, counts, exposure, { engine: "js" });
    let worst = 0;
    for (let t = 0; t < n; t++) {
      worst = Math.max(worst, Math.abs(wasm.changeProbability[t] - js.changeProbability[t]), Math.abs(wasm.pShortRun[t] - js.pShortRun[t]));
      expect(wasm.mapRunLength[t]).toBe(js.mapRunLength[t]);
      expect(wasm.logPredictive[t]).toBeCloseTo(js.logPredictive[t], 10);
    }
    expect(worst).toBeLessThan(1e-12);
    expect(Math.max(...counts)).toBeGreaterThan(16);
  });

  it("the WebAssembly and JavaScript engines give the same pruned Normal posteriors (to 1e-12), resumable", () => {
    const rng = createRng(34);
    const n = 3000;
    const xs = new Float64Array(n);
    for (let t = 0; t < n; t++) xs[t] = 3 * rng.normal() + (Math.floor(t / 600) % 2) * 4;
    const model: BocpdModel = { kind: "normal-gamma", mu: 0, kappa: 0.5, alpha: 2, beta: 4 };
    // maxRuns Infinity with the threshold lets the oldest run age past the first Student-t tables.
    for (const options of [{}, { maxRuns: Infinity, threshold: 1e-8 }]) {
      const wasm = runBocpd(model, xs, undefined, { ...options, engine: "wasm" });
      const js = runBocpd(model, xs, undefined, { ...options, engine: "js" });
      let worst = 0;
      for (let t = 0; t < n; t++) {
        worst = Math.max(worst, Math.abs(wasm.changeProbability[t] - js.changeProbability[t]), Math.abs(wasm.pShortRun[t] - js.pShortRun[t]));
        expect(wasm.mapRunLength[t]).toBe(js.mapRunLength[t]);
        expect(wasm.logPredictive[t]).toBeCloseTo(js.logPredictive[t], 10);
      }
      expect(worst).toBeLessThan(1e-12);
    }
    // A detector resumed from JSON (fresh kernel, table rebuilt) continues identically.
    const a = createBocpd(model);
    const b = createBocpd(model);
    for (let t = 0; t < 1500; t++) {
      a.update(xs[t]);
      b.update(xs[t]);
    }
    const c = bocpdFromJSON(JSON.parse(JSON.stringify(b.toJSON())) as BocpdState);
    for (let t = 1500; t < n; t++) {
      const sa = a.update(xs[t]);
      const pa = sa.pShortRun;
      const la = sa.logPredictive;
      const sc = c.update(xs[t]);
      expect(sc.pShortRun).toBe(pa);
      expect(sc.logPredictive).toBe(la);
    }
  });
});

describe("BOCPD properties", () => {
  it("sum of log predictives equals the exact product-partition evidence (geometric prior = constant hazard)", () => {
    const f = fixtures.poisson;
    const r = runBocpd(f.model, f.counts!, f.exposure, { hazard: f.hazard, threshold: 0, maxRuns: Infinity });
    const total = r.logPredictive.reduce((s, v) => s + v, 0);
    const m = multipleChangepoints(f.counts!, f.exposure, {
      prior: { shape: 1, rate: 40 },
      segmentPrior: { kind: "geometric", p: f.hazard },
      tolerance: 0,
    });
    expect(total).toBeCloseTo(m.logEvidence, 8);
  });

  it("a zero-exposure day carries no information: log predictive 0, run lengths only shift", () => {
    const det = createBocpd({ kind: "poisson-gamma", shape: 1, rate: 10 }, { hazard: 0.05, threshold: 0, maxRuns: Infinity });
    for (const c of [1, 0, 2, 1]) det.update(c, 5);
    const before = det.runLengthPosterior();
    const s = det.update(0, 0);
    expect(s.logPredictive).toBeCloseTo(0, 14);
    const after = det.runLengthPosterior();
    expect(after.probability[0]).toBeCloseTo(0.05, 14);
    for (let k = 0; k < before.probability.length; k++) {
      expect(after.runLength[k + 1]).toBe(before.runLength[k] + 1);
      expect(after.probability[k + 1]).toBeCloseTo(0.95 * before.probability[k], 14);
    }
  });

  it("pruning keeps the summaries close to the exact ones and bounds the retained runs", () => {
    const rng = createRng(9);
    const n = 3000;
    const xs = new Float64Array(n);
    for (let t = 0; t < n; t++) xs[t] = rng.normal() + (Math.floor(t / 500) % 2) * 2;
    const model: BocpdModel = { kind: "normal-gamma", mu: 0, kappa: 0.1, alpha: 1, beta: 1 };
    const exact = runBocpd(model, xs, undefined, { hazard: 1 / 250, threshold: 0, maxRuns: Infinity });
    const pruned = runBocpd(model, xs, undefined, { hazard: 1 / 250, threshold: 1e-6, maxRuns: 64 });
    let worst = 0;
    for (let t = 0; t < n; t++) worst = Math.max(worst, Math.abs(exact.pShortRun[t] - pruned.pShortRun[t]));
    expect(worst).toBeLessThan(0.02);
    expect(pruned.meanRuns).toBeLessThanOrEqual(64);
    // The detected change days (MAP run length restarting) are the same.
    const restarts = (m: Float64Array): number[] => {
      const out: number[] = [];
      for (let t = 1; t < m.length; t++) if (m[t] < m[t - 1]) out.push(t - m[t] + 1);
      return out;
    };
    expect(restarts(pruned.mapRunLength)).toEqual(restarts(exact.mapRunLength));
  });

  describe("pruned vs exact (threshold 0, no cap) change probabilities on series with changes", () => {
    // Stated tolerances: with the defaults (threshold 1e-6, maxRuns 32) the pruned P(change at t)
    // stays within 0.05 of the exact one at every step and within 2e-3 on average; with the
    // threshold alone (no cap) within 2e-3 at every step. The MAP run length agrees on >= 95% of steps.
    const rng = createRng(21);
    const n = 4000;
    const counts = new Float64Array(n);
    const exposure = new Float64Array(n);
    const xs = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      exposure[t] = 800 + 400 * rng.uniform();
      // Rate regimes 2e-3, 3e-3, 2e-3, 4e-3 (HR 1.5 and 2 changes) and mean shifts of 1 sd.
      const regime = Math.floor(t / 1000);
      counts[t] = rng.poisson([2e-3, 3e-3, 2e-3, 4e-3][regime] * exposure[t]);
      xs[t] = rng.normal() + [0, 1, 0, -1][regime];
    }
    const cases: Array<[string, BocpdModel, Float64Array, Float64Array | undefined]> = [
      ["poisson-gamma with exposure", { kind: "poisson-gamma", shape: 1, rate: 500 }, counts, exposure],
      ["normal-gamma", { kind: "normal-gamma", mu: 0, kappa: 1, alpha: 1, beta: 1 }, xs, undefined],
    ];
    const compare = (a: Float64Array, b: Float64Array): { max: number; mean: number } => {
      let max = 0;
      let sum = 0;
      for (let t = 0; t < a.length; t++) {
        const d = Math.abs(a[t] - b[t]);
        max = Math.max(max, d);
        sum += d;
      }
      return { max, mean: sum / a.length };
    };
    for (const [name, model, x, e] of cases) {
      it(name, () => {
        const exact = runBocpd(model, x, e, { hazard: 1 / 250, threshold: 0, maxRuns: Infinity });
        expect(exact.prunedMass).toBe(0);
        const capped = runBocpd(model, x, e, { hazard: 1 / 250 });
        const thresholdOnly = runBocpd(model, x, e, { hazard: 1 / 250, threshold: 1e-6, maxRuns: Infinity });
        const c = compare(capped.changeProbability, exact.changeProbability);
        expect(c.max).toBeLessThan(0.05);
        expect(c.mean).toBeLessThan(2e-3);
        expect(compare(thresholdOnly.changeProbability, exact.changeProbability).max).toBeLessThan(2e-3);
        // The cap binds (so the comparison is not vacuous) and the retained runs stay bounded.
        expect(capped.prunedMass).toBeGreaterThan(0);
        expect(capped.meanRuns).toBeLessThanOrEqual(33);
        expect(exact.meanRuns).toBeGreaterThan(500);
        let agree = 0;
        for (let t = 0; t < n; t++) if (capped.mapRunLength[t] === exact.mapRunLength[t]) agree++;
        expect(agree / n).toBeGreaterThanOrEqual(0.95);
        // The exact posterior sees the three changes: its MAP run restarts within 200 steps of each (a drop of
        // the rate to 2/3 at t = 2000 takes longest).
        for (const change of [1000, 2000, 3000]) {
          let found = false;
          for (let t = change; t < change + 200 && !found; t++) found = Math.abs(t - exact.mapRunLength[t] + 1 - change) <= 15;
          expect(found, `change at ${change}`).toBe(true);
        }
      });
    }
  });

  it("Poisson model is invariant to the units of exposure (scaled exposure and prior rate), even at 1e20", () => {
    const rng = createRng(8);
    const counts = Array.from({ length: 300 }, (_, t) => rng.poisson(t < 150 ? 6 : 12));
    const exposure = Array.from({ length: 300 }, () => 0.5 + rng.uniform());
    const base = runBocpd({ kind: "poisson-gamma", shape: 2, rate: 0.2 }, counts, exposure, { maxRuns: 50 });
    const scale = 1e20;
    const scaled = runBocpd(
      { kind: "poisson-gamma", shape: 2, rate: 0.2 * scale },
      counts,
      exposure.map((e) => e * scale),
      { maxRuns: 50 },
    );
    for (let t = 0; t < 300; t++) {
      expect(scaled.pShortRun[t]).toBeCloseTo(base.pShortRun[t], 9);
      expect(scaled.mapRunLength[t]).toBe(base.mapRunLength[t]);
      // The negative-binomial pmf of a count depends on b / (b + e) only.
      expect(scaled.logPredictive[t]).toBeCloseTo(base.logPredictive[t], 8);
    }
  });

  it("toJSON / bocpdFromJSON resumes bit-identically", () => {
    const rng = createRng(4);
    const xs = Array.from({ length: 400 }, (_, t) => rng.normal() + (t > 200 ? 3 : 0));
    const model: BocpdModel = { kind: "normal-gamma", mu: 0, kappa: 1, alpha: 1, beta: 1 };
    const whole = createBocpd(model, { maxRuns: 40 });
    const first = createBocpd(model, { maxRuns: 40 });
    for (let t = 0; t < 250; t++) {
      whole.update(xs[t]);
      first.update(xs[t]);
    }
    const resumed = bocpdFromJSON(JSON.parse(JSON.stringify(first)) as BocpdState);
    for (let t = 250; t < 400; t++) {
      const a = whole.update(xs[t]);
      const b = resumed.update(xs[t]);
      expect(b.mapRunLength).toBe(a.mapRunLength);
      expect(b.pShortRun).toBe(a.pShortRun);
      expect(b.logPredictive).toBe(a.logPredictive);
    }
  });

  it("the streaming API reuses one summary object and reset() forgets", () => {
    const det = createBocpd({ kind: "normal-gamma", mu: 0, kappa: 1, alpha: 1, beta: 1 });
    const a = det.update(0.3);
    const b = det.update(-0.1);
    expect(a).toBe(b);
    expect(b.t).toBe(1);
    det.reset();
    expect(det.length).toBe(0);
    expect(det.update(0.3).t).toBe(0);
  });

  it("British coal-mining disasters: detects the change, restarting the run at 1890 +/- 2 within 10 years", () => {
    const r = runBocpd({ kind: "poisson-gamma", shape: 1, rate: 0.5 }, COAL, undefined, { hazard: 0.01 });
    let detectedAt = -1;
    let startYear = -1;
    for (let t = 1; t < COAL.length; t++) {
      const start = t - r.mapRunLength[t] + 1;
      if (start > 0) {
        detectedAt = COAL_START_YEAR + t;
        startYear = COAL_START_YEAR + start;
        break;
      }
    }
    expect(Math.abs(startYear - 1890)).toBeLessThanOrEqual(2);
    expect(detectedAt - startYear).toBeLessThanOrEqual(10);
  });
});
