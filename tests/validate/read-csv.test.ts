import { mkdtemp, readFile, rm, writeFile, truncate, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataError } from "../../lib/errors.js";
import { createRng } from "../../lib/util/random.js";
import { INDUSTRIAL_TABLE, writeIndustrial } from "../../lib/simulate/industrial.js";
import { suiteFromTableSchema } from "../../lib/validate/expectations.js";
import { readCsvChunks, type CsvBlock } from "../../lib/validate/read-csv.js";
import { validateCsvFile } from "../../lib/validate/run.js";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "val-csv-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const columns = [
  { name: "ts", type: "timestamp" as const },
  { name: "device", type: "int32" as const },
  { name: "rpm", type: "float64" as const },
  { name: "state", type: "category" as const },
  { name: "ok", type: "bool" as const },
];

async function readAll(path: string, opts: Partial<Parameters<typeof readCsvChunks>[1]> = {}): Promise<CsvBlock[]> {
  const out: CsvBlock[] = [];
  for await (const b of readCsvChunks(path, { columns, chunkRows: 2, ...opts })) out.push(b);
  return out;
}

describe("CSV reader on corrupted input", () => {
  it("quarantines wrong field counts, bad numbers, bad timestamps, bad ints, blank and truncated lines with line numbers", async () => {
    const path = join(dir, "bad.csv");
    await writeFile(
      path,
      [
        "ts,device,rpm,state,ok",
        "2026-01-01T00:00:00Z,1,1500.5,RUN,true", // line 2 good
        "2026-01-01T00:00:01Z,1,1500.5,RUN", // 3: too few fields
        "2026-01-01T00:00:02Z,1,15x0,RUN,true", // 4: bad number
        "yesterday,1,1500,RUN,false", // 5: bad timestamp
        "2026-01-01T00:00:03Z,1.5,1500,RUN,1", // 6: bad integer
        "", // 7: blank line
        '2026-01-01T00:00:04Z,2,,"IDLE, waiting",0', // 8 good (quoted comma, empty rpm = null)
        "2026-01-01T00:00:05Z,2,1600,RUN,maybe", // 9: bad bool
        "2026-01-01T00:00:06Z,2,16", // 10: truncated last line
      ].join("\n"),
    );
    const blocks = await readAll(path);
    const good = blocks.reduce((a, b) => a + b.chunk.length, 0);
    const quarantined = blocks.flatMap((b) => b.quarantined);
    expect(good + quarantined.length).toBe(9);
    expect(good).toBe(2);
    const byLine = Object.fromEntries(quarantined.map((q) => [q.line, q.reasons.join("; ")]));
    expect(byLine[3]).toBe("line 3: expected 5 fields, found 4");
    expect(byLine[4]).toBe('line 4: column rpm: "15x0" is not a number');
    expect(byLine[5]).toMatch(/column ts: "yesterday" is not an ISO-8601 timestamp/);
    expect(byLine[6]).toMatch(/column device: "1.5" is not an integer/);
    expect(byLine[7]).toBe("line 7: blank line");
    expect(byLine[9]).toMatch(/column ok: "maybe" is not a boolean/);
    expect(byLine[10]).toBe("line 10: truncated last line: expected 5 fields, found 3");
    expect(quarantined.find((q) => q.line === 4)!.values).toMatchObject({ rpm: "15x0", state: "RUN" });
    const second = blocks.find((b) => b.chunk.length > 0 && Array.from(b.chunk.lines!).includes(8))!;
    const k = Array.from(second.chunk.lines!).indexOf(8);
    expect((second.chunk.columns.state as string[])[k]).toBe("IDLE, waiting");
    expect(Number.isNaN((second.chunk.columns.rpm as Float64Array)[k])).toBe(true);
    expect((second.chunk.columns.ts as Float64Array)[k]).toBe(Date.parse("2026-01-01T00:00:04Z"));
  });

  it("quarantines a cut-off final line even when its field count looks right, if asked to", async () => {
    const path = join(dir, "cut.csv");
    await writeFile(path, "ts,device,rpm,state,ok\n2026-01-01T00:00:00Z,1,1500,RUN,tr");
    const lax = (await readAll(path)).flatMap((b) => b.quarantined);
    expect(lax[0].reasons[0]).toMatch(/"tr" is not a boolean/);
    await writeFile(path, "ts,device,rpm,state,ok\n2026-01-01T00:00:00Z,1,1500,RUN,true");
    expect((await readAll(path)).flatMap((b) => b.quarantined)).toHaveLength(0);
    const strict = (await readAll(path, { requireFinalNewline: true })).flatMap((b) => b.quarantined);
    expect(strict[0].reasons).toEqual(["line 2: truncated last line: no line terminator"]);
  });

  it("fails with a DataError naming the file for missing columns, duplicate headers and empty files", async () => {
    const path = join(dir, "cols.csv");
    await writeFile(path, "ts,device,state,ok\n2026-01-01T00:00:00Z,1,RUN,true\n");
    await expect(readAll(path)).rejects.toThrow(DataError);
    await expect(readAll(path)).rejects.toThrow(`${path}: header lacks column "rpm"`);
    await writeFile(path, "ts,device,rpm,rpm,state,ok\n");
    await expect(readAll(path)).rejects.toThrow(/repeats column "rpm"/);
    await writeFile(path, "");
    await expect(readAll(path)).rejects.toThrow(/empty file/);
    await expect(readAll(join(dir, "nope.csv"))).rejects.toThrow(/nope\.csv: cannot read/);
  });
});

describe("validating a generated file end to end", () => {
  it("corrupted, duplicated, disordered and truncated rows are quarantined; nothing is dropped", async () => {
    const out = await writeIndustrial({ devices: 3, samplesPerDevice: 2000, faults: { ratePerDeviceHour: 0 } }, createRng(5), join(dir, "gen"));
    const src = out.tables[0].path;
    const lines = (await readFile(src, "utf8")).split("\n");
    expect(lines.at(-1)).toBe("");
    lines.pop();
    const dataLines = lines.length - 1;
    lines[10] = lines[10].replace(/,RUN,|,IDLE,|,MAINT,/, ",EXPLODED,"); // unknown state (line 11)
    lines[20] = lines[20].split(",").slice(0, 5).join(","); // wrong field count (line 21)
    lines[30] = lines[30].replace(/^([^,]+),(\d+),(\w+),[^,]+,/, "$1,$2,$3,abc,"); // unparseable voltage (line 31)
    lines.splice(41, 0, lines[40]); // duplicate of line 41 inserted as line 42
    // Line 100 moves back in time for its device: a copy of an earlier instant of the same device.
    const early = lines[4].split(",");
    const moved = lines[100].split(",");
    moved[0] = early[0];
    moved[1] = early[1];
    lines[100] = moved.join(",");
    const path = join(dir, "corrupt.csv");
    await writeFile(path, lines.join("\n") + "\n");
    // Truncate mid-way through the last line.
    await truncate(path, (await stat(path)).size - 12);

    const report = await validateCsvFile(path, suiteFromTableSchema(INDUSTRIAL_TABLE, { nullableMostly: 0.99 }), {
      columns: INDUSTRIAL_TABLE,
      chunkRows: 500,
      goodPath: join(dir, "good.csv"),
      quarantinePath: join(dir, "quarantine.jsonl"),
      reportPath: join(dir, "report.json"),
      summaryPath: join(dir, "report.txt"),
    });
    expect(report.rowsIn).toBe(dataLines + 1);
    expect(report.rowsGood + report.rowsQuarantined).toBe(report.rowsIn);
    const good = (await readFile(join(dir, "good.csv"), "utf8")).trim().split("\n");
    const quarantine = (await readFile(join(dir, "quarantine.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { line: number; reasons: string[] });
    expect(good.length - 1).toBe(report.rowsGood);
    expect(quarantine.length).toBe(report.rowsQuarantined);
    const byLine = new Map(quarantine.map((q) => [q.line, q.reasons.join("; ")]));
    expect(byLine.get(11)).toMatch(/in_set\(state.*"EXPLODED"/);
    expect(byLine.get(21)).toMatch(/expected 9 fields, found 5/);
    expect(byLine.get(31)).toMatch(/column voltage_v: "abc" is not a number/);
    expect(byLine.get(42)).toMatch(/unique\(device_id, timestamp\): duplicate key/);
    expect(byLine.get(101)).toMatch(/duplicate key|monotonic/);
    expect(byLine.get(dataLines + 2)).toMatch(/truncated last line/);
    expect(report.rowsQuarantined).toBe(6);
    // The good file is itself valid: re-validating quarantines nothing.
    const again = await validateCsvFile(join(dir, "good.csv"), suiteFromTableSchema(INDUSTRIAL_TABLE), { columns: INDUSTRIAL_TABLE });
    expect(again.rowsQuarantined).toBe(0);
    expect(again.rowsIn).toBe(report.rowsGood);
    const summary = await readFile(join(dir, "report.txt"), "utf8");
    expect(summary).toMatch(/Validation FAILED/);
    expect(summary).toMatch(/6 quarantined \(3 unparseable\)/);
    const json = JSON.parse(await readFile(join(dir, "report.json"), "utf8")) as { rowsIn: number };
    expect(json.rowsIn).toBe(report.rowsIn);
  });

  it("a missing column fails its expectations in the report instead of aborting", async () => {
    const path = join(dir, "nocol.csv");
    await writeFile(path, "timestamp,device_id,state\n2026-01-01T00:00:00.000Z,1,RUN\n");
    const report = await validateCsvFile(path, suiteFromTableSchema(INDUSTRIAL_TABLE), { columns: INDUSTRIAL_TABLE });
    const missing = report.expectations.filter((e) => e.note?.startsWith("missing column")).map((e) => e.label);
    expect(missing).toContain("column_exists(rpm)");
    expect(report.success).toBe(false);
    expect(report.rowsGood).toBe(1);
  });
});
