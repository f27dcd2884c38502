/**
 * Everything about a trial that does not depend on a replicate's outcomes, computed once and
 * shared with the workers: the inclusion probabilities of the fixed designs per budget (uniform,
 * stratified, importance, and the adaptive design's starting point), each design's daily expected
 * sampled events under the risk model, and the CUSUM threshold giving every arm the same in-control
 * ARL0 (so arms are compared at equal false-alarm budgets).
 *
 * How weighted samples feed count detectors: under Poisson sampling with inclusion probabilities
 * fixed before review (or depending on past days only), the sampled critical events of day t,
 * x_t = sum over sampled trips of y_i, are exactly Poisson with mean sum_i pi_i mu_i (thinning of
 * independent Poisson counts). Under the risk model mu_i = theta r_i, that mean is theta e_t with
 * e_t = sum_i pi_i r_i, the design-expected count, known before review. So each arm hands the
 * detectors integer counts x_t with exposure e_t and the detectors monitor theta (observed /
 * expected, 1 in control): the design's weights enter through the exposure, the likelihood is exact
 * and no fractional "effective counts" are needed. Sampling proportional to risk raises e_t (per
 * reviewed trip) by the factor E[r^2] / E[r]^2, which is where any detection gain comes from.
 * The rate estimates, in contrast, are design-based (Horvitz-Thompson / Hajek), unbiased whatever
 * the model.
 */
import { chooseCusumThreshold } from "../changepoint/cusum-arl.js";
import { importanceInclusion, mixInclusion } from "../sampling/inclusion.js";
import { allocate, quantileStrata, stratifiedInclusion } from "../sampling/stratified.js";
import { ARMS, type TrialSettings } from "./settings.js";
import { GROUPS, type TrialWorld } from "./world.js";

/** The fixed part of one arm at one budget. */
export interface ArmDesign {
  /** Inclusion probability per monitoring trip (the adaptive arm: its day-0 design). */
  readonly pi: Float64Array;
  /** Design-expected sampled events per day, sum pi_i r_i (adaptive: of the day-0 design). */
  readonly expected: Float64Array;
  /** CUSUM threshold for the arm's mean daily expected events. */
  readonly cusumH: number;
  /** Expected weight of an event, sum r / sum (pi r) ... as sum(r / pi) / sum(r). */
  readonly meanEventWeight: number;
}

/** The shared, replicate-independent part of a trial. */
export interface TrialPlan {
  readonly seed: number;
  readonly settings: TrialSettings;
  readonly world: TrialWorld;
  /** designs[budgetIndex * ARMS.length + armIndex]. */
  readonly designs: ArmDesign[];
  /** Model-expected events per day and adaptive group: groupExpected[t * GROUPS + g]. */
  readonly groupExpected: Float64Array;
}

function shared(n: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(Math.max(8, n * 8)), 0, n);
}

/** Compute the fixed designs, their expected counts and CUSUM thresholds. */
export function planTrial(world: TrialWorld, settings: TrialSettings, seed: number): TrialPlan {
  const N = world.trips;
  const T = world.days;
  const { risk, dayStart } = world;
  const d = settings.design;
  const { strata } = quantileStrata(risk, d.strata);
  const H = d.strata;
  // Neyman S_h: for rare Poisson outcomes Var(y) ~ E(y), so S_h = sqrt(mean predicted risk of h).
  const sumH = new Float64Array(H);
  const countH = new Float64Array(H);
  for (let i = 0; i < N; i++) {
    sumH[strata[i]] += risk[i];
    countH[strata[i]]++;
  }
  const sd = Float64Array.from(sumH, (s, h) => (countH[h] > 0 ? Math.sqrt(s / countH[h]) : 0));
  const groupExpected = shared(T * GROUPS);
  for (let t = 0; t < T; t++) for (let i = dayStart[t]; i < dayStart[t + 1]; i++) groupExpected[t * GROUPS + world.group[i]] += risk[i];

  const designs: ArmDesign[] = [];
  const scratch = new Float64Array(N);
  const sizesH = new Float64Array(H);
  for (const budget of settings.budgets) {
    for (const arm of ARMS) {
      const pi = shared(N);
      for (let t = 0; t < T; t++) {
        const a = dayStart[t];
        const b = dayStart[t + 1];
        const n = budget * (b - a);
        if (arm === "uniform") {
          for (let i = a; i < b; i++) pi[i] = budget;
        } else if (arm === "stratified") {
          sizesH.fill(0);
          for (let i = a; i < b; i++) sizesH[strata[i]]++;
          const alloc = allocate(sizesH, n, d.allocation === "neyman" ? { kind: "neyman", sd } : { kind: "proportional" });
          stratifiedInclusion(strata.subarray(a, b), alloc, sizesH, pi.subarray(a, b));
        } else {
          importanceInclusion(risk, n, { floor: d.importanceFloor, exponent: d.importanceExponent }, pi, a, b, scratch);
          if (arm === "adaptive") {
            const day = pi.subarray(a, b);
            mixInclusion(new Float64Array(b - a).fill(budget), day, d.adaptiveDefensive, day);
          }
        }
      }
      const expected = shared(T);
      let weighted = 0;
      let total = 0;
      for (let t = 0; t < T; t++) {
        let e = 0;
        for (let i = dayStart[t]; i < dayStart[t + 1]; i++) {
          e += pi[i] * risk[i];
          weighted += risk[i] / pi[i];
          total += risk[i];
        }
        expected[t] = e;
      }
      let meanE = 0;
      for (let t = 0; t < T; t++) meanE += expected[t] / T;
      const threshold = chooseCusumThreshold({ lambda0: 1, hr: settings.detection.cusumHazardRatio, exposure: meanE, arl0: settings.detection.arl0 });
      designs.push({ pi, expected, cusumH: threshold.h, meanEventWeight: weighted / total });
    }
  }
  return { seed, settings, world, designs, groupExpected };
}
