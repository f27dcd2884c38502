/**
 * Convergence diagnostics of Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021): rank-normalized
 * split R-hat, bulk and tail effective sample sizes, Monte Carlo standard errors, and E-BFMI.
 *
 * Each function takes the draws of one scalar quantity as one Float64Array per chain. The
 * arithmetic follows ArviZ 0.23's `az.summary` step by step (split halves that drop the middle
 * draw of odd-length chains, Blom rank normal scores, Geyer's initial monotone sequence, type-7
 * quantiles) so that the summary table matches it to floating-point noise.
 */
import FFT from "fft.js";
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import { DataError } from "../errors.js";

/** Draws of one scalar quantity: one array per chain, all of equal length. */
export type ChainDraws = readonly Float64Array[];

function checkChains(chains: ChainDraws, what: string): number {
  if (chains.length === 0) throw new DataError(`${what}: no chains`);
  const n = chains[0].length;
  for (let c = 1; c < chains.length; c++) {
    if (chains[c].length !== n) throw new DataError(`${what}: chain ${c} has ${chains[c].length} draws, chain 0 has ${n}`);
  }
  return n;
}

function flatten(chains: ChainDraws): Float64Array {
  const n = chains[0].length;
  const out = new Float64Array(chains.length * n);
  for (let c = 0; c < chains.length; c++) out.set(chains[c], c * n);
  return out;
}

function mean(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

function variance(x: Float64Array, ddof: number): number {
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - m) * (x[i] - m);
  return s / (x.length - ddof);
}

/** Median (numpy's: mean of the two middle values for even sizes). */
export function median(x: Float64Array): number {
  const s = Float64Array.from(x).sort();
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/** Type-7 quantile of already sorted values (R's default; scipy mquantiles with alphap = betap = 1). */
export function quantileSorted(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  const aleph = n * p + (1 - p);
  const k = Math.floor(Math.min(Math.max(aleph, 1), n - 1));
  const gamma = Math.min(Math.max(aleph - k, 0), 1);
  return (1 - gamma) * sorted[k - 1] + gamma * sorted[k];
}

/** Split every chain into its first and last halves (the middle draw of an odd chain is dropped). */
export function splitChains(chains: ChainDraws): Float64Array[] {
  const n = checkChains(chains, "splitChains");
  const half = Math.floor(n / 2);
  const out: Float64Array[] = [];
  for (const c of chains) out.push(c.subarray(0, half));
  for (const c of chains) out.push(c.subarray(n - half, n));
  return out;
}

/** Rank-normalize all draws jointly: average ranks of ties, Blom offsets, standard normal quantiles. */
export function zScale(chains: ChainDraws): Float64Array[] {
  const flat = flatten(chains);
  const size = flat.length;
  const order = new Int32Array(size);
  for (let i = 0; i < size; i++) order[i] = i;
  order.sort((a, b) => flat[a] - flat[b]);
  const z = new Float64Array(size);
  let i = 0;
  while (i < size) {
    let j = i;
    while (j + 1 < size && flat[order[j + 1]] === flat[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    const zi = normalQuantile((rank - 3 / 8) / (size - 2 * (3 / 8) + 1), 0, 1);
    for (let k = i; k <= j; k++) z[order[k]] = zi;
    i = j + 1;
  }
  const n = chains[0].length;
  const out: Float64Array[] = [];
  for (let c = 0; c < chains.length; c++) out.push(z.subarray(c * n, (c + 1) * n));
  return out;
}

/** Autocovariance at every lag (biased, divided by n), through a zero-padded FFT. */
export function autocovariance(x: Float64Array): Float64Array {
  const n = x.length;
  let m = 4;
  while (m < 2 * n) m *= 2;
  const f = new FFT(m);
  const input = new Float64Array(m);
  const mu = mean(x);
  for (let i = 0; i < n; i++) input[i] = x[i] - mu;
  const spec = new Float64Array(2 * m);
  f.realTransform(spec, input);
  f.completeSpectrum(spec);
  for (let k = 0; k < m; k++) {
    const re = spec[2 * k];
    const im = spec[2 * k + 1];
    spec[2 * k] = re * re + im * im;
    spec[2 * k + 1] = 0;
  }
  const back = new Float64Array(2 * m);
  f.inverseTransform(back, spec);
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) out[t] = back[2 * t] / n;
  return out;
}

/** Effective sample size of the chains as given (no splitting or ranking): Geyer's initial monotone sequence. */
export function essBasic(chains: ChainDraws): number {
  const nDraw = checkChains(chains, "ess");
  const nChain = chains.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of chains) {
    for (let i = 0; i < c.length; i++) {
      const v = c[i];
      if (Number.isNaN(v)) return NaN;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (hi - lo < 1e-15) return nChain * nDraw;
  const acov = chains.map(autocovariance);
  const chainMean = new Float64Array(nChain);
  for (let c = 0; c < nChain; c++) chainMean[c] = mean(chains[c]);
  const meanAcov = (t: number): number => {
    let s = 0;
    for (let c = 0; c < nChain; c++) s += acov[c][t];
    return s / nChain;
  };
  const meanVar = (meanAcov(0) * nDraw) / (nDraw - 1);
  let varPlus = (meanVar * (nDraw - 1)) / nDraw;
  if (nChain > 1) varPlus += variance(chainMean, 1);
  const rho = new Float64Array(nDraw);
  let rhoEven = 1;
  rho[0] = rhoEven;
  let rhoOdd = 1 - (meanVar - meanAcov(1)) / varPlus;
  rho[1] = rhoOdd;
  let t = 1;
  while (t < nDraw - 3 && rhoEven + rhoOdd > 0) {
    rhoEven = 1 - (meanVar - meanAcov(t + 1)) / varPlus;
    rhoOdd = 1 - (meanVar - meanAcov(t + 2)) / varPlus;
    if (rhoEven + rhoOdd >= 0) {
      rho[t + 1] = rhoEven;
      rho[t + 2] = rhoOdd;
    }
    t += 2;
  }
  const maxT = t - 2;
  if (rhoEven > 0) rho[maxT + 1] = rhoEven;
  t = 1;
  while (t <= maxT - 2) {
    if (rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]) {
      rho[t + 1] = (rho[t - 1] + rho[t]) / 2;
      rho[t + 2] = rho[t + 1];
    }
    t += 2;
  }
  const size = nChain * nDraw;
  let sum = 0;
  for (let k = 0; k <= maxT; k++) sum += rho[k];
  let tau = -1 + 2 * sum + (maxT + 1 < nDraw ? rho[maxT + 1] : 0);
  tau = Math.max(tau, 1 / Math.log10(size));
  for (let k = 0; k < nDraw; k++) if (Number.isNaN(rho[k])) return NaN;
  return size / tau;
}

/** Classic R-hat of the chains as given (no splitting or ranking). */
export function rhatBasic(chains: ChainDraws): number {
  const n = checkChains(chains, "rhat");
  const m = chains.length;
  const chainMean = new Float64Array(m);
  let w = 0;
  for (let c = 0; c < m; c++) {
    chainMean[c] = mean(chains[c]);
    w += variance(chains[c], 1);
  }
  w /= m;
  const b = n * variance(chainMean, 1);
  return Math.sqrt((b / w + n - 1) / n);
}

function indicator(chains: ChainDraws, threshold: number): Float64Array[] {
  return chains.map((c) => {
    const out = new Float64Array(c.length);
    for (let i = 0; i < c.length; i++) out[i] = c[i] <= threshold ? 1 : 0;
    return out;
  });
}

function mapChains(chains: ChainDraws, f: (v: number) => number): Float64Array[] {
  return chains.map((c) => {
    const out = new Float64Array(c.length);
    for (let i = 0; i < c.length; i++) out[i] = f(c[i]);
    return out;
  });
}

/** Rank-normalized split R-hat: the larger of the bulk and folded (tail) versions. NaN with one chain. */
export function rhat(chains: ChainDraws): number {
  const n = checkChains(chains, "rhat");
  if (chains.length < 2 || n < 4) return NaN;
  const bulk = rhatBasic(zScale(splitChains(chains)));
  const med = median(flatten(chains));
  const folded = mapChains(chains, (v) => Math.abs(v - med));
  const tail = rhatBasic(zScale(splitChains(folded)));
  return Math.max(bulk, tail);
}

/** Bulk effective sample size (rank-normalized split chains). */
export function essBulk(chains: ChainDraws): number {
  if (checkChains(chains, "essBulk") < 4) return NaN;
  return essBasic(zScale(splitChains(chains)));
}

/** Tail effective sample size: the smaller ESS of the 5% and 95% quantile indicators. */
export function essTail(chains: ChainDraws): number {
  if (checkChains(chains, "essTail") < 4) return NaN;
  const sorted = flatten(chains).sort();
  const q05 = quantileSorted(sorted, 0.05);
  const q95 = quantileSorted(sorted, 0.95);
  return Math.min(essBasic(splitChains(indicator(chains, q05))), essBasic(splitChains(indicator(chains, q95))));
}

/** Effective sample size for the mean (split chains, not ranked). */
export function essMean(chains: ChainDraws): number {
  if (checkChains(chains, "essMean") < 4) return NaN;
  return essBasic(splitChains(chains));
}

/** Monte Carlo standard error of the posterior mean. */
export function mcseMean(chains: ChainDraws): number {
  return Math.sqrt(variance(flatten(chains), 1) / essMean(chains));
}

/** Monte Carlo standard error of the posterior sd (ArviZ's delta-method version). */
export function mcseSd(chains: ChainDraws): number {
  const flat = flatten(chains);
  const m = mean(flat);
  const c2 = mapChains(chains, (v) => (v - m) * (v - m));
  const c2flat = flatten(c2);
  const evar = mean(c2flat);
  let s4 = 0;
  for (let i = 0; i < c2flat.length; i++) s4 += c2flat[i] * c2flat[i];
  const varvar = (s4 / c2flat.length - evar * evar) / essMean(c2);
  return Math.sqrt(varvar / evar / 4);
}

/** Highest-density interval of the pooled draws (the narrowest window holding `prob` of them). */
export function hdi(chains: ChainDraws, prob = 0.94): [number, number] {
  const sorted = flatten(chains).sort();
  const n = sorted.length;
  const inc = Math.floor(prob * n);
  const nIntervals = n - inc;
  if (nIntervals <= 0) throw new DataError(`hdi: too few draws (${n}) for probability ${prob}`);
  let best = 0;
  let width = Infinity;
  for (let i = 0; i < nIntervals; i++) {
    const w = sorted[i + inc] - sorted[i];
    if (w < width) {
      width = w;
      best = i;
    }
  }
  return [sorted[best], sorted[best + inc]];
}

/** Energy Bayesian fraction of missing information of one chain's energy trace. */
export function ebfmi(energy: Float64Array): number {
  let num = 0;
  for (let i = 1; i < energy.length; i++) num += (energy[i] - energy[i - 1]) ** 2;
  num /= energy.length - 1;
  return num / variance(energy, 1);
}

/** One row of a posterior summary table (the columns of az.summary). */
export interface SummaryRow {
  name: string;
  mean: number;
  sd: number;
  hdiLow: number;
  hdiHigh: number;
  mcseMean: number;
  mcseSd: number;
  essBulk: number;
  essTail: number;
  rHat: number;
}

/** Summary statistics of one scalar quantity, as az.summary computes them. */
export function summarizeDraws(name: string, chains: ChainDraws, hdiProb = 0.94): SummaryRow {
  checkChains(chains, name);
  const flat = flatten(chains);
  const [lo, hi] = hdi(chains, hdiProb);
  return {
    name,
    mean: mean(flat),
    sd: Math.sqrt(variance(flat, 1)),
    hdiLow: lo,
    hdiHigh: hi,
    mcseMean: mcseMean(chains),
    mcseSd: mcseSd(chains),
    essBulk: essBulk(chains),
    essTail: essTail(chains),
    rHat: rhat(chains),
  };
}

/** Format summary rows as a fixed-width text table (hdi columns named for the probability). */
export function formatSummary(rows: readonly SummaryRow[], hdiProb = 0.94, digits = 3): string {
  const lowName = `hdi_${fmtPct((100 * (1 - hdiProb)) / 2)}%`;
  const highName = `hdi_${fmtPct(100 * (1 - (1 - hdiProb) / 2))}%`;
  const header = ["", "mean", "sd", lowName, highName, "mcse_mean", "mcse_sd", "ess_bulk", "ess_tail", "r_hat"];
  const body = rows.map((r) => [
    r.name,
    r.mean.toFixed(digits),
    r.sd.toFixed(digits),
    r.hdiLow.toFixed(digits),
    r.hdiHigh.toFixed(digits),
    r.mcseMean.toFixed(digits),
    r.mcseSd.toFixed(digits),
    r.essBulk.toFixed(0),
    r.essTail.toFixed(0),
    r.rHat.toFixed(2),
  ]);
  const all = [header, ...body];
  const widths = header.map((_, j) => Math.max(...all.map((row) => row[j].length)));
  return all.map((row) => row.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join("  ")).join("\n");
}

function fmtPct(v: number): string {
  return String(Number(v.toPrecision(6)));
}
