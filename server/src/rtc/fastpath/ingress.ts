// The receive half of the fast path: audio RTP of a session, once its stream is known, is taken off the
// shared socket before werift sees it, authenticated and decrypted in place (AES-GCM, srtpGcm.ts),
// its header read where it lies, and handed to the forwarding source. werift's receive path (an event
// and a promise per layer, header objects parsed bit by bit, a clone per packet) cost as much as all
// the sends of an 8-user call. Video, RTCP and anything unknown still go through werift, which keeps
// NACK generation, simulcast and RTCP; receiver-report statistics are fed from here.
import type {Address} from '../net/address';
import type {NativeRoute} from './nativeRoute';
import {loadStatistics, recordReceived, saveStatistics, type StreamStatisticsFields} from './receiveStatistics';
import {
  I_HIGHEST,
  I_LEVEL_ID,
  I_ROC,
  I_SALT0,
  I_SALT1,
  I_SALT2,
  I_SEEN,
  I_STATS,
  REPLAY_WINDOW,
  ingressBlock,
  type Block,
} from './routeBlocks';
import {GCM_TAG_LENGTH, type SessionCipher} from './srtpGcm';

/** What the session does with one authenticated packet (payload is a view into the datagram). */
export type IngressDeliver = (
  sequenceNumber: number,
  timestamp: number,
  marker: boolean,
  payload: Buffer,
  audioLevel: number | undefined,
) => void;

export interface IngressStreamOptions {
  ssrc: number;
  /** ROC and highest sequence number werift's SRTP context reached for this SSRC. */
  rolloverCounter: number;
  lastSequenceNumber: number;
  /** Header-extension id of ssrc-audio-level, if negotiated. */
  audioLevelId?: number;
  /** werift's per-SSRC receive statistics (its receiver reports are built from them), kept from here on. */
  statistics?: StreamStatisticsFields;
  deliver: IngressDeliver;
}

/** One received stream; its state is in `block` (routeBlocks.ts), shared with the addon's route when it has one. */
class IngressStream {
  readonly ssrc: number;
  readonly block: Block;
  readonly statistics: StreamStatisticsFields | undefined;
  readonly #deliver: IngressDeliver;
  readonly #audioLevelId: number;
  /** The addon's route for this stream (nativeRoute.ts), when the session installs one. */
  route: NativeRoute | undefined;

  constructor(o: IngressStreamOptions, cipher: SessionCipher) {
    this.ssrc = o.ssrc;
    this.#deliver = o.deliver;
    this.#audioLevelId = o.audioLevelId ?? -1;
    this.statistics = o.statistics;
    const b = (this.block = ingressBlock());
    const s = b.i;
    s[I_ROC] = o.rolloverCounter;
    s[I_HIGHEST] = o.lastSequenceNumber;
    s[I_LEVEL_ID] = this.#audioLevelId;
    s[I_SALT0] = cipher.salt0;
    s[I_SALT1] = cipher.salt1;
    s[I_SALT2] = cipher.salt2;
    if (o.statistics) {
      s[I_STATS] = 1;
      loadStatistics(b, o.statistics);
    }
  }

  /** True when the datagram was ours to handle (delivered, or dropped as forged / replayed). */
  take(data: Buffer, cipher: SessionCipher, from: Address | undefined, receiver: number | undefined): boolean {
    const end = data.length;
    const b0 = data[0];
    let headerLength = 12 + 4 * (b0 & 0x0f);
    let extStart = -1;
    let extEnd = -1;
    if (b0 & 0x10) {
      if (headerLength + 4 > end) return true;
      extStart = headerLength + 4;
      extEnd = extStart + 4 * data.readUInt16BE(headerLength + 2);
      if (data.readUInt16BE(headerLength) !== 0xbede) extStart = -1;
      headerLength = extEnd;
    }
    if (headerLength + GCM_TAG_LENGTH > end) return true;
    const s = this.block.i;
    const seq = (data[2] << 8) | data[3];
    const roc = s[I_ROC];
    const highest = s[I_HIGHEST];
    // Index estimate (RFC 3711 §3.3.1): v is the ROC this packet was sent with.
    let v = roc;
    if (highest < 32768) {
      if (seq - highest > 32768) v = roc - 1;
    } else if (highest - 32768 > seq) {
      v = roc + 1;
    }
    if (v < 0) return true;
    const index = v * 65536 + seq;
    const newest = roc * 65536 + highest;
    const slot = I_SEEN + (index % REPLAY_WINDOW);
    if (index <= newest - REPLAY_WINDOW || s[slot] === (index | 0)) return true;
    if (!cipher.open(data, headerLength, end, this.ssrc, v, seq)) return true;
    s[slot] = index;
    if (index > newest) {
      s[I_ROC] = v;
      s[I_HIGHEST] = seq;
    }
    const timestamp = data.readUInt32BE(4);
    let payloadEnd = end - GCM_TAG_LENGTH;
    // RFC 3550 padding: the last byte counts the padding bytes (werift strips it the same way).
    if (b0 & 0x20 && payloadEnd > headerLength) payloadEnd = Math.max(headerLength, payloadEnd - data[payloadEnd - 1]);
    const payload = data.subarray(headerLength, payloadEnd);
    let level: number | undefined;
    if (extStart >= 0 && this.#audioLevelId >= 0) level = oneByteExtension(data, extStart, extEnd, this.#audioLevelId);
    if (this.statistics) recordReceived(this.block, seq, timestamp, headerLength, payload.length, Date.now());
    this.#deliver(seq, timestamp, (data[1] & 0x80) !== 0, payload, level);
    // Only an authentic packet tells the route where the stream comes from.
    this.route?.seen(from, receiver);
    return true;
  }
}

/** The audio level (0–127, −dBov) from RFC 6464's one-byte extension, if present. */
function oneByteExtension(data: Buffer, start: number, end: number, id: number): number | undefined {
  let p = start;
  while (p < end) {
    const b = data[p];
    if (b === 0) {
      p++; // padding
      continue;
    }
    const extId = b >> 4;
    const len = (b & 0x0f) + 1;
    if (extId === 15) return undefined;
    if (extId === id) return p + 1 < end ? data[p + 1] & 0x7f : undefined;
    p += 1 + len;
  }
  return undefined;
}

const RTCP_RR = 201;

/**
 * An SRTCP packet that is exactly one receiver report (what werift receivers send every second per
 * track, and browsers with reduced-size RTCP). Its header is in the clear; the SFU takes nothing from
 * receiver reports (loss and RTT stats of forwarded streams), so it skips decrypting them. The trailer is
 * tag + index: 16 + 4 bytes with AES-GCM, 10 + 4 with AES-CM; RTCP lengths are multiples of 4, so the
 * total length tells which.
 */
function isLoneReceiverReport(data: Buffer): boolean {
  const total = data.length;
  const trailer = total % 4 === 0 ? GCM_TAG_LENGTH + 4 : 14;
  return (data.readUInt16BE(2) + 1) * 4 === total - trailer;
}

/** One session's fast receive path: the key of its remote SRTP context and the streams taken over. */
export class Ingress {
  readonly #streams = new Map<number, IngressStream>();
  #cipher: SessionCipher | undefined;
  #context: unknown;

  get size(): number {
    return this.#streams.size;
  }

  /** Streams whose native route is installed. */
  get routed(): number {
    let n = 0;
    for (const stream of this.#streams.values()) if (stream.route?.installed) n++;
    return n;
  }

  /** Binds to the session's remote SRTP context; a new context (DTLS restart) drops the streams back to werift. */
  bind(context: unknown, cipher: SessionCipher): void {
    if (context === this.#context) return;
    this.#closeRoutes();
    this.#streams.clear();
    this.#context = context;
    this.#cipher = cipher;
  }

  get context(): unknown {
    return this.#context;
  }

  /** Takes a stream over; returns its state block (routeBlocks.ts). */
  add(o: IngressStreamOptions): Block {
    this.remove(o.ssrc);
    const stream = new IngressStream(o, this.#cipher!);
    this.#streams.set(o.ssrc, stream);
    return stream.block;
  }

  /** Gives the stream's packets to a native route from now on, while the route can forward them. */
  setRoute(ssrc: number, route: NativeRoute): void {
    const stream = this.#streams.get(ssrc);
    if (stream) stream.route = route;
    else route.close();
  }

  remove(ssrc: number): void {
    this.#streams.get(ssrc)?.route?.close();
    this.#streams.delete(ssrc);
  }

  clear(): void {
    this.#closeRoutes();
    this.#streams.clear();
    this.#context = undefined;
  }

  /** Writes every stream's receive statistics into werift's objects (before receiver reports are built). */
  saveStatistics(): void {
    for (const stream of this.#streams.values()) if (stream.statistics) saveStatistics(stream.block, stream.statistics);
  }

  #closeRoutes(): void {
    for (const stream of this.#streams.values()) stream.route?.close();
  }

  /**
   * Called for every datagram of the session; false leaves it to werift (DTLS, STUN, RTCP, video, unknown SSRCs).
   * `from` and `receiver` (the batched receiver that read it) let a stream's native route learn its source.
   */
  take(data: Buffer, from?: Address, receiver?: number): boolean {
    if (data.length < 12 || (data[0] & 0xc0) !== 0x80) return false;
    const pt = data[1] & 0x7f;
    // RTCP (RFC 5761): a lone receiver report is dropped unread, anything else goes to werift.
    if (pt >= 64 && pt <= 95) return data[1] === RTCP_RR && isLoneReceiverReport(data);
    if (this.#streams.size === 0 || data.length < 12 + GCM_TAG_LENGTH) return false;
    const stream = this.#streams.get(data.readUInt32BE(8));
    if (!stream) return false;
    return stream.take(data, this.#cipher!, from, receiver);
  }
}
