// Coalesces the removals of one call's sessions: a removal that arrives in the same turn of the event loop, or while
// another waits for the call lock, rides along with it, so hundreds of sessions failing together (ICE consent expiring
// in one timers phase, a node dying) cost a few lock turns, each reading the call's sessions once, not one each.
import type {CallLock} from './lock';

interface Batch {
  readonly sessionIDs: string[];
  done: Promise<void>;
}

export class RemovalBatcher {
  /** Per call: the batch still waiting for the lock (once it holds the lock, new removals start the next one). */
  readonly #waiting = new Map<string, Batch>();

  constructor(
    private readonly lock: CallLock,
    /** Under the call lock: removes these sessions of the call. */
    private readonly removeUnderLock: (callID: string, sessionIDs: readonly string[]) => Promise<void>,
  ) {}

  /** Resolves (or rejects) when the batch that took this session has run. */
  remove(channelID: string, callID: string, sessionID: string): Promise<void> {
    const waiting = this.#waiting.get(callID);
    if (waiting) {
      waiting.sessionIDs.push(sessionID);
      return waiting.done;
    }
    const batch: Batch = {sessionIDs: [sessionID], done: Promise.resolve()};
    this.#waiting.set(callID, batch);
    const close = () => {
      if (this.#waiting.get(callID) === batch) this.#waiting.delete(callID);
    };
    // The batch waits one turn of the event loop before it asks for the lock. Leaves arrive one by one as their media
    // closes, each in its own microtask, and with SQLite (synchronous under its promises) a removal that got the lock
    // at once finished before the next arrived: hundreds of one-session batches in one unbroken chain of microtasks
    // held the loop for 1.9 s in a 1×400 load test's teardown. After a turn, all of them ride in one batch.
    batch.done = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
      this.lock.withLock(channelID, () => {
        close();
        return this.removeUnderLock(callID, batch.sessionIDs);
      }),
    );
    // A lock that timed out never ran fn: the batch must not stay open for later removals to join.
    batch.done.then(close, close);
    return batch.done;
  }
}
