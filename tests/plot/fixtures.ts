/**
 * Seeded inputs for the chart tests and the PNG previews: every value comes from createRng, so the
 * rendered SVG is the same on every machine.
 */
import { createRng } from "../../lib/util/random.js";
import type { SurvivalCurve } from "../../lib/plot/survival.js";

/** Kaplan-Meier steps (with Greenwood-free simple bands) of exponential samples, computed directly. */
export function seededSurvival(seed: number, n: number, rate: number, label: string): SurvivalCurve {
  const rng = createRng(seed);
  const t = Array.from({ length: n }, () => rng.exponential() / rate).sort((a, b) => a - b);
  const censoredAt = new Set<number>();
  for (let i = 0; i < n; i += 5) censoredAt.add(i);
  const time: number[] = [];
  const survival: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  const censored: number[] = [];
  let s = 1;
  for (let i = 0; i < n; i++) {
    if (censoredAt.has(i)) {
      censored.push(t[i]);
      continue;
    }
    s *= 1 - 1 / (n - i);
    const se = Math.sqrt((s * (1 - s)) / (n - i));
    time.push(t[i]);
    survival.push(s);
    lower.push(Math.max(0, s - 1.96 * se));
    upper.push(Math.min(1, s + 1.96 * se));
  }
  return { label, time, survival, lower, upper, censored };
}

/** AR(1) chains with a given autocorrelation (one slow chain if `stuck`). */
export function seededChains(seed: number, chains: number, draws: number, stuck = false): Float64Array[] {
  const rng = createRng(seed);
  return Array.from({ length: chains }, (_, c) => {
    const out = new Float64Array(draws);
    let x = 0;
    const phi = stuck && c === chains - 1 ? 0.98 : 0.5;
    for (let i = 0; i < draws; i++) {
      x = phi * x + Math.sqrt(1 - phi * phi) * rng.normal();
      out[i] = x + (stuck && c === chains - 1 ? 0.8 : 0);
    }
    return out;
  });
}

/** Daily Poisson counts with a rate doubling on days [60, 74]. */
export function seededCounts(seed: number, days: number): { counts: Float64Array; expected: Float64Array } {
  const rng = createRng(seed);
  const counts = new Float64Array(days);
  const expected = new Float64Array(days);
  for (let d = 0; d < days; d++) {
    expected[d] = d >= 60 && d <= 74 ? 6 : 3;
    counts[d] = rng.poisson(expected[d]);
  }
  return { counts, expected };
}

/** Scores of a noisy classifier: positives ~ N(1, 1), negatives ~ N(0, 1). */
export function seededScores(seed: number, n: number, prevalence: number): { y: Uint8Array; score: Float64Array } {
  const rng = createRng(seed);
  const y = new Uint8Array(n);
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng.uniform() < prevalence ? 1 : 0;
    score[i] = rng.normal() + (y[i] ? 1.2 : 0);
  }
  return { y, score };
}
