// The call's RTC peer on simple-peer (reference webapp.md §4.3, §4.5): the client offers first through the `calls-dc`
// data channel, trickles ICE, answers server offers, classifies incoming tracks from the DC MediaMap (or the track id
// prefix: rtc_remote_tracks.ts), takes the server's signaling lock before adding a track (rtc_signaling_lock.ts), and
// fails after 15 s without a connection.

import SimplePeer from 'simple-peer';

import {DCMessageType, type DCMessage} from '@calls/protocol';

import {RemoteTracks, type RemoteTrackInfo} from './rtc_remote_tracks';
import {SignalingLock} from './rtc_signaling_lock';
import {decodeDCMessage, encodeDCMessage} from './wire';
import {Emitter} from '../utils/emitter';

export {trackTypeFromID, type RemoteTrackInfo} from './rtc_remote_tracks';

export const RTC_CONNECT_TIMEOUT_MS = 15000;
const DC_PING_INTERVAL_MS = 1000;

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

/** What an RTCPeer reports (a scripted peer in tests reports the same). */
export type PeerEvents = {
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

export class RTCPeer extends Emitter<PeerEvents> {
  readonly #cfg: RTCPeerConfig;
  readonly #peer: SimplePeer.Instance & {negotiate(): void};
  readonly #pc: RTCPeerConnection;
  readonly #log: Pick<Console, 'debug' | 'info' | 'warn' | 'error'>;
  readonly #tracks: RemoteTracks;
  readonly #lock: SignalingLock;
  #senders = new Map<MediaStreamTrack, RTCRtpSender>();
  #firstAnswerReceived = false;
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
    this.#tracks = new RemoteTracks((track, stream, info) => this.emit('track', track, stream, info), this.#log);
    this.#lock = new SignalingLock({
      canLock: () => this.#cfg.dcLocking && this.#dcOpen && this.#firstAnswerReceived,
      isClosed: () => this.#closed,
      sendDC: (msg) => this.#sendDC(msg),
      log: this.#log,
    });
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
    this.#pc.addEventListener('track', (ev) => this.#tracks.onTrack(ev));

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
      } else if (this.#lock.held) {
        this.#lock.releaseAfterAnswer();
      }
    }
    this.#peer.signal(data as SimplePeer.SignalData);
  }

  /** Adds a local audio track (the microphone) under the signaling lock; causes a renegotiation. */
  async addTrack(track: MediaStreamTrack, stream: MediaStream): Promise<void> {
    await this.#lock.run(() => {
      this.#peer.addTrack(track, stream);
      const sender = this.#pc.getSenders().find((s) => s.track === track);
      if (sender) {
        this.#senders.set(track, sender);
      }
    });
  }

  /** Adds the screen share: video as a sendonly transceiver with bitrate caps, audio (if any) as a track. */
  async addScreenStream(stream: MediaStream, encodings: RTCRtpEncodingParameters[]): Promise<void> {
    await this.#lock.run(() => {
      for (const track of stream.getTracks()) {
        if (track.kind === 'video') {
          // Straight on the connection: simple-peer's addTransceiver would schedule a negotiation of its own
          // besides the one below, and the second offer would go out after the answer, outside the lock.
          this.#pc.addTransceiver(track, {direction: 'sendonly', sendEncodings: encodings, streams: [stream]});
        } else {
          this.#pc.addTrack(track, stream);
        }
      }
      this.#peer.negotiate();
    });
  }

  /**
   * Adds the camera as a sendonly transceiver in its own stream (the SFU tells it from the voice by that stream id)
   * with the bitrate cap. The sender stays for the whole call: stopping the camera is replaceTrack(track, null).
   */
  async addVideoTrack(
    track: MediaStreamTrack,
    stream: MediaStream,
    encodings: RTCRtpEncodingParameters[],
  ): Promise<void> {
    await this.#lock.run(() => {
      // Straight on the connection, one negotiation below (as for the screen share).
      this.#pc.addTransceiver(track, {direction: 'sendonly', sendEncodings: encodings, streams: [stream]});
      const sender = this.#pc.getSenders().find((s) => s.track === track);
      if (sender) {
        this.#senders.set(track, sender);
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
    await this.#lock.run(() => {
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
    this.#tracks.clear();
    this.#lock.cancel();
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
        this.#lock.onLockReply(Boolean(msg.acquired));
        break;
      case DCMessageType.SDP:
        this.signal(msg.sdp as SignalData);
        break;
      case DCMessageType.MediaMap:
        this.#tracks.addMediaMap(msg.map);
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
}
