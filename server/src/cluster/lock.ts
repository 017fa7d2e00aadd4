// The per-call lock across nodes: a PostgreSQL session advisory lock keyed by the channel id, held on
// a dedicated connection for the duration of the critical section. If the holder dies, its
// connection closes and PostgreSQL releases the lock at once (no TTL to wait out, unlike upstream's
// KV mutex). Callers on the same node queue in-process first, so a node uses one connection per
// contended channel, not one per waiter.
import pg from 'pg';
import {watchPoolErrors} from '../store/pg-pool';
import {type CallLock, InProcessCallLock, LOCK_TIMEOUT_MS, lockTimeoutError} from '../calls/lock';
import type {Logger} from '../log';

/** Advisory lock namespaces (first int4 key). */
export const CALL_LOCK_NS = 0x43616c6c; // 'Call'
export const HANDLER_LOCK_NS = 0x48646c72; // 'Hdlr'

/** 32-bit FNV-1a of the key, as a signed int4 for pg_advisory_lock(int4, int4). */
export function lockKey(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

export interface LockObserver {
  /** Seconds waited for the lock, and held. */
  waited(seconds: number): void;
  held(seconds: number): void;
}

export interface PgCallLockOptions {
  url: string;
  nodeID: string;
  logger: Logger;
  timeoutMs?: number;
  maxConnections?: number;
  observer?: LockObserver;
}

export class PgCallLock implements CallLock {
  readonly #pool: pg.Pool;
  readonly #local: InProcessCallLock;
  readonly #timeoutMs: number;
  readonly #log: Logger;
  readonly #obs?: LockObserver;
  #closed = false;

  constructor(opts: PgCallLockOptions) {
    this.#timeoutMs = opts.timeoutMs ?? LOCK_TIMEOUT_MS;
    this.#local = new InProcessCallLock(this.#timeoutMs);
    this.#log = opts.logger.child({module: 'cluster-lock'});
    this.#obs = opts.observer;
    this.#pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.maxConnections ?? 8,
      application_name: `calls-lock:${opts.nodeID}`.slice(0, 63),
      // The wait for an advisory lock honours lock_timeout: a stuck holder cannot block us forever.
      options: `-c lock_timeout=${this.#timeoutMs}`,
      connectionTimeoutMillis: this.#timeoutMs,
      idleTimeoutMillis: 30_000,
    });
    watchPoolErrors(this.#pool, (err) => this.#log.debug({err: err.message}, 'lock connection lost'));
  }

  withLock<T>(channelID: string, fn: () => Promise<T>): Promise<T> {
    return this.#local.withLock(channelID, () => this.#withPgLock(channelID, fn));
  }

  async #withPgLock<T>(channelID: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw lockTimeoutError(channelID);
    const started = Date.now();
    const key = lockKey(channelID);
    const client = await this.#pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1, $2)', [CALL_LOCK_NS, key]);
    } catch (err) {
      client.release(err as Error);
      if ((err as {code?: string}).code === '55P03') throw lockTimeoutError(channelID);
      throw err;
    }
    const acquired = Date.now();
    this.#obs?.waited((acquired - started) / 1000);
    try {
      return await fn();
    } finally {
      this.#obs?.held((Date.now() - acquired) / 1000);
      try {
        await client.query('SELECT pg_advisory_unlock($1, $2)', [CALL_LOCK_NS, key]);
        client.release();
      } catch (err) {
        // The connection is gone, and with it the lock.
        client.release(err as Error);
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end().catch(() => undefined);
  }
}
