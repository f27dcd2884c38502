/**
 * Log-rank test for k >= 2 groups (and its weighted variants), computed as lifelines'
 * `multivariate_logrank_test` does: at each distinct time with n at risk and d events, group j
 * with n_j at risk expects E_j = d n_j / n events, and the hypergeometric covariance is
 * V_jk = w^2 d (n - d) / (n - 1) (n_j/n)(delta_jk - n_k/n). With Z = sum w (O - E) over the
 * first k-1 groups, the statistic Z' V^-1 Z is chi-squared with k-1 degrees of freedom.
 */

import { checkSurvivalData, describeRows, type CheckedSurvivalData, type SurvivalData } from "./data.js";
import { argsort } from "./event-table.js";
import { chiSquaredSurvival } from "./distributions.js";
import { fitKaplanMeier } from "./kaplan-meier.js";
import { cholesky, choleskySolve, symmetricPseudoInverse } from "./linalg.js";
import { DataError, ConfigError } from "../errors.js";

/** Weight functions of the weighted log-rank family (lifelines' `weightings`). */
export type LogrankWeighting =
  | { kind: "logrank" }
  | { kind: "wilcoxon" }
  | { kind: "tarone-ware" }
  | { kind: "peto" }
  | { kind: "fleming-harrington"; p: number; q: number };

/** Options of the log-rank tests. */
export interface LogrankOptions {
  /** Weighting; default the plain log-rank test. */
  weighting?: LogrankWeighting;
  /** Events after this time are treated as censored (lifelines' t_0); default: use all time. */
  tMax?: number;
}

/** Result of a log-rank test. */
export interface LogrankResult {
  testName: string;
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
  /** Group labels in the order used for `observed` and `expected`. */
  groups: string[];
  /** Weighted observed events per group. */
  observed: number[];
  /** Weighted expected events per group under the null. */
  expected: number[];
}

/** Log-rank test of equal survival in two samples (lifelines' `logrank_test`). */
export function logrankTest(a: SurvivalData, b: SurvivalData, options: LogrankOptions = {}): LogrankResult {
  if (a.entry != null || b.entry != null) throw new DataError("log-rank test: delayed entry ('entry') is not supported (as in lifelines)");
  const ca = checkSurvivalData(a, { context: "log-rank test, group A" });
  const cb = checkSurvivalData(b, { context: "log-rank test, group B" });
  const n = ca.n + cb.n;
  const durations = new Float64Array(n);
  const events = new Uint8Array(n);
  const weights = new Float64Array(n);
  durations.set(ca.durations);
  durations.set(cb.durations, ca.n);
  events.set(ca.events);
  events.set(cb.events, ca.n);
  weights.set(ca.weights);
  weights.set(cb.weights, ca.n);
  const gid = new Uint32Array(n);
  gid.fill(1, ca.n);
  const checked: CheckedSurvivalData = { n, durations, events, weights, entry: null, unitWeights: ca.unitWeights && cb.unitWeights };
  const result = logrankCore(checked, gid, ["A", "B"], options);
  return { ...result, testName: result.testName.replace("multivariate_", "") };
}

/** Log-rank test of equal survival across k groups given one group label per row. */
export function multivariateLogrankTest(data: SurvivalData, groups: ArrayLike<string | number>, options: LogrankOptions = {}): LogrankResult {
  if (data.entry !== undefined && data.entry !== null) {
    throw new DataError("log-rank test: delayed entry ('entry') is not supported (as in lifelines)");
  }
  const checked = checkSurvivalData(data, { context: "log-rank test" });
  const n = checked.n;
  if (groups.length !== n) throw new DataError(`log-rank test: 'groups' has ${groups.length} labels but there are ${n} rows`);
  const badLabels: number[] = [];
  for (let i = 0; i < n; i++) {
    const g = groups[i];
    if (g === null || g === undefined || (typeof g === "number" && !Number.isFinite(g))) badLabels.push(i);
  }
  if (badLabels.length > 0) throw new DataError(`log-rank test: group labels must be strings or finite numbers: ${describeRows(badLabels)}`);

  // Labels sorted the way numpy.unique sorts them, so group order (and thus observed/expected) matches lifelines.
  const labels = [...new Set(Array.from(groups, (g) => g))].sort((x, y) =>
    typeof x === "number" && typeof y === "number" ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0,
  );
  const k = labels.length;
  if (k < 2) throw new DataError(`log-rank test: needs at least 2 groups, found ${k} (${labels.map(String).join(", ")})`);
  const groupIndex = new Map<string | number, number>();
  labels.forEach((g, j) => groupIndex.set(g, j));
  const gid = new Uint32Array(n);
  for (let i = 0; i < n; i++) gid[i] = groupIndex.get(groups[i]) as number;
  return logrankCore(checked, gid, labels.map(String), options);
}

/** The test itself, on validated data with group ids 0..k-1. */
function logrankCore(checked: CheckedSurvivalData, gid: Uint32Array, labels: string[], options: LogrankOptions): LogrankResult {
  const { n, durations, weights } = checked;
  const k = labels.length;
  const events = Uint8Array.from(checked.events);
  if (options.tMax !== undefined) {
    for (let i = 0; i < n; i++) if (durations[i] > options.tMax) events[i] = 0;
  }
  let anyEvent = false;
  for (let i = 0; i < n && !anyEvent; i++) if (events[i] === 1) anyEvent = true;
  if (!anyEvent) throw new DataError(`log-rank test: every row is censored (event = 0 in all ${n} rows); the test needs observed events`);

  const weighting = options.weighting ?? { kind: "logrank" };
  let kmSurvival: Float64Array | null = null;
  let kmTimes: Float64Array | null = null;
  if (weighting.kind === "fleming-harrington") {
    if (!(weighting.p >= 0 && weighting.q >= 0)) throw new ConfigError(`invalid fleming-harrington p, q: ${weighting.p}, ${weighting.q} (must be >= 0)`);
    const km = fitKaplanMeier({ durations, events, weights });
    kmSurvival = km.survival;
    kmTimes = km.timeline;
  }

  // Group-wise at-risk counts start at each group's total weight and fall as rows leave.
  const atRisk = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    atRisk[gid[i]] += weights[i];
    total += weights[i];
  }
  const order = argsort(durations);
  const observed = new Float64Array(k);
  const expected = new Float64Array(k);
  const V = new Float64Array(k * k);
  const obsAt = new Float64Array(k);
  const remAt = new Float64Array(k);
  let peto = 1;
  let kmIdx = 0;
  let nAtRisk = total;
  let i = 0;
  while (i < n) {
    const t = durations[order[i]];
    obsAt.fill(0);
    remAt.fill(0);
    let d = 0;
    let removed = 0;
    while (i < n && durations[order[i]] === t) {
      const r = order[i++];
      remAt[gid[r]] += weights[r];
      removed += weights[r];
      if (events[r] === 1) {
        obsAt[gid[r]] += weights[r];
        d += weights[r];
      }
    }
    const nt = nAtRisk;
    if (d > 0) {
      let w = 1;
      switch (weighting.kind) {
        case "logrank":
          w = 1;
          break;
        case "wilcoxon":
          w = nt;
          break;
        case "tarone-ware":
          w = Math.sqrt(nt);
          break;
        case "peto":
          // lifelines includes the current time in Peto-Peto's modified survival estimate.
          peto *= 1 - d / (nt + 1);
          w = peto;
          break;
        case "fleming-harrington": {
          // Left-continuous Kaplan-Meier: the value just before t.
          const times = kmTimes as Float64Array;
          while (kmIdx < times.length && times[kmIdx] < t) kmIdx++;
          const s = kmIdx === 0 ? 1 : (kmSurvival as Float64Array)[kmIdx - 1];
          w = Math.pow(s, weighting.p) * Math.pow(1 - s, weighting.q);
          break;
        }
      }
      const ratio = (nt - d) / (nt - 1);
      const factor = (Number.isFinite(ratio) ? ratio : 1) * (d / (nt * nt));
      for (let j = 0; j < k; j++) {
        observed[j] += w * obsAt[j];
        expected[j] += (w * atRisk[j] * d) / nt;
        for (let l = 0; l < k; l++) {
          const cov = (j === l ? atRisk[j] * nt : 0) - atRisk[j] * atRisk[l];
          V[j * k + l] += w * w * factor * cov;
        }
      }
    }
    for (let j = 0; j < k; j++) atRisk[j] -= remAt[j];
    nAtRisk -= removed;
  }

  const m = k - 1;
  const Z = new Float64Array(m);
  const Vm = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    Z[j] = observed[j] - expected[j];
    for (let l = 0; l < m; l++) Vm[j * m + l] = V[j * k + l];
  }
  let statistic = 0;
  const L = cholesky(Vm, m);
  if (L) {
    const sol = choleskySolve(L, m, Z);
    for (let j = 0; j < m; j++) statistic += Z[j] * sol[j];
  } else {
    // A group with no one at risk at any event time makes V singular; lifelines uses the pseudo-inverse.
    const pinv = symmetricPseudoInverse(Vm, m);
    for (let j = 0; j < m; j++) for (let l = 0; l < m; l++) statistic += Z[j] * pinv[j * m + l] * Z[l];
  }
  const names: Record<LogrankWeighting["kind"], string> = {
    logrank: "logrank",
    wilcoxon: "Wilcoxon",
    "tarone-ware": "Tarone-Ware",
    peto: "Peto",
    "fleming-harrington": "Flemington-Harrington",
  };
  return {
    testName: `multivariate_${names[weighting.kind]}_test`,
    statistic,
    degreesOfFreedom: m,
    pValue: chiSquaredSurvival(statistic, m),
    groups: labels,
    observed: Array.from(observed),
    expected: Array.from(expected),
  };
}
