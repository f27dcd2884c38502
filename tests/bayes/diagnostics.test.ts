import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { autocovariance, ebfmi, essBulk, essTail, formatSummary, quantileSorted, rhat, summarizeDraws } from "../../lib/bayes/diagnostics.js";

interface Fixture {
  arviz_version: string;
  hdi_prob: number;
  cases: { name: string; draws: number[][]; summary: Record<string, number | null> }[];
  bfmi: { energy: number[][]; values: number[] };
}

// Made by tests/bayes/fixtures/make_arviz_fixture.py with ArviZ 0.23.4 (az.summary, round_to="none").
const fixture = JSON.parse(readFileSync(new URL("./fixtures/arviz_summary.json", import.meta.url), "utf8")) as Fixture;

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

describe("summary matches ArviZ az.summary", () => {
  it("was made with the ArviZ version whose defaults we follow", () => {
    expect(fixture.arviz_version).toBe("0.23.4");
    expect(fixture.hdi_prob).toBe(0.94);
  });

  for (const c of fixture.cases) {
    it(`case ${c.name}`, () => {
      const chains = c.draws.map((d) => Float64Array.from(d));
      const row = summarizeDraws("x", chains, fixture.hdi_prob);
      const ours: Record<string, number> = {
        mean: row.mean,
        sd: row.sd,
        "hdi_3%": row.hdiLow,
        "hdi_97%": row.hdiHigh,
        mcse_mean: row.mcseMean,
        mcse_sd: row.mcseSd,
        ess_bulk: row.essBulk,
        ess_tail: row.essTail,
        r_hat: row.rHat,
      };
      for (const [key, ref] of Object.entries(c.summary)) {
        if (ref === null) {
          expect(Number.isNaN(ours[key]), `${key} should be NaN`).toBe(true);
          continue;
        }
        expect(rel(ours[key], ref), `${c.name} ${key}: ours ${ours[key]} vs ArviZ ${ref}`).toBeLessThan(1e-6);
      }
    });
  }

  it("E-BFMI per chain", () => {
    fixture.bfmi.energy.forEach((e, c) => {
      expect(rel(ebfmi(Float64Array.from(e)), fixture.bfmi.values[c])).toBeLessThan(1e-9);
    });
  });

  it("flags the badly mixed case and not the iid one", () => {
    const bad = fixture.cases.find((c) => c.name === "badly_mixed")!.draws.map((d) => Float64Array.from(d));
    const good = fixture.cases.find((c) => c.name === "iid_normal")!.draws.map((d) => Float64Array.from(d));
    expect(rhat(bad)).toBeGreaterThan(1.1);
    expect(rhat(good)).toBeLessThan(1.01);
    expect(essBulk(bad)).toBeLessThan(50);
    expect(essTail(good)).toBeGreaterThan(3000);
  });
});

describe("building blocks", () => {
  it("FFT autocovariance equals the direct sum", () => {
    const x = Float64Array.from({ length: 37 }, (_, i) => Math.sin(i * 1.3) + 0.1 * i);
    const m = x.reduce((a, b) => a + b, 0) / x.length;
    const ac = autocovariance(x);
    for (const lag of [0, 1, 5, 36]) {
      let s = 0;
      for (let i = 0; i + lag < x.length; i++) s += (x[i] - m) * (x[i + lag] - m);
      expect(ac[lag]).toBeCloseTo(s / x.length, 12);
    }
  });

  it("type-7 quantiles agree with R's quantile()", () => {
    const s = Float64Array.from([1, 2, 3, 4, 10]);
    // R: quantile(c(1,2,3,4,10), c(0.05, 0.5, 0.95)) = 1.2, 3.0, 8.8
    expect(quantileSorted(s, 0.05)).toBeCloseTo(1.2, 12);
    expect(quantileSorted(s, 0.5)).toBeCloseTo(3, 12);
    expect(quantileSorted(s, 0.95)).toBeCloseTo(8.8, 12);
  });

  it("formats a table with the hdi columns named for the probability", () => {
    const chains = fixture.cases[0].draws.map((d) => Float64Array.from(d));
    const text = formatSummary([summarizeDraws("x", chains)]);
    expect(text.split("\n")[0]).toMatch(/hdi_3%\s+hdi_97%/);
  });
});
