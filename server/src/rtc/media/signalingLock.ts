// The per-session signaling lock (reference §3.5 "dcLocking"): a binary semaphore that the server holds
// around each renegotiation it starts and that the client try-locks (Lock/Unlock on calls-dc) before
// adding a track, so the two sides never offer at the same time.

export type LockHolder = 'server' | 'client';

export class SignalingLock {
  #holder: LockHolder | undefined;
  #waiters: {resolve: (ok: boolean) => void; timer: NodeJS.Timeout}[] = [];
  #closed = false;

  get holder(): LockHolder | undefined {
    return this.#holder;
  }

  /** A client Lock request: answered at once (true if taken). */
  tryLock(holder: LockHolder): boolean {
    if (this.#closed || this.#holder) return false;
    this.#holder = holder;
    return true;
  }

  /** Waits up to `timeoutMs` for the lock; resolves false on timeout or close. */
  lock(holder: LockHolder, timeoutMs: number): Promise<boolean> {
    if (this.tryLock(holder)) return Promise.resolve(true);
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = {
        resolve: (ok: boolean) => {
          clearTimeout(waiter.timer);
          if (ok) this.#holder = holder;
          resolve(ok);
        },
        timer: setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.#waiters.push(waiter);
    });
  }

  /** Releases the lock if `holder` has it; returns false (caller logs) otherwise. */
  unlock(holder: LockHolder): boolean {
    if (this.#holder !== holder) return false;
    this.#holder = undefined;
    const next = this.#waiters.shift();
    if (next) next.resolve(true);
    return true;
  }

  /** Takes the lock from whoever has it (a client that never unlocked). */
  steal(holder: LockHolder): void {
    this.#holder = holder;
  }

  close(): void {
    this.#closed = true;
    this.#holder = undefined;
    for (const w of this.#waiters) w.resolve(false);
    this.#waiters = [];
  }
}
