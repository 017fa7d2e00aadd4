// The per-packet state of a received audio stream (ingress.ts) and of one receiver's copy of a stream
// (fastWriter.ts), kept in Int32Arrays instead of object fields: the native addon forwards packets of an installed
// route with the same arrays (server/native/routes.c, whose #defines must match these indexes), so a packet may
// take either path and there is one copy of the numbering, replay window, statistics and counters. Doubles come
// first (read through a Float64Array over the same memory), then 32-bit words.

/** Ingress block: Float64 indexes. */
export const F_RECEIVED_AT = 0;
export const F_LAST_ARRIVAL = 1;
export const F_BYTES = 2;
export const F_HEADER_BYTES = 3;
/** Payload bytes of the packets the addon took (JS adds them to the upstream track's counts). */
export const F_TAKEN_BYTES = 4;
export const F_OUT_BYTES = 5;
/** The addon's last sampled write time per copy, seconds. */
export const F_WRITE_SECONDS = 6;
export const F_JITTER_Q4 = 7;
/** Ingress block: Int32 indexes. */
export const I_ROC = 16;
export const I_HIGHEST = 17;
/** -1 until the first packet. */
export const I_BASE_SEQ = 18;
export const I_MAX_SEQ = 19;
export const I_CYCLES = 20;
export const I_RECEIVED = 21;
export const I_CLOCK_RATE = 22;
export const I_LAST_TS = 23;
export const I_LAST_TS_SET = 24;
/** 1: receive statistics are kept (a receiver whose reports nobody reads keeps none). */
export const I_STATS = 25;
export const I_PAUSED = 26;
export const I_LEVEL_ID = 27;
export const I_SALT0 = 28;
export const I_SALT1 = 29;
export const I_SALT2 = 30;
/** Packets the addon took, the copies it sent, the audio levels it wrote, the write times it sampled. */
export const I_TAKEN = 32;
export const I_PACKETS_OUT = 33;
export const I_LEVELS_WRITTEN = 34;
export const I_WRITE_SAMPLES = 35;
export const I_SEEN = 40;
export const REPLAY_WINDOW = 128;
/** A ring of the last LEVEL_RING audio levels the addon read (RFC 6464), for voice activity. */
export const I_LEVELS = I_SEEN + REPLAY_WINDOW;
export const LEVEL_RING = 64;
export const INGRESS_WORDS = I_LEVELS + LEVEL_RING;

/** Writer block: Float64 index. */
export const F_LAST_SEND_MS = 0;
/** Writer block: Int32 indexes. */
export const W_STARTED = 2;
export const W_RESYNC = 3;
export const W_SEQ_OFFSET = 4;
export const W_TS_OFFSET = 5;
export const W_HIGHEST = 6;
export const W_ROC = 7;
export const W_LAST_TS = 8;
export const W_PACKETS = 9;
export const W_OCTETS = 10;
export const W_PT = 11;
export const W_CLOCK = 12;
export const W_SSRC = 13;
export const W_IV0 = 14;
export const W_IV1 = 15;
export const W_SALT2 = 16;
/** The native key the copies are sealed with, -1 when there is none. */
export const W_KEY = 17;
export const W_IP = 18;
export const W_PORT = 19;
export const W_FD = 20;
/** Where the numbering starts (random per stream), taken on the first packet. */
export const W_RAND_SEQ = 21;
export const W_RAND_TS = 22;
/** Copies written (DownstreamTrack.sent). */
export const W_SENT_COUNT = 23;
/** The low 32 bits of the index last sent in each slot. */
export const W_SENT = 32;
export const SENT_WINDOW = 256;
export const WRITER_WORDS = W_SENT + SENT_WINDOW;

export interface Block {
  readonly i: Int32Array;
  readonly f: Float64Array;
}

function block(words: number): Block {
  const i = new Int32Array(words);
  return {i, f: new Float64Array(i.buffer, 0, 8)};
}

export function ingressBlock(): Block {
  const b = block(INGRESS_WORDS);
  b.i[I_BASE_SEQ] = -1;
  b.i[I_MAX_SEQ] = -1;
  b.i.fill(-1, I_SEEN, I_SEEN + REPLAY_WINDOW);
  b.i[I_LEVEL_ID] = -1;
  b.f[F_RECEIVED_AT] = NaN;
  b.f[F_LAST_ARRIVAL] = NaN;
  return b;
}

export function writerBlock(): Block {
  const b = block(WRITER_WORDS);
  b.i.fill(-1, W_SENT, W_SENT + SENT_WINDOW);
  b.i[W_KEY] = -1;
  b.i[W_FD] = -1;
  b.i[W_CLOCK] = 90000;
  b.i[W_RAND_SEQ] = Math.floor(Math.random() * 0x8000);
  b.i[W_RAND_TS] = Math.floor(Math.random() * 0x7fffffff);
  return b;
}
