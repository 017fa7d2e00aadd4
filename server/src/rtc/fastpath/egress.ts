// Batched sends on one shared IPv4 UDP socket through the native addon: datagrams queued while a receive batch
// is handled leave in one sendmmsg(2) when the batch ends, those queued elsewhere when the event-loop turn ends
// (setImmediate); in the order they were queued. Forwarded SRTP is written straight into the arena and sealed by
// the flush, so a forwarded audio packet costs one copy of its payload in JS and no per-packet call into native
// code.
import type {NativeGcmKey, RtcNative} from './native';
import type {Address} from '../net/address';
import {atReceiveBatchEnd, receiveBatchOpen} from '../net/receiveBatchEnd';

/** Words per packet descriptor (DESC_WORDS in rtc_native.c). */
const DESCRIPTOR_WORDS = 20;
const MAX_PACKETS = 2048;
const ARENA_BYTES = 2 * 1024 * 1024;
/** The largest datagram queued (bigger ones cannot be UDP payload anyway). */
const MAX_DATAGRAM = 65_507;
const GCM_TAG_LENGTH = 16;
const RTP_HEADER_LENGTH = 12;

/** IPv4 literals seen as destinations → their address as a 32-bit word (bounded: cleared when large). */
const ipv4Words = new Map<string, number | null>();
const IPV4_CACHE_LIMIT = 10_000;

/** The 32-bit word of an IPv4 literal, or null for anything else (IPv6, a name). */
export function ipv4Word(host: string): number | null {
  let w = ipv4Words.get(host);
  if (w === undefined) {
    const parts = host.split('.');
    const octets = parts.map(Number);
    w =
      parts.length === 4 && octets.every((o, i) => Number.isInteger(o) && o >= 0 && o <= 255 && parts[i] !== '')
        ? (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3] | 0
        : null;
    if (ipv4Words.size >= IPV4_CACHE_LIMIT) ipv4Words.clear();
    ipv4Words.set(host, w);
  }
  return w;
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port <= 65535;
}

export class Egress {
  readonly #native: RtcNative;
  readonly #fd: number;
  /** Where queued packets are laid out; valid for writing until the next queue call. */
  readonly arena = Buffer.allocUnsafeSlow(ARENA_BYTES);
  readonly #descriptors = new Int32Array(MAX_PACKETS * DESCRIPTOR_WORDS);
  /** Keys of the packets waiting to be sealed, held so none is freed before the flush. */
  readonly #keys: (NativeGcmKey | undefined)[] = [];
  #count = 0;
  #used = 0;
  /** The payload of the fan-out being queued, and where its one copy is in the arena (until the next flush). */
  #fanoutPayload: Buffer | undefined;
  #fanoutOffset = -1;
  #scheduled = false;
  #closed = false;
  readonly #flushSoon = () => {
    this.#scheduled = false;
    this.flush();
  };
  /** Datagrams the flushes dropped (refused by the kernel, or a bad descriptor). */
  failed = 0;

  constructor(native: RtcNative, fd: number) {
    this.#native = native;
    this.#fd = fd;
  }

  /** The socket it sends on (native routes send their copies there too). */
  get fd(): number {
    return this.#fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Queues a copy of `data` for addr; false if the address is not one this egress sends to (not IPv4). */
  queue(data: Buffer, addr: Address): boolean {
    const ip = ipv4Word(addr[0]);
    if (ip === null || !validPort(addr[1]) || this.#closed) return false;
    const length = data.length;
    if (length === 0 || length > MAX_DATAGRAM) return true;
    const off = this.#reserve(length, ip, addr[1], -1, undefined);
    data.copy(this.arena, off);
    return true;
  }

  /**
   * Queues one receiver's copy of a forwarded RTP packet: the flush writes the 12-byte header (h0: V=2, marker,
   * payload type and sequence number; then timestamp and SSRC) and seals `payload` into it with `key`. Every
   * receiver of one packet shares one copy of the payload in the arena (same Buffer, same flush).
   */
  queueFanout(
    key: NativeGcmKey,
    payload: Buffer,
    h0: number,
    timestamp: number,
    ssrc: number,
    iv0: number,
    iv1: number,
    iv2: number,
    ip: number,
    port: number,
  ): void {
    const length = payload.length;
    const wire = RTP_HEADER_LENGTH + length + GCM_TAG_LENGTH;
    let src = payload === this.#fanoutPayload ? this.#fanoutOffset : -1;
    // Room for the copy and, when not there yet, the payload itself, in this batch.
    const need = src < 0 ? wire + length + 8 : wire;
    if (this.#count === MAX_PACKETS || this.#used + need > ARENA_BYTES) {
      this.flush();
      src = -1;
    }
    if (src < 0) {
      src = this.#used;
      this.#used += (length + 7) & ~7;
      payload.copy(this.arena, src);
      this.#fanoutPayload = payload;
      this.#fanoutOffset = src;
    }
    this.#reserve(wire, ip, port, key.id, key);
    const w = this.#descriptors;
    const o = (this.#count - 1) * DESCRIPTOR_WORDS;
    w[o + 3] = RTP_HEADER_LENGTH;
    w[o + 4] = iv0;
    w[o + 5] = iv1;
    w[o + 6] = iv2;
    w[o + 13] = src;
    w[o + 14] = h0;
    w[o + 15] = timestamp;
    w[o + 16] = ssrc;
  }

  #reserve(length: number, ip: number, port: number, keyId: number, key: NativeGcmKey | undefined): number {
    if (this.#count === MAX_PACKETS || this.#used + length > ARENA_BYTES) this.flush();
    const off = this.#used;
    this.#used += (length + 7) & ~7;
    const w = this.#descriptors;
    const o = this.#count * DESCRIPTOR_WORDS;
    w[o] = off;
    w[o + 1] = length;
    w[o + 2] = keyId;
    w[o + 7] = 4;
    w[o + 8] = port;
    w[o + 9] = ip;
    w[o + 13] = -1;
    this.#keys[this.#count] = key;
    this.#count++;
    if (!this.#scheduled) {
      this.#scheduled = true;
      if (receiveBatchOpen()) atReceiveBatchEnd(this.#flushSoon);
      else setImmediate(this.#flushSoon);
    }
    return off;
  }

  /** Sends everything queued (also run at the end of every receive batch or event-loop turn that queued something). */
  flush(): void {
    const count = this.#count;
    if (count === 0) return;
    this.#count = 0;
    this.#used = 0;
    this.#fanoutPayload = undefined;
    if (this.#closed) return;
    this.failed += this.#native.flush(this.#fd, this.arena, this.#descriptors, count)[1];
    this.#keys.fill(undefined, 0, count);
  }

  /** Sends what is queued and stops (the socket is about to close). */
  close(): void {
    this.flush();
    this.#closed = true;
  }
}
