// What load-test senders put in their packets, built the same way in every client process so that a lean
// receiver in another process can tell, from a decrypted sample, that it got a sender's payload intact:
// Opus-framed audio (one 20 ms CELT frame, code 0) and VP8-sized screen packets, each a fixed byte pattern.

/** Opus TOC byte: config 31 (CELT fullband, 20 ms), mono, code 0 (one frame) — RFC 6716 §3.1. */
export const OPUS_TOC = 31 << 3;
export const AUDIO_MIN_BYTES = 100;
export const AUDIO_MAX_BYTES = 160;
export const VIDEO_PACKET_BYTES = 1100;

function patterned(length: number, first: number): Buffer {
  const b = Buffer.alloc(length);
  b[0] = first;
  for (let k = 1; k < length; k++) b[k] = (k * 7 + length) & 0xff;
  return b;
}

/** The audio payload of `length` bytes (AUDIO_MIN_BYTES … AUDIO_MAX_BYTES). */
export function audioPayload(length: number): Buffer {
  return patterned(length, OPUS_TOC);
}

export function videoPayload(): Buffer {
  return patterned(VIDEO_PACKET_BYTES, 0x90);
}

function matches(p: Buffer, first: number): boolean {
  const length = p.length;
  if (p[0] !== first) return false;
  for (let k = 1; k < length; k++) if (p[k] !== ((k * 7 + length) & 0xff)) return false;
  return true;
}

/** Whether a decrypted payload is exactly what a load sender of that kind sends. */
export function isSentPayload(p: Buffer, kind: 'audio' | 'video'): boolean {
  if (kind === 'audio') return p.length >= AUDIO_MIN_BYTES && p.length <= AUDIO_MAX_BYTES && matches(p, OPUS_TOC);
  return p.length === VIDEO_PACKET_BYTES && matches(p, 0x90);
}
