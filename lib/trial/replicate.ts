/**
 * One replicate of a trial: a fresh world of outcomes on the shared trip population, seen by every
 * arm (common random numbers), and each arm's detection and estimation results for every cell of
 * the budget x hazard ratio x scope grid.
 *
 * Random streams of replicate r (forks of the study seed; they depend only on seed and r, never on
 * the worker or on other replicates): 1 = regression onset, 2 = outcome uniforms (one per trip,
 * inverted through the Poisson CDF, so the same uniform gives monotonely coupled outcomes across
 * hazard ratios), 3 = permanent random numbers (one per trip: trip i is reviewed by an arm iff its
 * number is below that arm's pi_i, so arms' samples are maximally overlapping, which sharpens the
 * paired comparison without biasing any arm).
 */
import { createBocpd } from "../changepoint/bocpd.js";
import { poissonCusum } from "../changepoint/cusum.js";
import { extractEpisodes } from "../changepoint/episodes.js";
import { detectionMetrics } from "../changepoint/metrics.js";
import { gammaInterval, waldInterval } from "../sampling/estimators.js";
import { importanceInclusion } from "../sampling/inclusion.js";
import { ROAD_TYPES } from "../simulate/fleet.js";
import { createRng, type Rng } from "../util/random.js";
import type { TrialPlan } from "./plan.js";
import { ARMS, REPLICATE_METRICS, trialCells, type Cell } from "./settings.js";
import { GROUPS } from "./world.js";

const A = ARMS.length;
const M = REPLICATE_METRICS.length;
const IDX = Object.fromEntries(REPLICATE_METRICS.map((m, i) => [m, i])) as Record<(typeof REPLICATE_METRICS)[number], number>;
const U32 = 1 / 4294967296;

/** Reusable buffers of one worker (no allocation per trip). */
export class ReplicateScratch {
  readonly u: Float64Array;
  readonly prn: Float64Array;
  eventTrip: Int32Array;
  eventCount: Float64Array;
  events = 0;
  readonly dayPi: Float64Array;
  readonly daySizes: Float64Array;
  readonly x: Float64Array;
  readonly e: Float64Array;
  readonly signal: Float64Array;
  constructor(plan: TrialPlan) {
    const N = plan.world.trips;
    const T = plan.world.days;
    this.u = new Float64Array(N);
    this.prn = new Float64Array(N);
    this.eventTrip = new Int32Array(1024);
    this.eventCount = new Float64Array(1024);
    this.dayPi = new Float64Array(N);
    this.daySizes = new Float64Array(N);
    this.x = new Float64Array(T);
    this.e = new Float64Array(T);
    this.signal = new Float64Array(T);
  }
  pushEvent(trip: number, count: number): void {
    if (this.events === this.eventTrip.length) {
      const t = new Int32Array(this.events * 2);
      t.set(this.eventTrip);
      this.eventTrip = t;
      const c = new Float64Array(this.events * 2);
      c.set(this.eventCount);
      this.eventCount = c;
    }
    this.eventTrip[this.events] = trip;
    this.eventCount[this.events] = count;
    this.events++;
  }
}

/** The layout of a replicate's result vector: value of metric m for cell c and arm a. */
export function resultIndex(cell: number, arm: number, metric: number): number {
  return (cell * A + arm) * M + metric;
}

/** Size of one replicate's result vector. */
export function resultSize(plan: TrialPlan): number {
  return trialCells(plan.settings).length * A * M;
}

/** The regression onset (monitoring day) of replicate r. */
export function replicateOnset(plan: TrialPlan, r: number): number {
  const reg = plan.settings.regression;
  const hi = Math.min(reg.onsetMax, plan.world.days - 1);
  const lo = Math.min(reg.onsetMin, hi);
  return lo + replicateRng(plan, r).fork(1).int(hi - lo + 1);
}

function replicateRng(plan: TrialPlan, r: number): Rng {
  return createRng(plan.seed).fork(r);
}

/**
 * Draw replicate r's outcomes for one (hazard ratio, scope) into scratch's event list (trip index
 * and count of every trip with at least one critical event, in trip order); scratch.u must hold the
 * replicate's outcome uniforms. Returns the realized number of events.
 */
export function drawOutcomes(plan: TrialPlan, scratch: ReplicateScratch, onset: number, hazardRatio: number, scope: string): number {
  const w = plan.world;
  const end = onset + plan.settings.regression.durationDays;
  const road = scope === "fleet" ? -1 : ROAD_TYPES.indexOf(scope as (typeof ROAD_TYPES)[number]);
  const u = scratch.u;
  scratch.events = 0;
  let total = 0;
  for (let t = 0; t < w.days; t++) {
    const active = t >= onset && t < end;
    for (let i = w.dayStart[t]; i < w.dayStart[t + 1]; i++) {
      let m = w.baseline[i];
      let q = w.pNone[i];
      if (active && (road < 0 || w.road[i] === road)) {
        m *= hazardRatio;
        q = Math.exp(-m);
      }
      const v = u[i];
      if (v < q) continue;
      // Inverse Poisson CDF from 1 upward: almost always stops at 1 for rare events.
      let k = 1;
      let p = q * m;
      let cdf = q + p;
      while (v >= cdf && k < 1000) {
        k++;
        p *= m / k;
        cdf += p;
      }
      scratch.pushEvent(i, k);
      total += k;
    }
  }
  return total;
}

/** Fill the replicate's outcome uniforms and permanent random numbers. */
export function drawReplicateNumbers(plan: TrialPlan, r: number, scratch: ReplicateScratch): void {
  const rep = replicateRng(plan, r);
  const ru = rep.fork(2);
  const rp = rep.fork(3);
  const N = plan.world.trips;
  for (let i = 0; i < N; i++) scratch.u[i] = (ru.nextUint32() + 0.5) * U32;
  for (let i = 0; i < N; i++) scratch.prn[i] = (rp.nextUint32() + 0.5) * U32;
}

interface SampleTotals {
  sampled: number;
  sumW: number;
  sumW2: number;
  /** Hajek denominator sum over the sample of miles / pi. */
  milesHat: number;
  /** sum over the sample of (1 - pi) miles^2 / pi^2. */
  varMiles: number;
}

/** Run replicate r: every cell and arm; returns the result vector (see resultIndex). */
export function runReplicate(plan: TrialPlan, r: number, scratch: ReplicateScratch = new ReplicateScratch(plan)): Float64Array {
  const { world, settings } = plan;
  const N = world.trips;
  const T = world.days;
  const cells = trialCells(settings);
  const out = new Float64Array(cells.length * A * M).fill(NaN);
  const onset = replicateOnset(plan, r);
  drawReplicateNumbers(plan, r, scratch);
  const prn = scratch.prn;
  let totalMiles = 0;
  for (let i = 0; i < N; i++) totalMiles += world.miles[i];

  // Sample-level totals of the fixed arms depend only on the budget, not on the cell.
  const B = settings.budgets.length;
  const fixedTotals: SampleTotals[] = [];
  for (let b = 0; b < B; b++) {
    for (let a = 0; a < A; a++) {
      const tot: SampleTotals = { sampled: 0, sumW: 0, sumW2: 0, milesHat: 0, varMiles: 0 };
      if (ARMS[a] !== "adaptive") {
        const pi = plan.designs[b * A + a].pi;
        for (let i = 0; i < N; i++) {
          const p = pi[i];
          if (prn[i] < p) {
            const w = 1 / p;
            const mw = world.miles[i] * w;
            tot.sampled++;
            tot.sumW += w;
            tot.sumW2 += w * w;
            tot.milesHat += mw;
            tot.varMiles += (1 - p) * mw * mw;
          }
        }
      }
      fixedTotals.push(tot);
    }
  }

  let lastOutcome = "";
  let truth = 0;
  for (const cell of cells) {
    const key = `${cell.hazardRatio}|${cell.scope}`;
    if (key !== lastOutcome) {
      truth = drawOutcomes(plan, scratch, onset, cell.hazardRatio, cell.scope);
      lastOutcome = key;
    }
    const b = settings.budgets.indexOf(cell.budget);
    for (let a = 0; a < A; a++) {
      const design = plan.designs[b * A + a];
      const base = resultIndex(cell.index, a, 0);
      let ht = 0;
      let htVar = 0;
      let cross = 0;
      let maxW = 0;
      let sampledEvents = 0;
      let tot: SampleTotals;
      let meanEventWeight = design.meanEventWeight;
      scratch.x.fill(0);
      if (ARMS[a] === "adaptive") {
        const res = runAdaptive(plan, scratch, cell, b);
        tot = res.totals;
        ht = res.ht;
        htVar = res.htVar;
        cross = res.cross;
        maxW = res.maxW;
        sampledEvents = res.sampledEvents;
        meanEventWeight = res.meanEventWeight;
      } else {
        tot = fixedTotals[b * A + a];
        const pi = design.pi;
        scratch.e.set(design.expected);
        let t = 0;
        for (let k = 0; k < scratch.events; k++) {
          const i = scratch.eventTrip[k];
          const p = pi[i];
          if (prn[i] >= p) continue;
          const y = scratch.eventCount[k];
          while (world.dayStart[t + 1] <= i) t++;
          scratch.x[t] += y;
          const wy = y / p;
          sampledEvents += y;
          ht += wy;
          htVar += (1 - p) * wy * wy;
          cross += (1 - p) * wy * (world.miles[i] / p);
          if (wy > maxW) maxW = wy;
        }
      }
      scoreArm(plan, scratch, out, base, design.cusumH, onset, cell);
      // Estimation over the monitoring period (targets: the realized rates of this world).
      const level = settings.confidence;
      const perTrip = gammaInterval(ht, htVar, meanEventWeight, level);
      out[base + IDX.ht_rel_error] = (ht - truth) / truth;
      out[base + IDX.ht_covered] = perTrip.lower <= truth && truth <= perTrip.upper ? 1 : 0;
      out[base + IDX.ht_rel_width] = (perTrip.upper - perTrip.lower) / truth;
      const rate = tot.milesHat > 0 ? ht / tot.milesHat : 0;
      const hajekVar = tot.milesHat > 0 ? (htVar - 2 * rate * cross + rate * rate * tot.varMiles) / (tot.milesHat * tot.milesHat) : NaN;
      const hajek = waldInterval(rate, hajekVar, level);
      const trueRate = truth / totalMiles;
      out[base + IDX.hajek_rel_error] = (rate - trueRate) / trueRate;
      out[base + IDX.hajek_covered] = hajek.lower <= trueRate && trueRate <= hajek.upper ? 1 : 0;
      out[base + IDX.sampled_trips] = tot.sampled / T;
      out[base + IDX.sampled_events] = sampledEvents;
      out[base + IDX.max_weight_share] = ht > 0 ? maxW / ht : NaN;
      out[base + IDX.kish_ess] = tot.sumW2 > 0 ? (tot.sumW * tot.sumW) / tot.sumW2 : 0;
      out[base + IDX.truth_events] = truth;
      out[base + IDX.onset] = onset;
    }
  }
  return out;
}

/** Detectors on the arm's (x, e) series and their scores against the injected regression. */
function scoreArm(plan: TrialPlan, scratch: ReplicateScratch, out: Float64Array, base: number, cusumH: number, onset: number, cell: Cell): void {
  const { settings, world } = plan;
  const det = settings.detection;
  const T = world.days;
  const x = scratch.x;
  const e = scratch.e;
  const truth = [{ start: onset, end: Math.min(T - 1, onset + settings.regression.durationDays - 1) }];
  const scoring = { days: T, grace: det.graceDays, bootstrap: 1 };
  const dummy = createRng(0);
  const cusum = poissonCusum(x, e, { lambda0: 1, hr: det.cusumHazardRatio, h: cusumH });
  const c = detectionMetrics(cusum.alarmDays, truth, scoring, dummy);
  out[base + IDX.cusum_detected] = c.detected;
  out[base + IDX.cusum_delay] = c.delays[0];
  out[base + IDX.cusum_false_alarms] = c.falseAlarms;
  out[base + IDX.monitored_days] = c.monitoredDays;
  if (det.bocpd) {
    const bocpd = createBocpd({ kind: "poisson-gamma", shape: det.bocpdPriorShape, rate: det.bocpdPriorShape }, { hazard: det.bocpdHazard, maxRuns: 32, threshold: 1e-4 });
    for (let t = 0; t < T; t++) {
      bocpd.update(x[t], e[t]);
      scratch.signal[t] = bocpd.exceedance(1, det.bocpdRatio);
    }
    const episodes = extractEpisodes(scratch.signal, { threshold: det.bocpdProbability, persistence: det.bocpdPersistence });
    const s = detectionMetrics(
      episodes.map((ep) => ep.alertDay),
      truth,
      scoring,
      dummy,
    );
    out[base + IDX.bocpd_detected] = s.detected;
    out[base + IDX.bocpd_delay] = s.delays[0];
    out[base + IDX.bocpd_false_alarms] = s.falseAlarms;
  }
  let xs = 0;
  let es = 0;
  let esAll = 0;
  for (let t = 0; t < T; t++) {
    esAll += e[t];
    if (t < onset) {
      xs += x[t];
      es += e[t];
    }
  }
  out[base + IDX.expected_sampled_events] = esAll;
  out[base + IDX.oe_in_control] = es > 0 ? xs / es : NaN;
  void cell;
}

/**
 * The adaptive arm: each day's design is a defensive mixture alpha * uniform + (1 - alpha) *
 * importance, where the importance part samples proportional to r_i * m_g (g = road type x
 * dominant mode). The multipliers are the smoothed cross-entropy update for the family
 * pi ~ r exp(beta_g): after each day, m_g = (O_g + a) / (E_g + a), with O_g the exponentially
 * weighted Horvitz-Thompson estimate of group g's events and E_g its model-expected events. A
 * group whose events run above the model (a regression there) gets more of the budget the next day.
 * The design of day t depends only on days before t, so the sampled count of day t is still
 * Poisson with mean sum pi_i mu_i given the past, and Horvitz-Thompson stays unbiased.
 */
function runAdaptive(
  plan: TrialPlan,
  scratch: ReplicateScratch,
  cell: Cell,
  b: number,
): { totals: SampleTotals; ht: number; htVar: number; cross: number; maxW: number; sampledEvents: number; meanEventWeight: number } {
  const { world, settings } = plan;
  const d = settings.design;
  const T = world.days;
  const budget = cell.budget;
  const rho = Math.exp(-1 / d.adaptiveMemoryDays);
  const O = new Float64Array(GROUPS);
  const E = new Float64Array(GROUPS);
  const mult = new Float64Array(GROUPS).fill(1);
  const dayO = new Float64Array(GROUPS);
  const totals: SampleTotals = { sampled: 0, sumW: 0, sumW2: 0, milesHat: 0, varMiles: 0 };
  let ht = 0;
  let htVar = 0;
  let cross = 0;
  let maxW = 0;
  let sampledEvents = 0;
  let weighted = 0;
  let riskTotal = 0;
  const pi = scratch.dayPi;
  const sizes = scratch.daySizes;
  const prn = scratch.prn;
  let k = 0;
  for (let t = 0; t < T; t++) {
    const a = world.dayStart[t];
    const z = world.dayStart[t + 1];
    for (let i = a; i < z; i++) sizes[i] = world.risk[i] * mult[world.group[i]];
    importanceInclusion(sizes, budget * (z - a), { floor: d.importanceFloor, exponent: d.importanceExponent }, pi, a, z, sizes);
    let e = 0;
    for (let i = a; i < z; i++) {
      const p = d.adaptiveDefensive * budget + (1 - d.adaptiveDefensive) * pi[i];
      pi[i] = p;
      e += p * world.risk[i];
      weighted += world.risk[i] / p;
      riskTotal += world.risk[i];
      if (prn[i] < p) {
        const w = 1 / p;
        const mw = world.miles[i] * w;
        totals.sampled++;
        totals.sumW += w;
        totals.sumW2 += w * w;
        totals.milesHat += mw;
        totals.varMiles += (1 - p) * mw * mw;
      }
    }
    scratch.e[t] = e;
    dayO.fill(0);
    while (k < scratch.events && scratch.eventTrip[k] < z) {
      const i = scratch.eventTrip[k];
      const p = pi[i];
      if (prn[i] < p) {
        const y = scratch.eventCount[k];
        const wy = y / p;
        scratch.x[t] += y;
        sampledEvents += y;
        ht += wy;
        htVar += (1 - p) * wy * wy;
        cross += (1 - p) * wy * (world.miles[i] / p);
        if (wy > maxW) maxW = wy;
        dayO[world.group[i]] += wy;
      }
      k++;
    }
    for (let g = 0; g < GROUPS; g++) {
      O[g] = rho * O[g] + dayO[g];
      E[g] = rho * E[g] + plan.groupExpected[t * GROUPS + g];
      mult[g] = (O[g] + d.adaptivePrior) / (E[g] + d.adaptivePrior);
    }
  }
  return { totals, ht, htVar, cross, maxW, sampledEvents, meanEventWeight: weighted / riskTotal };
}
