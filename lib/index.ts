/**
 * The public API of the workbench library: what experiments, notebooks and the CLI import.
 * Everything is re-exported by explicit name, grouped by area; internal helpers stay in their files.
 */

// ---- errors
export { WorkbenchError, ConfigError, UsageError, DataError, ConvergenceError, TrackingError, NotFoundError, describeError } from "./errors.js";

// ---- randomness, progress, tables
export { createRng, mixSeed } from "./util/random.js";
export type { Rng } from "./util/random.js";
export { terminalProgress, silentProgress } from "./util/progress.js";
export type { Progress, ProgressFactory } from "./util/progress.js";
export { renderTable, formatCell } from "./util/table.js";

// ---- tracking (MLflow-compatible)
export { createTracker, Tracker, openStore, resolveTrackingUri } from "./tracking/tracker.js";
export type { TrackerOptions, StartRunOptions } from "./tracking/tracker.js";
export { ActiveRun } from "./tracking/run.js";
export type { LoggableValue } from "./tracking/run.js";
export { FileStore } from "./tracking/file-store.js";
export type { TrackingStore, LogBatch, SearchRunsOptions, SearchRunsPage, CreateRunOptions, UpdateRunOptions } from "./tracking/store.js";
export { MLFLOW_TAGS } from "./tracking/entities.js";
export type { Experiment, Run, RunInfo, RunData, RunStatus, Metric, ArtifactInfo, ViewType, LifecycleStage } from "./tracking/entities.js";
export { parseFilter, sortRuns } from "./tracking/search-filter.js";
export { gitInfo, provenanceTags } from "./tracking/provenance.js";

// ---- configs and experiments
export { loadConfig, resolveConfigTree, listVariants, mergeConfig, readConfigFile } from "./config/load.js";
export type { LoadConfigOptions, ResolvedConfig, ConfigTree } from "./config/load.js";
export { configHash, canonicalJson, flattenConfig } from "./config/canonical.js";
export { expandSweep, parseSweep, expandRange } from "./config/sweep.js";
export type { SweepPoint, SweepAxis } from "./config/sweep.js";
export { defineExperiment } from "./experiment/definition.js";
export type { ExperimentDefinition, ExperimentContext, ExperimentSummary, SeededConfig } from "./experiment/definition.js";
export { runExperiment, planRuns, recordConfig } from "./experiment/runner.js";
export type { RunExperimentOptions, ExperimentOutcome, RunOutcome } from "./experiment/runner.js";

// ---- survival analysis
export { fitKaplanMeier, KaplanMeierFit } from "./survival/kaplanMeier.js";
export { fitNelsonAalen, NelsonAalenFit } from "./survival/nelsonAalen.js";
export { logrankTest, multivariateLogrankTest } from "./survival/logrank.js";
export type { LogrankResult, LogrankWeighting } from "./survival/logrank.js";
export { fitWeibull, weibullModel, weibullFitFromJSON } from "./survival/weibull.js";
export { fitExponential, exponentialModel, exponentialFitFromJSON } from "./survival/exponential.js";
export { fitParametric, ParametricUnivariateFit } from "./survival/parametric.js";
export type { ParametricUnivariateModel } from "./survival/parametric.js";
export { fitCoxPH, CoxPHFit, coxPHFitFromJSON } from "./survival/coxph.js";
export { concordanceIndex, concordanceCounts } from "./survival/concordance.js";
export { formatSummaryTable, summaryTableToCSV, summaryTableToJSON, summaryTableFromJSON } from "./survival/summary.js";
export type { SummaryTable, SummaryRow } from "./survival/summary.js";
export { loadSurvivalFit } from "./survival/load.js";
export { checkSurvivalData } from "./survival/data.js";
export type { SurvivalData, Covariates } from "./survival/data.js";
export type { FitContext } from "./survival/parametric.js";
