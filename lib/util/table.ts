/**
 * Plain-text tables for the terminal: columns padded to their widest cell, numbers right-aligned.
 */

/** Format a number for a table: integers as is, others to 6 significant digits. */
export function formatCell(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "number") {
    if (Number.isInteger(value)) return String(value);
    if (!Number.isFinite(value)) return String(value);
    return Number(value.toPrecision(6)).toString();
  }
  return String(value);
}

/** Render rows under a header as an aligned text table. */
export function renderTable(header: readonly string[], rows: readonly (readonly unknown[])[], maxCellWidth = 60): string {
  const text = rows.map((row) => header.map((_, i) => truncate(formatCell(row[i]), maxCellWidth)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((row) => row[i] === undefined || row[i] === null || typeof row[i] === "number"));
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...text.map(line)].join("\n");
}

function truncate(text: string, width: number): string {
  const oneLine = text.replace(/\s*\n\s*/g, " ");
  return oneLine.length <= width ? oneLine : oneLine.slice(0, width - 1) + "…";
}
