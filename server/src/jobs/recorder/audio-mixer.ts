// Mixes every voice source into one continuous s16le 48 kHz stream (CHANNELS) on a 20 ms frame clock: one frame per
// 20 ms of wall clock since the start (catching up after a late timer), silence when nobody speaks, so the
// audio track's length is the recording's length whoever joins or leaves. The clock wakes every 100 ms and
// mixes the frames due in one batch, written in one go: the encoder stamps audio by its sample count, so batching
// changes nothing in the file, and wake-ups and pipe writes (with ffmpeg's own wake-ups) were the largest cost
// of an audio-only recording after decoding. Sources hold a batch more before they play (voice-source.ts).
import {CHANNELS, FRAME_SAMPLES, type VoiceSource} from './voice-source';

const FRAME_MS = 20;
/** Frames per wake-up of the clock. */
export const FRAMES_PER_TICK = 5;
const FRAME_LENGTH = FRAME_SAMPLES * CHANNELS;
const FRAME_BYTES = FRAME_LENGTH * 2;
/**
 * Missed frames are written after a stall (GC, load) so audio keeps to the wall clock the video's timestamps
 * follow; only beyond a minute (a suspended process) are they skipped.
 */
const MAX_CATCH_UP_FRAMES = 3000;
/** Frames in one write at most (a catch-up after a stall is written in pieces). */
const MAX_FRAMES_PER_WRITE = 50;

export class AudioMixer {
  readonly #sources = new Set<VoiceSource>();
  readonly #write: (pcm: Buffer) => void;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #start = 0;
  #frames = 0;
  readonly #mix = new Int32Array(FRAME_LENGTH);
  /** Frames with at least one source playing (for logs and tests). */
  voicedFrames = 0;
  /** Called after each wake-up of the clock (the recorder reads its sockets then: batched-receive.ts). */
  afterTick: (() => void) | undefined;

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
    // A late wake-up is caught up by the next (frames due are counted from the start).
    this.#timer = setInterval(() => {
      this.tick();
      this.afterTick?.();
    }, FRAME_MS * FRAMES_PER_TICK);
  }

  /** Writes the frames due by now. */
  tick(): void {
    const due = Math.floor((this.#now() - this.#start) / FRAME_MS);
    let behind = due - this.#frames;
    if (behind > MAX_CATCH_UP_FRAMES) {
      this.#frames += behind - MAX_CATCH_UP_FRAMES;
      behind = MAX_CATCH_UP_FRAMES;
    }
    while (behind > 0) {
      const n = Math.min(behind, MAX_FRAMES_PER_WRITE);
      // A new buffer per write: the pipe keeps it until ffmpeg has read it.
      const out = Buffer.allocUnsafe(n * FRAME_BYTES);
      for (let f = 0; f < n; f++) this.#mixFrame(out, f * FRAME_BYTES);
      this.#write(out);
      behind -= n;
    }
  }

  #mixFrame(out: Buffer, offset: number): void {
    const mix = this.#mix;
    mix.fill(0);
    let voiced = false;
    for (const s of this.#sources) if (s.mixInto(mix)) voiced = true;
    this.#frames++;
    if (!voiced) {
      out.fill(0, offset, offset + FRAME_BYTES);
      return;
    }
    this.voicedFrames++;
    for (let i = 0; i < FRAME_LENGTH; i++) {
      const v = mix[i];
      const c = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      out[offset + 2 * i] = c & 0xff;
      out[offset + 2 * i + 1] = (c >> 8) & 0xff;
    }
  }

  /** Stops the clock after writing what is due. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.tick();
  }
}
