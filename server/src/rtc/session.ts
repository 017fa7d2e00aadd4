// One participant's peer connection on the SFU: negotiation (client offers first, server offers on
// track changes, glare rule, signaling lock), the calls-dc data channel, the tracks it publishes and
// the tracks it receives from the rest of its call, voice activity, and a teardown that cannot leak.
import {
  MediaStream,
  RTCPeerConnection,
  type MediaStreamTrack,
  type RTCDataChannel,
  type RTCRtpTransceiver,
  type RtpPacket,
} from 'werift';
import type {Clock} from '../clock';
import type {AppError} from '../errors';
import {TypedEmitter} from '../events';
import {newId, randomString} from '../ids';
import type {Logger} from '../log';
import type {RtcMetrics, RtpCounters} from '../metrics';
import {alignHeaderExtensionIds, isAv1, mediaConfig} from './codecs';
import {routeKeyframeRequestsByMediaSsrc} from './weriftFixes';
import {DCMessageError, DCMessageType, MAX_SDP_BYTES, type DCMessage, type MediaMap, type TrackType} from '../protocol';
import {decodeDCMessage, encodeDCMessage} from '../protocol-node';
import {DownstreamTrack, SenderReports, UpstreamTrack, mediaPacket, type ForwardingMode, type MediaPacket} from './forwarder';
import {IceMuxBinding, type HostCandidate} from './iceMux';
import {Ingress, type ReceiveStatistics} from './ingress';
import type {RtcTimeouts} from './options';
import {outgoingTrackId, type PublishedTrack} from './published';
import {checkIceCandidate, checkSessionDescription, remoteMediaDirections, rtcError} from './sdpCheck';
import {SignalingLock} from './signalingLock';
import {PROFILE_AEAD_AES_128_GCM, sessionCipher, type SrtpContextKeys} from './srtpGcm';
import {LayerSelector, initialLayer, type Layer} from './simulcast';
import type {IceCandidate, RtcSignal, SessionConfig, SessionDescription} from './types';
import {VoiceActivityDetector} from './vad';
import type {ICEServerConfig} from '../config/types';

const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';
/** rtcd queues at most this many early candidates. */
const MAX_PENDING_CANDIDATES = 40;
/** Consecutive unanswered server offers after which the client is considered gone. */
const MAX_UNANSWERED_OFFERS = 3;
/** Pauses before each new attempt of a server renegotiation that did not complete (the last one repeats). */
const RENEGOTIATION_RETRY_MS = [250, 1000, 2500, 5000];
const LAYER_CHECK_INTERVAL_MS = 1000;
const EMPTY = Buffer.alloc(0);

/** werift's remote SRTP context as the fast receive path reads it (werift 0.25.2). */
interface RemoteSrtpContext extends SrtpContextKeys {
  getSrtpSsrcState(ssrc: number): {rolloverCounter: number; lastSequenceNumber: number};
}

export interface SessionDeps {
  candidates: HostCandidate[];
  turnServers: ICEServerConfig[];
  enableAV1: boolean;
  forwarding: ForwardingMode;
  timeouts: RtcTimeouts;
  clock: Clock;
  logger: Logger;
  metrics: RtcMetrics;
  /** rtc_* metrics label: "default" in the plugin, the rtcd client id in rtcd. */
  groupID: string;
  /** Server-wide RTP counters. */
  counters: RtpCounters;
  /** Starts the session's ICE ufrag (a media worker's tag, how the primary routes to it). */
  ufragPrefix?: string;
}

/** Connection states counted in rtc_conn_states_total (as rtcd: every change to one of these). */
const COUNTED_CONN_STATES = new Set(['connected', 'disconnected', 'failed']);

export interface SessionEvents {
  signal: [signal: RtcSignal];
  voice: [on: boolean];
  /** A clear error for this session's client input; `fatal`: the session closes (`close` follows). */
  rejected: [error: AppError, fatal: boolean];
  /** The data channel is open: the session may now receive the call's tracks. */
  ready: [];
  publish: [track: PublishedTrack];
  unpublish: [track: PublishedTrack];
  close: [reason: string];
}

export interface DCMetrics {
  lossRate?: number;
  rtt?: number;
  jitter?: number;
}

/** One incoming transceiver of this session. */
interface Incoming {
  transceiver: RTCRtpTransceiver;
  published?: PublishedTrack;
  unsubscribers: (() => void)[];
}

/** One outgoing transceiver that forwards another session's track to this one. */
interface Outgoing {
  track: PublishedTrack;
  transceiver: RTCRtpTransceiver;
  downstream: DownstreamTrack;
  trackId: string;
  selector?: LayerSelector;
}

type Via = 'ws' | 'dc';

export class Session extends TypedEmitter<SessionEvents> {
  readonly cfg: SessionConfig;
  readonly #deps: SessionDeps;
  readonly #logger: Logger;
  readonly #pc: RTCPeerConnection;
  readonly #mux: IceMuxBinding;
  readonly #lock = new SignalingLock();
  readonly #vad: VoiceActivityDetector;
  readonly #ingress = new Ingress();
  #dc: RTCDataChannel | undefined;
  #dcOpen = false;
  #closed = false;
  #negotiated = false;
  #firstOfferTimer: NodeJS.Timeout | undefined;
  #ops: Promise<void> = Promise.resolve();
  #awaitingAnswer: {resolve: (desc: SessionDescription | undefined) => void; timer: NodeJS.Timeout} | undefined;
  #pendingCandidates: IceCandidate[] = [];
  #muted = false;
  #screenStreamID: string | undefined;
  /** Streams that were a screen share: their leftover tracks must not turn into voice/video. */
  readonly #pastScreenStreams = new Set<string>();
  #videoStreamID: string | undefined;
  readonly #incoming = new Map<RTCRtpTransceiver, Incoming>();
  readonly #outgoing = new Map<string, Outgoing>();
  /** Transceivers this side created to send; reused for later tracks so the SDP does not grow forever. */
  readonly #ownTransceivers = new Set<RTCRtpTransceiver>();
  /**
   * The stream of each own transceiver that forwards nothing right now: a reused transceiver keeps its
   * SSRC, so the next sender's packets must continue that stream's sequence and SRTP index.
   */
  readonly #idleDownstreams = new Map<RTCRtpTransceiver, DownstreamTrack>();
  #wanted = new Map<string, PublishedTrack>();
  #renegotiating = false;
  #renegotiateAgain = false;
  /** Why the last server renegotiation did not complete (it is tried again), if it did not. */
  #renegotiationFailure: string | undefined;
  /** The client has not accepted an offer for the current outgoing tracks (an offer was lost or refused). */
  #offerPending = false;
  #unansweredOffers = 0;
  #layerTimer: NodeJS.Timeout | undefined;
  #metrics: DCMetrics = {};
  // Timestamps (performance.now() ms) behind the connection, dc-open and lock-held histograms.
  readonly #createdAt = performance.now();
  #answeredAt: number | undefined;
  #connectedOnce = false;
  #clientLockedAt: number | undefined;
  readonly #unsubscribers: (() => void)[] = [];
  readonly #senderReports = new SenderReports(() => [...this.#outgoing.values()].map((o) => o.downstream));

  constructor(cfg: SessionConfig, deps: SessionDeps) {
    super();
    this.cfg = cfg;
    this.#deps = deps;
    this.#logger = deps.logger.child({sessionID: cfg.sessionID, callID: cfg.callID});
    this.#vad = new VoiceActivityDetector(deps.clock);
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
    this.#mux = new IceMuxBinding(this.#pc, deps.candidates, `${deps.ufragPrefix ?? ''}${randomString(12)}${newId().slice(0, 8)}`, this.#logger);
    if (deps.forwarding === 'fast') this.#mux.ingress = this.#ingress;
    this.#wire();
    this.#firstOfferTimer = setTimeout(() => {
      this.#firstOfferTimer = undefined;
      void this.close('signaling timeout: no offer from the client');
    }, deps.timeouts.signalingMs);
  }

  get sessionID(): string {
    return this.cfg.sessionID;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The data channel is open, so the call's tracks may be sent here. */
  get ready(): boolean {
    return this.#dcOpen && !this.#closed;
  }

  get muted(): boolean {
    return this.#muted;
  }

  get metrics(): DCMetrics {
    return {...this.#metrics};
  }

  get published(): PublishedTrack[] {
    const out: PublishedTrack[] = [];
    for (const inc of this.#incoming.values()) if (inc.published) out.push(inc.published);
    return out;
  }

  /** What this session currently receives, as the MediaMap would describe it. */
  get receiving(): {trackId: string; type: TrackType; senderSessionID: string; mid: string | null}[] {
    return [...this.#outgoing.values()].map((o) => ({
      trackId: o.trackId, type: o.track.type, senderSessionID: o.track.senderSessionID, mid: o.transceiver.mid,
    }));
  }

  get peerConnection(): RTCPeerConnection {
    return this.#pc;
  }

  /** Incoming streams on the fast receive path (diagnostics and tests). */
  get fastIngressStreams(): number {
    return this.#ingress.size;
  }

  // ---- inbound from the signaling side ----

  handleSdp(desc: SessionDescription, via: Via = 'ws'): void {
    if (this.#closed) return;
    const err = checkSessionDescription(desc, MAX_SDP_BYTES);
    if (err) {
      this.#reject(err, !this.#negotiated);
      return;
    }
    if (desc.type === 'offer') this.#handleOffer(desc, via);
    else if (desc.type === 'answer') this.#handleAnswer(desc);
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
    if (!this.#pc.remoteDescription) {
      if (this.#pendingCandidates.length < MAX_PENDING_CANDIDATES) this.#pendingCandidates.push(candidate);
      return;
    }
    this.#addCandidate(candidate);
  }

  setMuted(muted: boolean): void {
    if (this.#closed) return;
    this.#muted = muted;
    for (const inc of this.#incoming.values()) {
      if (inc.published?.type === 'voice') for (const up of inc.published.layers.values()) up.setPaused(muted);
    }
    if (muted && this.#vad.reset() === false) this.emit('voice', false);
  }

  /** Set by the call once it allows this session's screen_on (one sharer per call); undefined = off. */
  setScreenStream(streamID: string | undefined): void {
    if (this.#closed) return;
    if (this.#screenStreamID && this.#screenStreamID !== streamID) this.#pastScreenStreams.add(this.#screenStreamID);
    this.#screenStreamID = streamID;
    this.#reconcileIncoming();
  }

  setVideoStream(streamID: string | undefined): void {
    if (this.#closed) return;
    this.#videoStreamID = streamID;
    this.#reconcileIncoming();
  }

  /**
   * The tracks of other sessions this session should receive. The session adds and removes outgoing
   * transceivers to match and renegotiates (one server offer for a batch of changes).
   */
  setWanted(tracks: PublishedTrack[]): void {
    if (this.#closed) return;
    const next = new Map(tracks.map((t) => [t.key, t]));
    let changed = next.size !== this.#wanted.size;
    if (!changed) for (const k of next.keys()) if (!this.#wanted.has(k)) changed = true;
    this.#wanted = next;
    if (changed) this.#scheduleRenegotiation();
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
    this.#logger.info({reason}, 'rtc session closing');
    clearTimeout(this.#firstOfferTimer);
    clearInterval(this.#layerTimer);
    this.#senderReports.close();
    this.#lock.close();
    this.#settleAnswer(undefined);
    if (this.#vad.reset() === false) this.emit('voice', false);
    for (const inc of this.#incoming.values()) this.#unpublish(inc);
    this.#incoming.clear();
    for (const out of this.#outgoing.values()) this.#closeOutgoing(out);
    this.#outgoing.clear();
    for (const downstream of this.#idleDownstreams.values()) downstream.close();
    this.#idleDownstreams.clear();
    this.#wanted.clear();
    for (const un of this.#unsubscribers) un();
    this.#unsubscribers.length = 0;
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

  // ---- internals: wiring ----

  #wire(): void {
    const pc = this.#pc;
    this.#sub(pc.onIceCandidate.subscribe((c) => {
      if (!c || this.#closed) return;
      const json = c.toJSON();
      this.emit('signal', {type: 'ice', data: {
        candidate: json.candidate ?? '', sdpMid: json.sdpMid ?? null, sdpMLineIndex: json.sdpMLineIndex ?? null,
        usernameFragment: json.usernameFragment ?? null,
      }});
    }).unSubscribe);
    this.#sub(pc.connectionStateChange.subscribe((state) => {
      const m = this.#deps.metrics;
      if (COUNTED_CONN_STATES.has(state)) m.incRTCConnState(state);
      if (state === 'connected' && !this.#connectedOnce) {
        this.#connectedOnce = true;
        m.observeRTCConnectionTime(this.#deps.groupID, (performance.now() - this.#createdAt) / 1000);
      }
      if (state === 'failed') m.incRTCErrors(this.#deps.groupID, 'ice');
      if (state === 'failed' || state === 'closed') void this.close(`rtc connection ${state}`);
    }).unSubscribe);
    this.#sub(pc.onDataChannel.subscribe((dc) => this.#onDataChannel(dc)).unSubscribe);
  }

  #sub(unsubscribe: () => void): void {
    this.#unsubscribers.push(unsubscribe);
  }

  #onDataChannel(dc: RTCDataChannel): void {
    if (this.#dc || this.#closed) return;
    this.#dc = dc;
    this.#sub(dc.onMessage.subscribe((data) => this.#onDcMessage(data)).unSubscribe);
    const onState = (state: string) => {
      if (state === 'open' && !this.#dcOpen && !this.#closed) {
        this.#dcOpen = true;
        if (this.#answeredAt !== undefined) {
          this.#deps.metrics.observeRTCDCOpenTime(this.#deps.groupID, (performance.now() - this.#answeredAt) / 1000);
        }
        this.#logger.debug('calls-dc open');
        this.emit('ready');
        // Tracks wanted before the channel was open (the call only asks ready sessions today).
        if (this.#wanted.size > 0) this.#scheduleRenegotiation();
      } else if (state === 'closed') {
        const wasOpen = this.#dcOpen;
        this.#dcOpen = false;
        // Clients close calls-dc only when they hang up; waiting for ICE consent to expire would keep a
        // departed participant in the call for 30 s.
        if (wasOpen && !this.#closed) void this.close('calls-dc closed by the client');
      }
    };
    this.#sub(dc.stateChanged.subscribe(onState).unSubscribe);
    onState(dc.readyState);
  }

  // ---- internals: negotiation ----

  #enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.#ops.then(async () => {
      if (this.#closed) return;
      try {
        await op();
      } catch (err) {
        this.#logger.warn({err}, 'signaling operation failed');
      }
    });
    this.#ops = run;
    return run;
  }

  #reject(err: AppError, fatal: boolean): void {
    // What the SFU library said stays in the log: clients get the stable id and a message of ours.
    this.#logger.warn({errorId: err.id, reason: err.message, ...err.details}, 'rejected client input');
    this.#deps.metrics.incRTCErrors(this.#deps.groupID, err.id === 'app.rtc.invalid_ice' ? 'ice' : 'signaling');
    this.emit('rejected', err, fatal);
    if (fatal) void this.close(err.message);
  }

  #handleOffer(offer: SessionDescription, via: Via): void {
    // Reference §3.3: the server is impolite; a client offer that collides with ours is dropped.
    if (this.#awaitingAnswer || this.#pc.signalingState !== 'stable') {
      this.#logger.info('client offer dropped: server renegotiation in progress');
      return;
    }
    void this.#enqueue(async () => {
      if (this.#awaitingAnswer || this.#pc.signalingState !== 'stable') {
        this.#logger.info('client offer dropped: server renegotiation in progress');
        return;
      }
      const first = !this.#negotiated;
      this.#prepareForOffer(offer.sdp);
      alignHeaderExtensionIds(this.#pc.config, offer.sdp);
      try {
        await this.#pc.setRemoteDescription(offer);
      } catch (err) {
        this.#reject(rtcError('invalid_sdp', 'offer rejected', {cause: errorMessage(err)}), first);
        await this.#rollback();
        return;
      }
      this.#mux.attach();
      // Answer a=setup:passive: the client runs the DTLS client side. werift's client waits 100 ms before
      // its first flight and keeps retransmitting it after close, neither of which the SFU should do.
      for (const t of this.#pc.dtlsTransports) if (t.role === 'auto') t.role = 'server';
      this.#flushCandidates();
      let answer: SessionDescription;
      try {
        const created = await this.#pc.createAnswer();
        await this.#pc.setLocalDescription(created);
        const local = this.#pc.localDescription;
        if (!local) throw new Error('no local description');
        answer = {type: 'answer', sdp: local.sdp};
      } catch (err) {
        // werift has applied the offer's transport parameters (ICE credentials, DTLS) by now, and a rollback
        // does not restore them: the session could not carry media again. End it, telling its client.
        this.#reject(rtcError('negotiation_failed', 'could not answer the offer', {cause: errorMessage(err)}), true);
        return;
      }
      if (first) {
        this.#answeredAt = performance.now();
        this.#negotiated = true;
        clearTimeout(this.#firstOfferTimer);
        this.#firstOfferTimer = undefined;
      }
      this.#sendSdp(answer, via);
      this.#reconcileIncoming();
    });
  }

  #handleAnswer(answer: SessionDescription): void {
    if (!this.#awaitingAnswer) {
      this.#reject(rtcError('unexpected_answer', 'answer received without a pending server offer'), false);
      return;
    }
    this.#settleAnswer(answer);
  }

  #settleAnswer(answer: SessionDescription | undefined): void {
    const waiting = this.#awaitingAnswer;
    if (!waiting) return;
    this.#awaitingAnswer = undefined;
    clearTimeout(waiting.timer);
    waiting.resolve(answer);
  }

  /** Back to `stable`: a remote offer is rolled back on the remote side, our own offer on the local side. */
  async #rollback(): Promise<void> {
    const state = this.#pc.signalingState;
    if (state === 'stable' || this.#closed) return;
    try {
      if (state === 'have-remote-offer' || state === 'have-remote-pranswer') await this.#pc.setRemoteDescription({type: 'rollback', sdp: ''});
      else await this.#pc.setLocalDescription({type: 'rollback'});
    } catch (err) {
      this.#logger.warn({err, state}, 'rollback failed');
    }
  }

  /**
   * Browsers reuse a transceiver the server created to send (addTrack picks it), turning its m-line
   * sendrecv; werift would answer it sendonly and never receive. Open the receive side first.
   */
  #prepareForOffer(sdp: string): void {
    const directions = remoteMediaDirections(sdp);
    for (const t of this.#pc.getTransceivers()) {
      if (t.mid == null || t.stopped) continue;
      const remote = directions.get(t.mid);
      if (remote !== 'sendrecv' && remote !== 'sendonly') continue;
      if (t.direction === 'sendonly') t.setDirection('sendrecv');
      else if (t.direction === 'inactive') t.setDirection('recvonly');
    }
  }

  #flushCandidates(): void {
    const pending = this.#pendingCandidates;
    this.#pendingCandidates = [];
    for (const c of pending) this.#addCandidate(c);
  }

  #addCandidate(c: IceCandidate): void {
    this.#pc.addIceCandidate({
      candidate: c.candidate, sdpMid: c.sdpMid ?? undefined, sdpMLineIndex: c.sdpMLineIndex ?? undefined,
      usernameFragment: c.usernameFragment ?? undefined,
    }).catch((err: unknown) => this.#reject(rtcError('invalid_ice', 'ice candidate rejected', {cause: errorMessage(err)}), false));
  }

  #sendSdp(desc: SessionDescription, via: Via): void {
    if (via === 'dc' && this.#dcOpen && this.#dc) {
      this.#dcSend({type: DCMessageType.SDP, sdp: desc});
    } else {
      this.emit('signal', {type: 'sdp', data: desc});
    }
  }

  #scheduleRenegotiation(): void {
    if (this.#closed) return;
    if (!this.#dcOpen) {
      // The MediaMap needs calls-dc: the channel's open runs it.
      this.#logger.debug('server renegotiation deferred until calls-dc is open');
      return;
    }
    if (this.#renegotiating) {
      this.#renegotiateAgain = true;
      return;
    }
    this.#renegotiating = true;
    void this.#renegotiateLoop().finally(() => {
      this.#renegotiating = false;
    });
  }

  async #renegotiateLoop(): Promise<void> {
    let failures = 0;
    do {
      this.#renegotiateAgain = false;
      this.#renegotiationFailure = undefined;
      if (this.#closed) return;
      // The lock is taken outside the operation queue so a client offer made under the client's lock
      // is answered meanwhile instead of waiting behind us.
      const m = this.#deps.metrics;
      const asked = performance.now();
      const acquired = await this.#lock.lock('server', this.#deps.timeouts.lockMs);
      if (this.#closed) return;
      const held = performance.now();
      m.observeRTCSignalingLockGrabTime(this.#deps.groupID, (held - asked) / 1000);
      if (!acquired) {
        this.#logger.warn('signaling lock not released by the client in time; taking it');
        m.incRTCErrors(this.#deps.groupID, 'signaling_lock_timeout');
        this.#lock.steal('server');
      }
      try {
        await this.#enqueue(() => this.#renegotiate());
      } finally {
        this.#lock.unlock('server');
        m.observeRTCSignalingLockLockedTime(this.#deps.groupID, (performance.now() - held) / 1000);
      }
      const failure = this.#renegotiationFailure;
      if (failure === undefined || this.#closed) {
        failures = 0;
        continue;
      }
      // A renegotiation that did not complete is never dropped: the client would miss tracks for good.
      const wait = RENEGOTIATION_RETRY_MS[Math.min(failures, RENEGOTIATION_RETRY_MS.length - 1)];
      failures++;
      this.#logger.warn({reason: failure, attempt: failures, retryInMs: wait}, 'server renegotiation did not complete; trying again');
      m.incRTCErrors(this.#deps.groupID, 'signaling');
      this.#renegotiateAgain = true;
      await new Promise((resolve) => setTimeout(resolve, wait));
    } while (this.#renegotiateAgain && !this.#closed);
  }

  async #renegotiate(): Promise<void> {
    // Client offers run in the same queue and end in `stable`, so any other state here is one a failed
    // rollback left behind. Retrying would spin without ever yielding (the worker stops answering):
    // roll back once more, and if that fails too the session cannot negotiate again — end it.
    if (this.#pc.signalingState !== 'stable') {
      await this.#rollback();
      const state: string = this.#pc.signalingState;
      if (state !== 'stable') {
        void this.close(`negotiation failed: signaling state stuck in ${state}`);
        return;
      }
    }
    // An offer the client never accepted is made again even when the tracks did not change since.
    const changed = this.#applyWanted();
    if (!changed && !this.#offerPending) return;
    this.#offerPending = true;
    let local: SessionDescription;
    try {
      const offer = await this.#pc.createOffer();
      await this.#pc.setLocalDescription(offer);
      if (!this.#pc.localDescription) throw new Error('no local description after createOffer');
      local = {type: 'offer', sdp: this.#pc.localDescription.sdp};
    } catch (err) {
      await this.#rollback();
      this.#renegotiationFailure = `could not create the offer: ${errorMessage(err)}`;
      return;
    }
    // Reference §3.5: the MediaMap goes out just before every server offer.
    this.#dcSend({type: DCMessageType.MediaMap, map: this.#mediaMap()});
    // close() settles this too, so the queue never waits on the timer of a dead session.
    const answered = new Promise<SessionDescription | undefined>((resolve) => {
      const timer = setTimeout(() => this.#settleAnswer(undefined), this.#deps.timeouts.signalingMs);
      this.#awaitingAnswer = {resolve, timer};
    });
    this.#sendSdp(local, this.cfg.dcSignaling ? 'dc' : 'ws');
    const answer = await answered;
    if (this.#closed) return;
    if (!answer) {
      this.#unansweredOffers++;
      await this.#rollback();
      // A client whose media still flows is only unreachable for signaling (a bus or database outage between
      // nodes): keep offering, it is in the call. One that is neither answering nor connected is gone.
      if (this.#unansweredOffers >= MAX_UNANSWERED_OFFERS && this.#pc.connectionState !== 'connected') {
        this.#logger.warn({unanswered: this.#unansweredOffers}, 'no answer to the server offer');
        void this.close('signaling timeout: server offers not answered');
        return;
      }
      this.#renegotiationFailure = `no answer to the server offer within ${this.#deps.timeouts.signalingMs} ms (${this.#unansweredOffers} unanswered)`;
      return;
    }
    this.#unansweredOffers = 0;
    try {
      await this.#pc.setRemoteDescription(answer);
    } catch (err) {
      this.#reject(rtcError('invalid_sdp', 'answer rejected', {cause: errorMessage(err)}), false);
      await this.#rollback();
      this.#renegotiationFailure = `the client's answer was rejected: ${errorMessage(err)}`;
      return;
    }
    this.#offerPending = false;
    this.#reconcileIncoming();
  }

  /** Adds and removes outgoing transceivers to match #wanted; true if anything changed. */
  #applyWanted(): boolean {
    let changed = false;
    for (const [key, out] of this.#outgoing) {
      if (this.#wanted.get(key) === out.track) continue;
      this.#closeOutgoing(out);
      const t = out.transceiver;
      if (!t.stopped) t.setDirection(t.direction === 'sendrecv' ? 'recvonly' : 'inactive');
      this.#outgoing.delete(key);
      changed = true;
    }
    for (const [key, track] of this.#wanted) {
      if (this.#outgoing.has(key)) continue;
      const source = this.#pickLayer(track);
      if (!source) continue;
      this.#addOutgoing(key, track, source.layer);
      changed = true;
    }
    this.#updateLayerTimer();
    this.#senderReports.update(this.#deps.forwarding === 'fast' && this.#outgoing.size > 0);
    return changed;
  }

  #pickLayer(track: PublishedTrack): {layer: Layer} | undefined {
    if (!track.simulcast) return track.layers.has('l') ? {layer: 'l'} : undefined;
    const layer = initialLayer(undefined);
    return track.layers.has(layer) ? {layer} : track.layers.has('h') ? {layer: 'h'} : undefined;
  }

  #addOutgoing(key: string, track: PublishedTrack, layer: Layer): void {
    const inUse = new Set([...this.#outgoing.values()].map((o) => o.transceiver));
    let transceiver = [...this.#ownTransceivers].find((t) =>
      !t.stopped && !inUse.has(t) && t.kind === track.kind && t.mid != null &&
      (track.kind === 'audio' || t.codecs[0]?.mimeType.toLowerCase() === track.mimeType.toLowerCase()));
    const stream = new MediaStream({id: track.senderSessionID});
    if (transceiver) {
      transceiver.setDirection(transceiver.direction === 'recvonly' ? 'sendrecv' : 'sendonly');
    } else {
      transceiver = this.#pc.addTransceiver(track.kind, {direction: 'sendonly'});
      this.#ownTransceivers.add(transceiver);
      if (track.kind === 'video') {
        const codec = this.#pc.config.codecs.video?.find((c) => c.mimeType.toLowerCase() === track.mimeType.toLowerCase());
        if (codec) transceiver.setCodecPreferences([codec]);
      }
    }
    const trackId = outgoingTrackId(track.type, track.senderSessionID);
    (transceiver.sender as {trackId: string}).trackId = trackId;
    transceiver.sender.setStreams([stream]);
    const downstream = this.#idleDownstreams.get(transceiver) ?? new DownstreamTrack(transceiver.sender, this.#deps.forwarding, this.#logger);
    this.#idleDownstreams.delete(transceiver);
    const source = track.layers.get(layer);
    if (source) downstream.attach(source);
    const selector = track.simulcast ? new LayerSelector(layer, this.#deps.clock, this.#deps.timeouts.layerSwitchBackoffMs) : undefined;
    this.#outgoing.set(key, {track, transceiver, downstream, trackId, selector});
    this.#deps.metrics.incRTPTracks(this.#deps.groupID, 'out', track.mimeType);
  }

  #closeOutgoing(out: Outgoing): void {
    if (this.#closed || !this.#ownTransceivers.has(out.transceiver)) out.downstream.close();
    else {
      out.downstream.detach();
      this.#idleDownstreams.set(out.transceiver, out.downstream);
    }
    this.#deps.metrics.decRTPTracks(this.#deps.groupID, 'out', out.track.mimeType);
  }

  #mediaMap(): MediaMap {
    const map: MediaMap = {};
    for (const out of this.#outgoing.values()) {
      if (out.transceiver.mid != null) map[out.transceiver.mid] = {type: out.track.type, sender_id: out.track.senderSessionID};
    }
    return map;
  }

  #updateLayerTimer(): void {
    const needed = [...this.#outgoing.values()].some((o) => o.selector);
    if (needed && !this.#layerTimer) {
      this.#layerTimer = setInterval(() => this.#checkLayers(), LAYER_CHECK_INTERVAL_MS);
      this.#layerTimer.unref();
    } else if (!needed && this.#layerTimer) {
      clearInterval(this.#layerTimer);
      this.#layerTimer = undefined;
    }
  }

  /** Moves each simulcast receiver to the layer its downlink estimate allows (no renegotiation needed). */
  #checkLayers(): void {
    for (const out of this.#outgoing.values()) {
      if (!out.selector) continue;
      const sender = out.transceiver.sender;
      const remb = Number(sender.receiverEstimatedMaxBitrate);
      const twcc = sender.senderBWE.availableBitrate;
      const estimate = remb > 0 ? remb : twcc > 0 ? twcc : undefined;
      const high = out.track.layers.get('h');
      const highRate = high ? high.bitrate : -1;
      const next = out.selector.update(estimate, highRate);
      const source = next ? out.track.layers.get(next) : undefined;
      if (next && source) {
        this.#logger.debug({layer: next, estimate}, 'simulcast layer switch');
        out.downstream.attach(source);
      }
    }
  }

  // ---- internals: incoming tracks ----

  /**
   * After every negotiation: publish transceivers that now receive a classifiable stream, and unpublish
   * those that stopped receiving or changed type (screen_off, video_off, track removed).
   */
  #reconcileIncoming(): void {
    if (this.#closed) return;
    for (const t of this.#pc.getTransceivers()) {
      const receiving = !t.stopped && (t.currentDirection === 'recvonly' || t.currentDirection === 'sendrecv');
      let inc = this.#incoming.get(t);
      const type = receiving ? this.#classify(t) : undefined;
      if (inc?.published && inc.published.type !== type) this.#unpublish(inc);
      if (!type) continue;
      if (!inc) {
        inc = {transceiver: t, unsubscribers: []};
        this.#incoming.set(t, inc);
      }
      if (!inc.published) this.#publish(inc, type);
    }
  }

  #classify(t: RTCRtpTransceiver): TrackType | undefined {
    const streamId = t.receiver.remoteStreamId;
    if (streamId && this.#pastScreenStreams.has(streamId) && streamId !== this.#screenStreamID) return undefined;
    if (t.kind === 'audio') return streamId && streamId === this.#screenStreamID ? 'screen-audio' : 'voice';
    if (streamId && streamId === this.#screenStreamID) return 'screen';
    if (streamId && streamId === this.#videoStreamID) return 'video';
    return undefined;
  }

  #publish(inc: Incoming, type: TrackType): void {
    const t = inc.transceiver;
    const mimeType = t.codecs[0]?.mimeType ?? (t.kind === 'audio' ? 'audio/opus' : 'video/VP8');
    if (t.kind === 'video' && isAv1(mimeType) && !this.#deps.enableAV1) return;
    const receiver = t.receiver;
    const rids = receiver.tracks.map((tr) => tr.rid).filter((r): r is string => !!r);
    const simulcast = rids.length > 0;
    const layers = new Map<Layer, UpstreamTrack>();
    // rtcd labels writes by track type, with camera video under "screen".
    const writeTimeType = type === 'video' ? 'screen' : type;
    const ssrcOf = new Map<UpstreamTrack, number>();
    const makeLayer = (rid: string | undefined): UpstreamTrack => {
      const layer: Layer = rid === 'h' ? 'h' : 'l';
      const existing = layers.get(layer);
      if (existing) return existing;
      const up: UpstreamTrack = new UpstreamTrack({
        kind: t.kind as 'audio' | 'video',
        rid,
        clock: this.#deps.clock,
        counters: this.#deps.counters,
        onWriteTime: (seconds) => this.#deps.metrics.observeRTPTracksWrite(this.#deps.groupID, writeTimeType, seconds),
        sendKeyframeRequest: () => {
          const ssrc = ssrcOf.get(up);
          if (ssrc !== undefined) receiver.sendRtcpPLI(ssrc).catch(() => {});
        },
      });
      if (type === 'voice') up.setPaused(this.#muted);
      layers.set(layer, up);
      return up;
    };
    const taken = new Set<number>();
    const attachTrack = (track: MediaStreamTrack) => {
      if (simulcast && track.rid !== 'l' && track.rid !== 'h') return;
      const up = makeLayer(track.rid);
      const {unSubscribe} = track.onReceiveRtp.subscribe((rtp: RtpPacket, ext) => {
        const ssrc = rtp.header.ssrc;
        ssrcOf.set(up, ssrc);
        const level = (ext?.[AUDIO_LEVEL_URI] as {level?: number} | undefined)?.level;
        if (typeof level === 'number') this.#audioLevel(type, up, level);
        up.forward(mediaPacket(rtp));
        // From the second packet on, a plain audio stream skips werift's receive path.
        if (this.#mux.ingress && t.kind === 'audio' && !simulcast && !taken.has(ssrc)) {
          taken.add(ssrc);
          this.#takeOver(inc, ssrc, rtp.header.payloadType, up, type);
        }
      });
      inc.unsubscribers.push(unSubscribe);
    };
    if (simulcast) for (const tr of receiver.tracks) attachTrack(tr);
    else {
      makeLayer(undefined);
      for (const tr of receiver.tracks.length > 0 ? receiver.tracks : [receiver.track]) attachTrack(tr);
    }
    inc.unsubscribers.push(t.onTrack.subscribe((track) => {
      if (inc.published) attachTrack(track);
    }).unSubscribe);
    inc.published = {
      key: `${this.cfg.sessionID}/${t.mid ?? t.id}/${randomString(6)}`,
      type, kind: t.kind as 'audio' | 'video', mimeType, senderSessionID: this.cfg.sessionID, layers, simulcast,
    };
    this.#deps.metrics.incRTPTracks(this.#deps.groupID, 'in', mimeType);
    this.#logger.info({type, mimeType, simulcast, mid: t.mid}, 'track published');
    this.emit('publish', inc.published);
  }

  /** Voice activity from a voice track's audio level (RFC 6464: 0 loudest … 127 silence). */
  #audioLevel(type: TrackType, up: UpstreamTrack, level: number): void {
    if (type !== 'voice' || up.paused) return;
    const change = this.#vad.push(level);
    if (change !== undefined) this.emit('voice', change);
  }

  /** Moves one incoming audio stream to the fast receive path (ingress.ts), when its SRTP is AES-GCM. */
  #takeOver(inc: Incoming, ssrc: number, payloadType: number, up: UpstreamTrack, type: TrackType): void {
    const receiver = inc.transceiver.receiver;
    const context = receiver.dtlsTransport.srtp?.remoteContext as unknown as RemoteSrtpContext | undefined;
    if (!context || context.profile !== PROFILE_AEAD_AES_128_GCM || typeof context.getSrtpSsrcState !== 'function') return;
    const cipher = sessionCipher(context);
    this.#ingress.bind(context, cipher);
    const state = context.getSrtpSsrcState(ssrc);
    const levelId = inc.transceiver.headerExtensions.find((e) => e.uri === AUDIO_LEVEL_URI)?.id;
    const statistics = (receiver as unknown as {remoteStreams: Record<number, ReceiveStatistics | undefined>}).remoteStreams[ssrc];
    // One packet object per stream, rewritten for each packet: forwarding is synchronous and keeps none.
    const pkt: MediaPacket = {payload: EMPTY, sequenceNumber: 0, timestamp: 0, marker: false, payloadType};
    this.#ingress.add({
      ssrc, rolloverCounter: state.rolloverCounter, lastSequenceNumber: state.lastSequenceNumber, audioLevelId: levelId, statistics,
      deliver: (seq, ts, marker, payload, level) => {
        if (level !== undefined) this.#audioLevel(type, up, level);
        pkt.sequenceNumber = seq;
        pkt.timestamp = ts;
        pkt.marker = marker;
        pkt.payload = payload;
        up.forward(pkt);
      },
    });
    inc.unsubscribers.push(() => this.#ingress.remove(ssrc));
  }

  #unpublish(inc: Incoming): void {
    const pub = inc.published;
    if (!pub) return;
    inc.published = undefined;
    for (const un of inc.unsubscribers) un();
    inc.unsubscribers = [];
    for (const up of pub.layers.values()) up.close();
    this.#deps.metrics.decRTPTracks(this.#deps.groupID, 'in', pub.mimeType);
    if (pub.type === 'voice' && this.#vad.reset() === false) this.emit('voice', false);
    this.#logger.info({type: pub.type}, 'track unpublished');
    this.emit('unpublish', pub);
  }

  // ---- internals: data channel ----

  #dcSend(msg: DCMessage): void {
    if (!this.#dc || !this.#dcOpen) return;
    try {
      this.#dc.send(Buffer.from(encodeDCMessage(msg)));
    } catch (err) {
      this.#logger.debug({err}, 'dc send failed');
    }
  }

  #onDcMessage(data: string | Buffer): void {
    if (this.#closed) return;
    if (typeof data === 'string') {
      if (data === 'ping') {
        try {
          this.#dc?.send('pong');
        } catch {
          // the channel closed meanwhile
        }
        return;
      }
      this.#reject(rtcError('invalid_dc_message', 'unexpected text message on calls-dc'), false);
      return;
    }
    let msg: DCMessage;
    try {
      msg = decodeDCMessage(data);
    } catch (err) {
      const reason = err instanceof DCMessageError ? err.message : 'malformed message';
      this.#reject(rtcError('invalid_dc_message', reason), false);
      return;
    }
    switch (msg.type) {
      case DCMessageType.Ping:
        this.#dcSend({type: DCMessageType.Pong});
        break;
      case DCMessageType.Lock: {
        const acquired = this.#lock.tryLock('client');
        if (acquired) this.#clientLockedAt = performance.now();
        this.#dcSend({type: DCMessageType.Lock, acquired});
        break;
      }
      case DCMessageType.Unlock:
        if (!this.#lock.unlock('client')) this.#logger.debug('client unlock without holding the lock');
        else if (this.#clientLockedAt !== undefined) {
          this.#deps.metrics.observeRTCSignalingLockLockedTime(this.#deps.groupID, (performance.now() - this.#clientLockedAt) / 1000);
          this.#clientLockedAt = undefined;
        }
        break;
      case DCMessageType.SDP:
        this.handleSdp(msg.sdp, 'dc');
        break;
      case DCMessageType.LossRate:
        this.#metrics.lossRate = msg.value;
        this.#deps.metrics.observeRTCClientLossRate(this.#deps.groupID, msg.value);
        break;
      case DCMessageType.RoundTripTime:
        this.#metrics.rtt = msg.value;
        this.#deps.metrics.observeRTCClientRTT(this.#deps.groupID, msg.value);
        break;
      case DCMessageType.Jitter:
        this.#metrics.jitter = msg.value;
        this.#deps.metrics.observeRTCClientJitter(this.#deps.groupID, msg.value);
        break;
      default:
        this.#reject(rtcError('invalid_dc_message', `dc message type ${msg.type} is not accepted from clients`), false);
    }
  }
}

/**
 * werift's DTLS handshake retransmits a flight up to 10 times (about 33 s) and does not stop when the
 * transport closes; marking the handshake as past every flight ends those loops at their next wake-up.
 */
export function stopDtlsRetransmissions(pc: RTCPeerConnection): void {
  for (const t of pc.dtlsTransports) {
    const context = t.dtls?.dtls;
    if (context) context.flight = Number.MAX_SAFE_INTEGER;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
