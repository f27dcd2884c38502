/**
 * Idempotent, validated, all-or-nothing loading of raw generator files into staging tables.
 *
 * Per file: the sha256 of its bytes (one native pass) identifies it in the ledger; a file seen before,
 * under any name, is skipped (unread when small; a large CSV file is hashed on a worker thread while it
 * is parsed, and abandoned before its first write when the ledger knows it). A CSV file is then read once by lib/validate's byte-level reader
 * into typed columns, validated chunk by chunk, and the good rows go from those typed arrays (no second
 * parse) either through temporary PLAIN Parquet parts that DuckDB inserts with `read_parquet` on all
 * its threads while the next part is parsed (files of PARQUET_STAGING_MIN_BYTES and more), or through
 * DuckDB's appender (smaller files): straight into the staging table when it is empty, otherwise
 * into a temp load table from which rows whose natural key is already staged (the same rows under
 * another name or format) are quarantined as duplicates and the rest staged. Parquet and JSON-lines
 * files are read by DuckDB and validated chunk by chunk the same way. Bad rows go to the quarantine
 * table with their reasons. Everything that touches the database proper (staging, quarantine, ledger)
 * is one transaction, and the counts must reconcile (rows in = staged + quarantined) before it can
 * commit, so a failure anywhere leaves nothing behind.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { DuckDBBooleanType, DuckDBDataChunk, ENUM8, DuckDBDoubleType, DuckDBIntegerType, DuckDBTimestampType, DuckDBVarCharType, type DuckDBAppender, type DuckDBTimestampValue, type DuckDBType } from "@duckdb/node-api";
import { DataError, WorkbenchError } from "../errors.js";
import type { TableSchema } from "../simulate/table.js";
import { emptySummary, scanCsvChunks } from "../validate/scan-csv.js";
import { type QuarantineRecord, type ValidationReport, type ValueChunk, Validator } from "../validate/validator.js";
import { type Warehouse, ident, literal } from "./db.js";
import { sha256File, sha256FileInWorker } from "./file-checksum.js";
import { DUCKDB_ROW_GROUP_ROWS, type ParquetColumnData, type ParquetColumnSpec, PlainParquetWriter } from "./parquet-plain.js";
import { type RawTable, RAW_EXTENSIONS, rawTableForPath, rawTableNamed } from "./tables.js";

export { sha256File } from "./file-checksum.js";

/** Options of a file load. */
export interface IngestOptions {
  /** The raw table (suite name such as "fleet-trips"); default: judged from the file name. */
  table?: string;
  /** Rows per validation/append chunk (default 65536 on the appender path, 122880 = one DuckDB row group on the Parquet path). */
  chunkRows?: number;
  /**
   * Called after each chunk is validated and handed on; a throw aborts the file (nothing is staged).
   * It must not query the warehouse: an appender is open, or DuckDB is inserting a Parquet part.
   */
  onProgress?: (info: { path: string; rows: number; bytes: number }) => void;
  /** Called with the outcome after every write of the file, just before it commits; a throw rolls the file back. */
  beforeCommit?: (result: IngestFileResult) => void | Promise<void>;
  /**
   * How the good rows reach DuckDB: "appender" (DuckDB's appender, value by value), "parquet" (a
   * temporary uncompressed Parquet file read back by `INSERT ... SELECT FROM read_parquet`, which
   * DuckDB runs on all its threads), or "auto" (default): Parquet for files of at least
   * PARQUET_STAGING_MIN_BYTES bytes, the appender below.
   */
  stagingPath?: "auto" | "appender" | "parquet";
  /**
   * When the file's sha256 is computed: "first" (before reading it; a file seen before is skipped
   * unread), "alongside" (CSV files on the Parquet path: on a worker thread while this thread parses
   * them; a file seen before is abandoned at the first insert step and skipped), or "auto" (default):
   * alongside for CSV files of HASH_IN_WORKER_MIN_BYTES and more on the Parquet path, first otherwise.
   */
  checksum?: "auto" | "first" | "alongside";
  /** Rows per temporary Parquet part on the Parquet path (default 983040, eight DuckDB row groups); a part is inserted while the next is parsed. */
  parquetPartRows?: number;
}

/**
 * Files from this size up stage their good rows through temporary Parquet parts. Measured on the
 * 2-core machine (industrial table, median of 5): 2k rows 16 vs 20 ms (Parquet vs appender), 15k rows
 * (1 MB) 34 vs 46 ms, 60k rows 105 vs 106 ms, 250k rows 0.36 vs 0.41 s, 10M rows 10.2 vs 15.6 s
 * (there the insert of one part overlaps the parse of the next). Parquet is never slower, but below
 * about 1 MB the gain is a few milliseconds, so small files keep the appender and make no temp file.
 */
export const PARQUET_STAGING_MIN_BYTES = 1 << 20;

/** What loading one file did. */
export interface IngestFileResult {
  path: string;
  sha256: string;
  staging: string;
  format: "csv" | "parquet" | "jsonl";
  bytes: number;
  /** "loaded", or "skipped" when a file with the same checksum was loaded before. */
  status: "loaded" | "skipped";
  /** For skipped files: the path the checksum was first loaded from. */
  skippedBecause?: string;
  rowsIn: number;
  rowsStaged: number;
  /** Rows quarantined, duplicates included. */
  rowsQuarantined: number;
  /** Rows whose natural key was already staged (quarantined). */
  rowsDuplicate: number;
  /** Columns in the file the table does not define (ignored). */
  extraColumns: string[];
  /** The validation report of the rows read (null for skipped files). */
  report: ValidationReport | null;
  durationMs: number;
}

/**
 * CSV files from this size up (on the Parquet path) are hashed on a worker thread while they are
 * parsed. Fleet trips (10 MB, median of 11 loads): 253 ms alongside vs 267 ms hashed first; 10M
 * industrial rows: about 0.5 s less. A file seen before then costs about one hash time of parsing.
 */
export const HASH_IN_WORKER_MIN_BYTES = 4 << 20;

/** Thrown inside a load when the checksum shows the file was loaded before: the load is abandoned, the file skipped. */
class SeenBefore {
  constructor(
    readonly sha256: string,
    readonly path: string,
  ) {}
}

const LOAD_TABLE = "_wh_load";
const QUARANTINE_LOAD = "_wh_quarantine_load";
const VECTOR = 2048;

function sqlType(c: TableSchema["columns"][number]): string {
  switch (c.type) {
    case "int32":
      return "INTEGER";
    case "float64":
      return "DOUBLE";
    case "bool":
      return "BOOLEAN";
    case "timestamp":
      return "TIMESTAMP";
    default:
      return "VARCHAR";
  }
}

/**
 * The staging table DDL of a raw table: its columns plus the checksum of the file each row came from.
 * Category columns whose good rows can only hold the schema's labels are ENUMs (one byte per row;
 * DuckDB stores and checkpoints them far more cheaply than text: 90k fleet trips checkpoint in about
 * 40 ms less); open text stays VARCHAR.
 */
export function stagingDdl(t: RawTable): string {
  const enums = enumLabels(t);
  const cols = t.schema.columns.map((c) => {
    const e = enums.get(c.name);
    return `${ident(c.name)} ${e ? enumType(e) : sqlType(c)}${c.nullable ? "" : " NOT NULL"}`;
  });
  return `CREATE TABLE IF NOT EXISTS ${ident(t.staging)} (${cols.join(", ")}, _sha256 VARCHAR NOT NULL)`;
}

function enumType(labels: readonly string[]): string {
  return `ENUM(${labels.map(literal).join(", ")})`;
}

/** Create the staging table of a raw table if it does not exist. */
export async function ensureStaging(wh: Warehouse, t: RawTable): Promise<void> {
  await wh.exec(stagingDdl(t));
}

function formatOf(path: string): "csv" | "parquet" | "jsonl" {
  const lower = path.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".parquet")) return "parquet";
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return "jsonl";
  throw new DataError(`${path}: cannot tell the format; use .csv, .parquet or .jsonl`);
}

/**
 * Category columns whose good rows can only hold the schema's labels (the suite quarantines anything
 * else): they travel as ENUMs, one byte per row, instead of one string per row.
 */
function enumLabels(t: RawTable): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const c of t.schema.columns) {
    const cats = c.categories;
    if (c.type !== "category" || !cats || cats.length === 0 || cats.length > 255 || new Set(cats).size !== cats.length) continue;
    const guarded = t.suite.expectations.some((e) => e.kind === "in_set" && e.column === c.name && e.quarantine && e.values.every((v) => typeof v === "string" && cats.includes(v)));
    if (guarded) out.set(c.name, cats);
  }
  return out;
}

/** The load table: the staging columns in their staging types (guarded categories as ENUMs), plus each row's index and line. */
function loadTableDdl(t: RawTable, enums: ReadonlyMap<string, readonly string[]>): string {
  const cols = t.schema.columns.map((c) => {
    const e = enums.get(c.name);
    return `${ident(c.name)} ${e ? enumType(e) : sqlType(c)}`;
  });
  return `CREATE OR REPLACE TEMP TABLE ${LOAD_TABLE} (${cols.join(", ")}, _row DOUBLE, _line DOUBLE)`;
}

function duckType(c: TableSchema["columns"][number], enums: ReadonlyMap<string, readonly string[]>): DuckDBType {
  const e = enums.get(c.name);
  if (e) return ENUM8(e);
  switch (c.type) {
    case "int32":
      return DuckDBIntegerType.instance;
    case "float64":
      return DuckDBDoubleType.instance;
    case "bool":
      return DuckDBBooleanType.instance;
    case "timestamp":
      return DuckDBTimestampType.instance;
    default:
      return DuckDBVarCharType.instance;
  }
}

/**
 * Appends validated chunks to the load table in the staging types, 2048 rows per data chunk, straight
 * from the validator's typed arrays: numbers as they are, 0/1 as booleans, epoch ms as TIMESTAMP,
 * dictionary codes as their labels (each label string made once per dictionary, not per row).
 */
class LoadAppender {
  private readonly batch: DuckDBDataChunk;
  private readonly stamp = { micros: 0n };
  /**
   * For VARCHAR columns: the label code each slot of the (reused) data chunk holds natively, so a
   * string crosses into DuckDB only when its slot changes (-2 unknown, -1 null).
   */
  private readonly held: Int32Array[];
  private shaWritten = 0;

  /**
   * target "load": the temp load table (staging types, guarded categories as ENUMs, plus _row and
   * _line); target { sha256 }: the staging table itself (its types, plus the file's checksum).
   */
  constructor(
    private readonly appender: DuckDBAppender,
    private readonly cols: readonly TableSchema["columns"][number][],
    private readonly enums: ReadonlyMap<string, readonly string[]>,
    private readonly target: "load" | { sha256: string },
  ) {
    const types: DuckDBType[] = cols.map((c) => duckType(c, enums));
    if (target === "load") types.push(DuckDBDoubleType.instance, DuckDBDoubleType.instance);
    else types.push(DuckDBVarCharType.instance);
    this.batch = DuckDBDataChunk.create(types, VECTOR);
    this.held = cols.map(() => new Int32Array(VECTOR).fill(-2));
  }

  append(chunk: ValueChunk, rows: ArrayLike<number>): void {
    const n = chunk.length;
    const arrays = this.cols.map((c) => chunk.columns[c.name]);
    const lines = chunk.lines;
    const stamp = this.stamp;
    const asStamp = stamp as unknown as DuckDBTimestampValue;
    for (let start = 0; start < n; start += VECTOR) {
      const m = Math.min(VECTOR, n - start);
      this.batch.rowCount = m;
      for (let c = 0; c < arrays.length; c++) {
        const vector = this.batch.getColumnVector(c);
        const src = arrays[c];
        const col = this.cols[c];
        const labels = chunk.labels?.[col.name];
        if (labels !== undefined && !this.enums.has(col.name)) {
          const held = this.held[c];
          for (let i = 0; i < m; i++) {
            const code = src[start + i] as number;
            const k = code < 0 ? -1 : code;
            if (held[i] === k) continue;
            held[i] = k;
            vector.setItem(i, k < 0 ? null : labels[k]);
          }
        } else if (labels !== undefined) {
          for (let i = 0; i < m; i++) {
            const code = src[start + i] as number;
            vector.setItem(i, code < 0 ? null : labels[code]);
          }
        } else if (col.type === "category") {
          for (let i = 0; i < m; i++) {
            const v = src[start + i];
            vector.setItem(i, v === null || v === undefined ? null : String(v));
          }
        } else if (col.type === "timestamp") {
          for (let i = 0; i < m; i++) {
            const v = src[start + i] as number;
            if (v === v) {
              // Epoch ms times 1000 stays an exact integer below 2^53 for any instant within ±285 years of 1970.
              stamp.micros = Math.abs(v) < 9e12 ? BigInt(v * 1000) : BigInt(v) * 1000n;
              vector.setItem(i, asStamp);
            } else vector.setItem(i, null);
          }
        } else if (col.type === "bool") {
          for (let i = 0; i < m; i++) {
            const v = src[start + i] as number;
            vector.setItem(i, v === v ? v === 1 : null);
          }
        } else {
          for (let i = 0; i < m; i++) {
            const v = src[start + i] as number;
            vector.setItem(i, v === v ? v : null);
          }
        }
        vector.flush();
      }
      if (this.target === "load") {
        const rowVec = this.batch.getColumnVector(arrays.length);
        const lineVec = this.batch.getColumnVector(arrays.length + 1);
        for (let i = 0; i < m; i++) {
          rowVec.setItem(i, rows[start + i]);
          lineVec.setItem(i, lines ? lines[start + i] : null);
        }
        rowVec.flush();
        lineVec.flush();
      } else if (this.shaWritten < m) {
        // The same checksum on every row: written into each slot once.
        const shaVec = this.batch.getColumnVector(arrays.length);
        for (let i = this.shaWritten; i < m; i++) shaVec.setItem(i, this.target.sha256);
        shaVec.flush();
        this.shaWritten = m;
      }
      this.appender.appendDataChunk(this.batch);
    }
  }

  close(): void {
    this.appender.flushSync();
    this.appender.closeSync();
  }
}

function parquetType(c: TableSchema["columns"][number]): ParquetColumnSpec["type"] {
  switch (c.type) {
    case "int32":
      return "int32";
    case "float64":
      return "double";
    case "bool":
      return "bool";
    case "timestamp":
      return "timestamp";
    default:
      return "utf8";
  }
}

const STAGE_FILE = /^workbench-stage-(\d+)-[0-9a-f]+\.parquet$/;
let staleStageFilesSwept = false;

/**
 * Delete temporary Parquet parts left in `dir` (default: the OS temp folder) by processes that died
 * mid-load (SIGKILL skips every cleanup); parts of live processes are left alone. Ingest runs it once
 * per process, before its first Parquet load. Returns the deleted paths.
 */
export function sweepStaleStageFiles(dir: string = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = STAGE_FILE.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    try {
      rmSync(join(dir, name), { force: true });
      removed.push(join(dir, name));
    } catch {
      // Another process may be sweeping the same file.
    }
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Rows per temporary Parquet part by default (eight of DuckDB's row groups): a part is inserted while
 * the next one is parsed and written.
 */
const PART_ROWS = 8 * DUCKDB_ROW_GROUP_ROWS;

/**
 * Parts with fewer rows than this (two of DuckDB's row groups) are inserted on one DuckDB thread: a
 * parallel insert of less than a row group per thread only coordinates. 90k fleet trips: 45 ms on one
 * thread, 87 ms on two; 3M industrial rows in row groups of DuckDB's size: 1.78 s on one, 1.04 s on two.
 */
const SMALL_PART_ROWS = 2 * DUCKDB_ROW_GROUP_ROWS;

/** Encoded Parquet bytes that may wait for their background write before parsing pauses. */
const MAX_BYTES_IN_FLIGHT = 256 * 1024 * 1024;

/**
 * Writes validated chunks to temporary Parquet parts (row groups of DuckDB's own size, a new part
 * every PART_ROWS rows) in the staging types; each finished part is inserted into the target with one
 * `INSERT ... SELECT FROM read_parquet` and deleted. The CSV pass keeps parsing on the JS thread while
 * DuckDB inserts the previous part on its own threads, in order, so staging keeps the file's row order.
 * Every column is OPTIONAL, so a null in a NOT NULL column fails at the insert, as with the appender.
 */
class ParquetLoad {
  private readonly specs: ParquetColumnSpec[];
  private writer: PlainParquetWriter | null = null;
  private readonly paths: string[] = [];
  private nullLines = new Float64Array(0);
  /** Quarantine records waiting for the next insert step (the connection is busy in between). */
  private quarantine: QuarantineRecord[][] = [];
  private chain: Promise<void> = Promise.resolve();
  /** One promise per queued step, to wait for the oldest only. */
  private readonly steps: Promise<void>[] = [];
  private queued = 0;
  private failure: { error: unknown } | null = null;
  private sha256 = "";

  /**
   * `ready` runs first on the insert chain and gives the file's checksum (which staging rows carry);
   * when it throws, no part is inserted and the error reaches the parse at its next chunk.
   */
  constructor(
    private readonly wh: Warehouse,
    private readonly table: string,
    private readonly cols: readonly TableSchema["columns"][number][],
    private readonly target: "load" | "staging",
    ready: () => Promise<string>,
    private readonly flushQuarantine: (records: readonly QuarantineRecord[][]) => Promise<void>,
    private readonly partRowsMax: number = PART_ROWS,
  ) {
    this.specs = cols.map((c) => ({ name: c.name, type: parquetType(c), optional: true }));
    if (target === "load") this.specs.push({ name: "_row", type: "double", optional: true }, { name: "_line", type: "double", optional: true });
    this.chain = ready().then(
      (sha256) => {
        this.sha256 = sha256;
      },
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
  }

  append(chunk: ValueChunk, rows: ArrayLike<number>): void {
    const n = chunk.length;
    if (n === 0) return;
    const data: ParquetColumnData[] = this.cols.map((c): ParquetColumnData => {
      const src = chunk.columns[c.name];
      const labels = chunk.labels?.[c.name];
      if (labels !== undefined) return { codes: src as ArrayLike<number>, labels };
      if (c.type === "category") return { strings: Array.from(src as ArrayLike<unknown>, (v) => (v === null || v === undefined ? null : String(v))) };
      return { values: src as ArrayLike<number>, nanIsNull: true };
    });
    if (this.target === "load") {
      if (!chunk.lines && this.nullLines.length < n) this.nullLines = new Float64Array(n).fill(NaN);
      data.push({ values: rows }, { values: chunk.lines ?? this.nullLines, nanIsNull: true });
    }
    if (!this.writer) {
      const path = join(tmpdir(), `workbench-stage-${process.pid}-${randomBytes(8).toString("hex")}.parquet`);
      this.paths.push(path);
      this.writer = new PlainParquetWriter(path, this.specs);
    }
    // Row groups of DuckDB's own size, so that it inserts each part on all its threads.
    this.writer.append(n, data);
  }

  /** Hold quarantine records until the next insert step writes them. */
  appendQuarantine(records: readonly QuarantineRecord[]): void {
    if (records.length > 0) this.quarantine.push([...records]);
  }

  /**
   * When the current part is full: queue its insert and return; waits only while two parts are
   * already queued (bounded temp files), and throws the error of any failed step.
   */
  async maybeFlush(): Promise<void> {
    // Encoded bytes wait in memory for the background writes: if the disk falls behind, so does parsing.
    if (this.writer && this.writer.pendingWriteBytes > MAX_BYTES_IN_FLIGHT) await this.writer.settle();
    if (this.writer && this.writer.rows >= this.partRowsMax) this.enqueue();
    while (this.queued >= 2 && !this.failure) await this.steps[this.steps.length - this.queued];
    if (this.failure) throw this.failure.error;
  }

  /** Queue the last part and pending quarantine records, wait for every step; throws the first failure. */
  async finish(): Promise<void> {
    this.enqueue();
    await this.chain;
    if (this.failure) throw this.failure.error;
  }

  private enqueue(): void {
    const writer = this.writer;
    this.writer = null;
    const records = this.quarantine;
    this.quarantine = [];
    if (!writer && records.length === 0) return;
    // The footer is written now; the insert waits until every byte of the part is in the file.
    const closing = writer?.close();
    closing?.catch(() => undefined);
    this.queued++;
    this.chain = this.chain.then(async () => {
      try {
        await closing;
        if (this.failure) return;
        if (records.length > 0) await this.flushQuarantine(records);
        if (writer) {
          const sha = this.target === "load" ? "" : `, ${literal(this.sha256)}`;
          const insert = `INSERT INTO ${this.table} SELECT *${sha} FROM read_parquet(${literal(writer.path)})`;
          if (writer.rows >= SMALL_PART_ROWS) await this.wh.exec(insert);
          else await this.wh.withThreads(1, () => this.wh.exec(insert));
          rmSync(writer.path, { force: true });
        }
      } catch (error) {
        // Kept, not rethrown: the chain never rejects unobserved; maybeFlush/finish rethrow it.
        this.failure ??= { error };
      } finally {
        this.queued--;
      }
    });
    this.steps.push(this.chain);
  }

  /** Wait for any queued step, then delete every temp part; safe after any failure. */
  async dispose(): Promise<void> {
    await this.chain;
    await this.writer?.abort();
    for (const p of this.paths) rmSync(p, { force: true });
  }
}

/** Quarantine records go through a small text table, then into wh_quarantine by SQL. */
class QuarantineAppender {
  private readonly batch: DuckDBDataChunk;
  count = 0;

  constructor(private readonly appender: DuckDBAppender) {
    this.batch = DuckDBDataChunk.create([DuckDBDoubleType.instance, DuckDBDoubleType.instance, DuckDBVarCharType.instance, DuckDBVarCharType.instance], VECTOR);
  }

  append(records: readonly QuarantineRecord[], timestampColumns: ReadonlySet<string>): void {
    for (let start = 0; start < records.length; start += VECTOR) {
      const m = Math.min(VECTOR, records.length - start);
      this.batch.rowCount = m;
      const [row, line, reasons, raw] = [0, 1, 2, 3].map((c) => this.batch.getColumnVector(c));
      for (let i = 0; i < m; i++) {
        const r = records[start + i];
        row.setItem(i, r.row);
        line.setItem(i, r.line ?? null);
        reasons.setItem(i, JSON.stringify(r.reasons));
        const values: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(r.values)) {
          values[k] = timestampColumns.has(k) && typeof v === "number" && Number.isFinite(v) ? new Date(v).toISOString() : typeof v === "number" && !Number.isFinite(v) ? null : v;
        }
        raw.setItem(i, JSON.stringify(values));
      }
      for (const v of [row, line, reasons, raw]) v.flush();
      this.appender.appendDataChunk(this.batch);
    }
    this.count += records.length;
  }

  close(): void {
    this.appender.flushSync();
    this.appender.closeSync();
  }
}

/** Typed chunks of a Parquet or JSON-lines file, read by DuckDB into a scratch table and sliced. */
export async function* duckChunks(wh: Warehouse, t: RawTable, path: string, format: "parquet" | "jsonl", chunkRows: number): AsyncGenerator<ValueChunk & { extra: string[] }> {
  const cols = t.schema.columns;
  let source: string;
  if (format === "parquet") source = `read_parquet(${literal(path)})`;
  else {
    const spec = cols.map((c) => `${literal(c.name)}: ${literal(sqlType(c))}`).join(", ");
    source = `read_json(${literal(path)}, format = 'newline_delimited', columns = {${spec}})`;
  }
  try {
    await wh.exec(`CREATE OR REPLACE TEMP TABLE _wh_raw AS SELECT * FROM ${source}`);
  } catch (cause) {
    throw new DataError(`${path}: cannot read as ${format}: ${(cause as Error).message.split("\n")[0]}`, { cause });
  }
  const described = await wh.rows(`SELECT column_name, column_type FROM (DESCRIBE _wh_raw)`);
  const types = new Map(described.map((r) => [String(r.column_name), String(r.column_type)]));
  const missing = cols.filter((c) => !types.has(c.name)).map((c) => c.name);
  if (missing.length > 0) throw new DataError(`${path}: lacks column${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")}`);
  const numericType = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*|BOOLEAN)$/;
  const select = cols.map((c) => {
    const t0 = types.get(c.name)!;
    const id = ident(c.name);
    if (c.type === "category") return `CAST(${id} AS VARCHAR) AS ${id}`;
    if (c.type === "timestamp") {
      if (!/^TIMESTAMP/.test(t0)) throw new DataError(`${path}: column "${c.name}" has type ${t0}, expected a timestamp`);
      return `CAST(epoch_ms(CAST(${id} AS TIMESTAMP)) AS DOUBLE) AS ${id}`;
    }
    if (!numericType.test(t0)) throw new DataError(`${path}: column "${c.name}" has type ${t0}, expected ${c.type === "bool" ? "a boolean" : "a number"}`);
    return `CAST(${id} AS DOUBLE) AS ${id}`;
  });
  const extra = [...types.keys()].filter((k) => !cols.some((c) => c.name === k));
  const total = (await wh.scalar(`SELECT count(*)::DOUBLE FROM _wh_raw`)) ?? 0;
  await wh.exec(`CREATE OR REPLACE TEMP TABLE _wh_raw_n AS SELECT row_number() OVER () - 1 AS _row, ${select.join(", ")} FROM _wh_raw`);
  await wh.exec(`DROP TABLE _wh_raw`);
  for (let off = 0; off < total; off += chunkRows) {
    const reader = await wh.connection.runAndReadAll(`SELECT * EXCLUDE (_row) FROM _wh_raw_n WHERE _row >= ${off} AND _row < ${off + chunkRows} ORDER BY _row`);
    const n = reader.currentRowCount;
    const js = reader.getColumnsJS();
    const columns: Record<string, Float64Array | (string | null)[]> = {};
    cols.forEach((c, k) => {
      const src = js[k];
      if (c.type === "category") columns[c.name] = src.map((v) => (v === null ? null : String(v)));
      else {
        const arr = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          const v = src[i];
          arr[i] = v === null || v === undefined ? NaN : Number(v);
        }
        columns[c.name] = arr;
      }
    });
    const lines = new Float64Array(n);
    for (let i = 0; i < n; i++) lines[i] = off + i + 1;
    yield { length: n, columns, lines, extra };
  }
  await wh.exec(`DROP TABLE IF EXISTS _wh_raw_n`);
}

/** Where staged rows come from: a scratch table and SQL for each column's staging value, row and line. */
interface StageSource {
  table: string;
  value: (c: TableSchema["columns"][number], alias: string) => string;
  row: (alias: string) => string;
  line: (alias: string) => string;
}

/** Insert a scratch table's rows into staging; rows whose natural key is already staged are quarantined instead. */
async function stage(wh: Warehouse, t: RawTable, sha256: string, src: StageSource): Promise<{ staged: number; duplicates: number }> {
  const stg = ident(t.staging);
  const sha = literal(sha256);
  const cols = t.schema.columns;
  const staged0 = await wh.count(t.staging);
  let duplicates = 0;
  if (staged0 > 0 && t.key.length > 0) {
    const keyCols = t.key.map((k) => cols.find((c) => c.name === k)!);
    // The key is compared in staging types, so a row read from Parquet matches its CSV twin.
    const keyed = `SELECT l.*, ${src.row("l")} AS _r, ${src.line("l")} AS _ln, ${keyCols.map((c) => `${src.value(c, "l")} AS ${ident("_k_" + c.name)}`).join(", ")} FROM ${src.table} l`;
    const exists = `EXISTS (SELECT 1 FROM ${stg} s WHERE ${keyCols.map((c) => `s.${ident(c.name)} = k.${ident("_k_" + c.name)}`).join(" AND ")})`;
    await wh.exec(`CREATE OR REPLACE TEMP TABLE _wh_keyed AS SELECT k.*, ${exists} AS _dup FROM (${keyed}) k`);
    duplicates = (await wh.scalar(`SELECT count(*)::DOUBLE FROM _wh_keyed WHERE _dup`)) ?? 0;
    if (duplicates > 0) {
      const keyText = keyCols.map((c) => `'${c.name}=' || CAST(${src.value(c, "l")} AS VARCHAR)`).join(" || ', ' || ");
      const rawJson = `to_json(struct_pack(${cols.map((c) => `${ident(c.name)} := ${src.value(c, "l")}`).join(", ")}))`;
      await wh.exec(
        `INSERT INTO wh_quarantine SELECT ${sha}, ${literal(t.staging)}, CAST(l._r AS BIGINT), CAST(l._ln AS BIGINT), ['natural key (' || ${keyText} || ') is already staged'], ${rawJson} FROM _wh_keyed l WHERE l._dup`,
      );
    }
    await wh.exec(`INSERT INTO ${stg} SELECT ${cols.map((c) => src.value(c, "l")).join(", ")}, ${sha} FROM _wh_keyed l WHERE NOT l._dup`);
    await wh.exec(`DROP TABLE _wh_keyed`);
  } else {
    // Insertion order is preserved (preserve_insertion_order), so staging keeps the file's row order.
    await wh.exec(`INSERT INTO ${stg} SELECT ${cols.map((c) => src.value(c, "l")).join(", ")}, ${sha} FROM ${src.table} l`);
  }
  return { staged: (await wh.count(t.staging)) - staged0, duplicates };
}

/** What the streamed pass over a file put into the load tables. */
interface Loaded {
  sha256: string;
  bytes: number;
  report: ValidationReport;
  quarantined: number;
  extra: string[];
}

/** Load one raw file into its staging table (idempotent; one transaction). */
export async function ingestFile(wh: Warehouse, path: string, options: IngestOptions = {}): Promise<IngestFileResult> {
  const started = performance.now();
  const file = resolve(path);
  const format = formatOf(file);
  const found = options.table ? rawTableNamed(options.table) : rawTableForPath(file);
  if (!found) throw new DataError(`${file}: cannot tell which table this file holds; name it after one (fleet_trips, fleet_events, industrial_telemetry, ...) or pass a table`);
  const t: RawTable = found;
  await ensureStaging(wh, t);
  const timestampColumns = new Set(t.schema.columns.filter((c) => c.type === "timestamp").map((c) => c.name));
  const ledgerPath = async (sha256: string): Promise<string | null> => {
    const seen = await wh.rows(`SELECT path FROM wh_ingested_files WHERE sha256 = ?`, [sha256]);
    return seen.length > 0 ? String(seen[0].path) : null;
  };
  const skipped = (sha256: string, bytes: number, because: string): IngestFileResult => ({
    path: file,
    sha256,
    staging: t.staging,
    format,
    bytes,
    status: "skipped",
    skippedBecause: because,
    rowsIn: 0,
    rowsStaged: 0,
    rowsQuarantined: 0,
    rowsDuplicate: 0,
    extraColumns: [],
    report: null,
    durationMs: performance.now() - started,
  });
  /** Reconcile the counts, write the ledger row and build the result (inside the file's transaction). */
  const finish = async (loaded: Loaded, { staged, duplicates }: { staged: number; duplicates: number }): Promise<IngestFileResult> => {
    const { sha256, bytes, report } = loaded;
    const quarantined = loaded.quarantined + duplicates;
    if (staged + quarantined !== report.rowsIn) {
      throw new DataError(`${file}: rows do not reconcile: ${report.rowsIn} read, ${staged} staged + ${quarantined} quarantined`);
    }
    await wh.exec(`INSERT INTO wh_ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp::TIMESTAMP)`, [
      sha256,
      file,
      t.staging,
      format,
      bytes,
      report.rowsIn,
      staged,
      quarantined,
      duplicates,
    ]);
    const result: IngestFileResult = {
      path: file,
      sha256,
      staging: t.staging,
      format,
      bytes,
      status: "loaded",
      rowsIn: report.rowsIn,
      rowsStaged: staged,
      rowsQuarantined: quarantined,
      rowsDuplicate: duplicates,
      extraColumns: loaded.extra,
      report,
      durationMs: performance.now() - started,
    };
    await options.beforeCommit?.(result);
    return result;
  };
  const dropScratch = (): Promise<void> => wh.exec(`DROP TABLE IF EXISTS ${LOAD_TABLE}; DROP TABLE IF EXISTS ${QUARANTINE_LOAD}`);

  /**
   * Read and validate the file: good rows to the staging table (direct, inside the caller's
   * transaction) or to the temp LOAD_TABLE, quarantined rows with reasons to the temp QUARANTINE_LOAD.
   */
  const load = async (direct: boolean): Promise<Loaded> => {
    const cols = t.schema.columns;
    // Straight into staging the categories go as text (DuckDB's appender casts them to the staging
    // table's ENUMs, or leaves them text in a table staged before ENUMs); via the load table, ENUMs.
    const enums = direct ? new Map<string, readonly string[]>() : enumLabels(t);
    if (!direct) await wh.exec(loadTableDdl(t, enums));
    await wh.exec(`CREATE OR REPLACE TEMP TABLE ${QUARANTINE_LOAD} (row_index DOUBLE, line DOUBLE, reasons VARCHAR, raw VARCHAR)`);
    const validator = new Validator(t.suite, { source: file, missingColumns: "error", schema: { columns: t.schema.columns } });
    const extra = new Set<string>();
    // Parquet/JSON-lines slices are read with queries on the connection, which would invalidate an
    // open appender: those load through appenders opened per chunk.
    const openLoad = async (): Promise<LoadAppender> =>
      direct
        ? new LoadAppender(await wh.connection.createAppender(t.staging), cols, enums, { sha256: await identity.sha256() })
        : new LoadAppender(await wh.connection.createAppender(LOAD_TABLE, null, "temp"), cols, enums, "load");
    const openQuarantine = async (): Promise<QuarantineAppender> => new QuarantineAppender(await wh.connection.createAppender(QUARANTINE_LOAD, null, "temp"));
    let quarantined = 0;
    let rowsSeen = 0;
    let bytesSeen = bytes;
    const handle = (chunk: ValueChunk, unparseable: readonly QuarantineRecord[], into: LoadAppender | ParquetLoad, q: { append: (records: readonly QuarantineRecord[], timestampColumns: ReadonlySet<string>) => void }): void => {
      if (unparseable.length > 0) {
        validator.addUnparseable(unparseable);
        q.append(unparseable, timestampColumns);
      }
      // The validator numbers rows in the order it sees them; good rows keep those numbers.
      const rowBase = rowsSeen + unparseable.length;
      const { good, quarantined: bad } = validator.validate(chunk);
      q.append(bad, timestampColumns);
      quarantined += unparseable.length + bad.length;
      const rows = new Float64Array(good.length);
      if (bad.length === 0) for (let i = 0; i < good.length; i++) rows[i] = rowBase + i;
      else {
        const isBad = new Uint8Array(chunk.length);
        for (const r of bad) isBad[r.row - rowBase] = 1;
        for (let i = 0, k = 0; i < chunk.length; i++) if (isBad[i] === 0) rows[k++] = rowBase + i;
      }
      into.append(good, rows);
      rowsSeen = rowBase + chunk.length;
      options.onProgress?.({ path: file, rows: rowsSeen, bytes: bytesSeen });
    };
    // On the Parquet path a clean chunk is exactly one row group, written without a copy.
    const chunkRows = options.chunkRows ?? (viaParquet ? DUCKDB_ROW_GROUP_ROWS : 65_536);
    const flushQuarantine = async (batches: readonly QuarantineRecord[][]): Promise<void> => {
      const q = await openQuarantine();
      try {
        for (const b of batches) q.append(b, timestampColumns);
      } finally {
        q.close();
      }
    };
    const pq = viaParquet ? new ParquetLoad(wh, direct ? ident(t.staging) : LOAD_TABLE, cols, direct ? "staging" : "load", identity.sha256, flushQuarantine, options.parquetPartRows) : null;
    // With Parquet the quarantine records wait for the insert steps (no appender stays open on the connection).
    const heldQuarantine = pq ? { append: (records: readonly QuarantineRecord[]): void => pq.appendQuarantine(records), close: (): void => undefined } : null;
    try {
      if (format === "csv") {
        const summary = emptySummary();
        const into = pq ?? (await openLoad());
        const q = heldQuarantine ?? (await openQuarantine());
        try {
          for await (const block of scanCsvChunks(file, { columns: t.schema, chunkRows, missingColumns: "error" }, summary)) {
            for (const h of block.header) if (!t.schema.columns.some((c) => c.name === h)) extra.add(h);
            bytesSeen = summary.bytes;
            handle(block.chunk, block.quarantined, into, q);
            // Between chunks a full part goes to DuckDB, which inserts it while the next is parsed.
            if (pq) await pq.maybeFlush();
          }
        } finally {
          if (into instanceof LoadAppender) into.close();
          q.close();
        }
      } else {
        // duckChunks queries the connection between chunks: parts are inserted only after the last.
        for await (const chunk of duckChunks(wh, t, file, format, chunkRows)) {
          for (const e of chunk.extra) extra.add(e);
          const into = pq ?? (await openLoad());
          const q = heldQuarantine ?? (await openQuarantine());
          try {
            handle(chunk, [], into, q);
          } finally {
            if (into instanceof LoadAppender) into.close();
            q.close();
          }
        }
      }
      await pq?.finish();
    } finally {
      await pq?.dispose();
    }
    return { sha256: await identity.sha256(), bytes, report: validator.report(), quarantined, extra: [...extra] };
  };

  let bytes: number;
  try {
    bytes = statSync(file).size;
  } catch (cause) {
    throw new DataError(`${file}: cannot read (${(cause as Error).message})`, { cause });
  }
  const mode = options.stagingPath ?? "auto";
  const viaParquet = mode === "parquet" || (mode === "auto" && bytes >= PARQUET_STAGING_MIN_BYTES);
  if (viaParquet && !staleStageFilesSwept) {
    staleStageFilesSwept = true;
    sweepStaleStageFiles();
  }
  // The checksum identifies the file in the ledger and rides on every staged row. A small file is
  // hashed first and, when seen before, skipped unread. A large CSV file on the Parquet path is hashed
  // on a worker thread while this one parses it: the ledger check is the first step of the insert
  // chain, before any write, and a file seen before is then abandoned (rolled back) and reported
  // skipped, having cost about one hash time of parsing.
  let identity: { sha256: () => Promise<string> };
  const checksumWhen = options.checksum ?? "auto";
  if (format === "csv" && viaParquet && (checksumWhen === "alongside" || (checksumWhen === "auto" && bytes >= HASH_IN_WORKER_MIN_BYTES))) {
    const checksum = sha256FileInWorker(file);
    checksum.catch(() => undefined);
    // The ledger is asked once, when the checksum is first needed (the first insert step).
    let checked: Promise<string> | null = null;
    identity = {
      sha256: () =>
        (checked ??= checksum.then(async ({ sha256 }) => {
          const because = await ledgerPath(sha256);
          if (because !== null) throw new SeenBefore(sha256, because);
          return sha256;
        })),
    };
  } else {
    const known = await sha256File(file);
    const because = await ledgerPath(known.sha256);
    if (because !== null) return skipped(known.sha256, known.bytes, because);
    bytes = known.bytes;
    identity = { sha256: () => Promise.resolve(known.sha256) };
  }
  // Into an empty staging table the good rows are appended directly, inside the file's transaction;
  // otherwise they go through the load table so that keys already staged can be quarantined.
  if ((await wh.count(t.staging)) === 0) {
    try {
      return await wh.transaction(async () => {
        const loaded = await load(true);
        await wh.exec(
          `INSERT INTO wh_quarantine SELECT ${literal(loaded.sha256)}, ${literal(t.staging)}, CAST(row_index AS BIGINT), CAST(line AS BIGINT), from_json(reasons, '["VARCHAR"]'), CAST(raw AS JSON) FROM ${QUARANTINE_LOAD}`,
        );
        return finish(loaded, { staged: await wh.count(t.staging), duplicates: 0 });
      });
    } catch (error) {
      if (error instanceof SeenBefore) return skipped(error.sha256, bytes, error.path);
      if (error instanceof WorkbenchError) throw error;
      throw new DataError(`${file}: load failed and was rolled back: ${(error as Error).message}`, { cause: error });
    } finally {
      await dropScratch();
    }
  }
  let loaded: Loaded;
  try {
    loaded = await load(false);
  } catch (error) {
    await dropScratch();
    if (error instanceof SeenBefore) return skipped(error.sha256, bytes, error.path);
    if (error instanceof WorkbenchError) throw error;
    throw new DataError(`${file}: load failed and was rolled back: ${(error as Error).message}`, { cause: error });
  }
  const staged = loaded;
  try {
    return await wh.transaction(async () => {
      await wh.exec(
        `INSERT INTO wh_quarantine SELECT ${literal(staged.sha256)}, ${literal(t.staging)}, CAST(row_index AS BIGINT), CAST(line AS BIGINT), from_json(reasons, '["VARCHAR"]'), CAST(raw AS JSON) FROM ${QUARANTINE_LOAD}`,
      );
      const counts = await stage(wh, t, staged.sha256, { table: LOAD_TABLE, value: (c, a) => (c.type === "category" ? `CAST(${a}.${ident(c.name)} AS VARCHAR)` : `${a}.${ident(c.name)}`), row: (a) => `${a}._row`, line: (a) => `${a}._line` });
      return finish(staged, counts);
    });
  } catch (error) {
    if (error instanceof WorkbenchError) throw error;
    throw new DataError(`${file}: load failed and was rolled back: ${(error as Error).message}`, { cause: error });
  } finally {
    await dropScratch();
  }
}

/** What loading a folder did. */
export interface IngestDirectoryResult {
  files: IngestFileResult[];
  /** Files that failed (rolled back), with the error. */
  failed: { path: string; error: Error }[];
  /** Files in the folder that are not raw tables (ground truth, reports). */
  ignored: string[];
}

/** Load every raw-table file of a folder (sorted by name); a failing file is rolled back and reported, the rest go on. */
export async function ingestDirectory(wh: Warehouse, dir: string, options: Omit<IngestOptions, "table"> & { onFile?: (path: string, index: number, total: number) => void } = {}): Promise<IngestDirectoryResult> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (cause) {
    throw new DataError(`${dir}: cannot list the folder (${(cause as Error).message})`, { cause });
  }
  const files: string[] = [];
  const ignored: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    if (RAW_EXTENSIONS.some((e) => name.toLowerCase().endsWith(e)) && rawTableForPath(path)) files.push(path);
    else ignored.push(path);
  }
  const result: IngestDirectoryResult = { files: [], failed: [], ignored };
  for (let i = 0; i < files.length; i++) {
    options.onFile?.(files[i], i, files.length);
    try {
      result.files.push(await ingestFile(wh, files[i], options));
    } catch (error) {
      if (!(error instanceof WorkbenchError)) throw error;
      result.failed.push({ path: files[i], error });
    }
  }
  return result;
}
