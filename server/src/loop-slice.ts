// Sharing the event loop among long runs of work. Work of many sessions started by one event (a mass leave's
// events to every socket, a departed speaker's new offer to every listener) would otherwise run in one unbroken
// stretch and hold the loop for seconds: no ICE consent answer, no media, no other request meanwhile.

/** How long such work may hold the event loop before it lets the loop turn. */
const LOOP_SLICE_MS = 10;
/** How long run() waits for a step before the next one may start anyway. */
const STEP_WAIT_MS = 1_000;

export class LoopSlice {
  readonly #sliceMs: number;
  /** When the current slice of work began (0: none yet in this turn of the loop). */
  #sliceStart = 0;
  #tail: Promise<void> = Promise.resolve();

  constructor(sliceMs = LOOP_SLICE_MS) {
    this.#sliceMs = sliceMs;
  }

  /** Resolves at once while this turn's slice lasts, else on the next turn (callers are in order). */
  async yieldIfLong(): Promise<void> {
    const now = performance.now();
    if (this.#sliceStart === 0) {
      this.#sliceStart = now;
      // The loop turning on its own (the work idle, or waiting on I/O) starts a fresh slice.
      setImmediate(() => (this.#sliceStart = 0));
      return;
    }
    if (now - this.#sliceStart < this.#sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /**
   * Runs `step` after the steps queued before it, each starting only while its turn's slice lasts: steps of many
   * sessions take turns with everything else instead of all running in the turn that started them. A step that
   * throws rejects its own promise only; one that has not settled after `waitMs` (werift never settles a
   * description set on a connection closed meanwhile) no longer holds the steps behind it.
   */
  run<T>(step: () => Promise<T>, waitMs = STEP_WAIT_MS): Promise<T> {
    const result = this.#tail.then(async () => {
      await this.yieldIfLong();
      return step();
    });
    this.#tail = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      result.then(done, done);
    });
    return result;
  }
}
