import { describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/errors.js";
import { createRng } from "../../lib/util/random.js";
import { VEHICLE_TABLE, VehicleConfigSchema, simulateVehicle, streamVehicle, type VehicleChunk } from "../../lib/simulate/vehicle.js";
import { chunksToCsv } from "../../lib/simulate/format.js";
import { suiteFromTableSchema } from "../../lib/validate/expectations.js";
import { validateTable } from "../../lib/validate/validator.js";

const profiles = ["aggressive", "normal", "safe", "aggressive", "normal", "safe"] as const;

describe("vehicle simulator", () => {
  const sim = simulateVehicle({ profiles: [...profiles], trips: 6, tripSeconds: 600, hz: 20 }, createRng(42));
  const c = sim.table.columns;
  const cfg = VehicleConfigSchema.parse({});

  it("rejects rates outside 10-50 Hz and unknown keys", () => {
    expect(() => simulateVehicle({ hz: 60 }, createRng(1))).toThrow(ConfigError);
    expect(() => simulateVehicle({ wheels: 4 } as never, createRng(1))).toThrow(/wheels/);
  });

  it("obeys the drivetrain relation exactly whenever the clutch is engaged", () => {
    const r = cfg.vehicle.wheelRadiusM;
    const ratios = cfg.vehicle.gearRatios;
    const fd = cfg.vehicle.finalDrive;
    let engaged = 0;
    let worst = 0;
    for (let i = 0; i < sim.table.length; i++) {
      if (c.clutch_engaged[i] !== 1) continue;
      engaged++;
      // speed = rpm * 2 pi r_wheel / (gear ratio * final drive) * 60 / 1000, written out independently here.
      const speed = ((c.rpm[i] * 2 * Math.PI * r) / (ratios[c.gear[i] - 1] * fd)) * (60 / 1000);
      worst = Math.max(worst, Math.abs(speed - c.speed_kmh[i]) / Math.max(1, c.speed_kmh[i]));
    }
    expect(engaged).toBeGreaterThan(0.8 * sim.table.length);
    expect(worst).toBeLessThan(1e-12);
  });

  it("keeps rpm between idle and redline when engaged, and values inside the documented ranges", () => {
    let bad = 0;
    for (let i = 0; i < sim.table.length; i++) {
      if (c.clutch_engaged[i] === 1 && (c.rpm[i] < cfg.vehicle.idleRpm || c.rpm[i] > cfg.vehicle.redlineRpm)) bad++;
    }
    expect(bad).toBe(0);
    const { report } = validateTable(sim.table, suiteFromTableSchema(VEHICLE_TABLE), { schema: VEHICLE_TABLE });
    expect(report.rowsQuarantined).toBe(0);
  });

  it("brakes heat only while braking and cool toward ambient otherwise; the engine warms toward its equilibrium", () => {
    let heatingWithoutBraking = 0;
    for (let i = 1; i < sim.table.length; i++) {
      if (c.trip_id[i] !== c.trip_id[i - 1]) continue;
      if (c.brake[i] === 0 && c.brake_temp_c[i] > c.brake_temp_c[i - 1] + 1e-9 && c.brake_temp_c[i - 1] > c.ambient_c[i]) heatingWithoutBraking++;
    }
    expect(heatingWithoutBraking).toBe(0);
    let maxBrake = 0;
    for (let i = 0; i < sim.table.length; i++) maxBrake = Math.max(maxBrake, c.brake_temp_c[i]);
    expect(maxBrake).toBeGreaterThan(c.ambient_c[0] + 30);
    // At the end of a 10-minute trip the coolant is near its 85-100 degC operating band.
    for (let trip = 1; trip <= 6; trip++) {
      let last = -1;
      for (let i = 0; i < sim.table.length; i++) if (c.trip_id[i] === trip) last = i;
      expect(c.engine_temp_c[last]).toBeGreaterThan(60);
      expect(c.engine_temp_c[last]).toBeLessThan(130);
    }
  });

  it("profiles differ in acceleration, braking and shift points", () => {
    const stats = (profile: number) => {
      let maxRpm = 0;
      let hardBrake = 0;
      let maxAccel = 0;
      let n = 0;
      for (let i = 0; i < sim.table.length; i++) {
        if (c.profile[i] !== profile) continue;
        n++;
        if (c.clutch_engaged[i] === 1) maxRpm = Math.max(maxRpm, c.rpm[i]);
        if (c.accel_mps2[i] < -4) hardBrake++;
        maxAccel = Math.max(maxAccel, c.accel_mps2[i]);
      }
      return { maxRpm, hardBrake: hardBrake / n, maxAccel };
    };
    const [aggressive, normal, safe] = [stats(0), stats(1), stats(2)];
    expect(aggressive.maxRpm).toBeGreaterThan(normal.maxRpm + 1000);
    expect(normal.maxRpm).toBeGreaterThan(safe.maxRpm);
    expect(aggressive.maxAccel).toBeGreaterThan(normal.maxAccel);
    expect(normal.maxAccel).toBeGreaterThan(safe.maxAccel);
    expect(aggressive.hardBrake).toBeGreaterThan(0.01);
    expect(safe.hardBrake).toBe(0);
  });

  it("streams the same samples as the batch, at 20 Hz", async () => {
    const chunks: VehicleChunk[] = [];
    for await (const ch of streamVehicle({ profiles: [...profiles], trips: 6, tripSeconds: 600, hz: 20, chunkSamples: 20 }, createRng(42))) chunks.push(ch);
    expect(chunks.every((ch) => ch.length === 20)).toBe(true);
    expect(chunksToCsv(VEHICLE_TABLE, chunks)).toBe(chunksToCsv(VEHICLE_TABLE, [sim.table]));
    expect(c.timestamp[1] - c.timestamp[0]).toBe(50);
  });

  it("stops a stream when its signal aborts", async () => {
    const ac = new AbortController();
    let n = 0;
    for await (const ch of streamVehicle({ trips: 1, chunkSamples: 10 }, createRng(1), { signal: ac.signal })) {
      n += ch.length;
      if (n >= 30) ac.abort();
    }
    expect(n).toBe(30);
  });
});
