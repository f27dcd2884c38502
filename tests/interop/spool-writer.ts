/**
 * A child process for the killed-writer test: logs batches to a run over REST and prints
 * "ack <i>" after each batch's write returned (sent, or journaled when the server is unreachable),
 * then "done" and waits to be killed.
 *
 * Usage: node --import tsx spool-writer.ts <server-url> <run-id> <spool-dir> <batches> <points-per-batch>
 */
import { RestStore } from "../../lib/tracking/rest-store.js";

const [url, runId, spoolDir, batchesText, sizeText] = process.argv.slice(2);

async function main(): Promise<void> {
  const store = new RestStore(url, {
    env: {},
    spoolDir,
    retry: { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 50 },
    timeoutMs: 10_000,
    probeIntervalMs: 3_600_000, // never probe again: everything after the outage is journaled
    flushTimeoutMs: 0,
    warn: (m) => process.stderr.write(`warning: ${m}\n`),
  });
  const batches = Number(batchesText);
  const size = Number(sizeText);
  for (let b = 0; b < batches; b++) {
    const metrics = [];
    for (let j = 0; j < size; j++) metrics.push({ key: `k${j % 3}`, value: b * size + j, step: b * size + j, timestamp: 1_700_000_000_000 + b });
    await store.logBatch(runId, { metrics, params: { [`p${b}`]: String(b) } });
    process.stdout.write(`ack ${b}\n`);
  }
  await store.updateRun(runId, { status: "FINISHED", endTime: 1_700_000_999_000 }).catch(() => {});
  process.stdout.write("done\n");
  setInterval(() => {}, 1000);
}

main().catch((error: unknown) => {
  process.stderr.write(`writer failed: ${String(error)}\n`);
  process.exit(3);
});
