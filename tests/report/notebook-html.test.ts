import { describe, expect, it } from "vitest";
import { emptyNotebook } from "../../lib/notebook/nbformat.js";
import { notebookToHtml } from "../../lib/report/notebook-html.js";

describe("executed notebook to HTML", () => {
  const nb = emptyNotebook();
  nb.metadata.workbench = { notebook: "notebooks/x.ipynb", parameters: { seed: 3 }, status: "failed", run_id: "abc", duration: 1.5 };
  nb.cells = [
    { cell_type: "markdown", id: "m", metadata: {}, source: "# Story\nA *claim*." },
    {
      cell_type: "code",
      id: "c",
      metadata: { tags: ["parameters"], workbench: { status: "completed", duration: 0.25 } },
      source: "let seed = 1 < 2;",
      execution_count: 1,
      outputs: [
        { output_type: "stream", name: "stdout", text: ["a < b\n"] },
        { output_type: "display_data", data: { "image/svg+xml": ['<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'] }, metadata: {} },
        { output_type: "display_data", data: { "image/png": "iVBORw0KGgo=" }, metadata: {} },
        { output_type: "display_data", data: { "text/html": ["<table><tr><td>t</td></tr></table>"] }, metadata: {} },
      ],
    },
    {
      cell_type: "code",
      id: "d",
      metadata: { workbench: { status: "failed", duration: 0.1 } },
      source: "boom()",
      execution_count: 2,
      outputs: [{ output_type: "error", ename: "RangeError", evalue: "bad <value>", traceback: ["RangeError: bad <value>", "    at evalmachine.<anonymous>:1:1", "\u001b[31mred\u001b[0m"] }],
    },
  ];
  const html = notebookToHtml(nb);

  it("shows the run header with status and parameters", () => {
    expect(html).toContain("<title>notebooks/x.ipynb</title>");
    expect(html).toContain('<span class="badge failed">failed</span> in 1.5 s');
    expect(html).toContain("<code>seed=3</code>");
  });

  it("renders markdown, escaped code and streams, and cell status", () => {
    expect(html).toContain('<h1 id="story">Story</h1>');
    expect(html).toContain("let seed = 1 &lt; 2;");
    expect(html).toContain('<pre class="stream stdout">a &lt; b\n</pre>');
    expect(html).toContain('In [1] <span class="badge ok">completed 0.25 s</span> <span class="badge">parameters</span>');
  });

  it("inlines SVG and PNG (no files, no network)", () => {
    expect(html).toContain('<figure><svg xmlns="http://www.w3.org/2000/svg"><rect/></svg></figure>');
    expect(html).toContain('<img alt="output" src="data:image/png;base64,iVBORw0KGgo=">');
    expect(html).toContain("<table><tr><td>t</td></tr></table>");
    expect(html).not.toMatch(/(src|href)="(?!data:)[^"#]/);
  });

  it("shows errors once, escaped, without terminal colour codes", () => {
    expect(html).toContain('<pre class="error">RangeError: bad &lt;value&gt;\n    at evalmachine.&lt;anonymous&gt;:1:1\nred</pre>');
  });
});
