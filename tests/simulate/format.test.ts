import fc from "fast-check";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, expectTypeOf, it } from "vitest";
import { createRng } from "../../lib/util/random.js";
import { chunksToCsv, chunksToJsonl } from "../../lib/simulate/format.js";
import { INDUSTRIAL_TABLE, simulateIndustrial, type IndustrialRow } from "../../lib/simulate/industrial.js";
import { FLEET_TRIPS_TABLE, simulateFleet, writeFleet } from "../../lib/simulate/fleet.js";
import { defineTable, rowAt, rowJsonSchema, rowZodSchema, type AnyChunk } from "../../lib/simulate/table.js";
import { writeTable } from "../../lib/simulate/write.js";
import { parseCsvText } from "../../lib/validate/csv-parser.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("text formatting", () => {
  it("prints quantized floats exactly as String(v) does, and anything else too", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), fc.integer({ min: -1e12, max: 1e12 }), fc.double({ noNaN: true, noDefaultInfinity: true }), (d, m, raw) => {
        const schema = defineTable({ name: "t", description: "", columns: [{ name: "x", type: "float64", decimals: d, description: "" }] });
        const values = Float64Array.of(m / 10 ** d, raw, -0);
        const text = chunksToCsv(schema, [{ length: 3, columns: { x: values } }]);
        expect(text).toBe(`x\n${String(values[0])}\n${String(values[1])}\n0\n`);
      }),
      { numRuns: 2000 },
    );
  });

  it("prints timestamps exactly as Date#toISOString for years 0000-9999", () => {
    fc.assert(
      fc.property(fc.integer({ min: -62167219200000, max: 253402300799999 }), (ms) => {
        const schema = defineTable({ name: "t", description: "", columns: [{ name: "ts", type: "timestamp", description: "" }] });
        expect(chunksToCsv(schema, [{ length: 1, columns: { ts: Float64Array.of(ms) } }])).toBe(`ts\n${new Date(ms).toISOString()}\n`);
      }),
      { numRuns: 2000 },
    );
  });

  it("quotes categories that need it and leaves nulls empty (CSV) or null (JSONL)", () => {
    const schema = defineTable({
      name: "t",
      description: "",
      columns: [
        { name: "c", type: "category", categories: ["plain", 'has,comma "q"'], description: "" },
        { name: "x", type: "float64", nullable: true, description: "" },
        { name: "b", type: "bool", description: "" },
      ],
    });
    const chunk = { length: 2, columns: { c: Uint8Array.of(0, 1), x: Float64Array.of(NaN, 1.5), b: Uint8Array.of(1, 0) } };
    const csv = chunksToCsv(schema, [chunk]);
    expect(csv).toBe('c,x,b\nplain,,true\n"has,comma ""q""",1.5,false\n');
    expect(parseCsvText(csv).map((r) => r.fields)).toEqual([["c", "x", "b"], ["plain", "", "true"], ['has,comma "q"', "1.5", "false"]]);
    expect(chunksToJsonl(schema, [chunk])).toBe('{"c":"plain","x":null,"b":true}\n{"c":"has,comma \\"q\\"","x":1.5,"b":false}\n');
  });

  it("JSONL rows of a generator satisfy its row schema", () => {
    const sim = simulateIndustrial({ devices: 3, samplesPerDevice: 2000, faults: { ratePerDeviceHour: 5 } }, createRng(2));
    const zs = rowZodSchema(INDUSTRIAL_TABLE);
    const lines = chunksToJsonl(INDUSTRIAL_TABLE, [sim.table]).trim().split("\n");
    expect(lines).toHaveLength(6000);
    for (const line of lines) zs.parse(JSON.parse(line));
    expect(() => zs.parse({ ...JSON.parse(lines[0]), extra: 1 })).toThrow();
    expect(() => zs.parse({ ...JSON.parse(lines[0]), state: "BROKEN" })).toThrow();
  });

  it("derives precise row types from the schema", () => {
    expectTypeOf<IndustrialRow["state"]>().toEqualTypeOf<"RUN" | "IDLE" | "MAINT">();
    expectTypeOf<IndustrialRow["voltage_v"]>().toEqualTypeOf<number | null>();
    expectTypeOf<IndustrialRow["device_id"]>().toEqualTypeOf<number>();
    expectTypeOf<IndustrialRow["timestamp"]>().toEqualTypeOf<string>();
    const sim = simulateIndustrial({ devices: 1, samplesPerDevice: 3 }, createRng(1));
    const row: IndustrialRow = rowAt(INDUSTRIAL_TABLE, sim.table, 0);
    expect(Object.keys(row)).toEqual(INDUSTRIAL_TABLE.columns.map((c) => c.name));
  });

  it("exports a JSON schema per table with every column, its type, enum and documented range", () => {
    const js = rowJsonSchema(FLEET_TRIPS_TABLE) as { properties: Record<string, { type: unknown; enum?: string[]; minimum?: number }>; required: string[]; additionalProperties: boolean };
    expect(Object.keys(js.properties)).toEqual(FLEET_TRIPS_TABLE.columns.map((c) => c.name));
    expect(js.required).toHaveLength(FLEET_TRIPS_TABLE.columns.length);
    expect(js.additionalProperties).toBe(false);
    expect(js.properties.road_type.enum).toEqual(["highway", "urban", "suburban", "rural"]);
    expect(js.properties.trip_id.type).toBe("integer");
    expect(js.properties.miles.minimum).toBe(0);
  });
});

describe("Parquet through DuckDB", () => {
  it("round-trips values, nulls, labels and timestamps", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sim-pq-"));
    dirs.push(dir);
    const sim = simulateIndustrial({ devices: 3, samplesPerDevice: 3000, chunkRows: 1000, faults: { ratePerDeviceHour: 0, episodes: [{ device: 2, type: "sensor_dropout", startSample: 100, durationSamples: 50, channel: "temp_c", mode: "missing" }] } }, createRng(4));
    const path = join(dir, "x.parquet");
    const chunks: AnyChunk[] = [sim.table];
    const res = await writeTable(INDUSTRIAL_TABLE, chunks, path);
    expect(res).toMatchObject({ format: "parquet", rows: 9000 });
    const db = await DuckDBInstance.create(":memory:");
    const con = await db.connect();
    const reader = await con.runAndReadAll(
      `SELECT count(*)::INTEGER AS n, sum(rpm) AS rpm, count(temp_c)::INTEGER AS temps, min(epoch_ms("timestamp"))::DOUBLE AS t0,
              max(epoch_ms("timestamp"))::DOUBLE AS t1, count(*) FILTER (WHERE state = 'RUN')::INTEGER AS run,
              count(*) FILTER (WHERE fault_tag = 'sensor_dropout')::INTEGER AS drop
       FROM read_parquet('${path}')`,
    );
    const [row] = reader.getRowObjectsJson() as Record<string, number>[];
    con.closeSync();
    db.closeSync();
    const c = sim.table.columns;
    const rpm = c.rpm.reduce((a, b) => a + b, 0);
    expect(row.n).toBe(9000);
    expect(Number(row.rpm)).toBeCloseTo(rpm, 3);
    expect(row.temps).toBe(9000 - 50);
    expect(Number(row.t0)).toBe(c.timestamp[0]);
    expect(Number(row.t1)).toBe(c.timestamp[8999]);
    expect(row.run).toBe(c.state.reduce((a, s) => a + (s === 0 ? 1 : 0), 0));
    expect(row.drop).toBe(50);
    // No scratch database is left behind.
    await expect(readFile(`${path}.scratch-${process.pid}.duckdb`)).rejects.toThrow();
  });
});

describe("fleet writer", () => {
  it("writes every table in CSV, JSONL and Parquet with the same rows as the in-memory API, plus the ground truth", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sim-fleet-"));
    dirs.push(dir);
    const config = { days: 6, tripsPerDay: 400, chunkRows: 700, regressions: [{ onsetDay: 2, durationDays: 2, hazardRatio: 3 }] };
    const out = await writeFleet(config, createRng(3), dir, ["csv", "jsonl", "parquet"]);
    const mem = simulateFleet(config, createRng(3));
    const rows = Object.fromEntries(out.tables.map((t) => [t.path.split("/").pop()!, t.rows]));
    for (const f of ["csv", "jsonl", "parquet"]) {
      expect(rows[`fleet_trips.${f}`]).toBe(2400);
      expect(rows[`fleet_events.${f}`]).toBe(mem.events.length);
      expect(rows[`fleet_trip_truth.${f}`]).toBe(2400);
      expect(rows[`fleet_daily_truth.${f}`]).toBe(6 * 3 * 4);
    }
    expect(await readFile(join(dir, "fleet_trips.csv"), "utf8")).toBe(chunksToCsv(mem.tables.trips, [mem.trips]));
    expect(await readFile(join(dir, "fleet_events.jsonl"), "utf8")).toBe(chunksToJsonl(mem.tables.events, [mem.events]));
    const truth = JSON.parse(await readFile(out.truthPath, "utf8")) as { episodes: { onsetDay: number; endDay: number; hazardRatio: number }[]; baseHazardPerMile: number };
    expect(truth.episodes[0]).toMatchObject({ onsetDay: 2, endDay: 4, hazardRatio: 3 });
    expect(truth.baseHazardPerMile).toBe(mem.truth.baseHazardPerMile);
    const db = await DuckDBInstance.create(":memory:");
    const con = await db.connect();
    const r = await con.runAndReadAll(`SELECT sum(critical_events)::INTEGER AS c, count(DISTINCT firmware)::INTEGER AS f FROM read_parquet('${join(dir, "fleet_trips.parquet")}')`);
    const [row] = r.getRowObjectsJson() as Record<string, number>[];
    con.closeSync();
    db.closeSync();
    expect(row.c).toBe(mem.trips.columns.critical_events.reduce((a, b) => a + b, 0));
    expect(row.f).toBe(1);
  });
});
