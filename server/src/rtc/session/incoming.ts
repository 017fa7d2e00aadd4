// The tracks one session publishes: each receiving transceiver is classified (voice, screen, screen
// audio, camera video) from the stream ids the client announced, published to the call as upstream
// tracks, moved to the fast receive path when it is plain AES-GCM audio, and its audio levels drive
// voice activity. Muting pauses the voice track at the source.
import type {MediaStreamTrack, RTCRtpReceiver, RTCRtpTransceiver, RtpPacket} from 'werift';
import {randomString} from '../../ids';
import type {TrackType} from '../../protocol';
import {UpstreamTrack, mediaPacket, type MediaPacket} from '../fastpath/forwarder';
import type {Ingress} from '../fastpath/ingress';
import {takeOverReceivedAudio} from '../fastpath/takeover';
import {AUDIO_LEVEL_URI, isAv1} from '../media/codecs';
import type {Layer} from '../media/simulcast';
import {VoiceActivityDetector} from '../media/vad';
import type {SessionContext} from './context';
import type {PublishedTrack} from './published';
import {claimReceiverReports} from '../werift/internals';

const EMPTY = Buffer.alloc(0);

/** One incoming transceiver of this session. */
interface Incoming {
  transceiver: RTCRtpTransceiver;
  published?: PublishedTrack;
  unsubscribers: (() => void)[];
}

export class IncomingTracks {
  readonly #ctx: SessionContext;
  /** The session's fast receive path, when forwarding is fast (plain audio streams move there). */
  readonly #ingress: Ingress | undefined;
  readonly #vad: VoiceActivityDetector;
  readonly #incoming = new Map<RTCRtpTransceiver, Incoming>();
  readonly #reported = new Set<RTCRtpReceiver>();
  #muted = false;
  #screenStreamID: string | undefined;
  /** Streams that were a screen share: their leftover tracks must not turn into voice/video. */
  readonly #pastScreenStreams = new Set<string>();
  #videoStreamID: string | undefined;

  constructor(ctx: SessionContext, ingress: Ingress | undefined) {
    this.#ctx = ctx;
    this.#ingress = ingress;
    this.#vad = new VoiceActivityDetector(ctx.deps.clock);
  }

  get muted(): boolean {
    return this.#muted;
  }

  get published(): PublishedTrack[] {
    const out: PublishedTrack[] = [];
    for (const inc of this.#incoming.values()) if (inc.published) out.push(inc.published);
    return out;
  }

  setMuted(muted: boolean): void {
    this.#muted = muted;
    for (const inc of this.#incoming.values()) {
      if (inc.published?.type === 'voice') for (const up of inc.published.layers.values()) up.setPaused(muted);
    }
    if (muted && this.#vad.reset() === false) this.#ctx.emit('voice', false);
  }

  setScreenStream(streamID: string | undefined): void {
    if (this.#screenStreamID && this.#screenStreamID !== streamID) this.#pastScreenStreams.add(this.#screenStreamID);
    this.#screenStreamID = streamID;
    this.reconcile();
  }

  setVideoStream(streamID: string | undefined): void {
    this.#videoStreamID = streamID;
    this.#ctx.logger.debug({streamID}, 'video stream set');
    this.reconcile();
  }

  /**
   * After every negotiation: publish transceivers that now receive a classifiable stream, and unpublish
   * those that stopped receiving or changed type (screen_off, video_off, track removed).
   */
  reconcile(): void {
    if (this.#ctx.closed) return;
    for (const t of this.#ctx.pc.getTransceivers()) {
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

  /** Session teardown: voice activity ends and every published track is withdrawn. */
  close(): void {
    if (this.#vad.reset() === false) this.#ctx.emit('voice', false);
    for (const inc of this.#incoming.values()) this.#unpublish(inc);
    this.#incoming.clear();
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
    const {cfg, deps, logger} = this.#ctx;
    const t = inc.transceiver;
    const mimeType = t.codecs[0]?.mimeType ?? (t.kind === 'audio' ? 'audio/opus' : 'video/VP8');
    if (t.kind === 'video' && isAv1(mimeType) && !deps.enableAV1) return;
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
        clock: deps.clock,
        counters: deps.counters,
        onWriteTime: (seconds) => deps.metrics.observeRTPTracksWrite(deps.groupID, writeTimeType, seconds),
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
        if (this.#ingress && t.kind === 'audio' && !simulcast && !taken.has(ssrc)) {
          taken.add(ssrc);
          this.#takeOver(this.#ingress, inc, ssrc, rtp.header.payloadType, up, type);
        }
      });
      inc.unsubscribers.push(unSubscribe);
    };
    if (simulcast) for (const tr of receiver.tracks) attachTrack(tr);
    else {
      makeLayer(undefined);
      for (const tr of receiver.tracks.length > 0 ? receiver.tracks : [receiver.track]) attachTrack(tr);
    }
    inc.unsubscribers.push(
      t.onTrack.subscribe((track) => {
        if (inc.published) attachTrack(track);
      }).unSubscribe,
    );
    inc.published = {
      key: `${cfg.sessionID}/${t.mid ?? t.id}/${randomString(6)}`,
      type,
      kind: t.kind as 'audio' | 'video',
      mimeType,
      senderSessionID: cfg.sessionID,
      layers,
      simulcast,
    };
    deps.metrics.incRTPTracks(deps.groupID, 'in', mimeType);
    logger.info({type, mimeType, simulcast, mid: t.mid}, 'track published');
    this.#ctx.emit('publish', inc.published);
  }

  /** Voice activity from a voice track's audio level (RFC 6464: 0 loudest … 127 silence). */
  #audioLevel(type: TrackType, up: UpstreamTrack, level: number): void {
    if (type !== 'voice' || up.paused) return;
    const change = this.#vad.push(level);
    if (change !== undefined) this.#ctx.emit('voice', change);
  }

  /** Moves one incoming audio stream to the fast receive path (ingress.ts), when its SRTP is AES-GCM. */
  #takeOver(
    ingress: Ingress,
    inc: Incoming,
    ssrc: number,
    payloadType: number,
    up: UpstreamTrack,
    type: TrackType,
  ): void {
    // One packet object per stream, rewritten for each packet: forwarding is synchronous and keeps none.
    const pkt: MediaPacket = {payload: EMPTY, sequenceNumber: 0, timestamp: 0, marker: false, payloadType};
    const giveBack = takeOverReceivedAudio(
      ingress,
      inc.transceiver,
      ssrc,
      (seq, ts, marker, payload, level) => {
        if (level !== undefined) this.#audioLevel(type, up, level);
        pkt.sequenceNumber = seq;
        pkt.timestamp = ts;
        pkt.marker = marker;
        pkt.payload = payload;
        up.forward(pkt);
      },
      {route: {track: up, onLevel: (level) => this.#audioLevel(type, up, level)}},
    );
    if (giveBack) {
      inc.unsubscribers.push(giveBack);
      // Its receiver reports come from the session's RtcpReports now, at the audio interval.
      const receiver = inc.transceiver.receiver;
      claimReceiverReports(receiver);
      this.#reported.add(receiver);
      inc.unsubscribers.push(() => this.#reported.delete(receiver));
    }
  }

  /** The receivers whose reports the session sends (claimed from werift when their audio moved to the fast path). */
  reportedReceivers(): Iterable<RTCRtpReceiver> {
    return this.#reported;
  }

  #unpublish(inc: Incoming): void {
    const pub = inc.published;
    if (!pub) return;
    inc.published = undefined;
    for (const un of inc.unsubscribers) un();
    inc.unsubscribers = [];
    for (const up of pub.layers.values()) up.close();
    const {deps, logger} = this.#ctx;
    deps.metrics.decRTPTracks(deps.groupID, 'in', pub.mimeType);
    if (pub.type === 'voice' && this.#vad.reset() === false) this.#ctx.emit('voice', false);
    logger.info({type: pub.type}, 'track unpublished');
    this.#ctx.emit('unpublish', pub);
  }
}
