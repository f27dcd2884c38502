/**
 * Progress for long work: a live bar when stderr is a terminal (cli-progress), plain log lines
 * at a modest rate otherwise (CI logs, pipes), and nothing at all when silenced.
 */
import cliProgress from "cli-progress";

/** A progress reporter for one task of known size. */
export interface Progress {
  /** Advance to `done` of `total`, with an optional short status. */
  update(done: number, status?: string): void;
  /** Finish and release the terminal. */
  stop(): void;
}

/** Something that can start progress reporters; the CLI passes one, tests pass `silentProgress`. */
export type ProgressFactory = (label: string, total: number) => Progress;

/** A reporter that reports nothing. */
export const silentProgress: ProgressFactory = () => ({ update() {}, stop() {} });

/** The default: a bar on a TTY, a line every few seconds (and at the end) otherwise. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ProgressFactory {
  return (label, total) => {
    if (stream.isTTY) {
      const bar = new cliProgress.SingleBar(
        { format: `${label} [{bar}] {percentage}% | {value}/{total} | eta {eta_formatted} {status}`, stream, hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { status: "" });
      return {
        update: (done, status = "") => bar.update(done, { status }),
        stop: () => bar.stop(),
      };
    }
    let lastPrint = 0;
    let last = 0;
    const started = Date.now();
    return {
      update(done, status = "") {
        last = done;
        const now = Date.now();
        if (now - lastPrint >= 5000 || done === total) {
          lastPrint = now;
          stream.write(`${label}: ${done}/${total} (${((100 * done) / Math.max(total, 1)).toFixed(0)}%) ${status}\n`);
        }
      },
      stop() {
        stream.write(`${label}: done ${last}/${total} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      },
    };
  };
}
