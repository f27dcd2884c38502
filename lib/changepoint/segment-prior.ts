/**
 * Priors on segment lengths for product-partition change-point models: the probability g(L) that a
 * segment lasts exactly L days and the survival P(length >= L) used for the last, censored segment.
 */
import { ConfigError } from "../errors.js";
import { betaCdf, lgamma, logAddExp } from "./special.js";

/**
 * Geometric: every day starts a new segment with probability p (a constant hazard).
 * Negative binomial: L = 1 + K with K ~ NegBin(shape, p) failures before the shape-th success,
 * which makes very short segments unlikely when shape > 1.
 */
export type SegmentLengthPrior =
  | { readonly kind: "geometric"; readonly p: number }
  | { readonly kind: "negative-binomial"; readonly shape: number; readonly p: number };

/** Log pmf and log survival of segment lengths 1..n, tabulated once (index L; entry 0 unused). */
export interface SegmentLengthTables {
  readonly logPmf: Float64Array;
  readonly logSurvival: Float64Array;
}

/** Tabulate log g(L) and log P(length >= L) for L = 1..n. */
export function segmentLengthTables(prior: SegmentLengthPrior, n: number): SegmentLengthTables {
  if (!(prior.p > 0 && prior.p < 1)) throw new ConfigError(`invalid segmentPrior.p: ${prior.p} (must be in (0, 1))`);
  const logPmf = new Float64Array(n + 2);
  const logSurvival = new Float64Array(n + 2);
  const log1mp = Math.log1p(-prior.p);
  const logp = Math.log(prior.p);
  if (prior.kind === "geometric") {
    for (let L = 1; L <= n + 1; L++) {
      logPmf[L] = logp + (L - 1) * log1mp;
      logSurvival[L] = (L - 1) * log1mp;
    }
  } else if (prior.kind === "negative-binomial") {
    const r = prior.shape;
    if (!(r > 0) || !Number.isFinite(r)) throw new ConfigError(`invalid segmentPrior.shape: ${r} (must be > 0)`);
    const base = r * logp - lgamma(r);
    for (let L = 1; L <= n + 1; L++) {
      const k = L - 1;
      logPmf[L] = base + lgamma(k + r) - lgamma(k + 1) + k * log1mp;
    }
    // P(K >= n + 1) from the beta tail, then accumulate downwards in log space so that survival
    // probabilities far in the tail keep their digits.
    logSurvival[n + 1] = Math.log(betaCdf(prior.p, r, n, true));
    for (let L = n; L >= 1; L--) logSurvival[L] = logAddExp(logSurvival[L + 1], logPmf[L]);
  } else {
    throw new ConfigError(`invalid segmentPrior.kind: ${(prior as { kind: string }).kind}`);
  }
  return { logPmf, logSurvival };
}
