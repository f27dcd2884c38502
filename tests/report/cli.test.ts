import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import { emptyNotebook, serializeNotebook } from "../../lib/notebook/nbformat.js";
import { runExperiment } from "../../lib/experiment/runner.js";
import { createTracker } from "../../lib/tracking/tracker.js";
import { experiments } from "../../experiments/index.js";

const root = join(import.meta.dirname, "..", "..");

describe("workbench report / notebook html / notebook kernelspec", () => {
  const dir = mkdtempSync(join(tmpdir(), "report-cli-"));
  const store = join(dir, "mlruns");

  it("writes the run report, and exits 2 for an unknown experiment", async () => {
    const tracker = createTracker({ trackingUri: store });
    await runExperiment(experiments["rate-estimate"], { tracker, configDir: join(root, "configs"), overrides: ["days=5", "vehicles=5,10"] });
    const out = join(dir, "r", "report.html");
    expect(await main(["--tracking-uri", store, "report", "rate-estimate", "-o", out])).toBe(0);
    const html = readFileSync(out, "utf8");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain("rate-estimate: 2 runs");
    expect(await main(["--tracking-uri", store, "report", "no-such-experiment", "-o", out])).toBe(2);
  }, 60_000);

  it("exports a notebook to HTML next to it", async () => {
    const nb = emptyNotebook();
    nb.cells = [{ cell_type: "markdown", id: "a", metadata: {}, source: "# Hello" }];
    const path = join(dir, "hello.ipynb");
    writeFileSync(path, serializeNotebook(nb));
    expect(await main(["notebook", "html", path])).toBe(0);
    expect(readFileSync(join(dir, "hello.html"), "utf8")).toContain('<h1 id="hello">Hello</h1>');
  });

  it("installs the kernelspec that starts tslab from the project root", async () => {
    const prefix = join(dir, "venv");
    expect(await main(["notebook", "kernelspec", "--prefix", prefix])).toBe(0);
    const spec = JSON.parse(readFileSync(join(prefix, "share", "jupyter", "kernels", "tslab", "kernel.json"), "utf8")) as { argv: string[]; language: string };
    expect(spec.argv).toContain(root);
    expect(spec.argv[spec.argv.length - 1]).toBe("{connection_file}");
    expect(spec.argv.join(" ")).toContain("tslab kernel --config-path");
    expect(existsSync(join(root, "node_modules", ".bin", "tslab"))).toBe(true);
  });
});
