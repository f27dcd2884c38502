/**
 * Jupyter notebooks (nbformat 4): the types the runner reads and writes, reading with errors that
 * name the file, and a structural check of the v4.5 schema's required fields so a written notebook
 * opens in Jupyter (the interop suite confirms with Python's `nbformat.validate`).
 */
import { readFileSync } from "node:fs";
import { DataError } from "../errors.js";

/** Multiline text as nbformat stores it: one string or a list of lines (each keeping its newline). */
export type MultilineString = string | string[];

/** A stream output (stdout or stderr). */
export interface StreamOutput {
  output_type: "stream";
  name: "stdout" | "stderr";
  text: MultilineString;
}

/** Rich output: MIME type to content (text as lines, binary as base64). */
export interface DisplayDataOutput {
  output_type: "display_data";
  data: Record<string, MultilineString>;
  metadata: Record<string, unknown>;
}

/** The value of a cell's last expression, as kernels that use it report it. */
export interface ExecuteResultOutput {
  output_type: "execute_result";
  execution_count: number | null;
  data: Record<string, MultilineString>;
  metadata: Record<string, unknown>;
}

/** An exception raised by a cell. */
export interface ErrorOutput {
  output_type: "error";
  ename: string;
  evalue: string;
  traceback: string[];
}

/** Any code-cell output. */
export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

/** A code cell. */
export interface CodeCell {
  cell_type: "code";
  id?: string;
  metadata: Record<string, unknown> & { tags?: string[] };
  source: MultilineString;
  execution_count: number | null;
  outputs: Output[];
}

/** A markdown cell. */
export interface MarkdownCell {
  cell_type: "markdown";
  id?: string;
  metadata: Record<string, unknown> & { tags?: string[] };
  source: MultilineString;
  attachments?: Record<string, unknown>;
}

/** A raw cell (passed through untouched). */
export interface RawCell {
  cell_type: "raw";
  id?: string;
  metadata: Record<string, unknown> & { tags?: string[] };
  source: MultilineString;
}

/** Any cell. */
export type Cell = CodeCell | MarkdownCell | RawCell;

/** A notebook document. */
export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: Record<string, unknown> & {
    kernelspec?: { name: string; display_name: string; language?: string };
    language_info?: Record<string, unknown>;
  };
  cells: Cell[];
}

/** The kernelspec of tslab's TypeScript kernel, as `tslab install` registers it. */
export const TSLAB_KERNELSPEC = { name: "tslab", display_name: "TypeScript", language: "typescript" } as const;

/** Language info as tslab reports it. */
export const TYPESCRIPT_LANGUAGE_INFO = {
  name: "typescript",
  file_extension: ".ts",
  mimetype: "text/typescript",
  codemirror_mode: { mode: "typescript", name: "javascript", typescript: true },
} as const;

/** Join multiline text into one string. */
export function sourceText(source: MultilineString): string {
  return Array.isArray(source) ? source.join("") : source;
}

/** Split text into nbformat lines (every line but the last keeps its "\n"). */
export function toLines(text: string): string[] {
  if (text === "") return [];
  const parts = text.split(/(?<=\n)/);
  return parts;
}

/** Read and check a notebook file; errors name the file and what is wrong. */
export function readNotebook(path: string): Notebook {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new DataError(`cannot read notebook ${path}`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataError(`notebook ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const problems = validateNotebook(value);
  if (problems.length > 0) throw new DataError(`notebook ${path} is not a valid nbformat 4 notebook: ${problems.slice(0, 5).join("; ")}`);
  return value as Notebook;
}

/** Serialize a notebook as Jupyter does (1-space indent, trailing newline). */
export function serializeNotebook(nb: Notebook): string {
  return JSON.stringify(nb, null, 1) + "\n";
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function isMultiline(v: unknown): boolean {
  return typeof v === "string" || (Array.isArray(v) && v.every((s) => typeof s === "string"));
}

function onlyKeys(where: string, obj: Record<string, unknown>, allowed: readonly string[], problems: string[]): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) problems.push(`${where}: unexpected property '${k}'`);
}

function checkOutput(where: string, out: unknown, problems: string[]): void {
  if (!isRecord(out)) {
    problems.push(`${where}: not an object`);
    return;
  }
  switch (out.output_type) {
    case "stream":
      onlyKeys(where, out, ["output_type", "name", "text"], problems);
      if (out.name !== "stdout" && out.name !== "stderr") problems.push(`${where}: stream name must be stdout or stderr, got ${JSON.stringify(out.name)}`);
      if (!isMultiline(out.text)) problems.push(`${where}: stream text must be a string or list of strings`);
      break;
    case "display_data":
    case "execute_result":
      onlyKeys(where, out, out.output_type === "display_data" ? ["output_type", "data", "metadata"] : ["output_type", "data", "metadata", "execution_count"], problems);
      if (!isRecord(out.data)) problems.push(`${where}: data must be an object`);
      else for (const [mime, v] of Object.entries(out.data)) {
        if (!/^[a-z]+\/[^\s]+$/.test(mime)) problems.push(`${where}: '${mime}' is not a MIME type`);
        if (!/json$/.test(mime) && !isMultiline(v)) problems.push(`${where}: data['${mime}'] must be text`);
      }
      if (!isRecord(out.metadata)) problems.push(`${where}: metadata must be an object`);
      if (out.output_type === "execute_result" && !(out.execution_count === null || Number.isInteger(out.execution_count))) problems.push(`${where}: execution_count must be an integer or null`);
      break;
    case "error":
      onlyKeys(where, out, ["output_type", "ename", "evalue", "traceback"], problems);
      if (typeof out.ename !== "string" || typeof out.evalue !== "string") problems.push(`${where}: ename and evalue must be strings`);
      if (!Array.isArray(out.traceback) || !out.traceback.every((s) => typeof s === "string")) problems.push(`${where}: traceback must be a list of strings`);
      break;
    default:
      problems.push(`${where}: unknown output_type ${JSON.stringify(out.output_type)}`);
  }
}

/**
 * The problems that would make Jupyter reject a notebook (required keys, types, cell ids for
 * nbformat >= 4.5, output shapes), each naming the cell; empty when the notebook is valid.
 */
export function validateNotebook(value: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(value)) return ["the document is not a JSON object"];
  if (value.nbformat !== 4) problems.push(`nbformat must be 4, got ${JSON.stringify(value.nbformat)}`);
  if (!Number.isInteger(value.nbformat_minor) || (value.nbformat_minor as number) < 0) problems.push("nbformat_minor must be a non-negative integer");
  if (!isRecord(value.metadata)) problems.push("metadata must be an object");
  if (!Array.isArray(value.cells)) return [...problems, "cells must be a list"];
  onlyKeys("notebook", value, ["nbformat", "nbformat_minor", "metadata", "cells"], problems);
  const needIds = (value.nbformat_minor as number) >= 5;
  const ids = new Set<string>();
  value.cells.forEach((cell: unknown, i: number) => {
    const where = `cell ${i}`;
    if (!isRecord(cell)) {
      problems.push(`${where}: not an object`);
      return;
    }
    if (!isRecord(cell.metadata)) problems.push(`${where}: metadata must be an object`);
    if (!isMultiline(cell.source)) problems.push(`${where}: source must be a string or list of strings`);
    if (needIds || cell.id !== undefined) {
      if (typeof cell.id !== "string" || !/^[a-zA-Z0-9-_]{1,64}$/.test(cell.id)) problems.push(`${where}: id must match ^[a-zA-Z0-9-_]{1,64}$ (nbformat 4.5), got ${JSON.stringify(cell.id)}`);
      else if (ids.has(cell.id)) problems.push(`${where}: duplicate id '${cell.id}'`);
      else ids.add(cell.id);
    }
    if (cell.cell_type === "code") {
      onlyKeys(where, cell, ["cell_type", "id", "metadata", "source", "execution_count", "outputs"], problems);
      if (!(cell.execution_count === null || Number.isInteger(cell.execution_count))) problems.push(`${where}: execution_count must be an integer or null`);
      if (!Array.isArray(cell.outputs)) problems.push(`${where}: outputs must be a list`);
      else cell.outputs.forEach((o: unknown, k: number) => checkOutput(`${where} output ${k}`, o, problems));
    } else if (cell.cell_type === "markdown" || cell.cell_type === "raw") {
      onlyKeys(where, cell, ["cell_type", "id", "metadata", "source", "attachments"], problems);
    } else {
      problems.push(`${where}: unknown cell_type ${JSON.stringify(cell.cell_type)}`);
    }
  });
  return problems;
}

/** A new empty notebook for the tslab kernel. */
export function emptyNotebook(): Notebook {
  return { nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { ...TSLAB_KERNELSPEC }, language_info: { ...TYPESCRIPT_LANGUAGE_INFO } }, cells: [] };
}
