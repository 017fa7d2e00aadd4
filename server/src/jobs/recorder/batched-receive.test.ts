// Batched UDP receive (batched-receive.ts) on real sockets: while batching, datagrams wait in the kernel until
// drain() reads them all (more than libuv's 32 per turn), then reading stops again; turned off, every datagram
// is read as it comes. And a voice whose packets reach the mixer only in 100 ms batches plays without gaps.
import dgram from 'node:dgram';
import {AudioMixer, FRAMES_PER_TICK} from './audio-mixer';
import {BatchedReceive} from './batched-receive';
import {FRAME_SAMPLES, VoiceSource} from './voice-source';
import OpusScript from 'opusscript';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(5);
}

test('datagrams wait until drain() while batching, and are read at once when batching is off', async () => {
  const receiver = dgram.createSocket('udp4');
  const sender = dgram.createSocket('udp4');
  await new Promise<void>((r) => receiver.bind(0, '127.0.0.1', r));
  const port = receiver.address().port;
  const got: number[] = [];
  receiver.on('message', (m) => got.push(m.readUInt16BE(0)));
  const send = async (from: number, count: number) => {
    for (let i = from; i < from + count; i++) {
      const b = Buffer.alloc(40);
      b.writeUInt16BE(i);
      await new Promise<void>((r) => sender.send(b, port, '127.0.0.1', () => r()));
    }
  };
  const batch = new BatchedReceive();
  try {
    batch.attach([receiver]);
    batch.setBatching(true);
    await send(0, 100);
    await sleep(150);
    expect(got).toHaveLength(0);
    batch.drain();
    await until(() => got.length === 100);
    expect(got).toEqual([...Array(100).keys()]);
    // The window closed after the queue was empty: the next datagrams wait for the next drain().
    await sleep(20);
    await send(100, 5);
    await sleep(150);
    expect(got).toHaveLength(100);
    batch.setBatching(false);
    await until(() => got.length === 105);
    expect(got.slice(100)).toEqual([100, 101, 102, 103, 104]);
    await send(105, 1);
    await until(() => got.length === 106);
    expect(got).toHaveLength(106);
  } finally {
    batch.detach();
    receiver.close();
    sender.close();
  }
});

test('a voice delivered in 100 ms batches right after each mixer wake-up plays without gaps', () => {
  const enc = new OpusScript(48000, 1, OpusScript.Application.AUDIO, {wasm: true});
  const pcm = new Int16Array(FRAME_SAMPLES);
  const packets: Buffer[] = [];
  for (let p = 0; p < 250; p++) {
    for (let i = 0; i < FRAME_SAMPLES; i++)
      pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (p * FRAME_SAMPLES + i)) / 48000));
    packets.push(Buffer.from(enc.encode(Buffer.from(pcm.buffer), FRAME_SAMPLES)));
  }
  enc.delete();
  let now = 0;
  const mixer = new AudioMixer(
    () => undefined,
    () => now,
  );
  const voice = new VoiceSource('v');
  mixer.add(voice);
  mixer.start(0);
  const tickMs = 20 * FRAMES_PER_TICK;
  const voicedAt: boolean[] = [];
  let next = 0;
  // Packet k is sent at 20k ms; it is read only at the first wake-up after it arrived (up to 40 ms late).
  for (now = tickMs; now <= 20 * packets.length + tickMs; now += tickMs) {
    const before = mixer.voicedFrames;
    const frames = mixer.framesWritten;
    mixer.tick();
    for (let f = frames; f < mixer.framesWritten; f++) voicedAt.push(f - frames < mixer.voicedFrames - before);
    while (next < packets.length && 20 * next + ((next * 7) % 41) <= now) voice.push(next, packets[next++]);
  }
  mixer.stop();
  voice.close();
  const first = voicedAt.indexOf(true);
  const last = voicedAt.lastIndexOf(true);
  expect(first).toBeGreaterThanOrEqual(0);
  expect(voicedAt.slice(first, last + 1).every(Boolean)).toBe(true);
  expect(last - first + 1).toBeGreaterThan(packets.length - 20);
});
