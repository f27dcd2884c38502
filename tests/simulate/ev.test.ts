import { describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/errors.js";
import { createRng } from "../../lib/util/random.js";
import { EV_DTC_CODES, EV_FAILURE_MODES, EV_TABLE, EvConfigSchema, simulateEv, type EvFailureMode } from "../../lib/simulate/ev.js";
import { suiteFromTableSchema } from "../../lib/validate/expectations.js";
import { validateTable } from "../../lib/validate/validator.js";

describe("EV telematics", () => {
  const sim = simulateEv({ vehicles: 300, days: 365, failureRatePerVehicleYear: 0.6 }, createRng(77));
  const c = sim.table.columns;
  const row = (vehicle: number, day: number): number => (vehicle - 1) * 365 + day;

  it("has documented defaults and rejects unknown keys", () => {
    const d = EvConfigSchema.parse({});
    expect(d.vehicles).toBe(100);
    expect(d.days).toBe(365);
    expect(() => simulateEv({ cars: 3 } as never, createRng(1))).toThrow(ConfigError);
  });

  it("passes the suite its own schema implies", () => {
    expect(sim.table.length).toBe(300 * 365);
    const { report } = validateTable(sim.table, suiteFromTableSchema(EV_TABLE), { schema: EV_TABLE });
    expect(report.rowsQuarantined).toBe(0);
  });

  it("labels agree with the failure days of the ground truth", () => {
    const next = new Float64Array(sim.table.length).fill(NaN);
    const nextMode = new Uint8Array(sim.table.length);
    // Walk each vehicle backwards through its failures to get the next failure day independently.
    for (let v = 1; v <= 300; v++) {
      const fails = sim.failures.filter((f) => f.vehicleId === v).sort((a, b) => a.day - b.day);
      for (let d = 0; d < 365; d++) {
        const f = fails.find((x) => x.day >= d);
        if (f) {
          next[row(v, d)] = f.day - d;
          nextMode[row(v, d)] = EV_FAILURE_MODES.indexOf(f.mode);
        }
      }
    }
    let bad = 0;
    let failures = 0;
    for (let i = 0; i < sim.table.length; i++) {
      const dtf = next[i];
      if (!(Object.is(c.days_to_failure[i], dtf) || c.days_to_failure[i] === dtf)) bad++;
      for (const [h, col] of [
        [7, c.failure_within_7d],
        [14, c.failure_within_14d],
        [30, c.failure_within_30d],
      ] as const) {
        if (col[i] !== (dtf >= 1 && dtf <= h ? 1 : 0)) bad++;
      }
      if (c.failure[i] !== (dtf === 0 ? 1 : 0)) bad++;
      if (c.failure[i] === 1) {
        failures++;
        if (c.failure_mode[i] !== nextMode[i]) bad++;
      } else if (c.failure_mode[i] !== 0) bad++;
      if (c.next_failure_mode[i] !== (dtf <= 30 ? nextMode[i] : 0)) bad++;
      // Nested horizons.
      if (c.failure_within_7d[i] > c.failure_within_14d[i] || c.failure_within_14d[i] > c.failure_within_30d[i]) bad++;
    }
    expect(bad).toBe(0);
    expect(failures).toBe(sim.failures.filter((f) => f.day < 365).length);
    expect(failures).toBeGreaterThan(100);
  });

  it("vehicles are in repair right after a failure and drive no distance then", () => {
    let bad = 0;
    for (const f of sim.failures) {
      for (let d = f.day + 1; d <= Math.min(364, f.day + f.repairDays); d++) {
        const i = row(f.vehicleId, d);
        if (c.in_repair[i] !== 1 || c.distance_km[i] !== 0) bad++;
      }
    }
    expect(bad).toBe(0);
  });

  it("each failure mode is preceded by its degradation precursor", () => {
    const signature: Record<EvFailureMode, (i: number) => number> = {
      battery_thermal: (i) => c.cell_temp_max_c[i] - c.ambient_c[i],
      cell_imbalance: (i) => c.cell_voltage_spread_mv[i],
      motor_overheat: (i) => (c.distance_km[i] > 0 ? c.motor_temp_max_c[i] - c.ambient_c[i] : NaN),
      charging_system: (i) => c.charge_failures[i],
    };
    const margin: Record<EvFailureMode, number> = { battery_thermal: 5, cell_imbalance: 40, motor_overheat: 10, charging_system: 0.2 };
    for (const mode of ["battery_thermal", "cell_imbalance", "motor_overheat", "charging_system"] as const) {
      const fs = sim.failures.filter((f) => f.mode === mode && f.day < 365 && f.day - f.precursorDays - 30 >= 0);
      expect(fs.length).toBeGreaterThan(5);
      const mean = (vals: number[]): number => {
        const ok = vals.filter(Number.isFinite);
        return ok.reduce((a, b) => a + b, 0) / ok.length;
      };
      const late: number[] = [];
      const early: number[] = [];
      for (const f of fs) {
        for (let d = f.day - 4; d <= f.day; d++) late.push(signature[mode](row(f.vehicleId, d)));
        for (let d = f.day - f.precursorDays - 30; d < f.day - f.precursorDays; d++) early.push(signature[mode](row(f.vehicleId, d)));
      }
      expect(mean(late) - mean(early), mode).toBeGreaterThan(margin[mode]);
    }
  });

  it("trouble codes of the failing subsystem concentrate in the week before a failure", () => {
    let codeNear = 0;
    let daysNear = 0;
    let codeFar = 0;
    let daysFar = 0;
    const codeOf: Record<EvFailureMode, string> = { battery_thermal: "P0A7E", cell_imbalance: "P0A80", motor_overheat: "P0A2F", charging_system: "P0D27" };
    for (const f of sim.failures.filter((x) => x.day < 365 && x.day >= 60)) {
      const code = EV_DTC_CODES.indexOf(codeOf[f.mode] as (typeof EV_DTC_CODES)[number]);
      for (let d = f.day - 7; d < f.day; d++) {
        daysNear++;
        if (c.dtc_code[row(f.vehicleId, d)] === code) codeNear++;
      }
      for (let d = f.day - 60; d < f.day - 45; d++) {
        daysFar++;
        if (c.dtc_code[row(f.vehicleId, d)] === code) codeFar++;
      }
    }
    expect(codeNear / daysNear).toBeGreaterThan(0.3);
    expect(codeFar / daysFar).toBeLessThan(0.05);
  });

  it("state of charge stays within 0-100 and health degrades over a year", () => {
    let first = 0;
    let last = 0;
    for (let v = 1; v <= 300; v++) {
      first += c.soh_pct[row(v, 0)];
      last += c.soh_pct[row(v, 364)];
    }
    // Pack swaps after battery failures reset some vehicles, so compare the fleet mean only.
    expect(last / 300).toBeLessThan(first / 300);
  });
});
