/**
 * meta.yaml reading and writing the way MLflow's PyYAML does it (YAML 1.1 scalars, sorted keys,
 * block style), with atomic replacement so that a reader never sees a half-written file.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import YAML from "yaml";

/** A flat YAML mapping as stored in meta.yaml. */
export type MetaRecord = Record<string, string | number | null | unknown[]>;

/** Serialize a flat record as MLflow writes it: sorted keys, single-quoted strings where needed. */
export function stringifyMeta(record: MetaRecord): string {
  return YAML.stringify(record, { version: "1.1", sortMapEntries: true, singleQuote: true, lineWidth: 0 });
}

// Plain scalars that YAML 1.1 resolves to something other than a string: booleans, nulls,
// numbers and the like. A value looking like one of these is parsed by the full YAML parser.
const SPECIAL_PLAIN = /^(?:~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|[-+]?[0-9][0-9_.:eExXoObB+-]*|[-+]?\.[0-9].*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|<<|=)$/;
const SIMPLE_LINE = /^([A-Za-z_][A-Za-z0-9_]*): ?(.*)$/;

/**
 * Parse meta.yaml. The files MLflow and the workbench write are flat mappings of simple scalars,
 * which a line parser reads ten times faster than a general YAML parser; anything unusual falls
 * back to the full YAML 1.1 parser, so Python-written files with other styles still read right.
 */
export function parseMeta(text: string): MetaRecord {
  const fast = parseFlat(text);
  if (fast) return fast;
  const parsed: unknown = YAML.parse(text, { version: "1.1" });
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return {};
  return parsed as MetaRecord;
}

function parseFlat(text: string): MetaRecord | undefined {
  const record: MetaRecord = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === "") continue;
    const match = SIMPLE_LINE.exec(line);
    if (!match) return undefined;
    const value = match[2];
    if (value === "" || value === "null" || value === "~") record[match[1]] = null;
    else if (value === "[]") record[match[1]] = [];
    else if (/^-?[1-9][0-9]*$|^0$/.test(value)) record[match[1]] = Number(value);
    else if (value.startsWith("'")) {
      if (!value.endsWith("'") || value.length < 2) return undefined;
      const inner = value.slice(1, -1);
      if (/'(?!')/.test(inner.replace(/''/g, ""))) return undefined;
      record[match[1]] = inner.replace(/''/g, "'");
    } else if (/^[\[\]{}&*!|>"%@`#,?-]/.test(value) || value.includes(": ") || value.includes(" #") || value.endsWith(":") || value !== value.trim()) {
      return undefined;
    } else if (SPECIAL_PLAIN.test(value)) {
      return undefined;
    } else record[match[1]] = value;
  }
  return record;
}

/** Read and parse a meta.yaml file. */
export function readMeta(path: string): MetaRecord {
  return parseMeta(readFileSync(path, "utf8"));
}

/**
 * Replace a file atomically: write a sibling temp file, then rename over the target. A crash
 * leaves either the old or the new content, never a torn file. The temp file sits in `tempDir`
 * (default: the target's folder) because MLflow reads every file under params/ and tags/.
 */
export function writeFileAtomic(path: string, content: string, tempDir?: string, durable = false): void {
  const dir = tempDir ?? join(path, "..");
  const temp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
  const fd = openSync(temp, "w");
  try {
    writeSync(fd, content);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // The temp file is already gone; the rename error is what matters.
    }
    throw error;
  }
}
