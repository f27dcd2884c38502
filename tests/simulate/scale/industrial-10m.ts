/**
 * Scale check (not part of the default suite): stream N industrial rows (default 10M) to CSV and to
 * Parquet, reporting rows/s, peak heap and peak RSS; optionally validate the CSV back (--validate).
 *
 *   npx tsx tests/simulate/scale/industrial-10m.ts [rows] [--validate] [--dir /tmp/x]
 */
import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { createRng } from "../../../lib/util/random.js";
import { INDUSTRIAL_TABLE, createIndustrialSimulation, type IndustrialChunk } from "../../../lib/simulate/industrial.js";
import { writeTable, type TableFormat } from "../../../lib/simulate/write.js";
import { suiteFromTableSchema } from "../../../lib/validate/expectations.js";
import { validateCsvFile } from "../../../lib/validate/run.js";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rows = Number(args.find((a) => /^\d/.test(a)) ?? 10_000_000);
  const dirArg = args.indexOf("--dir");
  const dir = dirArg >= 0 ? args[dirArg + 1] : "/tmp/industrial-scale";
  await mkdir(dir, { recursive: true });
  const devices = 100;
  const config = { devices, samplesPerDevice: Math.ceil(rows / devices) };
  const mb = (b: number): string => (b / 1e6).toFixed(0);
  console.log(`rows=${devices * config.samplesPerDevice} devices=${devices} node=${process.version}`);

  let peakHeap = 0;
  let peakRss = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  };
  const timer = setInterval(sample, 100);

  for (const format of ["csv", "parquet"] as TableFormat[]) {
    peakHeap = 0;
    peakRss = 0;
    const sim = createIndustrialSimulation(config, createRng(1));
    function* watched(): Generator<IndustrialChunk> {
      for (const c of sim.chunks()) {
        sample();
        yield c;
      }
    }
    const path = join(dir, `industrial.${format}`);
    const t0 = performance.now();
    const res = await writeTable(INDUSTRIAL_TABLE, watched(), path, format);
    const s = (performance.now() - t0) / 1000;
    const size = (await stat(path)).size;
    console.log(
      `${format.padEnd(8)} rows=${res.rows} time=${s.toFixed(1)}s rate=${(res.rows / s / 1e6).toFixed(2)}M rows/s file=${mb(size)}MB peakHeap=${mb(peakHeap)}MB peakRSS=${mb(peakRss)}MB`,
    );
  }
  {
    const sim = createIndustrialSimulation(config, createRng(1));
    const t0 = performance.now();
    let n = 0;
    for (const c of sim.chunks()) n += c.length;
    const s = (performance.now() - t0) / 1000;
    console.log(`generate-only rows=${n} time=${s.toFixed(1)}s rate=${(n / s / 1e6).toFixed(2)}M rows/s`);
  }
  if (args.includes("--validate")) {
    peakHeap = 0;
    peakRss = 0;
    const t0 = performance.now();
    const report = await validateCsvFile(join(dir, "industrial.csv"), suiteFromTableSchema(INDUSTRIAL_TABLE, { nullableMostly: 0.99 }), {
      columns: INDUSTRIAL_TABLE,
      quarantinePath: join(dir, "quarantine.jsonl"),
    });
    const s = (performance.now() - t0) / 1000;
    console.log(
      `validate rows=${report.rowsIn} quarantined=${report.rowsQuarantined} time=${s.toFixed(1)}s rate=${(report.rowsIn / s / 1e6).toFixed(2)}M rows/s peakHeap=${mb(peakHeap)}MB peakRSS=${mb(peakRss)}MB`,
    );
  }
  clearInterval(timer);
  if (!args.includes("--keep")) await rm(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
