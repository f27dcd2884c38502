import { describe, expect, it } from "vitest";
import { loadSurvivalFit } from "../../lib/survival/load.js";
import { fitKaplanMeier, KaplanMeierFit } from "../../lib/survival/kaplan-meier.js";
import { fitNelsonAalen, NelsonAalenFit } from "../../lib/survival/nelson-aalen.js";
import { fitWeibull } from "../../lib/survival/weibull.js";
import { fitExponential } from "../../lib/survival/exponential.js";
import { CoxPHFit, fitCoxPH } from "../../lib/survival/coxph.js";
import { ParametricUnivariateFit } from "../../lib/survival/parametric.js";
import { DataError } from "../../lib/errors.js";

const data = { durations: [5, 3, 8, 2, 7, 4, 6, 9, 1, 12], events: [1, 0, 1, 1, 0, 1, 1, 0, 1, 1] };
const x = [0.1, 0.5, -0.3, 0.9, 1.2, -1.1, 0.4, 0.0, 0.7, -0.6];

describe("loadSurvivalFit", () => {
  it("dispatches on kind and restores an equivalent fit", () => {
    const km = loadSurvivalFit(JSON.parse(JSON.stringify(fitKaplanMeier(data))));
    expect(km).toBeInstanceOf(KaplanMeierFit);
    expect(loadSurvivalFit(JSON.parse(JSON.stringify(fitNelsonAalen(data))))).toBeInstanceOf(NelsonAalenFit);
    const wb = fitWeibull(data);
    const wbBack = loadSurvivalFit(JSON.parse(JSON.stringify(wb)));
    expect(wbBack).toBeInstanceOf(ParametricUnivariateFit);
    expect((wbBack as ParametricUnivariateFit).summary()).toEqual(wb.summary());
    expect((loadSurvivalFit(JSON.parse(JSON.stringify(fitExponential(data)))) as ParametricUnivariateFit).kind).toBe("survival.exponential");
    const cox = fitCoxPH({ ...data, covariates: { x } });
    const coxBack = loadSurvivalFit(JSON.parse(JSON.stringify(cox)));
    expect(coxBack).toBeInstanceOf(CoxPHFit);
    expect((coxBack as CoxPHFit).summary()).toEqual(cox.summary());
  });

  it("rejects unknown kinds and wrong versions", () => {
    expect(() => loadSurvivalFit({ kind: "survival.nope" })).toThrow(/unknown 'kind' "survival.nope"/);
    expect(() => loadSurvivalFit(null)).toThrow(DataError);
    expect(() => loadSurvivalFit({ ...fitWeibull(data).toJSON(), version: 2 })).toThrow(/schema 'version' is 2/);
  });
});
