/**
 * Chunked file output of generator tables in CSV, JSONL or Parquet. Chunks are formatted and written
 * one at a time, so memory is bounded by the chunk size whatever the row count.
 */
import { open } from "node:fs/promises";
import { ConfigError } from "../errors.js";
import { csvFormatterFor, jsonlFormatterFor } from "./format.js";
import { writeParquet, type ParquetOptions } from "./parquet.js";
import type { AnyChunk, TableSchema } from "./table.js";

/** The file formats every generator writes. */
export type TableFormat = "csv" | "jsonl" | "parquet";

/** What a table write produced. */
export interface WriteResult {
  path: string;
  format: TableFormat;
  rows: number;
}

/** The format implied by a file name (.csv, .jsonl/.ndjson, .parquet), or a ConfigError. */
export function formatOfPath(path: string): TableFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return "jsonl";
  if (lower.endsWith(".parquet")) return "parquet";
  throw new ConfigError(`cannot tell the table format of "${path}": use .csv, .jsonl or .parquet`);
}

/** Write chunks of a schema to `path` in the given (or path-implied) format. */
export async function writeTable(
  schema: TableSchema,
  source: Iterable<AnyChunk> | AsyncIterable<AnyChunk>,
  path: string,
  format: TableFormat = formatOfPath(path),
  options: ParquetOptions = {},
): Promise<WriteResult> {
  if (format === "parquet") {
    const rows = await writeParquet(schema, source, path, options);
    return { path, format, rows };
  }
  const formatter = format === "csv" ? csvFormatterFor(schema) : jsonlFormatterFor(schema);
  const handle = await open(path, "w");
  let rows = 0;
  try {
    const header = formatter.header();
    if (header.length > 0) await handle.write(header);
    for await (const chunk of source) {
      if (chunk.length === 0) continue;
      await handle.write(formatter.format(chunk));
      rows += chunk.length;
    }
  } finally {
    await handle.close();
  }
  return { path, format, rows };
}
