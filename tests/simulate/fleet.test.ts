import { describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/errors.js";
import { createRng } from "../../lib/util/random.js";
import { FleetConfigSchema, ROAD_TYPES, createFleetSimulation, fleetDailySeries, simulateFleet, aggregateTripsDaily } from "../../lib/simulate/fleet.js";
import { clopperPearson, poissonMeanInterval, poissonRatioInterval } from "./stats.js";

describe("fleet config", () => {
  it("has the documented defaults", () => {
    const c = FleetConfigSchema.parse({});
    expect(c.days).toBe(90);
    expect(c.tripsPerDay).toBe(1000);
    expect(c.criticalRatePerTrip).toBe(0.001);
    expect(c.regressions).toHaveLength(1);
  });

  it("rejects unknown keys and bad values with the key named", () => {
    expect(() => createFleetSimulation({ dayz: 3 } as never, createRng(1))).toThrow(ConfigError);
    expect(() => createFleetSimulation({ days: -1 }, createRng(1))).toThrow(/days/);
    expect(() => createFleetSimulation({ regressions: [{ onsetDay: 1, durationDays: 2, hazardRatio: 2, firmware: ["9.9"] }] }, createRng(1))).toThrow(/9\.9/);
    expect(() => createFleetSimulation({ roadTypeHazardRatios: { highway: 1, offroad: 2 } as never }, createRng(1))).toThrow(/offroad/);
  });
});

describe("fleet simulation, default config", () => {
  const sim = simulateFleet({}, createRng(2024));
  const t = sim.trips.columns;
  const tt = sim.tripTruth.columns;

  it("has 90 x 1000 trips in start order with consistent exposure and mode time", () => {
    expect(sim.trips.length).toBe(90_000);
    let bad = 0;
    for (let i = 1; i < sim.trips.length; i++) if (t.start_ts[i] < t.start_ts[i - 1]) bad++;
    let worst = 0;
    for (let i = 0; i < sim.trips.length; i++) {
      worst = Math.max(worst, Math.abs(t.manual_min[i] + t.assisted_min[i] + t.autonomous_min[i] - t.duration_min[i]));
      if (t.critical_events[i] !== t.near_misses[i] + t.collisions[i]) bad++;
      if (t.disengagements[i] > t.mode_transitions[i]) bad++;
    }
    expect(bad).toBe(0);
    expect(worst).toBeLessThanOrEqual(0.15 + 1e-9);
  });

  it("observed critical events are Poisson with mean = the sum of true hazards (exact 99.9% interval)", () => {
    let observed = 0;
    let expected = 0;
    for (let i = 0; i < sim.trips.length; i++) {
      observed += t.critical_events[i];
      expected += tt.true_hazard[i];
    }
    const [lo, hi] = poissonMeanInterval(observed, 0.999);
    expect(expected).toBeGreaterThan(lo);
    expect(expected).toBeLessThan(hi);
  });

  it("the realized per-trip critical rate is about 0.1% of trips", () => {
    let baseline = 0;
    for (let i = 0; i < sim.trips.length; i++) baseline += tt.baseline_hazard[i];
    const rate = baseline / sim.trips.length;
    expect(rate).toBeGreaterThan(0.0007);
    expect(rate).toBeLessThan(0.0013);
  });

  it("the default fleet-wide regression doubles the true hazard on days 60-73 only", () => {
    const s = fleetDailySeries(sim.dailyTruth);
    for (let d = 0; d < 90; d++) {
      const want = d >= 60 && d < 74 ? 2 : 1;
      expect(s.trueHazardRatio[d]).toBeCloseTo(want, 12);
    }
    expect(sim.truth.episodes[0]).toMatchObject({ onsetDay: 60, endDay: 74, hazardRatio: 2 });
  });

  it("daily series sums equal the trips table; rebuilding from trips alone gives the same exposure", () => {
    const s = fleetDailySeries(sim.dailyTruth, { groupBy: "road_type" });
    let trips = 0;
    let crit = 0;
    let miles = 0;
    for (let r = 0; r < s.day.length; r++) {
      trips += s.trips[r];
      crit += s.critical[r];
      miles += s.exposureMiles[r];
    }
    let m = 0;
    let c = 0;
    for (let i = 0; i < sim.trips.length; i++) {
      m += t.miles[i];
      c += t.critical_events[i];
    }
    expect(trips).toBe(90_000);
    expect(crit).toBe(c);
    expect(miles).toBeCloseTo(m, 6);
    const again = aggregateTripsDaily([sim.trips], 90, sim.config.firmware.length);
    expect(Array.from(again.columns.miles)).toEqual(Array.from(sim.dailyTruth.columns.miles));
  });

  it("events match the per-trip counts, lie inside their trip and come in time order", () => {
    const e = sim.events.columns;
    const perTrip = new Int32Array(sim.trips.length * 4);
    let bad = 0;
    for (let i = 0; i < sim.events.length; i++) {
      const row = e.trip_id[i] - 1;
      perTrip[row * 4 + e.event_type[i]]++;
      if (e.critical[i] !== (e.event_type[i] >= 2 ? 1 : 0)) bad++;
      if (e.vehicle_id[i] !== t.vehicle_id[row]) bad++;
      if (e.event_ts[i] < t.start_ts[row] || e.event_ts[i] > t.start_ts[row] + t.duration_min[row] * 60_000) bad++;
      if (i > 0 && e.trip_id[i - 1] === e.trip_id[i] && e.event_ts[i] < e.event_ts[i - 1]) bad++;
      if (i > 0 && e.event_id[i] !== e.event_id[i - 1] + 1) bad++;
    }
    for (let i = 0; i < sim.trips.length; i++) {
      const want = [t.harsh_brakes[i], t.safety_interventions[i], t.near_misses[i], t.collisions[i]];
      for (let k = 0; k < 4; k++) if (perTrip[i * 4 + k] !== want[k]) bad++;
    }
    expect(bad).toBe(0);
    expect(sim.events.length).toBeGreaterThan(10_000);
  });

  it("firmware rolls out after its release day", () => {
    const share = (lo: number, hi: number, fw: number): number => {
      let n = 0;
      let k = 0;
      for (let i = 0; i < sim.trips.length; i++) {
        if (t.day[i] >= lo && t.day[i] < hi) {
          n++;
          if (t.firmware[i] === fw) k++;
        }
      }
      return k / n;
    };
    expect(share(0, 20, 1)).toBe(0);
    expect(share(40, 55, 1)).toBeGreaterThan(0.8);
    expect(share(80, 90, 2)).toBeGreaterThan(0.8);
  });
});

describe("fleet ground truth is recoverable", () => {
  it("the calibrated h0 gives criticalRatePerTrip on a reference trip (initial firmware, frailty 1, no regression)", () => {
    // With the weather always clear (the pilot then samples the same weather), baseline / frailty before
    // the first rollout is the reference-trip hazard, so its mean checks the calibration on fresh trips.
    const sim = simulateFleet(
      { days: 15, tripsPerDay: 2000, weatherMix: { clear: 1, rain: 0, snow: 0, fog: 0 }, regressions: [] },
      createRng(11),
    );
    let sum = 0;
    for (let i = 0; i < sim.trips.length; i++) sum += sim.tripTruth.columns.baseline_hazard[i] / sim.truth.frailty[sim.trips.columns.vehicle_id[i] - 1];
    expect(sum / sim.trips.length).toBeGreaterThan(0.001 * 0.95);
    expect(sum / sim.trips.length).toBeLessThan(0.001 * 1.05);
  });

  it("the empirical hazard ratio of a targeted regression matches the configured one (exact Poisson ratio interval)", () => {
    const sim = simulateFleet(
      {
        days: 60,
        tripsPerDay: 6000,
        criticalRatePerTrip: 0.002,
        regressions: [{ onsetDay: 30, durationDays: 15, hazardRatio: 2.5, roadTypes: ["urban", "rural"], vehicleFraction: 0.5 }],
      },
      createRng(99),
    );
    const t = sim.trips.columns;
    const tt = sim.tripTruth.columns;
    let o1 = 0;
    let e1 = 0;
    let o0 = 0;
    let e0 = 0;
    let maskErrors = 0;
    const affected = new Set(sim.truth.episodes[0].vehicleIds);
    expect(affected.size).toBeGreaterThan(0.4 * 200);
    expect(affected.size).toBeLessThan(0.6 * 200);
    for (let i = 0; i < sim.trips.length; i++) {
      const inEpisode = t.day[i] >= 30 && t.day[i] < 45 && affected.has(t.vehicle_id[i]) && (ROAD_TYPES[t.road_type[i]] === "urban" || ROAD_TYPES[t.road_type[i]] === "rural");
      if ((tt.episode_mask[i] === 1) !== inEpisode) maskErrors++;
      if (inEpisode) {
        o1 += t.critical_events[i];
        e1 += tt.baseline_hazard[i];
      } else {
        o0 += t.critical_events[i];
        e0 += tt.baseline_hazard[i];
      }
    }
    expect(maskErrors).toBe(0);
    const [lo, hi] = poissonRatioInterval(o1, e1, o0, e0, 0.99);
    expect(lo).toBeLessThan(2.5);
    expect(hi).toBeGreaterThan(2.5);
    expect(lo).toBeGreaterThan(1.5);
    // The per-group daily truth shows the episode only in the targeted road types.
    const s = fleetDailySeries(sim.dailyTruth, { groupBy: "road_type" });
    for (let r = 0; r < s.day.length; r++) {
      const road = ROAD_TYPES[s.group[r]];
      const during = s.day[r] >= 30 && s.day[r] < 45;
      if (!during || road === "highway" || road === "suburban") expect(s.trueHazardRatio[r]).toBeCloseTo(1, 12);
      else expect(s.trueHazardRatio[r]).toBeGreaterThan(1.3);
    }
  });

  it("frailty makes vehicles differ more than Poisson noise alone would", () => {
    const sim = simulateFleet({ days: 60, tripsPerDay: 3000, vehicles: 100, frailtyShape: 1, criticalRatePerTrip: 0.005, regressions: [] }, createRng(5));
    const o = new Float64Array(100);
    const eNoFrailty = new Float64Array(100);
    for (let i = 0; i < sim.trips.length; i++) {
      const v = sim.trips.columns.vehicle_id[i] - 1;
      o[v] += sim.trips.columns.critical_events[i];
      eNoFrailty[v] += sim.tripTruth.columns.baseline_hazard[i] / sim.truth.frailty[v];
    }
    // Pearson dispersion against a frailty-free model: far above 1 when frailty has variance 1.
    let chi = 0;
    for (let v = 0; v < 100; v++) chi += (o[v] - eNoFrailty[v]) ** 2 / eNoFrailty[v];
    expect(chi / 99).toBeGreaterThan(3);
    // The frailty draws have the configured mean 1 (Gamma(1,1) sample of 100: 99.9% interval).
    const mean = sim.truth.frailty.reduce((a, b) => a + b, 0) / 100;
    const [lo, hi] = poissonMeanInterval(Math.round(mean * 100), 0.999);
    expect(mean * 100).toBeGreaterThan(lo * 0.9);
    expect(mean * 100).toBeLessThan(hi * 1.1);
  });

  it("safety interventions rise during a regression as a weaker leading indicator", () => {
    // Weather neutral so that the two halves differ only by the regression.
    const sim = simulateFleet(
      { days: 40, tripsPerDay: 3000, weatherHazardRatios: { clear: 1, rain: 1, snow: 1, fog: 1 }, regressions: [{ onsetDay: 20, durationDays: 20, hazardRatio: 3 }] },
      createRng(8),
    );
    const rate = (lo: number, hi: number): number => {
      let k = 0;
      let hours = 0;
      for (let i = 0; i < sim.trips.length; i++) {
        if (sim.trips.columns.day[i] < lo || sim.trips.columns.day[i] >= hi) continue;
        k += sim.trips.columns.safety_interventions[i];
        hours += sim.trips.columns.autonomous_min[i] + 0.5 * sim.trips.columns.assisted_min[i];
      }
      return k / hours;
    };
    const ratio = rate(20, 40) / rate(0, 20);
    expect(ratio).toBeGreaterThan(1.4);
    expect(ratio).toBeLessThan(2.2);
  });
});

describe("stats helpers", () => {
  it("Clopper-Pearson matches a published value", () => {
    // x = 5 of n = 20 at 95%: (0.0866, 0.4910), e.g. Brown, Cai & DasGupta (2001) tables / R binom.test.
    const [lo, hi] = clopperPearson(5, 20, 0.95);
    expect(lo).toBeCloseTo(0.08657, 4);
    expect(hi).toBeCloseTo(0.49105, 4);
  });
});
