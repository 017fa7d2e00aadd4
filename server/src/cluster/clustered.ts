// The MediaRouter of a node in a cluster: it hides whether a call's SFU runs here or on another node.
// Two views of a session: "local" (its websocket is here; this node's call domain talks to it) and
// "hosted" (its SFU session runs here). Signaling goes from the websocket node to the owner of the
// call over the bus, and SFU events (signal, voice, close) come back to the websocket node. Events
// from an owner that is no longer the session's owner are dropped, so a call that moved cannot be
// torn down by its previous node. When a call moves, every node re-creates the media of its local
// sessions on the new owner and tells their clients to renegotiate (`restart`). While no node may run a
// call's media (single handler, no handler alive), its clients are told to wait (`unavailable`), and a
// websocket that moves meanwhile is adopted without media until a handler takes the call.
import {AppError, badRequest} from '../errors';
import {TypedEmitter} from '../events';
import type {Logger} from '../log';
import type {RtcInbound, RtcServer, RtcSignal, SessionConfig} from '../rtc/types';
import type {Call, CallsRepository} from '../store/types';
import type {Bus, BusMessage} from './bus';
import type {Failover, MovedMessage, UnavailableMessage} from './failover';
import {type NodeRegistry, noHandlerError, type Queryable} from './nodes';
import {restoreSessionState} from './restore';
import {SESSIONS_TABLE} from './schema';
import type {MediaRouter, MediaRouterEvents} from './types';

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

interface HostedEntry {
  callID: string;
  /** The node holding the session's websocket. */
  wsNode: string;
  /** Signaling was dropped because the websocket node was gone: the session must be re-created on adopt. */
  lost: boolean;
  /**
   * No offer from the client yet: if its websocket moves now, the client may never have heard that it
   * must negotiate (the event died with its node), so adoption re-creates the session and tells it again.
   */
  awaitingOffer: boolean;
}

interface ConnectRequest {
  cfg: SessionConfig;
  wsNode: string;
  restore: boolean;
}

export interface ClusteredRouterOptions {
  nodeID: string;
  registry: NodeRegistry;
  bus: Bus;
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
  readonly #hosted = new Map<string, HostedEntry>();
  /** Calls this node hands over at shutdown: their SFU sessions close without telling anyone. */
  readonly #handover = new Set<string>();
  #failover: Failover | null = null;
  #rtc: Promise<RtcServer> | null = null;
  #rtcResolved: RtcServer | null = null;
  #reconciler: NodeJS.Timeout | undefined;
  #leaving = false;
  #closed = false;

  constructor(opts: ClusteredRouterOptions) {
    super();
    this.#o = opts;
    this.#me = opts.nodeID;
    this.#log = opts.logger.child({module: 'cluster-media'});
    const bus = opts.bus;
    bus.handle('connect', (m) => this.#onConnect(m as BusMessage<ConnectRequest>));
    bus.handle('adopt', (m) => this.#onAdopt(m as BusMessage<{sessionID: string; wsNode: string}>));
    bus.handle('disconnect', (m) => this.#onDisconnect(m as BusMessage<{sessionID: string}>));
    bus.handle('rtc', (m) => this.#toSfu((m.data as {msg: RtcInbound}).msg));
    bus.handle('signal', (m) => {
      const d = m.data as {sessionID: string; signal: RtcSignal};
      this.#fromOwner(d.sessionID, m.from, () => this.emit('signal', d.sessionID, d.signal));
    });
    bus.handle('voice', (m) => {
      const d = m.data as {sessionID: string; on: boolean};
      this.#fromOwner(d.sessionID, m.from, () => this.emit('voice', d.sessionID, d.on));
    });
    bus.handle('close', (m) => {
      const d = m.data as {sessionID: string; reason: string};
      this.#fromOwner(d.sessionID, m.from, () => this.emit('close', d.sessionID, d.reason));
    });
    bus.handle('rejected', (m) => {
      const d = m.data as {sessionID: string; error: {id: string; message: string; status: number}; fatal: boolean};
      this.#fromOwner(d.sessionID, m.from, () => this.emit('rejected', d.sessionID, new AppError(d.error.id, d.error.message, d.error.status), d.fatal));
    });
    bus.handle('restart', (m) => {
      const d = m.data as {sessionID: string; reason: string};
      this.#fromOwner(d.sessionID, m.from, () => this.emit('restart', d.sessionID, d.reason));
    });
    bus.handle('detach', (m) => this.#onDetach(m as BusMessage<{sessionID: string; node: string}>));
    bus.handle('moved', (m) => this.onMoved(m.data as MovedMessage));
    bus.handle('unavailable', (m) => this.onUnavailable(m.data as UnavailableMessage));
  }

  /** Wires the takeover (the failover module is built after the router). */
  start(failover: Failover): void {
    this.#failover = failover;
    this.#reconciler = setInterval(() => void this.#reconcile(), RECONCILE_MS);
    this.#reconciler.unref();
  }

  // ------------------------------------------------------------------ MediaRouter

  async nodeForNewCall(): Promise<string> {
    return this.#o.registry.nodeForNewCall();
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

  send(call: Call, msg: RtcInbound): void {
    const owner = this.#local.get(msg.sessionID)?.owner || call.props.node_id || '';
    if (owner === this.#me) this.#toSfu(msg);
    else if (owner) this.#o.bus.send(owner, 'rtc', {msg});
  }

  async closeSession(call: Call, sessionID: string): Promise<void> {
    const entry = this.#local.get(sessionID);
    this.#local.delete(sessionID);
    await this.#deleteHolder(sessionID).catch((err) => this.#log.warn({err: (err as Error).message, sessionID}, 'removing session holder failed'));
    const owner = entry?.owner || call.props.node_id || '';
    if (owner === this.#me) await (await this.#rtc)?.closeSession(sessionID);
    else if (owner) this.#o.bus.send(owner, 'disconnect', {sessionID});
  }

  async adoptSession(call: Call, sessionID: string): Promise<void> {
    if (this.#local.has(sessionID)) return;
    const r = await this.#o.db.query<{config: SessionConfig}>(`SELECT config FROM ${SESSIONS_TABLE} WHERE session_id = $1`, [sessionID]);
    let cfg = r.rows[0]?.config;
    if (!cfg) {
      const s = await this.#o.calls.getSession(sessionID);
      if (!s) throw badRequest('app.calls.reconnect.no_session', 'session not found for reconnect');
      cfg = {sessionID, userID: s.userId, callID: call.id, channelID: call.channelId, av1Support: false, dcSignaling: false};
    }
    const entry: LocalEntry = {cfg, owner: '', ready: false, chain: Promise.resolve(), unavailable: false};
    this.#local.set(sessionID, entry);
    try {
      await this.#saveHolder(cfg);
      // The node that held the websocket before (if alive) drops its object without tearing anything down.
      this.#o.bus.broadcast('detach', {sessionID, node: this.#me});
      await this.#serial(entry, async () => {
        let owner: string;
        try {
          owner = await this.#liveOwner(call.id, Date.now() + ATTACH_DEADLINE_MS);
        } catch (err) {
          if ((err as AppError).id !== 'app.calls.cluster.no_handler') throw err;
          // No node may run the media now: keep the websocket side; a takeover re-creates the media.
          entry.owner = call.props.node_id ?? '';
          this.#tellUnavailable(entry, 'no calls handler node is running');
          return;
        }
        entry.owner = owner;
        let exists = false;
        if (owner === this.#me) {
          const h = this.#hosted.get(sessionID);
          if (h && !h.lost && !h.awaitingOffer) {
            h.wsNode = this.#me;
            exists = true;
          }
        } else {
          exists = await this.#o.bus.request<{exists: boolean}>(owner, 'adopt', {sessionID, wsNode: this.#me})
            .then((res) => res.exists, () => false);
        }
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
    for (const [sid, h] of this.#hosted) if (this.#handover.has(h.callID)) this.#hosted.delete(sid);
    const rtc = await this.#rtc?.catch(() => null);
    await rtc?.close();
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
      if (entry.cfg.callID === m.callID && !this.#o.registry.isAlive(entry.owner)) this.#tellUnavailable(entry, m.reason);
    }
  }

  #tellUnavailable(entry: LocalEntry, reason: string): void {
    if (entry.unavailable) return;
    entry.unavailable = true;
    entry.ready = false;
    this.#log.info({sessionID: entry.cfg.sessionID, callID: entry.cfg.callID, reason}, 'session media unavailable; client told to wait');
    this.emit('unavailable', entry.cfg.sessionID, reason);
  }

  /** A call moved: drop what we hosted for it, and re-create our sessions' media on the new owner. */
  onMoved(m: MovedMessage): void {
    if (m.from === this.#me && m.to !== this.#me) void this.#dropHosted(m.callID);
    if (this.#leaving) return;
    const force = m.from === m.to;
    for (const [sid, entry] of this.#local) {
      if (entry.cfg.callID !== m.callID) continue;
      void this.#serial(entry, async () => {
        if (!force && entry.ready && entry.owner === m.to) return;
        await this.#attach(entry, m.callID, true, `the call moved from node ${m.from || '?'} to node ${m.to}`);
      }).catch((err) => this.#log.warn({err: (err as Error).message, sessionID: sid, callID: m.callID}, 'moving a session failed'));
    }
  }

  /** Catches up with moves we missed (messages lost while the database was away). */
  async #reconcile(): Promise<void> {
    if (this.#leaving) return;
    try {
      const {registry} = this.#o;
      const callIDs = new Set<string>();
      for (const e of this.#local.values()) if (e.ready || e.unavailable) callIDs.add(e.cfg.callID);
      for (const h of this.#hosted.values()) callIDs.add(h.callID);
      for (const callID of callIDs) {
        const call = await this.#o.calls.getCall(callID);
        if (!call || call.endAt > 0) continue;
        const owner = call.props.node_id ?? '';
        if (owner !== this.#me) void this.#dropHosted(callID);
        const away = call.props.media_unavailable_at !== undefined && !registry.isAlive(owner);
        for (const [sid, entry] of this.#local) {
          if (entry.cfg.callID !== callID) continue;
          if (away) {
            // The `unavailable` broadcast may have been lost (database outage).
            if (entry.ready && !registry.isAlive(entry.owner)) this.#tellUnavailable(entry, 'no calls handler node is running');
            continue;
          }
          // Re-attach a waiting session once the call has a live owner (the move message may have been lost).
          if (entry.unavailable ? !registry.isAlive(owner) : (!entry.ready || entry.owner === owner)) continue;
          this.#log.warn({sessionID: sid, callID, was: entry.owner, now: owner}, 'session media owner changed; re-attaching');
          void this.#serial(entry, async () => {
            if (entry.ready && entry.owner === owner) return;
            await this.#attach(entry, callID, true, 'the call moved to another node');
          }).catch((err) => this.#log.warn({err: (err as Error).message, sessionID: sid}, 're-attaching a session failed'));
        }
      }
    } catch (err) {
      this.#log.debug({err: (err as Error).message}, 'reconcile failed');
    }
  }

  async #dropHosted(callID: string): Promise<void> {
    const ids = [...this.#hosted].filter(([, h]) => h.callID === callID).map(([sid]) => sid);
    if (ids.length === 0) return;
    for (const sid of ids) this.#hosted.delete(sid);
    const rtc = await this.#rtc;
    for (const sid of ids) await rtc?.closeSession(sid);
    this.#log.info({callID, sessions: ids.length}, 'call moved away: local media sessions closed');
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
        if (owner === this.#me) await this.#host({cfg: entry.cfg, wsNode: this.#me, restore});
        else await this.#o.bus.request(owner, 'connect', {cfg: entry.cfg, wsNode: this.#me, restore} satisfies ConnectRequest);
      } catch (err) {
        const e = err as AppError;
        const unreachable = e.id === 'app.calls.cluster.node_unavailable' || e.id === 'app.calls.cluster.request_timeout';
        if (!unreachable || Date.now() > deadline) throw err;
        this.#log.warn({owner, sessionID: sid, err: e.message}, 'call owner does not answer');
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
      if (Date.now() > deadline) throw new AppError('app.calls.cluster.no_owner', 'no cluster node can host this call right now', 503);
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
      this.#log.warn({sessionID, callID: entry.cfg.callID, from: owner, owner: entry.owner}, 'SFU event from a node that no longer runs the session dropped');
      return;
    }
    fn();
  }

  #onDetach(m: BusMessage<{sessionID: string; node: string}>): void {
    const {sessionID, node} = m.data;
    if (node === this.#me || !this.#local.has(sessionID)) return;
    this.#local.delete(sessionID);
    this.#log.info({sessionID, node}, 'session websocket adopted by another node');
    this.emit('detach', sessionID);
  }

  // ------------------------------------------------------------------ owner side

  #rtcNow(): RtcServer | null {
    return this.#rtcResolved;
  }

  #ensureRtc(): Promise<RtcServer> {
    this.#rtc ??= this.#o.rtc().then((rtc) => this.#attachRtc(rtc), (err) => {
      this.#rtc = null;
      throw err;
    });
    return this.#rtc;
  }

  /** Uses an SFU started at boot (its ports are bound before the node reports that it runs). */
  useStartedRtc(rtc: RtcServer): void {
    if (!this.#rtc) this.#rtc = Promise.resolve(this.#attachRtc(rtc));
  }

  #attachRtc(rtc: RtcServer): RtcServer {
    this.#rtcResolved = rtc;
    rtc.on('signal', (sid, signal) => this.#toWebsocket(sid, 'signal', {sessionID: sid, signal}, () => this.emit('signal', sid, signal)));
    rtc.on('voice', (sid, on) => this.#toWebsocket(sid, 'voice', {sessionID: sid, on}, () => this.emit('voice', sid, on)));
    rtc.on('rejected', (sid, err, fatal) => this.#toWebsocket(sid, 'rejected',
      {sessionID: sid, error: {id: err.id, message: err.message, status: err.status}, fatal}, () => this.emit('rejected', sid, err, fatal)));
    // The SFU re-created the session (a media worker was lost): the client negotiates again.
    rtc.on('restart', (sid, reason) => {
      const h = this.#hosted.get(sid);
      if (h) h.awaitingOffer = true;
      this.#toWebsocket(sid, 'restart', {sessionID: sid, reason}, () => this.emit('restart', sid, reason));
    });
    rtc.on('close', (sid, reason) => {
      const h = this.#hosted.get(sid);
      if (!h) return;
      this.#hosted.delete(sid);
      this.#relay(sid, h, 'close', {sessionID: sid, reason}, () => this.emit('close', sid, reason));
    });
    return rtc;
  }

  #toWebsocket(sid: string, type: string, data: unknown, local: () => void): void {
    const h = this.#hosted.get(sid);
    if (h) this.#relay(sid, h, type, data, local);
  }

  #relay(sid: string, h: HostedEntry, type: string, data: unknown, local: () => void): void {
    if (h.wsNode === this.#me) {
      this.#fromOwner(sid, this.#me, local);
      return;
    }
    if (!this.#o.registry.isAlive(h.wsNode)) {
      // Lost SDP or ICE (or a media restart) leaves the peer connection half-negotiated (re-created when the
      // websocket is adopted; a lost server offer is also made again); a lost voice event does not matter.
      if (type === 'signal' || type === 'restart') {
        h.lost = true;
        this.#log.warn({sessionID: sid, callID: h.callID, wsNode: h.wsNode, type}, 'signal for a session whose websocket node is not alive dropped');
      }
      return;
    }
    this.#o.bus.send(h.wsNode, type, data);
  }

  /** Creates (or re-creates) a session's SFU session here. */
  async #host(req: ConnectRequest): Promise<void> {
    const {cfg, wsNode, restore} = req;
    if (!this.#o.registry.canHost(this.#me) && !this.#hostingCall(cfg.callID)) {
      // A relay-only node (single handler) never runs media; the call is routed wrongly.
      throw noHandlerError();
    }
    const rtc = await this.#ensureRtc();
    const sid = cfg.sessionID;
    if (this.#hosted.has(sid)) {
      this.#hosted.delete(sid);
      await rtc.closeSession(sid);
    }
    this.#hosted.set(sid, {callID: cfg.callID, wsNode, lost: false, awaitingOffer: true});
    try {
      await rtc.initSession(cfg);
    } catch (err) {
      this.#hosted.delete(sid);
      throw err;
    }
    if (restore) await restoreSessionState(rtc, this.#o.calls, cfg);
  }

  #toSfu(msg: RtcInbound): void {
    const h = this.#hosted.get(msg.sessionID);
    if (h && msg.type === 'sdp' && msg.data.type === 'offer') h.awaitingOffer = false;
    this.#rtcNow()?.send(msg);
  }

  #hostingCall(callID: string): boolean {
    for (const h of this.#hosted.values()) if (h.callID === callID) return true;
    return false;
  }

  async #onConnect(m: BusMessage<ConnectRequest>): Promise<Record<string, never>> {
    await this.#host({...m.data, wsNode: m.from});
    return {};
  }

  #onAdopt(m: BusMessage<{sessionID: string; wsNode: string}>): {exists: boolean} {
    const h = this.#hosted.get(m.data.sessionID);
    if (!h || h.lost || h.awaitingOffer) return {exists: false};
    h.wsNode = m.from;
    return {exists: true};
  }

  async #onDisconnect(m: BusMessage<{sessionID: string}>): Promise<void> {
    const rtc = this.#rtcNow();
    if (rtc && this.#hosted.has(m.data.sessionID)) await rtc.closeSession(m.data.sessionID);
  }

  // ------------------------------------------------------------------ holders

  async #saveHolder(cfg: SessionConfig): Promise<void> {
    await this.#o.db.query(
      `INSERT INTO ${SESSIONS_TABLE} (session_id, node_id, call_id, channel_id, config, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (session_id) DO UPDATE SET node_id = EXCLUDED.node_id, config = EXCLUDED.config, updated_at = EXCLUDED.updated_at`,
      [cfg.sessionID, this.#me, cfg.callID, cfg.channelID, JSON.stringify(cfg), Date.now()]);
  }

  async #deleteHolder(sessionID: string): Promise<void> {
    // Only our own claim: if another node adopted the session meanwhile, its row stays.
    await this.#o.db.query(`DELETE FROM ${SESSIONS_TABLE} WHERE session_id = $1 AND node_id = $2`, [sessionID, this.#me]);
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
