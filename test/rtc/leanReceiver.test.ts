// The load test's lean receivers (test/loadtest/leanReceiver.ts) really receive: 20 of them in a call with
// two speakers that send real Opus complete ICE and DTLS with the SFU, count every packet of both speakers,
// and the packets they sample decrypt to Opus that decodes and is the frame that stream's speaker sent. A
// datagram with a flipped byte, a broken tag, another stream's SSRC or an SSRC nobody announced, or a replay,
// is reported as such instead of counted as verified.
import OpusScript from 'opusscript';
import type {MediaStreamTrack, RTCRtpTransceiver} from 'werift';
import {newId} from '../../server/src/ids';
import type {EmbeddedRtcServer} from '../../server/src/rtc';
import {batchedReceiveAvailable, batchedReceiveStats} from '../../server/src/rtc/net/batchedReceive';
import {LeanReceiver, type LeanStream} from '../loadtest/leanReceiver';
import {TestClient} from './support/client';
import {directSignaling, join, newSession, startServer} from './support/harness';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(90_000);

const RECEIVERS = 20;
const SAMPLE_EVERY = 10;
const FRAME = 960;

/** Ten distinct 20 ms Opus frames of a tone (what a speaker "says", cycled). */
function opusFrames(hz: number): Buffer[] {
  const enc = new OpusScript(48_000, 1, OpusScript.Application.AUDIO, {wasm: true});
  const frames: Buffer[] = [];
  for (let f = 0; f < 10; f++) {
    const pcm = Buffer.alloc(FRAME * 2);
    for (let i = 0; i < FRAME; i++)
      pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * hz * (f * FRAME + i)) / 48_000)), i * 2);
    frames.push(Buffer.from(enc.encode(pcm, FRAME)));
  }
  enc.delete();
  return frames;
}

interface Speaker {
  client: TestClient;
  track: MediaStreamTrack;
  transceiver: RTCRtpTransceiver;
  frames: Buffer[];
  sent: number;
}

let server: EmbeddedRtcServer | undefined;
const clients: TestClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await server?.close();
});

async function joinLean(
  s: EmbeddedRtcServer,
  callID: string,
  check: (r: LeanReceiver) => (payload: Buffer, stream: LeanStream) => boolean,
  tap?: (datagram: Buffer, stream: LeanStream) => void,
): Promise<LeanReceiver> {
  const sessionID = await newSession(s, callID);
  const client = new TestClient({sessionID, signaling: directSignaling(s), record: false});
  clients.push(client);
  const lean: LeanReceiver = new LeanReceiver(client, {
    sampleEvery: SAMPLE_EVERY,
    check: (p, st) => check(lean)(p, st),
    tap,
  });
  await client.start();
  lean.attach();
  await client.waitConnected(20_000);
  return lean;
}

test('20 lean receivers count and verify two speakers; forged, misrouted and replayed packets are caught', async () => {
  server = await startServer();
  const callID = newId();
  const speakers: Speaker[] = [];
  for (const hz of [440, 660]) {
    const client = await join(server, {callID});
    clients.push(client);
    const {track, transceiver} = await client.addTrack('audio', `mic-${hz}`);
    speakers.push({client, track, transceiver, frames: opusFrames(hz), sent: 0});
  }
  const decoder = new OpusScript(48_000, 1, OpusScript.Application.AUDIO, {wasm: true});
  const decodes = (p: Buffer): boolean => {
    try {
      return decoder.decode(p).length === FRAME * 2;
    } catch {
      return false;
    }
  };
  // A sample passes when it decodes as Opus and is one of the frames of the speaker the stream's mid maps to.
  const check = (r: LeanReceiver) => (payload: Buffer, stream: LeanStream) => {
    const sender = r.peer.mediaMap[stream.mid]?.sender_id;
    const speaker = speakers.find((s) => s.client.sessionID === sender);
    return !!speaker && decodes(payload) && speaker.frames.some((f) => f.equals(payload));
  };
  const lastUnsampled = new Map<number, Buffer>();
  const receivers: LeanReceiver[] = [];
  receivers.push(await joinLean(server, callID, check, (d, st) => lastUnsampled.set(st.ssrc, d)));
  for (let i = 1; i < RECEIVERS; i++) receivers.push(await joinLean(server, callID, check));
  // The receivers' sockets are read in batches by the native addon (the server's own sockets are too).
  if (batchedReceiveAvailable()) expect(batchedReceiveStats().open).toBeGreaterThanOrEqual(RECEIVERS);

  let seq = 0;
  const timer = setInterval(() => {
    for (const [k, s] of speakers.entries()) {
      s.client.sendRtp(s.track, s.transceiver, {
        payload: s.frames[seq % s.frames.length],
        seq,
        ts: seq * FRAME,
        pt: 111,
        audioLevel: 30,
        ssrc: 0x1000 + k,
      });
      s.sent++;
    }
    seq++;
  }, 20);
  try {
    await waitFor(
      () => receivers.every((r) => r.streams.size === 2),
      15_000,
      'both speakers reach every lean receiver',
    );
    await sleep(3000);
  } finally {
    clearInterval(timer);
  }
  await sleep(300);

  const sent = speakers[0].sent;
  // All but the tapped receiver count in the addon where it is built (its samples still reach JavaScript).
  if (batchedReceiveAvailable())
    expect(receivers.filter((r) => [...r.streams.values()].every((s) => s.native)).length).toBe(RECEIVERS - 1);
  for (const r of receivers) {
    r.sync();
    const streams = [...r.streams.values()];
    expect(r.errors).toEqual([]);
    expect(r.unexpected).toBe(0);
    // Each stream is one speaker's (its mid maps to a different speaker) and carried (nearly) all it sent.
    expect(new Set(streams.map((s) => r.peer.mediaMap[s.mid]?.sender_id))).toEqual(
      new Set(speakers.map((s) => s.client.sessionID)),
    );
    for (const st of streams) {
      expect(st.packets).toBeGreaterThanOrEqual(0.95 * sent);
      expect(st.packets).toBeLessThanOrEqual(sent);
      expect(st.sampled).toBeGreaterThanOrEqual(Math.floor((0.95 * sent) / SAMPLE_EVERY) - 1);
      expect({verified: st.verified, failed: st.failed}).toEqual({verified: st.sampled, failed: 0});
    }
  }

  // Forgeries, on copies of datagrams receiver 0 counted without decrypting.
  const r0 = receivers[0];
  const [a, b] = [...r0.streams.keys()];
  const original = lastUnsampled.get(a)!;
  expect(original).toBeDefined();
  const copy = (edit: (d: Buffer) => void) => {
    const d = Buffer.from(original);
    edit(d);
    return d;
  };
  expect(r0.check(copy((d) => (d[d.length - 20] ^= 0x01)))).toBe('failed'); // a payload byte
  expect(r0.check(copy((d) => (d[d.length - 1] ^= 0x80)))).toBe('failed'); // the GCM tag: a wrong key looks the same
  expect(r0.check(copy((d) => d.writeUInt32BE(b, 8)))).toBe('failed'); // the other stream's SSRC
  expect(r0.check(copy((d) => d.writeUInt32BE(0x0badf00d, 8)))).toBe('unexpected');
  expect(r0.check(copy(() => undefined))).toBe('verified');
  expect(r0.check(copy(() => undefined))).toBe('failed'); // a replay
  decoder.delete();
});
