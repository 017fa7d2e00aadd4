// A small typed event emitter for browser code: listeners are checked against an event map at compile time.

export type EventMap = {[event: string]: unknown[]};

type Listener<A extends unknown[]> = (...args: A) => void;

export class Emitter<E extends EventMap> {
  #listeners = new Map<keyof E, Set<Listener<never[]>>>();

  on<K extends keyof E>(event: K, fn: Listener<E[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(fn as unknown as Listener<never[]>);
    return () => this.off(event, fn);
  }

  once<K extends keyof E>(event: K, fn: Listener<E[K]>): () => void {
    const off = this.on(event, ((...args: E[K]) => {
      off();
      fn(...args);
    }) as Listener<E[K]>);
    return off;
  }

  off<K extends keyof E>(event: K, fn: Listener<E[K]>): void {
    this.#listeners.get(event)?.delete(fn as unknown as Listener<never[]>);
  }

  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.#listeners.get(event);
    if (!set) {
      return;
    }
    for (const fn of [...set]) {
      try {
        (fn as unknown as Listener<E[K]>)(...args);
      } catch (err) {
        // A faulty listener must not break the emitter's other listeners or its caller.
        console.error(`listener for ${String(event)} failed`, err);
      }
    }
  }

  listenerCount<K extends keyof E>(event: K): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  removeAllListeners(): void {
    this.#listeners.clear();
  }
}
