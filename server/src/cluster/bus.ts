// Messages between nodes over PostgreSQL LISTEN/NOTIFY: one channel per node plus a broadcast channel.
// Everything is sent on one connection, in order, so a node's messages arrive in the order it sent
// them; payloads over the NOTIFY limit go through calls_cluster_messages and the notification carries
// the row id. Requests get replies (with a timeout); a request to a node that is not alive, or that
// dies while we wait, fails at once instead of waiting. Both connections come back after a restart.
import {createHash} from 'node:crypto';
import type pg from 'pg';
import {AppError} from '../errors';
import type {Logger} from '../log';
import {PgSession} from './pg-session';
import {MESSAGES_TABLE} from './schema';

export const BROADCAST_CHANNEL = 'calls_cluster_bus';
/** NOTIFY payloads must stay under 8000 bytes; keep a margin for the envelope. */
export const MAX_INLINE_BYTES = 7000;
/** Messages queued while the database is unreachable are dropped after this long. */
const MAX_QUEUE_AGE_MS = 10_000;
const MAX_QUEUE = 5000;
const BATCH = 32;
/** Broadcast payloads spilled to the table are removed after this long (each node reads them once). */
const SPILL_TTL_MS = 60_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

/** The LISTEN channel of a node: its id when it is a plain lowercase id, a hash otherwise. */
export function nodeChannel(nodeID: string): string {
  const key = /^[a-z0-9]{1,40}$/.test(nodeID) ? nodeID : createHash('sha1').update(nodeID).digest('hex').slice(0, 32);
  return `calls_cluster_n_${key}`;
}

/** The envelope on the wire. `d` is the message body; `i`/`r` pair requests and replies. */
interface Envelope {
  /** Type. */
  t: string;
  /** Sender node. */
  f: string;
  /** Request id (a reply is expected). */
  i?: number;
  /** Reply to request id. */
  r?: number;
  /** Error of a failed request. */
  e?: {id: string; message: string; status: number};
  d: unknown;
}

export interface BusMessage<T = unknown> {
  type: string;
  from: string;
  data: T;
}

/** A handler returns the reply of a request (ignored for plain messages); a throw becomes the error reply. */
export type BusHandler = (msg: BusMessage) => unknown;

interface Pending {
  node: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface Outgoing {
  channel: string;
  text: string;
  at: number;
}

export interface BusOptions {
  url: string;
  nodeID: string;
  logger: Logger;
  /** Whether a node is alive (the node registry); requests to others fail at once. */
  isAlive: (nodeID: string) => boolean;
  /** Extra setup on the listening connection (e.g. the handler's advisory lock). */
  onListenerSetup?: (client: pg.Client) => Promise<void>;
  /** Observes traffic for metrics. */
  onMessage?: (direction: 'in' | 'out', type: string) => void;
  /** A message arrived from this node (it is alive). */
  onSender?: (nodeID: string) => void;
}

export class Bus {
  readonly nodeID: string;
  /** The listening connection; its application_name is the node's presence in the database. */
  readonly listener: PgSession;
  readonly #sender: PgSession;
  readonly #o: BusOptions;
  readonly #log: Logger;
  readonly #handlers = new Map<string, BusHandler>();
  readonly #pending = new Map<number, Pending>();
  readonly #out: Outgoing[] = [];
  readonly #myChannel: string;
  #nextID = 1;
  #pumping = false;
  #inbound: Promise<void> = Promise.resolve();
  #dropped = 0;
  #closed = false;

  constructor(opts: BusOptions) {
    this.#o = opts;
    this.nodeID = opts.nodeID;
    this.#log = opts.logger.child({module: 'cluster-bus'});
    this.#myChannel = nodeChannel(opts.nodeID);
    this.listener = new PgSession({
      url: opts.url,
      applicationName: presenceName(opts.nodeID),
      logger: this.#log.child({conn: 'listen'}),
      setup: async (client) => {
        await client.query(`LISTEN "${BROADCAST_CHANNEL}"`);
        await client.query(`LISTEN "${this.#myChannel}"`);
        await opts.onListenerSetup?.(client);
      },
    });
    this.#sender = new PgSession({
      url: opts.url,
      applicationName: `calls-bus:${opts.nodeID}`.slice(0, 63),
      logger: this.#log.child({conn: 'send'}),
    });
    this.listener.on('notification', (channel, payload) => this.#onNotification(channel, payload));
    this.#sender.on('connected', () => void this.#pump());
  }

  async start(): Promise<void> {
    await this.listener.start();
    await this.#sender.start();
  }

  /** Registers the handler of a message type (one per type). */
  handle(type: string, handler: BusHandler): void {
    this.#handlers.set(type, handler);
  }

  /** To every other node. */
  broadcast(type: string, data: unknown): void {
    this.#enqueue(BROADCAST_CHANNEL, {t: type, f: this.nodeID, d: data});
  }

  /** To one node; dropped (with a debug line) when that node is not alive. */
  send(node: string, type: string, data: unknown): void {
    if (!this.#o.isAlive(node)) {
      this.#log.debug({node, type}, 'message to a node that is not alive dropped');
      return;
    }
    this.#enqueue(nodeChannel(node), {t: type, f: this.nodeID, d: data});
  }

  /** A request to one node; resolves with its handler's result or rejects (node dead, timeout, error). */
  request<T = unknown>(node: string, type: string, data: unknown, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<T> {
    if (!this.#o.isAlive(node)) return Promise.reject(nodeUnavailable(node));
    const id = this.#nextID++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new AppError('app.calls.cluster.request_timeout', 'a cluster node did not answer in time', 503, {node, type}),
        );
      }, timeoutMs);
      this.#pending.set(id, {node, resolve: resolve as (v: unknown) => void, reject, timer});
      this.#enqueue(nodeChannel(node), {t: type, f: this.nodeID, i: id, d: data});
    });
  }

  /** A node died or left: its pending requests fail now. */
  nodeGone(node: string): void {
    for (const [id, p] of this.#pending) {
      if (p.node !== node) continue;
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.reject(nodeUnavailable(node));
    }
  }

  /** Removes payloads spilled for a dead node and old broadcast payloads. */
  async sweepSpilled(
    deadNodes: string[],
    db: {query: (text: string, values?: unknown[]) => Promise<unknown>},
  ): Promise<void> {
    const channels = deadNodes.map(nodeChannel);
    await db.query(`DELETE FROM ${MESSAGES_TABLE} WHERE created_at < $1 OR channel = ANY($2::text[])`, [
      Date.now() - SPILL_TTL_MS,
      channels,
    ]);
  }

  /** Resolves when everything queued so far was handed to PostgreSQL (or dropped). */
  async flush(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.#out.length > 0 || this.#pumping) && Date.now() < deadline && this.#sender.connected) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new AppError('app.calls.cluster.closed', 'cluster bus closed', 503));
    }
    await this.listener.close();
    await this.#sender.close();
  }

  // ------------------------------------------------------------------ sending

  #enqueue(channel: string, env: Envelope): void {
    if (this.#closed) return;
    this.#o.onMessage?.('out', env.t);
    if (this.#out.length >= MAX_QUEUE) {
      this.#out.shift();
      this.#countDrop();
    }
    this.#out.push({channel, text: JSON.stringify(env), at: Date.now()});
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#out.length > 0 && this.#sender.connected && !this.#closed) {
        const now = Date.now();
        while (this.#out.length > 0 && now - this.#out[0].at > MAX_QUEUE_AGE_MS) {
          this.#out.shift();
          this.#countDrop();
        }
        const batch: Outgoing[] = [];
        while (batch.length < BATCH && this.#out.length > 0) {
          batch.push(this.#out[0]);
          this.#out.shift();
        }
        if (batch.length === 0) break;
        try {
          await this.#sendBatch(batch);
        } catch (err) {
          // Connection trouble: put the batch back in front; the reconnect restarts the pump.
          this.#out.unshift(...batch);
          this.#log.debug({err: (err as Error).message}, 'bus send failed; will retry after reconnect');
          break;
        }
      }
    } finally {
      this.#pumping = false;
    }
    if (this.#out.length > 0 && this.#sender.connected && !this.#closed) void this.#pump();
  }

  async #sendBatch(batch: Outgoing[]): Promise<void> {
    const calls: string[] = [];
    const values: unknown[] = [];
    for (const m of batch) {
      let payload = m.text;
      if (Buffer.byteLength(payload, 'utf8') > MAX_INLINE_BYTES) {
        // Spill first (on this same connection, so order is kept), then notify with the row id.
        if (calls.length > 0) {
          await this.#sender.query(`SELECT ${calls.join(', ')}`, values);
          calls.length = 0;
          values.length = 0;
        }
        const r = await this.#sender.query<{id: string}>(
          `INSERT INTO ${MESSAGES_TABLE} (channel, payload, created_at) VALUES ($1, $2, $3) RETURNING id`,
          [m.channel, payload, Date.now()],
        );
        payload = JSON.stringify({s: String(r.rows[0].id)});
      }
      values.push(m.channel, payload);
      calls.push(`pg_notify($${values.length - 1}, $${values.length})`);
    }
    if (calls.length > 0) await this.#sender.query(`SELECT ${calls.join(', ')}`, values);
  }

  #countDrop(): void {
    if (this.#dropped++ % 100 === 0)
      this.#log.warn({dropped: this.#dropped}, 'bus messages dropped: the database was unreachable too long');
  }

  // ------------------------------------------------------------------ receiving

  #onNotification(channel: string, payload: string): void {
    // One at a time, in arrival order: a spilled payload is fetched before later messages are handled.
    this.#inbound = this.#inbound
      .then(() => this.#receive(channel, payload))
      .catch((err) => this.#log.warn({err: (err as Error).message, channel}, 'bus message handling failed'));
  }

  async #receive(channel: string, payload: string): Promise<void> {
    let env = JSON.parse(payload) as Envelope | {s: string};
    if ('s' in env) {
      const id = env.s;
      const r = await this.listener.query<{payload: string}>(`SELECT payload FROM ${MESSAGES_TABLE} WHERE id = $1`, [
        id,
      ]);
      if (r.rows.length === 0) {
        this.#log.warn({id, channel}, 'spilled bus payload is gone');
        return;
      }
      if (channel === this.#myChannel) await this.listener.query(`DELETE FROM ${MESSAGES_TABLE} WHERE id = $1`, [id]);
      env = JSON.parse(r.rows[0].payload) as Envelope;
    }
    if (env.f === this.nodeID) return;
    this.#o.onMessage?.('in', env.t);
    this.#o.onSender?.(env.f);
    if (env.r !== undefined) {
      const p = this.#pending.get(env.r);
      if (!p) return;
      this.#pending.delete(env.r);
      clearTimeout(p.timer);
      if (env.e) p.reject(new AppError(env.e.id, env.e.message, env.e.status));
      else p.resolve(env.d);
      return;
    }
    const handler = this.#handlers.get(env.t);
    if (!handler) {
      this.#log.debug({type: env.t}, 'bus message without a handler');
      return;
    }
    const msg: BusMessage = {type: env.t, from: env.f, data: env.d};
    if (env.i === undefined) {
      await handler(msg);
      return;
    }
    const reqID = env.i;
    try {
      const result = await handler(msg);
      this.#reply(env.f, reqID, result ?? null);
    } catch (err) {
      const e =
        err instanceof AppError
          ? err
          : new AppError('app.calls.cluster.remote_error', (err as Error).message ?? 'remote error', 500);
      this.#reply(env.f, reqID, null, {id: e.id, message: e.message, status: e.status});
    }
  }

  #reply(node: string, reqID: number, data: unknown, error?: Envelope['e']): void {
    this.#enqueue(nodeChannel(node), {t: 'reply', f: this.nodeID, r: reqID, e: error, d: data});
  }
}

/** The application_name of a node's listening connection: how other nodes see it is alive. */
export function presenceName(nodeID: string): string {
  return `calls-node:${nodeID}`.slice(0, 63);
}

export function nodeUnavailable(node: string): AppError {
  return new AppError(
    'app.calls.cluster.node_unavailable',
    'the cluster node hosting this call is not available',
    503,
    {node},
  );
}
