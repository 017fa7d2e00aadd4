// The wait for rtc_reconnect after a peer connection that was up fails: its node may have died and the server
// moves the call; if nothing brings the media back within the recovery time, the call ends with the peer's error.

export class PeerLossTimer<E> {
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** Gives up with `err` after `ms` unless cancelled first. */
  start(err: E, ms: number, giveUp: (err: E) => void): void {
    this.cancel();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      giveUp(err);
    }, ms);
  }

  /** The media is back (or gone for another reason): stop waiting. */
  cancel(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }
}
