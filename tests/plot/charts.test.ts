import { describe, expect, it } from "vitest";
import { DataError } from "../../lib/errors.js";
import { logPlot } from "../../lib/plot/artifacts.js";
import { show, tslabDisplay } from "../../lib/plot/display.js";
import { kernelDensity, silvermanBandwidth } from "../../lib/plot/density.js";
import { composeFigure, renderPanel, renderPlot, toDataUri, toPng } from "../../lib/plot/render.js";
import { beeswarmOffsets, shapImportance } from "../../lib/plot/shap.js";
import { stepValue, survivalPlot } from "../../lib/plot/survival.js";
import { rankCounts } from "../../lib/plot/trace.js";
import { changeSeriesPlot } from "../../lib/plot/changepoint.js";
import { armComparisonPlot } from "../../lib/plot/arms.js";
import * as Plot from "@observablehq/plot";
import { sampleCharts } from "./charts.js";

const charts = sampleCharts();

function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

describe("chart snapshots (seeded data)", () => {
  for (const [name, figure] of Object.entries(charts)) {
    it(`${name} renders the same SVG`, async () => {
      expect(figure.svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      await expect(figure.svg).toMatchFileSnapshot(`__snapshots__/${name}.svg`);
    });
  }

  it("renders identically twice (no global counters leak into the output)", () => {
    expect(sampleCharts().changepoint.svg).toBe(charts.changepoint.svg);
  });
});

describe("figure composition", () => {
  it("gives each figure its own clip-path ids", () => {
    const spec = { width: 200, height: 100, marks: [Plot.areaY([1, 3, 2], { clip: true })] };
    const a = renderPlot(spec);
    const b = renderPlot({ ...spec, height: 120 });
    const idA = /id="(plot-clip-[^"]+)"/.exec(a.svg)?.[1];
    const idB = /id="(plot-clip-[^"]+)"/.exec(b.svg)?.[1];
    expect(idA).toMatch(/^plot-clip-[0-9a-f]{8}-1$/);
    expect(idB).toBeDefined();
    expect(idA).not.toBe(idB);
    expect(a.svg).toContain(`url(#${idA})`);
  });

  it("stacks panels and adds title, legend and caption height", () => {
    const p = renderPanel({ width: 300, height: 100, marks: [Plot.ruleY([0])] });
    const bare = composeFigure([p]);
    const full = composeFigure([p, p], { title: "T", subtitle: "S", legend: [{ label: "a", color: "red" }], caption: "C" });
    expect(bare.width).toBe(300);
    expect(full.height).toBeGreaterThan(bare.height + 100 + 3 * 11);
    expect((full.svg.match(/<svg /g) ?? []).length).toBe(3);
    expect(full.svg).toContain(">T</text>");
  });

  it("escapes titles and labels", () => {
    const f = renderPlot({ width: 200, height: 100, marks: [Plot.ruleY([0])] }, { title: "a < b & \"c\"" });
    expect(f.svg).toContain("a &lt; b &amp; &quot;c&quot;");
  });

  it("refuses Plot options that make an HTML figure", () => {
    expect(() => renderPanel({ width: 200, height: 100, color: { legend: true }, marks: [Plot.dot([1, 2], { x: (d: number) => d, fill: (d: number) => `g${d}` })] })).toThrow(/Plot returned a <figure>/);
    expect(() => renderPanel({ title: "x" } as never)).toThrow(DataError);
  });
});

describe("PNG output", () => {
  it("rasterizes at the requested scale with a PNG signature", () => {
    const png = toPng(charts.roc, { scale: 2 });
    expect(Array.from(png.slice(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    expect(pngSize(png)).toEqual({ width: charts.roc.width * 2, height: charts.roc.height * 2 });
  });

  it("refuses SVG without the namespace (resvg would reject it)", () => {
    expect(() => toPng('<svg width="10" height="10"></svg>')).toThrow(/xmlns/);
    expect(() => toPng(charts.roc, { scale: 0 })).toThrow(/invalid scale: 0/);
  });

  it("encodes a data URI that decodes back to the SVG", () => {
    const uri = toDataUri(charts.arms);
    expect(Buffer.from(uri.replace(/^data:image\/svg\+xml;base64,/, ""), "base64").toString("utf8")).toBe(charts.arms.svg);
  });
});

describe("chart math", () => {
  it("KDE of one point is the normal density with sd = bandwidth", () => {
    const h = 0.7;
    const kde = kernelDensity([2, 2], { bandwidth: h, points: 101 });
    for (let j = 0; j < kde.x.length; j += 10) {
      const z = (kde.x[j] - 2) / h;
      expect(kde.density[j]).toBeCloseTo(Math.exp(-0.5 * z * z) / (h * Math.sqrt(2 * Math.PI)), 12);
    }
  });

  it("KDE integrates to about 1 over its grid", () => {
    const values = Array.from({ length: 500 }, (_, i) => Math.sin(i * 12.9898) * 3);
    const kde = kernelDensity(values, { points: 400 });
    let area = 0;
    for (let j = 1; j < kde.x.length; j++) area += ((kde.density[j] + kde.density[j - 1]) / 2) * (kde.x[j] - kde.x[j - 1]);
    expect(area).toBeGreaterThan(0.995);
    expect(area).toBeLessThan(1.001);
  });

  it("Silverman bandwidth matches 0.9 * min(sd, IQR/1.34) * n^-1/5", () => {
    // 1..8: sd = sqrt(6), IQR (linear interpolation) = 3.5.
    const h = silvermanBandwidth([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(h).toBeCloseTo(0.9 * Math.min(Math.sqrt(6), 3.5 / 1.34) * Math.pow(8, -0.2), 12);
  });

  it("rank counts add up per chain and are flat for interleaved chains", () => {
    const a = Float64Array.from({ length: 100 }, (_, i) => 2 * i);
    const b = Float64Array.from({ length: 100 }, (_, i) => 2 * i + 1);
    const counts = rankCounts([a, b], 10);
    for (let c = 0; c < 2; c++) {
      let s = 0;
      for (let k = 0; k < 10; k++) {
        s += counts[c * 10 + k];
        expect(counts[c * 10 + k]).toBe(10);
      }
      expect(s).toBe(100);
    }
  });

  it("rank counts pile up at the top for a chain that sits higher", () => {
    const low = Float64Array.from({ length: 50 }, (_, i) => i);
    const high = Float64Array.from({ length: 50 }, (_, i) => 100 + i);
    const counts = rankCounts([low, high], 2);
    expect(Array.from(counts)).toEqual([50, 0, 0, 50]);
  });

  it("beeswarm offsets stay within the row and separate coincident points", () => {
    const x = [0, 0, 0, 0, 0, 1];
    const off = beeswarmOffsets(x, 10);
    expect(new Set(Array.from(off.slice(0, 5))).size).toBe(5);
    for (const o of off) expect(Math.abs(o)).toBeLessThanOrEqual(0.4 + 1e-12);
    expect(off[5]).toBe(0);
  });

  it("orders SHAP features by mean absolute value", () => {
    const { order, meanAbs } = shapImportance([0.1, -2, 0.5, 0.1, 1, -0.5], 3);
    expect(Array.from(order)).toEqual([1, 2, 0]);
    expect(meanAbs[1]).toBeCloseTo(1.5, 12);
  });

  it("reads a right-continuous step curve", () => {
    const t = [1, 2, 4];
    const s = [0.9, 0.7, 0.4];
    expect(stepValue(t, s, 0.5)).toBe(1);
    expect(stepValue(t, s, 1)).toBe(0.9);
    expect(stepValue(t, s, 3.9)).toBe(0.7);
    expect(stepValue(t, s, 10)).toBe(0.4);
  });
});

describe("bad inputs name the option and value", () => {
  it("survival", () => {
    expect(() => survivalPlot([])).toThrow("invalid curves: [] (expected at least one curve)");
    expect(() => survivalPlot([{ label: "a", time: [1, 2], survival: [0.5] }])).toThrow("invalid curves[0].survival.length: 1 (expected 2, the length of curves[0].time)");
  });
  it("change series", () => {
    expect(() => changeSeriesPlot({ values: [1, 2], detected: [{ start: 3, end: 1 }] })).toThrow(/invalid detected\[0\]/);
    expect(() => changeSeriesPlot({ values: [1, 2], probability: [0.1] })).toThrow(/invalid probability.length: 1/);
  });
  it("arms", () => {
    expect(() => armComparisonPlot([{ label: "a", estimate: 3, lower: 4, upper: 5 }])).toThrow(/lower <= estimate <= upper/);
    expect(() => armComparisonPlot([{ label: "a", estimate: 1, lower: 0, upper: 2 }], { log: true })).toThrow(/positive value on a log axis/);
  });
});

describe("display and artifacts", () => {
  it("show() is a no-op outside a tslab kernel and sends SVG inside one", () => {
    expect(tslabDisplay()).toBeUndefined();
    show(charts.arms);
    const shown: string[] = [];
    const g = globalThis as { __tslab__?: unknown };
    g.__tslab__ = { require: (id: string) => (id === "tslab" ? { display: { svg: (s: string) => shown.push(s), html: () => {}, png: () => {} } } : undefined) };
    try {
      show(charts.arms);
    } finally {
      delete g.__tslab__;
    }
    expect(shown).toEqual([charts.arms.svg]);
  });

  it("logPlot writes the SVG and a PNG under the same name", async () => {
    const files = new Map<string, string | Uint8Array>();
    const sink = {
      logFigure: async (markup: string, file: string) => void files.set(file, markup),
      logBytes: async (bytes: Uint8Array, file: string) => void files.set(file, bytes),
    };
    expect(await logPlot(sink, charts.arms, "plots/arms")).toEqual(["plots/arms.svg", "plots/arms.png"]);
    expect(files.get("plots/arms.svg")).toBe(charts.arms.svg);
    expect((files.get("plots/arms.png") as Uint8Array)[1]).toBe(80);
    await expect(logPlot(sink, charts.arms, "../x")).rejects.toThrow(/invalid name: \.\.\/x/);
  });
});
