// Receive statistics of a stream the fast path took over. werift keeps them in its StreamStatistics object (its
// receiver reports and getStats read them there), and its add() costs more than the rest of a packet's receive: it
// truncates a float by printing and parsing it (`int`), and reads two clocks. Here the same update (RFC 3550 A.3
// counts, A.8 jitter, as werift computes them) is made with one clock read and Math.trunc, into the stream's ingress
// block (routeBlocks.ts), which the native addon updates the same way for the packets it forwards; saveStatistics
// writes them back into werift's object before a report is built from it.
import {uint16Gt} from 'werift';
import {
  F_BYTES,
  F_HEADER_BYTES,
  F_JITTER_Q4,
  F_LAST_ARRIVAL,
  F_RECEIVED_AT,
  I_BASE_SEQ,
  I_CLOCK_RATE,
  I_CYCLES,
  I_LAST_TS,
  I_LAST_TS_SET,
  I_MAX_SEQ,
  I_RECEIVED,
  type Block,
} from './routeBlocks';

/** The fields of werift's StreamStatistics (media/receiver/statistics.js) that one received packet updates. */
export interface StreamStatisticsFields {
  base_seq: number | undefined;
  max_seq: number | undefined;
  cycles: number;
  packets_received: number;
  bytesReceived: number;
  headerBytesReceived: number;
  /** Epoch milliseconds (werift: performance.timeOrigin + performance.now()). */
  lastPacketReceivedTimestamp: number | undefined;
  clockRate: number;
  jitter_q4: number;
  last_arrival: number | undefined;
  last_timestamp: number | undefined;
}

/** One packet received at `nowMs` (epoch milliseconds), as werift's StreamStatistics.add(packet, nowMs / 1000). */
export function recordReceived(
  b: Block,
  seq: number,
  timestamp: number,
  headerBytes: number,
  payloadBytes: number,
  nowMs: number,
): void {
  const s = b.i;
  const f = b.f;
  const maxSeq = s[I_MAX_SEQ];
  const inOrder = maxSeq < 0 || uint16Gt(seq, maxSeq);
  const received = ++s[I_RECEIVED];
  f[F_BYTES] += payloadBytes;
  f[F_HEADER_BYTES] += headerBytes;
  f[F_RECEIVED_AT] = nowMs;
  if (s[I_BASE_SEQ] < 0) s[I_BASE_SEQ] = seq;
  if (!inOrder) return;
  // The same float expression as werift's, so both give the same arrival tick.
  const arrival = Math.trunc((nowMs / 1000) * s[I_CLOCK_RATE]);
  if (maxSeq >= 0 && seq < maxSeq) s[I_CYCLES] += 1 << 16;
  s[I_MAX_SEQ] = seq;
  const tsSet = s[I_LAST_TS_SET] === 1;
  const lastTs = tsSet ? s[I_LAST_TS] >>> 0 : 0;
  if (!(tsSet && timestamp === lastTs) && received > 1) {
    const lastArrival = f[F_LAST_ARRIVAL];
    const diff = Math.abs(arrival - (Number.isNaN(lastArrival) ? 0 : lastArrival) - (timestamp - lastTs));
    const jitter = f[F_JITTER_Q4];
    f[F_JITTER_Q4] = jitter + (diff - ((jitter + 8) >> 4));
  }
  f[F_LAST_ARRIVAL] = arrival;
  s[I_LAST_TS] = timestamp;
  s[I_LAST_TS_SET] = 1;
}

/** Starts a block from what werift counted so far (the packets it received before the takeover). */
export function loadStatistics(b: Block, w: StreamStatisticsFields): void {
  const s = b.i;
  const f = b.f;
  s[I_BASE_SEQ] = w.base_seq ?? -1;
  s[I_MAX_SEQ] = w.max_seq ?? -1;
  s[I_CYCLES] = w.cycles;
  s[I_RECEIVED] = w.packets_received;
  s[I_CLOCK_RATE] = w.clockRate;
  s[I_LAST_TS] = w.last_timestamp ?? 0;
  s[I_LAST_TS_SET] = w.last_timestamp === undefined ? 0 : 1;
  f[F_BYTES] = w.bytesReceived;
  f[F_HEADER_BYTES] = w.headerBytesReceived;
  f[F_RECEIVED_AT] = w.lastPacketReceivedTimestamp ?? NaN;
  f[F_LAST_ARRIVAL] = w.last_arrival ?? NaN;
  f[F_JITTER_Q4] = w.jitter_q4;
}

/** Writes a block's statistics into werift's object (before a receiver report is built from it). */
export function saveStatistics(b: Block, w: StreamStatisticsFields): void {
  const s = b.i;
  const f = b.f;
  w.base_seq = s[I_BASE_SEQ] < 0 ? undefined : s[I_BASE_SEQ];
  w.max_seq = s[I_MAX_SEQ] < 0 ? undefined : s[I_MAX_SEQ];
  w.cycles = s[I_CYCLES];
  w.packets_received = s[I_RECEIVED];
  w.bytesReceived = f[F_BYTES];
  w.headerBytesReceived = f[F_HEADER_BYTES];
  w.lastPacketReceivedTimestamp = Number.isNaN(f[F_RECEIVED_AT]) ? undefined : f[F_RECEIVED_AT];
  w.jitter_q4 = f[F_JITTER_Q4];
  w.last_arrival = Number.isNaN(f[F_LAST_ARRIVAL]) ? undefined : f[F_LAST_ARRIVAL];
  w.last_timestamp = s[I_LAST_TS_SET] === 1 ? s[I_LAST_TS] >>> 0 : undefined;
}
