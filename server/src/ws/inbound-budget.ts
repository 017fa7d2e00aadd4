// How much one client may make this node read and parse: a byte budget per user (shared by all their
// sockets) or, before authentication, per address. A client over budget is not refused: its sockets
// stop being read for as long as it takes to earn the deficit back, so TCP pushes the cost back to it
// and the event loop stays free for everyone else. No real client comes near it.

export interface InboundBudgetOptions {
  /** Sustained bytes per second per key. */
  bytesPerSecond: number;
  /** Bytes a key may send at once before it is slowed. */
  burstBytes: number;
}

/** What one frame costs besides its bytes, so a flood of tiny frames is budgeted too. */
export const FRAME_COST_BYTES = 512;

export const DEFAULT_INBOUND_BUDGET: InboundBudgetOptions = {bytesPerSecond: 1024 * 1024, burstBytes: 4 * 1024 * 1024};

/** Keys idle this long are full again and forgotten. */
const IDLE_MS = 60_000;

export class InboundBudget {
  readonly #o: InboundBudgetOptions;
  readonly #buckets = new Map<string, {tokens: number; last: number}>();
  #lastPrune = 0;

  constructor(
    opts: InboundBudgetOptions = DEFAULT_INBOUND_BUDGET,
    private readonly now: () => number = Date.now,
  ) {
    this.#o = opts;
  }

  /** Debits `bytes` (+ the frame cost) from `key`; returns how long, in ms, its sockets should not be read (0 = go on). */
  take(key: string, bytes: number): number {
    const now = this.now();
    let b = this.#buckets.get(key);
    if (!b) this.#buckets.set(key, (b = {tokens: this.#o.burstBytes, last: now}));
    b.tokens = Math.min(this.#o.burstBytes, b.tokens + ((now - b.last) / 1000) * this.#o.bytesPerSecond);
    b.last = now;
    b.tokens -= bytes + FRAME_COST_BYTES;
    if (now - this.#lastPrune > IDLE_MS) this.#prune(now);
    return b.tokens >= 0 ? 0 : Math.ceil((-b.tokens / this.#o.bytesPerSecond) * 1000);
  }

  get size(): number {
    return this.#buckets.size;
  }

  #prune(now: number): void {
    this.#lastPrune = now;
    for (const [k, b] of this.#buckets) if (now - b.last > IDLE_MS) this.#buckets.delete(k);
  }
}
