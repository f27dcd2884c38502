import { describe, expect, it } from "vitest";
import { logrankTest, multivariateLogrankTest } from "../../lib/survival/logrank.js";
import { DataError } from "../../lib/errors.js";
import { expectClose, loadFixture, type LogrankFx } from "./helpers.js";

interface Fx {
  durations: number[];
  events: number[];
  groups: string[];
  weights: number[];
  logrank: LogrankFx;
  logrank3: LogrankFx;
  logrank3Weighted: LogrankFx;
  logrank3Wilcoxon: LogrankFx;
  logrank3TaroneWare: LogrankFx;
  logrank3Peto: LogrankFx;
  logrank3FH: LogrankFx;
  logrankAB: LogrankFx;
  logrankABtMax: LogrankFx;
}
const waltons = loadFixture<Fx>("waltons");
const synthetic = loadFixture<Fx>("synthetic");
const rossi = loadFixture<{ durations: number[]; events: number[]; covariates: Record<string, number[]>; prioGroups: string[]; logrankFin: LogrankFx; logrankPrio: LogrankFx }>("rossi");

function subset(fx: { durations: number[]; events: number[] }, keep: (i: number) => boolean): { durations: number[]; events: number[] } {
  const idx = fx.durations.map((_, i) => i).filter(keep);
  return { durations: idx.map((i) => fx.durations[i]), events: idx.map((i) => fx.events[i]) };
}

// The statistic is a ratio of sums of counts; agreement is at rounding level. p-values come from
// different incomplete-gamma implementations (scipy vs stdlib): 1e-10 relative.
function compare(result: { statistic: number; pValue: number; degreesOfFreedom: number }, fx: LogrankFx): void {
  expectClose(result.statistic, fx.statistic, 1e-10, 0, "statistic");
  expectClose(result.pValue, fx.p, 1e-10, 0, "p");
  expect(result.degreesOfFreedom).toBe(fx.df);
}

describe("log-rank tests match lifelines", () => {
  it("two groups: waltons control vs miR-137", () => {
    const ctrl = subset(waltons, (i) => waltons.groups[i] === "control");
    const other = subset(waltons, (i) => waltons.groups[i] !== "control");
    compare(logrankTest(ctrl, other), waltons.logrank);
  });
  it("two groups: rossi by financial aid", () => {
    const fin = subset(rossi, (i) => rossi.covariates.fin[i] === 1);
    const noFin = subset(rossi, (i) => rossi.covariates.fin[i] !== 1);
    compare(logrankTest(fin, noFin), rossi.logrankFin);
  });
  it("k groups: rossi by prior-conviction band", () => compare(multivariateLogrankTest(rossi, rossi.prioGroups), rossi.logrankPrio));
  it("k groups with ties, weights and every weighting", () => {
    const data = { durations: synthetic.durations, events: synthetic.events };
    compare(multivariateLogrankTest(data, synthetic.groups), synthetic.logrank3);
    compare(multivariateLogrankTest({ ...data, weights: synthetic.weights }, synthetic.groups), synthetic.logrank3Weighted);
    compare(multivariateLogrankTest(data, synthetic.groups, { weighting: { kind: "wilcoxon" } }), synthetic.logrank3Wilcoxon);
    compare(multivariateLogrankTest(data, synthetic.groups, { weighting: { kind: "tarone-ware" } }), synthetic.logrank3TaroneWare);
    compare(multivariateLogrankTest(data, synthetic.groups, { weighting: { kind: "peto" } }), synthetic.logrank3Peto);
    compare(multivariateLogrankTest(data, synthetic.groups, { weighting: { kind: "fleming-harrington", p: 1, q: 1 } }), synthetic.logrank3FH);
  });
  it("two groups with a truncation time t_0", () => {
    const a = subset(synthetic, (i) => synthetic.groups[i] === "a");
    const b = subset(synthetic, (i) => synthetic.groups[i] === "b");
    compare(logrankTest(a, b), synthetic.logrankAB);
    compare(logrankTest(a, b, { tMax: 12 }), synthetic.logrankABtMax);
  });
});

describe("log-rank behaviour", () => {
  it("two-sample test equals the k-sample test with two labels, and observed totals equal events", () => {
    const a = { durations: [1, 3, 4, 6, 6, 9], events: [1, 1, 0, 1, 1, 0] };
    const b = { durations: [2, 2, 5, 7, 8], events: [1, 0, 1, 1, 1] };
    const two = logrankTest(a, b);
    const k = multivariateLogrankTest({ durations: [...a.durations, ...b.durations], events: [...a.events, ...b.events] }, [...a.durations.map(() => 0), ...b.durations.map(() => 1)]);
    expectClose(two.statistic, k.statistic, 1e-14, 0, "statistic");
    expect(two.observed).toEqual([4, 4]);
    expectClose(two.observed[0] + two.observed[1], two.expected[0] + two.expected[1], 1e-14, 0, "O vs E totals");
  });
  it("identical groups give a statistic of 0 and p = 1", () => {
    const a = { durations: [1, 2, 3, 4], events: [1, 0, 1, 1] };
    const r = logrankTest(a, a);
    expect(r.statistic).toBeCloseTo(0, 14);
    expect(r.pValue).toBeCloseTo(1, 12);
  });
  it("a group never at risk at an event time makes V singular: the pseudo-inverse gives the remaining groups' statistic", () => {
    const a = { durations: [2, 4, 5, 7, 9], events: [1, 1, 0, 1, 1] };
    const b = { durations: [3, 3, 6, 8, 10], events: [1, 0, 1, 1, 0] };
    const c = { durations: [0.5, 1], events: [0, 0] };
    const all = { durations: [...a.durations, ...b.durations, ...c.durations], events: [...a.events, ...b.events, ...c.events] };
    const labels = [...a.durations.map(() => "a"), ...b.durations.map(() => "b"), ...c.durations.map(() => "c")];
    const three = multivariateLogrankTest(all, labels);
    expect(three.degreesOfFreedom).toBe(2);
    expectClose(three.statistic, logrankTest(a, b).statistic, 1e-10, 0, "statistic");
  });

  it("symmetric pseudo-inverse satisfies the Moore-Penrose identity A A+ A = A", async () => {
    const { symmetricPseudoInverse } = await import("../../lib/survival/linalg.js");
    // Rank 2 in 3 dimensions: u u' + v v'.
    const u = [1, 2, -1];
    const v = [0.5, -1, 3];
    const A = Float64Array.from({ length: 9 }, (_, k) => u[Math.floor(k / 3)] * u[k % 3] + v[Math.floor(k / 3)] * v[k % 3]);
    const P = symmetricPseudoInverse(A, 3);
    const mul = (x: Float64Array, y: Float64Array): Float64Array =>
      Float64Array.from({ length: 9 }, (_, k) => [0, 1, 2].reduce((s, m) => s + x[Math.floor(k / 3) * 3 + m] * y[m * 3 + (k % 3)], 0));
    expectClose(mul(mul(A, P), A), A, 1e-10, 1e-12, "A A+ A");
    expectClose(mul(mul(P, A), P), P, 1e-10, 1e-12, "A+ A A+");
  });

  it("rejects one group, mismatched labels and all-censored data", () => {
    expect(() => multivariateLogrankTest({ durations: [1, 2] }, ["a", "a"])).toThrow(/at least 2 groups/);
    expect(() => multivariateLogrankTest({ durations: [1, 2] }, ["a"])).toThrow(DataError);
    expect(() => logrankTest({ durations: [1, 2], events: [0, 0] }, { durations: [3], events: [0] })).toThrow(/every row is censored/);
  });
});
