/**
 * Code that notebooks reach is compiled by tslab's bundled TypeScript 5.0.4, not by the project's
 * compiler: newer syntax or newer type narrowing (e.g. 5.4's narrowing in closures) type-checks here
 * with `tsc` but breaks every notebook. This compiles the library files the notebooks import, and
 * what they import, with TypeScript 5.0 and tslab's options, in the default suite.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { sourceText } from "../../lib/notebook/nbformat.js";
import { fromPercent } from "../../lib/notebook/percent.js";

const root = resolve(import.meta.dirname, "..", "..");

function notebookEntries(): string[] {
  // The public API as a whole: notebooks are meant to import `./lib/index.js`.
  const files = new Set<string>([join(root, "lib", "notebook", "context.ts"), join(root, "lib", "index.ts")]);
  const srcDir = join(root, "notebooks", "src");
  for (const f of readdirSync(srcDir).filter((x) => x.endsWith(".ts"))) {
    const nb = fromPercent(readFileSync(join(srcDir, f), "utf8"));
    for (const cell of nb.cells) {
      if (cell.cell_type !== "code") continue;
      for (const m of sourceText(cell.source).matchAll(/from "(\.\/lib\/[^"]+)"/g)) files.add(join(root, m[1].replace(/\.js$/, ".ts")));
    }
  }
  for (const f of readdirSync(join(root, "lib", "plot"))) if (f.endsWith(".ts")) files.add(join(root, "lib", "plot", f));
  return [...files].sort();
}

type TS = typeof import("typescript");

function tslabTypeScript(): TS {
  return createRequire(join(root, "package.json"))("@tslab/typescript-for-tslab") as TS;
}

function check(ts: TS, entries: string[]): string[] {
  const program = ts.createProgram(entries, {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    resolveJsonModule: true,
    skipLibCheck: true,
    noEmit: true,
    types: ["node"],
  });
  return ts
      .getPreEmitDiagnostics(program)
    .filter((d) => d.file && !d.file.fileName.includes("node_modules"))
    .map((d) => {
      const file = d.file as import("typescript").SourceFile;
      const { line } = file.getLineAndCharacterOfPosition(d.start ?? 0);
      return `${file.fileName.startsWith(root) ? file.fileName.slice(root.length + 1) : file.fileName}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
    });
}

describe("library code reachable from notebooks compiles with tslab's TypeScript 5.0", () => {
  it("has no type errors under TypeScript 5.0.4 with tslab's compiler options", () => {
    const ts = tslabTypeScript();
    expect(ts.version).toBe("5.0.4");
    const entries = notebookEntries();
    expect(entries.length).toBeGreaterThan(10);
    expect(check(ts, entries)).toEqual([]);
  }, 120_000);

  it("catches what only newer TypeScript accepts (5.4's narrowing of a let in a closure)", () => {
    const dir = mkdtempSync(join(tmpdir(), "ts50-"));
    const file = join(dir, "closure.ts");
    writeFileSync(file, `type E = { op: "a"; x: string } | { op: "b" };\nexport function g(list: E[]) {\n  let entry = list[0];\n  if (entry.op === "a") return () => entry.x;\n  return undefined;\n}\n`);
    const problems = check(tslabTypeScript(), [file]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/closure\.ts:4: Property 'x' does not exist on type 'E'/);
  }, 60_000);
});
