// Screen simulcast (rids 'l' and 'h'): which layer each receiver gets from its estimated downlink
// bandwidth, with a growing back-off between switches so a noisy estimate cannot flap the layer.
import type {Clock} from '../../clock';

export type Layer = 'l' | 'h';

/** Nominal rates of the client encodings (calls-common: l 500 kbit/s, h 2.5 Mbit/s). */
export const NOMINAL_RATE: Record<Layer, number> = {l: 500_000, h: 2_500_000};
const HEADROOM = 0.9;
const INITIAL_BACKOFF_MS = 10_000;
const BACKOFF_FACTOR = 1.5;

/** Bit rate of one incoming layer over a sliding window; -1 until a full window has been seen. */
export class RateMonitor {
  readonly #windowMs: number;
  readonly #clock: Clock;
  #samples: {t: number; bytes: number}[] = [];
  #first = -1;

  constructor(windowMs: number, clock: Clock) {
    this.#windowMs = windowMs;
    this.#clock = clock;
  }

  push(bytes: number): void {
    const t = this.#clock.now();
    if (this.#first < 0) this.#first = t;
    this.#samples.push({t, bytes});
    const cutoff = t - this.#windowMs;
    let drop = 0;
    while (drop < this.#samples.length - 1 && this.#samples[drop + 1].t <= cutoff) drop++;
    if (drop > 0) this.#samples = this.#samples.slice(drop);
  }

  /** bit/s, or -1 while less than one window of history exists. */
  get rate(): number {
    if (this.#first < 0 || this.#samples.length < 2) return -1;
    const now = this.#clock.now();
    if (now - this.#first < this.#windowMs) return -1;
    const span = Math.max(1, now - this.#samples[0].t);
    let bytes = 0;
    for (const s of this.#samples) bytes += s.bytes;
    return Math.round((bytes * 8 * 1000) / span);
  }
}

/** The layer a new receiver starts on (reference §5.5: 'h' only with a known estimate above 90 % of h). */
export function initialLayer(estimateBps: number | undefined): Layer {
  return estimateBps !== undefined && estimateBps > HEADROOM * NOMINAL_RATE.h ? 'h' : 'l';
}

/**
 * One receiver's layer choice. `update` takes the receiver's current downlink estimate and the
 * measured rate of the 'h' source (or -1 when unknown) and returns the layer to switch to, if any.
 */
export class LayerSelector {
  #layer: Layer;
  #backoffMs = INITIAL_BACKOFF_MS;
  #lastSwitch: number;
  readonly #clock: Clock;

  constructor(initial: Layer, clock: Clock, initialBackoffMs = INITIAL_BACKOFF_MS) {
    this.#layer = initial;
    this.#clock = clock;
    this.#backoffMs = initialBackoffMs;
    this.#lastSwitch = clock.now();
  }

  get layer(): Layer {
    return this.#layer;
  }

  update(estimateBps: number | undefined, highRateBps: number): Layer | undefined {
    if (estimateBps === undefined) return undefined;
    const needed = HEADROOM * (highRateBps > 0 ? highRateBps : NOMINAL_RATE.h);
    const want: Layer = estimateBps > needed ? 'h' : 'l';
    if (want === this.#layer) return undefined;
    const now = this.#clock.now();
    // Inside the back-off only a downgrade on a clearly insufficient link is allowed.
    const inBackoff = now - this.#lastSwitch < this.#backoffMs;
    if (inBackoff && !(want === 'l' && estimateBps < HEADROOM * needed)) return undefined;
    this.#layer = want;
    this.#lastSwitch = now;
    this.#backoffMs *= BACKOFF_FACTOR;
    return want;
  }
}
