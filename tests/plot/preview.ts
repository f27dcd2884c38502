/** Render every chart with seeded data to PNG files (for looking at them): npx tsx tests/plot/preview.ts OUTDIR */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sampleCharts } from "./charts.js";
import { toPng } from "../../lib/plot/render.js";

const dir = process.argv[2] ?? "/tmp/plot-preview";
mkdirSync(dir, { recursive: true });
for (const [name, figure] of Object.entries(sampleCharts())) {
  writeFileSync(join(dir, `${name}.svg`), figure.svg);
  writeFileSync(join(dir, `${name}.png`), toPng(figure, { scale: 1.5 }));
  process.stdout.write(`${name}: ${figure.width}x${figure.height}\n`);
}
