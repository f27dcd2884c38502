import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createRng } from "../../lib/util/random.js";
import { writeFleet } from "../../lib/simulate/fleet.js";
import { writeIndustrial } from "../../lib/simulate/industrial.js";
import { writeVehicle } from "../../lib/simulate/vehicle.js";
import { writeEv } from "../../lib/simulate/ev.js";

const dirs: string[] = [];
async function scratch(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "sim-det-"));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const md5 = async (path: string): Promise<string> => createHash("md5").update(await readFile(path)).digest("hex");

type Writer = (seed: number, dir: string, chunkRows: number) => Promise<string[]>;

const generators: Record<string, Writer> = {
  fleet: async (seed, dir, chunkRows) => {
    await writeFleet({ days: 10, tripsPerDay: 500, chunkRows, regressions: [{ onsetDay: 4, durationDays: 3, hazardRatio: 2 }] }, createRng(seed), dir, ["csv"]);
    return ["fleet_trips.csv", "fleet_events.csv", "fleet_trip_truth.csv", "fleet_daily_truth.csv", "fleet_ground_truth.json"];
  },
  industrial: async (seed, dir, chunkRows) => {
    await writeIndustrial({ devices: 5, samplesPerDevice: 5000, chunkRows, faults: { ratePerDeviceHour: 2 } }, createRng(seed), dir, ["csv"]);
    return ["industrial_telemetry.csv"];
  },
  vehicle: async (seed, dir, chunkRows) => {
    await writeVehicle({ trips: 3, tripSeconds: 60, chunkSamples: chunkRows }, createRng(seed), dir, ["csv"]);
    return ["vehicle_telemetry.csv", "vehicle_trips.json"];
  },
  ev: async (seed, dir, chunkRows) => {
    await writeEv({ vehicles: 30, days: 120, chunkRows }, createRng(seed), dir, ["csv"]);
    return ["ev_daily.csv"];
  },
};

describe.each(Object.keys(generators))("%s generator determinism", (name) => {
  it("same seed gives identical bytes (whatever the chunk size); a different seed gives different bytes", async () => {
    const gen = generators[name];
    const a = await scratch();
    const b = await scratch();
    const c = await scratch();
    const d = await scratch();
    const files = await gen(7, a, 1000);
    await gen(7, d, 1000);
    await gen(7, b, 333);
    await gen(8, c, 1000);
    for (const f of files) {
      const ha = await md5(join(a, f));
      expect(await md5(join(d, f)), f).toBe(ha);
      // The truth JSON records the config, chunk size included, so only the tables compare across chunkings.
      if (f.endsWith(".csv")) expect(await md5(join(b, f)), f).toBe(ha);
      if (f.endsWith(".csv") && !f.includes("daily_truth")) expect(await md5(join(c, f)), f).not.toBe(ha);
    }
    const text = await readFile(join(a, files[0]), "utf8");
    expect(text.split("\n").length).toBeGreaterThan(100);
  });
});
