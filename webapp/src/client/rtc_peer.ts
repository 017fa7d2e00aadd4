// The call's RTC peer on simple-peer (reference webapp.md §4.3, §4.5): the client offers first through the `calls-dc`
// data channel, trickles ICE, answers server offers, classifies incoming tracks from the DC MediaMap (or the track id
// prefix), takes the server's signaling lock before adding a track, and fails after 15 s without a connection.

import SimplePeer from 'simple-peer';

import {DCMessageType, type DCMessage, type MediaMap} from '@calls/protocol';

import {decodeDCMessage, encodeDCMessage} from './wire';
import {Emitter} from '../utils/emitter';
import type {TrackType} from '../types';

export const RTC_CONNECT_TIMEOUT_MS = 15000;
const LOCK_RETRY_MS = 50;
const LOCK_TIMEOUT_MS = 5000;
const DC_PING_INTERVAL_MS = 1000;
const UNTYPED_VIDEO_WAIT_MS = 2000;

export class RTCPeerError extends Error {
  constructor(
    message: string,
    readonly code = '',
  ) {
    super(message);
    this.name = 'RTCPeerError';
  }
}

export const ERR_RTC_TIMEOUT = 'timed out waiting for rtc connection';

export interface RTCPeerConfig {
  iceServers: RTCIceServer[];
  /** Send offers/answers over the DC once it is open and the first negotiation is done. */
  dcSignaling: boolean;
  /** Take the server's signaling lock (DC Lock/Unlock) around client-initiated renegotiations. */
  dcLocking: boolean;
  connectTimeoutMs?: number;
  logger?: Pick<Console, 'debug' | 'info' | 'warn' | 'error'>;
}

export interface RemoteTrackInfo {
  type: TrackType;
  /** The SFU sets the stream id to the sending session's id. */
  senderSessionID: string;
}

type PeerEvents = {
  offer: [RTCSessionDescriptionInit];
  answer: [RTCSessionDescriptionInit];
  candidate: [RTCIceCandidateInit];
  connect: [];
  close: [Error | null];
  track: [MediaStreamTrack, MediaStream, RemoteTrackInfo];
  rtt: [number];
};

export type SignalData =
  | {type: 'offer' | 'answer' | 'pranswer' | 'rollback'; sdp?: string}
  | {type: 'candidate'; candidate: RTCIceCandidateInit};

const trackTypes: TrackType[] = ['screen-audio', 'screen', 'voice', 'video'];

export function trackTypeFromID(id: string): TrackType | undefined {
  return trackTypes.find((t) => id.startsWith(`${t}_`));
}

export class RTCPeer extends Emitter<PeerEvents> {
  readonly #cfg: RTCPeerConfig;
  readonly #peer: SimplePeer.Instance & {negotiate(): void};
  readonly #pc: RTCPeerConnection;
  readonly #log: Pick<Console, 'debug' | 'info' | 'warn' | 'error'>;
  #mediaMap: MediaMap = {};
  #senders = new Map<MediaStreamTrack, RTCRtpSender>();
  #pendingVideo: Array<{ev: RTCTrackEvent; timer: ReturnType<typeof setTimeout>}> = [];
  #firstAnswerReceived = false;
  #holdsLock = false;
  #lockWaiter: ((acquired: boolean) => void) | null = null;
  #lockChain: Promise<void> = Promise.resolve();
  #connectTimer: ReturnType<typeof setTimeout> | null = null;
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  #pingSentAt = 0;
  #rtt = 0;
  #connected = false;
  #closed = false;
  #lastError: Error | null = null;
  #dcOpen = false;

  constructor(cfg: RTCPeerConfig) {
    super();
    this.#cfg = cfg;
    this.#log = cfg.logger ?? console;
    // iceServers must always be passed: simple-peer otherwise falls back to public STUN servers.
    this.#peer = new SimplePeer({
      initiator: true,
      channelName: 'calls-dc',
      trickle: true,
      config: {iceServers: cfg.iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require'},
    }) as SimplePeer.Instance & {negotiate(): void};
    this.#pc = (this.#peer as unknown as {_pc: RTCPeerConnection})._pc;

    this.#peer.on('signal', (data: SignalData) => this.#onLocalSignal(data));
    this.#peer.on('connect', () => this.#onConnect());
    this.#peer.on('data', (data: Uint8Array) => this.#onDCMessage(data));
    this.#peer.on('error', (err: Error & {code?: string}) => {
      this.#log.error('rtc peer error', err.code, err.message);
      this.#lastError = new RTCPeerError(err.message, err.code || '');
    });
    this.#peer.on('close', () => this.#finish(this.#lastError));
    this.#pc.addEventListener('track', (ev) => this.#onTrack(ev));

    const channel = (this.#peer as unknown as {_channel: RTCDataChannel | null})._channel;
    channel?.addEventListener('open', () => {
      this.#dcOpen = true;
    });

    this.#connectTimer = setTimeout(() => {
      if (!this.#connected && !this.#closed) {
        this.#lastError = new RTCPeerError(ERR_RTC_TIMEOUT, 'ERR_TIMEOUT');
        this.destroy(this.#lastError);
      }
    }, cfg.connectTimeoutMs ?? RTC_CONNECT_TIMEOUT_MS);
  }

  /** The underlying RTCPeerConnection (stats, senders). */
  get pc(): RTCPeerConnection {
    return this.#pc;
  }

  get connected(): boolean {
    return this.#connected;
  }

  get rtt(): number {
    return this.#rtt;
  }

  /** A signal from the server (websocket `signal` event or DC SDP). */
  signal(data: SignalData): void {
    if (this.#closed) {
      return;
    }
    if (data.type === 'candidate') {
      const c = (data as {candidate: RTCIceCandidateInit}).candidate;
      if (!c || !c.candidate) {
        return;
      }
      this.#peer.signal({candidate: c} as SimplePeer.SignalData);
      return;
    }
    if (data.type === 'answer') {
      if (!this.#firstAnswerReceived) {
        this.#firstAnswerReceived = true;
      } else if (this.#holdsLock) {
        this.#releaseLockAfterAnswer();
      }
    }
    this.#peer.signal(data as SimplePeer.SignalData);
  }

  /** Adds a local audio track (the microphone) under the signaling lock; causes a renegotiation. */
  async addTrack(track: MediaStreamTrack, stream: MediaStream): Promise<void> {
    await this.#withLock(() => {
      this.#peer.addTrack(track, stream);
      const sender = this.#pc.getSenders().find((s) => s.track === track);
      if (sender) {
        this.#senders.set(track, sender);
      }
    });
  }

  /** Adds the screen share: video as a sendonly transceiver with bitrate caps, audio (if any) as a track. */
  async addScreenStream(stream: MediaStream, encodings: RTCRtpEncodingParameters[]): Promise<void> {
    await this.#withLock(() => {
      for (const track of stream.getTracks()) {
        if (track.kind === 'video') {
          // simple-peer forwards this to pc.addTransceiver(track, init) and renegotiates.
          (this.#peer.addTransceiver as unknown as (t: MediaStreamTrack, init: RTCRtpTransceiverInit) => void)(track, {
            direction: 'sendonly',
            sendEncodings: encodings,
            streams: [stream],
          });
        } else {
          this.#pc.addTrack(track, stream);
        }
      }
      this.#peer.negotiate();
    });
  }

  /** Swaps the track a sender sends (null = send silence), without renegotiating. */
  async replaceTrack(oldTrack: MediaStreamTrack, newTrack: MediaStreamTrack | null): Promise<void> {
    const sender = this.#senders.get(oldTrack) ?? this.#pc.getSenders().find((s) => s.track === oldTrack);
    if (!sender) {
      throw new RTCPeerError('track was never added');
    }
    if (newTrack && newTrack !== oldTrack) {
      this.#senders.delete(oldTrack);
      this.#senders.set(newTrack, sender);
    } else {
      this.#senders.set(oldTrack, sender);
    }
    await sender.replaceTrack(newTrack);
  }

  hasSenderFor(track: MediaStreamTrack): boolean {
    return this.#senders.has(track) || this.#pc.getSenders().some((s) => s.track === track);
  }

  /** Removes the senders of these tracks and renegotiates. */
  async removeTracks(tracks: MediaStreamTrack[]): Promise<void> {
    if (this.#closed) {
      return;
    }
    await this.#withLock(() => {
      let removed = false;
      for (const sender of this.#pc.getSenders()) {
        if (sender.track && tracks.includes(sender.track)) {
          this.#senders.delete(sender.track);
          this.#pc.removeTrack(sender);
          removed = true;
        }
      }
      if (removed) {
        this.#peer.negotiate();
      }
    });
  }

  getStats(): Promise<RTCStatsReport> {
    return this.#pc.getStats();
  }

  /** Reports receive-side quality to the server over the DC (RTCMonitor). */
  handleMetrics(lossRate: number, jitter: number): void {
    this.#sendDC({type: DCMessageType.LossRate, value: lossRate});
    this.#sendDC({type: DCMessageType.RoundTripTime, value: this.#rtt});
    this.#sendDC({type: DCMessageType.Jitter, value: jitter});
  }

  /** Idempotent. */
  destroy(err: Error | null = null): void {
    if (this.#closed) {
      return;
    }
    if (err) {
      this.#lastError = err;
    }
    this.#peer.destroy();
    this.#finish(this.#lastError);
  }

  #finish(err: Error | null): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    if (this.#connectTimer) {
      clearTimeout(this.#connectTimer);
    }
    if (this.#pingTimer) {
      clearInterval(this.#pingTimer);
    }
    for (const p of this.#pendingVideo) {
      clearTimeout(p.timer);
    }
    this.#pendingVideo = [];
    this.#lockWaiter?.(false);
    this.emit('close', err);
    this.removeAllListeners();
  }

  #onConnect(): void {
    this.#connected = true;
    this.#dcOpen = true;
    if (this.#connectTimer) {
      clearTimeout(this.#connectTimer);
      this.#connectTimer = null;
    }
    this.#pingTimer = setInterval(() => {
      this.#pingSentAt = performance.now();
      this.#sendDC({type: DCMessageType.Ping});
    }, DC_PING_INTERVAL_MS);
    this.emit('connect');
  }

  #onLocalSignal(data: SignalData): void {
    if (data.type === 'candidate') {
      this.emit('candidate', (data as {candidate: RTCIceCandidateInit}).candidate);
      return;
    }
    if (data.type !== 'offer' && data.type !== 'answer') {
      return;
    }
    const sdp: RTCSessionDescriptionInit = {type: data.type, sdp: (data as {sdp?: string}).sdp};
    if (this.#cfg.dcSignaling && this.#dcOpen && this.#firstAnswerReceived) {
      this.#sendDC({type: DCMessageType.SDP, sdp: {type: data.type, sdp: sdp.sdp ?? ''}});
      return;
    }
    this.emit(data.type, sdp);
  }

  #onDCMessage(data: Uint8Array): void {
    let msg: DCMessage;
    try {
      msg = decodeDCMessage(data);
    } catch (err) {
      // The legacy text "pong" and anything unknown are ignored.
      return;
    }
    switch (msg.type) {
      case DCMessageType.Pong:
        if (this.#pingSentAt) {
          this.#rtt = (performance.now() - this.#pingSentAt) / 1000;
          this.emit('rtt', this.#rtt);
        }
        break;
      case DCMessageType.Lock:
        this.#lockWaiter?.(Boolean(msg.acquired));
        break;
      case DCMessageType.SDP:
        this.signal(msg.sdp as SignalData);
        break;
      case DCMessageType.MediaMap:
        this.#mediaMap = {...this.#mediaMap, ...msg.map};
        this.#retryPendingVideo();
        break;
      default:
        break;
    }
  }

  #sendDC(msg: DCMessage): void {
    if (this.#closed || !this.#dcOpen) {
      return;
    }
    try {
      this.#peer.send(encodeDCMessage(msg));
    } catch (err) {
      this.#log.warn('rtc peer: dc send failed', err);
    }
  }

  #typeFor(ev: RTCTrackEvent): TrackType | undefined {
    const mid = ev.transceiver?.mid;
    if (mid && this.#mediaMap[mid]) {
      return this.#mediaMap[mid].type;
    }
    const fromID = trackTypeFromID(ev.track.id);
    if (fromID) {
      return fromID;
    }
    return ev.track.kind === 'audio' ? 'voice' : undefined;
  }

  #onTrack(ev: RTCTrackEvent): void {
    const type = this.#typeFor(ev);
    if (!type) {
      // MediaMap may arrive just after the offer that created this transceiver.
      const timer = setTimeout(() => {
        this.#pendingVideo = this.#pendingVideo.filter((p) => p.ev !== ev);
        this.#log.warn('rtc peer: video track without a type, treating it as screen');
        this.#emitTrack(ev, 'screen');
      }, UNTYPED_VIDEO_WAIT_MS);
      this.#pendingVideo.push({ev, timer});
      return;
    }
    this.#emitTrack(ev, type);
  }

  #retryPendingVideo(): void {
    for (const p of [...this.#pendingVideo]) {
      const type = this.#typeFor(p.ev);
      if (type) {
        clearTimeout(p.timer);
        this.#pendingVideo = this.#pendingVideo.filter((x) => x !== p);
        this.#emitTrack(p.ev, type);
      }
    }
  }

  #emitTrack(ev: RTCTrackEvent, type: TrackType): void {
    const senderSessionID = ev.streams[0]?.id || '';
    // One stream per track: the SFU groups all of a sender's tracks in one stream, which would make a
    // screen <video> also play that sender's voice.
    this.emit('track', ev.track, new MediaStream([ev.track]), {type, senderSessionID});
  }

  async #withLock(fn: () => void): Promise<void> {
    const run = this.#lockChain.then(async () => {
      if (this.#closed) {
        return;
      }
      const locked = await this.#acquireLock();
      try {
        fn();
      } catch (err) {
        if (locked) {
          this.#sendDC({type: DCMessageType.Unlock});
          this.#holdsLock = false;
        }
        throw err;
      }
      if (locked) {
        this.#holdsLock = true;
        // Released when the answer to the offer this change causes arrives; wait for it so changes
        // stay one at a time, but never longer than the lock timeout.
        await new Promise<void>((resolve) => {
          const started = Date.now();
          const check = setInterval(() => {
            if (!this.#holdsLock || this.#closed || Date.now() - started > LOCK_TIMEOUT_MS) {
              clearInterval(check);
              if (this.#holdsLock && !this.#closed) {
                this.#log.warn('rtc peer: no answer while holding the signaling lock, releasing it');
                this.#sendDC({type: DCMessageType.Unlock});
                this.#holdsLock = false;
              }
              resolve();
            }
          }, LOCK_RETRY_MS);
        });
      }
    });
    this.#lockChain = run.catch(() => undefined);
    return run;
  }

  #releaseLockAfterAnswer(): void {
    this.#holdsLock = false;
    this.#sendDC({type: DCMessageType.Unlock});
  }

  /** Requests the server's signaling lock, retrying every 50 ms for up to 5 s. False when not locking. */
  async #acquireLock(): Promise<boolean> {
    if (!this.#cfg.dcLocking || !this.#dcOpen || !this.#firstAnswerReceived) {
      return false;
    }
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    while (!this.#closed && Date.now() < deadline) {
      const acquired = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          this.#lockWaiter = null;
          resolve(false);
        }, LOCK_TIMEOUT_MS);
        this.#lockWaiter = (v) => {
          clearTimeout(timer);
          this.#lockWaiter = null;
          resolve(v);
        };
        this.#sendDC({type: DCMessageType.Lock});
      });
      if (acquired) {
        return true;
      }
      await new Promise((r) => setTimeout(r, LOCK_RETRY_MS));
    }
    this.#log.warn('rtc peer: could not get the signaling lock in 5 s, proceeding without it');
    return false;
  }
}
