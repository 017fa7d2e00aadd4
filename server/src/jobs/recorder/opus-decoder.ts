// Opus decoding (opusscript's wasm build) straight into an Int16Array: opusscript's own decode() builds a new
// Buffer element by element from its wasm output for every 20 ms packet — with the copy after it, the recorder's
// largest allocation. This reads the output where the decoder left it. It relies on opusscript 0.1's internals
// (checked once; without them it falls back to decode()); a test compares both paths sample by sample.
import OpusScript from 'opusscript';

/** Samples per channel in the longest Opus frame opusscript decodes (60 ms at 48 kHz). */
export const MAX_FRAME_SAMPLES = 2880;

interface Internals {
  handler: {_decode(inPtr: number, length: number, outPtr: number): number};
  inOpus: Uint8Array;
  inOpusPointer: number;
  /** One element per byte of the little-endian PCM (opusscript's layout). */
  outPCM: Uint16Array;
}

function internalsOf(d: OpusScript): Internals | undefined {
  const i = d as unknown as Partial<Internals>;
  const ok =
    typeof i.handler?._decode === 'function' &&
    i.inOpus instanceof Uint8Array &&
    typeof i.inOpusPointer === 'number' &&
    i.outPCM instanceof Uint16Array;
  return ok ? (i as Internals) : undefined;
}

export class OpusDecoder {
  readonly #decoder: OpusScript;
  readonly #internals: Internals | undefined;
  readonly #channels: number;

  constructor(sampleRate: 48000, channels: number, inPlace = true) {
    this.#decoder = new OpusScript(sampleRate, channels, OpusScript.Application.AUDIO, {wasm: true});
    this.#internals = inPlace ? internalsOf(this.#decoder) : undefined;
    this.#channels = channels;
  }

  /**
   * Decodes one packet into `out` (interleaved, at least MAX_FRAME_SAMPLES × channels long); returns the number
   * of samples written (all channels). Throws on a packet the decoder refuses.
   */
  decodeInto(payload: Buffer, out: Int16Array): number {
    const i = this.#internals;
    if (!i) {
      const pcm = this.#decoder.decode(payload);
      const n = pcm.length >> 1;
      for (let k = 0; k < n; k++) out[k] = pcm.readInt16LE(k * 2);
      return n;
    }
    if (payload.length > i.inOpus.length) throw new Error('Opus packet too large');
    i.inOpus.set(payload);
    const frames = i.handler._decode(i.inOpusPointer, payload.length, i.outPCM.byteOffset);
    if (frames < 0) throw new Error(`Opus decode error ${frames}`);
    const n = Math.min(frames * this.#channels, out.length);
    const b = i.outPCM;
    for (let k = 0, j = 0; k < n; k++, j += 2) out[k] = (((b[j] & 0xff) | (b[j + 1] << 8)) << 16) >> 16;
    return n;
  }

  delete(): void {
    this.#decoder.delete();
  }
}
