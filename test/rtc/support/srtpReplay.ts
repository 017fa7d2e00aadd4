// What a browser's SRTP receiver (libsrtp, as in Chrome and Firefox) accepts on one stream: the packet
// index is estimated from the sequence number (RFC 3711 §3.3.1, libsrtp's srtp_rdbx_estimate_index) and
// a packet whose index is not ahead of the highest seen, and not within the 128-packet replay window, is
// dropped before it reaches the decoder. werift receivers do not check this, so tests that must see what
// a browser hears run every packet through it.

const WINDOW = 128;
const HALF = 0x8000;

interface StreamState {
  highest: number;
  seen: Set<number>;
}

export class SrtpReplayCheck {
  readonly #streams = new Map<number, StreamState>();
  /** Packets a browser would have dropped, per SSRC. */
  readonly dropped = new Map<number, number>();

  /** True if a browser would accept this packet (and records it as received). */
  accept(ssrc: number, seq: number): boolean {
    const s = this.#streams.get(ssrc);
    if (!s) {
      this.#streams.set(ssrc, {highest: seq, seen: new Set([seq])});
      return true;
    }
    const index = estimateIndex(s.highest, seq);
    const delta = index - s.highest;
    let ok: boolean;
    if (delta > 0) {
      s.highest = index;
      ok = true;
    } else {
      ok = -delta < WINDOW && !s.seen.has(index);
    }
    if (ok) {
      s.seen.add(index);
      for (const i of s.seen) if (i <= s.highest - WINDOW) s.seen.delete(i);
    } else {
      this.dropped.set(ssrc, (this.dropped.get(ssrc) ?? 0) + 1);
    }
    return ok;
  }
}

/** libsrtp's index estimate for sequence number `seq` given the highest index received. */
function estimateIndex(highest: number, seq: number): number {
  // In the first half of the first roll-over period the index is the sequence number itself.
  if (highest < HALF) return seq;
  const roc = Math.floor(highest / 0x10000);
  const local = highest % 0x10000;
  let guess = roc;
  if (local < HALF) {
    if (seq - local > HALF) guess = roc - 1;
  } else if (local - HALF > seq) {
    guess = roc + 1;
  }
  return guess * 0x10000 + seq;
}
