// The fast forwarding path is byte-exact with werift's stock sender: the same input packets give the
// same decrypted output at the receiver (payload bytes, marker, payload type, sequence and timestamp
// progression), including a NACK retransmission, and a receiver's PLI reaches the sender either way;
// with the native addon (AES-GCM and batched sends) and with its JavaScript fallback.
import {GenericNack, RtcpTransportLayerFeedback, RtpHeader} from 'werift';
import {newId} from '../../server/src/ids';
import type {ForwardingMode} from '../../server/src/rtc/fastpath/forwarder';
import type {RtcNativeMode} from '../../server/src/rtc/fastpath/native';
import type {TestClient} from './support/client';
import {join, joinTwo, startServer} from './support/harness';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(60_000);

interface Observed {
  index: number;
  payload: Buffer;
  marker: boolean;
  pt: number;
  seq: number;
  ts: number;
}

interface Run {
  packets: Map<number, Observed>;
  retransmitted: Buffer | undefined;
  nackedIndex: number;
  plisAtSender: number;
  srtpProfile: number | undefined;
}

const INPUT_TS_STEP = 3000;

/** Deterministic input: packet i carries its index, some varied bytes, and a marker on every third. */
function inputPacket(i: number): {payload: Buffer; marker: boolean} {
  const payload = Buffer.alloc(200 + ((i * 37) % 900));
  payload.writeUInt32BE(i, 0);
  for (let k = 4; k < payload.length; k++) payload[k] = (i * 31 + k * 7) & 0xff;
  return {payload, marker: i % 3 === 2};
}

async function run(
  mode: ForwardingMode,
  clients: TestClient[],
  srtpProfiles?: number[],
  native: RtcNativeMode = 'required',
): Promise<Run> {
  const server = await startServer({forwarding: mode, native});
  try {
    const callID = newId();
    const a = await join(server, {callID});
    const b = await join(server, {callID, srtpProfiles});
    clients.push(a, b);
    a.screenOn('screen');
    const screen = await a.addTrack('video', 'screen');
    let plisAtSender = 0;
    screen.transceiver.sender.onPictureLossIndication.subscribe(() => plisAtSender++);
    const packets = new Map<number, Observed>();
    b.on(
      'rtp',
      (
        _rec: unknown,
        rtp: {
          payload: Buffer;
          header: {marker: boolean; payloadType: number; sequenceNumber: number; timestamp: number};
        },
      ) => {
        if (rtp.payload.length < 4) return;
        const index = rtp.payload.readUInt32BE(0);
        const o = {
          index,
          payload: Buffer.from(rtp.payload),
          marker: rtp.header.marker,
          pt: rtp.header.payloadType,
          seq: rtp.header.sequenceNumber,
          ts: rtp.header.timestamp,
        };
        if (packets.has(index)) retransmits.push(o);
        else packets.set(index, o);
      },
    );
    const retransmits: Observed[] = [];
    let i = 0;
    const timer = setInterval(() => {
      const {payload, marker} = inputPacket(i);
      a.sendRtp(screen.track, screen.transceiver, {
        payload,
        seq: 1000 + i,
        ts: 5000 + i * INPUT_TS_STEP,
        pt: 96,
        marker,
        ssrc: 424242,
      });
      i++;
    }, 15);
    try {
      await waitFor(() => packets.size >= 60, 15_000, `${mode}: receiving`);
      const rec = b.trackOfType('screen', a.sessionID)!;
      // NACK one packet B already has: the SFU must resend exactly it.
      const nackedIndex = [...packets.keys()].sort((x, y) => x - y)[packets.size - 20];
      const nacked = packets.get(nackedIndex)!;
      const nack = new GenericNack({
        senderSsrc: rec.transceiver.receiver.rtcpSsrc,
        mediaSourceSsrc: [...rec.ssrcs][0],
        lost: [nacked.seq],
      });
      await rec.transceiver.receiver.dtlsTransport.sendRtcp([new RtcpTransportLayerFeedback({feedback: nack})]);
      await waitFor(() => retransmits.some((r) => r.index === nackedIndex), 3000, `${mode}: retransmission`);
      // PLI from the receiver reaches the sender (once the subscription's own request has expired).
      await sleep(1100);
      const plisBefore = plisAtSender;
      await rec.transceiver.receiver.sendRtcpPLI([...rec.ssrcs][0]);
      await waitFor(() => plisAtSender > plisBefore, 3000, `${mode}: PLI at sender`);
      const srtpProfile = (await server.inspect(b.sessionID))?.srtpProfile;
      return {
        packets,
        nackedIndex,
        plisAtSender: plisAtSender - plisBefore,
        srtpProfile,
        retransmitted: retransmits.find((r) => r.index === nackedIndex)?.payload,
      };
    } finally {
      clearInterval(timer);
    }
  } finally {
    await server.close();
  }
}

describe('fast forwarding path', () => {
  const clients: TestClient[] = [];

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });

  it('delivers the same bytes as the stock sender, including NACK retransmissions and PLI', async () => {
    const stock = await run('stock', clients);
    const fast = await run('fast', clients);
    const fastJs = await run('fast', clients, undefined, 'off');
    // A receiver that only offers AES_CM_128_HMAC_SHA1_80 (older libwebrtc builds) gets the same.
    const fastCm = await run('fast', clients, [1]);
    expect(fast.srtpProfile).toBe(7); // AEAD_AES_128_GCM, the one-cipher-call path
    expect(fastJs.srtpProfile).toBe(7);
    expect(fastCm.srtpProfile).toBe(1);

    for (const r of [stock, fast, fastJs, fastCm]) {
      const indices = [...r.packets.keys()].sort((x, y) => x - y);
      const first = r.packets.get(indices[0])!;
      for (const i of indices) {
        const o = r.packets.get(i)!;
        const expected = inputPacket(i);
        expect(o.payload.equals(expected.payload)).toBe(true);
        expect(o.marker).toBe(expected.marker);
        expect(o.pt).toBe(96);
        expect((o.seq - first.seq + 65536) % 65536).toBe(i - first.index);
        expect((o.ts - first.ts + 2 ** 32) % 2 ** 32).toBe((i - first.index) * INPUT_TS_STEP);
      }
      expect(r.retransmitted?.equals(inputPacket(r.nackedIndex).payload)).toBe(true);
      expect(r.plisAtSender).toBe(1);
    }
    // Both paths delivered the same packets for every index they both carried.
    for (const r of [fast, fastJs]) {
      const common = [...r.packets.keys()].filter((i) => stock.packets.has(i));
      expect(common.length).toBeGreaterThan(40);
      for (const i of common) {
        const s = stock.packets.get(i)!;
        const f = r.packets.get(i)!;
        expect([f.payload.equals(s.payload), f.marker, f.pt]).toEqual([true, s.marker, s.pt]);
      }
    }
  });

  it.each(['required', 'off'] as const)(
    "takes audio off werift's receive path: byte-exact across a sequence wrap, replays and forgeries dropped (native addon %s)",
    async (native) => {
      const server = await startServer({forwarding: 'fast', native});
      try {
        const {a, b} = await joinTwo(server, clients);
        const mic = await a.addTrack('audio', 'mic');
        const t = mic.transceiver;
        const ext = (uri: string) => t.headerExtensions.find((e) => e.uri === uri)!.id;
        const conn = t.dtlsTransport.iceTransport.connection;
        // Every SRTP datagram A sends, as it went on the wire.
        const wire = new Map<number, Buffer>();
        const send = conn.send.bind(conn);
        conn.send = async (data: Buffer) => {
          if (data.length > 12 && data[1] === 111) wire.set(data.readUInt16BE(2), Buffer.from(data));
          return send(data);
        };
        const ssrc = t.sender.ssrc;
        const sendAudio = (i: number) => {
          const payload = Buffer.alloc(90 + (i % 40));
          payload.writeUInt32BE(i, 0);
          payload.fill(i & 0xff, 4);
          const header = new RtpHeader({
            payloadType: 111,
            sequenceNumber: (65500 + i) & 0xffff,
            timestamp: (i * 960) >>> 0,
            ssrc,
            marker: i === 0,
            extension: true,
            extensions: [
              {id: ext('urn:ietf:params:rtp-hdrext:sdes:mid'), payload: Buffer.from(t.mid!)},
              {id: ext('urn:ietf:params:rtp-hdrext:ssrc-audio-level'), payload: Buffer.from([0x80 | 30])},
            ],
          });
          void t.dtlsTransport.sendRtp(payload, header);
        };
        const received = () => (b.trackOfType('voice', a.sessionID)?.payloads ?? []).map((p) => p.readUInt32BE(0));
        // The first packets go through werift until the stream is known; then the fast path takes over.
        let i = 0;
        for (; i < 10; i++) {
          sendAudio(i);
          await sleep(20);
        }
        await waitFor(
          async () => (await server.inspect(a.sessionID))?.fastIngressStreams === 1,
          5000,
          'audio on the fast receive path',
        );
        // Through the sequence-number wrap (65500 + 36 = 0): the roll-over counter must follow.
        for (; i < 80; i++) {
          sendAudio(i);
          await sleep(5);
        }
        await waitFor(() => received().includes(79), 5000, 'packets after the wrap');
        const before = received().length;
        // A replayed datagram and a forged one (header changed, so the tag no longer matches) go nowhere.
        await send(wire.get((65500 + 50) & 0xffff)!);
        const forged = Buffer.from(wire.get((65500 + 60) & 0xffff)!);
        forged.writeUInt16BE((65500 + 200) & 0xffff, 2);
        await send(forged);
        const tampered = Buffer.from(wire.get((65500 + 61) & 0xffff)!);
        tampered[tampered.length - 20] ^= 0x01;
        tampered.writeUInt16BE((65500 + 201) & 0xffff, 2);
        await send(tampered);
        for (; i < 90; i++) {
          sendAudio(i);
          await sleep(5);
        }
        await waitFor(() => received().includes(89), 5000, 'packets after the replay');
        const got = received();
        expect(got.length).toBe(before + 10);
        // Every packet once, in order, byte-exact (payload i carries i).
        expect(got).toEqual([...new Set(got)]);
        expect(got.slice(-80)).toEqual(Array.from({length: 80}, (_, k) => 10 + k));
        const payloads = b.trackOfType('voice', a.sessionID)!.payloads;
        for (const p of payloads) {
          const k = p.readUInt32BE(0);
          expect(p.length).toBe(90 + (k % 40));
          expect(p.subarray(4).every((x) => x === (k & 0xff))).toBe(true);
        }
      } finally {
        await server.close();
      }
    },
  );

  it('never encrypts one packet index twice: a publisher repeating a sequence number does not reach receivers again', async () => {
    const server = await startServer({forwarding: 'fast'});
    try {
      const {a, b} = await joinTwo(server, clients);
      a.screenOn('screen');
      const screen = await a.addTrack('video', 'screen');
      const indices: number[] = [];
      b.on('rtp', (_rec: unknown, rtp: {payload: Buffer}) => {
        if (rtp.payload.length >= 4) indices.push(rtp.payload.readUInt32BE(0));
      });
      const send = (i: number, seq: number) => {
        const payload = Buffer.alloc(300, i & 0xff);
        payload.writeUInt32BE(i, 0);
        a.sendRtp(screen.track, screen.transceiver, {
          payload,
          seq,
          ts: 5000 + seq * 3000,
          pt: 96,
          marker: true,
          ssrc: 777,
        });
      };
      let i = 0;
      for (; i < 40; i++) {
        send(i, 2000 + i);
        await sleep(15);
      }
      await waitFor(() => indices.includes(39), 10_000, 'screen packets');
      // Same sequence numbers, new contents: the SFU must not send them (it would reuse their nonces).
      send(1001, 2000 + 38);
      send(1002, 2000 + 39);
      for (; i < 50; i++) {
        send(i, 2000 + i);
        await sleep(15);
      }
      await waitFor(() => indices.includes(49), 5000, 'packets after the repeats');
      expect(indices).not.toContain(1001);
      expect(indices).not.toContain(1002);
    } finally {
      await server.close();
    }
  });
});
