// The receive half of the fast path: audio RTP of a session, once its stream is known, is taken off the
// shared socket before werift sees it, authenticated and decrypted in place (AES-GCM, srtpGcm.ts),
// its header read where it lies, and handed to the forwarding source. werift's receive path (an event
// and a promise per layer, header objects parsed bit by bit, a clone per packet) cost as much as all
// the sends of an 8-user call. Video, RTCP and anything unknown still go through werift, which keeps
// NACK generation, simulcast and RTCP; receiver-report statistics are fed from here.
import {recordReceived, type StreamStatisticsFields} from './receiveStatistics';
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
  /** werift's per-SSRC receive statistics (its receiver reports are built from them), updated here. */
  statistics?: StreamStatisticsFields;
  deliver: IngressDeliver;
}

/** How far back (packets) a late packet is still accepted; older ones and repeats are replays (RFC 3711 §3.3.2). */
const REPLAY_WINDOW = 128;

class IngressStream {
  readonly ssrc: number;
  readonly #deliver: IngressDeliver;
  readonly #audioLevelId: number;
  readonly #statistics: StreamStatisticsFields | undefined;
  // RFC 3711 §3.3.1 state: roll-over counter and highest sequence number (s_l).
  #roc: number;
  #highest: number;
  readonly #seen = new Float64Array(REPLAY_WINDOW).fill(-1);

  constructor(o: IngressStreamOptions) {
    this.ssrc = o.ssrc;
    this.#deliver = o.deliver;
    this.#audioLevelId = o.audioLevelId ?? -1;
    this.#statistics = o.statistics;
    this.#roc = o.rolloverCounter;
    this.#highest = o.lastSequenceNumber;
  }

  /** True when the datagram was ours to handle (delivered, or dropped as forged / replayed). */
  take(data: Buffer, cipher: SessionCipher): boolean {
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
    const seq = (data[2] << 8) | data[3];
    // Index estimate (RFC 3711 §3.3.1): v is the ROC this packet was sent with.
    let v = this.#roc;
    if (this.#highest < 32768) {
      if (seq - this.#highest > 32768) v = this.#roc - 1;
    } else if (this.#highest - 32768 > seq) {
      v = this.#roc + 1;
    }
    if (v < 0) return true;
    const index = v * 65536 + seq;
    const newest = this.#roc * 65536 + this.#highest;
    if (index <= newest - REPLAY_WINDOW || this.#seen[index % REPLAY_WINDOW] === index) return true;
    if (!cipher.open(data, headerLength, end, this.ssrc, v, seq)) return true;
    this.#seen[index % REPLAY_WINDOW] = index;
    if (index > newest) {
      this.#roc = v;
      this.#highest = seq;
    }
    const timestamp = data.readUInt32BE(4);
    let payloadEnd = end - GCM_TAG_LENGTH;
    // RFC 3550 padding: the last byte counts the padding bytes (werift strips it the same way).
    if (b0 & 0x20 && payloadEnd > headerLength) payloadEnd = Math.max(headerLength, payloadEnd - data[payloadEnd - 1]);
    const payload = data.subarray(headerLength, payloadEnd);
    let level: number | undefined;
    if (extStart >= 0 && this.#audioLevelId >= 0) level = oneByteExtension(data, extStart, extEnd, this.#audioLevelId);
    if (this.#statistics) recordReceived(this.#statistics, seq, timestamp, headerLength, payload.length, Date.now());
    this.#deliver(seq, timestamp, (data[1] & 0x80) !== 0, payload, level);
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

  /** Binds to the session's remote SRTP context; a new context (DTLS restart) drops the streams back to werift. */
  bind(context: unknown, cipher: SessionCipher): void {
    if (context === this.#context) return;
    this.#streams.clear();
    this.#context = context;
    this.#cipher = cipher;
  }

  get context(): unknown {
    return this.#context;
  }

  add(o: IngressStreamOptions): void {
    this.#streams.set(o.ssrc, new IngressStream(o));
  }

  remove(ssrc: number): void {
    this.#streams.delete(ssrc);
  }

  clear(): void {
    this.#streams.clear();
    this.#context = undefined;
  }

  /** Called for every datagram of the session; false leaves it to werift (DTLS, STUN, RTCP, video, unknown SSRCs). */
  take(data: Buffer): boolean {
    if (data.length < 12 || (data[0] & 0xc0) !== 0x80) return false;
    const pt = data[1] & 0x7f;
    // RTCP (RFC 5761): a lone receiver report is dropped unread, anything else goes to werift.
    if (pt >= 64 && pt <= 95) return data[1] === RTCP_RR && isLoneReceiverReport(data);
    if (this.#streams.size === 0 || data.length < 12 + GCM_TAG_LENGTH) return false;
    const stream = this.#streams.get(data.readUInt32BE(8));
    if (!stream) return false;
    return stream.take(data, this.#cipher!);
  }
}
