// What happens when a node dies (beyond upstream, where its calls simply die): the sweeper node (the
// live node with the lowest id) moves every call pinned to a node that is not alive to a live node
// (the handler in single-handler mode, else the node with the fewest calls), under the call lock,
// and announces it (`moved`) so that every node re-creates the media of its sessions there. It also
// removes what dead nodes leave behind: their node rows and spilled messages, and, after the
// reconnect grace, call sessions whose websocket no live node holds (orphans). A call no live node
// may host (single handler without a handler) is marked media-unavailable, so that every node tells
// its clients to wait, and is ended if that lasts longer than the handler wait.
import type {CallLock} from '../calls/lock';
import type {Logger} from '../log';
import type {Call, CallsRepository} from '../store/types';
import type {Bus} from './bus';
import type {MediaBus, MovedMessage, UnavailableMessage} from './media-relay';
import type {NodeRegistry, Queryable} from './nodes';
import {SESSIONS_TABLE} from './schema';

const SWEEP_MS = 1_000;
/** Holder rows of sessions that no longer exist are removed after this long. */
const STALE_HOLDER_MS = 60_000;

export interface FailoverOptions {
  registry: NodeRegistry;
  bus: Bus;
  /** Where `moved` and `unavailable` are broadcast. */
  media: Pick<MediaBus, 'broadcast'>;
  db: Queryable;
  calls: CallsRepository;
  lock: CallLock;
  logger: Logger;
  /** How long a session may stay without a live websocket holder before it is removed. */
  orphanGraceMs: number;
  /** A call moved (also called for moves this node made). */
  onMoved: (m: MovedMessage) => void;
  /** A session to remove from its call. */
  onOrphan: (sessionID: string, callID: string, channelID: string) => void;
  /** A call's media became unavailable (also called for calls this node marked). */
  onUnavailable: (m: UnavailableMessage) => void;
  /** A call waited longer than `handlerWaitMs` for a node to run its media: end it. */
  onAbandoned: (callID: string, channelID: string, reason: string) => void;
  /** How long a media-unavailable call waits before it is ended; 0 = no limit. */
  handlerWaitMs: number;
  /** False when calls are not pinned to nodes (rtcd hosts run them): only dead nodes' leftovers are swept. */
  moveCalls?: boolean;
}

interface OrphanRow {
  session_id: string;
  call_id: string;
  channel_id: string;
  node_id: string | null;
}

export class Failover {
  readonly #o: FailoverOptions;
  readonly #log: Logger;
  readonly #suspects = new Map<string, number>();
  /** Calls no live node may host (single handler without a handler), logged once. */
  #stranded = new Set<string>();
  /** Stranded calls handed to the call domain to end (once each). */
  readonly #abandoned = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<void> | null = null;
  #again = false;
  #failing = false;
  #closed = false;

  constructor(opts: FailoverOptions) {
    this.#o = opts;
    this.#log = opts.logger.child({module: 'cluster-failover'});
  }

  start(): void {
    this.#timer = setInterval(() => this.kick(), SWEEP_MS);
    this.#timer.unref();
  }

  /** Runs a sweep now (a node just died). */
  kick(): void {
    if (this.#closed) return;
    if (this.#sweeping) {
      this.#again = true;
      return;
    }
    this.#sweeping = this.#sweep()
      .then(
        () => {
          this.#failing = false;
        },
        (err) => {
          // Once per outage: while the database is away this fails every second.
          if (!this.#failing) this.#log.warn({err: (err as Error).message}, 'cluster sweep failed');
          this.#failing = true;
        },
      )
      .finally(() => {
        this.#sweeping = null;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  /**
   * Moves the call to a live node if its node is not alive; returns where it runs now, or null when no
   * live node may host it (single handler without a live handler). Any node may call this; the lock
   * and the re-check make concurrent takeovers of one call harmless.
   */
  async takeOver(call: Call): Promise<string | null> {
    const {registry} = this.#o;
    const result = await this.#o.lock.withLock(call.channelId, async () => {
      const current = await this.#o.calls.getCall(call.id);
      if (!current || current.endAt > 0) return null;
      const from = current.props.node_id ?? '';
      if (from && registry.isAlive(from)) return {to: from, moved: false};
      const to = registry.pickOwner(await this.#callsPerNode());
      if (!to) return null;
      current.props.node_id = to;
      delete current.props.media_unavailable_at;
      await this.#o.calls.updateCall(current);
      return {to, moved: true, from};
    });
    if (!result) return null;
    if (result.moved) {
      const m: MovedMessage = {callID: call.id, channelID: call.channelId, from: result.from ?? '', to: result.to};
      this.#log.warn(m, 'call moved to a live node');
      this.#o.media.broadcast('moved', m);
      this.#o.onMoved(m);
    }
    return result.to;
  }

  /**
   * This node (re)started under an id some calls are still pinned to (`leftovers`, read before the node
   * became visible): whatever media it hosted is gone, so those calls move (possibly back to this node,
   * which then re-creates every session), and the websockets it held in its previous life become orphan
   * candidates.
   */
  async recoverOwnPins(leftovers: readonly Call[]): Promise<void> {
    const me = this.#o.registry.nodeID;
    await this.#o.db.query(`UPDATE ${SESSIONS_TABLE} SET node_id = '' WHERE node_id = $1`, [me]);
    for (const call of leftovers) {
      const m = await this.#o.lock.withLock(call.channelId, async () => {
        const current = await this.#o.calls.getCall(call.id);
        if (!current || current.endAt > 0 || current.props.node_id !== me) return null;
        const to = this.#o.registry.pickOwner(await this.#callsPerNode()) ?? me;
        current.props.node_id = to;
        delete current.props.media_unavailable_at;
        await this.#o.calls.updateCall(current);
        return {callID: call.id, channelID: call.channelId, from: me, to};
      });
      if (!m) continue;
      this.#log.warn(m, 'call pinned to this node from a previous run re-created');
      this.#o.media.broadcast('moved', m);
      this.#o.onMoved(m);
    }
  }

  async #callsPerNode(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const c of await this.#o.calls.listActiveCalls()) {
      const n = c.props.node_id ?? '';
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    return counts;
  }

  async #sweep(): Promise<void> {
    const {registry, bus, db} = this.#o;
    if (!registry.isSweeper()) {
      this.#suspects.clear();
      return;
    }
    const live = new Set(registry.liveNodes());
    const dead = registry
      .nodes()
      .filter((n) => !n.alive)
      .map((n) => n.id);
    if (dead.length > 0) {
      await registry.deleteDead(dead);
      this.#log.info({nodes: dead}, 'rows of dead nodes removed');
    }
    await bus.sweepSpilled(dead, db);

    const stranded = new Set<string>();
    const calls = this.#o.moveCalls === false ? [] : await this.#o.calls.listActiveCalls();
    for (const call of calls) {
      if (live.has(call.props.node_id ?? '')) continue;
      const to = await this.takeOver(call);
      if (to) continue;
      stranded.add(call.id);
      if (!this.#stranded.has(call.id)) {
        this.#log.warn(
          {callID: call.id, node: call.props.node_id, waitSeconds: this.#o.handlerWaitMs / 1000},
          'no live node can host the call (single-handler mode: start a node with MM_CALLS_IS_HANDLER=true); waiting for one',
        );
      }
      await this.#waitForHandler(call);
    }
    this.#stranded = stranded;
    for (const id of this.#abandoned) if (!stranded.has(id)) this.#abandoned.delete(id);

    const now = Date.now();
    const rows = await db.query<OrphanRow>(
      `SELECT s.id AS session_id, s.callid AS call_id, c.channelid AS channel_id, h.node_id
       FROM calls_sessions s JOIN calls c ON c.id = s.callid LEFT JOIN ${SESSIONS_TABLE} h ON h.session_id = s.id
       WHERE c.endat = 0`,
    );
    const seen = new Set<string>();
    for (const r of rows.rows) {
      if (r.node_id && live.has(r.node_id)) continue;
      seen.add(r.session_id);
      const since = this.#suspects.get(r.session_id);
      if (since === undefined) {
        this.#suspects.set(r.session_id, now);
        continue;
      }
      if (now - since < this.#o.orphanGraceMs) continue;
      this.#suspects.delete(r.session_id);
      this.#log.warn(
        {sessionID: r.session_id, callID: r.call_id, node: r.node_id},
        'session left behind by a dead node removed',
      );
      this.#o.onOrphan(r.session_id, r.call_id, r.channel_id);
      if (r.node_id !== null)
        await db.query(`DELETE FROM ${SESSIONS_TABLE} WHERE session_id = $1 AND node_id = $2`, [
          r.session_id,
          r.node_id,
        ]);
    }
    for (const id of this.#suspects.keys()) if (!seen.has(id)) this.#suspects.delete(id);
    await db.query(
      `DELETE FROM ${SESSIONS_TABLE} h WHERE h.updated_at < $1 AND NOT EXISTS (SELECT 1 FROM calls_sessions s WHERE s.id = h.session_id)`,
      [now - STALE_HOLDER_MS],
    );
  }

  /**
   * A call no live node may host: marked once (every node then tells its clients the media is away),
   * and handed to the call domain to end when it has waited longer than the handler wait.
   */
  async #waitForHandler(call: Call): Promise<void> {
    const reason = 'no calls handler node is running';
    const since = call.props.media_unavailable_at;
    if (since === undefined) {
      const m = await this.#o.lock.withLock(call.channelId, async () => {
        const current = await this.#o.calls.getCall(call.id);
        if (!current || current.endAt > 0 || current.props.media_unavailable_at !== undefined) return null;
        if (this.#o.registry.isAlive(current.props.node_id ?? '')) return null;
        current.props.media_unavailable_at = Date.now();
        await this.#o.calls.updateCall(current);
        return {callID: call.id, channelID: call.channelId, reason};
      });
      if (!m) return;
      this.#o.media.broadcast('unavailable', m);
      this.#o.onUnavailable(m);
      return;
    }
    const waited = Date.now() - since;
    if (this.#o.handlerWaitMs > 0 && waited >= this.#o.handlerWaitMs && !this.#abandoned.has(call.id)) {
      this.#abandoned.add(call.id);
      this.#log.warn(
        {callID: call.id, waitedSeconds: Math.round(waited / 1000)},
        'no node could host the call for the whole handler wait (MM_CALLS_HANDLER_WAIT_SECONDS); ending it',
      );
      this.#o.onAbandoned(call.id, call.channelId, `${reason} (waited ${Math.round(waited / 1000)} s)`);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#sweeping?.catch(() => undefined);
  }
}
