// Media workers that hold no session stop after a while (MM_CALLS_RTC_WORKER_IDLE_SECONDS), so an idle
// server is one process; a session taken meanwhile keeps the worker. A stopping worker is asked for its stats
// once more, so what it forwarded up to then is in the counters the pool keeps for exited workers.
import type {Logger} from '../../log';
import type {MediaWorker} from './mediaWorker';
import {askWorkerStats} from './workerStats';

/** How long a media worker with no session keeps running by default (MM_CALLS_RTC_WORKER_IDLE_SECONDS). */
export const DEFAULT_WORKER_IDLE_MS = 300_000;

export interface IdleWorkerStopOptions {
  /** How long a worker holds no session before it stops. */
  idleMs: number;
  /** A stopping worker is killed if it has not exited after this long. */
  killAfterMs: number;
  logger: Logger;
}

export class IdleWorkerStop {
  readonly #o: IdleWorkerStopOptions;
  readonly #timers = new Map<MediaWorker, NodeJS.Timeout>();
  #closed = false;

  constructor(o: IdleWorkerStopOptions) {
    this.#o = o;
  }

  /** The idle stop the pool's `workerIdleMs` option asks for: none for null (workers keep running), else after it or the default. */
  static forOption(idleMs: number | null | undefined, killAfterMs: number, logger: Logger): IdleWorkerStop | undefined {
    return idleMs === null
      ? undefined
      : new IdleWorkerStop({idleMs: idleMs ?? DEFAULT_WORKER_IDLE_MS, killAfterMs, logger});
  }

  get idleMs(): number {
    return this.#o.idleMs;
  }

  /** `worker` takes a session: it is not idle. */
  keep(worker: MediaWorker): void {
    const t = this.#timers.get(worker);
    if (t === undefined) return;
    clearTimeout(t);
    this.#timers.delete(worker);
  }

  /** `worker` holds no session now: it stops after the idle time unless a session comes first. */
  idleFrom(worker: MediaWorker): void {
    if (this.#closed || worker.exited || worker.stopping) return;
    this.keep(worker);
    const timer = setTimeout(() => {
      this.#timers.delete(worker);
      if (worker.sessions.size === 0) void this.#stop(worker);
    }, this.#o.idleMs);
    timer.unref();
    this.#timers.set(worker, timer);
  }

  /** The pool is closing: no worker stops for idleness from here on (the pool stops them all). */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  async #stop(worker: MediaWorker): Promise<void> {
    if (this.#closed || worker.exited || worker.retiring || !worker.started) return;
    // Retiring first: the placement gives it no call from here on, so its session count stays 0.
    worker.retiring = true;
    worker.stopping = true;
    await askWorkerStats(worker, this.#o.killAfterMs);
    this.#o.logger.info(
      {worker: worker.index, idleMs: this.#o.idleMs},
      'media worker stopping: no session for a while',
    );
    await worker.stop(this.#o.killAfterMs);
  }
}
