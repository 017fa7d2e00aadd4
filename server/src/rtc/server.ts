// The embedded SFU: owns the shared RTC ports and every call and session on this node, and is the
// RtcServer the call domain talks to. Closing it closes every session, then the ports.
import {useSessionBufferPool} from './bufferPool';
import type {Clock} from '../clock';
import {systemClock} from '../clock';
import {AppError} from '../errors';
import {TypedEmitter} from '../events';
import type {Logger} from '../log';
import {collectRouteCounts} from './fastpath/installedRoutes';
import {newRtpCounters, noRtcMetrics, type RtcMetrics, type RtpCounters} from '../metrics';
import {Call} from './call';
import type {HostCandidate} from './net/iceMux';
import {describeCandidates, openRtcNetwork, type RtcNetwork} from './net/rtcNetwork';
import {DEFAULT_TIMEOUTS, type RtcServerOptions, type RtcTimeouts} from './options';
import {Session} from './session/session';
import type {TcpMux} from './net/tcpMux';
import {sessionTurnServers} from './net/turn';
import {
  streamIDOf,
  type RtcInbound,
  type RtcServer,
  type RtcServerEvents,
  type SessionConfig,
  type SessionOpCall,
  type SessionSnapshot,
} from './types';
import {sessionOpRequest, type SessionOpName, type SessionOpReply, type SessionOpRequest} from '../relay/sfu';
import type {UdpMux} from './net/udpMux';
import {agentStunServer, srtpProfile} from './werift/internals';

// Moved to net/rtcNetwork (a media-worker primary needs them without the SFU's own modules); kept importable here.
export {describeCandidates, openRtcNetwork, type RtcNetwork};

export interface RtcServerStats {
  calls: number;
  sessions: number;
  udpPort: number;
  tcpPort: number | null;
  /** Datagrams on the shared port that matched no session. */
  droppedDatagrams: number;
  /** Session ICE agents registered on the shared UDP sockets. */
  muxEndpoints: number;
}

/** What the SFU reports to and runs with, beside its options. */
export interface SfuDeps {
  metrics?: RtcMetrics;
  /** rtc_* metrics label (default "default"). */
  groupID?: string;
  clock?: Clock;
  /** Starts every session's ICE ufrag (a media worker's tag, so the primary can route to it). */
  ufragPrefix?: string;
}

/** The SFU's side of each session operation of relay/sfu.ts: an entry there, a handler here. */
const SESSION_OP_HANDLERS: {
  [K in SessionOpName]: (session: Session, req: SessionOpRequest<K>) => SessionOpReply<K> | Promise<SessionOpReply<K>>;
} = {
  inspect: (session) => snapshotOf(session),
};

function snapshotOf(session: Session): SessionSnapshot {
  const pc = session.peerConnection;
  const pair = pc.iceTransports[0]?.getSelectedCandidatePair();
  const localPort = pair ? Number(pair.local.candidate.replace(/^candidate:/, '').split(' ')[5]) : undefined;
  return {
    signalingState: pc.signalingState,
    connectionState: pc.connectionState,
    iceServers: pc.config.iceServers.map((s) => ({urls: s.urls, username: s.username, credential: s.credential})),
    agentStunServer: agentStunServer(pc),
    selectedLocalPort: Number.isFinite(localPort) ? localPort : undefined,
    srtpProfile: srtpProfile(pc),
    receiving: session.receiving,
    metrics: session.metrics,
    fastIngressStreams: session.fastIngressStreams,
    nativeRouteStreams: session.nativeRouteStreams,
  };
}

export class SfuServer extends TypedEmitter<RtcServerEvents> implements RtcServer {
  readonly #opts: RtcServerOptions;
  readonly #timeouts: RtcTimeouts;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #udp: UdpMux;
  readonly #tcp: TcpMux | undefined;
  readonly #candidates: HostCandidate[];
  readonly #sessions = new Map<string, Session>();
  readonly #calls = new Map<string, Call>();
  readonly #metrics: RtcMetrics;
  readonly #groupID: string;
  readonly #counters = newRtpCounters();
  readonly #unregisterCounters: () => void;
  readonly #ufragPrefix: string;
  #closed = false;

  private constructor(opts: RtcServerOptions, network: RtcNetwork, logger: Logger, deps: SfuDeps) {
    super();
    useSessionBufferPool();
    this.#opts = opts;
    this.#timeouts = {...DEFAULT_TIMEOUTS, ...opts.timeouts};
    this.#udp = network.udp;
    // The fast receive path drops lone receiver reports unread: the addon drops them before they cost a JS call.
    if ((opts.forwarding ?? 'fast') === 'fast')
      for (const socket of this.#udp.sockets) socket.batched?.dropReceiverReports();
    this.#tcp = network.tcp;
    this.#candidates = network.candidates;
    this.#logger = logger;
    this.#ufragPrefix = deps.ufragPrefix ?? '';
    this.#clock = deps.clock ?? systemClock;
    this.#metrics = deps.metrics ?? noRtcMetrics;
    this.#groupID = deps.groupID ?? 'default';
    this.#unregisterCounters =
      this.#metrics.registerRTPCounters?.(this.#groupID, () => {
        collectRouteCounts();
        return this.#counters;
      }) ?? (() => {});
  }

  static async create(opts: RtcServerOptions, logger: Logger, deps: SfuDeps = {}): Promise<SfuServer> {
    const log = logger.child({component: 'rtc'});
    return new SfuServer(opts, await openRtcNetwork(opts, log), log, deps);
  }

  /** An SFU on ports opened elsewhere (a media worker on the primary's sockets). */
  static fromNetwork(opts: RtcServerOptions, network: RtcNetwork, logger: Logger, deps: SfuDeps = {}): SfuServer {
    return new SfuServer(opts, network, logger, deps);
  }

  /** The shared RTC UDP port (the bound one, not an advertised override). */
  get udpPort(): number {
    return this.#udp.port;
  }

  get tcpPort(): number | null {
    return this.#tcp?.port ?? null;
  }

  /** What every session advertises: "udp 203.0.113.7:8443", "srflx udp 198.51.100.9:8443" and the like. */
  get advertisedCandidates(): string[] {
    return describeCandidates(this.#candidates);
  }

  /** Cumulative RTP packets and bytes in from publishers and out to receivers. */
  get rtpCounters(): RtpCounters {
    collectRouteCounts();
    return {...this.#counters};
  }

  get stats(): RtcServerStats {
    return {
      calls: this.#calls.size,
      sessions: this.#sessions.size,
      udpPort: this.udpPort,
      tcpPort: this.tcpPort,
      droppedDatagrams: this.#udp.sockets.reduce((n, s) => n + s.dropped, 0),
      muxEndpoints: this.#udp.sockets.reduce((n, s) => n + s.endpointCount, 0),
    };
  }

  /** For tests and diagnostics: the live session object. */
  session(sessionID: string): Session | undefined {
    return this.#sessions.get(sessionID);
  }

  /** stats, asynchronously: the same call works on the multi-worker server. */
  async getStats(): Promise<RtcServerStats> {
    return this.stats;
  }

  /** A serialisable view of one session (diagnostics; works the same through media workers). */
  async inspect(sessionID: string): Promise<SessionSnapshot | undefined> {
    const session = this.#sessions.get(sessionID);
    return session && snapshotOf(session);
  }

  async sessionOp(call: SessionOpCall): Promise<unknown> {
    const session = this.#sessions.get(call.sessionID);
    if (!session) throw new AppError('app.rtc.no_session', 'no such rtc session', 404);
    const op = call.op as SessionOpName;
    const req = sessionOpRequest(op, call.req);
    return (SESSION_OP_HANDLERS[op] as (s: Session, r: unknown) => unknown)(session, req);
  }

  async initSession(cfg: SessionConfig): Promise<void> {
    if (this.#closed) throw new AppError('app.rtc.server_closed', 'rtc server is closed', 503);
    for (const key of ['sessionID', 'userID', 'callID', 'channelID'] as const) {
      if (typeof cfg[key] !== 'string' || cfg[key].length === 0 || cfg[key].length > 128) {
        throw new AppError('app.rtc.invalid_session_config', `invalid ${key}`, 400);
      }
    }
    if (this.#sessions.has(cfg.sessionID)) {
      throw new AppError('app.rtc.session_exists', 'session is already connected', 400);
    }
    const session = new Session(
      {...cfg, av1Support: !!cfg.av1Support, dcSignaling: !!cfg.dcSignaling},
      {
        candidates: this.#candidates,
        turnServers: sessionTurnServers(this.#opts, cfg.sessionID, this.#clock.now()),
        enableAV1: this.#opts.enableAV1,
        forwarding: this.#opts.forwarding ?? 'fast',
        timeouts: this.#timeouts,
        clock: this.#clock,
        logger: this.#logger,
        metrics: this.#metrics,
        groupID: cfg.groupID ?? this.#groupID,
        counters: this.#counters,
        ufragPrefix: this.#ufragPrefix,
      },
    );
    this.#sessions.set(cfg.sessionID, session);
    let call = this.#calls.get(cfg.callID);
    if (!call) {
      call = new Call(cfg.callID, {enableVideo: this.#opts.enableVideo, enableAV1: this.#opts.enableAV1}, this.#logger);
      this.#calls.set(cfg.callID, call);
    }
    call.add(session);
    const id = cfg.sessionID;
    session.on('signal', (signal) => this.emit('signal', id, signal));
    session.on('voice', (on) => this.emit('voice', id, on));
    session.on('rejected', (err, fatal) => this.emit('rejected', id, err, fatal));
    session.on('close', (reason) => {
      if (this.#sessions.get(id) === session) this.#sessions.delete(id);
      const c = this.#calls.get(cfg.callID);
      if (c && c.size === 0) {
        c.close();
        this.#calls.delete(cfg.callID);
      }
      this.emit('close', id, reason);
    });
    this.#logger.info({sessionID: id, callID: cfg.callID, userID: cfg.userID}, 'rtc session created');
  }

  send(msg: RtcInbound): void {
    try {
      this.#dispatch(msg);
    } catch (err) {
      // The contract: bad input never throws into the caller.
      this.#logger.warn({err, sessionID: msg?.sessionID, type: msg?.type}, 'rtc message failed');
    }
  }

  #dispatch(msg: RtcInbound): void {
    const session = msg && typeof msg.sessionID === 'string' ? this.#sessions.get(msg.sessionID) : undefined;
    if (!session) {
      this.#logger.debug({sessionID: msg?.sessionID, type: msg?.type}, 'rtc message for an unknown session');
      return;
    }
    const call = this.#calls.get(session.cfg.callID);
    switch (msg.type) {
      case 'sdp':
        session.handleSdp(msg.data, 'ws');
        break;
      case 'ice':
        session.handleIce(msg.data);
        break;
      case 'mute':
        session.setMuted(true);
        break;
      case 'unmute':
        session.setMuted(false);
        break;
      case 'screen_on':
      case 'video_on': {
        const streamID = streamIDOf(msg);
        if (!streamID) {
          const field = msg.type === 'screen_on' ? 'screenStreamID' : 'videoStreamID';
          this.#logger.warn({sessionID: msg.sessionID}, `${msg.type} without a ${field}`);
          return;
        }
        if (msg.type === 'screen_on') call?.screenOn(session, streamID);
        else session.setVideoStream(streamID);
        break;
      }
      case 'screen_off':
        call?.screenOff(session);
        break;
      case 'video_off':
        session.setVideoStream(undefined);
        break;
      default:
        this.#logger.warn({sessionID: (msg as {sessionID?: string}).sessionID}, 'unknown rtc message type');
    }
  }

  async closeSession(sessionID: string): Promise<void> {
    const session = this.#sessions.get(sessionID);
    if (!session) return;
    await session.close('closed by the server');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#sessions.values()].map((s) => s.close('rtc server shutting down')));
    this.#sessions.clear();
    for (const c of this.#calls.values()) c.close();
    this.#calls.clear();
    await this.#tcp?.close();
    await this.#udp.close();
    this.#unregisterCounters();
    this.#logger.info('rtc server closed');
  }
}
