/**
 * The main-thread side of a synchronous fork-join team of worker threads sharing an Int32Array of
 * control words: word 0 is the job sequence number the main thread posts, word 1 the sequence
 * number of the last job the worker finished. The worker side (eval'd worker source) waits on
 * word 0, runs the job, then stores the sequence number in word 1 and notifies.
 */

/** Control word holding the posted job's sequence number. */
export const CTRL_SEQ = 0;
/** Control word holding the sequence number of the last finished job. */
export const CTRL_DONE = 1;

/** Post job number `seq` (its parameters already written to the control words) and wake the worker. */
export function postJob(ctrl: Int32Array, seq: number): void {
  Atomics.store(ctrl, CTRL_SEQ, seq);
  Atomics.notify(ctrl, CTRL_SEQ);
}

/** Block until the worker has finished job number `seq`. */
export function awaitJob(ctrl: Int32Array, seq: number): void {
  for (;;) {
    const done = Atomics.load(ctrl, CTRL_DONE);
    if (done === seq) return;
    Atomics.wait(ctrl, CTRL_DONE, done);
  }
}
