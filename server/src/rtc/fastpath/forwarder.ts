// The forwarding path, kept in one module: an UpstreamTrack is one incoming RTP stream (a remote track
// or one simulcast layer) fanned out to DownstreamTracks, each the sending side of one receiver's
// transceiver. Key-frame requests (PLI/FIR) travel the other way, rate-limited per source.
//
// Two writers put packets on the wire. The fast one (default) bypasses werift's RTCRtpSender: per
// packet it writes a 12-byte header into the output buffer, makes one AES-GCM cipher call (RFC 7714;
// AES-CM falls back to werift's SRTP context) and hands the datagram straight to the shared socket; it
// keeps its own NACK buffer of encrypted packets, seq/timestamp continuity across source switches,
// and sends correct RTCP sender reports. With the native addon, audio (no NACK buffer) is written
// straight into the socket's send batch (egress.ts) and sealed there. The stock writer goes through
// RTCRtpSender.sendRtp and is kept as the reference the fast one is checked against (forwarder.bench.ts,
// test/rtc/fastpath.test.ts).
import {
  PictureLossIndication,
  RtcpPayloadSpecificFeedback,
  RtcpSenderInfo,
  RtcpSrPacket,
  RtpHeader,
  RtpPacket,
  type RTCDtlsTransport,
  type RTCRtpSender,
} from 'werift';
import type {Clock} from '../../clock';
import type {Logger} from '../../log';
import type {RtpCounters} from '../../metrics';
import {PacketSink, SinkRoute} from '../net/iceMux';
import {RateMonitor} from '../media/simulcast';
import type {NativeGcmKey} from './native';
import {GCM_TAG_LENGTH, KeystreamAhead, PROFILE_AEAD_AES_128_GCM, sessionCipher, type SessionCipher, type SrtpContextKeys} from './srtpGcm';

export type ForwardingMode = 'fast' | 'stock';

/** RTCP PSFB FMT of a Full Intra Request (RFC 5104); werift parses it but does not export the class. */
const FIR_FMT = 4;
/** Reference §5.4: one forwarded key-frame request per second per source. */
const KEYFRAME_REQUEST_INTERVAL_MS = 1000;
/** Encrypted packets kept per outgoing stream for NACK (power of two; rtcd's default is 256). */
const NACK_BUFFER = 512;
/** Packet indexes remembered per outgoing stream, so none is encrypted twice; older late packets are dropped. */
const SENT_WINDOW = 256;
const RTP_HEADER_LENGTH = 12;
/** Seconds between the NTP (1900) and Unix (1970) epochs. */
const NTP_EPOCH_OFFSET = 2_208_988_800;
/** One fan-out in this many is timed for rtc_rtp_tracks_writes_time (timing every packet costs more than the write). */
const WRITE_TIME_SAMPLE = 128;

/** Counters shared by every track of one SFU; plain numbers so the hot path stays cheap. */
export function newRtpCounters(): RtpCounters {
  return {packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0};
}

/** One packet to forward: what the writers need, whichever receive path it came from. */
export interface MediaPacket {
  payload: Buffer;
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  payloadType: number;
  /** werift's packet when it came through werift (the stock writer sends that). */
  rtp?: RtpPacket;
}

/** A MediaPacket view of a werift packet. */
export function mediaPacket(rtp: RtpPacket): MediaPacket {
  const h = rtp.header;
  return {payload: rtp.payload, sequenceNumber: h.sequenceNumber, timestamp: h.timestamp, marker: h.marker, payloadType: h.payloadType, rtp};
}

export interface UpstreamTrackOptions {
  kind: 'audio' | 'video';
  /** Simulcast rid ('l' / 'h'), or undefined for a single-layer track. */
  rid?: string;
  /** Sends a PLI for this stream to its publisher. */
  sendKeyframeRequest: () => void;
  clock: Clock;
  /** Server-wide RTP counters this track adds to. */
  counters?: RtpCounters;
  /** Receives the sampled time of one write (seconds), for rtc_rtp_tracks_writes_time. */
  onWriteTime?: (seconds: number) => void;
}

export class UpstreamTrack {
  readonly kind: 'audio' | 'video';
  readonly rid: string | undefined;
  #downstreams: DownstreamTrack[] = [];
  #paused = false;
  #closed = false;
  #lastKeyframeRequest = -Infinity;
  #packets = 0;
  #bytes = 0;
  readonly #sendKeyframeRequest: () => void;
  readonly #clock: Clock;
  readonly #counters: RtpCounters;
  readonly #onWriteTime: ((seconds: number) => void) | undefined;
  /** Video only: the measured source rate the simulcast layer choice compares against. */
  readonly #rate: RateMonitor | undefined;

  constructor(opts: UpstreamTrackOptions) {
    this.kind = opts.kind;
    this.rid = opts.rid;
    this.#sendKeyframeRequest = opts.sendKeyframeRequest;
    this.#clock = opts.clock;
    this.#counters = opts.counters ?? newRtpCounters();
    this.#onWriteTime = opts.onWriteTime;
    this.#rate = opts.kind === 'video' ? new RateMonitor(opts.rid === 'h' ? 2000 : 5000, opts.clock) : undefined;
  }

  /** bit/s of a video source over its window, -1 until known (and always for audio). */
  get bitrate(): number {
    return this.#rate?.rate ?? -1;
  }

  get packets(): number {
    return this.#packets;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get downstreamCount(): number {
    return this.#downstreams.length;
  }

  /** While paused (a muted voice track) packets are dropped here, before any receiver work. */
  setPaused(paused: boolean): void {
    this.#paused = paused;
  }

  get paused(): boolean {
    return this.#paused;
  }

  forward(rtp: MediaPacket): void {
    if (this.#closed) return;
    const length = rtp.payload.length;
    this.#packets++;
    this.#bytes += length;
    const counters = this.#counters;
    counters.packetsIn++;
    counters.bytesIn += length;
    this.#rate?.push(length);
    if (this.#paused) return;
    const downs = this.#downstreams;
    const n = downs.length;
    if (n === 0) return;
    const timed = this.#onWriteTime !== undefined && this.#packets % WRITE_TIME_SAMPLE === 0;
    const start = timed ? performance.now() : 0;
    let sent = 0;
    for (let i = 0; i < n; i++) if (downs[i].send(rtp)) sent++;
    counters.packetsOut += sent;
    counters.bytesOut += sent * length;
    if (timed) this.#onWriteTime!((performance.now() - start) / 1000 / n);
  }

  requestKeyframe(): void {
    if (this.#closed || this.kind !== 'video') return;
    const now = this.#clock.now();
    if (now - this.#lastKeyframeRequest < KEYFRAME_REQUEST_INTERVAL_MS) return;
    this.#lastKeyframeRequest = now;
    this.#sendKeyframeRequest();
  }

  add(d: DownstreamTrack): void {
    if (!this.#downstreams.includes(d)) this.#downstreams = [...this.#downstreams, d];
  }

  remove(d: DownstreamTrack): void {
    this.#downstreams = this.#downstreams.filter((x) => x !== d);
  }

  /** Detaches every receiver; the tracks' owners remove their transceivers. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const d of this.#downstreams) d.sourceClosed(this);
    this.#downstreams = [];
  }
}

/** Puts one receiver's copy of a stream on the wire. */
interface RtpWriter {
  /** False when the packet could not go out (transport not up yet). */
  write(rtp: MediaPacket): boolean;
  /** The next packet starts a new source: keep seq/timestamps continuous. */
  sourceChanged(): void;
  senderReport(nowMs: number): RtcpSrPacket | undefined;
  readonly dtlsTransport: RTCDtlsTransport;
  close(): void;
}

export class DownstreamTrack {
  readonly sender: RTCRtpSender;
  #source: UpstreamTrack | undefined;
  #closed = false;
  #sent = 0;
  readonly #writer: RtpWriter;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(sender: RTCRtpSender, mode: ForwardingMode, logger: Logger) {
    this.sender = sender;
    this.#writer = mode === 'fast' ? new FastWriter(sender) : new StockWriter(sender, logger);
    this.#unsubscribe.push(sender.onRtcp.subscribe((packet) => {
      if (packet instanceof RtcpPayloadSpecificFeedback &&
          (packet.feedback instanceof PictureLossIndication || packet.feedback.count === FIR_FMT)) {
        this.#source?.requestKeyframe();
      }
    }).unSubscribe);
    if (this.#writer instanceof FastWriter) {
      const writer = this.#writer;
      this.#unsubscribe.push(sender.onGenericNack.subscribe((nack) => writer.retransmit(nack.lost)).unSubscribe);
    }
  }

  get source(): UpstreamTrack | undefined {
    return this.#source;
  }

  get sent(): number {
    return this.#sent;
  }

  get dtlsTransport(): RTCDtlsTransport {
    return this.#writer.dtlsTransport;
  }

  /**
   * Starts forwarding `source`, or switches to it. Whatever this stream carried before (another simulcast
   * layer, or another sender's track when its transceiver is reused), the numbering continues: receivers
   * drop SRTP packets whose index goes back (browsers' replay protection), and AES-GCM must never
   * encrypt one index twice.
   */
  attach(source: UpstreamTrack): void {
    if (this.#closed || this.#source === source) return;
    this.#source?.remove(this);
    this.#writer.sourceChanged();
    this.#source = source;
    source.add(this);
    source.requestKeyframe();
  }

  /** True if the packet went out. */
  send(rtp: MediaPacket): boolean {
    if (!this.#writer.write(rtp)) return false;
    this.#sent++;
    return true;
  }

  /** This stream's sender report for now, if it has sent anything (fast writer only). */
  senderReport(nowMs: number): RtcpSrPacket | undefined {
    return this.#writer.senderReport(nowMs);
  }

  /** Stops forwarding (the sender left); the stream keeps its numbering for the next attach. */
  detach(): void {
    this.#source?.remove(this);
    this.#source = undefined;
  }

  /** Called by the source when it goes away. */
  sourceClosed(source: UpstreamTrack): void {
    if (this.#source === source) this.#source = undefined;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#source?.remove(this);
    this.#source = undefined;
    for (const un of this.#unsubscribe) un();
    this.#writer.close();
  }
}

/** werift's RTCRtpSender: clone, rewrite, its own NACK cache and sender reports. */
class StockWriter implements RtpWriter {
  readonly #sender: RTCRtpSender;
  readonly #logger: Logger;

  constructor(sender: RTCRtpSender, logger: Logger) {
    this.#sender = sender;
    this.#logger = logger;
  }

  get dtlsTransport(): RTCDtlsTransport {
    return this.#sender.dtlsTransport;
  }

  write(pkt: MediaPacket): boolean {
    const rtp = pkt.rtp ?? new RtpPacket(new RtpHeader({sequenceNumber: pkt.sequenceNumber, timestamp: pkt.timestamp, marker: pkt.marker,
      payloadType: pkt.payloadType}), pkt.payload);
    // The publisher's extension ids mean nothing in this receiver's negotiation.
    if (rtp.header.extensions.length > 0) rtp.header.extensions = [];
    this.#sender.sendRtp(rtp).catch((err: unknown) => this.#logger.debug({err}, 'rtp send failed'));
    return true;
  }

  sourceChanged(): void {
    this.#sender.replaceRTP({sequenceNumber: 0, timestamp: 0}, true);
  }

  senderReport(): undefined {
    return undefined;
  }

  close(): void {}
}

class FastWriter implements RtpWriter {
  readonly #sender: RTCRtpSender;
  readonly #ssrc: number;
  #payloadType = -1;
  #clockRate = 90000;
  // Keys and sink, bound to the transport's current SRTP session.
  #srtp: unknown;
  #gcm: KeystreamAhead | undefined;
  /** With the native addon: the key the batched sender seals with, and this stream's constant IV words. */
  #nativeKey: NativeGcmKey | undefined;
  #iv0 = 0;
  #iv1 = 0;
  #salt2 = 0;
  #cmHeader: RtpHeader | undefined;
  #sink: PacketSink | undefined;
  // Sequence and timestamp mapping from the source into this stream.
  #started = false;
  #resync = false;
  #seqOffset = 0;
  #tsOffset = 0;
  #highestSeq = 0;
  #roc = 0;
  #lastTs = 0;
  #lastSendMs = 0;
  readonly #sent = new Float64Array(SENT_WINDOW).fill(-1);
  // Sender-report counters.
  #packets = 0;
  #octets = 0;
  // The NACK buffer, only when the receiver negotiated generic NACK for this codec (video): audio is
  // never retransmitted, and holding its packets only grows the heap.
  #ring: (Buffer | undefined)[] | undefined;
  #ringSeq: Int32Array | undefined;
  #closed = false;

  constructor(sender: RTCRtpSender) {
    this.#sender = sender;
    this.#ssrc = sender.ssrc;
  }

  get dtlsTransport(): RTCDtlsTransport {
    return this.#sender.dtlsTransport;
  }

  write(rtp: MediaPacket): boolean {
    if (this.#closed) return false;
    const payload = rtp.payload;
    if (payload.length === 0) return false; // padding-only probes carry nothing for the receiver
    const dtls = this.#sender.dtlsTransport;
    if (dtls.state !== 'connected' || !this.#bind(dtls)) return false;
    const inSeq = rtp.sequenceNumber;
    const inTs = rtp.timestamp;
    if (!this.#started) {
      this.#started = true;
      this.#seqOffset = (Math.floor(Math.random() * 0x8000) - inSeq) & 0xffff;
      this.#tsOffset = (Math.floor(Math.random() * 0x7fffffff) - inTs) >>> 0;
      this.#highestSeq = (inSeq + this.#seqOffset - 1) & 0xffff;
    } else if (this.#resync) {
      // A new source continues our numbering: next seq, and a timestamp advanced by the time elapsed.
      this.#resync = false;
      const step = Math.max(1, Math.round(((Date.now() - this.#lastSendMs) * this.#clockRate) / 1000));
      this.#seqOffset = (this.#highestSeq + 1 - inSeq) & 0xffff;
      this.#tsOffset = (this.#lastTs + step - inTs) >>> 0;
    }
    const seq = (inSeq + this.#seqOffset) & 0xffff;
    const ts = (inTs + this.#tsOffset) >>> 0;
    // RFC 3711 §3.3.1 index estimation for what we send: a forward jump past 65535 starts a new roll-over
    // period; a late packet from before the wrap belongs to the previous one.
    const delta = ((seq - this.#highestSeq + 0x8000) & 0xffff) - 0x8000;
    let roc = this.#roc;
    if (delta > 0) {
      if (seq < this.#highestSeq) roc++;
    } else if (seq > this.#highestSeq && roc > 0) {
      roc--;
    }
    // A packet index is encrypted once: a repeated one (the publisher sent a sequence number twice)
    // would reuse the AES-GCM nonce, which gives the authentication key away. Much older ones are dropped.
    const index = roc * 65536 + seq;
    if (delta <= 0 && (delta <= -SENT_WINDOW || this.#sent[index % SENT_WINDOW] === index)) return false;
    this.#sent[index % SENT_WINDOW] = index;
    if (delta > 0) {
      this.#roc = roc;
      this.#highestSeq = seq;
      this.#lastTs = ts;
      this.#lastSendMs = Date.now();
    }
    this.#packets = (this.#packets + 1) >>> 0;
    this.#octets = (this.#octets + payload.length) >>> 0;
    const sink = this.#sink!;
    const route = sink.route();
    if (route === SinkRoute.None) return true;
    if (this.#nativeKey && !this.#ring && route === SinkRoute.Egress) {
      // Header and payload go straight into the batch; the flush seals them (no NACK copy to keep).
      const egress = sink.egress!;
      const off = egress.queueSealed(this.#nativeKey, RTP_HEADER_LENGTH, payload.length, this.#iv0, this.#iv1 ^ (roc >>> 16),
        (((roc & 0xffff) << 16) | seq) ^ this.#salt2, sink.ip, sink.port);
      writeRtpHeader(egress.arena, off, rtp.marker, this.#payloadType, seq, ts, this.#ssrc);
      payload.copy(egress.arena, off + RTP_HEADER_LENGTH);
      return true;
    }
    const packet = this.#gcm ? this.#encryptGcm(payload, seq, ts, rtp.marker, roc) : this.#encryptOther(dtls, payload, seq, ts, rtp.marker);
    sink.sendRouted(packet);
    if (this.#ring) {
      const slot = seq & (NACK_BUFFER - 1);
      this.#ring[slot] = packet;
      this.#ringSeq![slot] = seq;
    }
    return true;
  }

  retransmit(seqs: number[]): void {
    const ring = this.#ring;
    if (this.#closed || !this.#sink || !ring) return;
    for (const seq of seqs) {
      const slot = seq & (NACK_BUFFER - 1);
      const packet = ring[slot];
      if (packet && this.#ringSeq![slot] === seq) this.#sink.send(packet);
    }
  }

  sourceChanged(): void {
    if (this.#started) this.#resync = true;
  }

  /**
   * RFC 3550 §6.4.1: NTP time of now and the RTP time of the same instant, extrapolated from the
   * last packet sent at this stream's clock rate, with the cumulative packet and octet counts.
   */
  senderReport(nowMs: number): RtcpSrPacket | undefined {
    if (this.#closed || this.#packets === 0) return undefined;
    const elapsedTicks = Math.round(((nowMs - this.#lastSendMs) * this.#clockRate) / 1000);
    return new RtcpSrPacket({
      ssrc: this.#ssrc,
      senderInfo: new RtcpSenderInfo({
        ntpTimestamp: ntpFromUnixMs(nowMs),
        rtpTimestamp: (this.#lastTs + elapsedTicks) >>> 0,
        packetCount: this.#packets,
        octetCount: this.#octets,
      }),
    });
  }

  close(): void {
    this.#closed = true;
    this.#ring = undefined;
  }

  /** Picks up keys, payload type and the packet sink once the transport is up (and after a DTLS restart). */
  #bind(dtls: RTCDtlsTransport): boolean {
    const srtp = dtls.srtp;
    if (!srtp) return false;
    if (srtp === this.#srtp && this.#sink) return true;
    const codec = this.#sender.codec;
    if (!codec) return false;
    this.#payloadType = codec.payloadType;
    this.#clockRate = codec.clockRate;
    const nack = (codec.rtcpFeedback ?? []).some((f) => f.type === 'nack' && !f.parameter);
    if (nack && !this.#ring) {
      this.#ring = new Array<Buffer | undefined>(NACK_BUFFER);
      this.#ringSeq = new Int32Array(NACK_BUFFER).fill(-1);
    } else if (!nack) {
      this.#ring = undefined;
    }
    const context = srtp.localContext as unknown as SrtpContextKeys;
    const cipher: SessionCipher | undefined = context.profile === PROFILE_AEAD_AES_128_GCM ? sessionCipher(context) : undefined;
    this.#gcm = cipher ? new KeystreamAhead(cipher, this.#ssrc) : undefined;
    this.#nativeKey = cipher?.native;
    if (cipher) {
      // RFC 7714 §8.1 IV words of this SSRC; the ROC and SEQ parts are XORed in per packet.
      this.#iv0 = (this.#ssrc >>> 16) ^ cipher.salt0;
      this.#iv1 = ((this.#ssrc & 0xffff) << 16) ^ cipher.salt1;
      this.#salt2 = cipher.salt2;
    }
    this.#cmHeader = this.#gcm ? undefined : new RtpHeader({payloadType: this.#payloadType, ssrc: this.#ssrc});
    this.#sink = new PacketSink(dtls.iceTransport.connection);
    this.#srtp = srtp;
    return true;
  }

  /** RFC 7714: IV = salt XOR (0 0 | SSRC | ROC | SEQ), AAD = the RTP header, tag appended. */
  #encryptGcm(payload: Buffer, seq: number, ts: number, marker: boolean, roc: number): Buffer {
    const gcm = this.#gcm!;
    const out = Buffer.allocUnsafe(RTP_HEADER_LENGTH + payload.length + GCM_TAG_LENGTH);
    writeRtpHeader(out, 0, marker, this.#payloadType, seq, ts, this.#ssrc);
    payload.copy(out, RTP_HEADER_LENGTH);
    gcm.seal(out, RTP_HEADER_LENGTH, payload.length, roc, seq);
    return out;
  }

  /** AES-CM/HMAC-SHA1 (clients that do not offer GCM): werift's SRTP context, which tracks the ROC itself. */
  #encryptOther(dtls: RTCDtlsTransport, payload: Buffer, seq: number, ts: number, marker: boolean): Buffer {
    const header = this.#cmHeader!;
    header.sequenceNumber = seq;
    header.timestamp = ts;
    header.marker = marker;
    return dtls.srtp.encrypt(payload, header);
  }
}

/** The 12-byte RTP header of a forwarded packet (no CSRCs, no extensions) at buf[off]. */
function writeRtpHeader(buf: Buffer, off: number, marker: boolean, payloadType: number, seq: number, ts: number, ssrc: number): void {
  buf[off] = 0x80;
  buf[off + 1] = (marker ? 0x80 : 0) | payloadType;
  buf.writeUInt16BE(seq, off + 2);
  buf.writeUInt32BE(ts, off + 4);
  buf.writeUInt32BE(ssrc, off + 8);
}

/** 64-bit NTP timestamp (RFC 5905: seconds since 1900 . 32-bit binary fraction) for a Unix time in ms. */
export function ntpFromUnixMs(ms: number): bigint {
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - seconds * 1000) / 1000) * 2 ** 32);
  return (BigInt(seconds + NTP_EPOCH_OFFSET) << 32n) | BigInt(fraction >>> 0);
}

/** Sends the sender reports of one session's outgoing streams about once a second (RFC 3550 §6.2). */
export class SenderReports {
  readonly #streams: () => Iterable<DownstreamTrack>;
  #timer: NodeJS.Timeout | undefined;

  constructor(streams: () => Iterable<DownstreamTrack>) {
    this.#streams = streams;
  }

  /** Runs while there is something to report on; cheap to call after every change. */
  update(active: boolean): void {
    if (active && !this.#timer) this.#schedule();
    else if (!active && this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #schedule(): void {
    // Randomised 0.5–1.5 s interval so reports of many sessions do not synchronise.
    this.#timer = setTimeout(() => {
      this.#send();
      this.#schedule();
    }, 500 + Math.random() * 1000);
    this.#timer.unref();
  }

  #send(): void {
    const now = Date.now();
    const byTransport = new Map<RTCDtlsTransport, RtcpSrPacket[]>();
    for (const d of this.#streams()) {
      const sr = d.senderReport(now);
      if (!sr) continue;
      const list = byTransport.get(d.dtlsTransport) ?? [];
      list.push(sr);
      byTransport.set(d.dtlsTransport, list);
    }
    for (const [transport, reports] of byTransport) {
      if (transport.state !== 'connected') continue;
      transport.sendRtcp(reports).catch(() => {});
    }
  }

  close(): void {
    this.update(false);
  }
}
