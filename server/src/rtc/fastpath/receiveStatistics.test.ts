// recordReceived (through saveStatistics) must leave werift's StreamStatistics exactly as werift's own add() would: the receiver reports
// (fraction lost, cumulative loss, highest sequence, jitter) and getStats are read from those fields.
import path from 'node:path';
import {loadStatistics, recordReceived, saveStatistics, type StreamStatisticsFields} from './receiveStatistics';
import {ingressBlock} from './routeBlocks';

type WeriftStatistics = StreamStatisticsFields & {
  add(
    packet: {header: {sequenceNumber: number; timestamp: number; serializeSize: number}; payload: {length: number}},
    now: number,
  ): void;
  readonly fraction_lost: number;
  readonly packets_lost: number;
  readonly jitter: number;
};

// werift does not export the class; its file is loaded by path (the package's exports map hides it).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a path outside the package's exports
const {StreamStatistics} = require(
  path.join(path.dirname(require.resolve('werift')), 'media/receiver/statistics.js'),
) as {StreamStatistics: new (clockRate: number) => WeriftStatistics};

/** A deterministic generator (tests must not depend on Math.random's sequence). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

interface Packet {
  seq: number;
  ts: number;
  header: number;
  payload: number;
  nowMs: number;
}

/** An audio stream at 50 packets/s with jittery arrivals, reordering, duplicates, losses and a sequence wrap. */
function stream(seed: number, count: number, clockRate: number): Packet[] {
  const rand = lcg(seed);
  const packets: Packet[] = [];
  let seq = 65536 - 300; // wraps within the run
  let ts = 4294967295 - 20000;
  let nowMs = 1_765_000_000_123.4;
  for (let i = 0; i < count; i++) {
    seq = (seq + 1) & 0xffff;
    ts = (ts + clockRate / 50) >>> 0;
    nowMs += 20 + (rand() - 0.5) * 12;
    const r = rand();
    if (r < 0.03) continue; // lost
    const p = {seq, ts, header: 12 + 8 * Math.floor(rand() * 2), payload: 40 + Math.floor(rand() * 120), nowMs};
    if (r < 0.06 && packets.length > 0) {
      // arrives before the one sent ahead of it
      const prev = packets.pop()!;
      packets.push({...p}, {...prev, nowMs: p.nowMs + 1});
    } else {
      packets.push(p);
    }
    if (r > 0.98) packets.push({...p, nowMs: p.nowMs + 2}); // a duplicate
  }
  return packets;
}

const FIELDS: (keyof StreamStatisticsFields)[] = [
  'base_seq',
  'max_seq',
  'cycles',
  'packets_received',
  'bytesReceived',
  'headerBytesReceived',
  'jitter_q4',
  'last_arrival',
  'last_timestamp',
];

describe('recordReceived', () => {
  it.each([48000, 90000, 8000])('updates werift statistics at %i Hz exactly as werift does, through a wrap', (rate) => {
    const theirs = new StreamStatistics(rate);
    const ours = new StreamStatistics(rate);
    // The block is what the fast path updates; werift's object is written from it before a report reads it.
    const block = ingressBlock();
    loadStatistics(block, ours);
    const packets = stream(rate, 2000, rate);
    let reports = 0;
    for (const [i, p] of packets.entries()) {
      theirs.add(
        {header: {sequenceNumber: p.seq, timestamp: p.ts, serializeSize: p.header}, payload: {length: p.payload}},
        p.nowMs / 1000,
      );
      recordReceived(block, p.seq, p.ts, p.header, p.payload, p.nowMs);
      saveStatistics(block, ours);
      for (const f of FIELDS) expect([f, ours[f]]).toEqual([f, theirs[f]]);
      expect(ours.lastPacketReceivedTimestamp).toBe(p.nowMs);
      if (i % 50 === 49) {
        // what a receiver report reads (fraction_lost advances its interval on each read)
        expect([ours.fraction_lost, ours.packets_lost, ours.jitter]).toEqual([
          theirs.fraction_lost,
          theirs.packets_lost,
          theirs.jitter,
        ]);
        reports++;
      }
    }
    expect(reports).toBeGreaterThan(30);
    // The run saw loss, a wrap and jitter: the comparison covered those paths.
    expect(ours.cycles).toBe(65536);
    expect(ours.packets_lost).toBeGreaterThan(0);
    expect(ours.jitter).toBeGreaterThan(0);
  });
});
