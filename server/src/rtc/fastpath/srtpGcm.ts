// SRTP AEAD_AES_128_GCM (RFC 7714) for the forwarding path without a cipher object per packet. Node
// cannot re-key or re-IV a GCM context, so createCipheriv per packet (~5 µs) was the largest cost of a
// forwarded packet; here one AES-128-ECB context per session key makes the counter-mode keystream
// (J0 for the tag, J0+1… for the payload) in one native call, and GHASH runs in JS (ghash.ts). Output is
// byte-identical to OpenSSL's GCM (srtpGcm tests).
// When the native addon is in use (native.ts) a SessionCipher also holds the key there, and its seal / open
// and KeystreamAhead go through it instead: this module is then the fallback and the reference.
import {createCipheriv, type Cipher} from 'node:crypto';
import {Ghash} from './ghash';
import {NativeGcmKey, rtcNative} from './native';

export const GCM_TAG_LENGTH = 16;
/** DTLS-SRTP protection profile id of AEAD_AES_128_GCM (RFC 7714 §14.2). */
export const PROFILE_AEAD_AES_128_GCM = 0x0007;

/** One AES-128-GCM key: the ECB key schedule and the GHASH table of H = E(K, 0^128). */
export class AesGcm {
  readonly #ecb: Cipher;
  readonly #ghash: Ghash;
  // Counter blocks IV || i+1 (i = 0 … n); the counter words never change, the IV words are rewritten
  // through a 32-bit view (little-endian words holding the big-endian bytes).
  #counters = Buffer.alloc(0);
  #counterWords = new Int32Array(0);

  constructor(key: Buffer) {
    if (key.length !== 16) throw new Error('AES-128-GCM needs a 16-byte key');
    this.#ecb = createCipheriv('aes-128-ecb', key, null);
    this.#ecb.setAutoPadding(false);
    this.#ghash = new Ghash(this.#ecb.update(Buffer.alloc(16)));
  }

  /**
   * Encrypts in place: `buf[0, aadLength)` is authenticated only, `buf[aadLength, aadLength+length)` is
   * encrypted, and the 16-byte tag is written right after it (buf must have room).
   */
  seal(buf: Buffer, aadLength: number, length: number, iv: Buffer): void {
    this.sealWords(buf, aadLength, length, iv.readInt32BE(0), iv.readInt32BE(4), iv.readInt32BE(8));
  }

  /** seal() with the IV given as three big-endian 32-bit words (no IV buffer to fill per packet). */
  sealWords(buf: Buffer, aadLength: number, length: number, iv0: number, iv1: number, iv2: number): void {
    this.sealWithKeystream(buf, aadLength, length, this.#keystream(iv0, iv1, iv2, length), 0);
  }

  /** seal() with a keystream made earlier (keystreams()): E(K, J0) at ks[off], the payload's from ks[off+16]. */
  sealWithKeystream(buf: Buffer, aadLength: number, length: number, ks: Buffer, off: number): void {
    const start = aadLength;
    const k = off + 16;
    for (let i = 0; i < length; i++) buf[start + i] ^= ks[k + i];
    const g = this.#ghash;
    g.hash(buf, aadLength, length);
    const end = start + length;
    buf.writeInt32BE(g.s0 ^ ks.readInt32BE(off), end);
    buf.writeInt32BE(g.s1 ^ ks.readInt32BE(off + 4), end + 4);
    buf.writeInt32BE(g.s2 ^ ks.readInt32BE(off + 8), end + 8);
    buf.writeInt32BE(g.s3 ^ ks.readInt32BE(off + 12), end + 12);
  }

  /**
   * Keystreams for several IVs in one AES call: slot j (of `blocksPerSlot` blocks) holds E(K, J0_j)
   * then the payload keystream of IV j. One native call per packet was most of the AES cost.
   */
  keystreams(ivWords: Int32Array, count: number, blocksPerSlot: number): Buffer {
    const blocks = count * blocksPerSlot;
    if (this.#slotCounters.length < blocks * 16 || this.#slotBlocks !== blocksPerSlot)
      this.#growSlotCounters(blocks, blocksPerSlot);
    const w = this.#slotWords;
    for (let j = 0, o = 0; j < count; j++) {
      const a = swap32(ivWords[j * 3]),
        b = swap32(ivWords[j * 3 + 1]),
        c = swap32(ivWords[j * 3 + 2]);
      for (let i = 0; i < blocksPerSlot; i++, o += 4) {
        w[o] = a;
        w[o + 1] = b;
        w[o + 2] = c;
      }
    }
    return this.#ecb.update(this.#slotCounters.subarray(0, blocks * 16));
  }

  #slotCounters = Buffer.alloc(0);
  #slotWords = new Int32Array(0);
  #slotBlocks = 0;

  #growSlotCounters(blocks: number, blocksPerSlot: number): void {
    this.#slotCounters = Buffer.alloc(blocks * 16);
    this.#slotWords = new Int32Array(this.#slotCounters.buffer, this.#slotCounters.byteOffset, blocks * 4);
    this.#slotBlocks = blocksPerSlot;
    for (let i = 0; i < blocks; i++) this.#slotCounters.writeInt32BE((i % blocksPerSlot) + 1, i * 16 + 12);
  }

  /**
   * Verifies and decrypts in place: `buf[0, aadLength)` authenticated, then ciphertext, then the tag at
   * `buf[end-16, end)`. Returns false (buffer untouched) when the tag does not match.
   */
  open(buf: Buffer, aadLength: number, end: number, iv: Buffer): boolean {
    return this.openWords(buf, aadLength, end, iv.readInt32BE(0), iv.readInt32BE(4), iv.readInt32BE(8));
  }

  /** open() with the IV as three big-endian 32-bit words. */
  openWords(buf: Buffer, aadLength: number, end: number, iv0: number, iv1: number, iv2: number): boolean {
    const length = end - GCM_TAG_LENGTH - aadLength;
    if (length < 0) return false;
    const g = this.#ghash;
    g.hash(buf, aadLength, length);
    const ks = this.#keystream(iv0, iv1, iv2, length);
    const tag = end - GCM_TAG_LENGTH;
    const diff =
      (buf.readInt32BE(tag) ^ g.s0 ^ ks.readInt32BE(0)) |
      (buf.readInt32BE(tag + 4) ^ g.s1 ^ ks.readInt32BE(4)) |
      (buf.readInt32BE(tag + 8) ^ g.s2 ^ ks.readInt32BE(8)) |
      (buf.readInt32BE(tag + 12) ^ g.s3 ^ ks.readInt32BE(12));
    if (diff !== 0) return false;
    for (let i = 0; i < length; i++) buf[aadLength + i] ^= ks[16 + i];
    return true;
  }

  /** E(K, J0) followed by the keystream for `length` bytes, J0 = IV || 0^31 || 1. */
  #keystream(iv0: number, iv1: number, iv2: number, length: number): Buffer {
    const blocks = 1 + ((length + 15) >>> 4);
    if (this.#counters.length < blocks * 16) this.#growCounters(blocks);
    const w = this.#counterWords;
    const a = swap32(iv0),
      b = swap32(iv1),
      c = swap32(iv2);
    for (let i = 0, o = 0; i < blocks; i++, o += 4) {
      w[o] = a;
      w[o + 1] = b;
      w[o + 2] = c;
    }
    return this.#ecb.update(this.#counters.subarray(0, blocks * 16));
  }

  #growCounters(blocks: number): void {
    const n = Math.max(blocks, 16) * 2;
    this.#counters = Buffer.alloc(n * 16);
    this.#counterWords = new Int32Array(this.#counters.buffer, this.#counters.byteOffset, n * 4);
    for (let i = 0; i < n; i++) this.#counters.writeInt32BE(i + 1, i * 16 + 12);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The 32-bit word whose in-memory bytes (on this machine) are `x`'s big-endian bytes. */
function swap32(x: number): number {
  return LITTLE_ENDIAN ? ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24) : x;
}

/** RFC 7714 §8.1: IV = salt XOR (0x0000 || SSRC || ROC || SEQ), written into `iv`. */
export function srtpIv(iv: Buffer, salt: Buffer, ssrc: number, roc: number, seq: number): void {
  iv.writeUInt16BE(0, 0);
  iv.writeUInt32BE(ssrc >>> 0, 2);
  iv.writeUInt32BE(roc >>> 0, 6);
  iv.writeUInt16BE(seq, 10);
  for (let i = 0; i < 12; i++) iv[i] ^= salt[i];
}

/** The members of werift's SRTP context (werift 0.25.2, rtp/src/srtp/context/context.js) read here. */
export interface SrtpContextKeys {
  profile: number;
  srtpSessionKey: Buffer;
  srtpSessionSalt: Buffer;
}

/** The IV words of the packet seal or open is working on (never held across a call). */
const iv = new Int32Array(3);

/**
 * One session's SRTP key in one direction, shared by all its streams: it seals and opens their packets
 * with the native key when this process uses the addon (native.ts), else with the JavaScript GCM.
 */
export class SessionCipher {
  /** The 12 bytes of the session salt the IV uses. */
  readonly salt: Buffer;
  /** The salt as three big-endian words, for sealWords/openWords. */
  readonly salt0: number;
  readonly salt1: number;
  readonly salt2: number;
  /** The same key in the native addon, when this process uses it (native.ts). */
  readonly native: NativeGcmKey | undefined;
  readonly #key: Buffer;
  #aes: AesGcm | undefined;

  constructor(context: SrtpContextKeys) {
    this.salt = Buffer.from(context.srtpSessionSalt.subarray(0, 12));
    this.salt0 = this.salt.readInt32BE(0);
    this.salt1 = this.salt.readInt32BE(4);
    this.salt2 = this.salt.readInt32BE(8);
    this.#key = Buffer.from(context.srtpSessionKey);
    const native = rtcNative();
    this.native = native ? new NativeGcmKey(native, this.#key) : undefined;
  }

  /** The JavaScript GCM (a cipher context and a 4 KB GHASH table), made on first use: unused beside a native key. */
  get aes(): AesGcm {
    return (this.#aes ??= new AesGcm(this.#key));
  }

  /** Encrypts an SRTP packet in place and appends its tag (see AesGcm.seal). */
  seal(buf: Buffer, headerLength: number, payloadLength: number, ssrc: number, roc: number, seq: number): void {
    writeIvWords(iv, 0, this, ssrc, roc, seq);
    const n = this.native;
    if (n) n.native.gcmSeal(n.id, buf, headerLength, payloadLength, iv[0], iv[1], iv[2]);
    else this.aes.sealWords(buf, headerLength, payloadLength, iv[0], iv[1], iv[2]);
  }

  /** Authenticates and decrypts an SRTP packet in place (see AesGcm.open); false if forged. */
  open(buf: Buffer, headerLength: number, end: number, ssrc: number, roc: number, seq: number): boolean {
    writeIvWords(iv, 0, this, ssrc, roc, seq);
    const n = this.native;
    if (n) return n.native.gcmOpen(n.id, buf, headerLength, end, iv[0], iv[1], iv[2]);
    return this.aes.openWords(buf, headerLength, end, iv[0], iv[1], iv[2]);
  }
}

const sessionCiphers = new WeakMap<object, SessionCipher>();

/** The cipher of a werift SRTP context (one per session and direction; a DTLS restart makes a new context). */
export function sessionCipher(context: SrtpContextKeys): SessionCipher {
  let c = sessionCiphers.get(context);
  if (!c) {
    c = new SessionCipher(context);
    sessionCiphers.set(context, c);
  }
  return c;
}

/** RFC 7714 §8.1 IV = salt XOR (0x0000 || SSRC || ROC || SEQ), as three big-endian 32-bit words at out[at…at+2]. */
function writeIvWords(out: Int32Array, at: number, c: SessionCipher, ssrc: number, roc: number, seq: number): void {
  out[at] = (ssrc >>> 16) ^ c.salt0;
  out[at + 1] = (((ssrc & 0xffff) << 16) | (roc >>> 16)) ^ c.salt1;
  out[at + 2] = (((roc & 0xffff) << 16) | seq) ^ c.salt2;
}

/** Payload bytes a pre-made keystream slot covers: Opus packets fit, bigger ones are sealed one by one. */
export const KEYSTREAM_SLOT_PAYLOAD = 13 * 16;
const KEYSTREAM_SLOT_BLOCKS = 1 + KEYSTREAM_SLOT_PAYLOAD / 16;
/** Packets whose keystream one AES call makes. */
const KEYSTREAM_AHEAD = 8;

/**
 * The keystreams of an outgoing stream's next packet indexes (ROC·65536 + SEQ), made KEYSTREAM_AHEAD at
 * a time. Each index is still sealed exactly once (the writer never repeats one), so this changes when the
 * keystream is computed, not what it is.
 */
export class KeystreamAhead {
  readonly #cipher: SessionCipher;
  readonly #ssrc: number;
  readonly #ivWords = new Int32Array(KEYSTREAM_AHEAD * 3);
  #first = -1;
  #ks: Buffer | undefined;

  constructor(cipher: SessionCipher, ssrc: number) {
    this.#cipher = cipher;
    this.#ssrc = ssrc;
  }

  get cipher(): SessionCipher {
    return this.#cipher;
  }

  /** Seals an SRTP packet (header of `headerLength` bytes, then the payload) for packet index roc·65536+seq. */
  seal(buf: Buffer, headerLength: number, payloadLength: number, roc: number, seq: number): void {
    const c = this.#cipher;
    const index = roc * 65536 + seq;
    // The native key seals a packet faster than JS can use a pre-made keystream.
    if (c.native || payloadLength > KEYSTREAM_SLOT_PAYLOAD || index < this.#first) {
      c.seal(buf, headerLength, payloadLength, this.#ssrc, roc, seq);
      return;
    }
    if (this.#first < 0 || index >= this.#first + KEYSTREAM_AHEAD) {
      const w = this.#ivWords;
      const ssrc = this.#ssrc;
      for (let j = 0; j < KEYSTREAM_AHEAD; j++) {
        const x = index + j;
        writeIvWords(w, j * 3, c, ssrc, Math.floor(x / 65536), x % 65536);
      }
      this.#ks = c.aes.keystreams(w, KEYSTREAM_AHEAD, KEYSTREAM_SLOT_BLOCKS);
      this.#first = index;
    }
    c.aes.sealWithKeystream(
      buf,
      headerLength,
      payloadLength,
      this.#ks!,
      (index - this.#first) * KEYSTREAM_SLOT_BLOCKS * 16,
    );
  }
}
