import { describe, expect, it } from "vitest";
import { singleChangepoint } from "../../lib/changepoint/single-changepoint.js";
import { hazardRatioCdf, hazardRatioExceedance } from "../../lib/changepoint/hazard-ratio.js";
import { COAL, COAL_START_YEAR, logSumExp, segmentMarginalClosedForm, segmentMarginalQuadrature } from "./helpers.js";

// Small series with exposure, a zero-exposure day and a visible rate increase.
const x = [1, 0, 2, 0, 1, 0, 3, 4, 2, 5, 3];
const e = [10, 12, 9, 0, 11, 10, 10, 12, 8, 11, 10];
const prior = { shape: 2, rate: 15 };

describe("singleChangepoint: exact posterior", () => {
  it("the test's closed-form marginal agrees with quadrature (so the reference itself is right)", () => {
    expect(segmentMarginalClosedForm(x.slice(0, 6), e.slice(0, 6), 2, 15)).toBeCloseTo(
      segmentMarginalQuadrature(x.slice(0, 6), e.slice(0, 6), 2, 15),
      9,
    );
    expect(segmentMarginalClosedForm(x.slice(6), e.slice(6), 2, 15)).toBeCloseTo(
      segmentMarginalQuadrature(x.slice(6), e.slice(6), 2, 15),
      9,
    );
  });

  it("equals brute-force enumeration of every change day and the no-change model", () => {
    for (const pChange of [0.5, 0.2]) {
      const n = x.length;
      const logs: number[] = [];
      const none = Math.log(1 - pChange) + segmentMarginalClosedForm(x, e, 2, 15);
      for (let tau = 1; tau < n; tau++) {
        logs.push(
          Math.log(pChange / (n - 1)) +
            segmentMarginalClosedForm(x.slice(0, tau), e.slice(0, tau), 2, 15) +
            segmentMarginalClosedForm(x.slice(tau), e.slice(tau), 2, 15),
        );
      }
      const logZ = logSumExp([none, ...logs]);
      const r = singleChangepoint(x, e, { prior, pChange });
      expect(r.logEvidence).toBeCloseTo(logZ, 10);
      expect(r.pNoChange).toBeCloseTo(Math.exp(none - logZ), 12);
      for (let tau = 1; tau < n; tau++) expect(r.posterior[tau]).toBeCloseTo(Math.exp(logs[tau - 1] - logZ), 12);
      expect(r.posterior[0]).toBe(0);
      let best = 1;
      for (let tau = 2; tau < n; tau++) if (logs[tau - 1] > logs[best - 1]) best = tau;
      expect(r.mapChange).toBe(best);
    }
  });

  it("segment rates are the conjugate Gamma posteriors and P(HR > c) mixes over change days", () => {
    const r = singleChangepoint(x, e, { prior, threshold: 1.5 });
    const tau = r.mapChange;
    const S1 = x.slice(0, tau).reduce((a, b) => a + b, 0);
    const E1 = e.slice(0, tau).reduce((a, b) => a + b, 0);
    expect(r.before?.shape).toBe(2 + S1);
    expect(r.before?.rate).toBeCloseTo(15 + E1, 12);
    expect(r.before?.mean).toBeCloseTo((2 + S1) / (15 + E1), 12);
    // Mixture of exceedances weighted by the posterior of the change day, plus no-change (HR = 1).
    let mix = 0;
    for (let t = 1; t < x.length; t++) {
      const sb = x.slice(0, t).reduce((a, b) => a + b, 0);
      const eb = e.slice(0, t).reduce((a, b) => a + b, 0);
      const sa = x.slice(t).reduce((a, b) => a + b, 0);
      const ea = e.slice(t).reduce((a, b) => a + b, 0);
      mix += r.posterior[t] * hazardRatioExceedance(1.5, { shape: 2 + sb, rate: 15 + eb }, { shape: 2 + sa, rate: 15 + ea });
    }
    expect(r.pExceed).toBeCloseTo(mix, 12);
    expect(r.hazardRatio!.lower).toBeLessThan(r.hazardRatio!.upper);
    // The averaged interval's ends are the 2.5% and 97.5% points of the mixture CDF.
    const mixtureCdf = (c: number): number => {
      let v = 0;
      for (let t = 1; t < x.length; t++) {
        const sb = x.slice(0, t).reduce((a, b) => a + b, 0);
        const eb = e.slice(0, t).reduce((a, b) => a + b, 0);
        const sa = x.slice(t).reduce((a, b) => a + b, 0);
        const ea = e.slice(t).reduce((a, b) => a + b, 0);
        v += r.posterior[t] * hazardRatioCdf(c, { shape: 2 + sb, rate: 15 + eb }, { shape: 2 + sa, rate: 15 + ea });
      }
      return v / (1 - r.pNoChange);
    };
    expect(mixtureCdf(r.hazardRatio!.lower)).toBeCloseTo(0.025, 8);
    expect(mixtureCdf(r.hazardRatio!.upper)).toBeCloseTo(0.975, 8);
    expect(mixtureCdf(r.hazardRatio!.median)).toBeCloseTo(0.5, 8);
  });

  it("minSegment restricts the change days; the prior stays uniform over the allowed ones", () => {
    const r = singleChangepoint(x, e, { prior, minSegment: 3 });
    const n = x.length;
    const logs: number[] = [];
    for (let tau = 3; tau <= n - 3; tau++) {
      logs.push(
        Math.log(0.5 / (n - 5)) +
          segmentMarginalClosedForm(x.slice(0, tau), e.slice(0, tau), 2, 15) +
          segmentMarginalClosedForm(x.slice(tau), e.slice(tau), 2, 15),
      );
    }
    const logZ = logSumExp([Math.log(0.5) + segmentMarginalClosedForm(x, e, 2, 15), ...logs]);
    for (let tau = 0; tau < n; tau++) {
      const expected = tau >= 3 && tau <= n - 3 ? Math.exp(logs[tau - 3] - logZ) : 0;
      expect(r.posterior[tau]).toBeCloseTo(expected, 12);
    }
  });

  it("a long flat series stays fast: P(HR > 1.5) exact, averaged interval skipped beyond maxMixtureDays", () => {
    const n = 50000;
    const r = singleChangepoint(new Float64Array(n), undefined, { prior: { shape: 1, rate: 1 } });
    expect(Number.isNaN(r.hazardRatio!.lower)).toBe(true);
    expect(r.hazardRatio!.pExceed).toBeGreaterThan(0);
    expect(r.hazardRatioAtMap!.lower).toBeLessThan(r.hazardRatioAtMap!.upper);
  });

  it("splitting on either side of a zero-exposure day gives the same posterior", () => {
    const r = singleChangepoint(x, e, { prior });
    // Day 3 has exposure 0 (and count 0): a change at 3 or at 4 describes the same data.
    expect(r.posterior[3]).toBeCloseTo(r.posterior[4], 14);
  });

  it("British coal-mining disasters: posterior mode at 1890 +/- 2 (Raftery & Akman 1986)", () => {
    const r = singleChangepoint(COAL, undefined, { prior: { shape: 1, rate: 0.5 } });
    // mapChange is the first year of the new rate; the literature places the change in 1890-1891.
    const year = COAL_START_YEAR + r.mapChange;
    expect(Math.abs(year - 1890)).toBeLessThanOrEqual(2);
    expect(r.pNoChange).toBeLessThan(1e-6);
    // The rate fell by roughly a factor 3 (Carlin, Gelfand & Smith 1992: about 3.1 -> 0.9 per year).
    expect(r.hazardRatioAtMap!.median).toBeGreaterThan(0.2);
    expect(r.hazardRatioAtMap!.median).toBeLessThan(0.45);
    expect(r.before!.mean).toBeGreaterThan(2.7);
    expect(r.after!.mean).toBeLessThan(1.1);
  });
});
