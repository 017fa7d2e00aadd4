// One long-lived PostgreSQL connection that comes back by itself: after a server restart or a cut
// connection it reconnects with backoff and runs its setup again (LISTEN, session advisory locks).
// The bus listens and sends on two of these; a node's presence is its listening connection.
import pg from 'pg';
import {TypedEmitter} from '../events';
import type {Logger} from '../log';

export interface PgSessionOptions {
  url: string;
  /** Shown in pg_stat_activity; the node registry finds live nodes by it. */
  applicationName: string;
  logger: Logger;
  /** Runs on every (re)connect before the session counts as connected; a throw drops the connection. */
  setup?: (client: pg.Client) => Promise<void>;
  /** Backoff bounds for reconnects. */
  minRetryMs?: number;
  maxRetryMs?: number;
}

export interface PgSessionEvents {
  connected: [];
  disconnected: [err: string];
  notification: [channel: string, payload: string];
}

export class PgSession extends TypedEmitter<PgSessionEvents> {
  readonly #o: PgSessionOptions;
  readonly #log: Logger;
  #client: pg.Client | null = null;
  #connectedAt = 0;
  #closed = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryMs: number;
  #connecting: Promise<void> | null = null;

  constructor(opts: PgSessionOptions) {
    super();
    this.#o = opts;
    this.#log = opts.logger;
    this.#retryMs = opts.minRetryMs ?? 100;
  }

  /** Connects for the first time; throws if the server cannot be reached (a node must not start blind). */
  async start(): Promise<void> {
    await this.#connect();
  }

  get connected(): boolean {
    return this.#client !== null;
  }

  /** Since when (Date.now ms) the current connection is up; 0 while down. */
  get connectedSince(): number {
    return this.#client ? this.#connectedAt : 0;
  }

  /** Runs a query on this connection; throws when it is down. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    const c = this.#client;
    if (!c) throw new Error('database connection is down');
    return c.query<R>(text, values);
  }

  async #connect(): Promise<void> {
    if (this.#connecting) return this.#connecting;
    this.#connecting = (async () => {
      // A server that does not answer at all (dropped packets) must not hang the reconnect loop.
      const client = new pg.Client({
        connectionString: this.#o.url,
        application_name: this.#o.applicationName,
        keepAlive: true,
        connectionTimeoutMillis: 5000,
      });
      let failed = false;
      const onLost = (err: string) => {
        if (failed) return;
        failed = true;
        if (this.#client === client) {
          this.#client = null;
          this.#connectedAt = 0;
          this.#log.warn({err}, 'database session lost; reconnecting');
          this.emit('disconnected', err);
        }
        client.removeAllListeners('notification');
        void client.end().catch(() => undefined);
        this.#scheduleRetry();
      };
      client.on('error', (err) => onLost(err.message));
      client.on('end', () => onLost('connection ended'));
      client.on('notification', (n) => this.emit('notification', n.channel, n.payload ?? ''));
      try {
        await client.connect();
        await this.#o.setup?.(client);
      } catch (err) {
        failed = true;
        client.removeAllListeners();
        client.on('error', () => undefined);
        await client.end().catch(() => undefined);
        throw err;
      }
      if (this.#closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.#client = client;
      this.#connectedAt = Date.now();
      this.#retryMs = this.#o.minRetryMs ?? 100;
      this.emit('connected');
    })().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#retryTimer) return;
    const wait = this.#retryMs;
    this.#retryMs = Math.min(this.#o.maxRetryMs ?? 1000, this.#retryMs * 2);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#closed || this.#client) return;
      this.#connect().catch((err) => {
        this.#log.debug({err: (err as Error).message}, 'database reconnect failed');
        this.#scheduleRetry();
      });
    }, wait);
  }

  /** Closes the connection for good; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    await this.#connecting?.catch(() => undefined);
    const c = this.#client;
    this.#client = null;
    if (c) {
      c.removeAllListeners('end');
      c.removeAllListeners('notification');
      c.on('error', () => undefined);
      await c.end().catch(() => undefined);
    }
  }
}
