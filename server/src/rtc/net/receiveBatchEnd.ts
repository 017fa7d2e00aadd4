// The end of one batch of received datagrams. What the SFU sends while handling a batch (the forwarded copies,
// werift's replies) leaves when the batch ends, in one sendmmsg per socket, instead of from a setImmediate: that
// cost an extra event-loop turn (a zero-timeout poll, the check phase) for every batch, the main cost of a small
// call. Sends made outside a batch (timers, promise continuations) keep the setImmediate.

let open = false;
const atEnd: (() => void)[] = [];

/** Whether a receive batch is being handled now (a send queued now goes out at its end). */
export function receiveBatchOpen(): boolean {
  return open;
}

/** Runs `fn` once when the batch being handled ends; only while receiveBatchOpen(). */
export function atReceiveBatchEnd(fn: () => void): void {
  atEnd.push(fn);
}

/** Handles one batch, then runs what was deferred to its end; the first error (of either) is thrown after all ran. */
export function handleReceiveBatch(body: () => void): void {
  let failure: unknown;
  let failed = false;
  open = true;
  try {
    body();
  } catch (err) {
    failed = true;
    failure = err;
  }
  open = false;
  for (let i = 0; i < atEnd.length; i++) {
    try {
      atEnd[i]();
    } catch (err) {
      if (!failed) {
        failed = true;
        failure = err;
      }
    }
  }
  atEnd.length = 0;
  if (failed) throw failure;
}
