// Exponential backoff after repeated failures, per key (a login name, a client address): the first
// `freeFailures` cost nothing, each further one locks the key for baseLockMs·2^k, capped at maxLockMs.
// A key is forgotten after forgetAfterMs without a failure, and at most maxKeys are kept (the least
// recently failed goes first), so an attacker rotating keys cannot grow memory without limit.

export interface BackoffOptions {
  /** Failures allowed before the first lock. */
  freeFailures: number;
  /** The first lock; each further failure doubles it. */
  baseLockMs: number;
  /** The longest lock. */
  maxLockMs: number;
  /** A key with no failure for this long (and no lock in effect) starts afresh. */
  forgetAfterMs: number;
  /** Keys remembered at most. */
  maxKeys: number;
}

interface Entry {
  failures: number;
  lastFailure: number;
  lockedUntil: number;
}

export class FailureBackoff {
  // Insertion order is failure order: a failing key is re-inserted, so the first key is the one to evict.
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly opts: BackoffOptions) {}

  /** Milliseconds the key stays locked (0 when it may try now). */
  lockedFor(key: string, now: number): number {
    const e = this.#live(key, now);
    return e ? Math.max(0, e.lockedUntil - now) : 0;
  }

  /** Records a failure; returns the lock it put in effect (0 while failures are still free). */
  fail(key: string, now: number): number {
    const e = this.#live(key, now) ?? {failures: 0, lastFailure: now, lockedUntil: 0};
    this.#entries.delete(key);
    e.failures++;
    e.lastFailure = now;
    const over = e.failures - this.opts.freeFailures;
    if (over > 0)
      e.lockedUntil = now + Math.min(this.opts.maxLockMs, this.opts.baseLockMs * 2 ** Math.min(over - 1, 40));
    this.#entries.set(key, e);
    while (this.#entries.size > this.opts.maxKeys) this.#entries.delete(this.#entries.keys().next().value as string);
    return Math.max(0, e.lockedUntil - now);
  }

  /** Forgets the key's failures (a successful login). */
  reset(key: string): void {
    this.#entries.delete(key);
  }

  /** Keys remembered now. */
  get size(): number {
    return this.#entries.size;
  }

  #live(key: string, now: number): Entry | undefined {
    const e = this.#entries.get(key);
    if (e && now >= e.lockedUntil && now - e.lastFailure > this.opts.forgetAfterMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }
}
