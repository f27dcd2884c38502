import { describe, expect, it } from "vitest";
import { fitKaplanMeier, KaplanMeierFit } from "../../lib/survival/kaplan-meier.js";
import { DataError } from "../../lib/errors.js";
import { expectClose, loadFixture, type KmFx } from "./helpers.js";

interface WaltonsFx {
  durations: number[];
  events: number[];
  km: KmFx;
  kmAlpha10: KmFx;
  atRisk: Array<{ time: number; atRisk: number; censored: number; events: number }>;
  atRiskFromStart: Array<{ time: number; atRisk: number; censored: number; events: number }>;
}
interface SyntheticFx {
  durations: number[];
  events: number[];
  weights: number[];
  entry: number[];
  km: KmFx;
  kmWeighted: KmFx;
  kmEntry: KmFx;
}
interface EdgeFx {
  zeroDurations: { durations: number[]; events: number[]; km: KmFx };
  endsCensored: { durations: number[]; events: number[]; km: KmFx };
}

const waltons = loadFixture<WaltonsFx>("waltons");
const synthetic = loadFixture<SyntheticFx>("synthetic");
const edge = loadFixture<EdgeFx>("edge");
const rossi = loadFixture<{ durations: number[]; events: number[]; km: KmFx }>("rossi");

// Survival and Greenwood sums are exact arithmetic on counts: they agree with lifelines to rounding.
const RTOL = 1e-12;

function compareKm(fit: KaplanMeierFit, fx: KmFx): void {
  expectClose(fit.timeline, fx.timeline, 0, 0, "timeline");
  expectClose(fit.eventTable.atRisk, fx.eventTable.atRisk, 0, 0, "at_risk");
  expectClose(fit.eventTable.removed, fx.eventTable.removed, 0, 0, "removed");
  expectClose(fit.eventTable.observed, fx.eventTable.observed, 0, 0, "observed");
  expectClose(fit.eventTable.censored, fx.eventTable.censored, 0, 0, "censored");
  expectClose(fit.eventTable.entrance, fx.eventTable.entrance, 0, 0, "entrance");
  expectClose(fit.survival, fx.survival, RTOL, 1e-300, "survival");
  expectClose(fit.varianceLogSurvival, fx.varianceLogSurvival, RTOL, 1e-300, "greenwood");
  expectClose(fit.lower, fx.lower, 1e-10, 1e-300, "lower");
  expectClose(fit.upper, fx.upper, 1e-10, 1e-300, "upper");
  expect(fit.medianSurvivalTime).toBe(fx.median);
  expect(fit.percentile(0.25)).toBe(fx.percentile25);
  expectClose(fit.survivalAt(fx.atTimes), fx.survivalAtTimes, RTOL, 0, "survival at times");
}

describe("Kaplan-Meier matches lifelines", () => {
  it("waltons", () => compareKm(fitKaplanMeier({ durations: waltons.durations, events: waltons.events }), waltons.km));
  it("waltons with alpha = 0.1", () => compareKm(fitKaplanMeier({ durations: waltons.durations, events: waltons.events }, { alpha: 0.1 }), waltons.kmAlpha10));
  it("rossi", () => compareKm(fitKaplanMeier({ durations: rossi.durations, events: rossi.events }), rossi.km));
  it("synthetic with heavy ties", () => compareKm(fitKaplanMeier({ durations: synthetic.durations, events: synthetic.events }), synthetic.km));
  it("synthetic with integer weights", () =>
    compareKm(fitKaplanMeier({ durations: synthetic.durations, events: synthetic.events, weights: synthetic.weights }), synthetic.kmWeighted));
  it("synthetic with late entry", () =>
    compareKm(fitKaplanMeier({ durations: synthetic.durations, events: synthetic.events, entry: synthetic.entry }), synthetic.kmEntry));
  it("zero durations and a curve that reaches 0", () => {
    const fit = fitKaplanMeier({ durations: edge.zeroDurations.durations, events: edge.zeroDurations.events });
    compareKm(fit, edge.zeroDurations.km);
    expect(fit.survival[fit.survival.length - 1]).toBe(0);
  });
  it("a curve that ends censored", () => {
    const fit = fitKaplanMeier({ durations: edge.endsCensored.durations, events: edge.endsCensored.events });
    compareKm(fit, edge.endsCensored.km);
  });
  it("at-risk table equals lifelines' add_at_risk_counts numbers", () => {
    const fit = fitKaplanMeier({ durations: waltons.durations, events: waltons.events });
    const times = waltons.atRisk.map((r) => r.time);
    expect(fit.atRiskTable(times)).toEqual(waltons.atRisk);
    expect(fit.atRiskTable(times, { fromStartOfPeriod: true })).toEqual(waltons.atRiskFromStart);
  });
});

describe("Kaplan-Meier closed forms and behaviour", () => {
  it("without censoring S(t) is the empirical survival function and Greenwood matches the binomial variance", () => {
    const durations = [3, 1, 4, 1, 5, 9, 2, 6];
    const fit = fitKaplanMeier({ durations });
    const n = durations.length;
    for (const t of [0.5, 1, 2.5, 4, 6, 9, 12]) {
      const s = durations.filter((d) => d > t).length / n;
      expectClose(fit.survivalAt([t]), [s], 1e-14, 1e-15, `S(${t})`);
      const i = fit.timeline.findIndex((x) => x === t);
      if (i >= 0 && s > 0) expectClose(fit.varianceSurvival[i], (s * (1 - s)) / n, 1e-12, 0, `Var S(${t})`);
    }
  });

  it("S is 1 before the first time and intervals contain the estimate", () => {
    const fit = fitKaplanMeier({ durations: waltons.durations, events: waltons.events });
    expect(fit.survivalAt([-1])[0]).toBe(1);
    for (let i = 0; i < fit.survival.length; i++) {
      expect(fit.lower[i]).toBeLessThanOrEqual(fit.survival[i] + 1e-15);
      expect(fit.upper[i]).toBeGreaterThanOrEqual(fit.survival[i] - 1e-15);
    }
  });

  it("does not mutate its inputs", () => {
    const durations = Float64Array.from([5, 3, 3, 8]);
    const events = Uint8Array.from([1, 0, 1, 1]);
    fitKaplanMeier({ durations, events });
    expect(Array.from(durations)).toEqual([5, 3, 3, 8]);
    expect(Array.from(events)).toEqual([1, 0, 1, 1]);
  });

  it("all-censored data gives the flat curve S = 1 (a valid estimate, as in lifelines)", () => {
    const fit = fitKaplanMeier({ durations: [1, 2, 3], events: [0, 0, 0] });
    expect(Array.from(fit.survival)).toEqual([1, 1, 1, 1]);
    expect(fit.medianSurvivalTime).toBe(Infinity);
  });

  it("a curve that stays above 0.5 has an infinite median", () => {
    expect(fitKaplanMeier({ durations: [1, 2, 3], events: [1, 0, 0] }).medianSurvivalTime).toBe(Infinity);
  });

  it("round-trips through JSON", () => {
    const fit = fitKaplanMeier({ durations: [1, 2, 3, 4, 6], events: [1, 0, 1, 0, 0] });
    expect(fit.medianSurvivalTime).toBe(Infinity);
    const back = KaplanMeierFit.fromJSON(JSON.parse(JSON.stringify(fit)));
    expect(back.medianSurvivalTime).toBe(Infinity);
    expect(Array.from(back.survival)).toEqual(Array.from(fit.survival));
    expect(Array.from(back.lower)).toEqual(Array.from(fit.lower));
    expect(back.atRiskTable([2, 5])).toEqual(fit.atRiskTable([2, 5]));
    expect(() => KaplanMeierFit.fromJSON({ ...fit.toJSON(), version: 99 })).toThrow(DataError);
  });
});
