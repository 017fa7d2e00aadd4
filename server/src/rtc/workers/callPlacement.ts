// Which media worker each call lives on: a call's first session picks the least loaded worker and the
// rest follow it there; a worker that exits or is being retired takes no more calls. A slot whose worker
// is not running (workers start on demand) counts as an empty worker and is started when picked.
import {AppError} from '../../errors';
import type {MediaWorker} from './mediaWorker';

export interface PlacementSlots {
  /** One entry per configured worker: its process, or undefined while none runs. */
  slots(): readonly (MediaWorker | undefined)[];
  /** Starts the worker of an empty slot. */
  start(index: number): MediaWorker;
}

export class CallPlacement {
  readonly #pool: PlacementSlots;
  readonly #callWorker = new Map<string, MediaWorker>();

  constructor(pool: PlacementSlots) {
    this.#pool = pool;
  }

  /**
   * A call's worker: the one it already lives on, else the one with the fewest sessions, a running one before an
   * empty slot on a tie (`started`: only among those up, no slot started).
   */
  place(callID: string, started = false): MediaWorker {
    const current = this.#callWorker.get(callID);
    if (current && !current.exited && !current.retiring && (!started || current.started)) return current;
    let best: {index: number; worker: MediaWorker | undefined; load: number} | undefined;
    this.#pool.slots().forEach((slot, index) => {
      // A worker stopping for idleness leaves its slot free: a call needing it starts a new worker there.
      const w = slot?.stopping ? undefined : slot;
      if (w ? w.exited || w.retiring || (started && !w.started) : started) return;
      const load = w ? w.sessions.size : 0;
      if (!best || load < best.load || (load === best.load && w && !best.worker)) best = {index, worker: w, load};
    });
    if (!best) throw new AppError('app.rtc.no_worker', 'no media worker is running', 503);
    const chosen = best.worker ?? this.#pool.start(best.index);
    this.#callWorker.set(callID, chosen);
    return chosen;
  }

  /** A live, started worker for a call (see place), else an empty slot started; waits for a restart if neither. */
  async placeOnLive(callID: string, deadline: number, closed: () => boolean): Promise<MediaWorker> {
    for (;;) {
      if (closed()) throw new AppError('app.rtc.server_closed', 'rtc server is closed', 503);
      // A worker that is up now, rather than one still starting (it may never finish) or being killed.
      if (this.#pool.slots().some((w) => w?.started && !w.exited && !w.retiring)) return this.place(callID, true);
      // Workers on demand: a slot with none running is started now rather than waiting for a restart.
      if (this.#pool.slots().some((w) => w === undefined || w.stopping)) return this.place(callID);
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
