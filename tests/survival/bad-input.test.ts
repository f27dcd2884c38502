import { describe, expect, it } from "vitest";
import { fitKaplanMeier } from "../../lib/survival/kaplan-meier.js";
import { fitNelsonAalen } from "../../lib/survival/nelson-aalen.js";
import { multivariateLogrankTest } from "../../lib/survival/logrank.js";
import { fitWeibull } from "../../lib/survival/weibull.js";
import { fitExponential } from "../../lib/survival/exponential.js";
import { fitCoxPH } from "../../lib/survival/coxph.js";
import { checkSurvivalData, describeRows, type SurvivalData } from "../../lib/survival/data.js";
import { ConfigError, DataError } from "../../lib/errors.js";

const x = [0.1, 0.5, -0.3, 0.9, 1.2, -1.1, 0.4, 0.0];
/** Every estimator, run on the same survival data. */
const estimators: Array<[string, (data: SurvivalData) => unknown]> = [
  ["Kaplan-Meier", (d) => fitKaplanMeier(d)],
  ["Nelson-Aalen", (d) => fitNelsonAalen(d)],
  ["log-rank", (d) => multivariateLogrankTest(d, Array.from({ length: d.durations.length }, (_, i) => i % 2))],
  ["Weibull", (d) => fitWeibull(d)],
  ["exponential", (d) => fitExponential(d)],
  ["Cox", (d) => fitCoxPH({ ...d, covariates: { x: x.slice(0, d.durations.length) } })],
];

const good = { durations: [5, 3, 8, 2, 7, 4, 6, 9], events: [1, 0, 1, 1, 0, 1, 1, 0] };

function expectDataError(fn: () => unknown, pattern: RegExp): void {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, "should throw").toBeInstanceOf(DataError);
  expect((caught as Error).message).toMatch(pattern);
}

describe("bad survival input is a DataError naming the rows, for every estimator", () => {
  for (const [name, run] of estimators) {
    describe(name, () => {
      it("accepts the good data", () => expect(() => run(good)).not.toThrow());
      it("NaN and infinite durations", () => {
        expectDataError(() => run({ ...good, durations: [5, NaN, 8, 2, 7, Infinity, 6, 9] }), /durations must be finite numbers: rows 1, 5 \(2 rows\); row 1 is NaN/);
      });
      it("negative durations", () => {
        expectDataError(() => run({ ...good, durations: [5, 3, -8, 2, 7, 4, 6, 9] }), /durations must be > ?=? 0: row 2 \(1 row\); row 2 is -8/);
      });
      it("event flags that are not 0/1", () => {
        expectDataError(() => run({ ...good, events: [1, 0, 2, 1, 0, 1, 0.5, 0] }), /event flags must be 0 or 1: rows 2, 6 \(2 rows\); row 2 is 2/);
        expectDataError(() => run({ ...good, events: [1, 0, NaN, 1, 0, 1, 1, 0] }), /event flags must be 0 or 1: row 2/);
      });
      it("mismatched lengths", () => {
        expectDataError(() => run({ ...good, events: [1, 0, 1] }), /'events' has 3 values but 'durations' has 8/);
      });
      it("empty data", () => {
        expectDataError(() => run({ durations: [], events: [] }), /empty \(0 rows\)/);
      });
      it("bad weights", () => {
        expectDataError(() => run({ ...good, weights: [1, 1, 0, 1, 1, -2, 1, 1] }), /weights must be finite and > 0: rows 2, 5 \(2 rows\)/);
      });
    });
  }

  it("zero durations: accepted by the rank-based estimators, rejected by the parametric fitters", () => {
    const zero = { ...good, durations: [5, 0, 8, 2, 7, 4, 0, 9] };
    expect(() => fitKaplanMeier(zero)).not.toThrow();
    expect(() => fitNelsonAalen(zero)).not.toThrow();
    expect(() => fitCoxPH({ ...zero, covariates: { x } })).not.toThrow();
    expectDataError(() => fitWeibull(zero), /Weibull fit: durations must be > 0: rows 1, 6 \(2 rows\); row 1 is 0/);
    expectDataError(() => fitExponential(zero), /durations must be > 0/);
  });

  it("all censored: a DataError for the estimators that need events", () => {
    const censored = { ...good, events: good.events.map(() => 0) };
    expectDataError(() => fitWeibull(censored), /every row is censored \(event = 0 in all 8 rows\)/);
    expectDataError(() => fitExponential(censored), /every row is censored/);
    expectDataError(() => fitCoxPH({ ...censored, covariates: { x } }), /every row is censored/);
    expectDataError(() => multivariateLogrankTest(censored, x.map((_, i) => i % 2)), /every row is censored/);
  });

  it("NaN or infinite covariates name the covariate and the rows", () => {
    const bad = [...x];
    bad[3] = NaN;
    bad[7] = -Infinity;
    expectDataError(() => fitCoxPH({ ...good, covariates: { x: bad } }), /covariate 'x' must be finite: rows 3, 7 \(2 rows\); row 3 is NaN/);
    expectDataError(() => fitCoxPH({ ...good, covariates: { x: x.slice(0, 5) } }), /covariate 'x' has 5 values but there are 8 rows/);
  });

  it("delayed entry where it is not supported is refused, not ignored", () => {
    const entry = good.durations.map(() => 0.5);
    expectDataError(() => fitCoxPH({ ...good, entry, covariates: { x } }), /Cox fit: delayed entry/);
    expectDataError(() => multivariateLogrankTest({ ...good, entry }, x.map((_, i) => i % 2)), /log-rank test: delayed entry/);
  });

  it("entry after the duration is named", () => {
    expectDataError(() => fitKaplanMeier({ ...good, entry: [0, 4, 0, 0, 0, 0, 0, 0] }), /entry time is after the duration: row 1 \(1 row\); row 1 enters at 4 but ends at 3/);
  });

  it("many bad rows: the first five and the count", () => {
    const durations = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? NaN : i + 1));
    expectDataError(() => fitKaplanMeier({ durations }), /rows 0, 3, 6, 9, 12, \.\.\. \(10 rows\)/);
    expect(describeRows([4])).toBe("row 4 (1 row)");
  });

  it("typed arrays and boolean events are accepted; invalid alpha is a ConfigError", () => {
    const checked = checkSurvivalData({ durations: Float64Array.from([1, 2]), events: [true, false] });
    expect(Array.from(checked.events)).toEqual([1, 0]);
    expect(() => fitKaplanMeier(good, { alpha: 1.5 })).toThrow(ConfigError);
  });
});
