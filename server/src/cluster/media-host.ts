// The owner side of the cluster's media: the SFU sessions this node runs for calls it owns, whoever
// holds their websockets. It creates them when asked (`connect`), re-points them when a websocket moves
// (`adopt`), feeds them signaling (`rtc`) and sends their SFU events to the websocket's node over the
// media relay (or hands them to this node's router when the websocket is here).
import type {Logger} from '../log';
import {AppError} from '../errors';
import type {RtcInbound, RtcServer, SessionConfig, SessionOpCall} from '../rtc/types';
import type {CallsRepository} from '../store/types';
import type {ClusterMediaEvent, MediaBus} from './media-relay';
import {type NodeRegistry, noHandlerError} from './nodes';
import {restoreSessionState} from './restore';

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

export interface HostRequest {
  cfg: SessionConfig;
  wsNode: string;
  restore: boolean;
}

export interface MediaHostOptions {
  nodeID: string;
  registry: NodeRegistry;
  media: MediaBus;
  calls: CallsRepository;
  /** Creates this node's SFU on first use (none is created on relay-only nodes). */
  rtc: () => Promise<RtcServer>;
  logger: Logger;
  /** An SFU event for a session whose websocket is on this node. */
  deliverLocal: (sessionID: string, e: ClusterMediaEvent) => void;
}

export class MediaHost {
  readonly #o: MediaHostOptions;
  readonly #me: string;
  readonly #log: Logger;
  readonly #hosted = new Map<string, HostedEntry>();
  #rtc: Promise<RtcServer> | null = null;
  #rtcResolved: RtcServer | null = null;

  constructor(opts: MediaHostOptions) {
    this.#o = opts;
    this.#me = opts.nodeID;
    this.#log = opts.logger;
    const {media} = opts;
    media.handle('connect', (req, from) => this.host({...req, wsNode: from}));
    media.handle('adopt', (req, from) => ({exists: this.adopt(req.sessionID, from)}));
    media.handle('disconnect', (sessionID) => this.disconnect(sessionID));
    media.handle('rtc', (msg) => this.toSfu(msg));
    media.handle('sessionOp', (c) => this.sessionOp(c));
  }

  /** The call ids this node hosts sessions of. */
  hostedCalls(): Set<string> {
    return new Set([...this.#hosted.values()].map((h) => h.callID));
  }

  /** The session's websocket is now on `wsNode`: true if its SFU session can go on as it is. */
  adopt(sessionID: string, wsNode: string): boolean {
    const h = this.#hosted.get(sessionID);
    if (!h || h.lost || h.awaitingOffer) return false;
    h.wsNode = wsNode;
    return true;
  }

  /** Creates (or re-creates) a session's SFU session here. */
  async host(req: HostRequest): Promise<void> {
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

  toSfu(msg: RtcInbound): void {
    const h = this.#hosted.get(msg.sessionID);
    if (h && msg.type === 'sdp' && msg.data.type === 'offer') h.awaitingOffer = false;
    this.#rtcResolved?.send(msg);
  }

  /** A session operation for a session hosted here (asked by its websocket's node, or by this one). */
  async sessionOp(c: SessionOpCall): Promise<unknown> {
    const rtc = this.#rtcResolved;
    if (!rtc || !this.#hosted.has(c.sessionID)) throw new AppError('app.rtc.no_session', 'no such rtc session', 404);
    return rtc.sessionOp(c);
  }

  async disconnect(sessionID: string): Promise<void> {
    const rtc = this.#rtcResolved;
    if (rtc && this.#hosted.has(sessionID)) await rtc.closeSession(sessionID);
  }

  /** The call moved away: its SFU sessions here close without telling anyone. */
  async dropCall(callID: string): Promise<void> {
    const ids = [...this.#hosted].filter(([, h]) => h.callID === callID).map(([sid]) => sid);
    if (ids.length === 0) return;
    for (const sid of ids) this.#hosted.delete(sid);
    const rtc = await this.#rtc;
    for (const sid of ids) await rtc?.closeSession(sid);
    this.#log.info({callID, sessions: ids.length}, 'call moved away: local media sessions closed');
  }

  /** Shutting down: sessions of calls handed over to other nodes are forgotten (their closes are not news), then the SFU closes. */
  async close(handover: ReadonlySet<string>): Promise<void> {
    for (const [sid, h] of this.#hosted) if (handover.has(h.callID)) this.#hosted.delete(sid);
    const rtc = await this.#rtc?.catch(() => null);
    await rtc?.close();
  }

  /** Uses an SFU started at boot (its ports are bound before the node reports that it runs). */
  useStartedRtc(rtc: RtcServer): void {
    if (!this.#rtc) this.#rtc = Promise.resolve(this.#attachRtc(rtc));
  }

  #ensureRtc(): Promise<RtcServer> {
    this.#rtc ??= this.#o.rtc().then(
      (rtc) => this.#attachRtc(rtc),
      (err) => {
        this.#rtc = null;
        throw err;
      },
    );
    return this.#rtc;
  }

  #attachRtc(rtc: RtcServer): RtcServer {
    this.#rtcResolved = rtc;
    rtc.on('signal', (...args) => this.#toWebsocket({ev: 'signal', args}));
    rtc.on('voice', (...args) => this.#toWebsocket({ev: 'voice', args}));
    rtc.on('rejected', (...args) => this.#toWebsocket({ev: 'rejected', args}));
    // The SFU re-created the session (a media worker was lost): the client negotiates again.
    rtc.on('restart', (...args) => {
      const h = this.#hosted.get(args[0]);
      if (h) h.awaitingOffer = true;
      this.#toWebsocket({ev: 'restart', args});
    });
    rtc.on('close', (...args) => {
      const sid = args[0];
      const h = this.#hosted.get(sid);
      if (!h) return;
      this.#hosted.delete(sid);
      this.#relay(sid, h, {ev: 'close', args});
    });
    return rtc;
  }

  #toWebsocket(e: ClusterMediaEvent & {args: [string, ...unknown[]]}): void {
    const sid = e.args[0];
    const h = this.#hosted.get(sid);
    if (h) this.#relay(sid, h, e);
  }

  #relay(sid: string, h: HostedEntry, e: ClusterMediaEvent): void {
    if (h.wsNode === this.#me) {
      this.#o.deliverLocal(sid, e);
      return;
    }
    if (!this.#o.registry.isAlive(h.wsNode)) {
      // Lost SDP or ICE (or a media restart) leaves the peer connection half-negotiated (re-created when the
      // websocket is adopted; a lost server offer is also made again); a lost voice event does not matter.
      if (e.ev === 'signal' || e.ev === 'restart') {
        h.lost = true;
        this.#log.warn(
          {sessionID: sid, callID: h.callID, wsNode: h.wsNode, type: e.ev},
          'signal for a session whose websocket node is not alive dropped',
        );
      }
      return;
    }
    this.#o.media.emitTo(h.wsNode, e);
  }

  #hostingCall(callID: string): boolean {
    for (const h of this.#hosted.values()) if (h.callID === callID) return true;
    return false;
  }
}
