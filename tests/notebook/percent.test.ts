import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { serializeNotebook, sourceText, validateNotebook } from "../../lib/notebook/nbformat.js";
import { fromPercent, toPercent } from "../../lib/notebook/percent.js";
import { findParametersCell } from "../../lib/notebook/parameters.js";

const root = join(import.meta.dirname, "..", "..");

describe("percent-format notebooks", () => {
  const text = `// %% [markdown]\n// # Title\n//\n// Some *text*.\n\n// %% tags=["parameters"]\nlet seed = 1;\n\n// %%\nconsole.log(seed);\n`;

  it("splits cells, strips markdown comment prefixes and keeps tags", () => {
    const nb = fromPercent(text);
    expect(nb.cells.map((c) => c.cell_type)).toEqual(["markdown", "code", "code"]);
    expect(sourceText(nb.cells[0].source)).toBe("# Title\n\nSome *text*.");
    expect(nb.cells[1].metadata.tags).toEqual(["parameters"]);
    expect(sourceText(nb.cells[2].source)).toBe("console.log(seed);");
    expect(validateNotebook(nb)).toEqual([]);
    expect(nb.metadata.kernelspec?.name).toBe("tslab");
  });

  it("round-trips through toPercent", () => {
    expect(toPercent(fromPercent(text))).toBe(text);
  });

  it("refuses text before the first cell marker", () => {
    expect(() => fromPercent("let x = 1;\n// %%\n")).toThrow(/line 1: text before the first/);
  });
});

describe("the committed notebooks", () => {
  const sources = readdirSync(join(root, "notebooks", "src")).filter((f) => f.endsWith(".ts"));

  it("exist for every source", () => {
    expect(sources.length).toBeGreaterThanOrEqual(3);
  });

  for (const file of sources) {
    it(`${file} matches its built .ipynb (run 'workbench notebook build' after editing)`, () => {
      const built = serializeNotebook(fromPercent(readFileSync(join(root, "notebooks", "src", file), "utf8")));
      const committed = readFileSync(join(root, "notebooks", file.replace(/\.ts$/, ".ipynb")), "utf8");
      expect(committed).toBe(built);
    });

    it(`${file} has a parameters cell first among code cells, imports only ./lib, and logs to the tracker`, () => {
      const nb = fromPercent(readFileSync(join(root, "notebooks", "src", file), "utf8"));
      const firstCode = nb.cells.findIndex((c) => c.cell_type === "code");
      expect(findParametersCell(nb)).toBe(firstCode);
      const code = nb.cells.filter((c) => c.cell_type === "code").map((c) => sourceText(c.source)).join("\n");
      for (const m of code.matchAll(/from "([^"]+)"/g)) expect(m[1]).toMatch(/^\.\/lib\//);
      expect(code).toContain("notebookRun(");
      expect(code).toContain("run.end()");
    });
  }
});
