/** Fixture loading and tolerance checks shared by the survival tests. */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";

const FIXTURES = join(process.cwd(), "tests", "survival", "fixtures");

/** Kaplan-Meier output as stored by make_fixtures.py. */
export interface KmFx {
  timeline: number[];
  eventTable: { time: number[]; atRisk: number[]; removed: number[]; observed: number[]; censored: number[]; entrance: number[] };
  survival: number[];
  lower: number[];
  upper: number[];
  varianceLogSurvival: number[];
  median: number;
  percentile25: number;
  atTimes: number[];
  survivalAtTimes: number[];
}

/** Nelson-Aalen output. */
export interface NaFx {
  timeline: number[];
  cumulativeHazard: number[];
  variance: number[];
  lower: number[];
  upper: number[];
  atTimes: number[];
  cumulativeHazardAtTimes: number[];
}

/** Log-rank output. */
export interface LogrankFx {
  statistic: number;
  p: number;
  df: number;
}

/** Parametric fitter output. */
export interface ParamFx {
  names: string[];
  params: number[];
  se: number[];
  lower: number[];
  upper: number[];
  compareTo: number[];
  z: number[];
  p: number[];
  logLikelihood: number;
  AIC: number;
  BIC: number;
  varianceMatrix: number[];
  median: number;
  times: number[];
  hazard: number[];
  cumulativeHazard: number[];
  survival: number[];
  cumulativeHazardLower: number[];
  cumulativeHazardUpper: number[];
  survivalLower: number[];
  survivalUpper: number[];
}

/** Cox output. */
export interface CoxFx {
  names: string[];
  params: number[];
  hazardRatios: number[];
  se: number[];
  lower: number[];
  upper: number[];
  hrLower: number[];
  hrUpper: number[];
  z: number[];
  p: number[];
  logLikelihood: number;
  logLikelihoodNull: number;
  llrStatistic: number;
  llrP: number;
  AICPartial: number;
  concordance: number;
  varianceMatrix: number[];
  means: number[];
  stds: number[];
  baselineTimes: number[];
  baselineHazard: number[];
  baselineCumulativeHazard: number[];
  baselineSurvival: number[];
  predictRows: Record<string, number[]>;
  partialHazard: number[];
  logPartialHazard: number[];
  survivalAtBaseline: number[][];
  offGridTimes: number[];
  cumulativeHazardOffGridLinear: number[][];
  median: number[];
}

/** A fit stored with lifelines' default tolerances and with tightened ones. */
export interface Twice<T> {
  default: T;
  tight: T;
}

/** statsmodels PHReg output. */
export interface StatsmodelsFx {
  params: number[];
  se: number[];
  logLikelihood: number;
}

/** Load a fixture JSON written by make_fixtures.py, turning "Infinity"/"NaN" strings back into numbers. */
export function loadFixture<T>(name: string): T {
  const text = readFileSync(join(FIXTURES, `${name}.json`), "utf8");
  return JSON.parse(text, (_key, value: unknown) => {
    if (value === "Infinity") return Infinity;
    if (value === "-Infinity") return -Infinity;
    if (value === "NaN") return NaN;
    return value;
  });
}

/** Assert |actual - expected| <= rtol * |expected| + atol element-wise, naming the first failing index. */
export function expectClose(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, rtol: number, atol = 0, what = "value"): void {
  const a = typeof actual === "number" ? [actual] : Array.from(actual);
  const e = typeof expected === "number" ? [expected] : Array.from(expected);
  expect(a.length, `${what}: length`).toBe(e.length);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(e[i])) {
      expect(Number.isNaN(a[i]), `${what}[${i}] should be NaN, got ${a[i]}`).toBe(true);
      continue;
    }
    if (!Number.isFinite(e[i])) {
      expect(a[i], `${what}[${i}]`).toBe(e[i]);
      continue;
    }
    const err = Math.abs(a[i] - e[i]);
    const bound = rtol * Math.abs(e[i]) + atol;
    if (!(err <= bound)) {
      throw new Error(`${what}[${i}]: got ${a[i]}, expected ${e[i]} (|diff| ${err.toExponential(3)} > ${bound.toExponential(3)})`);
    }
  }
}
