/**
 * Load any saved survival fit by its `kind`, so a caller holding JSON from an artifact store does
 * not need to know in advance which estimator produced it.
 */

import { CoxPHFit } from "./coxph.js";
import { exponentialModel } from "./exponential.js";
import { KaplanMeierFit } from "./kaplan-meier.js";
import { NelsonAalenFit } from "./nelson-aalen.js";
import { parametricFitFromJSON, type ParametricUnivariateFit, type ParametricUnivariateModel } from "./parametric.js";
import { weibullModel } from "./weibull.js";
import { DataError } from "../errors.js";

/** Any fitted survival value this module can save and load. */
export type SurvivalFit = KaplanMeierFit | NelsonAalenFit | ParametricUnivariateFit | CoxPHFit;

const PARAMETRIC: Record<string, ParametricUnivariateModel> = {
  [weibullModel.kind]: weibullModel,
  [exponentialModel.kind]: exponentialModel,
};

/** Load a survival fit from its JSON form, dispatching on `kind` (schema version checked by each loader). */
export function loadSurvivalFit(json: unknown): SurvivalFit {
  const kind = json !== null && typeof json === "object" ? (json as { kind?: unknown }).kind : undefined;
  if (kind === "survival.kaplanMeier") return KaplanMeierFit.fromJSON(json);
  if (kind === "survival.nelsonAalen") return NelsonAalenFit.fromJSON(json);
  if (kind === "survival.coxph") return CoxPHFit.fromJSON(json);
  if (typeof kind === "string" && PARAMETRIC[kind]) return parametricFitFromJSON(PARAMETRIC[kind], json);
  throw new DataError(`cannot load a survival fit: unknown 'kind' ${JSON.stringify(kind)} (expected one of survival.kaplanMeier, survival.nelsonAalen, survival.coxph, ${Object.keys(PARAMETRIC).join(", ")})`);
}
