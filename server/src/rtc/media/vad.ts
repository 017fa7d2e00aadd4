// Voice activity from the RTP audio-level header extension (RFC 6464: 0 = loudest, 127 = silence).
// Over the last 50 levels (one second of 20 ms packets) a packet counts as voiced when louder than
// -50 dBov. Voice turns on at 10 voiced packets and off at 2 or fewer, and never within 2 s of turning
// on: a single loud packet, or a short pause between words, does not flap the speaking indicator.
// (rtcd's standard-deviation rule turns on for one loud packet in silence, hence our own.)
import type {Clock} from '../../clock';

const WINDOW = 50;
const VOICED_BELOW = 50;
const ON_VOICED = 10;
const OFF_VOICED = 2;
const MIN_ON_MS = 2000;

export class VoiceActivityDetector {
  readonly #voiced = new Uint8Array(WINDOW);
  readonly #clock: Clock;
  #count = 0;
  #next = 0;
  #voicedCount = 0;
  #on = false;
  #onSince = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get active(): boolean {
    return this.#on;
  }

  /** Feeds one level; returns the new state when it changed, undefined otherwise. */
  push(level: number): boolean | undefined {
    const voiced = (level & 0x7f) < VOICED_BELOW ? 1 : 0;
    if (this.#count === WINDOW) this.#voicedCount -= this.#voiced[this.#next];
    else this.#count++;
    this.#voiced[this.#next] = voiced;
    this.#voicedCount += voiced;
    this.#next = (this.#next + 1) % WINDOW;
    if (!this.#on && this.#voicedCount >= ON_VOICED) {
      this.#on = true;
      this.#onSince = this.#clock.now();
      return true;
    }
    if (
      this.#on &&
      this.#count === WINDOW &&
      this.#voicedCount <= OFF_VOICED &&
      this.#clock.now() - this.#onSince >= MIN_ON_MS
    ) {
      this.#on = false;
      return false;
    }
    return undefined;
  }

  /** Clears the window (on mute); returns false if the state was on (the caller reports voice off). */
  reset(): boolean | undefined {
    const wasOn = this.#on;
    this.#voiced.fill(0);
    this.#count = 0;
    this.#next = 0;
    this.#voicedCount = 0;
    this.#on = false;
    return wasOn ? false : undefined;
  }
}
