// The recorder's audio path: the in-place Opus decoder gives what opusscript's own decode() gives, and the mixer's
// 100 ms batches leave no gaps in a steady voice whose packets arrive with jitter.
import OpusScript from 'opusscript';
import {AudioMixer, FRAMES_PER_TICK} from './audio-mixer';
import {MAX_FRAME_SAMPLES, OpusDecoder} from './opus-decoder';
import {CHANNELS, FRAME_SAMPLES, SAMPLE_RATE, VoiceSource} from './voice-source';

/** `count` 20 ms Opus packets of a 440 Hz tone (stereo, as a test sender sends). */
function tonePackets(count: number): Buffer[] {
  const enc = new OpusScript(SAMPLE_RATE, 2, OpusScript.Application.AUDIO, {wasm: true});
  const out: Buffer[] = [];
  const pcm = new Int16Array(FRAME_SAMPLES * 2);
  for (let p = 0; p < count; p++) {
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      const v = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (p * FRAME_SAMPLES + i)) / SAMPLE_RATE));
      pcm[2 * i] = v;
      pcm[2 * i + 1] = v;
    }
    out.push(Buffer.from(enc.encode(Buffer.from(pcm.buffer), FRAME_SAMPLES)));
  }
  enc.delete();
  return out;
}

test('the in-place decoder gives the same samples as opusscript decode()', () => {
  const packets = tonePackets(50);
  for (const channels of [1, 2]) {
    const fast = new OpusDecoder(SAMPLE_RATE, channels);
    const plain = new OpusDecoder(SAMPLE_RATE, channels, false);
    const a = new Int16Array(MAX_FRAME_SAMPLES * channels);
    const b = new Int16Array(MAX_FRAME_SAMPLES * channels);
    let peak = 0;
    for (const p of packets) {
      const n = fast.decodeInto(p, a);
      expect(plain.decodeInto(p, b)).toBe(n);
      expect(n).toBe(FRAME_SAMPLES * channels);
      expect(Buffer.from(a.buffer, 0, n * 2).equals(Buffer.from(b.buffer, 0, n * 2))).toBe(true);
      for (let i = 0; i < n; i++) peak = Math.max(peak, Math.abs(a[i]));
    }
    // A real tone, not silence (a wrong layout would read as noise or zeros).
    expect(peak).toBeGreaterThan(4000);
    expect(() => fast.decodeInto(Buffer.from([0xff, 0xff, 0xff]), a)).toThrow();
    fast.delete();
    plain.delete();
  }
});

test('a voice whose packets arrive with up to 40 ms of jitter plays without gaps through the batched mixer', () => {
  const packets = tonePackets(250);
  let now = 0;
  const written: Buffer[] = [];
  const mixer = new AudioMixer(
    (pcm) => written.push(pcm),
    () => now,
  );
  const voice = new VoiceSource('v');
  mixer.add(voice);
  mixer.start(0);
  // Packet k is sent at 20k ms and arrives 0–40 ms later (deterministic pseudo-random jitter, never reordered).
  let seed = 7;
  const arrivals = packets.map((_, k) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return 20 * k + (seed % 41);
  });
  for (let k = 1; k < arrivals.length; k++) arrivals[k] = Math.max(arrivals[k], arrivals[k - 1]);
  let next = 0;
  const voicedAt: boolean[] = [];
  for (now = 0; now <= 20 * packets.length; now += 1) {
    while (next < packets.length && arrivals[next] <= now) voice.push(next, packets[next++]);
    if (now % (20 * FRAMES_PER_TICK) === 0) {
      const before = mixer.voicedFrames;
      const frames = mixer.framesWritten;
      mixer.tick();
      for (let f = frames; f < mixer.framesWritten; f++) voicedAt.push(f - frames < mixer.voicedFrames - before);
    }
  }
  mixer.stop();
  voice.close();
  // Once playing, every frame until the packets run out is voiced: no 20 ms holes.
  const first = voicedAt.indexOf(true);
  const last = voicedAt.lastIndexOf(true);
  expect(first).toBeGreaterThanOrEqual(0);
  expect(first).toBeLessThan(15);
  expect(voicedAt.slice(first, last + 1).every(Boolean)).toBe(true);
  expect(last - first + 1).toBeGreaterThan(packets.length - 15);
  // The stream is one mono s16le frame per 20 ms, in one write per wake-up.
  const bytes = written.reduce((a, b) => a + b.length, 0);
  expect(bytes).toBe(mixer.framesWritten * FRAME_SAMPLES * CHANNELS * 2);
});
