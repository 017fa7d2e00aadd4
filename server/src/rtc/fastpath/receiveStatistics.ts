// Receive statistics of a stream the fast path took over, kept in werift's own StreamStatistics object (its
// receiver reports and getStats read them there). werift's add() costs more than the rest of a packet's receive:
// it truncates a float by printing and parsing it (`int`), and reads two clocks. This is the same update (RFC 3550
// A.3 counts, A.8 jitter, as werift computes them), with one clock read and Math.trunc.
import {uint16Gt} from 'werift';

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
  s: StreamStatisticsFields,
  seq: number,
  timestamp: number,
  headerBytes: number,
  payloadBytes: number,
  nowMs: number,
): void {
  const maxSeq = s.max_seq;
  const inOrder = maxSeq === undefined || uint16Gt(seq, maxSeq);
  s.packets_received++;
  s.bytesReceived += payloadBytes;
  s.headerBytesReceived += headerBytes;
  s.lastPacketReceivedTimestamp = nowMs;
  if (s.base_seq === undefined) s.base_seq = seq;
  if (!inOrder) return;
  // The same float expression as werift's, so both give the same arrival tick.
  const arrival = Math.trunc((nowMs / 1000) * s.clockRate);
  if (maxSeq !== undefined && seq < maxSeq) s.cycles += 1 << 16;
  s.max_seq = seq;
  if (timestamp !== s.last_timestamp && s.packets_received > 1) {
    const diff = Math.abs(arrival - (s.last_arrival ?? 0) - (timestamp - (s.last_timestamp ?? 0)));
    s.jitter_q4 += diff - ((s.jitter_q4 + 8) >> 4);
  }
  s.last_arrival = arrival;
  s.last_timestamp = timestamp;
}
