/**
 * Notebooks as plain TypeScript in the "percent" format (as jupytext writes it): cells start with
 * `// %%` (code) or `// %% [markdown]` (markdown lines prefixed `// `), optionally with
 * `tags=["parameters"]`. The notebooks/ sources are kept this way so they diff and review as code;
 * `workbench notebook build` turns them into .ipynb files.
 */
import { DataError } from "../errors.js";
import { emptyNotebook, sourceText, toLines, type Cell, type Notebook } from "./nbformat.js";

const HEADER = /^\/\/\s*%%(?:\s+(.*))?$/;

function parseHeader(rest: string | undefined, line: number): { markdown: boolean; tags: string[] } {
  let text = (rest ?? "").trim();
  let markdown = false;
  if (text.startsWith("[markdown]")) {
    markdown = true;
    text = text.slice("[markdown]".length).trim();
  }
  let tags: string[] = [];
  const m = /tags=(\[.*\])/.exec(text);
  if (m) {
    try {
      tags = JSON.parse(m[1]) as string[];
    } catch {
      throw new DataError(`percent notebook line ${line}: tags must be a JSON list of strings, got ${m[1]}`);
    }
  }
  return { markdown, tags };
}

function trimBlank(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && lines[a].trim() === "") a++;
  while (b > a && lines[b - 1].trim() === "") b--;
  return lines.slice(a, b);
}

/** Build a tslab notebook from percent-format TypeScript (cell ids are `cell-<n>` in order). */
export function fromPercent(text: string, metadata: Record<string, unknown> = {}): Notebook {
  const nb = emptyNotebook();
  Object.assign(nb.metadata, metadata);
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let current: { markdown: boolean; tags: string[]; body: string[] } | undefined;
  const cells: Cell[] = [];
  const close = () => {
    if (!current) return;
    const body = trimBlank(current.body);
    const metadata = current.tags.length > 0 ? { tags: current.tags } : {};
    const id = `cell-${cells.length}`;
    if (current.markdown) {
      const md = body.map((l) => l.replace(/^\/\/ ?/, ""));
      cells.push({ cell_type: "markdown", id, metadata, source: toLines(md.join("\n")) });
    } else {
      cells.push({ cell_type: "code", id, metadata, source: toLines(body.join("\n")), execution_count: null, outputs: [] });
    }
  };
  lines.forEach((line, i) => {
    const h = HEADER.exec(line);
    if (h) {
      close();
      current = { ...parseHeader(h[1], i + 1), body: [] };
    } else if (current) {
      current.body.push(line);
    } else if (line.trim() !== "") {
      throw new DataError(`percent notebook line ${i + 1}: text before the first '// %%' cell marker`);
    }
  });
  close();
  nb.cells = cells;
  return nb;
}

/** Write a notebook back as percent-format TypeScript (outputs dropped). */
export function toPercent(nb: Notebook): string {
  const parts: string[] = [];
  for (const cell of nb.cells) {
    const tags = Array.isArray(cell.metadata.tags) && cell.metadata.tags.length > 0 ? ` tags=${JSON.stringify(cell.metadata.tags)}` : "";
    const src = sourceText(cell.source);
    if (cell.cell_type === "markdown") parts.push(`// %% [markdown]${tags}\n${src.split("\n").map((l) => (l === "" ? "//" : `// ${l}`)).join("\n")}`);
    else parts.push(`// %%${tags}\n${src}`);
  }
  return parts.join("\n\n") + "\n";
}
