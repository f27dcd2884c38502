import { describe, expect, it } from "vitest";
import { UsageError } from "../../lib/errors.js";
import { emptyNotebook, sourceText, type Notebook } from "../../lib/notebook/nbformat.js";
import { coerceParameters, injectedSource, parameterize, parseParameterArgs, parseParameterCell } from "../../lib/notebook/parameters.js";

function notebook(paramSource: string): Notebook {
  const nb = emptyNotebook();
  nb.cells = [
    { cell_type: "markdown", id: "m", metadata: {}, source: "# x" },
    { cell_type: "code", id: "p", metadata: { tags: ["parameters"] }, source: paramSource, execution_count: null, outputs: [] },
    { cell_type: "code", id: "c", metadata: {}, source: "console.log(seed)", execution_count: null, outputs: [] },
  ];
  return nb;
}

describe("the parameters cell", () => {
  it("reads let/const/var literals with their types, ignoring comments", () => {
    const declared = parseParameterCell(`// defaults\nlet seed = 42; // the seed\nconst rate: number = 2.5e-3;\nvar name = 'fleet \\'a\\'';\nlet on = true;\nlet big = 1_000;`);
    expect(declared).toEqual([
      { name: "seed", keyword: "let", type: "number", value: 42 },
      { name: "rate", keyword: "const", type: "number", value: 0.0025 },
      { name: "name", keyword: "var", type: "string", value: "fleet 'a'" },
      { name: "on", keyword: "let", type: "boolean", value: true },
      { name: "big", keyword: "let", type: "number", value: 1000 },
    ]);
    expect(parseParameterCell(`let a = "x\\"y"; let b = -1`).map((d) => d.value)).toEqual(['x"y', -1]);
  });

  it("refuses what it cannot inject safely, naming the line", () => {
    expect(() => parseParameterCell("let seed = 42;\nlet xs = [1, 2];")).toThrow("parameters cell, line 2: the value of 'xs' must be a number, string or boolean literal, got '[1, 2]'");
    expect(() => parseParameterCell("seed = 3")).toThrow(/line 1: expected 'let name = literal;'/);
    expect(() => parseParameterCell("let n: string = 3")).toThrow(/'n' is declared string but its default is a number/);
  });
});

describe("command-line parameters", () => {
  const declared = parseParameterCell("let seed = 1; let label = 'a'; let on = false;");

  it("splits name=value, keeping later equals signs", () => {
    expect(parseParameterArgs(["seed=3", "label=a=b"])).toEqual({ seed: "3", label: "a=b" });
    expect(() => parseParameterArgs(["seed"])).toThrow(UsageError);
  });

  it("types values by the declared defaults", () => {
    expect(coerceParameters(declared, { seed: "3", label: "42", on: "yes" })).toEqual({ seed: 3, label: "42", on: true });
  });

  it("names unknown parameters and bad values", () => {
    expect(() => coerceParameters(declared, { sed: "3" })).toThrow("unknown notebook parameter 'sed'; the parameters cell declares: seed, label, on");
    expect(() => coerceParameters(declared, { seed: "three" })).toThrow("parameter 'seed' expects a number, got 'three'");
    expect(() => coerceParameters(declared, { on: "maybe" })).toThrow("parameter 'on' expects true or false, got 'maybe'");
  });

  it("renders the injected cell with the parameter cell's keywords", () => {
    expect(injectedSource(declared, { label: 'say "hi"', seed: 3 })).toBe(`// Parameters injected by \`workbench notebook run\`.\nlet seed = 3;\nlet label = "say \\"hi\\"";`);
  });
});

describe("parameterize", () => {
  it("inserts the injected-parameters cell right after the parameters cell, leaving the input untouched", () => {
    const nb = notebook("let seed = 1;\nlet n = 10;");
    const before = JSON.stringify(nb);
    const p = parameterize(nb, { seed: "7" });
    expect(JSON.stringify(nb)).toBe(before);
    expect(p.notebook.cells.map((c) => c.id)).toEqual(["m", "p", "injected-parameters", "c"]);
    expect(p.notebook.cells[2].metadata.tags).toEqual(["injected-parameters"]);
    expect(sourceText(p.notebook.cells[2].source)).toContain("let seed = 7;");
    expect(p.effective).toEqual({ seed: 7, n: 10 });
    expect(p.overrides).toEqual({ seed: 7 });
  });

  it("replaces an injected cell left from an earlier run and adds none without overrides", () => {
    const once = parameterize(notebook("let seed = 1;"), { seed: 2 }).notebook;
    const twice = parameterize(once, { seed: 3 }).notebook;
    expect(twice.cells.filter((c) => c.metadata.tags?.includes("injected-parameters"))).toHaveLength(1);
    expect(sourceText(twice.cells[2].source)).toContain("let seed = 3;");
    expect(parameterize(once, {}).notebook.cells).toHaveLength(3);
  });

  it("refuses parameters for a notebook without a parameters cell", () => {
    const nb = notebook("let seed = 1;");
    nb.cells[1].metadata = {};
    expect(() => parameterize(nb, { seed: 2 }, "x.ipynb")).toThrow("x.ipynb has no code cell tagged 'parameters', so it takes no parameters");
    expect(parameterize(nb, {}).effective).toEqual({});
  });
});
