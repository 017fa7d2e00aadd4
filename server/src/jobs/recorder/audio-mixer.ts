// Mixes every voice source into one continuous s16le 48 kHz stereo stream on a 20 ms clock: one frame per
// 20 ms of wall clock since the start (catching up after a late timer), silence when nobody speaks, so the
// audio track's length is the recording's length whoever joins or leaves. Mixed frames are written five at a
// time: ffmpeg times raw audio by its sample count, so batching changes nothing in the file, and pipe writes
// (with ffmpeg's wake-ups) were the largest cost of an audio-only recording after decoding.
import {CHANNELS, FRAME_SAMPLES, type VoiceSource} from './voice-source';

const FRAME_MS = 20;
/** Frames mixed before they are written in one go. */
const FRAMES_PER_WRITE = 5;
const FRAME_BYTES = FRAME_SAMPLES * CHANNELS * 2;
/**
 * Missed frames are written after a stall (GC, load) so audio keeps to the wall clock the video's timestamps
 * follow; only beyond a minute (a suspended process) are they skipped.
 */
const MAX_CATCH_UP_FRAMES = 3000;

export class AudioMixer {
  readonly #sources = new Set<VoiceSource>();
  readonly #write: (pcm: Buffer) => void;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #start = 0;
  #frames = 0;
  #out = Buffer.allocUnsafe(FRAMES_PER_WRITE * FRAME_BYTES);
  #outFrames = 0;
  readonly #mix = new Int32Array(FRAME_SAMPLES * CHANNELS);
  /** Frames with at least one source playing (for logs and tests). */
  voicedFrames = 0;

  constructor(write: (pcm: Buffer) => void, now: () => number = () => performance.now()) {
    this.#write = write;
    this.#now = now;
  }

  add(source: VoiceSource): void {
    this.#sources.add(source);
  }

  remove(source: VoiceSource): void {
    this.#sources.delete(source);
  }

  get framesWritten(): number {
    return this.#frames;
  }

  start(startMs = this.#now()): void {
    this.#start = startMs;
    // One wake-up per frame; a late one is caught up by the next (frames due are counted from the start).
    this.#timer = setInterval(() => this.tick(), FRAME_MS);
  }

  /** Writes the frames due by now. */
  tick(): void {
    const due = Math.floor((this.#now() - this.#start) / FRAME_MS);
    let behind = due - this.#frames;
    if (behind > MAX_CATCH_UP_FRAMES) {
      this.#frames += behind - MAX_CATCH_UP_FRAMES;
      behind = MAX_CATCH_UP_FRAMES;
    }
    for (let i = 0; i < behind; i++) this.#mixFrame();
  }

  #mixFrame(): void {
    const mix = this.#mix;
    mix.fill(0);
    let voiced = false;
    for (const s of this.#sources) if (s.mixInto(mix)) voiced = true;
    if (voiced) this.voicedFrames++;
    const out = this.#out;
    const offset = this.#outFrames * FRAME_BYTES;
    for (let i = 0; i < mix.length; i++) {
      const v = mix[i];
      out.writeInt16LE(v > 32767 ? 32767 : v < -32768 ? -32768 : v, offset + i * 2);
    }
    this.#frames++;
    if (++this.#outFrames === FRAMES_PER_WRITE) this.#flush();
  }

  /** Hands the frames mixed so far to the writer (which keeps the buffer: a new one is started). */
  #flush(): void {
    if (this.#outFrames === 0) return;
    const full = this.#outFrames === FRAMES_PER_WRITE;
    this.#write(full ? this.#out : this.#out.subarray(0, this.#outFrames * FRAME_BYTES));
    this.#out = Buffer.allocUnsafe(FRAMES_PER_WRITE * FRAME_BYTES);
    this.#outFrames = 0;
  }

  /** Stops the clock after writing what is due. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.tick();
    this.#flush();
  }
}
