import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { emptyNotebook, readNotebook, serializeNotebook, sourceText, toLines, validateNotebook, type Notebook } from "../../lib/notebook/nbformat.js";

function valid(): Notebook {
  const nb = emptyNotebook();
  nb.cells = [
    { cell_type: "markdown", id: "a", metadata: {}, source: ["# T\n", "text"] },
    {
      cell_type: "code",
      id: "b",
      metadata: { tags: ["parameters"] },
      source: "let x = 1;",
      execution_count: 1,
      outputs: [
        { output_type: "stream", name: "stdout", text: ["1\n"] },
        { output_type: "display_data", data: { "image/svg+xml": ["<svg/>"], "image/png": "iVBOR" }, metadata: {} },
        { output_type: "error", ename: "Error", evalue: "boom", traceback: ["Error: boom"] },
      ],
    },
  ];
  return nb;
}

describe("nbformat 4 structure", () => {
  it("accepts a well-formed 4.5 notebook", () => {
    expect(validateNotebook(valid())).toEqual([]);
  });

  it("names every problem with its cell", () => {
    const nb = valid() as unknown as { cells: Record<string, unknown>[]; nbformat: number };
    nb.cells[0].id = "b";
    (nb.cells[1].outputs as Record<string, unknown>[])[0].name = "stdin";
    (nb.cells[1].outputs as Record<string, unknown>[])[1].transient = {};
    nb.cells[1].execution_count = "1";
    const problems = validateNotebook(nb);
    expect(problems).toContain("cell 1: duplicate id 'b'");
    expect(problems).toContain('cell 1 output 0: stream name must be stdout or stderr, got "stdin"');
    expect(problems).toContain("cell 1 output 1: unexpected property 'transient'");
    expect(problems).toContain("cell 1: execution_count must be an integer or null");
  });

  it("requires cell ids from nbformat 4.5 on, not before", () => {
    const nb = valid();
    delete nb.cells[0].id;
    expect(validateNotebook(nb)[0]).toMatch(/cell 0: id must match/);
    nb.nbformat_minor = 4;
    expect(validateNotebook(nb)).toEqual([]);
  });

  it("rejects other formats and unknown cell types", () => {
    expect(validateNotebook([])).toEqual(["the document is not a JSON object"]);
    expect(validateNotebook({ nbformat: 3, nbformat_minor: 0, metadata: {}, cells: [] })[0]).toMatch(/nbformat must be 4/);
    const nb = valid() as unknown as { cells: Record<string, unknown>[] };
    nb.cells[0].cell_type = "heading";
    expect(validateNotebook(nb)).toContain('cell 0: unknown cell_type "heading"');
  });

  it("splits text into lines that join back", () => {
    expect(toLines("a\nb\n")).toEqual(["a\n", "b\n"]);
    expect(toLines("a\nb")).toEqual(["a\n", "b"]);
    expect(toLines("")).toEqual([]);
    expect(sourceText(toLines("x\n\ny"))).toBe("x\n\ny");
  });

  it("reads a notebook and names the file when it is broken", () => {
    const dir = mkdtempSync(join(tmpdir(), "nbformat-"));
    writeFileSync(join(dir, "ok.ipynb"), serializeNotebook(valid()));
    expect(readNotebook(join(dir, "ok.ipynb")).cells).toHaveLength(2);
    writeFileSync(join(dir, "bad.ipynb"), "{ not json");
    expect(() => readNotebook(join(dir, "bad.ipynb"))).toThrow(/bad\.ipynb is not valid JSON/);
    writeFileSync(join(dir, "v3.ipynb"), JSON.stringify({ nbformat: 3, nbformat_minor: 0, metadata: {}, cells: [] }));
    expect(() => readNotebook(join(dir, "v3.ipynb"))).toThrow(/v3\.ipynb is not a valid nbformat 4 notebook: nbformat must be 4/);
    expect(() => readNotebook(join(dir, "missing.ipynb"))).toThrow(/cannot read notebook .*missing\.ipynb/);
  });
});
