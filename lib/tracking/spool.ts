/**
 * The offline spool of the REST backend: when the tracking server cannot be reached, a run's writes
 * go to an append-only JSONL journal on local disk, and are replayed in order when the server
 * answers again, by the same process or, if it died, by the next one (or `workbench sync`).
 *
 * Layout: `<root>/<server key>/<run id>.jsonl` (one write per line, appended with one O_APPEND
 * write each, so a killed writer leaves whole lines and at worst a torn last line), `<run id>.cursor`
 * (how many lines the server has acknowledged, replaced atomically), `<run id>.blobs/` (artifact
 * bytes), `<run id>.owner` (pid of the process that spools for the run; a journal whose owner is
 * dead is an orphan any process may claim and replay). Journals hold payloads only, never headers
 * or credentials.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { RunStatus } from "./entities.js";

/** A metric point in the journal: [key, value (proto JSON), timestamp, step]. */
export type SpooledMetric = [string, number | string, number, number];

/** One spooled write. `maybeSent` marks a write whose request may already have reached the server. */
export type SpoolEntry =
  | { op: "create"; experimentId: string; runName?: string; userId: string; startTime: number; tags: Record<string, string>; maybeSent?: boolean }
  | { op: "batch"; metrics: SpooledMetric[]; params: Record<string, string>; tags: Record<string, string>; maybeSent?: boolean }
  | { op: "update"; status?: RunStatus; endTime?: number | null; runName?: string; maybeSent?: boolean }
  | { op: "deleteTag"; key: string; maybeSent?: boolean }
  | { op: "artifact"; path: string; blob: string; maybeSent?: boolean };

/** What a journal holds now. */
export interface JournalState {
  entries: SpoolEntry[];
  /** Entries already acknowledged by the server. */
  cursor: number;
  /** A torn last line (a writer killed mid-append) was skipped. */
  torn: boolean;
}

/** The default spool folder: WORKBENCH_SPOOL_DIR or ~/.workbench/spool. */
export function defaultSpoolRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.WORKBENCH_SPOOL_DIR && env.WORKBENCH_SPOOL_DIR !== "" ? env.WORKBENCH_SPOOL_DIR : join(homedir(), ".workbench", "spool");
}

/** A stable folder name for a server base URL (which never holds credentials). */
export function serverKey(baseUrl: string): string {
  return createHash("sha256").update(baseUrl).digest("hex").slice(0, 16);
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const RUN_FILE = /^([a-zA-Z0-9][\w-]{0,255})\.jsonl$/;

/** The spool of one tracking server. */
export class Spool {
  readonly dir: string;
  private readonly owned = new Set<string>();
  /** Journals this process claimed from a dead owner (their run was never ended by its own process). */
  private readonly adopted = new Set<string>();

  constructor(root: string, baseUrl: string) {
    this.dir = join(root, serverKey(baseUrl));
    mkdirSync(this.dir, { recursive: true });
    const label = join(this.dir, "server.txt");
    if (!existsSync(label)) writeFileSync(label, baseUrl + "\n");
  }

  private journalPath(runId: string): string {
    return join(this.dir, `${runId}.jsonl`);
  }

  /** Whether the run has a journal (pending or half-replayed writes). */
  has(runId: string): boolean {
    return existsSync(this.journalPath(runId));
  }

  /** Whether this process spools for the run. */
  owns(runId: string): boolean {
    return this.owned.has(runId);
  }

  /** Append one write; the journal becomes this process's. */
  append(runId: string, entry: SpoolEntry): void {
    if (!this.owned.has(runId)) this.takeOwnership(runId);
    const fd = openSync(this.journalPath(runId), "a");
    try {
      writeSync(fd, JSON.stringify(entry) + "\n");
    } finally {
      closeSync(fd);
    }
  }

  /** Copy artifact bytes (or a file) into the run's blob folder; returns the blob name. */
  storeBlob(runId: string, content: Buffer | { file: string }): string {
    const blobDir = join(this.dir, `${runId}.blobs`);
    mkdirSync(blobDir, { recursive: true });
    const name = `${Date.now()}-${randomBytes(6).toString("hex")}`;
    const temp = join(blobDir, `.tmp-${name}`);
    if (content instanceof Buffer) writeFileSync(temp, content);
    else copyFileSync(content.file, temp);
    renameSync(temp, join(blobDir, name));
    return name;
  }

  /** The path of a stored blob. */
  blobPath(runId: string, blob: string): string {
    return join(this.dir, `${runId}.blobs`, blob);
  }

  /** Read a journal and its cursor. */
  read(runId: string): JournalState {
    let text = "";
    try {
      text = readFileSync(this.journalPath(runId), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const lines = text.split("\n");
    const entries: SpoolEntry[] = [];
    let torn = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (line === "") continue;
      // Only the last line can be torn: a complete line always ends with "\n".
      if (i === lines.length - 1) {
        torn = true;
        break;
      }
      entries.push(JSON.parse(line) as SpoolEntry);
    }
    let cursor = 0;
    try {
      cursor = Number(readFileSync(join(this.dir, `${runId}.cursor`), "utf8").trim()) || 0;
    } catch {
      cursor = 0;
    }
    return { entries, cursor: Math.min(cursor, entries.length), torn };
  }

  /** Record that the first `cursor` entries are on the server (atomic replace). */
  advance(runId: string, cursor: number): void {
    const path = join(this.dir, `${runId}.cursor`);
    const temp = `${path}.tmp-${process.pid}`;
    writeFileSync(temp, String(cursor));
    renameSync(temp, path);
  }

  /** Remove a fully replayed journal with its cursor, blobs and owner file. */
  finish(runId: string): void {
    for (const suffix of [".jsonl", ".cursor"]) rmSync(join(this.dir, `${runId}${suffix}`), { force: true });
    rmSync(join(this.dir, `${runId}.blobs`), { recursive: true, force: true });
    rmSync(join(this.dir, `${runId}.owner`), { force: true });
    this.owned.delete(runId);
    this.adopted.delete(runId);
  }

  /** Whether this process claimed the run's journal from an owner that died (an orphan). */
  adoptedFromDeadOwner(runId: string): boolean {
    return this.adopted.has(runId);
  }

  /** When the journal was last written (epoch ms): for an orphan, about when its writer died. */
  lastWritten(runId: string): number {
    try {
      return Math.round(statSync(join(this.dir, `${runId}.jsonl`)).mtimeMs);
    } catch {
      return Date.now();
    }
  }

  /** Record the server's id of a run created offline under a provisional id (kept after replay, for later lookups). */
  recordMapping(provisionalId: string, serverId: string): void {
    const path = join(this.dir, `${provisionalId}.mapped`);
    writeFileSync(`${path}.tmp-${process.pid}`, serverId);
    renameSync(`${path}.tmp-${process.pid}`, path);
  }

  /** The server's id of a run created offline, once its creation was replayed. */
  mappedId(provisionalId: string): string | undefined {
    try {
      const id = readFileSync(join(this.dir, `${provisionalId}.mapped`), "utf8").trim();
      return id === "" ? undefined : id;
    } catch {
      return undefined;
    }
  }

  /** Keep a write the server refused for good (e.g. a changed param) beside the journal, for a person to look at. */
  reject(runId: string, entry: SpoolEntry, reason: string): void {
    const fd = openSync(join(this.dir, `${runId}.rejected.jsonl`), "a");
    try {
      writeSync(fd, JSON.stringify({ reason, entry }) + "\n");
    } finally {
      closeSync(fd);
    }
  }

  private takeOwnership(runId: string): void {
    writeFileSync(join(this.dir, `${runId}.owner`), String(process.pid));
    this.owned.add(runId);
  }

  /** Run ids with a journal whose owner process is gone (killed before it could replay). */
  orphans(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const name of names) {
      const match = RUN_FILE.exec(name);
      if (!match || name.endsWith(".rejected.jsonl")) continue;
      const runId = match[1];
      if (this.owned.has(runId)) continue;
      let owner = 0;
      try {
        owner = Number(readFileSync(join(this.dir, `${runId}.owner`), "utf8").trim());
      } catch {
        owner = 0;
      }
      if (!pidAlive(owner)) out.push(runId);
    }
    return out.sort();
  }

  /** Become the owner of an orphan journal; false if another live process got there first. */
  claim(runId: string): boolean {
    if (this.owned.has(runId)) return true;
    const lock = join(this.dir, `${runId}.claim`);
    let fd: number;
    try {
      fd = openSync(lock, "wx");
    } catch {
      // Someone is claiming it now, or died while claiming: a claim lock older than a minute is stale.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 60_000) unlinkSync(lock);
      } catch {
        // Vanished meanwhile.
      }
      return false;
    }
    try {
      let owner = 0;
      try {
        owner = Number(readFileSync(join(this.dir, `${runId}.owner`), "utf8").trim());
      } catch {
        owner = 0;
      }
      if (pidAlive(owner) && owner !== process.pid) return false;
      if (!this.has(runId)) return false;
      this.takeOwnership(runId);
      if (owner !== process.pid) this.adopted.add(runId);
      return true;
    } finally {
      closeSync(fd);
      rmSync(lock, { force: true });
    }
  }
}
