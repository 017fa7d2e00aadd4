// A typed event emitter: each class declares its events as a map, so listeners are checked by the
// compiler. Unlike node:events it has no special 'error' event — an event map may not even declare one
// (the compiler refuses it), so "emitted with nobody listening" can never throw ERR_UNHANDLED_ERROR and
// end the process. A listener that throws is reported (mediasoup's safeEmit) and the others still run.

/**
 * An event map: event name → listener argument tuple. Interfaces work too (no index signature
 * needed). The name 'error' is refused: report a client's bad input under a name of its own.
 */
export type EventMap<E> = {[K in keyof E]: K extends 'error' ? never : unknown[]};

type Listener = (...args: never[]) => unknown;

/** Where a throwing listener is reported; the app points it at its logger. */
export type ListenerErrorReporter = (err: unknown, event: string) => void;

let reportListenerError: ListenerErrorReporter = (err, event) => {
  // Before the app set a reporter (tests, tools): stderr, never a crash.
  process.stderr.write(
    `event listener for "${event}" threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
};

/** Routes listener failures of every TypedEmitter in the process (createApp and the media worker set it). */
export function setListenerErrorReporter(reporter: ListenerErrorReporter): void {
  reportListenerError = reporter;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as {then?: unknown}).then === 'function';
}

export class TypedEmitter<E extends EventMap<E>> {
  readonly #listeners = new Map<string, {fn: Listener; once: boolean}[]>();

  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return this.#add(event, listener as Listener, false);
  }

  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return this.#add(event, listener as Listener, true);
  }

  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    const list = this.#listeners.get(event);
    if (!list) return this;
    const i = list.findIndex((l) => l.fn === (listener as Listener));
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#listeners.delete(event);
    return this;
  }

  /**
   * Calls every listener of `event` in order, with a snapshot of the list (a listener added or removed
   * during the emit takes effect from the next one). Never throws; returns whether anyone listened.
   */
  protected emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    const list = this.#listeners.get(event);
    if (!list || list.length === 0) return false;
    for (const l of [...list]) {
      if (l.once) this.#removeEntry(event, l);
      try {
        const r = (l.fn as (...a: E[K]) => unknown)(...args);
        // An async listener's failure is reported too, rather than becoming an unhandled rejection.
        if (isThenable(r)) r.then(undefined, (err: unknown) => reportListenerError(err, event));
      } catch (err) {
        reportListenerError(err, event);
      }
    }
    return true;
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  removeAllListeners(): void {
    this.#listeners.clear();
  }

  #add(event: string, fn: Listener, once: boolean): this {
    let list = this.#listeners.get(event);
    if (!list) this.#listeners.set(event, (list = []));
    list.push({fn, once});
    return this;
  }

  #removeEntry(event: string, entry: {fn: Listener; once: boolean}): void {
    const list = this.#listeners.get(event);
    const i = list?.indexOf(entry) ?? -1;
    if (list && i >= 0) list.splice(i, 1);
    if (list?.length === 0) this.#listeners.delete(event);
  }
}
