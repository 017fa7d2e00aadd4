// The default writer: bypasses werift's RTCRtpSender. Per packet it writes a 12-byte header into the
// output buffer, makes one AES-GCM cipher call (RFC 7714; AES-CM falls back to werift's SRTP context)
// and hands the datagram straight to the shared socket; it keeps its own NACK buffer of encrypted
// packets, seq/timestamp continuity across source switches, and the counts behind RTCP sender reports.
// With the native addon, audio (no NACK buffer) is written straight into the socket's send batch
// (egress.ts) and sealed there.
import {RtcpSenderInfo, RtcpSrPacket, RtpHeader, type RTCDtlsTransport, type RTCRtpSender} from 'werift';
import type {Egress} from './egress';
import type {NativeGcmKey} from './native';
import type {MediaPacket, RtpWriter} from './rtpWriter';
import {GCM_TAG_LENGTH, KeystreamAhead, PROFILE_AEAD_AES_128_GCM, sessionCipher, type SessionCipher} from './srtpGcm';
import {PacketSink, SinkRoute, localSrtpContext} from '../werift/internals';
import {
  F_LAST_SEND_MS,
  SENT_WINDOW,
  W_CLOCK,
  W_FD,
  W_HIGHEST,
  W_IP,
  W_IV0,
  W_IV1,
  W_KEY,
  W_LAST_TS,
  W_OCTETS,
  W_PACKETS,
  W_PORT,
  W_PT,
  W_RAND_SEQ,
  W_RAND_TS,
  W_RESYNC,
  W_ROC,
  W_SALT2,
  W_SENT,
  W_SENT_COUNT,
  W_SEQ_OFFSET,
  W_SSRC,
  W_STARTED,
  W_TS_OFFSET,
  writerBlock,
  type Block,
} from './routeBlocks';

/** Encrypted packets kept per outgoing stream for NACK (power of two; rtcd's default is 256). */
const NACK_BUFFER = 512;
const RTP_HEADER_LENGTH = 12;
/**
 * Packets sent between two reads of the transport's state (connected, keys, selected pair, consent). Audio
 * sends 50 a second: a lost consent or a new pair is seen within ≈ 0.3 s (RFC 7675 allows seconds); closing
 * the stream stops it at once.
 */
const RECHECK_PACKETS = 16;

export class FastWriter implements RtpWriter {
  readonly #sender: RTCRtpSender;
  readonly #ssrc: number;
  /**
   * The per-packet state (numbering, roll-over counter, the indexes sent, sender-report counts, and the IV words,
   * key and destination the addon seals and sends with): routeBlocks.ts's writer block, which the addon's routes
   * write too.
   */
  readonly block: Block = writerBlock();
  // Keys and sink, bound to the transport's current SRTP session.
  #srtp: unknown;
  #gcm: KeystreamAhead | undefined;
  /** With the native addon: the key the batched sender seals with (its id is the block's W_KEY). */
  #nativeKey: NativeGcmKey | undefined;
  #cmHeader: RtpHeader | undefined;
  #sink: PacketSink | undefined;
  // The NACK buffer, only when the receiver negotiated generic NACK for this codec (video): audio is
  // never retransmitted, and holding its packets only grows the heap.
  #ring: (Buffer | undefined)[] | undefined;
  #ringSeq: Int32Array | undefined;
  #closed = false;
  // What the last recheck found: transport connected and keys bound, where packets go, and with the
  // native addon and no NACK buffer the batched sender the fan-out writes to (the destination is in the block).
  #up = false;
  #recheckIn = 0;
  #route = SinkRoute.None;
  #egress: Egress | undefined;

  constructor(sender: RTCRtpSender) {
    this.#sender = sender;
    this.#ssrc = sender.ssrc;
    this.block.i[W_SSRC] = sender.ssrc;
  }

  get dtlsTransport(): RTCDtlsTransport {
    return this.#sender.dtlsTransport;
  }

  /** Copies the addon sent for this stream (its native routes). */
  get nativeSent(): number {
    return this.block.i[W_SENT_COUNT];
  }

  write(rtp: MediaPacket): boolean {
    if (this.#closed) return false;
    const payload = rtp.payload;
    if (payload.length === 0) return false; // padding-only probes carry nothing for the receiver
    // werift's transport objects are slow to read (generic property loads): their state is read again only
    // every RECHECK_PACKETS packets while the stream is up, and on every packet while it is not.
    if (--this.#recheckIn < 0 || !this.#up) this.#recheck();
    if (!this.#up) return false;
    const s = this.block.i;
    const inSeq = rtp.sequenceNumber;
    const inTs = rtp.timestamp;
    if (s[W_STARTED] === 0) {
      s[W_STARTED] = 1;
      s[W_SEQ_OFFSET] = (s[W_RAND_SEQ] - inSeq) & 0xffff;
      s[W_TS_OFFSET] = s[W_RAND_TS] - inTs;
      s[W_HIGHEST] = (inSeq + s[W_SEQ_OFFSET] - 1) & 0xffff;
    } else if (s[W_RESYNC] === 1) {
      // A new source continues our numbering: next seq, and a timestamp advanced by the time elapsed.
      s[W_RESYNC] = 0;
      const step = Math.max(1, Math.round(((Date.now() - this.block.f[F_LAST_SEND_MS]) * s[W_CLOCK]) / 1000));
      s[W_SEQ_OFFSET] = (s[W_HIGHEST] + 1 - inSeq) & 0xffff;
      s[W_TS_OFFSET] = ((s[W_LAST_TS] >>> 0) + step - inTs) >>> 0;
    }
    const seq = (inSeq + s[W_SEQ_OFFSET]) & 0xffff;
    const ts = (inTs + s[W_TS_OFFSET]) >>> 0;
    const highest = s[W_HIGHEST];
    // RFC 3711 §3.3.1 index estimation for what we send: a forward jump past 65535 starts a new roll-over
    // period; a late packet from before the wrap belongs to the previous one.
    const delta = ((seq - highest + 0x8000) & 0xffff) - 0x8000;
    let roc = s[W_ROC] >>> 0;
    if (delta > 0) {
      if (seq < highest) roc++;
    } else if (seq > highest && roc > 0) {
      roc--;
    }
    // A packet index is encrypted once: a repeated one (the publisher sent a sequence number twice)
    // would reuse the AES-GCM nonce, which gives the authentication key away. Much older ones are dropped.
    const index = roc * 65536 + seq;
    const slot = W_SENT + (seq & (SENT_WINDOW - 1));
    if (delta <= 0 && (delta <= -SENT_WINDOW || s[slot] === (index | 0))) return false;
    s[slot] = index;
    if (delta > 0) {
      s[W_ROC] = roc;
      s[W_HIGHEST] = seq;
      s[W_LAST_TS] = ts;
      this.block.f[F_LAST_SEND_MS] = Date.now();
    }
    s[W_PACKETS] = s[W_PACKETS] + 1;
    s[W_OCTETS] = s[W_OCTETS] + payload.length;
    const route = this.#route;
    if (route === SinkRoute.None) return true;
    if (this.#egress) {
      // Into the send batch: the flush writes the header and seals the fan-out's one payload copy.
      this.#egress.queueFanout(
        this.#nativeKey!,
        payload,
        0x80000000 | (rtp.marker ? 0x800000 : 0) | (s[W_PT] << 16) | seq,
        ts,
        this.#ssrc,
        s[W_IV0],
        s[W_IV1] ^ (roc >>> 16),
        (((roc & 0xffff) << 16) | seq) ^ s[W_SALT2],
        s[W_IP],
        s[W_PORT],
      );
      return true;
    }
    const sink = this.#sink!;
    const packet = this.#gcm
      ? this.#encryptGcm(payload, seq, ts, rtp.marker, roc)
      : this.#encryptOther(this.#sender.dtlsTransport, payload, seq, ts, rtp.marker);
    sink.sendRouted(packet);
    if (this.#ring) {
      const nack = seq & (NACK_BUFFER - 1);
      this.#ring[nack] = packet;
      this.#ringSeq![nack] = seq;
    }
    return true;
  }

  /**
   * Whether the addon can write this stream's copies (nativeRoute.ts): the transport is up, the selected pair is on
   * a shared socket with a batched sender, the key is native and there is no NACK buffer. Reads the transport again
   * and brings the block's key and destination up to date.
   */
  nativeReady(): boolean {
    if (this.#closed) return false;
    this.#recheck();
    return this.#up && this.#egress !== undefined;
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
    if (this.block.i[W_STARTED] === 1) this.block.i[W_RESYNC] = 1;
  }

  /**
   * RFC 3550 §6.4.1: NTP time of now and the RTP time of the same instant, extrapolated from the
   * last packet sent at this stream's clock rate, with the cumulative packet and octet counts.
   */
  senderReport(nowMs: number): RtcpSrPacket | undefined {
    const s = this.block.i;
    if (this.#closed || s[W_PACKETS] === 0) return undefined;
    const elapsedTicks = Math.round(((nowMs - this.block.f[F_LAST_SEND_MS]) * s[W_CLOCK]) / 1000);
    return new RtcpSrPacket({
      ssrc: this.#ssrc,
      senderInfo: new RtcpSenderInfo({
        ntpTimestamp: ntpFromUnixMs(nowMs),
        rtpTimestamp: ((s[W_LAST_TS] >>> 0) + elapsedTicks) >>> 0,
        packetCount: s[W_PACKETS] >>> 0,
        octetCount: s[W_OCTETS] >>> 0,
      }),
    });
  }

  close(): void {
    this.#closed = true;
    this.#ring = undefined;
    this.block.i[W_KEY] = -1;
  }

  #recheck(): void {
    this.#recheckIn = RECHECK_PACKETS;
    const dtls = this.#sender.dtlsTransport;
    this.#up = dtls.state === 'connected' && this.#bind(dtls);
    this.#egress = undefined;
    if (!this.#up) return;
    const sink = this.#sink!;
    this.#route = sink.route();
    if (this.#route === SinkRoute.Egress && this.#nativeKey && !this.#ring && !sink.egress!.closed) {
      const s = this.block.i;
      this.#egress = sink.egress;
      s[W_IP] = sink.ip;
      s[W_PORT] = sink.port;
      s[W_FD] = sink.egress!.fd;
    }
  }

  /** Picks up keys, payload type and the packet sink once the transport is up (and after a DTLS restart). */
  #bind(dtls: RTCDtlsTransport): boolean {
    const srtp = dtls.srtp;
    if (!srtp) return false;
    if (srtp === this.#srtp && this.#sink) return true;
    const codec = this.#sender.codec;
    if (!codec) return false;
    const s = this.block.i;
    s[W_PT] = codec.payloadType;
    s[W_CLOCK] = codec.clockRate;
    const nack = (codec.rtcpFeedback ?? []).some((f) => f.type === 'nack' && !f.parameter);
    if (nack && !this.#ring) {
      this.#ring = new Array<Buffer | undefined>(NACK_BUFFER);
      this.#ringSeq = new Int32Array(NACK_BUFFER).fill(-1);
    } else if (!nack) {
      this.#ring = undefined;
    }
    const context = localSrtpContext(dtls)!;
    const cipher: SessionCipher | undefined =
      context.profile === PROFILE_AEAD_AES_128_GCM ? sessionCipher(context) : undefined;
    this.#gcm = cipher ? new KeystreamAhead(cipher, this.#ssrc) : undefined;
    // The block names the key only while this writer holds it: an id the addon reads is never a freed key's.
    this.#nativeKey = cipher?.native;
    s[W_KEY] = this.#nativeKey?.id ?? -1;
    if (cipher) {
      // RFC 7714 §8.1 IV words of this SSRC; the ROC and SEQ parts are XORed in per packet.
      s[W_IV0] = (this.#ssrc >>> 16) ^ cipher.salt0;
      s[W_IV1] = ((this.#ssrc & 0xffff) << 16) ^ cipher.salt1;
      s[W_SALT2] = cipher.salt2;
    }
    this.#cmHeader = this.#gcm ? undefined : new RtpHeader({payloadType: s[W_PT], ssrc: this.#ssrc});
    this.#sink = new PacketSink(dtls);
    this.#srtp = srtp;
    return true;
  }

  /** RFC 7714: IV = salt XOR (0 0 | SSRC | ROC | SEQ), AAD = the RTP header, tag appended. */
  #encryptGcm(payload: Buffer, seq: number, ts: number, marker: boolean, roc: number): Buffer {
    const gcm = this.#gcm!;
    const out = Buffer.allocUnsafe(RTP_HEADER_LENGTH + payload.length + GCM_TAG_LENGTH);
    writeRtpHeader(out, 0, marker, this.block.i[W_PT], seq, ts, this.#ssrc);
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
function writeRtpHeader(
  buf: Buffer,
  off: number,
  marker: boolean,
  payloadType: number,
  seq: number,
  ts: number,
  ssrc: number,
): void {
  buf[off] = 0x80;
  buf[off + 1] = (marker ? 0x80 : 0) | payloadType;
  buf.writeUInt16BE(seq, off + 2);
  buf.writeUInt32BE(ts, off + 4);
  buf.writeUInt32BE(ssrc, off + 8);
}

/** Seconds between the NTP (1900) and Unix (1970) epochs. */
const NTP_EPOCH_OFFSET = 2_208_988_800;

/** 64-bit NTP timestamp (RFC 5905: seconds since 1900 . 32-bit binary fraction) for a Unix time in ms. */
export function ntpFromUnixMs(ms: number): bigint {
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - seconds * 1000) / 1000) * 2 ** 32);
  return (BigInt(seconds + NTP_EPOCH_OFFSET) << 32n) | BigInt(fraction >>> 0);
}
