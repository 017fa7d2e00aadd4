// Offer/answer for one session (reference §3.3–3.5): the client offers first; the server offers when
// the tracks it sends change, under the signaling lock, with the MediaMap sent just before; a client
// offer that collides with ours is dropped (the server is impolite); an offer that is not answered is
// rolled back and made again; operations run one at a time.
import {LoopSlice} from '../../loop-slice';
import {DCMessageType} from '../../protocol';
import {alignHeaderExtensionIds} from '../media/codecs';
import {remoteMediaDirections, rtcError} from '../media/sdpCheck';
import type {SignalingLock} from '../media/signalingLock';
import type {IceMuxBinding} from '../net/iceMux';
import {answerHelloWithoutCookie, holdEarlyDtlsRecords} from '../werift/internals';
import type {IceCandidate, SessionDescription} from '../types';
import {errorMessage, type SessionContext, type Via} from './context';
import type {SessionDataChannel} from './dataChannel';
import type {IncomingTracks} from './incoming';
import type {OutgoingTracks} from './outgoing';

/**
 * Offers are made one at a time per process, the event loop turning every slice: when a speaker leaves a call of
 * a thousand, every listener's session re-offers at once, and werift's createOffer (a few ms each) ran for
 * seconds in one go.
 */
const offerMaking = new LoopSlice();

/** rtcd queues at most this many early candidates. */
const MAX_PENDING_CANDIDATES = 40;
/** Consecutive unanswered server offers after which the client is considered gone. */
const MAX_UNANSWERED_OFFERS = 3;
/** Pauses before each new attempt of a server renegotiation that did not complete (the last one repeats). */
const RENEGOTIATION_RETRY_MS = [250, 1000, 2500, 5000];

/** The other parts of the session a negotiation reads and updates. */
export interface NegotiatorParts {
  lock: SignalingLock;
  mux: IceMuxBinding;
  dc: SessionDataChannel;
  incoming: IncomingTracks;
  outgoing: OutgoingTracks;
}

export class Negotiator {
  readonly #ctx: SessionContext;
  readonly #parts: NegotiatorParts;
  #negotiated = false;
  #firstOfferTimer: NodeJS.Timeout | undefined;
  #ops: Promise<void> = Promise.resolve();
  #awaitingAnswer: {resolve: (desc: SessionDescription | undefined) => void; timer: NodeJS.Timeout} | undefined;
  #pendingCandidates: IceCandidate[] = [];
  #renegotiating = false;
  #renegotiateAgain = false;
  /** Why the last server renegotiation did not complete (it is tried again), if it did not. */
  #renegotiationFailure: string | undefined;
  /** The client has not accepted an offer for the current outgoing tracks (an offer was lost or refused). */
  #offerPending = false;
  #unansweredOffers = 0;
  /** When the first answer went out (performance.now() ms), for the dc-open histogram. */
  #answeredAt: number | undefined;

  constructor(ctx: SessionContext, parts: NegotiatorParts) {
    this.#ctx = ctx;
    this.#parts = parts;
    this.#firstOfferTimer = setTimeout(() => {
      this.#firstOfferTimer = undefined;
      void ctx.close('signaling timeout: no offer from the client');
    }, ctx.deps.timeouts.signalingMs);
  }

  /** The first client offer has been answered. */
  get negotiated(): boolean {
    return this.#negotiated;
  }

  get answeredAt(): number | undefined {
    return this.#answeredAt;
  }

  /** Session teardown: no first-offer timeout, and a server offer waiting for its answer gives up. */
  close(): void {
    clearTimeout(this.#firstOfferTimer);
    this.#settleAnswer(undefined);
  }

  handleOffer(offer: SessionDescription, via: Via): void {
    const ctx = this.#ctx;
    const pc = ctx.pc;
    // Reference §3.3: the server is impolite; a client offer that collides with ours is dropped.
    if (this.#awaitingAnswer || pc.signalingState !== 'stable') {
      ctx.logger.info('client offer dropped: server renegotiation in progress');
      return;
    }
    void this.#enqueue(async () => {
      if (this.#awaitingAnswer || pc.signalingState !== 'stable') {
        ctx.logger.info('client offer dropped: server renegotiation in progress');
        return;
      }
      const first = !this.#negotiated;
      this.#prepareForOffer(offer.sdp);
      alignHeaderExtensionIds(pc.config, offer.sdp);
      try {
        await pc.setRemoteDescription(offer);
      } catch (err) {
        ctx.reject(rtcError('invalid_sdp', 'offer rejected', {cause: errorMessage(err)}), first);
        await this.#rollback();
        return;
      }
      this.#parts.mux.attach();
      // Answer a=setup:passive: the client runs the DTLS client side. werift's client waits 100 ms before
      // its first flight and keeps retransmitting it after close, neither of which the SFU should do.
      for (const t of pc.dtlsTransports) if (t.role === 'auto') t.role = 'server';
      // ...and may send its first flight before our agent reports connected: keep it for the handshake.
      holdEarlyDtlsRecords(pc);
      // ...and gets our first flight without a cookie round trip (ICE verified its address already). The
      // transport, and so its DTLS socket, comes with the first offer: hooked once.
      if (first) answerHelloWithoutCookie(pc);
      this.#flushCandidates();
      let answer: SessionDescription;
      try {
        const created = await pc.createAnswer();
        await pc.setLocalDescription(created);
        const local = pc.localDescription;
        if (!local) throw new Error('no local description');
        answer = {type: 'answer', sdp: local.sdp};
      } catch (err) {
        // werift has applied the offer's transport parameters (ICE credentials, DTLS) by now, and a rollback
        // does not restore them: the session could not carry media again. End it, telling its client.
        ctx.reject(rtcError('negotiation_failed', 'could not answer the offer', {cause: errorMessage(err)}), true);
        return;
      }
      if (first) {
        this.#answeredAt = performance.now();
        this.#negotiated = true;
        clearTimeout(this.#firstOfferTimer);
        this.#firstOfferTimer = undefined;
      }
      this.#sendSdp(answer, via);
      ctx.logger.debug({first}, 'client offer answered');
      this.#parts.incoming.reconcile();
    });
  }

  handleAnswer(answer: SessionDescription): void {
    if (!this.#awaitingAnswer) {
      this.#ctx.reject(rtcError('unexpected_answer', 'answer received without a pending server offer'), false);
      return;
    }
    this.#settleAnswer(answer);
  }

  /** A checked candidate: added now, or queued until the client's offer is applied. */
  addCandidate(candidate: IceCandidate): void {
    if (!this.#ctx.pc.remoteDescription) {
      if (this.#pendingCandidates.length < MAX_PENDING_CANDIDATES) this.#pendingCandidates.push(candidate);
      return;
    }
    this.#addCandidate(candidate);
  }

  /** A server offer for the current wanted tracks is due (one offer for a batch of changes). */
  scheduleRenegotiation(): void {
    const ctx = this.#ctx;
    if (ctx.closed) return;
    if (!this.#parts.dc.open) {
      // The MediaMap needs calls-dc: the channel's open runs it.
      ctx.logger.debug('server renegotiation deferred until calls-dc is open');
      return;
    }
    if (this.#renegotiating) {
      ctx.logger.debug('server renegotiation already running: another round is due');
      this.#renegotiateAgain = true;
      return;
    }
    this.#renegotiating = true;
    void this.#renegotiateLoop();
  }

  #enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.#ops.then(async () => {
      if (this.#ctx.closed) return;
      try {
        await op();
      } catch (err) {
        this.#ctx.logger.warn({err}, 'signaling operation failed');
      }
    });
    this.#ops = run;
    return run;
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
    const pc = this.#ctx.pc;
    const state = pc.signalingState;
    if (state === 'stable' || this.#ctx.closed) return;
    try {
      if (state === 'have-remote-offer' || state === 'have-remote-pranswer')
        await pc.setRemoteDescription({type: 'rollback', sdp: ''});
      else await pc.setLocalDescription({type: 'rollback'});
    } catch (err) {
      this.#ctx.logger.warn({err, state}, 'rollback failed');
    }
  }

  /**
   * Browsers reuse a transceiver the server created to send (addTrack picks it), turning its m-line
   * sendrecv; werift would answer it sendonly and never receive. Open the receive side first.
   */
  #prepareForOffer(sdp: string): void {
    const directions = remoteMediaDirections(sdp);
    for (const t of this.#ctx.pc.getTransceivers()) {
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
    this.#ctx.pc
      .addIceCandidate({
        candidate: c.candidate,
        sdpMid: c.sdpMid ?? undefined,
        sdpMLineIndex: c.sdpMLineIndex ?? undefined,
        usernameFragment: c.usernameFragment ?? undefined,
      })
      .catch((err: unknown) =>
        this.#ctx.reject(rtcError('invalid_ice', 'ice candidate rejected', {cause: errorMessage(err)}), false),
      );
  }

  #sendSdp(desc: SessionDescription, via: Via): void {
    if (via === 'dc' && this.#parts.dc.open) {
      this.#parts.dc.send({type: DCMessageType.SDP, sdp: desc});
    } else {
      this.#ctx.emit('signal', {type: 'sdp', data: desc});
    }
  }

  async #renegotiateLoop(): Promise<void> {
    const ctx = this.#ctx;
    const {deps, logger} = ctx;
    const lock = this.#parts.lock;
    let failures = 0;
    // The flag is cleared in the same synchronous step that finds no further round is due (not in a later
    // .finally() callback): a change scheduled from any microtask after that check starts a new loop instead of
    // setting #renegotiateAgain on a loop that has already ended, which lost the subscriber's offer for good.
    try {
      do {
        this.#renegotiateAgain = false;
        this.#renegotiationFailure = undefined;
        if (ctx.closed) return;
        // The lock is taken outside the operation queue so a client offer made under the client's lock
        // is answered meanwhile instead of waiting behind us.
        const m = deps.metrics;
        const asked = performance.now();
        const acquired = await lock.lock('server', deps.timeouts.lockMs);
        if (ctx.closed) return;
        const held = performance.now();
        m.observeRTCSignalingLockGrabTime(deps.groupID, (held - asked) / 1000);
        if (!acquired) {
          logger.warn('signaling lock not released by the client in time; taking it');
          m.incRTCErrors(deps.groupID, 'signaling_lock_timeout');
          lock.steal('server');
        }
        try {
          await this.#enqueue(() => this.#renegotiate());
        } finally {
          lock.unlock('server');
          m.observeRTCSignalingLockLockedTime(deps.groupID, (performance.now() - held) / 1000);
        }
        const failure = this.#renegotiationFailure;
        if (failure === undefined || ctx.closed) {
          failures = 0;
          continue;
        }
        // A renegotiation that did not complete is never dropped: the client would miss tracks for good.
        const wait = RENEGOTIATION_RETRY_MS[Math.min(failures, RENEGOTIATION_RETRY_MS.length - 1)];
        failures++;
        logger.warn(
          {reason: failure, attempt: failures, retryInMs: wait},
          'server renegotiation did not complete; trying again',
        );
        m.incRTCErrors(deps.groupID, 'signaling');
        this.#renegotiateAgain = true;
        await new Promise((resolve) => setTimeout(resolve, wait));
      } while (this.#renegotiateAgain && !ctx.closed);
      // test/rtc/subscribe-race.test.ts publishes a track from this very line.
      logger.debug('server renegotiation rounds done');
    } finally {
      this.#renegotiating = false;
    }
  }

  async #renegotiate(): Promise<void> {
    const ctx = this.#ctx;
    const pc = ctx.pc;
    const timeoutMs = ctx.deps.timeouts.signalingMs;
    // Client offers run in the same queue and end in `stable`, so any other state here is one a failed
    // rollback left behind. Retrying would spin without ever yielding (the worker stops answering):
    // roll back once more, and if that fails too the session cannot negotiate again — end it.
    if (pc.signalingState !== 'stable') {
      await this.#rollback();
      const state: string = pc.signalingState;
      if (state !== 'stable') {
        void ctx.close(`negotiation failed: signaling state stuck in ${state}`);
        return;
      }
    }
    // An offer the client never accepted is made again even when the tracks did not change since.
    const changed = this.#parts.outgoing.apply();
    ctx.logger.debug({changed, offerPending: this.#offerPending}, 'server renegotiation: outgoing tracks applied');
    if (!changed && !this.#offerPending) return;
    this.#offerPending = true;
    let local: SessionDescription;
    try {
      local = await offerMaking.run(async () => {
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        if (!pc.localDescription) throw new Error('no local description after createOffer');
        return {type: 'offer', sdp: pc.localDescription.sdp};
      });
    } catch (err) {
      await this.#rollback();
      this.#renegotiationFailure = `could not create the offer: ${errorMessage(err)}`;
      return;
    }
    // Reference §3.5: the MediaMap goes out just before every server offer.
    this.#parts.dc.send({type: DCMessageType.MediaMap, map: this.#parts.outgoing.mediaMap()});
    // close() settles this too, so the queue never waits on the timer of a dead session.
    const answered = new Promise<SessionDescription | undefined>((resolve) => {
      const timer = setTimeout(() => this.#settleAnswer(undefined), timeoutMs);
      this.#awaitingAnswer = {resolve, timer};
    });
    this.#sendSdp(local, ctx.cfg.dcSignaling ? 'dc' : 'ws');
    ctx.logger.debug({mediaMap: this.#parts.outgoing.mediaMap()}, 'server offer sent');
    const answer = await answered;
    if (ctx.closed) return;
    if (!answer) {
      this.#unansweredOffers++;
      await this.#rollback();
      // A client whose media still flows is only unreachable for signaling (a bus or database outage between
      // nodes): keep offering, it is in the call. One that is neither answering nor connected is gone.
      if (this.#unansweredOffers >= MAX_UNANSWERED_OFFERS && pc.connectionState !== 'connected') {
        ctx.logger.warn({unanswered: this.#unansweredOffers}, 'no answer to the server offer');
        void ctx.close('signaling timeout: server offers not answered');
        return;
      }
      this.#renegotiationFailure = `no answer to the server offer within ${timeoutMs} ms (${this.#unansweredOffers} unanswered)`;
      return;
    }
    this.#unansweredOffers = 0;
    try {
      await pc.setRemoteDescription(answer);
    } catch (err) {
      ctx.reject(rtcError('invalid_sdp', 'answer rejected', {cause: errorMessage(err)}), false);
      await this.#rollback();
      this.#renegotiationFailure = `the client's answer was rejected: ${errorMessage(err)}`;
      return;
    }
    this.#offerPending = false;
    this.#parts.incoming.reconcile();
  }
}
