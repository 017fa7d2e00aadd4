// Says in the log when the event loop was blocked for a long time. A process that does not run for seconds stops
// answering ICE consent checks, so calls can drop "for no reason" minutes later (30 s after the last answer); this
// line, with its time, is what ties such drops to a stall (and tells a stall from a lost network path).
import type {Logger} from './log';
import {onLoopLateness} from './loop-lateness';

export interface StallWatchOptions {
  /** How often the timer ticks. */
  everyMs?: number;
  /** A tick this much later than due is logged. */
  warnAfterMs?: number;
}

/** Starts the watch (a sampler that never keeps the process alive, loop-lateness.ts); returns the stop. */
export function startStallWatch(log: Logger, {everyMs = 250, warnAfterMs = 1_000}: StallWatchOptions = {}): () => void {
  return onLoopLateness(everyMs, (late) => {
    if (late >= warnAfterMs) log.warn({blockedMs: Math.round(late)}, 'event loop blocked');
  });
}
