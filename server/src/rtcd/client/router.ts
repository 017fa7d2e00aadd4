// rtcd mode's media router (reference §4.3): a new call goes to the rtcd host with the lowest cpu_load
// and is pinned there in props.rtcd_host; a session's join, signalling and leave go to its call's host,
// and what the host sends back (rtc, vad, close, our restart) becomes the router's events. No node of
// ours runs media, so a restart of this process leaves calls running on rtcd: at start a call whose
// host still has its sessions is kept, its clients' `reconnect` re-points rtcd's routing to the new
// connection (media never stopped), and sessions whose clients do not come back are removed after the grace.
// With several nodes (`cluster` hooks), each node does this for the websockets it holds over its own
// connections; who holds what is shared, and the cluster's sweeper removes what dead nodes leave behind.
import {AppError} from '../../errors';
import {TypedEmitter} from '../../events';
import type {Logger} from '../../log';
import type {RtcInbound, SessionConfig, SessionOpCall} from '../../rtc/types';
import type {Call, CallsRepository} from '../../store/types';
import type {MediaPlacement, MediaRouter, MediaRouterEvents} from '../../cluster/types';
import {inboundToRtcMessage, rtcMessageToSignal} from '../rtc-messages';
import {RtcMsgType, WireError, type ClientMessage} from '../wire';
import type {RtcdCredentials} from './connection';
import type {RtcdHosts} from './hosts';
import type {CallLock} from '../../calls/lock';
import {restoreSessionState} from '../../cluster/restore';
import {rtcdRequest} from './http';

export interface RtcdRouterOptions {
  hosts: RtcdHosts;
  /** The call lock calls/ uses: moving a call rewrites its row. */
  lock: CallLock;
  /** How long a host may be unavailable before its calls move to another one (default 3 s). */
  failoverAfterMs?: number;
  serviceURL: string;
  ca?: string[];
  credentials: RtcdCredentials;
  calls: CallsRepository;
  /** Sessions of the previous run that do not come back within this are removed (the reconnect grace). */
  graceMs: number;
  logger: Logger;
  /** Several plugin nodes share the calls (clustered on PostgreSQL); absent on a single node. */
  cluster?: RtcdRouterCluster;
}

/** What a node of a cluster shares with the others about the sessions whose websockets it holds. */
export interface RtcdRouterCluster {
  /** This node holds the session's websocket (the sweeper removes sessions no live node holds). */
  hold(cfg: SessionConfig): Promise<void>;
  /** This node no longer holds it (only its own claim is removed). */
  release(sessionID: string): Promise<void>;
  /** Tells the other nodes this node took the session's websocket over: the previous holder forgets it. */
  adopted(sessionID: string): void;
}

interface Waiting {
  callID: string;
  channelID: string;
}

export class RtcdMediaRouter extends TypedEmitter<MediaRouterEvents> implements MediaRouter {
  readonly #o: RtcdRouterOptions;
  readonly #log: Logger;
  /** sessionID → the host its call is pinned to. */
  readonly #hostOf = new Map<string, string>();
  /** sessionID → what its join said, to create it again on another host. */
  readonly #configs = new Map<string, SessionConfig>();
  readonly #failoverTimers = new Map<string, NodeJS.Timeout>();
  readonly #waiting = new Map<string, Waiting>();
  /** Hosts whose sessions are being checked after a reconnect → whether it reconnected again meanwhile. */
  readonly #rechecking = new Map<string, boolean>();
  #graceTimer: NodeJS.Timeout | undefined;

  constructor(o: RtcdRouterOptions) {
    super();
    this.#o = o;
    this.#log = o.logger.child({module: 'rtcd-media'});
  }

  /** What the hosts deliver (wired by whoever creates both). */
  onHostMessage(ip: string, msg: ClientMessage): void {
    try {
      switch (msg.type) {
        case 'rtc':
          this.emit('signal', msg.data.session_id, rtcMessageToSignal(msg.data));
          return;
        case 'vad':
          this.emit('voice', msg.data.session_id, msg.data.type === RtcMsgType.VoiceOn);
          return;
        case 'close':
          this.#hostOf.delete(msg.data.sessionID);
          this.#configs.delete(msg.data.sessionID);
          this.emit('close', msg.data.sessionID, `the rtcd host ${ip} closed the session`);
          return;
        case 'restart':
          this.emit('restart', msg.data.sessionID, 'the rtcd host re-created the session media');
          return;
        default:
          return;
      }
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      this.#log.warn({ip, type: msg.type, err: err.message}, 'rtcd message refused');
    }
  }

  async propsForNewCall(): Promise<MediaPlacement> {
    const ip = await this.#o.hosts.hostForNewCall();
    if (!ip) throw new AppError('app.rtcd.unavailable', 'no rtcd host is available to run the call', 503);
    return {rtcd_host: ip};
  }

  async initSession(call: Call, cfg: SessionConfig): Promise<void> {
    const ip = this.#pinned(call);
    await this.#o.cluster?.hold(cfg);
    this.#hostOf.set(cfg.sessionID, ip);
    this.#configs.set(cfg.sessionID, cfg);
    const sent = this.#o.hosts.send(ip, joinMessage(cfg));
    if (!sent) {
      this.#hostOf.delete(cfg.sessionID);
      await this.#o.cluster?.release(cfg.sessionID).catch(() => undefined);
      throw new AppError('app.rtcd.unavailable', "the call's rtcd host is not reachable", 503, {host: ip});
    }
  }

  send(call: Call, msg: RtcInbound): void {
    const ip = this.#hostOf.get(msg.sessionID) ?? call.props.rtcd_host;
    if (!ip || !this.#o.hosts.send(ip, {type: 'rtc', data: inboundToRtcMessage(msg)})) {
      this.#log.debug({sessionID: msg.sessionID, type: msg.type}, 'rtcd host not reachable: message dropped');
    }
  }

  /** rtcd's protocol (reference: rtcd) has no session operations beyond signaling. */
  async sessionOp(_call: Call, c: SessionOpCall): Promise<unknown> {
    throw new AppError('app.rtc.unsupported', `session operation ${c.op} is not available with rtcd`, 501);
  }

  async closeSession(call: Call, sessionID: string): Promise<void> {
    this.#waiting.delete(sessionID);
    const ip = this.#hostOf.get(sessionID) ?? call.props.rtcd_host;
    this.#hostOf.delete(sessionID);
    this.#configs.delete(sessionID);
    await this.#o.cluster
      ?.release(sessionID)
      .catch((err: Error) => this.#log.warn({sessionID, err: err.message}, 'removing the session holder failed'));
    if (ip) this.#o.hosts.send(ip, {type: 'leave', data: {sessionID}});
  }

  /** The cluster's sweeper found a session no live node holds: the call domain removes it. */
  reportOrphan(sessionID: string, callID: string, channelID: string): void {
    this.emit('orphan', sessionID, callID, channelID);
  }

  /** Another node took this session's websocket over: forget it here without telling rtcd anything. */
  detach(sessionID: string): void {
    if (!this.#hostOf.has(sessionID) && !this.#waiting.has(sessionID)) return;
    this.#hostOf.delete(sessionID);
    this.#configs.delete(sessionID);
    this.#waiting.delete(sessionID);
    this.#log.info({sessionID}, 'session websocket adopted by another node');
    this.emit('detach', sessionID);
  }

  async adoptSession(call: Call, sessionID: string): Promise<void> {
    const ip = this.#pinned(call);
    const session = await this.#o.calls.getSession(sessionID);
    if (!session) throw new AppError('app.calls.reconnect.no_session', 'session not found for reconnect', 400);
    const cfg: SessionConfig = {
      sessionID,
      userID: session.userId,
      callID: call.id,
      channelID: call.channelId,
      av1Support: false,
      dcSignaling: false,
    };
    const hostUp = this.#o.hosts.isAvailable(ip);
    // The host still runs the session (its media never stopped): point its messages at our connection.
    const res = hostUp
      ? await rtcdRequest(
          this.#o.serviceURL,
          ip,
          'GET',
          `/calls/${encodeURIComponent(call.id)}/sessions/${encodeURIComponent(sessionID)}`,
          {credentials: this.#o.credentials, ca: this.#o.ca},
        ).catch((err: Error) => ({status: 0, body: err.message}))
      : {status: 0, body: ''};
    if (res.status === 200) {
      if (!this.#o.hosts.send(ip, {type: 'reconnect', data: {sessionID}})) {
        throw new AppError('app.rtcd.unavailable', "the call's rtcd host is not reachable", 503, {host: ip});
      }
      this.#waiting.delete(sessionID);
      this.#hostOf.set(sessionID, ip);
      this.#configs.set(sessionID, cfg);
      await this.#o.cluster?.hold(cfg);
      this.#o.cluster?.adopted(sessionID);
      this.#log.info({sessionID, callID: call.id, host: ip}, 'session back: rtcd routes it to this node again');
      return;
    }
    // A host that is up but did not answer: nothing tells whether the session is still there.
    if (hostUp && res.status !== 404) {
      throw new AppError('app.calls.reconnect.no_session', 'session not found for reconnect', 400, {
        host: ip,
        status: res.status,
      });
    }
    // The session's media is gone with its host (which may have died with the node that held the websocket),
    // or the host lost it: this node takes the session over and creates its media again.
    this.#waiting.delete(sessionID);
    this.#configs.set(sessionID, cfg);
    this.#hostOf.set(sessionID, ip);
    await this.#o.cluster?.hold(cfg);
    this.#o.cluster?.adopted(sessionID);
    if (hostUp) {
      this.#log.info({sessionID, callID: call.id, host: ip}, 'session back, its media lost on the host: created again');
      await this.#rejoin(ip, cfg, 'the rtcd host no longer had the session');
      return;
    }
    // The host is gone: the failover moves the call, and this session with it. The move may have been decided
    // while this session was on its way here: then it joins the new host now (a move running right now is
    // caught by the next failover round, which finds this session still on the old host).
    this.hostUnavailable(ip);
    const now = (await this.#o.calls.getCall(call.id))?.props.rtcd_host;
    if (now && now !== ip && this.#o.hosts.isAvailable(now) && this.#hostOf.get(sessionID) === ip) {
      await this.#rejoin(now, cfg, `the call moved to another rtcd host (${ip} was lost)`);
    }
    this.#log.info(
      {sessionID, callID: call.id, host: ip, now},
      "session back, its call's rtcd host lost: its media is created again on the call's next host",
    );
  }

  async endAtStart(call: Call): Promise<boolean> {
    const ip = call.props.rtcd_host;
    if (!ip) return true;
    // Other nodes may be running the call right now; the cluster's sweeper removes the sessions no live node
    // holds after the grace (the call ends with its last one).
    if (this.#o.cluster) return false;
    const res = await rtcdRequest(this.#o.serviceURL, ip, 'GET', `/calls/${encodeURIComponent(call.id)}/sessions`, {
      credentials: this.#o.credentials,
      ca: this.#o.ca,
    }).catch(() => undefined);
    // 404: the host has none of its sessions; anything else but 200 keeps the call, to be safe (upstream does so).
    if (res?.status === 404) return true;
    const sessions = await this.#o.calls.getSessions(call.id);
    if (sessions.length === 0) return true;
    for (const s of sessions) {
      this.#waiting.set(s.id, {callID: call.id, channelID: call.channelId});
      this.#hostOf.set(s.id, ip);
    }
    this.#graceTimer ??= setTimeout(() => this.#graceEnded(), this.#o.graceMs);
    this.#log.info(
      {callID: call.id, host: ip, sessions: sessions.length},
      'call of the previous run kept: its media runs on rtcd',
    );
    return false;
  }

  /** The media runs on rtcd: a restart of this process must not end it. */
  async endAtShutdown(): Promise<boolean> {
    return false;
  }

  /**
   * A host's connection opened again (after a network blip, or the host restarted before its calls moved): rtcd
   * routes a session's messages to the connection that last named it, so every session this node has there is
   * named again with `reconnect`, and one the host no longer has (it restarted) is created again on it — the
   * client renegotiates once. Beyond upstream, whose sessions stay unreachable until their clients reconnect.
   */
  hostConnected(ip: string): void {
    if (this.#rechecking.has(ip)) {
      this.#rechecking.set(ip, true);
      return;
    }
    this.#rechecking.set(ip, false);
    void (async () => {
      try {
        do {
          this.#rechecking.set(ip, false);
          await this.#recheck(ip);
        } while (this.#rechecking.get(ip) && this.#o.hosts.isAvailable(ip));
      } catch (err) {
        this.#log.error({ip, err: (err as Error).message}, 'checking the sessions on a reconnected rtcd host failed');
      } finally {
        this.#rechecking.delete(ip);
      }
    })();
  }

  async #recheck(ip: string): Promise<void> {
    const byCall = new Map<string, SessionConfig[]>();
    for (const [sid, host] of this.#hostOf) {
      const cfg = this.#configs.get(sid);
      // Sessions of a previous run come back through their clients (adoptSession), not from here.
      if (host !== ip || !cfg || this.#waiting.has(sid)) continue;
      byCall.set(cfg.callID, [...(byCall.get(cfg.callID) ?? []), cfg]);
    }
    for (const [callID, cfgs] of byCall) {
      const res = await rtcdRequest(this.#o.serviceURL, ip, 'GET', `/calls/${encodeURIComponent(callID)}/sessions`, {
        credentials: this.#o.credentials,
        ca: this.#o.ca,
      }).catch((err: Error) => ({status: 0, body: err.message}));
      const present = res.status === 200 ? sessionIDs(res.body) : res.status === 404 ? new Set<string>() : null;
      if (!present) {
        this.#log.warn({ip, callID, status: res.status}, 'rtcd host did not list its sessions: they are named again');
      }
      let recreated = 0;
      for (const cfg of cfgs) {
        // Left, moved or taken over meanwhile.
        if (this.#hostOf.get(cfg.sessionID) !== ip || this.#configs.get(cfg.sessionID) !== cfg) continue;
        if (!present || present.has(cfg.sessionID)) {
          this.#o.hosts.send(ip, {type: 'reconnect', data: {sessionID: cfg.sessionID}});
        } else {
          recreated++;
          await this.#rejoin(ip, cfg, 'the rtcd host restarted without the session');
        }
      }
      this.#log.info({ip, callID, sessions: cfgs.length, recreated}, 'rtcd host back: its sessions routed here again');
    }
  }

  /** A host became unavailable: if it stays so, its calls move to another host (beyond upstream, which has no migration). */
  hostUnavailable(ip: string): void {
    if (this.#failoverTimers.has(ip)) return;
    const timer = setTimeout(() => {
      this.#failoverTimers.delete(ip);
      if (this.#o.hosts.isAvailable(ip)) return;
      void this.#moveCallsOff(ip).catch((err: Error) =>
        this.#log.error({ip, err: err.message}, 'moving calls off an rtcd host failed'),
      );
    }, this.#o.failoverAfterMs ?? 3000);
    timer.unref();
    this.#failoverTimers.set(ip, timer);
  }

  async #moveCallsOff(ip: string): Promise<void> {
    const byCall = new Map<string, SessionConfig[]>();
    for (const [sid, host] of this.#hostOf) {
      const cfg = this.#configs.get(sid);
      if (host !== ip || !cfg) continue;
      byCall.set(cfg.callID, [...(byCall.get(cfg.callID) ?? []), cfg]);
    }
    for (const [callID, cfgs] of byCall) {
      // The move is decided once, under the call lock; with several nodes, the others find the call already
      // moved and re-join the sessions whose websockets they hold on its new host.
      const moved = await this.#o.lock.withLock(cfgs[0].channelID, async () => {
        const call = await this.#o.calls.getCall(callID);
        if (!call || call.endAt > 0) return undefined;
        const now = call.props.rtcd_host;
        if (now && now !== ip) return this.#o.hosts.isAvailable(now) ? now : undefined;
        // No waiting under the call lock: with no host now, the call waits and the move is tried again.
        const to = await this.#o.hosts.hostForNewCall(0);
        if (!to) return null;
        await this.#o.calls.updateCall({...call, props: {...call.props, rtcd_host: to}});
        return to;
      });
      if (moved === null) {
        this.#log.warn({ip, callID}, 'no other rtcd host is available: the call waits');
        this.hostUnavailable(ip);
        continue;
      }
      if (!moved) continue;
      // A session that came back meanwhile and was created on the new host already is not joined twice.
      const still = cfgs.filter((cfg) => this.#hostOf.get(cfg.sessionID) === ip);
      for (const cfg of still) await this.#rejoin(moved, cfg, `the call moved to another rtcd host (${ip} was lost)`);
      this.#log.info({callID, from: ip, to: moved, sessions: still.length}, 'call moved to another rtcd host');
    }
  }

  async close(): Promise<void> {
    for (const t of this.#failoverTimers.values()) clearTimeout(t);
    this.#failoverTimers.clear();
    clearTimeout(this.#graceTimer);
    this.#o.hosts.close();
  }

  /** Creates a session's media on `target` (join, then its mute and screen state): its client renegotiates. */
  async #rejoin(target: string, cfg: SessionConfig, reason: string): Promise<void> {
    this.#hostOf.set(cfg.sessionID, target);
    this.#o.hosts.send(target, joinMessage(cfg));
    await restoreSessionState(
      {send: (m) => this.#o.hosts.send(target, {type: 'rtc', data: inboundToRtcMessage(m)})},
      this.#o.calls,
      cfg,
    );
    this.emit('restart', cfg.sessionID, reason);
  }

  #pinned(call: Call): string {
    const ip = call.props.rtcd_host;
    if (!ip) throw new AppError('app.rtcd.no_host', 'the call has no rtcd host', 500, {callID: call.id});
    return ip;
  }

  #graceEnded(): void {
    const gone = [...this.#waiting];
    this.#waiting.clear();
    if (gone.length > 0)
      this.#log.info({sessions: gone.length}, 'sessions of the previous run did not come back; removing them');
    for (const [sid, w] of gone) {
      const ip = this.#hostOf.get(sid);
      if (ip) this.#o.hosts.send(ip, {type: 'leave', data: {sessionID: sid}});
      this.#hostOf.delete(sid);
      this.emit('orphan', sid, w.callID, w.channelID);
    }
  }
}

/** The session ids of a `GET /calls/{callID}/sessions` reply; null when it is not that reply. */
function sessionIDs(body: string): Set<string> | null {
  try {
    const list: unknown = JSON.parse(body);
    if (!Array.isArray(list)) return null;
    const ids = new Set<string>();
    for (const s of list) {
      const id = (s as {SessionID?: unknown} | null)?.SessionID;
      if (typeof id === 'string') ids.add(id);
    }
    return ids;
  } catch {
    return null;
  }
}

/** rtcd's `join` for a session. */
function joinMessage(cfg: SessionConfig): ClientMessage {
  const {callID, userID, sessionID, channelID, av1Support, dcSignaling} = cfg;
  return {type: 'join', data: {callID, userID, sessionID, channelID, av1Support, dcSignaling}};
}
