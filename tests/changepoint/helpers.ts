/**
 * Independent references for the change-point tests: the Gamma-Poisson segment marginal written
 * directly from the Poisson pmf and the Gamma normalizing constants (stdlib gammaln, not the
 * library's lgamma), and a quadrature of the same integral to check that closed form itself.
 */
import gammaln from "@stdlib/math-base-special-gammaln";

/** log of integral prod_i Poisson(x_i | lambda e_i) Gamma(lambda | a, b) d lambda, closed form. */
export function segmentMarginalClosedForm(x: number[], e: number[], a: number, b: number): number {
  let S = 0;
  let E = 0;
  let data = 0;
  for (let i = 0; i < x.length; i++) {
    S += x[i];
    E += e[i];
    if (x[i] > 0) data += x[i] * Math.log(e[i]) - gammaln(x[i] + 1);
  }
  return data + a * Math.log(b) - gammaln(a) + gammaln(a + S) - (a + S) * Math.log(b + E);
}

/** The same marginal by composite Simpson quadrature over lambda (log-scaled integrand). */
export function segmentMarginalQuadrature(x: number[], e: number[], a: number, b: number): number {
  const logIntegrand = (lam: number): number => {
    let v = a * Math.log(b) - gammaln(a) + (a - 1) * Math.log(lam) - b * lam;
    for (let i = 0; i < x.length; i++) {
      const mu = lam * e[i];
      if (mu > 0) v += x[i] * Math.log(mu) - mu - gammaln(x[i] + 1);
    }
    return v;
  };
  // Integrate in u = log(lambda) over a wide window around the posterior mode.
  let S = a;
  let E = b;
  for (let i = 0; i < x.length; i++) {
    S += x[i];
    E += e[i];
  }
  const centre = Math.log(S / E);
  const lo = centre - 12;
  const hi = centre + 6;
  const steps = 20000;
  const h = (hi - lo) / steps;
  const f = (u: number): number => logIntegrand(Math.exp(u)) + u;
  let ref = -Infinity;
  for (let k = 0; k <= steps; k++) ref = Math.max(ref, f(lo + k * h));
  let sum = 0;
  for (let k = 0; k <= steps; k++) {
    const w = k === 0 || k === steps ? 1 : k % 2 === 1 ? 4 : 2;
    sum += w * Math.exp(f(lo + k * h) - ref);
  }
  return ref + Math.log((sum * h) / 3);
}

export function logSumExp(v: number[]): number {
  const m = Math.max(...v);
  if (m === -Infinity) return m;
  let s = 0;
  for (const x of v) s += Math.exp(x - m);
  return m + Math.log(s);
}

/**
 * British coal-mining disasters (fatal accidents with >= 10 deaths), yearly counts 1851-1961,
 * 111 years, 191 events. Source: the PyMC tutorial's `disasters_array` (PyMC 2 user guide,
 * "Tutorial: an example statistical model"), itself from Jarrett (1979), "A note on the intervals
 * between coal-mining disasters", Biometrika 66:191-193. PyMC 3+ marks two values missing for a
 * missing-data demo; the values here are the complete PyMC 2 array.
 */
export const COAL_START_YEAR = 1851;
export const COAL = [
  4, 5, 4, 0, 1, 4, 3, 4, 0, 6, 3, 3, 4, 0, 2, 6, 3, 3, 5, 4, 5, 3, 1, 4, 4, 1, 5, 5, 3, 4, 2, 5, 2, 2, 3, 4, 2, 1, 3,
  2, 2, 1, 1, 1, 1, 3, 0, 0, 1, 0, 1, 1, 0, 0, 3, 1, 0, 3, 2, 2, 0, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 2, 1, 0, 0, 0, 1, 1,
  0, 2, 3, 3, 1, 1, 2, 1, 1, 1, 1, 2, 4, 2, 0, 0, 1, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1,
];
