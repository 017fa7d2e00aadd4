// GHASH, the authentication half of AES-GCM (NIST SP 800-38D §6.4), in JS on a 4 KB table of multiples
// of H (Shoup's 8-bit method). The state lives in four int fields and the multiply is unrolled, so
// absorbing a packet allocates nothing: this is the hottest loop of a packet forwarded without the
// native addon.

/** R8[r]: the reduction term (top 16 bits of the first word) for the byte r shifted out by a ×x^8. */
const R8 = (() => {
  const t = new Int32Array(256);
  for (let r = 0; r < 256; r++) {
    let v = 0;
    for (let k = 0; k < 8; k++) if (r & (1 << k)) v ^= 0xe100 >>> (7 - k);
    t[r] = v << 16;
  }
  return t;
})();

/** The GHASH of one key H = E(K, 0^128): hash() a packet, then read the result from s0…s3. */
export class Ghash {
  /** table[b*4 … b*4+3] = b·H as four big-endian 32-bit words (b in GCM bit order). */
  readonly #table = new Int32Array(256 * 4);
  /** The state, four big-endian words: after hash(), the tag before the E(K, J0) mask. */
  s0 = 0;
  s1 = 0;
  s2 = 0;
  s3 = 0;

  /** h: the 16 bytes of H = E(K, 0^128). */
  constructor(h: Buffer) {
    let v0 = h.readInt32BE(0),
      v1 = h.readInt32BE(4),
      v2 = h.readInt32BE(8),
      v3 = h.readInt32BE(12);
    // H·x^j for j = 0…7 (a right shift in GCM's reflected bit order, reduced by x^128 = x^7+x^2+x+1).
    const hx: number[][] = [];
    for (let j = 0; j < 8; j++) {
      hx.push([v0, v1, v2, v3]);
      const carry = v3 & 1;
      v3 = (v3 >>> 1) | (v2 << 31);
      v2 = (v2 >>> 1) | (v1 << 31);
      v1 = (v1 >>> 1) | (v0 << 31);
      v0 = (v0 >>> 1) ^ (carry ? 0xe1000000 : 0);
    }
    const t = this.#table;
    for (let b = 0; b < 256; b++) {
      let a0 = 0,
        a1 = 0,
        a2 = 0,
        a3 = 0;
      for (let j = 0; j < 8; j++) {
        if (b & (0x80 >>> j)) {
          a0 ^= hx[j][0];
          a1 ^= hx[j][1];
          a2 ^= hx[j][2];
          a3 ^= hx[j][3];
        }
      }
      t[b * 4] = a0;
      t[b * 4 + 1] = a1;
      t[b * 4 + 2] = a2;
      t[b * 4 + 3] = a3;
    }
  }

  /** GHASH of buf[0, aadLength) as the authenticated data and the `length` bytes after it as ciphertext. */
  hash(buf: Buffer, aadLength: number, length: number): void {
    this.#reset();
    this.#absorb(buf, 0, aadLength);
    this.#absorb(buf, aadLength, length);
    this.#lengths(aadLength, length);
  }

  #reset(): void {
    this.s0 = 0;
    this.s1 = 0;
    this.s2 = 0;
    this.s3 = 0;
  }

  #lengths(aadLength: number, length: number): void {
    // 64-bit bit lengths; SRTP packets are far below 2^29 bytes, so the high words are zero.
    this.#mul(this.s0, this.s1 ^ (aadLength * 8), this.s2, this.s3 ^ (length * 8));
  }

  /** Absorbs buf[off, off+len) zero-padded to a whole number of blocks. */
  #absorb(buf: Buffer, off: number, len: number): void {
    const full = off + (len & ~15);
    let p = off;
    for (; p < full; p += 16) {
      this.#mul(
        this.s0 ^ ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]),
        this.s1 ^ ((buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7]),
        this.s2 ^ ((buf[p + 8] << 24) | (buf[p + 9] << 16) | (buf[p + 10] << 8) | buf[p + 11]),
        this.s3 ^ ((buf[p + 12] << 24) | (buf[p + 13] << 16) | (buf[p + 14] << 8) | buf[p + 15]),
      );
    }
    const rest = off + len - p;
    if (rest > 0) {
      let x0 = 0,
        x1 = 0,
        x2 = 0,
        x3 = 0;
      for (let i = 0; i < rest; i++) {
        const v = buf[p + i] << (24 - 8 * (i & 3));
        if (i < 4) x0 |= v;
        else if (i < 8) x1 |= v;
        else if (i < 12) x2 |= v;
        else x3 |= v;
      }
      this.#mul(this.s0 ^ x0, this.s1 ^ x1, this.s2 ^ x2, this.s3 ^ x3);
    }
  }

  /** state = (s0..s3)·H, one byte at a time from the last (Shoup); unrolled, it is the hottest loop of a forwarded packet. */
  #mul(s0: number, s1: number, s2: number, s3: number): void {
    const t = this.#table;
    let i = (s3 & 0xff) << 2;
    let z0 = t[i],
      z1 = t[i + 1],
      z2 = t[i + 2],
      z3 = t[i + 3],
      r = 0;
    r = z3 & 0xff;
    z3 = (z3 >>> 8) | (z2 << 24);
    z2 = (z2 >>> 8) | (z1 << 24);
    z1 = (z1 >>> 8) | (z0 << 24);
    z0 = (z0 >>> 8) ^ R8[r];
    i = ((s3 >>> 8) & 0xff) << 2;
    z0 ^= t[i];
    z1 ^= t[i + 1];
    z2 ^= t[i + 2];
    z3 ^= t[i + 3];
    r = z3 & 0xff;
    z3 = (z3 >>> 8) | (z2 << 24);
    z2 = (z2 >>> 8) | (z1 << 24);
    z1 = (z1 >>> 8) | (z0 << 24);
    z0 = (z0 >>> 8) ^ R8[r];
    i = ((s3 >>> 16) & 0xff) << 2;
    z0 ^= t[i];
    z1 ^= t[i + 1];
    z2 ^= t[i + 2];
    z3 ^= t[i + 3];
    r = z3 & 0xff;
    z3 = (z3 >>> 8) | (z2 << 24);
    z2 = (z2 >>> 8) | (z1 << 24);
    z1 = (z1 >>> 8) | (z0 << 24);
    z0 = (z0 >>> 8) ^ R8[r];
    i = ((s3 >>> 24) & 0xff) << 2;
    z0 ^= t[i];
    z1 ^= t[i + 1];
    z2 ^= t[i + 2];
    z3 ^= t[i + 3];
    r = z3 & 0xff;
    z3 = (z3 >>> 8) | (z2 << 24);
    z2 = (z2 >>> 8) | (z1 << 24);
    z1 = (z1 >>> 8) | (z0 << 24);
    z0 = (z0 >>> 8) ^ R8[r];
    i = (s2 & 0xff) << 2;
    z0 ^= t[i];
    z1 ^= t[i + 1];
    z2 ^= t[i + 2];
    z3 ^= t[i + 3];
    r = z3 & 0xff;
    z3 = (z3 >>> 8) | (z2 << 24);
    z2 = (z2 >>> 8) | (z1 << 24);
    z1 = (z1 >>> 8) | (z0 << 24);
    z0 = (z0 >>> 8) ^ R8[r];
    i = ((s2 >>> 8) & 0xff) << 2;
    z0 ^= t[i];
    z1 ^= t[i + 1];
    z2 ^= t[i + 2];
    z3 ^= t[i + 3];
    r = z3 & 0xff;
    z3 = (z3 >>> 8) | (z2 << 24);
    z2 = (z2 >>> 8) | (z1 << 24);
    z1 = (z1 >>> 8) | (z0 << 24);
    z0 = (z0 >>> 8) ^ R8[r];
    i = ((s2 >>> 16) & 0xff) << 2;
    z0 ^= t[i];
    z1 ^= t[i + 1];
    z2 ^= t[i + 2];
    z3 ^= t[i + 3];
    r = z3 & 0xff;
    z3 = (z3 >>> 8) | (z2 << 24);
    z2 = (z2 >>> 8) | (z1 << 24);
    z1 = (z1 >>> 8) | (z0 << 24);
    z0 = (z0 >>> 8) ^ R8[r];
    i = ((s2 >>> 24) & 0xff) << 2;
    z0 ^= t[i];
    z1 ^= t[i + 1];
    z2 ^= t[i + 2];
    z3 ^= t[i + 3];
    r = z3 & 0xff;
    z3 = (z3 >>> 8) | (z2 << 24);
    z2 = (z2 >>> 8) | (z1 << 24);
    z1 = (z1 >>> 8) | (z0 << 24);
    z0 = (z0 >>> 8) ^ R8[r];
    i = (s1 & 0xff) << 2;
    z0 ^= t[i];
    z1 ^= t[i + 1];
    z2 ^= t[i + 2];
    z3 ^= t[i + 3];
    r = z3 & 0xff;
    z3 = (z3 >>> 8) | (z2 << 24);
    z2 = (z2 >>> 8) | (z1 << 24);
    z1 = (z1 >>> 8) | (z0 << 24);
    z0 = (z0 >>> 8) ^ R8[r];
    i = ((s1 >>> 8) & 0xff) << 2;
    z0 ^= t[i];
    z1 ^= t[i + 1];
    z2 ^= t[i + 2];
    z3 ^= t[i + 3];
    r = z3 & 0xff;
    z3 = (z3 >>> 8) | (z2 << 24);
    z2 = (z2 >>> 8) | (z1 << 24);
    z1 = (z1 >>> 8) | (z0 << 24);
    z0 = (z0 >>> 8) ^ R8[r];
    i = ((s1 >>> 16) & 0xff) << 2;
    z0 ^= t[i];
    z1 ^= t[i + 1];
    z2 ^= t[i + 2];
    z3 ^= t[i + 3];
    r = z3 & 0xff;
    z3 = (z3 >>> 8) | (z2 << 24);
    z2 = (z2 >>> 8) | (z1 << 24);
    z1 = (z1 >>> 8) | (z0 << 24);
    z0 = (z0 >>> 8) ^ R8[r];
    i = ((s1 >>> 24) & 0xff) << 2;
    z0 ^= t[i];
    z1 ^= t[i + 1];
    z2 ^= t[i + 2];
    z3 ^= t[i + 3];
    r = z3 & 0xff;
    z3 = (z3 >>> 8) | (z2 << 24);
    z2 = (z2 >>> 8) | (z1 << 24);
    z1 = (z1 >>> 8) | (z0 << 24);
    z0 = (z0 >>> 8) ^ R8[r];
    i = (s0 & 0xff) << 2;
    z0 ^= t[i];
    z1 ^= t[i + 1];
    z2 ^= t[i + 2];
    z3 ^= t[i + 3];
    r = z3 & 0xff;
    z3 = (z3 >>> 8) | (z2 << 24);
    z2 = (z2 >>> 8) | (z1 << 24);
    z1 = (z1 >>> 8) | (z0 << 24);
    z0 = (z0 >>> 8) ^ R8[r];
    i = ((s0 >>> 8) & 0xff) << 2;
    z0 ^= t[i];
    z1 ^= t[i + 1];
    z2 ^= t[i + 2];
    z3 ^= t[i + 3];
    r = z3 & 0xff;
    z3 = (z3 >>> 8) | (z2 << 24);
    z2 = (z2 >>> 8) | (z1 << 24);
    z1 = (z1 >>> 8) | (z0 << 24);
    z0 = (z0 >>> 8) ^ R8[r];
    i = ((s0 >>> 16) & 0xff) << 2;
    z0 ^= t[i];
    z1 ^= t[i + 1];
    z2 ^= t[i + 2];
    z3 ^= t[i + 3];
    r = z3 & 0xff;
    z3 = (z3 >>> 8) | (z2 << 24);
    z2 = (z2 >>> 8) | (z1 << 24);
    z1 = (z1 >>> 8) | (z0 << 24);
    z0 = (z0 >>> 8) ^ R8[r];
    i = ((s0 >>> 24) & 0xff) << 2;
    z0 ^= t[i];
    z1 ^= t[i + 1];
    z2 ^= t[i + 2];
    z3 ^= t[i + 3];
    this.s0 = z0;
    this.s1 = z1;
    this.s2 = z2;
    this.s3 = z3;
  }
}
