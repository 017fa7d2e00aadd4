// The per-call lock: every state change of a call runs under it ("lock, reload, mutate, save, unlock").
// In-process here; the cluster swaps in a PostgreSQL advisory-lock implementation of the same interface.
import {AppError} from '../errors';

export interface CallLock {
  /** Runs fn while holding the lock of this channel's call; throws app.calls.lock_timeout if it cannot get it in time. */
  withLock<T>(channelID: string, fn: () => Promise<T>): Promise<T>;
}

export const LOCK_TIMEOUT_MS = 10_000;

export function lockTimeoutError(channelID: string): AppError {
  return new AppError('app.calls.lock_timeout', 'failed to lock call', 500, {channelID});
}

export class InProcessCallLock implements CallLock {
  readonly #tails = new Map<string, Promise<void>>();

  constructor(private readonly timeoutMs = LOCK_TIMEOUT_MS) {}

  async withLock<T>(channelID: string, fn: () => Promise<T>): Promise<T> {
    const queued = this.#tails.get(channelID);
    const prev = queued ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.#tails.set(channelID, tail);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        prev,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(lockTimeoutError(channelID)), this.timeoutMs);
        }),
      ]);
    } catch (err) {
      // Keep the queue consistent: our slot is released once the previous holder finishes.
      void prev.then(release);
      throw err;
    } finally {
      clearTimeout(timer);
    }
    // A holder that waited lets the event loop turn first. With SQLite (synchronous under its promises) a queue of
    // holders is otherwise one unbroken chain of microtasks: hundreds of sessions leaving one call at once held the
    // loop for 30 s, so no ICE consent answer went out and every other session failed too.
    if (queued) await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(channelID) === tail) this.#tails.delete(channelID);
    }
  }
}
