import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createRng } from "../../lib/util/random.js";
import { INDUSTRIAL_TABLE, createIndustrialSimulation, type IndustrialChunk } from "../../lib/simulate/industrial.js";
import { writeTable } from "../../lib/simulate/write.js";

describe("bounded memory", () => {
  it("streams 1.5M industrial rows to CSV while the heap stays far below the table's size", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sim-mem-"));
    try {
      const sim = createIndustrialSimulation({ devices: 10, samplesPerDevice: 150_000 }, createRng(1));
      // Held in memory, the columns alone would take 1.5M x 55 bytes = 82 MB (plus the CSV text).
      const tableBytes = sim.rows * (6 * 8 + 4 + 2 + 1);
      const baseline = process.memoryUsage().heapUsed;
      let peak = 0;
      function* watched(): Generator<IndustrialChunk> {
        for (const chunk of sim.chunks()) {
          peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
          yield chunk;
        }
      }
      const res = await writeTable(INDUSTRIAL_TABLE, watched(), join(dir, "x.csv"));
      expect(res.rows).toBe(1_500_000);
      expect((await stat(join(dir, "x.csv"))).size).toBeGreaterThan(90_000_000);
      expect(peak).toBeLessThan(tableBytes / 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
