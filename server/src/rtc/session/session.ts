// One participant's peer connection on the SFU, and the teardown that cannot leak it. The session owns
// the peer connection and its mux binding and composes the parts that do the work: the negotiator
// (offer/answer, signaling lock), calls-dc, the tracks it publishes and the tracks it receives.
import {RTCPeerConnection, type RTCDataChannel} from 'werift';
import type {AppError} from '../../errors';
import {TypedEmitter} from '../../events';
import {newId, randomString} from '../../ids';
import type {Logger} from '../../log';
import {MAX_SDP_BYTES, type TrackType} from '../../protocol';
import {Ingress} from '../fastpath/ingress';
import {RtcpReports} from '../fastpath/rtcpReports';
import {alignHeaderExtensionIds, mediaConfig} from '../media/codecs';
import {checkIceCandidate, checkSessionDescription, rtcError} from '../media/sdpCheck';
import {SignalingLock} from '../media/signalingLock';
import {IceMuxBinding} from '../net/iceMux';
import type {IceCandidate, SessionConfig, SessionDescription} from '../types';
import {
  boundIncomingRequestIds,
  cacheCertificateFingerprints,
  dropUnusedSrtpHmacs,
  dtlsHandshakeError,
  icePairCounters,
  flattenWeriftStrings,
  installLeanEvents,
  nativeDtlsCrypto,
  routeKeyframeRequestsByMediaSsrc,
  stopDtlsRetransmissions,
} from '../werift/internals';
import type {SessionContext, SessionDeps, SessionEvents, Via} from './context';
import {SessionDataChannel, type DCMetrics} from './dataChannel';
import {IncomingTracks} from './incoming';
import {Negotiator} from './negotiator';
import {OutgoingTracks} from './outgoing';
import type {PublishedTrack} from './published';

export type {SessionDeps, SessionEvents} from './context';
export type {DCMetrics} from './dataChannel';

// Before the first peer connection: werift's events without a closure per method each (leanEvent.ts).
installLeanEvents();
// The DTLS certificate's fingerprint computed once, not on every offer and answer (fixes.ts).
cacheCertificateFingerprints();
// No HMAC objects in SRTP contexts that never use them (fixes.ts).
dropUnusedSrtpHmacs();
// A candidate pair remembers its latest checks' transaction ids, not all of them (fixes.ts).
boundIncomingRequestIds();
// werift's ids and parsed SDPs without the memory they were cut from (flatStrings.ts).
flattenWeriftStrings();
// The DTLS handshake's key exchange and signatures by OpenSSL, the certificate parsed once (dtlsCrypto.ts).
nativeDtlsCrypto();

/** Connection states counted in rtc_conn_states_total (as rtcd: every change to one of these). */
const COUNTED_CONN_STATES = new Set(['connected', 'disconnected', 'failed']);

export class Session extends TypedEmitter<SessionEvents> {
  readonly cfg: SessionConfig;
  readonly #deps: SessionDeps;
  readonly #logger: Logger;
  readonly #pc: RTCPeerConnection;
  readonly #mux: IceMuxBinding;
  readonly #lock = new SignalingLock();
  readonly #ingress = new Ingress();
  readonly #dc: SessionDataChannel;
  readonly #incoming: IncomingTracks;
  readonly #outgoing: OutgoingTracks;
  readonly #reports: RtcpReports;
  readonly #negotiator: Negotiator;
  #closed = false;
  // Timestamps (performance.now() ms) behind the connection-time histogram.
  readonly #createdAt = performance.now();
  #connectedOnce = false;
  readonly #unsubscribers: (() => void)[] = [];

  constructor(cfg: SessionConfig, deps: SessionDeps) {
    super();
    this.cfg = cfg;
    this.#deps = deps;
    this.#logger = deps.logger.child({sessionID: cfg.sessionID, callID: cfg.callID});
    deps.metrics.incRTCSessions(deps.groupID);
    this.#pc = new RTCPeerConnection({
      ...mediaConfig({enableAV1: deps.enableAV1}),
      iceServers: deps.turnServers,
      bundlePolicy: 'max-bundle',
      iceUseIpv4: false,
      iceUseIpv6: false,
      iceUseTcp: false,
    });
    alignHeaderExtensionIds(this.#pc.config);
    routeKeyframeRequestsByMediaSsrc(this.#pc);
    this.#mux = new IceMuxBinding(
      this.#pc,
      deps.candidates,
      `${deps.ufragPrefix ?? ''}${randomString(12)}${newId().slice(0, 8)}`,
      this.#logger,
    );
    if (deps.forwarding === 'fast') this.#mux.ingress = this.#ingress;
    const ctx = this.#context();
    this.#incoming = new IncomingTracks(ctx, this.#mux.ingress);
    this.#outgoing = new OutgoingTracks(ctx);
    const fast = deps.forwarding === 'fast';
    this.#reports = new RtcpReports({
      // The stock writer is werift's own sender, which reports for itself.
      streams: () => (fast ? this.#outgoing.streams() : []),
      receivers: () => {
        // The fast path keeps the statistics in its blocks: werift's objects, which the reports read, are updated now.
        this.#ingress.saveStatistics();
        return this.#incoming.reportedReceivers();
      },
    });
    this.#reports.start();
    this.#dc = new SessionDataChannel(ctx, this.#lock, {
      open: () => this.#onDcOpen(),
      sdp: (desc) => this.handleSdp(desc, 'dc'),
    });
    this.#wire();
    this.#negotiator = new Negotiator(ctx, {
      lock: this.#lock,
      mux: this.#mux,
      dc: this.#dc,
      incoming: this.#incoming,
      outgoing: this.#outgoing,
    });
  }

  get sessionID(): string {
    return this.cfg.sessionID;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The data channel is open, so the call's tracks may be sent here. */
  get ready(): boolean {
    return this.#dc.open && !this.#closed;
  }

  get muted(): boolean {
    return this.#incoming.muted;
  }

  get metrics(): DCMetrics {
    return this.#dc.metrics;
  }

  get published(): PublishedTrack[] {
    return this.#incoming.published;
  }

  /** What this session currently receives, as the MediaMap would describe it. */
  get receiving(): {trackId: string; type: TrackType; senderSessionID: string; mid: string | null}[] {
    return this.#outgoing.receiving;
  }

  get peerConnection(): RTCPeerConnection {
    return this.#pc;
  }

  /** Incoming streams on the fast receive path (diagnostics and tests). */
  get fastIngressStreams(): number {
    return this.#ingress.size;
  }

  /** Incoming streams the native addon forwards now (diagnostics and tests). */
  get nativeRouteStreams(): number {
    return this.#ingress.routed;
  }

  // ---- inbound from the signaling side ----

  handleSdp(desc: SessionDescription, via: Via = 'ws'): void {
    if (this.#closed) return;
    const err = checkSessionDescription(desc, MAX_SDP_BYTES);
    if (err) {
      this.#reject(err, !this.#negotiator.negotiated);
      return;
    }
    if (desc.type === 'offer') this.#negotiator.handleOffer(desc, via);
    else if (desc.type === 'answer') this.#negotiator.handleAnswer(desc);
    else this.#reject(rtcError('invalid_sdp', `unsupported session description type "${desc.type}"`), false);
  }

  handleIce(candidate: IceCandidate): void {
    if (this.#closed) return;
    if (!candidate || typeof candidate !== 'object' || typeof candidate.candidate !== 'string') {
      this.#reject(rtcError('invalid_ice', 'ice candidate is not an RTCIceCandidateInit'), false);
      return;
    }
    if (candidate.candidate === '') return;
    const err = checkIceCandidate(candidate.candidate);
    if (err) {
      this.#reject(err, false);
      return;
    }
    this.#negotiator.addCandidate(candidate);
  }

  setMuted(muted: boolean): void {
    if (this.#closed) return;
    this.#incoming.setMuted(muted);
  }

  /** Set by the call once it allows this session's screen_on (one sharer per call); undefined = off. */
  setScreenStream(streamID: string | undefined): void {
    if (this.#closed) return;
    this.#incoming.setScreenStream(streamID);
  }

  setVideoStream(streamID: string | undefined): void {
    if (this.#closed) return;
    this.#incoming.setVideoStream(streamID);
  }

  /**
   * The tracks of other sessions this session should receive. The session adds and removes outgoing
   * transceivers to match and renegotiates (one server offer for a batch of changes).
   */
  setWanted(tracks: PublishedTrack[]): void {
    if (this.#closed) return;
    if (!this.#outgoing.setWanted(tracks)) return;
    this.#logger.debug({wanted: tracks.map((t) => t.key)}, 'wanted tracks changed');
    this.#negotiator.scheduleRenegotiation();
  }

  // ---- lifecycle ----

  /** Idempotent; every caller waits for the same teardown. */
  close(reason: string): Promise<void> {
    this.#closing ??= this.#teardown(reason);
    return this.#closing;
  }

  #closing: Promise<void> | undefined;

  async #teardown(reason: string): Promise<void> {
    this.#closed = true;
    // A session that never connected says how far it got: which of ICE and DTLS stalled, and the ICE pair's traffic.
    const pc = this.#pc;
    const stalled = this.#connectedOnce
      ? undefined
      : {
          ice: pc.iceConnectionState,
          dtls: pc.dtlsTransports.map((t) => t.state).join(',') || 'none',
          dtlsError: dtlsHandshakeError(pc),
          pair: icePairCounters(pc),
          upForMs: Math.round(performance.now() - this.#createdAt),
        };
    this.#logger.info({reason, ...(stalled && {neverConnected: stalled})}, 'rtc session closing');
    this.#outgoing.stopTimers();
    this.#reports.close();
    this.#lock.close();
    this.#negotiator.close();
    this.#incoming.close();
    this.#outgoing.close();
    for (const un of this.#unsubscribers) un();
    this.#unsubscribers.length = 0;
    this.#dc.close();
    this.#mux.close();
    this.#ingress.clear();
    stopDtlsRetransmissions(this.#pc);
    try {
      await this.#pc.close();
    } catch (err) {
      this.#logger.debug({err}, 'peer connection close failed');
    }
    this.#deps.metrics.incRTCConnState('closed');
    this.#deps.metrics.decRTCSessions(this.#deps.groupID);
    this.emit('close', reason);
    this.removeAllListeners();
  }

  // ---- internals ----

  /** What the parts see of the session. */
  #context(): SessionContext {
    const isClosed = () => this.#closed;
    return {
      cfg: this.cfg,
      deps: this.#deps,
      logger: this.#logger,
      pc: this.#pc,
      get closed() {
        return isClosed();
      },
      emit: (event, ...args) => {
        this.emit(event, ...args);
      },
      reject: (err, fatal) => this.#reject(err, fatal),
      close: (reason) => this.close(reason),
    };
  }

  #wire(): void {
    const pc = this.#pc;
    this.#sub(
      pc.onIceCandidate.subscribe((c) => {
        if (!c || this.#closed) return;
        const json = c.toJSON();
        this.emit('signal', {
          type: 'ice',
          data: {
            candidate: json.candidate ?? '',
            sdpMid: json.sdpMid ?? null,
            sdpMLineIndex: json.sdpMLineIndex ?? null,
            usernameFragment: json.usernameFragment ?? null,
          },
        });
      }).unSubscribe,
    );
    this.#sub(
      pc.connectionStateChange.subscribe((state) => {
        const m = this.#deps.metrics;
        if (COUNTED_CONN_STATES.has(state)) m.incRTCConnState(state);
        if (state === 'connected' && !this.#connectedOnce) {
          this.#connectedOnce = true;
          m.observeRTCConnectionTime(this.#deps.groupID, (performance.now() - this.#createdAt) / 1000);
        }
        if (state === 'failed') {
          m.incRTCErrors(this.#deps.groupID, 'ice');
          // The client's checks stopped (werift/clientConsent.ts): how many came, and whether its media still did.
          this.#logger.warn(
            {upForS: Math.round((performance.now() - this.#createdAt) / 1000), pair: icePairCounters(pc)},
            'rtc connection failed: no check from the client for 30 s',
          );
        }
        if (state === 'failed' || state === 'closed') void this.close(`rtc connection ${state}`);
      }).unSubscribe,
    );
    this.#sub(pc.onDataChannel.subscribe((dc: RTCDataChannel) => this.#dc.adopt(dc)).unSubscribe);
  }

  #sub(unsubscribe: () => void): void {
    this.#unsubscribers.push(unsubscribe);
  }

  #onDcOpen(): void {
    const answeredAt = this.#negotiator.answeredAt;
    if (answeredAt !== undefined) {
      this.#deps.metrics.observeRTCDCOpenTime(this.#deps.groupID, (performance.now() - answeredAt) / 1000);
    }
    this.#logger.debug('calls-dc open');
    this.emit('ready');
    // Tracks wanted before the channel was open (the call only asks ready sessions today).
    if (this.#outgoing.anyWanted) this.#negotiator.scheduleRenegotiation();
  }

  #reject(err: AppError, fatal: boolean): void {
    // What the SFU library said stays in the log: clients get the stable id and a message of ours.
    this.#logger.warn({errorId: err.id, reason: err.message, ...err.details}, 'rejected client input');
    this.#deps.metrics.incRTCErrors(this.#deps.groupID, err.id === 'app.rtc.invalid_ice' ? 'ice' : 'signaling');
    this.emit('rejected', err, fatal);
    if (fatal) void this.close(err.message);
  }
}
