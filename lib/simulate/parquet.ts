/**
 * Parquet output through embedded DuckDB: chunks are appended as typed vectors into a scratch
 * database file (so memory stays bounded by DuckDB's memory limit, not by the row count), then one
 * COPY turns category codes into labels and epoch milliseconds into TIMESTAMP while writing Parquet.
 */
import { rm } from "node:fs/promises";
import {
  DuckDBBooleanType,
  DuckDBDataChunk,
  DuckDBDoubleType,
  DuckDBInstance,
  DuckDBIntegerType,
  DuckDBUTinyIntType,
  type DuckDBType,
} from "@duckdb/node-api";
import type { AnyChunk, ColumnArray, TableSchema } from "./table.js";

/** Options of the Parquet writer. */
export interface ParquetOptions {
  /** Parquet compression codec (default zstd). */
  compression?: "zstd" | "snappy" | "gzip" | "uncompressed";
  /** DuckDB memory limit while loading (default 512MB). */
  memoryLimit?: string;
}

const VECTOR_SIZE = 2048;

function duckType(type: string): DuckDBType {
  switch (type) {
    case "int32":
      return DuckDBIntegerType.instance;
    case "bool":
      return DuckDBBooleanType.instance;
    case "category":
      return DuckDBUTinyIntType.instance;
    default:
      return DuckDBDoubleType.instance;
  }
}

function sqlType(type: string): string {
  switch (type) {
    case "int32":
      return "INTEGER";
    case "bool":
      return "BOOLEAN";
    case "category":
      return "UTINYINT";
    default:
      return "DOUBLE";
  }
}

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** Write chunks of one schema to a Parquet file; returns the number of rows written. */
export async function writeParquet(
  schema: TableSchema,
  source: Iterable<AnyChunk> | AsyncIterable<AnyChunk>,
  path: string,
  options: ParquetOptions = {},
): Promise<number> {
  const scratch = `${path}.scratch-${process.pid}.duckdb`;
  await rm(scratch, { force: true });
  const instance = await DuckDBInstance.create(scratch, {
    memory_limit: options.memoryLimit ?? "512MB",
    preserve_insertion_order: "true",
  });
  const connection = await instance.connect();
  let rows = 0;
  try {
    const cols = schema.columns;
    await connection.run(`CREATE TABLE t (${cols.map((c) => `${ident(c.name)} ${sqlType(c.type)}`).join(", ")})`);
    const appender = await connection.createAppender("t");
    const types = cols.map((c) => duckType(c.type));
    const batch = DuckDBDataChunk.create(types, VECTOR_SIZE);
    for await (const chunk of source) {
      const arrays: ColumnArray[] = cols.map((c) => chunk.columns[c.name]);
      for (let start = 0; start < chunk.length; start += VECTOR_SIZE) {
        const n = Math.min(VECTOR_SIZE, chunk.length - start);
        batch.rowCount = n;
        for (let c = 0; c < cols.length; c++) {
          const vector = batch.getColumnVector(c);
          const arr = arrays[c];
          const t = cols[c].type;
          if (t === "bool") {
            for (let i = 0; i < n; i++) vector.setItem(i, arr[start + i] === 1);
          } else if (t === "float64" || t === "timestamp") {
            for (let i = 0; i < n; i++) {
              const v = arr[start + i];
              vector.setItem(i, v === v ? v : null);
            }
          } else {
            for (let i = 0; i < n; i++) vector.setItem(i, arr[start + i]);
          }
          vector.flush();
        }
        appender.appendDataChunk(batch);
      }
      rows += chunk.length;
    }
    appender.flushSync();
    appender.closeSync();
    const select = cols
      .map((c) => {
        const id = ident(c.name);
        if (c.type === "category") return `[${c.categories!.map(literal).join(", ")}][${id} + 1] AS ${id}`;
        if (c.type === "timestamp") return `make_timestamp(CAST(round(${id} * 1000) AS BIGINT)) AS ${id}`;
        return id;
      })
      .join(", ");
    const codec = options.compression ?? "zstd";
    await connection.run(`COPY (SELECT ${select} FROM t) TO ${literal(path)} (FORMAT parquet, COMPRESSION ${codec})`);
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(scratch, { force: true });
    await rm(`${scratch}.wal`, { force: true });
  }
  return rows;
}
