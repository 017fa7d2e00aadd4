// Node identity, liveness and selection, in one place. Each node writes a heartbeat (database clock)
// every 2 s; a node is dead after 10 s without one, or sooner when its listening connection has been
// gone from pg_stat_activity for two polls in a row (a killed process loses its connections at once).
// The registry also knows the mode (single handler while a handler is registered), picks the node
// for a new call or a takeover, and elects the sweeper (the live node with the lowest id).
import os from 'node:os';
import type pg from 'pg';
import {AppError} from '../errors';
import {TypedEmitter} from '../events';
import type {Logger} from '../log';
import {presenceName} from './bus';
import {HANDLER_LOCK_NS} from './lock';
import {DB_NOW_SQL, NODES_TABLE} from './schema';
import type {PgSession} from './pg-session';

export const HEARTBEAT_MS = 2_000;
export const DEAD_AFTER_MS = 10_000;
const POLL_MS = 1_000;
/** Our own database session must have been up this long before we judge others (after a restart, everyone reconnects). */
const STABLE_MS = 4_000;
/** Polls in a row without a node's listening connection before it counts as dead. */
const ABSENT_POLLS = 2;
/** The KV key marking the cluster as single-handler (value: the handler's node id). */
export const HANDLER_MARKER_KEY = 'cluster_handler';

export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export interface NodeState {
  id: string;
  isHandler: boolean;
  startedAt: number;
  heartbeatAt: number;
  alive: boolean;
}

export interface NodeRegistryEvents {
  /** A node stopped being alive (dead or left). */
  down: [nodeID: string];
  up: [nodeID: string];
}

export interface NodeRegistryOptions {
  db: Queryable;
  /** The bus's listening session: our presence, and where the handler keeps its advisory lock. */
  listener: PgSession;
  nodeID: string;
  isHandler: boolean;
  /** From MM_CALLS_CLUSTER_MODE: forces the mode; undefined = follow the handler marker. */
  forcedMode?: 'clustered' | 'single_handler';
  logger: Logger;
}

interface Row {
  id: string | null;
  is_handler: boolean | null;
  started_at: string | number | null;
  heartbeat_at: string | number | null;
  present: boolean | null;
  now: string | number;
  marker: string | null;
}

export class NodeRegistry extends TypedEmitter<NodeRegistryEvents> {
  readonly nodeID: string;
  readonly isHandler: boolean;
  readonly #o: NodeRegistryOptions;
  readonly #log: Logger;
  readonly #nodes = new Map<string, NodeState & {absent: number}>();
  /** Nodes that announced a graceful leave, with the start time they left with. */
  readonly #left = new Map<string, number>();
  readonly #startedAt = Date.now();
  #marker: string | null = null;
  #timers: NodeJS.Timeout[] = [];
  #closed = false;
  #polling = false;
  #heartbeatFailing = false;

  constructor(opts: NodeRegistryOptions) {
    super();
    this.#o = opts;
    this.nodeID = opts.nodeID;
    this.isHandler = opts.isHandler;
    this.#log = opts.logger.child({module: 'cluster-nodes'});
  }

  /**
   * Refuses a duplicate node id, claims the handler role when asked (a second handler refuses),
   * registers the node and takes a first look at the others.
   */
  async start(): Promise<void> {
    const dup = await this.#o.db.query<{n: string}>(
      'SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid()',
      [presenceName(this.nodeID)],
    );
    // Our own listener is already connected: more than one means another process uses our id.
    if (Number(dup.rows[0].n) > 1) {
      throw new AppError(
        'app.calls.cluster.duplicate_node',
        `another running node already uses the node id ${this.nodeID} (MM_CALLS_NODE_ID)`,
        500,
      );
    }
    if (this.isHandler) {
      if (this.#o.forcedMode === 'clustered') {
        throw new AppError(
          'app.calls.cluster.mode_conflict',
          'MM_CALLS_IS_HANDLER=true contradicts MM_CALLS_CLUSTER_MODE=clustered',
          500,
        );
      }
      await this.claimHandlerLock(this.#o.listener, true);
      await this.#o.db.query(
        `INSERT INTO calls_kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2`,
        [HANDLER_MARKER_KEY, this.nodeID],
      );
    } else if (this.#o.forcedMode === 'clustered') {
      await this.poll();
      const handler = this.liveHandler();
      if (handler) {
        throw new AppError(
          'app.calls.cluster.mode_conflict',
          `MM_CALLS_CLUSTER_MODE=clustered, but node ${handler} is running as the calls handler (MM_CALLS_IS_HANDLER=true): stop it first`,
          500,
        );
      }
      await this.#o.db.query('DELETE FROM calls_kv WHERE key = $1', [HANDLER_MARKER_KEY]);
    }
    await this.heartbeat();
    await this.poll();
    this.#timers.push(
      setInterval(() => void this.heartbeat(), HEARTBEAT_MS),
      setInterval(() => void this.poll(), POLL_MS),
    );
    for (const t of this.#timers) t.unref();
  }

  /**
   * Takes the handler advisory lock on the listening session (re-run after every reconnect). At start a
   * refusal is fatal; later it is logged (someone started a second handler while we were cut off).
   */
  async claimHandlerLock(session: Queryable, fatal: boolean): Promise<void> {
    const r = await session.query<{ok: boolean}>('SELECT pg_try_advisory_lock($1, 0) AS ok', [HANDLER_LOCK_NS]);
    if (r.rows[0]?.ok) return;
    const other = await this.#o.db
      .query<{value: string}>('SELECT value FROM calls_kv WHERE key = $1', [HANDLER_MARKER_KEY])
      .catch(() => null);
    const who = other?.rows[0]?.value ?? 'another node';
    const msg = `another node (${who}) is already the calls handler (MM_CALLS_IS_HANDLER=true); only one handler may run`;
    if (fatal) throw new AppError('app.calls.cluster.second_handler', msg, 500);
    this.#log.error(msg);
  }

  /** Single-handler mode: this node is the handler, or a handler is registered (and not overridden). */
  get singleHandler(): boolean {
    if (this.isHandler) return true;
    if (this.#o.forcedMode) return this.#o.forcedMode === 'single_handler';
    return this.#marker !== null;
  }

  isAlive(nodeID: string): boolean {
    if (nodeID === this.nodeID) return !this.#closed;
    return this.#nodes.get(nodeID)?.alive ?? false;
  }

  liveNodes(): string[] {
    return [...this.#nodes.values()].filter((n) => n.alive).map((n) => n.id);
  }

  nodes(): NodeState[] {
    return [...this.#nodes.values()].map(({absent: _a, ...n}) => n);
  }

  liveHandler(): string | null {
    if (this.isHandler) return this.nodeID;
    for (const n of this.#nodes.values()) if (n.alive && n.isHandler) return n.id;
    return null;
  }

  /** Whether a node may run a call's SFU. */
  canHost(nodeID: string): boolean {
    return this.isAlive(nodeID) && (!this.singleHandler || this.liveHandler() === nodeID);
  }

  /** The node that does the cluster's housekeeping: the live node with the lowest id. */
  isSweeper(): boolean {
    const ids = this.liveNodes();
    return ids.length > 0 && ids.sort()[0] === this.nodeID;
  }

  /** Where a new call's media runs: here (clustered), or the live handler (single handler). */
  nodeForNewCall(): string {
    if (!this.singleHandler) return this.nodeID;
    const h = this.liveHandler();
    if (!h) throw noHandlerError();
    return h;
  }

  /** A live node to take over a call: the handler, or the node hosting the fewest calls. Null if none can. */
  pickOwner(callsPerNode: Map<string, number>): string | null {
    if (this.singleHandler) return this.liveHandler();
    const candidates = this.liveNodes().sort();
    let best: string | null = null;
    for (const id of candidates) {
      if (best === null || (callsPerNode.get(id) ?? 0) < (callsPerNode.get(best) ?? 0)) best = id;
    }
    return best;
  }

  /**
   * A message came from this node: a node that started since our last poll is alive already (so that
   * replies and signaling to it are not dropped while we wait to see its first heartbeat).
   */
  noteActivity(nodeID: string): void {
    if (nodeID === this.nodeID || this.#nodes.has(nodeID) || this.#left.has(nodeID) || this.#closed) return;
    const n = {id: nodeID, isHandler: false, startedAt: 0, heartbeatAt: 0, alive: false, absent: 0};
    this.#nodes.set(nodeID, n);
    this.#set(n, true);
  }

  /** A node said it is leaving: dead from now on (until it starts again). */
  markLeft(nodeID: string): void {
    const n = this.#nodes.get(nodeID);
    this.#left.set(nodeID, n?.startedAt ?? 0);
    if (n?.alive) {
      n.alive = false;
      this.#log.info({node: nodeID}, 'node left the cluster');
      this.emit('down', nodeID);
    }
  }

  /** A fresh check of one node that seems alive but does not answer: dead if its listening connection is gone. */
  async confirmDead(nodeID: string): Promise<boolean> {
    if (nodeID === this.nodeID) return false;
    const n = this.#nodes.get(nodeID);
    if (!n?.alive) return true;
    // Right after our own reconnect, everyone's sessions may be coming back: judge nobody yet.
    if (!this.#stable()) return false;
    const r = await this.#o.db.query<{present: boolean}>(
      'SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()) AS present',
      [presenceName(nodeID)],
    );
    if (r.rows[0]?.present) return false;
    n.alive = false;
    this.#log.warn({node: nodeID}, 'node declared dead: its database session is gone');
    this.emit('down', nodeID);
    return true;
  }

  async heartbeat(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#o.db.query(
        `INSERT INTO ${NODES_TABLE} (id, is_handler, started_at, heartbeat_at, info) VALUES ($1, $2, $3, ${DB_NOW_SQL}, $4)
         ON CONFLICT (id) DO UPDATE SET is_handler = EXCLUDED.is_handler, started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at, info = EXCLUDED.info`,
        [this.nodeID, this.isHandler, this.#startedAt, JSON.stringify({host: os.hostname(), pid: process.pid})],
      );
      if (this.#heartbeatFailing) this.#log.info('heartbeat written again');
      this.#heartbeatFailing = false;
    } catch (err) {
      if (!this.#heartbeatFailing) this.#log.warn({err: (err as Error).message}, 'heartbeat failed');
      this.#heartbeatFailing = true;
    }
  }

  /** Re-reads every node's heartbeat and presence, and the handler marker. */
  async poll(): Promise<void> {
    if (this.#closed || this.#polling) return;
    this.#polling = true;
    try {
      const r = await this.#o.db.query<Row>(
        `SELECT x.now, x.marker, n.id, n.is_handler, n.started_at, n.heartbeat_at,
           EXISTS (SELECT 1 FROM pg_stat_activity a
                   WHERE a.application_name = left('calls-node:' || n.id, 63) AND a.datname = current_database()) AS present
         FROM (SELECT ${DB_NOW_SQL} AS now,
                      (SELECT value FROM calls_kv WHERE key = $1) AS marker) x
         LEFT JOIN ${NODES_TABLE} n ON true`,
        [HANDLER_MARKER_KEY],
      );
      this.#apply(r.rows);
    } catch (err) {
      this.#log.debug({err: (err as Error).message}, 'node poll failed');
    } finally {
      this.#polling = false;
    }
  }

  #apply(rows: Row[]): void {
    const stable = this.#stable();
    const now = Number(rows[0]?.now ?? 0);
    const prevMarker = this.#marker;
    this.#marker = rows[0]?.marker ?? null;
    if (prevMarker !== this.#marker)
      this.#log.info(
        {handler: this.#marker},
        this.#marker ? 'cluster is in single-handler mode' : 'cluster is in clustered mode',
      );
    const seen = new Set<string>();
    for (const row of rows) {
      if (!row.id) continue;
      seen.add(row.id);
      const startedAt = Number(row.started_at);
      const heartbeatAt = Number(row.heartbeat_at);
      let n = this.#nodes.get(row.id);
      const fresh = now - heartbeatAt <= DEAD_AFTER_MS;
      if (!n) {
        n = {id: row.id, isHandler: !!row.is_handler, startedAt, heartbeatAt, alive: false, absent: 0};
        this.#nodes.set(row.id, n);
      }
      n.isHandler = !!row.is_handler;
      n.heartbeatAt = heartbeatAt;
      if (this.#left.has(row.id) && this.#left.get(row.id) !== startedAt) this.#left.delete(row.id);
      n.startedAt = startedAt;
      n.absent = row.present ? 0 : n.absent + 1;
      let alive: boolean;
      if (row.id === this.nodeID) alive = true;
      else if (this.#left.has(row.id)) alive = false;
      else if (!stable)
        alive = n.alive || (fresh && !!row.present); // do not judge others while we are reconnecting
      else alive = fresh && n.absent < ABSENT_POLLS;
      this.#set(n, alive);
    }
    for (const n of this.#nodes.values()) {
      if (seen.has(n.id) || n.id === this.nodeID) continue;
      // Row deleted (declared dead by the sweeper, or left).
      if (stable || !n.alive) {
        this.#set(n, false);
        this.#nodes.delete(n.id);
      }
    }
  }

  #stable(): boolean {
    const since = this.#o.listener.connectedSince;
    return since > 0 && Date.now() - since >= STABLE_MS;
  }

  #set(n: NodeState, alive: boolean): void {
    if (n.alive === alive) return;
    n.alive = alive;
    if (alive) {
      this.#log.info({node: n.id, handler: n.isHandler}, 'node is alive');
      this.emit('up', n.id);
    } else {
      this.#log.warn({node: n.id}, 'node is dead');
      this.emit('down', n.id);
    }
  }

  /** Deletes the rows of dead nodes (they may come back and re-register). */
  async deleteDead(nodeIDs: string[]): Promise<void> {
    if (nodeIDs.length === 0) return;
    await this.#o.db.query(`DELETE FROM ${NODES_TABLE} WHERE id = ANY($1::text[])`, [nodeIDs]);
    for (const id of nodeIDs) if (!this.#nodes.get(id)?.alive) this.#nodes.delete(id);
  }

  /** Graceful leave: stop heartbeating and remove our row. */
  async leave(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    await this.#o.db.query(`DELETE FROM ${NODES_TABLE} WHERE id = $1`, [this.nodeID]).catch(() => undefined);
  }
}

/** Users see the message; operators find what to do in the log (`details`). */
export function noHandlerError(): AppError {
  return new AppError(
    'app.calls.cluster.no_handler',
    'Calls are temporarily unavailable. Please try again in a few minutes.',
    503,
    {operator: 'no calls handler node is running (single-handler mode): start a node with MM_CALLS_IS_HANDLER=true'},
  );
}
