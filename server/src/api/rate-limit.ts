// Per-user request rate limit of the plugin API (upstream: 1 request/s, burst 10; 429 beyond).
export interface RateLimitOptions {
  perSecond: number;
  burst: number;
}

export class UserRateLimiter {
  readonly #buckets = new Map<string, {tokens: number; last: number}>();

  constructor(private readonly opts: RateLimitOptions) {}

  /** True if the request may proceed. */
  allow(userID: string, now = Date.now()): boolean {
    let b = this.#buckets.get(userID);
    if (!b) {
      b = {tokens: this.opts.burst, last: now};
      this.#buckets.set(userID, b);
    }
    b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.last) / 1000) * this.opts.perSecond);
    b.last = now;
    if (this.#buckets.size > 10_000) this.#prune(now);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  #prune(now: number): void {
    for (const [k, b] of this.#buckets) if (now - b.last > 60_000) this.#buckets.delete(k);
  }
}
