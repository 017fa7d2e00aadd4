// One received Opus stream (a voice or screen-audio track) as PCM for the mixer: reorders packets by RTP
// sequence number, skips over losses after a short wait, decodes with a wasm Opus decoder (opusscript) and
// keeps a bounded PCM buffer so a late or drifting sender neither stalls the mix nor grows latency.
import OpusScript from 'opusscript';

export const SAMPLE_RATE = 48000;
export const CHANNELS = 2;
/** Samples per channel in one 20 ms mixer frame. */
export const FRAME_SAMPLES = 960;

/** Packets held while waiting for a missing one before it is declared lost (~100 ms of 20 ms packets). */
const REORDER_WINDOW = 5;
/** PCM buffered before a (re)started source plays, so jitter does not chop it (in frames). */
const PREBUFFER_FRAMES = 3;
/** Beyond this much buffered PCM the oldest is dropped: latency stays bounded (in frames). */
const MAX_BUFFER_FRAMES = 15;
/** A packet this far behind the next expected one is a sender restart, not a late packet. */
const RESTART_GAP = 3000;

export class VoiceSource {
  #decoder: OpusScript | undefined = new OpusScript(SAMPLE_RATE, CHANNELS, OpusScript.Application.AUDIO, {
    wasm: true,
  });
  /** extended seq → payload */
  #pending = new Map<number, Buffer>();
  #next: number | undefined;
  #lastExt = 0;
  #pcm: Int16Array[] = [];
  #pcmOffset = 0;
  #pcmSamples = 0;
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
    let out: Buffer;
    try {
      out = this.#decoder!.decode(payload);
    } catch {
      this.decodeErrors++;
      return;
    }
    if (out.length === 0) return;
    // Copy out of the decoder's wasm memory: the next decode reuses it.
    const samples = new Int16Array(out.length >> 1);
    for (let i = 0; i < samples.length; i++) samples[i] = out.readInt16LE(i * 2);
    this.#pcm.push(samples);
    this.#pcmSamples += samples.length;
    const max = MAX_BUFFER_FRAMES * FRAME_SAMPLES * CHANNELS;
    while (this.#pcmSamples - this.#pcmOffset > max) this.#dropHead();
  }

  #dropHead(): void {
    const head = this.#pcm.shift()!;
    this.#pcmSamples -= head.length;
    this.#pcmOffset = 0;
  }

  /** PCM buffered, in interleaved samples. */
  get buffered(): number {
    return this.#pcmSamples - this.#pcmOffset;
  }

  /**
   * Adds the next 20 ms of this source into `mix` (interleaved stereo, FRAME_SAMPLES × CHANNELS), or nothing
   * while it is (re)buffering; returns whether it contributed.
   */
  mixInto(mix: Int32Array): boolean {
    const need = FRAME_SAMPLES * CHANNELS;
    if (!this.#playing) {
      if (this.buffered < PREBUFFER_FRAMES * need) return false;
      this.#playing = true;
    }
    if (this.buffered < need) {
      // Underrun: play what is left and rebuffer (the sender paused, or DTX).
      this.#playing = false;
    }
    let written = 0;
    while (written < need && this.#pcm.length > 0) {
      const head = this.#pcm[0];
      const n = Math.min(need - written, head.length - this.#pcmOffset);
      for (let i = 0; i < n; i++) mix[written + i] += head[this.#pcmOffset + i];
      written += n;
      this.#pcmOffset += n;
      if (this.#pcmOffset >= head.length) this.#dropHead();
    }
    return written > 0;
  }

  close(): void {
    this.#decoder?.delete();
    this.#decoder = undefined;
    this.#pending.clear();
    this.#pcm = [];
    this.#pcmSamples = 0;
    this.#pcmOffset = 0;
  }
}
