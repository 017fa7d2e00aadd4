// The MediaRouter of a node in a cluster: it hides whether a call's SFU runs here or on another node.
// Two views of a session: "local" (its websocket is here; this node's call domain talks to it) and
// "hosted" (its SFU session runs here). Signaling goes from the websocket node to the owner of the
// call over the bus, and SFU events (signal, voice, close) come back to the websocket node. Events
// from an owner that is no longer the session's owner are dropped, so a call that moved cannot be
// torn down by its previous node. When a call moves, every node re-creates the media of its local
// sessions on the new owner and tells their clients to renegotiate (`restart`). While no node may run a
// call's media (single handler, no handler alive), its clients are told to wait (`unavailable`), and a
// websocket that moves meanwhile is adopted without media until a handler takes the call.
// The owner side (the SFU sessions this node runs) is media-host.ts; the messages, media-relay.ts.
import {AppError, badRequest, isAppError} from '../errors';
import {TypedEmitter} from '../events';
import type {Logger} from '../log';
import {emitSfuEvent} from '../relay/sfu';
import type {RtcInbound, RtcServer, SessionConfig, SessionOpCall} from '../rtc/types';
import type {Call, CallsRepository} from '../store/types';
import type {Failover} from './failover';
import {MediaHost} from './media-host';
import type {ClusterMediaEvent, MediaBus, MovedMessage, UnavailableMessage} from './media-relay';
import {type NodeRegistry, noHandlerError, type Queryable} from './nodes';
import {SESSIONS_TABLE} from './schema';
import type {MediaPlacement, MediaRouter, MediaRouterEvents} from './types';

/** How long re-attaching a session's media may keep trying (waiting for a takeover, retrying a dead owner). */
const ATTACH_DEADLINE_MS = 20_000;
const RECONCILE_MS = 2_000;

interface LocalEntry {
  cfg: SessionConfig;
  /** The node whose SFU has (or is getting) this session. */
  owner: string;
  /** The owner confirmed the session. */
  ready: boolean;
  /** Operations on one session run one after another. */
  chain: Promise<void>;
  /** The client was told its media is away (no node may run it); cleared when it is re-created. */
  unavailable: boolean;
}

export interface ClusteredRouterOptions {
  nodeID: string;
  registry: NodeRegistry;
  media: MediaBus;
  db: Queryable;
  calls: CallsRepository;
  /** Creates this node's SFU on first use (none is created on relay-only nodes). */
  rtc: () => Promise<RtcServer>;
  logger: Logger;
}

export class ClusteredMediaRouter extends TypedEmitter<MediaRouterEvents> implements MediaRouter {
  readonly #o: ClusteredRouterOptions;
  readonly #me: string;
  readonly #log: Logger;
  readonly #local = new Map<string, LocalEntry>();
  readonly #host: MediaHost;
  /** Calls this node hands over at shutdown: their SFU sessions close without telling anyone. */
  readonly #handover = new Set<string>();
  #failover: Failover | null = null;
  #reconciler: NodeJS.Timeout | undefined;
  #leaving = false;
  #closed = false;

  constructor(opts: ClusteredRouterOptions) {
    super();
    this.#o = opts;
    this.#me = opts.nodeID;
    this.#log = opts.logger.child({module: 'cluster-media'});
    this.#host = new MediaHost({
      ...opts,
      media: opts.media,
      logger: this.#log,
      deliverLocal: (sid, e) => this.#fromOwner(sid, this.#me, () => this.#emitSfu(e)),
    });
    opts.media.onEvent((e, from) => {
      switch (e.ev) {
        case 'detach':
          this.#onDetach(...e.args);
          break;
        case 'moved':
          this.onMoved(...e.args);
          break;
        case 'unavailable':
          this.onUnavailable(...e.args);
          break;
        default:
          this.#fromOwner(e.args[0], from, () => this.#emitSfu(e));
      }
    });
  }

  /** Wires the takeover (the failover module is built after the router). */
  start(failover: Failover): void {
    this.#failover = failover;
    this.#reconciler = setInterval(() => void this.#reconcile(), RECONCILE_MS);
    this.#reconciler.unref();
  }

  // ------------------------------------------------------------------ MediaRouter

  async propsForNewCall(): Promise<MediaPlacement> {
    return {node_id: this.#o.registry.nodeForNewCall()};
  }

  async initSession(call: Call, cfg: SessionConfig): Promise<void> {
    const entry: LocalEntry = {cfg, owner: '', ready: false, chain: Promise.resolve(), unavailable: false};
    this.#local.set(cfg.sessionID, entry);
    try {
      await this.#saveHolder(cfg);
      await this.#serial(entry, () => this.#attach(entry, call.id, false, ''));
    } catch (err) {
      if (this.#local.get(cfg.sessionID) === entry) this.#local.delete(cfg.sessionID);
      await this.#deleteHolder(cfg.sessionID).catch(() => undefined);
      throw err;
    }
  }

  /** The node that runs the session's media: the one this node attached it to, else the call's. '' when none. */
  #ownerOf(call: Call, sessionID: string): string {
    return this.#local.get(sessionID)?.owner || call.props.node_id || '';
  }

  send(call: Call, msg: RtcInbound): void {
    const owner = this.#ownerOf(call, msg.sessionID);
    if (owner === this.#me) this.#host.toSfu(msg);
    else if (owner) this.#o.media.send(owner, 'rtc', msg);
  }

  async closeSession(call: Call, sessionID: string): Promise<void> {
    const owner = this.#ownerOf(call, sessionID);
    this.#local.delete(sessionID);
    await this.#deleteHolder(sessionID).catch((err) =>
      this.#log.warn({err: messageOf(err), sessionID}, 'removing session holder failed'),
    );
    if (owner === this.#me) await this.#host.disconnect(sessionID);
    else if (owner) this.#o.media.send(owner, 'disconnect', sessionID);
  }

  async sessionOp(call: Call, c: SessionOpCall): Promise<unknown> {
    const owner = this.#ownerOf(call, c.sessionID);
    if (owner === this.#me) return this.#host.sessionOp(c);
    if (!owner) throw new AppError('app.rtc.no_session', 'no such rtc session', 404);
    return this.#o.media.request(owner, 'sessionOp', c);
  }

  async adoptSession(call: Call, sessionID: string): Promise<void> {
    if (this.#local.has(sessionID)) return;
    const r = await this.#o.db.query<{config: SessionConfig}>(
      `SELECT config FROM ${SESSIONS_TABLE} WHERE session_id = $1`,
      [sessionID],
    );
    let cfg = r.rows[0]?.config;
    if (!cfg) {
      const s = await this.#o.calls.getSession(sessionID);
      if (!s) throw badRequest('app.calls.reconnect.no_session', 'session not found for reconnect');
      cfg = {
        sessionID,
        userID: s.userId,
        callID: call.id,
        channelID: call.channelId,
        av1Support: false,
        dcSignaling: false,
      };
    }
    const entry: LocalEntry = {cfg, owner: '', ready: false, chain: Promise.resolve(), unavailable: false};
    this.#local.set(sessionID, entry);
    try {
      await this.#saveHolder(cfg);
      // The node that held the websocket before (if alive) drops its object without tearing anything down.
      this.#o.media.broadcast('detach', sessionID, this.#me);
      await this.#serial(entry, async () => {
        let owner: string;
        try {
          owner = await this.#liveOwner(call.id, Date.now() + ATTACH_DEADLINE_MS);
        } catch (err) {
          if (!isAppError(err) || err.id !== 'app.calls.cluster.no_handler') throw err;
          // No node may run the media now: keep the websocket side; a takeover re-creates the media.
          entry.owner = call.props.node_id ?? '';
          this.#tellUnavailable(entry, 'no calls handler node is running');
          return;
        }
        entry.owner = owner;
        let exists = false;
        if (owner === this.#me) exists = this.#host.adopt(sessionID, this.#me);
        else
          exists = await this.#o.media.request(owner, 'adopt', {sessionID}).then(
            (res) => res.exists,
            () => false,
          );
        if (exists) {
          entry.ready = true;
          return;
        }
        await this.#attach(entry, call.id, true, 'the websocket moved and the media session was lost');
      });
    } catch (err) {
      if (this.#local.get(sessionID) === entry) this.#local.delete(sessionID);
      throw err;
    }
  }

  async endAtStart(_call: Call): Promise<boolean> {
    // The cluster carries every call on: calls of dead nodes (this one's previous life included) move to
    // a live node, and the sweeper removes the sessions no node holds after the reconnect grace.
    return false;
  }

  async endAtShutdown(call: Call, _hasLocalSessions: boolean): Promise<boolean> {
    // Websockets here reconnect to other nodes; only the calls this node hosts need a decision.
    if (call.props.node_id !== this.#me) return false;
    const {registry} = this.#o;
    const others = registry.liveNodes().filter((n) => n !== this.#me && registry.canHost(n));
    if (others.length === 0) return true;
    this.#handover.add(call.id);
    return false;
  }

  /** This node is leaving: its websockets go elsewhere, so moves no longer re-attach them from here. */
  leaving(): void {
    this.#leaving = true;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#leaving = true;
    clearInterval(this.#reconciler);
    // Handed-over calls: their sessions are re-created elsewhere, so their closes are not news.
    await this.#host.close(this.#handover);
  }

  // ------------------------------------------------------------------ moves and reconciliation

  /** The sweeper found a session no live node holds: the call domain removes it. */
  reportOrphan(sessionID: string, callID: string, channelID: string): void {
    this.emit('orphan', sessionID, callID, channelID);
  }

  /** The sweeper gave up waiting for a node to run the call's media: the call domain ends the call. */
  reportAbandoned(callID: string, channelID: string, reason: string): void {
    this.emit('abandoned', callID, channelID, reason);
  }

  /** No node may run a call's media now: its clients here are told to wait. */
  onUnavailable(m: UnavailableMessage): void {
    for (const entry of this.#local.values()) {
      if (entry.cfg.callID === m.callID && !this.#o.registry.isAlive(entry.owner))
        this.#tellUnavailable(entry, m.reason);
    }
  }

  #tellUnavailable(entry: LocalEntry, reason: string): void {
    if (entry.unavailable) return;
    entry.unavailable = true;
    entry.ready = false;
    this.#log.info(
      {sessionID: entry.cfg.sessionID, callID: entry.cfg.callID, reason},
      'session media unavailable; client told to wait',
    );
    this.emit('unavailable', entry.cfg.sessionID, reason);
  }

  /** A call moved: drop what we hosted for it, and re-create our sessions' media on the new owner. */
  onMoved(m: MovedMessage): void {
    if (m.from === this.#me && m.to !== this.#me) void this.#host.dropCall(m.callID);
    if (this.#leaving) return;
    const force = m.from === m.to;
    for (const [sid, entry] of this.#local) {
      if (entry.cfg.callID !== m.callID) continue;
      void this.#serial(entry, async () => {
        if (!force && entry.ready && entry.owner === m.to) return;
        await this.#attach(entry, m.callID, true, `the call moved from node ${m.from || '?'} to node ${m.to}`);
      }).catch((err) =>
        this.#log.warn({err: messageOf(err), sessionID: sid, callID: m.callID}, 'moving a session failed'),
      );
    }
  }

  /** Catches up with moves we missed (messages lost while the database was away). */
  async #reconcile(): Promise<void> {
    if (this.#leaving) return;
    try {
      const {registry} = this.#o;
      const callIDs = new Set<string>();
      for (const e of this.#local.values()) if (e.ready || e.unavailable) callIDs.add(e.cfg.callID);
      for (const callID of this.#host.hostedCalls()) callIDs.add(callID);
      for (const callID of callIDs) {
        const call = await this.#o.calls.getCall(callID);
        if (!call || call.endAt > 0) continue;
        const owner = call.props.node_id ?? '';
        if (owner !== this.#me) void this.#host.dropCall(callID);
        const away = call.props.media_unavailable_at !== undefined && !registry.isAlive(owner);
        for (const [sid, entry] of this.#local) {
          if (entry.cfg.callID !== callID) continue;
          if (away) {
            // The `unavailable` broadcast may have been lost (database outage).
            if (entry.ready && !registry.isAlive(entry.owner))
              this.#tellUnavailable(entry, 'no calls handler node is running');
            continue;
          }
          // Re-attach a waiting session once the call has a live owner (the move message may have been lost).
          if (entry.unavailable ? !registry.isAlive(owner) : !entry.ready || entry.owner === owner) continue;
          this.#log.warn(
            {sessionID: sid, callID, was: entry.owner, now: owner},
            'session media owner changed; re-attaching',
          );
          void this.#serial(entry, async () => {
            if (entry.ready && entry.owner === owner) return;
            await this.#attach(entry, callID, true, 'the call moved to another node');
          }).catch((err) => this.#log.warn({err: messageOf(err), sessionID: sid}, 're-attaching a session failed'));
        }
      }
    } catch (err) {
      this.#log.debug({err: messageOf(err)}, 'reconcile failed');
    }
  }

  // ------------------------------------------------------------------ websocket side

  /**
   * Gets the session's media created on the call's live owner (taking the call over if its owner is
   * dead). `restore`: re-apply the session's mute/screen state and tell the client to renegotiate.
   */
  async #attach(entry: LocalEntry, callID: string, restore: boolean, reason: string): Promise<void> {
    const deadline = Date.now() + ATTACH_DEADLINE_MS;
    const sid = entry.cfg.sessionID;
    for (;;) {
      const owner = await this.#liveOwner(callID, deadline);
      entry.owner = owner;
      entry.ready = false;
      try {
        if (owner === this.#me) await this.#host.host({cfg: entry.cfg, wsNode: this.#me, restore});
        else await this.#o.media.request(owner, 'connect', {cfg: entry.cfg, restore});
      } catch (err) {
        const unreachable =
          isAppError(err) &&
          (err.id === 'app.calls.cluster.node_unavailable' || err.id === 'app.calls.cluster.request_timeout');
        if (!unreachable || Date.now() > deadline) throw err;
        this.#log.warn({owner, sessionID: sid, err: messageOf(err)}, 'call owner does not answer');
        await this.#o.registry.confirmDead(owner).catch(() => false);
        await sleep(250);
        continue;
      }
      if (this.#local.get(sid) !== entry) return; // left meanwhile
      entry.ready = true;
      entry.unavailable = false;
      if (restore) {
        this.#log.info({sessionID: sid, callID, owner}, 'session media re-created; client told to renegotiate');
        this.emit('restart', sid, reason);
      }
      return;
    }
  }

  /** The call's owner if it is alive; otherwise takes the call over (or waits for the sweeper to). */
  async #liveOwner(callID: string, deadline: number): Promise<string> {
    const {registry} = this.#o;
    for (;;) {
      const call = await this.#o.calls.getCall(callID);
      if (!call || call.endAt > 0) throw badRequest('app.calls.no_call_ongoing', 'no call ongoing');
      const owner = call.props.node_id ?? '';
      if (owner && registry.isAlive(owner)) return owner;
      const to = this.#failover ? await this.#failover.takeOver(call) : null;
      if (to && registry.isAlive(to)) return to;
      if (!to && registry.singleHandler && !registry.liveHandler()) throw noHandlerError();
      if (Date.now() > deadline)
        throw new AppError('app.calls.cluster.no_owner', 'no cluster node can host this call right now', 503);
      await sleep(250);
    }
  }

  /** Runs SFU events of a session only if they come from its current owner. */
  #fromOwner(sessionID: string, owner: string, fn: () => void): void {
    const entry = this.#local.get(sessionID);
    if (!entry) {
      this.#log.debug({sessionID, from: owner}, 'SFU event for a session not held here dropped');
      return;
    }
    if (entry.owner !== owner) {
      // The call moved (or is moving): the new owner's session is the one the client negotiates with.
      this.#log.warn(
        {sessionID, callID: entry.cfg.callID, from: owner, owner: entry.owner},
        'SFU event from a node that no longer runs the session dropped',
      );
      return;
    }
    fn();
  }

  #onDetach(sessionID: string, node: string): void {
    if (node === this.#me || !this.#local.has(sessionID)) return;
    this.#local.delete(sessionID);
    this.#log.info({sessionID, node}, 'session websocket adopted by another node');
    this.emit('detach', sessionID);
  }

  /** An SFU event of a session whose websocket is here. */
  #emitSfu(e: ClusterMediaEvent): void {
    // detach, moved and unavailable are the cluster's own events, handled where they arrive.
    if (e.ev !== 'detach' && e.ev !== 'moved' && e.ev !== 'unavailable') emitSfuEvent(this.emit.bind(this), e);
  }

  /** Uses an SFU started at boot (its ports are bound before the node reports that it runs). */
  useStartedRtc(rtc: RtcServer): void {
    this.#host.useStartedRtc(rtc);
  }

  // ------------------------------------------------------------------ holders

  async #saveHolder(cfg: SessionConfig): Promise<void> {
    await this.#o.db.query(
      `INSERT INTO ${SESSIONS_TABLE} (session_id, node_id, call_id, channel_id, config, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (session_id) DO UPDATE SET node_id = EXCLUDED.node_id, config = EXCLUDED.config, updated_at = EXCLUDED.updated_at`,
      [cfg.sessionID, this.#me, cfg.callID, cfg.channelID, JSON.stringify(cfg), Date.now()],
    );
  }

  async #deleteHolder(sessionID: string): Promise<void> {
    // Only our own claim: if another node adopted the session meanwhile, its row stays.
    await this.#o.db.query(`DELETE FROM ${SESSIONS_TABLE} WHERE session_id = $1 AND node_id = $2`, [
      sessionID,
      this.#me,
    ]);
  }

  #serial(entry: LocalEntry, fn: () => Promise<void>): Promise<void> {
    const run = entry.chain.then(fn);
    entry.chain = run.catch(() => undefined);
    return run;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
