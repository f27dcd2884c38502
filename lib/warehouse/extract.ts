/**
 * Extracts of the star schema for BI tools (the reference platform fed Tableau and Power BI): each
 * table written by DuckDB's COPY as Parquet (zstd) and/or CSV with a header.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { DataError } from "../errors.js";
import { type Warehouse, ident, literal } from "./db.js";
import { STAR_TABLES } from "./star.js";

/** One extracted file. */
export interface ExtractFile {
  table: string;
  format: "parquet" | "csv";
  path: string;
  rows: number;
}

/** Write the star-schema tables (default: all) to `dir` as Parquet and/or CSV. */
export async function extractStar(
  wh: Warehouse,
  dir: string,
  options: { formats?: readonly ("parquet" | "csv")[]; tables?: readonly string[] } = {},
): Promise<ExtractFile[]> {
  const formats = options.formats ?? ["parquet", "csv"];
  const tables = options.tables ?? STAR_TABLES;
  const out = resolve(dir);
  mkdirSync(out, { recursive: true });
  const files: ExtractFile[] = [];
  for (const table of tables) {
    if (!(await wh.hasTable(table))) throw new DataError(`warehouse: ${table} does not exist; build the star schema first`);
    const rows = await wh.count(table);
    for (const format of formats) {
      const path = join(out, `${table}.${format}`);
      const opts = format === "parquet" ? "FORMAT parquet, COMPRESSION zstd" : "FORMAT csv, HEADER true";
      // Timestamps keep their ISO form in CSV; ordering by the first column keeps extracts stable.
      await wh.exec(`COPY (SELECT * FROM ${ident(table)} ORDER BY 1) TO ${literal(path)} (${opts})`);
      files.push({ table, format, path, rows });
    }
  }
  return files;
}
