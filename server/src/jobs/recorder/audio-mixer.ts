// Mixes every voice source into one continuous s16le 48 kHz stereo stream on a 20 ms clock: one frame per
// 20 ms of wall clock since the start (catching up after a late timer), silence when nobody speaks, so the
// audio track's length is the recording's length whoever joins or leaves.
import {CHANNELS, FRAME_SAMPLES, type VoiceSource} from './voice-source';

const FRAME_MS = 20;
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
    this.#timer = setInterval(() => this.tick(), FRAME_MS / 2);
  }

  /** Writes the frames due by now. */
  tick(): void {
    const due = Math.floor((this.#now() - this.#start) / FRAME_MS);
    let behind = due - this.#frames;
    if (behind > MAX_CATCH_UP_FRAMES) {
      this.#frames += behind - MAX_CATCH_UP_FRAMES;
      behind = MAX_CATCH_UP_FRAMES;
    }
    for (let i = 0; i < behind; i++) this.#writeFrame();
  }

  #writeFrame(): void {
    const mix = new Int32Array(FRAME_SAMPLES * CHANNELS);
    let voiced = false;
    for (const s of this.#sources) if (s.mixInto(mix)) voiced = true;
    if (voiced) this.voicedFrames++;
    const out = Buffer.allocUnsafe(mix.length * 2);
    for (let i = 0; i < mix.length; i++) {
      const v = mix[i];
      out.writeInt16LE(v > 32767 ? 32767 : v < -32768 ? -32768 : v, i * 2);
    }
    this.#frames++;
    this.#write(out);
  }

  /** Stops the clock after writing what is due. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.tick();
  }
}
