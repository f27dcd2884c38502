/**
 * The HTML reports open in a real browser: headless Chromium (Debian's `chromium`) renders each page
 * to a screenshot that must show content, and prints no console message (our pages run no script, so
 * any message is a CSP violation, a failed load or an error). A control page with a blocked external
 * image proves the console check can fail.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runExperiment } from "../../lib/experiment/runner.js";
import { emptyNotebook } from "../../lib/notebook/nbformat.js";
import { toPng } from "../../lib/plot/render.js";
import { htmlPage } from "../../lib/report/html.js";
import { notebookToHtml } from "../../lib/report/notebook-html.js";
import { buildRunReport } from "../../lib/report/run-report.js";
import { createTracker } from "../../lib/tracking/tracker.js";
import { experiments } from "../../experiments/index.js";
import { sampleCharts } from "../plot/charts.js";
import { decodePng, inkStats } from "./png.js";

const CHROMIUM = process.env.WORKBENCH_CHROMIUM ?? "/usr/bin/chromium";
const root = join(import.meta.dirname, "..", "..");

interface Rendered {
  screenshot: Uint8Array;
  console: string[];
}

function render(htmlPath: string, dir: string, height = 2000): Rendered {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set WORKBENCH_CHROMIUM`);
  const shot = join(dir, `${htmlPath.split("/").pop()}.png`);
  const profile = mkdtempSync(join(dir, "profile-"));
  const result = spawnSync(
    CHROMIUM,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
      `--window-size=1200,${height}`,
      `--screenshot=${shot}`,
      "--enable-logging=stderr",
      "--v=0",
      `file://${htmlPath}`,
    ],
    { encoding: "utf8", timeout: 120_000 },
  );
  if (result.status !== 0 || !existsSync(shot)) throw new Error(`chromium failed (${result.status ?? result.signal}):\n${result.stderr.slice(-3000)}`);
  const console = [...result.stderr.matchAll(/:CONSOLE(?::\d+)?\] (.*)$/gm)].map((m) => m[1]);
  return { screenshot: new Uint8Array(readFileSync(shot)), console };
}

describe("reports in headless Chromium", () => {
  const dir = mkdtempSync(join(tmpdir(), "chromium-"));
  const pages: Record<string, string> = {};

  beforeAll(async () => {
    const tracker = createTracker({ trackingUri: join(dir, "mlruns") });
    await runExperiment(experiments["rate-estimate"], { tracker, configDir: join(root, "configs"), overrides: ["days=15", "vehicles=20,40,80"] });
    pages.runReport = join(dir, "run-report.html");
    writeFileSync(pages.runReport, (await buildRunReport({ tracker, experiment: "rate-estimate" })).html);

    const charts = sampleCharts();
    const nb = emptyNotebook();
    nb.metadata.workbench = { notebook: "notebooks/demo.ipynb", parameters: { seed: 1 }, status: "completed", duration: 2 };
    nb.cells = [
      { cell_type: "markdown", id: "m", metadata: {}, source: "# Demo\nFigures inline, as **SVG** and as PNG." },
      {
        cell_type: "code",
        id: "c",
        metadata: { workbench: { status: "completed", duration: 0.5 } },
        source: "show(fig)",
        execution_count: 1,
        outputs: [
          { output_type: "stream", name: "stdout", text: ["done\n"] },
          { output_type: "display_data", data: { "image/svg+xml": [charts.survival.svg] }, metadata: {} },
          { output_type: "display_data", data: { "image/svg+xml": [charts.changepoint.svg] }, metadata: {} },
          { output_type: "display_data", data: { "image/png": Buffer.from(toPng(charts.roc, { scale: 1 })).toString("base64") }, metadata: {} },
        ],
      },
    ];
    pages.notebook = join(dir, "notebook.html");
    writeFileSync(pages.notebook, notebookToHtml(nb));

    pages.control = join(dir, "control.html");
    writeFileSync(pages.control, htmlPage({ title: "control", body: '<p>control</p><img alt="x" src="https://example.invalid/x.png">' }));
  }, 120_000);

  for (const name of ["runReport", "notebook"]) {
    it(`${name} renders with content and no console messages`, () => {
      const r = render(pages[name], dir);
      expect(r.console).toEqual([]);
      const px = decodePng(r.screenshot);
      expect(px.width).toBe(1200);
      const stats = inkStats(px);
      expect(stats.ink).toBeGreaterThan(0.02);
      expect(stats.colors).toBeGreaterThan(20);
    }, 180_000);
  }

  it("the console check catches a page that loads from outside", () => {
    const r = render(pages.control, dir, 600);
    expect(r.console.length).toBeGreaterThan(0);
    expect(r.console.join("\n")).toMatch(/Content Security Policy/);
  }, 180_000);
});
