import { describe, expect, it } from "vitest";
import { buildTrialWorld } from "../../lib/trial/world.js";
import { planTrial } from "../../lib/trial/plan.js";
import { runReplicates } from "../../lib/trial/harness.js";
import { drawOutcomes, drawReplicateNumbers, replicateOnset, resultIndex, runReplicate, ReplicateScratch } from "../../lib/trial/replicate.js";
import { ARMS, REPLICATE_METRICS, TrialSettingsSchema, trialCells, type TrialSettingsInput } from "../../lib/trial/settings.js";
import { summarizeTrial, judge } from "../../lib/trial/summary.js";
import { fitRiskModel } from "../../lib/trial/risk-model.js";
import { createRng } from "../../lib/util/random.js";

// A small world: 30 monitored days x 2000 trips, so a replicate costs a few milliseconds.
const world = buildTrialWorld({ vehicles: 200, tripsPerDay: 2000, historyDays: 15, monitorDays: 30, calibrationTrips: 2000 }, createRng(17));
const settings = (input: TrialSettingsInput) =>
  TrialSettingsSchema.parse({ regression: { durationDays: 7, onsetMin: 8, onsetMax: 18 }, detection: { bocpd: false }, ...input });
const metric = (name: (typeof REPLICATE_METRICS)[number]) => REPLICATE_METRICS.indexOf(name);

describe("trial plan", () => {
  it("every design spends exactly the budget each day", () => {
    const plan = planTrial(world, settings({ budgets: [0.05, 0.2] }), 1);
    plan.settings.budgets.forEach((b, bi) => {
      ARMS.forEach((arm, a) => {
        const pi = plan.designs[bi * ARMS.length + a].pi;
        for (let t = 0; t < world.days; t++) {
          let s = 0;
          for (let i = world.dayStart[t]; i < world.dayStart[t + 1]; i++) s += pi[i];
          expect(s, `${arm} budget ${b} day ${t}`).toBeCloseTo(b * (world.dayStart[t + 1] - world.dayStart[t]), 6);
        }
      });
    });
  });
});

describe("paired design", () => {
  const plan = planTrial(world, settings({ budgets: [0.1], hazardRatios: [2, 3], scopes: ["fleet", "urban"], replicates: 3 }), 5);

  it("every arm of a replicate is scored against the same world (onset and realized events) in every cell", () => {
    for (let r = 0; r < 3; r++) {
      const v = runReplicate(plan, r);
      for (const cell of trialCells(plan.settings)) {
        const truth = v[resultIndex(cell.index, 0, metric("truth_events"))];
        const onset = v[resultIndex(cell.index, 0, metric("onset"))];
        expect(onset).toBe(replicateOnset(plan, r));
        for (let a = 1; a < ARMS.length; a++) {
          expect(v[resultIndex(cell.index, a, metric("truth_events"))]).toBe(truth);
          expect(v[resultIndex(cell.index, a, metric("onset"))]).toBe(onset);
        }
      }
    }
  });

  it("a replicate's world depends only on the seed and the replicate: redrawing gives the same outcomes", () => {
    const s1 = new ReplicateScratch(plan);
    const s2 = new ReplicateScratch(plan);
    drawReplicateNumbers(plan, 2, s1);
    runReplicate(plan, 0, s2); // use the scratch for something else first
    drawReplicateNumbers(plan, 2, s2);
    const onset = replicateOnset(plan, 2);
    const n1 = drawOutcomes(plan, s1, onset, 2, "fleet");
    const n2 = drawOutcomes(plan, s2, onset, 2, "fleet");
    expect(n1).toBe(n2);
    expect(Array.from(s1.eventTrip.subarray(0, s1.events))).toEqual(Array.from(s2.eventTrip.subarray(0, s2.events)));
    expect(Array.from(s1.prn)).toEqual(Array.from(s2.prn));
  });

  it("with the whole population reviewed (budget 1) all arms see every event and alarm on the same days", () => {
    const full = planTrial(world, settings({ budgets: [1], hazardRatios: [2], replicates: 2 }), 9);
    for (let r = 0; r < 2; r++) {
      const v = runReplicate(full, r);
      const truth = v[resultIndex(0, 0, metric("truth_events"))];
      for (let a = 0; a < ARMS.length; a++) {
        expect(v[resultIndex(0, a, metric("sampled_events"))]).toBe(truth);
        expect(v[resultIndex(0, a, metric("ht_rel_error"))]).toBeCloseTo(0, 12);
        for (const m of ["cusum_detected", "cusum_delay", "cusum_false_alarms"] as const) {
          expect(v[resultIndex(0, a, metric(m))]).toEqual(v[resultIndex(0, 0, metric(m))]);
        }
      }
    }
  });

  it("sampled events are more frequent under the hazard ratio 3 than 2 on the same uniforms (monotone coupling)", () => {
    const v = runReplicate(plan, 1);
    const cells = trialCells(plan.settings);
    const hr2 = cells.find((c) => c.hazardRatio === 2 && c.scope === "fleet")!;
    const hr3 = cells.find((c) => c.hazardRatio === 3 && c.scope === "fleet")!;
    for (let a = 0; a < ARMS.length - 1; a++) {
      expect(v[resultIndex(hr3.index, a, metric("sampled_events"))]).toBeGreaterThanOrEqual(v[resultIndex(hr2.index, a, metric("sampled_events"))]);
    }
  });
});

describe("worker-count invariance", () => {
  it("two workers give bit-identical results to one", async () => {
    const plan = planTrial(world, settings({ budgets: [0.05, 0.2], hazardRatios: [2], replicates: 6, detection: { bocpd: true } }), 21);
    const one = await runReplicates(plan, { workers: 1 });
    const two = await runReplicates(plan, { workers: 2, batch: 1 });
    expect(two.workers).toBe(2);
    expect(Array.from(two.values)).toEqual(Array.from(one.values));
  }, 60_000);
});

describe("unbiasedness and coverage of the rate estimates over replicates", () => {
  it("every arm's Horvitz-Thompson mean relative error is within 3 standard errors of 0 and its interval covers near nominally", async () => {
    const plan = planTrial(world, settings({ budgets: [0.2], hazardRatios: [2], replicates: 300 }), 33);
    const res = await runReplicates(plan, { workers: 1 });
    const summary = summarizeTrial(plan, res, createRng(4));
    for (const a of summary[0].arms) {
      expect(Math.abs(a.htBias), `${a.arm} bias ${a.htBias} se ${a.htBiasSe}`).toBeLessThan(3 * a.htBiasSe);
      expect(a.htCoverage, a.arm).toBeGreaterThan(0.9);
      expect(a.htCoverage, a.arm).toBeLessThan(0.995);
      expect(Math.abs(a.hajekBias), a.arm).toBeLessThan(0.05);
      // The Hajek interval is a Wald interval: with ~100 events and skewed weights it under-covers a
      // little (about 0.88-0.93 here); the Horvitz-Thompson gamma interval above is the nominal one.
      expect(a.hajekCoverage, a.arm).toBeGreaterThan(0.85);
      // Budgets are met on average.
      expect(a.sampledTripsPerDay / 2000).toBeCloseTo(0.2, 2);
    }
  }, 60_000);
});

describe("claim verdicts", () => {
  const iv = (estimate: number, lower: number, upper: number) => ({ estimate, lower, upper });
  it("needs a significant gain of at least 20 points and a significant MTTD cut of at least 30%", () => {
    const base = { arm: "importance" as const, falseAlarmDiff: iv(0, -1, 1), htRmseRatio: iv(1, 0.9, 1.1) };
    expect(judge({ ...base, sensitivityDiff: iv(0.25, 0.15, 0.35), mttdRelChange: iv(-0.35, -0.45, -0.2) }).overall).toBe("reproduces");
    expect(judge({ ...base, sensitivityDiff: iv(0.1, 0.02, 0.18), mttdRelChange: iv(-0.35, -0.45, -0.2) })).toMatchObject({ sensitivity: "smaller than claimed", overall: "partially reproduces" });
    expect(judge({ ...base, sensitivityDiff: iv(0.1, -0.02, 0.2), mttdRelChange: iv(0.1, 0.02, 0.2) })).toMatchObject({ sensitivity: "no significant change", mttd: "worse", overall: "does not reproduce" });
  });
});

describe("risk model", () => {
  it("recovers known multiplicative factors from simulated Poisson data", () => {
    const rng = createRng(8);
    const n = 200_000;
    const roadF = [0.5, 2, 1, 1.5];
    const modeF = [1, 0.5, 0.25];
    const data = { miles: new Float64Array(n), road: new Uint8Array(n), weather: new Uint8Array(n), timeOfDay: new Uint8Array(n), mode: new Uint8Array(n), vehicle: new Int32Array(n), events: new Float64Array(n) };
    for (let i = 0; i < n; i++) {
      data.miles[i] = 5 + 20 * rng.uniform();
      data.road[i] = rng.int(4);
      data.mode[i] = rng.int(3);
      data.vehicle[i] = rng.int(50);
      data.events[i] = rng.poisson(0.002 * data.miles[i] * roadF[data.road[i]] * modeF[data.mode[i]]);
    }
    const model = fitRiskModel(data, { road: 4, weather: 1, timeOfDay: 1, mode: 3, vehicles: 50 });
    for (let r = 1; r < 4; r++) expect(model.road[r] / model.road[0]).toBeCloseTo(roadF[r] / roadF[0], 0);
    expect(Math.abs(model.mode[2] / model.mode[0] - 0.25)).toBeLessThan(0.05);
    // No vehicle heterogeneity in the data: the vehicle factors are shrunk to (nearly) 1.
    for (const f of model.vehicle) expect(Math.abs(f - 1)).toBeLessThan(0.1);
    const p = model.predict(10, 1, 0, 0, 0, 3);
    expect(p / (0.002 * 10 * 2)).toBeGreaterThan(0.9);
    expect(p / (0.002 * 10 * 2)).toBeLessThan(1.1);
  });
});
