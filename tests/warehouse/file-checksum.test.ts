import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataError } from "../../lib/errors.js";
import { sha256File, sha256FileInWorker } from "../../lib/warehouse/file-checksum.js";

let root = "";
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "wh-checksum-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("file checksums", () => {
  it("the worker and the streamed pass give the sha256 of the bytes, across read-buffer boundaries", async () => {
    // 9 MiB + 7 bytes: more than two of the worker's 4 MiB reads and nine of the stream's 1 MiB chunks.
    const bytes = Buffer.alloc(9 * (1 << 20) + 7);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    const path = join(root, "data.bin");
    await writeFile(path, bytes);
    const truth = createHash("sha256").update(bytes).digest("hex");
    expect(await sha256File(path)).toEqual({ sha256: truth, bytes: bytes.length });
    expect(await sha256FileInWorker(path)).toEqual({ sha256: truth, bytes: bytes.length });
    const empty = join(root, "empty.bin");
    await writeFile(empty, "");
    expect(await sha256FileInWorker(empty)).toEqual({ sha256: createHash("sha256").digest("hex"), bytes: 0 });
  });

  it("a missing file is a DataError naming it, on both paths", async () => {
    const missing = join(root, "nope.csv");
    await expect(sha256File(missing)).rejects.toThrow(DataError);
    await expect(sha256FileInWorker(missing)).rejects.toThrow(DataError);
    await expect(sha256FileInWorker(missing)).rejects.toThrow(/nope\.csv/);
  });
});
