/** Validation metrics computed during boosting from raw scores (row-major, numClass columns). */
import { averagePrecision } from "../metrics/average-precision.js";
import { rocAuc } from "../metrics/roc-auc.js";
import type { MetricName } from "./params.js";

/** Whether a larger value of the metric is better. */
export function higherIsBetter(metric: MetricName): boolean {
  return metric === "auc" || metric === "average_precision";
}

/** The metric used when none is given: the objective's own loss. */
export function defaultMetric(objective: "binary" | "regression" | "multiclass"): MetricName {
  return objective === "binary" ? "binary_logloss" : objective === "multiclass" ? "multi_logloss" : "l2";
}

/** Evaluate one metric on raw scores (class-major for multiclass: `k * n + r`). */
export function evaluateMetric(
  metric: MetricName,
  raw: Float64Array,
  y: ArrayLike<number>,
  weight: ArrayLike<number> | null,
  numClass: number,
): number {
  const n = y.length;
  let sum = 0;
  let sw = 0;
  const w = (i: number) => (weight === null ? 1 : weight[i]);
  switch (metric) {
    case "auc":
      return rocAuc(y, raw.subarray(0, n), weight === null ? {} : { sampleWeight: weight });
    case "average_precision":
      return averagePrecision(y, raw.subarray(0, n), weight === null ? {} : { sampleWeight: weight });
    case "binary_logloss":
      for (let i = 0; i < n; i++) {
        const p = 1 / (1 + Math.exp(-raw[i]));
        const q = Math.min(Math.max(y[i] === 1 ? p : 1 - p, 1e-15), 1);
        sum -= w(i) * Math.log(q);
        sw += w(i);
      }
      return sum / sw;
    case "binary_error":
      for (let i = 0; i < n; i++) {
        sum += w(i) * ((raw[i] > 0 ? 1 : 0) === y[i] ? 0 : 1);
        sw += w(i);
      }
      return sum / sw;
    case "l2":
    case "rmse":
      for (let i = 0; i < n; i++) {
        const d = raw[i] - y[i];
        sum += w(i) * d * d;
        sw += w(i);
      }
      return metric === "rmse" ? Math.sqrt(sum / sw) : sum / sw;
    case "l1":
      for (let i = 0; i < n; i++) {
        sum += w(i) * Math.abs(raw[i] - y[i]);
        sw += w(i);
      }
      return sum / sw;
    case "multi_logloss":
    case "multi_error":
      for (let i = 0; i < n; i++) {
        let max = -Infinity;
        let arg = 0;
        for (let k = 0; k < numClass; k++) {
          const v = raw[k * n + i];
          if (v > max) {
            max = v;
            arg = k;
          }
        }
        if (metric === "multi_error") sum += w(i) * (arg === y[i] ? 0 : 1);
        else {
          let s = 0;
          for (let k = 0; k < numClass; k++) s += Math.exp(raw[k * n + i] - max);
          const logp = raw[y[i] * n + i] - max - Math.log(s);
          sum -= w(i) * Math.max(logp, Math.log(1e-15));
        }
        sw += w(i);
      }
      return sum / sw;
  }
}
