// Screen simulcast: a sharer sends layers l and h; each receiver starts on l and moves to the layer
// its estimated bandwidth (REMB) allows, without renegotiation and with continuous sequence numbers.
import {randomBytes} from 'node:crypto';
import {newId} from '../../server/src/ids';
import type {EmbeddedRtcServer} from '../../server/src/rtc';
import type {ReceivedTrack, TestClient} from './support/client';
import {join, startServer} from './support/harness';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(60_000);

describe('screen simulcast', () => {
  let server: EmbeddedRtcServer;
  const clients: TestClient[] = [];
  let stop: (() => void) | undefined;

  beforeAll(async () => {
    server = await startServer({enableSimulcast: true, timeouts: {layerSwitchBackoffMs: 1000}});
  });

  afterAll(async () => {
    stop?.();
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  });

  const layerOf = (payload: Buffer) => String.fromCharCode(payload[0]);
  const recentLayers = (rec: ReceivedTrack, n = 10) => new Set(rec.payloads.slice(-n).map(layerOf));

  it('gives each receiver the layer its bandwidth allows', async () => {
    const callID = newId();
    const a = await join(server, {callID});
    const fast = await join(server, {callID});
    const slow = await join(server, {callID});
    clients.push(a, fast, slow);
    a.screenOn('screen-a');
    const tx = await a.addSimulcastScreen('screen-a');
    let seq = 0;
    const ssrc = {l: randomBytes(4).readUInt32BE(0), h: randomBytes(4).readUInt32BE(0)};
    const timer = setInterval(() => {
      for (const rid of ['l', 'h'] as const) {
        const payload = Buffer.concat([Buffer.from(rid), randomBytes(rid === 'h' ? 1000 : 200)]);
        a.sendRawRtp(tx, {payload, seq, ts: seq * 3000, pt: 96, ssrc: ssrc[rid], rid});
      }
      seq++;
    }, 20);
    stop = () => clearInterval(timer);

    await waitFor(
      () => fast.packetsFrom('screen', a.sessionID) > 20 && slow.packetsFrom('screen', a.sessionID) > 20,
      15_000,
      'both receiving the screen',
    );
    const atFast = fast.trackOfType('screen', a.sessionID)!;
    const atSlow = slow.trackOfType('screen', a.sessionID)!;
    // New receivers start on the low layer.
    expect(recentLayers(atFast)).toEqual(new Set(['l']));
    expect(recentLayers(atSlow)).toEqual(new Set(['l']));

    // The fast receiver reports plenty of bandwidth: it moves up; the slow one stays down.
    const remb = setInterval(() => {
      fast.sendRemb(atFast, 8_000_000);
      slow.sendRemb(atSlow, 300_000);
    }, 200);
    try {
      await waitFor(
        () => recentLayers(atFast).size === 1 && recentLayers(atFast).has('h'),
        10_000,
        'fast receiver on h',
      );
      expect(recentLayers(atSlow)).toEqual(new Set(['l']));
      const offers = fast.serverOffers;
      // One receive stream throughout: the switch needs no renegotiation and keeps sequence numbers going.
      expect(atFast.ssrcs.size).toBe(1);
      expect(fast.serverOffers).toBe(offers);
      const switchAt = atFast.payloads.findIndex((p) => layerOf(p) === 'h');
      const around = atFast.seqs.slice(Math.max(0, switchAt - 5), switchAt + 5);
      around.slice(1).forEach((s, k) => expect((s - around[k] + 65536) % 65536).toBe(1));

      clearInterval(remb);
      const down = setInterval(() => fast.sendRemb(atFast, 200_000), 200);
      try {
        await waitFor(
          () => recentLayers(atFast).size === 1 && recentLayers(atFast).has('l'),
          10_000,
          'fast receiver back on l',
        );
      } finally {
        clearInterval(down);
      }
    } finally {
      clearInterval(remb);
    }
    await sleep(10);
  });
});
