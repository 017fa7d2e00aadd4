// Which media worker each call lives on: a call's first session picks the least loaded worker and the
// rest follow it there; a worker that exits or is being retired takes no more calls.
import {AppError} from '../../errors';
import type {MediaWorker} from './mediaWorker';

export class CallPlacement {
  readonly #workers: () => readonly MediaWorker[];
  readonly #callWorker = new Map<string, MediaWorker>();

  constructor(workers: () => readonly MediaWorker[]) {
    this.#workers = workers;
  }

  /** A call's worker: the one it already lives on, else the one with the fewest sessions (`started`: among those up). */
  place(callID: string, started = false): MediaWorker {
    const current = this.#callWorker.get(callID);
    if (current && !current.exited && !current.retiring && (!started || current.started)) return current;
    const live = this.#workers().filter((w) => !w.exited && !w.retiring && (!started || w.started));
    if (live.length === 0) throw new AppError('app.rtc.no_worker', 'no media worker is running', 503);
    const chosen = live.reduce((a, b) => (b.sessions.size < a.sessions.size ? b : a));
    this.#callWorker.set(callID, chosen);
    return chosen;
  }

  /** A live, started worker for a call (see place); waits for a restart if none is up. */
  async placeOnLive(callID: string, deadline: number, closed: () => boolean): Promise<MediaWorker> {
    for (;;) {
      if (closed()) throw new AppError('app.rtc.server_closed', 'rtc server is closed', 503);
      // A worker that is up now, rather than one still starting (it may never finish) or being killed.
      if (this.#workers().some((w) => w.started && !w.exited && !w.retiring)) return this.place(callID, true);
      if (Date.now() > deadline) throw new AppError('app.rtc.no_worker', 'no media worker is running', 503);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The call's last session left `worker`. */
  release(callID: string, worker: MediaWorker): void {
    if (this.#callWorker.get(callID) === worker) this.#callWorker.delete(callID);
  }

  /** `worker` exited: its calls are placed anew. */
  dropWorker(worker: MediaWorker): void {
    for (const [callID, w] of this.#callWorker) if (w === worker) this.#callWorker.delete(callID);
  }
}
