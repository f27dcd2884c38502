import { describe, expect, it } from "vitest";
import { fitNelsonAalen, NelsonAalenFit } from "../../lib/survival/nelson-aalen.js";
import { DataError } from "../../lib/errors.js";
import { expectClose, loadFixture, type NaFx } from "./helpers.js";

interface Fx {
  durations: number[];
  events: number[];
  entry?: number[];
  na: NaFx;
  naDiscrete?: NaFx;
  naEntry?: NaFx;
}
const waltons = loadFixture<Fx>("waltons");
const rossi = loadFixture<Fx>("rossi");
const synthetic = loadFixture<Fx>("synthetic");
const edge = loadFixture<{ zeroDurations: Fx }>("edge");

// lifelines forms the smoothed increments as differences of cumulative harmonic sums, we sum the
// terms directly: both are exact to a few ulps of the running total.
function compareNa(fit: NelsonAalenFit, fx: NaFx): void {
  expectClose(fit.timeline, fx.timeline, 0, 0, "timeline");
  expectClose(fit.cumulativeHazard, fx.cumulativeHazard, 1e-12, 1e-14, "H");
  expectClose(fit.variance, fx.variance, 1e-12, 1e-14, "variance");
  expectClose(fit.lower, fx.lower, 1e-10, 1e-14, "lower");
  expectClose(fit.upper, fx.upper, 1e-10, 1e-14, "upper");
  expectClose(fit.cumulativeHazardAt(fx.atTimes), fx.cumulativeHazardAtTimes, 1e-12, 1e-14, "H at times");
}

describe("Nelson-Aalen matches lifelines", () => {
  it("waltons (smoothed ties, lifelines' default)", () => compareNa(fitNelsonAalen({ durations: waltons.durations, events: waltons.events }), waltons.na));
  it("waltons (discrete ties)", () =>
    compareNa(fitNelsonAalen({ durations: waltons.durations, events: waltons.events }, { ties: "discrete" }), waltons.naDiscrete as NaFx));
  it("rossi", () => compareNa(fitNelsonAalen({ durations: rossi.durations, events: rossi.events }), rossi.na));
  it("synthetic (smoothed and discrete)", () => {
    compareNa(fitNelsonAalen({ durations: synthetic.durations, events: synthetic.events }), synthetic.na);
    compareNa(fitNelsonAalen({ durations: synthetic.durations, events: synthetic.events }, { ties: "discrete" }), synthetic.naDiscrete as NaFx);
  });
  it("synthetic with late entry", () =>
    compareNa(fitNelsonAalen({ durations: synthetic.durations, events: synthetic.events, entry: synthetic.entry }), synthetic.naEntry as NaFx));
  it("zero durations", () => compareNa(fitNelsonAalen(edge.zeroDurations), edge.zeroDurations.na));
});

describe("Nelson-Aalen behaviour", () => {
  it("without ties, H is the sum of 1/n_i and the variance the sum of 1/n_i^2", () => {
    const fit = fitNelsonAalen({ durations: [1, 2, 3, 4], events: [1, 1, 0, 1] });
    expectClose(fit.cumulativeHazardAt([4]), [1 / 4 + 1 / 3 + 1 / 1], 1e-15, 0, "H");
    expect(fit.variance[fit.variance.length - 1]).toBeCloseTo(1 / 16 + 1 / 9 + 1, 14);
  });

  it("smoothed ties need whole-number weights", () => {
    expect(() => fitNelsonAalen({ durations: [1, 2], weights: [0.5, 1] })).toThrow(DataError);
    expect(() => fitNelsonAalen({ durations: [1, 2], weights: [0.5, 1] }, { ties: "discrete" })).not.toThrow();
  });

  it("round-trips through JSON", () => {
    const fit = fitNelsonAalen({ durations: waltons.durations, events: waltons.events });
    const back = NelsonAalenFit.fromJSON(JSON.parse(JSON.stringify(fit)));
    expect(Array.from(back.cumulativeHazard)).toEqual(Array.from(fit.cumulativeHazard));
    expect(Array.from(back.upper)).toEqual(Array.from(fit.upper));
    expect(back.ties).toBe("smooth");
  });
});
