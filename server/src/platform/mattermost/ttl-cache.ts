// A bounded map whose entries expire: the adapter's short-lived copies of Mattermost's answers (users,
// channels, roles, validated tokens), so a busy call does not turn every event into a REST request.
export class TtlCache<V> {
  readonly #entries = new Map<string, {value: V; expiresAt: number}>();
  readonly #inflight = new Map<string, Promise<V>>();

  constructor(
    readonly ttlMs: number,
    readonly maxEntries = 10_000,
  ) {}

  get(key: string): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V, ttlMs = this.ttlMs): void {
    this.#entries.delete(key);
    // Oldest first: a flood of distinct keys evicts the oldest entries, never grows the map.
    while (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, {value, expiresAt: Date.now() + ttlMs});
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** The cached value, or `load`'s (one load at a time per key); errors are not cached. */
  async getOrLoad(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const pending = this.#inflight.get(key);
    if (pending) return pending;
    const p = load().then(
      (v) => {
        this.#inflight.delete(key);
        this.set(key, v);
        return v;
      },
      (err: unknown) => {
        this.#inflight.delete(key);
        throw err;
      },
    );
    this.#inflight.set(key, p);
    return p;
  }
}
