/**
 * File-level validation: stream a CSV file (or any chunk source) through a suite, write the good rows
 * on, the quarantined rows with their reasons as JSON lines, and the report as JSON plus a readable
 * summary. Counts always reconcile: rowsGood + rowsQuarantined = rowsIn.
 */
import { open, writeFile, type FileHandle } from "node:fs/promises";
import type { TableSchema } from "../simulate/table.js";
import { csvEscape } from "../simulate/format.js";
import type { Suite } from "./expectations.js";
import type { CsvColumn, CsvValueType } from "./read-csv.js";
import { type CsvScanSummary, scanCsvChunks } from "./scan-csv.js";
import { type QuarantineRecord, type ValidationReport, type ValueChunk, Validator, formatReport } from "./validator.js";

/** Where validation outputs go (each optional). */
export interface ValidationOutputs {
  /** CSV file of the rows that passed. */
  goodPath?: string;
  /** JSON-lines file of quarantined rows: {row, line, reasons, values}. */
  quarantinePath?: string;
  /** JSON report. */
  reportPath?: string;
  /** Text summary. */
  summaryPath?: string;
}

function columnTypes(columns: readonly CsvColumn[] | TableSchema): Map<string, CsvValueType> {
  const list = "columns" in columns && !Array.isArray(columns) ? (columns as TableSchema).columns : (columns as readonly CsvColumn[]);
  return new Map(list.map((c): [string, CsvValueType] => [c.name, c.type as CsvValueType]));
}

function textOf(v: unknown, type: CsvValueType | undefined): string {
  if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) return "";
  if (type === "timestamp" && typeof v === "number") return new Date(v).toISOString();
  if (type === "bool" && typeof v === "number") return v === 1 ? "true" : "false";
  return csvEscape(String(v));
}

class Sinks {
  private good: FileHandle | null = null;
  private quarantine: FileHandle | null = null;
  private headerWritten = false;

  constructor(
    private readonly outputs: ValidationOutputs,
    private readonly types: Map<string, CsvValueType>,
  ) {}

  async openAll(): Promise<void> {
    if (this.outputs.goodPath) this.good = await open(this.outputs.goodPath, "w");
    if (this.outputs.quarantinePath) this.quarantine = await open(this.outputs.quarantinePath, "w");
  }

  async writeGood(chunk: ValueChunk, names: readonly string[]): Promise<void> {
    if (!this.good) return;
    let text = "";
    if (!this.headerWritten) {
      text += names.map(csvEscape).join(",") + "\n";
      this.headerWritten = true;
    }
    const cols = names.map((n) => chunk.columns[n]);
    const types = names.map((n) => this.types.get(n));
    // Dictionary-coded columns print their labels (escaped once per label, not per row).
    const texts = names.map((n) => chunk.labels?.[n]?.map(csvEscape));
    const lines: string[] = new Array(chunk.length);
    for (let i = 0; i < chunk.length; i++) {
      let line = "";
      for (let c = 0; c < cols.length; c++) {
        const t = texts[c];
        const v = cols[c][i];
        line += (c === 0 ? "" : ",") + (t !== undefined ? ((v as number) < 0 ? "" : t[v as number]) : textOf(v, types[c]));
      }
      lines[i] = line;
    }
    if (chunk.length > 0) text += lines.join("\n") + "\n";
    if (text) await this.good.write(text);
  }

  async writeQuarantine(records: readonly QuarantineRecord[]): Promise<void> {
    if (!this.quarantine || records.length === 0) return;
    const lines = records.map((r) => {
      const values: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r.values)) {
        const t = this.types.get(k);
        values[k] = t === "timestamp" && typeof v === "number" && Number.isFinite(v) ? new Date(v).toISOString() : v;
      }
      return JSON.stringify({ row: r.row, line: r.line ?? null, reasons: r.reasons, values });
    });
    await this.quarantine.write(lines.join("\n") + "\n");
  }

  async closeAll(): Promise<void> {
    await this.good?.close();
    await this.quarantine?.close();
  }
}

async function finish(report: ValidationReport, outputs: ValidationOutputs): Promise<void> {
  if (outputs.reportPath) await writeFile(outputs.reportPath, JSON.stringify(report, null, 2) + "\n");
  if (outputs.summaryPath) await writeFile(outputs.summaryPath, formatReport(report));
}

/** Validate a CSV file against a suite, streaming; corrupted lines are quarantined with their line numbers. */
export async function validateCsvFile(
  path: string,
  suite: Suite,
  options: {
    columns: readonly CsvColumn[] | TableSchema;
    chunkRows?: number;
    requireFinalNewline?: boolean;
    missingColumns?: "error" | "report";
    exactUniqueness?: boolean;
    /** Filled in with what the reader learned about the file (checksum when `sha256`, header, shape). */
    summary?: CsvScanSummary;
    sha256?: boolean;
  } & ValidationOutputs,
): Promise<ValidationReport> {
  const types = columnTypes(options.columns);
  const schema = { columns: [...types].map(([name, type]) => ({ name, type })) };
  const validator = new Validator(suite, { source: path, missingColumns: "report", schema, exactUniqueness: options.exactUniqueness });
  const sinks = new Sinks(options, types);
  await sinks.openAll();
  try {
    const scan = scanCsvChunks(
      path,
      {
        columns: options.columns,
        chunkRows: options.chunkRows,
        requireFinalNewline: options.requireFinalNewline,
        missingColumns: options.missingColumns ?? "report",
        sha256: options.sha256,
      },
      options.summary,
    );
    for await (const block of scan) {
      validator.addUnparseable(block.quarantined);
      await sinks.writeQuarantine(block.quarantined);
      const { good, quarantined } = validator.validate(block.chunk);
      await sinks.writeQuarantine(quarantined);
      await sinks.writeGood(good, block.header);
    }
  } finally {
    await sinks.closeAll();
  }
  const report = validator.report();
  await finish(report, options);
  return report;
}

/** Validate a stream of chunks (e.g. straight from a generator, with its schema to decode codes). */
export async function validateChunks(
  source: Iterable<ValueChunk> | AsyncIterable<ValueChunk>,
  suite: Suite,
  options: { schema?: TableSchema; source?: string; exactUniqueness?: boolean; onGood?: (chunk: ValueChunk) => void | Promise<void>; onQuarantine?: (records: QuarantineRecord[]) => void | Promise<void> } & ValidationOutputs = {},
): Promise<ValidationReport> {
  const validator = new Validator(suite, { schema: options.schema, source: options.source, exactUniqueness: options.exactUniqueness });
  const types = new Map<string, CsvValueType>((options.schema?.columns ?? []).map((c) => [c.name, c.type]));
  const sinks = new Sinks({ quarantinePath: options.quarantinePath }, types);
  await sinks.openAll();
  try {
    for await (const chunk of source) {
      const { good, quarantined } = validator.validate(chunk);
      if (quarantined.length > 0) {
        await sinks.writeQuarantine(quarantined);
        await options.onQuarantine?.(quarantined);
      }
      if (good.length > 0) await options.onGood?.(good);
    }
  } finally {
    await sinks.closeAll();
  }
  const report = validator.report();
  await finish(report, options);
  return report;
}
