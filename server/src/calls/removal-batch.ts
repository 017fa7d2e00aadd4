// Coalesces the removals of one call's sessions: a removal that arrives while another waits for the call lock
// rides along with it, so hundreds of sessions failing together (ICE consent expiring in one timers phase, a node
// dying) cost a few lock turns, each reading the call's sessions once, instead of one turn and one full read each.
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
    batch.done = this.lock.withLock(channelID, () => {
      close();
      return this.removeUnderLock(callID, batch.sessionIDs);
    });
    // A lock that timed out never ran fn: the batch must not stay open for later removals to join.
    batch.done.then(close, close);
    return batch.done;
  }
}
