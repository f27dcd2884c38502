/**
 * Self-contained HTML pages: one file with inline CSS and inline images, and a Content Security
 * Policy that forbids loading anything from elsewhere, so a page that slipped in an external
 * reference fails loudly in a browser rather than silently depending on the network.
 */

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** The page's stylesheet (kept small and neutral; printed pages stay readable). */
export const PAGE_CSS = `
:root { color-scheme: light; --fg: #1d1d1f; --muted: #5f6368; --line: #e3e3e6; --accent: #4269d0; --bad: #c0392b; --good: #1e7d3a; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.55 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); background: #fff; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 1.7em; margin: 0.2em 0 0.4em; } h2 { font-size: 1.3em; margin-top: 1.6em; border-bottom: 1px solid var(--line); padding-bottom: 4px; } h3 { font-size: 1.1em; }
p.meta, .muted { color: var(--muted); font-size: 0.9em; }
code, pre, .mono { font-family: "DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace; font-size: 0.86em; }
pre { background: #f6f7f9; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; overflow-x: auto; white-space: pre; }
table { border-collapse: collapse; margin: 10px 0 16px; font-size: 0.9em; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f7f9; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.diff { background: #fff6e0; }
figure { margin: 12px 0; } figure img, figure svg, .output img, .output svg { max-width: 100%; height: auto; }
.cell { margin: 14px 0; }
.cell .prompt { color: var(--muted); font-size: 0.8em; font-family: "DejaVu Sans Mono", monospace; }
.cell .source pre { background: #f3f5fa; }
.output pre.stream { background: #fff; border-color: #eee; }
.output pre.stderr { background: #fff5f5; border-color: #f3caca; }
.output pre.error { background: #fff0f0; border-color: var(--bad); color: #6b1010; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 0.8em; background: #eef1f8; }
.badge.failed { background: #fbe3e1; color: var(--bad); } .badge.ok { background: #e3f4e8; color: var(--good); }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 12px; }
`;

/** A complete HTML document with inline CSS and a CSP that allows only inline content. */
export function htmlPage(options: { title: string; body: string; css?: string }): string {
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    // No network: images must be data: URIs or inline SVG; styles must be inline.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(options.title)}</title>`,
    `<style>${PAGE_CSS}${options.css ?? ""}</style>`,
    "</head>",
    "<body><main>",
    options.body,
    "</main></body>",
    "</html>",
    "",
  ].join("\n");
}

/** A small HTML table (cells escaped; numbers right-aligned to 4 significant digits unless given as text). */
export function htmlTable(header: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  const cell = (v: string | number | null | undefined): string => {
    if (v === null || v === undefined) return "<td></td>";
    if (typeof v === "number") {
      const text = Number.isInteger(v) ? String(v) : Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v);
      return `<td class="num" style="text-align:right">${text}</td>`;
    }
    return `<td>${escapeHtml(v)}</td>`;
  };
  return `<table><thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map(cell).join("")}</tr>`).join("")}</tbody></table>`;
}
