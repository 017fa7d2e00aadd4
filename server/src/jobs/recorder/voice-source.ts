// One received Opus stream (a voice or screen-audio track) as PCM for the mixer: reorders packets by RTP
// sequence number, skips over losses after a short wait, decodes with a wasm Opus decoder (opusscript) and
// keeps a bounded PCM ring so a late or drifting sender neither stalls the mix nor grows latency. Nothing is
// allocated per packet: decoding writes into a scratch array, then into the ring.
import {MAX_FRAME_SAMPLES, OpusDecoder} from './opus-decoder';

export const SAMPLE_RATE = 48000;
/**
 * The recording's audio is mono: voices arrive as mono Opus (browsers send mono), so a stereo mix was two equal
 * channels — twice the decoding output, mixing and pipe bytes, and AAC's stereo coding of them cost ffmpeg
 * nearly twice a mono track's CPU for no audible difference. Stereo screen audio is folded down by the decoder.
 */
export const CHANNELS = 1;
/** Samples per channel in one 20 ms mixer frame. */
export const FRAME_SAMPLES = 960;

/** Packets held while waiting for a missing one before it is declared lost (~100 ms of 20 ms packets). */
const REORDER_WINDOW = 5;
/**
 * PCM buffered before a (re)started source plays, in frames: the jitter margin (3 frames) plus one batch of the
 * mixer (which mixes several frames per wake-up, audio-mixer.ts), so the margin is still there after a batch.
 */
export const PREBUFFER_FRAMES = 8;
/** Beyond this much buffered PCM the oldest is dropped: latency stays bounded (in frames). */
const MAX_BUFFER_FRAMES = 20;
/** A packet this far behind the next expected one is a sender restart, not a late packet. */
const RESTART_GAP = 3000;

const FRAME_LENGTH = FRAME_SAMPLES * CHANNELS;
const RING_LENGTH = MAX_BUFFER_FRAMES * FRAME_LENGTH;

export class VoiceSource {
  #decoder: OpusDecoder | undefined = new OpusDecoder(SAMPLE_RATE, CHANNELS);
  /** extended seq → payload */
  #pending = new Map<number, Buffer>();
  #next: number | undefined;
  #lastExt = 0;
  /** Decoder output of one packet. */
  readonly #scratch = new Int16Array(MAX_FRAME_SAMPLES * CHANNELS);
  /** Buffered PCM: #buffered interleaved samples from #read on, wrapping at RING_LENGTH. */
  #ring: Int16Array | undefined = new Int16Array(RING_LENGTH);
  #read = 0;
  #buffered = 0;
  #playing = false;
  packets = 0;
  lost = 0;
  decodeErrors = 0;

  constructor(readonly id: string) {}

  /** One RTP packet's payload. Duplicates and packets already skipped are dropped. */
  push(seq: number, payload: Buffer): void {
    if (!this.#decoder || payload.length === 0) return;
    this.packets++;
    const ext = this.#extend(seq);
    if (this.#next === undefined) this.#next = ext;
    if (ext < this.#next) {
      if (this.#next - ext < RESTART_GAP) return;
      // The sender restarted its sequence: start over from here.
      this.#pending.clear();
      this.#next = ext;
    }
    // In order with nothing held (nearly every packet): decoded at once, the reorder map untouched.
    if (ext === this.#next && this.#pending.size === 0) {
      this.#next = ext + 1;
      this.#decode(payload);
      return;
    }
    if (this.#pending.size > 64) this.#pending.clear();
    this.#pending.set(ext, payload);
    this.#drain();
  }

  /** Extends a 16-bit sequence number to the one nearest the last seen. */
  #extend(seq: number): number {
    if (this.packets === 1) {
      this.#lastExt = seq;
      return seq;
    }
    const base = this.#lastExt - (this.#lastExt & 0xffff);
    let ext = base + seq;
    if (ext - this.#lastExt > 0x8000) ext -= 0x10000;
    else if (this.#lastExt - ext > 0x8000) ext += 0x10000;
    if (ext > this.#lastExt) this.#lastExt = ext;
    return ext;
  }

  #drain(): void {
    for (;;) {
      const next = this.#next!;
      const payload = this.#pending.get(next);
      if (payload) {
        this.#pending.delete(next);
        this.#next = next + 1;
        this.#decode(payload);
        continue;
      }
      if (this.#pending.size < REORDER_WINDOW) return;
      // Waited long enough: the missing packets are lost. Skip to the oldest one held.
      const oldest = Math.min(...this.#pending.keys());
      this.lost += oldest - next;
      this.#next = oldest;
    }
  }

  #decode(payload: Buffer): void {
    let n: number;
    try {
      n = this.#decoder!.decodeInto(payload, this.#scratch);
    } catch {
      this.decodeErrors++;
      return;
    }
    const ring = this.#ring!;
    if (n === 0 || !ring) return;
    // Full: the oldest PCM goes (a sender running ahead of the clock).
    const overflow = this.#buffered + n - RING_LENGTH;
    if (overflow > 0) {
      this.#read = (this.#read + overflow) % RING_LENGTH;
      this.#buffered -= overflow;
    }
    const write = (this.#read + this.#buffered) % RING_LENGTH;
    const first = Math.min(n, RING_LENGTH - write);
    ring.set(this.#scratch.subarray(0, first), write);
    if (first < n) ring.set(this.#scratch.subarray(first, n), 0);
    this.#buffered += n;
  }

  /** PCM buffered, in interleaved samples. */
  get buffered(): number {
    return this.#buffered;
  }

  /**
   * Adds the next 20 ms of this source into `mix` (FRAME_SAMPLES × CHANNELS, interleaved), or nothing
   * while it is (re)buffering; returns whether it contributed.
   */
  mixInto(mix: Int32Array): boolean {
    const ring = this.#ring;
    if (!ring) return false;
    if (!this.#playing) {
      if (this.#buffered < PREBUFFER_FRAMES * FRAME_LENGTH) return false;
      this.#playing = true;
    }
    // Underrun: play what is left and rebuffer (the sender paused, or DTX).
    if (this.#buffered < FRAME_LENGTH) this.#playing = false;
    const n = Math.min(FRAME_LENGTH, this.#buffered);
    let read = this.#read;
    const first = Math.min(n, RING_LENGTH - read);
    for (let i = 0; i < first; i++) mix[i] += ring[read + i];
    for (let i = first; i < n; i++) mix[i] += ring[i - first];
    read += n;
    this.#read = read >= RING_LENGTH ? read - RING_LENGTH : read;
    this.#buffered -= n;
    return n > 0;
  }

  close(): void {
    this.#decoder?.delete();
    this.#decoder = undefined;
    this.#pending.clear();
    this.#ring = undefined;
    this.#buffered = 0;
    this.#read = 0;
  }
}
