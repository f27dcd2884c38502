/**
 * An executed notebook as one self-contained HTML page: markdown rendered, code shown with its
 * prompt, outputs in order (streams, errors, inline SVG, PNG as data URIs, HTML), and the run's
 * parameters and per-cell status from the runner's metadata.
 */
import { sourceText, type Cell, type MultilineString, type Notebook, type Output } from "../notebook/nbformat.js";
import { escapeHtml, htmlPage } from "./html.js";
import { renderMarkdown } from "./markdown.js";

const ANSI = /\u001b\[[0-9;]*m/g;

function text(v: MultilineString | undefined): string {
  return v === undefined ? "" : sourceText(v);
}

function richOutput(data: Record<string, MultilineString>): string {
  if (data["image/svg+xml"] !== undefined) {
    const svg = text(data["image/svg+xml"]).replace(/<\?xml[^>]*>\s*/, "");
    return `<figure>${svg}</figure>`;
  }
  for (const mime of ["image/png", "image/jpeg", "image/gif"]) {
    if (data[mime] !== undefined) return `<figure><img alt="output" src="data:${mime};base64,${text(data[mime]).replace(/\s+/g, "")}"></figure>`;
  }
  if (data["text/html"] !== undefined) return `<div class="html">${text(data["text/html"])}</div>`;
  if (data["text/markdown"] !== undefined) return renderMarkdown(text(data["text/markdown"]));
  if (data["text/plain"] !== undefined) return `<pre class="stream">${escapeHtml(text(data["text/plain"]))}</pre>`;
  return `<p class="muted">(output of type ${escapeHtml(Object.keys(data).join(", "))} not shown)</p>`;
}

function renderOutput(o: Output): string {
  switch (o.output_type) {
    case "stream":
      return `<pre class="stream ${o.name}">${escapeHtml(text(o.text).replace(ANSI, ""))}</pre>`;
    case "error":
      return `<pre class="error">${escapeHtml([`${o.ename}: ${o.evalue}`, ...o.traceback.filter((l, k) => !(k === 0 && l.startsWith(`${o.ename}: `)))].join("\n").replace(ANSI, ""))}</pre>`;
    default:
      return richOutput(o.data);
  }
}

function renderCell(cell: Cell, index: number): string {
  if (cell.cell_type === "markdown") return `<section class="cell markdown" id="cell-${index}">${renderMarkdown(sourceText(cell.source))}</section>`;
  if (cell.cell_type === "raw") return `<section class="cell raw" id="cell-${index}"><pre>${escapeHtml(sourceText(cell.source))}</pre></section>`;
  const meta = (cell.metadata.workbench ?? {}) as { status?: string; duration?: number };
  const tags = Array.isArray(cell.metadata.tags) ? (cell.metadata.tags as string[]) : [];
  const prompt = `In [${cell.execution_count ?? " "}]`;
  const status = meta.status ? ` <span class="badge ${meta.status === "failed" ? "failed" : meta.status === "completed" ? "ok" : ""}">${escapeHtml(meta.status)}${meta.duration !== undefined ? ` ${meta.duration.toFixed(2)} s` : ""}</span>` : "";
  const tagText = tags.length ? ` <span class="badge">${tags.map(escapeHtml).join(", ")}</span>` : "";
  return [
    `<section class="cell code" id="cell-${index}">`,
    `<div class="prompt">${prompt}${status}${tagText}</div>`,
    `<div class="source"><pre><code class="language-typescript">${escapeHtml(sourceText(cell.source))}</code></pre></div>`,
    `<div class="output">${cell.outputs.map(renderOutput).join("\n")}</div>`,
    `</section>`,
  ].join("\n");
}

/** Render an (executed) notebook as a self-contained HTML page. */
export function notebookToHtml(nb: Notebook, options: { title?: string } = {}): string {
  const meta = (nb.metadata.workbench ?? {}) as { notebook?: string; parameters?: Record<string, unknown>; status?: string; run_id?: string; duration?: number; end_time?: string };
  const title = options.title ?? meta.notebook ?? "notebook";
  const header: string[] = [];
  if (meta.status) {
    const params = Object.entries(meta.parameters ?? {}).map(([k, v]) => `<code>${escapeHtml(k)}=${escapeHtml(String(v))}</code>`).join(" ");
    header.push(
      `<p class="meta">Executed by <code>workbench notebook run</code>: <span class="badge ${meta.status === "failed" ? "failed" : "ok"}">${escapeHtml(meta.status)}</span>` +
        `${meta.duration !== undefined ? ` in ${meta.duration.toFixed(1)} s` : ""}${meta.end_time ? `, ${escapeHtml(meta.end_time)}` : ""}` +
        `${meta.run_id ? `, run <code>${escapeHtml(meta.run_id)}</code>` : ""}${params ? `<br>parameters: ${params}` : ""}</p>`,
    );
  }
  return htmlPage({ title, body: [...header, ...nb.cells.map(renderCell)].join("\n") });
}
