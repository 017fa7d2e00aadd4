// Keeping the media workers alive: the watchdog that kills a worker which stops answering pings (its
// exit restarts it), and the crash-loop backoff that spaces the restarts of a worker that keeps dying young.
import type {AppError} from '../../errors';
import type {Logger} from '../../log';
import type {MediaWorker} from './mediaWorker';

/** A worker that exits on its own is started again after this pause, doubled while it keeps dying young. */
const RESTART_DELAY_MS = 1000;
export const MAX_RESTART_DELAY_MS = 30_000;
/** A worker that ran this long before dying is not in a crash loop: its next restart is quick again. */
const HEALTHY_RUN_MS = 60_000;

export class RestartBackoff {
  /** Worker index → restarts in a row that died young. */
  readonly #restarts = new Map<number, number>();

  /** How long to wait before starting `worker` again, counting this death. */
  next(worker: MediaWorker): number {
    const young = Date.now() - worker.startedAt < HEALTHY_RUN_MS;
    const delay = young
      ? Math.min(MAX_RESTART_DELAY_MS, RESTART_DELAY_MS * 2 ** (this.#restarts.get(worker.index) ?? 0))
      : RESTART_DELAY_MS;
    this.#restarts.set(worker.index, young ? (this.#restarts.get(worker.index) ?? 0) + 1 : 0);
    return delay;
  }
}

/** Pings every started worker; one that does not answer in time is killed (its exit restarts it). */
export function startWatchdog(
  workers: () => readonly MediaWorker[],
  timeoutMs: number,
  closed: () => boolean,
  logger: Logger,
): NodeJS.Timeout {
  const inFlight = new Set<MediaWorker>();
  const timer = setInterval(
    () => {
      for (const w of workers()) {
        if (!w.started || w.exited || inFlight.has(w)) continue;
        inFlight.add(w);
        w.call('ping', undefined, timeoutMs)
          .catch((err: AppError) => {
            if (w.exited || closed() || err.id !== 'app.rtc.worker_timeout') return;
            logger.error({worker: w.index, pid: w.child.pid, timeoutMs}, 'media worker stopped answering; killing it');
            w.retiring = true;
            w.child.kill('SIGKILL');
          })
          .finally(() => inFlight.delete(w));
      }
    },
    Math.max(50, Math.floor(timeoutMs / 3)),
  );
  timer.unref();
  return timer;
}
