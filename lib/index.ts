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
export { RestStore } from "./tracking/rest-store.js";
export type { RestStoreOptions } from "./tracking/rest-store.js";
export { syncRuns, SOURCE_RUN_TAG, SYNC_DIGEST_TAG } from "./tracking/sync.js";
export type { SyncOptions, SyncReport } from "./tracking/sync.js";
export { RestError, ServerUnreachableError } from "./tracking/rest-client.js";
export { authFromEnv } from "./tracking/rest-auth.js";
export type { RestAuth } from "./tracking/rest-auth.js";
export { DEFAULT_RETRY_POLICY, retryPolicyFromEnv } from "./tracking/retry.js";
export type { RetryPolicy } from "./tracking/retry.js";

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
export { fitKaplanMeier, KaplanMeierFit } from "./survival/kaplan-meier.js";
export { fitNelsonAalen, NelsonAalenFit } from "./survival/nelson-aalen.js";
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

// ---- Bayesian engine (NUTS) and the hierarchical Weibull survival model
export { Tape, Node } from "./bayes/autodiff.js";
export { real, positive, bounded, simplex, ParamLayout } from "./bayes/params.js";
export type { ParamSpec, ParamSpecs } from "./bayes/params.js";
export { defineModel, TapeModel } from "./bayes/model.js";
export type { LogDensityModel, ModelDefinition } from "./bayes/model.js";
export { sample, sampleSync } from "./bayes/sample.js";
export type { SampleOptions } from "./bayes/sample.js";
export { nutsDefaults } from "./bayes/nuts.js";
export type { NutsOptions, SamplerStats } from "./bayes/nuts.js";
export { Posterior } from "./bayes/posterior.js";
export { rhat, essBulk, essTail, mcseMean, mcseSd, hdi, ebfmi, summarizeDraws, formatSummary } from "./bayes/diagnostics.js";
export { posteriorPredictive, ppcStatistic, intervalCoverage, pitCoverage } from "./bayes/ppc.js";
export {
  fitWeibullSurvival,
  weibullSurvivalFromJSON,
  simulateWeibullSurvival,
  weibullSurvivalPpc,
  prepareWeibullSurvival,
} from "./bayes/models/weibull-survival.js";
export type { WeibullSurvivalData, WeibullSurvivalFit, WeibullSurvivalOptions, HazardRatio } from "./bayes/models/weibull-survival.js";

// ---- change points and detection metrics
export { singleChangepoint } from "./changepoint/single-changepoint.js";
export type { SingleChangepointOptions, SingleChangepointResult } from "./changepoint/single-changepoint.js";
export { multipleChangepoints } from "./changepoint/multiple-changepoints.js";
export type { MultipleChangepointOptions, MultipleChangepointResult } from "./changepoint/multiple-changepoints.js";
export { createBocpd, runBocpd, bocpdFromJSON, DEFAULT_MAX_RUNS } from "./changepoint/bocpd.js";
export type { BocpdModel, BocpdOptions, BocpdSummary, BocpdDetector, BocpdSeriesResult, BocpdState } from "./changepoint/bocpd.js";
export { gammaPosterior } from "./changepoint/gamma-poisson.js";
export { poissonCusum } from "./changepoint/cusum.js";
export type { PoissonCusumResult } from "./changepoint/cusum.js";
export { poissonCusumArl, chooseCusumThreshold, MAX_CUSUM_ARL0 } from "./changepoint/cusum-arl.js";
export type { CusumThreshold } from "./changepoint/cusum-arl.js";
export { chooseCusumThresholdGuaranteed, chooseCusumThresholdExpected, warmupRateEstimate } from "./changepoint/cusum-estimated.js";
export type { CusumEstimatedSetting, CusumEstimatedThreshold, CusumGuaranteedOptions, CusumExpectedOptions } from "./changepoint/cusum-estimated.js";
export { pelt } from "./changepoint/pelt.js";
export type { PeltOptions, PeltResult } from "./changepoint/pelt.js";
export { hazardRatioPosterior, hazardRatioExceedance, hazardRatioQuantile } from "./changepoint/hazard-ratio.js";
export { extractEpisodes, annotateEpisodes } from "./changepoint/episodes.js";
export type { Episode, AnnotatedEpisode } from "./changepoint/episodes.js";
export { detectionMetrics, bootstrapMean } from "./changepoint/metrics.js";
export type { Regression, DetectionMetrics } from "./changepoint/metrics.js";

// ---- sampling designs, estimators and the controlled-trial harness
export { uniformInclusion, proportionalToSize, mixInclusion, importanceInclusion, poissonSample } from "./sampling/inclusion.js";
export { neymanAllocation, allocate, stratifiedInclusion, quantileStrata } from "./sampling/stratified.js";
export type { Allocation } from "./sampling/stratified.js";
export { horvitzThompson, horvitzThompsonDesignVariance, hajekRatio, selfNormalizedMean, kishEss, weightDiagnostics, gammaInterval, waldInterval } from "./sampling/estimators.js";
export type { Estimate, WeightDiagnostics } from "./sampling/estimators.js";
export { paretoK, fitGeneralizedPareto } from "./sampling/pareto.js";
export { crudeMonteCarlo, shiftedImportanceSampling, crossEntropyShift, crossEntropyImportanceSampling, normalTail } from "./sampling/rare-probability.js";
export { buildTrialWorld, TrialWorldSchema } from "./trial/world.js";
export { fitRiskModel, riskModelFromJSON } from "./trial/risk-model.js";
export { planTrial } from "./trial/plan.js";
export { runReplicates } from "./trial/harness.js";
export { TrialSettingsSchema, ARMS } from "./trial/settings.js";
export { summarizeTrial, trialTables, judge, CLAIM } from "./trial/summary.js";
export { claimConclusion, conclusionMarkdown } from "./trial/conclusion.js";

// ---- tree ensembles and classification metrics
export { train, Booster } from "./trees/boosting.js";
export type { TreeDataset, TrainOptions, BoostingCallback, IterationRecord, PredictOptions } from "./trees/boosting.js";
export { boostingParamsSchema } from "./trees/params.js";
export type { BoostingParamsInput } from "./trees/params.js";
export { fitRandomForest, RandomForestClassifier } from "./trees/random-forest.js";
export { fitIsolationForest, fitIsolationForestFrom, IsolationForest } from "./trees/isolation-forest.js";
export { rocAuc, rocCurve } from "./metrics/roc-auc.js";
export { averagePrecision, prAuc, precisionRecallCurve } from "./metrics/average-precision.js";
export { logLoss, multiclassLogLoss } from "./metrics/log-loss.js";
export { confusionMatrix, binaryConfusion, precisionRecallF1 } from "./metrics/threshold-metrics.js";
export { thresholdSweep, recallAtPrecision, bestF1Threshold } from "./metrics/threshold-sweep.js";
export { calibrationCurve } from "./metrics/calibration-curve.js";

// ---- simulators and data validation
export { FleetConfigSchema, simulateFleet, createFleetSimulation, fleetDailySeries, aggregateTripsDaily, writeFleet, ROAD_TYPES, WEATHER, TIMES_OF_DAY, DRIVING_MODES } from "./simulate/fleet.js";
export type { FleetConfig, FleetConfigInput, FleetGroundTruth, FleetRegressionEpisode, FleetDailySeries, FleetResult } from "./simulate/fleet.js";
export { IndustrialConfigSchema, simulateIndustrial, createIndustrialSimulation, writeIndustrial, INDUSTRIAL_CHANNELS, INDUSTRIAL_FAULTS } from "./simulate/industrial.js";
export type { IndustrialConfig, IndustrialFaultEpisode } from "./simulate/industrial.js";
export { VehicleConfigSchema, simulateVehicle, streamVehicle, createVehicleSimulation, writeVehicle, DRIVER_PROFILES } from "./simulate/vehicle.js";
export type { VehicleConfig, DriverProfile } from "./simulate/vehicle.js";
export { EvConfigSchema, simulateEv, createEvSimulation, writeEv, EV_FAILURE_MODES } from "./simulate/ev.js";
export type { EvConfig, EvFailure } from "./simulate/ev.js";
export { defineTable, collectChunks, concatChunks, rowAt, rowJsonSchema, rowZodSchema } from "./simulate/table.js";
export type { TableSchema, Chunk } from "./simulate/table.js";
export { writeTable } from "./simulate/write.js";
export { writeParquet } from "./simulate/parquet.js";
export { defineSuite, suiteFromTableSchema, describeExpectation } from "./validate/expectations.js";
export type { Suite, Expectation } from "./validate/expectations.js";
export { Validator, validateTable, formatReport } from "./validate/validator.js";
export type { ValidationReport, QuarantineRecord, ValueChunk, ValidatorOptions } from "./validate/validator.js";
export { validateCsvFile, validateChunks } from "./validate/run.js";
export { readCsvChunks } from "./validate/read-csv.js";
export { scanCsvChunks, emptySummary as emptyCsvScanSummary } from "./validate/scan-csv.js";
export type { CsvScanSummary, ScanCsvOptions } from "./validate/scan-csv.js";

// ---- plots (Observable Plot rendered to SVG/PNG outside a browser)
export { survivalPlot } from "./plot/survival.js";
export { tracePlot, rankPlot } from "./plot/trace.js";
export { densityPlot, kernelDensity } from "./plot/density.js";
export { changeSeriesPlot } from "./plot/changepoint.js";
export { rocPlot, prPlot } from "./plot/classification.js";
export { thresholdSweepPlot } from "./plot/threshold-sweep.js";
export { shapSummaryPlot, shapImportance } from "./plot/shap.js";
export { armComparisonPlot } from "./plot/arms.js";
export type { ArmEstimate } from "./plot/arms.js";
export { runMetricPlot, metricSweepPlot, metricHistoryPlot } from "./plot/runs.js";
export { renderPlot, toPng, toDataUri } from "./plot/render.js";
export type { Figure } from "./plot/render.js";
export { logPlot } from "./plot/artifacts.js";
export { show, showHtml } from "./plot/display.js";

// ---- DuckDB warehouse: idempotent ingestion, star schema, extracts
export { openWarehouse, Warehouse, DEFAULT_WAREHOUSE_PATH } from "./warehouse/db.js";
export type { WarehouseOptions } from "./warehouse/db.js";
export { ingestFile, ingestDirectory } from "./warehouse/ingest.js";
export type { IngestFileResult, IngestDirectoryResult, IngestOptions } from "./warehouse/ingest.js";
export { PARQUET_STAGING_MIN_BYTES } from "./warehouse/ingest.js";
export { PlainParquetWriter } from "./warehouse/parquet-plain.js";
export type { ParquetColumnSpec, ParquetColumnData, ParquetColumnType } from "./warehouse/parquet-plain.js";
export { buildStarSchema, STAR_TABLES } from "./warehouse/star.js";
export { dailyHazardSeries, factColumns, vehicleSummary } from "./warehouse/query.js";
export { extractStar } from "./warehouse/extract.js";
export { validateRawFile } from "./warehouse/validate-file.js";
export { RAW_TABLES, SUITE_NAMES, rawTableNamed, rawTableForPath } from "./warehouse/tables.js";

// ---- sliding-window features and streaming scoring
export { slidingWindows, windowFeaturesInto, WINDOW_CHANNELS, WINDOW_FEATURES, N_WINDOW_FEATURES } from "./features/windows.js";
export type { WindowChannels, SlidingWindows } from "./features/windows.js";
export { createStreamingScorer } from "./streaming/scorer.js";
export type { StreamingScorer, StreamPrediction, StreamingScorerOptions, DrivingStyle } from "./streaming/scorer.js";

// ---- industrial anomaly pipeline
export { extractIndustrialFeatures, industrialFeatureNames, IndustrialFeatureConfigSchema, SENSOR_CHANNELS, SENSOR_FAMILIES } from "./features/industrial.js";
export type { IndustrialFeatures, SensorFamily } from "./features/industrial.js";
export { fitAnomalyModel, AnomalyModel } from "./anomaly/model.js";
export { percentileSweep, chooseThreshold, perFaultRecall, deviceSequence, persistentFlags, persistentSweep, leaveOneDeviceOut } from "./anomaly/thresholds.js";
export type { DeviceSequence, Persistence, HeldOutDecisions } from "./anomaly/thresholds.js";
export { runAnomalyPipeline, AnomalyPipelineConfigSchema } from "./anomaly/pipeline.js";
export type { AnomalyPipelineResult } from "./anomaly/pipeline.js";
export { pathLengthShap, explainRows, explainEvents, explainDropout, explanationSentence } from "./anomaly/explain.js";
export type { RowExplanation, RuleExplanation, DropoutChannel } from "./anomaly/explain.js";
export { groupEvents, aggregateEvents } from "./anomaly/events.js";
export type { AnomalyEvent } from "./anomaly/events.js";
export { buildAlerts, ALERT_RULES, AlertConfigSchema } from "./anomaly/alerts.js";
export type { Alert } from "./anomaly/alerts.js";
export { populationStabilityIndex, ksStatistic, featureDrift } from "./anomaly/drift.js";

// ---- notebooks, reports and reproduction
export { notebookRun, underNotebookRunner } from "./notebook/context.js";
export { runNotebook } from "./notebook/runner.js";
export { notebookToHtml } from "./report/notebook-html.js";
export { htmlTable, htmlPage } from "./report/html.js";
export { buildRunReport } from "./report/run-report.js";
export { reproduceRun } from "./report/reproduce.js";
