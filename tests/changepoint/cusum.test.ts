import { describe, expect, it } from "vitest";
import { poissonCusum, poissonCusumReference } from "../../lib/changepoint/cusum.js";
import { chooseCusumThreshold, MAX_CUSUM_ARL0, poissonCusumArl } from "../../lib/changepoint/cusum-arl.js";
import { ConfigError } from "../../lib/errors.js";
import { createRng } from "../../lib/util/random.js";

// Long seeded simulation of the run length of the CUSUM with the exact (unrounded) reference value.
function simulateArl(lambda0: number, hr: number, exposure: number, h: number, rate: number, runs: number, seed: number) {
  const rng = createRng(seed);
  const c = poissonCusumReference(lambda0, hr) * exposure;
  const mean = rate * exposure;
  let sum = 0;
  let sumSq = 0;
  for (let r = 0; r < runs; r++) {
    let s = 0;
    let t = 0;
    do {
      s = Math.max(0, s + rng.poisson(mean) - c);
      t++;
    } while (s < h);
    sum += t;
    sumSq += t * t;
  }
  const arl = sum / runs;
  const se = Math.sqrt((sumSq / runs - arl * arl) / runs);
  return { arl, se };
}

describe("Poisson CUSUM average run length", () => {
  const settings = [
    { lambda0: 2, hr: 1.5, exposure: 1, h: 4.5 },
    { lambda0: 0.01, hr: 2, exposure: 80, h: 3.2 },
    { lambda0: 5e-4, hr: 1.5, exposure: 6000, h: 6 },
  ];
  for (const s of settings) {
    it(`Markov-chain ARL0 matches a long seeded simulation (lambda0 e = ${s.lambda0 * s.exposure}, HR ${s.hr}, h ${s.h})`, () => {
      const chain = poissonCusumArl(s);
      const sim = simulateArl(s.lambda0, s.hr, s.exposure, s.h, s.lambda0, 20000, 17);
      expect(Math.abs(chain - sim.arl)).toBeLessThan(4 * sim.se);
      expect(sim.se / sim.arl).toBeLessThan(0.02);
    });
  }

  it("out-of-control ARL1 (rate = HR * lambda0) matches simulation too", () => {
    const s = { lambda0: 2, hr: 1.5, exposure: 1, h: 4.5, rate: 3 };
    const chain = poissonCusumArl(s);
    const sim = simulateArl(2, 1.5, 1, 4.5, 3, 20000, 23);
    expect(Math.abs(chain - sim.arl)).toBeLessThan(4 * sim.se);
  });

  it("the lattice is exact: refining it changes the ARL by < 0.5%", () => {
    const s = { lambda0: 2, hr: 1.5, exposure: 1, h: 5 };
    const a = poissonCusumArl(s, { resolution: 60 });
    const b = poissonCusumArl(s, { resolution: 120 });
    expect(Math.abs(a - b) / b).toBeLessThan(0.005);
  });

  it("chooseCusumThreshold returns the smallest lattice h whose ARL0 reaches the target", () => {
    const setting = { lambda0: 2, hr: 1.5, exposure: 1 };
    const r = chooseCusumThreshold({ ...setting, arl0: 370 });
    expect(r.arl0).toBeGreaterThanOrEqual(370);
    const below = poissonCusumArl({ ...setting, h: r.h - 1 / r.resolution }, { resolution: r.resolution });
    expect(below).toBeLessThan(370);
    expect(poissonCusumArl({ ...setting, h: r.h }, { resolution: r.resolution })).toBeCloseTo(r.arl0, 6);
  });
});

describe("chooseCusumThreshold with an unreachable ARL0 fails fast", () => {
  it("arl0 = 1e20 is a ConfigError naming the value and the maximum supported (no allocation)", () => {
    const call = (): unknown => chooseCusumThreshold({ lambda0: 2, hr: 1.5, exposure: 1, arl0: 1e20 });
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(/arl0: 100000000000000000000 is above the maximum supported 1000000000/);
  });

  it("the maximum itself is reachable for a usual setting", () => {
    const r = chooseCusumThreshold({ lambda0: 2, hr: 1.5, exposure: 1, arl0: MAX_CUSUM_ARL0 });
    expect(r.arl0).toBeGreaterThanOrEqual(MAX_CUSUM_ARL0);
  });

  it("a setting whose lattice would outgrow the dense factorization names the arl0, the states asked and the maximum", () => {
    // 12,000 expected events a day: the threshold is thousands of events, i.e. thousands of states per event step.
    const call = (): unknown => chooseCusumThreshold({ lambda0: 1, hr: 1.5, exposure: 1e4, arl0: 370 });
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(/arl0 370 is out of reach .* more than 2400 lattice states .* maximum supported arl0 is 1000000000/);
  });
});

describe("poissonCusum detector", () => {
  it("follows S_t = max(0, S_{t-1} + x_t - k e_t) and restarts after an alarm", () => {
    const x = [0, 3, 4, 0, 5, 6, 0, 0];
    const e = [1, 1, 2, 0, 1, 1, 1, 1];
    const k = (1 * 0.5) / Math.log(1.5);
    const r = poissonCusum(x, e, { lambda0: 1, hr: 1.5, h: 5 });
    let s = 0;
    const alarms: number[] = [];
    for (let t = 0; t < x.length; t++) {
      s = Math.max(0, s + x[t] - k * e[t]);
      expect(r.statistic[t]).toBeCloseTo(s, 12);
      if (s >= 5) {
        alarms.push(t);
        s = 0;
      }
    }
    expect(Array.from(r.alarmDays)).toEqual(alarms);
    expect(alarms.length).toBeGreaterThan(0);
  });
});
