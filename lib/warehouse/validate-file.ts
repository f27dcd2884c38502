/**
 * Validate one raw file (CSV, Parquet or JSON lines) against its table's suite without loading it:
 * the report, the quarantined rows with reasons and a readable summary go to the given paths.
 */
import { resolve } from "node:path";
import { DataError } from "../errors.js";
import { validateCsvFile, validateChunks, type ValidationOutputs } from "../validate/run.js";
import type { ValidationReport } from "../validate/validator.js";
import { openWarehouse } from "./db.js";
import { duckChunks } from "./ingest.js";
import { type RawTable, rawTableForPath, rawTableNamed } from "./tables.js";

/** Validate a raw file; the suite is named or judged from the file name. */
export async function validateRawFile(
  path: string,
  options: ValidationOutputs & { suite?: string; chunkRows?: number; sqlDir?: string; memoryLimit?: string } = {},
): Promise<{ table: RawTable; report: ValidationReport }> {
  const file = resolve(path);
  const table = options.suite ? rawTableNamed(options.suite) : rawTableForPath(file);
  if (!table) throw new DataError(`${file}: cannot tell which table this file holds; pass a suite (e.g. --suite fleet-trips)`);
  const outputs: ValidationOutputs = { quarantinePath: options.quarantinePath, reportPath: options.reportPath, summaryPath: options.summaryPath };
  const lower = file.toLowerCase();
  if (lower.endsWith(".csv")) {
    // The byte-level reader and the column kernels of lib/validate: no database involved.
    const report = await validateCsvFile(file, table.suite, { columns: table.schema, chunkRows: options.chunkRows, ...outputs });
    return { table, report };
  }
  const format = lower.endsWith(".parquet") ? "parquet" : lower.endsWith(".jsonl") || lower.endsWith(".ndjson") ? "jsonl" : null;
  if (!format) throw new DataError(`${file}: cannot tell the format; use .csv, .parquet or .jsonl`);
  const wh = await openWarehouse({ path: ":memory:", sqlDir: options.sqlDir, memoryLimit: options.memoryLimit, ledger: false });
  try {
    const report = await validateChunks(duckChunks(wh, table, file, format, options.chunkRows ?? 65_536), table.suite, {
      schema: table.schema,
      source: file,
      ...outputs,
    });
    return { table, report };
  } finally {
    wh.close();
  }
}
