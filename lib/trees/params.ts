/**
 * Parameters of gradient boosting: one zod schema gives the types, the defaults (LightGBM's) and
 * the validation messages. Names are LightGBM's in camelCase (num_leaves -> numLeaves).
 */
import { z } from "zod";
import { ConfigError } from "../errors.js";

const nonNeg = z.number().min(0);
const fraction = z.number().gt(0).max(1);

/** The gradient-boosting parameter schema (unknown keys are errors). */
export const boostingParamsSchema = z.strictObject({
  objective: z.enum(["binary", "regression", "multiclass"]).default("regression"),
  numClass: z.number().int().min(1).default(1),
  learningRate: z.number().gt(0).default(0.1),
  numLeaves: z.number().int().min(2).max(131072).default(31),
  /** <= 0: no limit. */
  maxDepth: z.number().int().default(-1),
  /** Checked, as in LightGBM, on counts estimated from hessian sums, so leaves can end slightly below it. */
  minDataInLeaf: z.number().int().min(0).default(20),
  minSumHessianInLeaf: nonNeg.default(1e-3),
  lambdaL1: nonNeg.default(0),
  lambdaL2: nonNeg.default(0),
  minGainToSplit: nonNeg.default(0),
  maxBin: z.number().int().min(2).max(255).default(255),
  minDataInBin: z.number().int().min(1).default(3),
  binConstructSampleCnt: z.number().int().min(1).default(200000),
  featureFraction: fraction.default(1),
  baggingFraction: fraction.default(1),
  baggingFreq: z.number().int().min(0).default(0),
  /** Column indices to treat as categorical (values: integers >= 0; NaN or negative = missing). */
  categoricalFeature: z.array(z.number().int().min(0)).default([]),
  maxCatThreshold: z.number().int().min(1).default(32),
  catSmooth: nonNeg.default(10),
  catL2: nonNeg.default(10),
  maxCatToOnehot: z.number().int().min(1).default(4),
  minDataPerGroup: z.number().int().min(1).default(100),
  scalePosWeight: z.number().gt(0).default(1),
  isUnbalance: z.boolean().default(false),
  boostFromAverage: z.boolean().default(true),
  /** Evaluation metrics for validation sets; default: the objective's own loss. */
  metric: z.array(z.enum(["binary_logloss", "binary_error", "auc", "average_precision", "l2", "rmse", "l1", "multi_logloss", "multi_error"])).optional(),
  seed: z.number().int().min(0).max(0xffffffff).default(0),
  /** Threads for histogram construction (worker_threads); results are identical for any count. */
  numThreads: z.number().int().min(1).max(64).default(1),
  /**
   * Histogram kernel: "wasm" (WebAssembly SIMD, the fast one), "js" (plain JavaScript) or "auto"
   * (wasm where available). Both give bit-identical models.
   */
  histogramKernel: z.enum(["auto", "wasm", "js"]).default("auto"),
});

/** Parameters as the caller writes them (all optional). */
export type BoostingParamsInput = z.input<typeof boostingParamsSchema>;
/** Parameters with every default filled in. */
export type BoostingParams = z.output<typeof boostingParamsSchema>;
/** A validation metric name. */
export type MetricName = NonNullable<BoostingParams["metric"]>[number];

/** Validate parameters and fill defaults; throws a ConfigError naming the key and value at fault. */
export function resolveBoostingParams(input: BoostingParamsInput): BoostingParams {
  const parsed = boostingParamsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path.join(".");
    const value = key === "" ? undefined : (input as Record<string, unknown>)[String(issue.path[0])];
    throw new ConfigError(
      key === "" ? `invalid boosting params: ${issue.message}` : `invalid boosting param ${key}: ${JSON.stringify(value)} (${issue.message})`,
    );
  }
  const p = parsed.data;
  if (p.objective === "multiclass" && p.numClass < 2) throw new ConfigError(`invalid boosting param numClass: ${p.numClass} (multiclass needs >= 2)`);
  if (p.objective !== "multiclass" && p.numClass !== 1) {
    throw new ConfigError(`invalid boosting param numClass: ${p.numClass} (only the multiclass objective takes numClass)`);
  }
  if (p.isUnbalance && p.scalePosWeight !== 1) throw new ConfigError("invalid boosting params: set isUnbalance or scalePosWeight, not both");
  return p;
}
