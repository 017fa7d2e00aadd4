// werift's Event (lib/common/src/event.js) gives every instance eleven arrow-function fields, a closure each,
// and a peer connection holds about 85 of them: the largest part of a session's heap. LeanEvent behaves the same
// (same calls, same order, same detached use of its methods) with the methods on its prototype, bound on first
// read; installLeanEvents() puts it in werift's module so every Event werift creates from then on is one.
import {weriftModule} from './weriftModule';

type Fn = (...args: unknown[]) => unknown;

interface Item {
  execute: Fn;
  id: number;
  complete?: () => void;
  error?: (e: unknown) => void;
}

export interface EventDisposerLike {
  push(disposer: () => void): void;
}

/** The empty stacks every instance starts with (replaced on the first subscribe; never written). */
const NONE: Item[] = Object.freeze([]) as unknown as Item[];
const noop = (): void => {};

class LeanEvent {
  ended = false;
  onended: (() => void) | undefined = undefined;
  onerror: (e: unknown) => void = noop;
  /** werift's `event` object, flattened: {stack, promiseStack, eventId}. */
  _stack: Item[] = NONE;
  _promiseStack: Item[] = NONE;
  _eventId = 0;
  /** The bound methods read off this instance so far (or assigned to it). */
  _bound: Record<string, unknown> | undefined = undefined;

  pipe(e: {execute: Fn}): void {
    this.subscribe((...args: unknown[]) => {
      e.execute(...args);
    });
  }

  get returnTrigger(): {execute: Fn; error: Fn; complete: Fn} {
    const {execute, error, complete} = this;
    return {execute, error, complete};
  }

  get returnListener(): {
    subscribe: LeanEvent['subscribe'];
    once: LeanEvent['once'];
    asPromise: LeanEvent['asPromise'];
  } {
    const {subscribe, once, asPromise} = this;
    return {subscribe, once, asPromise};
  }

  get length(): number {
    return this._stack.length;
  }

  declare execute: Fn;
  declare complete: () => void;
  declare error: (e: unknown) => void;
  declare allUnsubscribe: () => void;
  declare subscribe: (
    execute: Fn,
    complete?: () => void,
    error?: (e: unknown) => void,
  ) => {unSubscribe: () => void; disposer: (d: EventDisposerLike) => void};
  declare queuingSubscribe: LeanEvent['subscribe'];
  declare once: (execute: Fn, complete?: () => void, error?: (e: unknown) => void) => void;
  declare watch: (cb: (...args: unknown[]) => boolean, timeLimit?: number) => Promise<unknown[]>;
  declare asPromise: (timeLimit?: number) => Promise<unknown[]>;
}

/**
 * The events whose plain stack is being run (execute, complete, error), innermost last. A subscriber added to one of
 * them is pushed onto the running stack, so it runs in the same round as in werift; any other stack is replaced by an
 * exact-size copy (a pushed-to or filtered array keeps room for 17 subscribers, ≈ 130 bytes of slack, and most
 * events have one or two).
 */
const running: LeanEvent[] = [];

function runStack(ev: LeanEvent, each: (item: Item) => void): void {
  running.push(ev);
  try {
    for (const item of ev._stack) each(item);
  } finally {
    running.pop();
  }
}

/** What subscribe/queuingSubscribe return: both remove subscriber `id` from the plain stack, as werift's do. */
function subscription(ev: LeanEvent, id: number): {unSubscribe: () => void; disposer: (d: EventDisposerLike) => void} {
  const unSubscribe = () => {
    const rest = ev._stack.filter((item) => item.id !== id && item);
    ev._stack = rest.length === 0 ? NONE : rest.slice();
  };
  return {unSubscribe, disposer: (d) => d.push(unSubscribe)};
}

/**
 * Adds a subscriber to the plain or the queued stack under the next id. As werift's, the handle removes that id from
 * the plain stack only, whichever stack it went to.
 */
function addSubscriber(
  ev: LeanEvent,
  stack: '_stack' | '_promiseStack',
  execute: Fn,
  complete?: () => void,
  error?: (e: unknown) => void,
) {
  const id = ev._eventId++;
  const item: Item = {execute, id, complete, error};
  const current = ev[stack];
  if (current === NONE) ev[stack] = [item];
  else if (stack === '_promiseStack' || running.includes(ev)) current.push(item);
  else ev[stack] = current.concat([item]);
  return subscription(ev, id);
}

/** werift's time limit of watch/asPromise: rejects with `reason` after `timeLimit` ms (none when 0 or undefined). */
function rejectAfter(timeLimit: number | undefined, reject: (reason: string) => void, reason: string) {
  return timeLimit ? setTimeout(() => reject(reason), timeLimit) : undefined;
}

/** The bodies of werift's arrow fields, as methods (`this` is the event). */
const methods: Record<string, (this: LeanEvent, ...args: never[]) => unknown> = {
  execute(this: LeanEvent, ...args: unknown[]) {
    if (this.ended) return;
    running.push(this);
    try {
      for (const item of this._stack) item.execute(...args);
    } finally {
      running.pop();
    }
    // werift runs the queued subscribers in an async function every time; with none there is nothing to run.
    if (this._promiseStack.length === 0) return;
    (async () => {
      for (const item of this._promiseStack) await item.execute(...args);
    })().catch((e: unknown) => {
      this.onerror(e);
    });
  },
  complete(this: LeanEvent) {
    if (this.ended) return;
    runStack(this, (item) => item.complete?.());
    this.allUnsubscribe();
    this.ended = true;
    if (this.onended) {
      this.onended();
      this.onended = undefined;
    }
  },
  error(this: LeanEvent, e: unknown) {
    if (this.ended) return;
    runStack(this, (item) => item.error?.(e));
    this.allUnsubscribe();
  },
  allUnsubscribe(this: LeanEvent) {
    if (this.ended) return;
    this._stack = NONE;
    this._promiseStack = NONE;
    this._eventId = 0;
  },
  subscribe(this: LeanEvent, execute: Fn, complete?: () => void, error?: (e: unknown) => void) {
    return addSubscriber(this, '_stack', execute, complete, error);
  },
  queuingSubscribe(this: LeanEvent, execute: Fn, complete?: () => void, error?: (e: unknown) => void) {
    if (this.ended) throw new Error('event completed');
    return addSubscriber(this, '_promiseStack', execute, complete, error);
  },
  once(this: LeanEvent, execute: Fn, complete?: () => void, error?: (e: unknown) => void) {
    const off = this.subscribe(
      (...args: unknown[]) => {
        off.unSubscribe();
        execute(...args);
      },
      complete,
      error,
    );
  },
  watch(this: LeanEvent, cb: (...args: unknown[]) => boolean, timeLimit?: number) {
    return new Promise((resolve, reject) => {
      const timeout = rejectAfter(timeLimit, reject, 'Event watch timeout');
      const {unSubscribe} = this.subscribe((...args: unknown[]) => {
        const done = cb(...args);
        if (done) {
          if (timeout) clearTimeout(timeout);
          unSubscribe();
          resolve(args);
        }
      });
    });
  },
  asPromise(this: LeanEvent, timeLimit?: number) {
    return new Promise((resolve, reject) => {
      const timeout = rejectAfter(timeLimit, reject, 'Event asPromise timeout');
      this.once(
        (...args: unknown[]) => {
          if (timeout) clearTimeout(timeout);
          resolve(args);
        },
        () => {
          if (timeout) clearTimeout(timeout);
          resolve([]);
        },
        (err: unknown) => {
          if (timeout) clearTimeout(timeout);
          reject(err);
        },
      );
    });
  },
};

// Each method is bound to its instance the first time it is read (werift passes `ev.execute` around detached)
// and kept in one per-instance record, so instances keep one shape; assigning one replaces it, as a field would.
for (const [name, body] of Object.entries(methods)) {
  const impl = body as unknown as Fn;
  Object.defineProperty(LeanEvent.prototype, name, {
    configurable: true,
    enumerable: false,
    get(this: LeanEvent) {
      const bound = (this._bound ??= {});
      let f = bound[name];
      if (f === undefined) {
        // A bound function, not a closure: ≈ 50 bytes instead of ≈ 100 with its context, ~90 of them a session.
        f = impl.bind(this);
        bound[name] = f;
      }
      return f;
    },
    set(this: LeanEvent, value: unknown) {
      (this._bound ??= {})[name] = value;
    },
  });
}

export {LeanEvent};

/** werift's own event module (lib/common/src/event.js), by path: the package's exports do not name it. */
function weriftEventModule(): {Event: unknown} {
  return weriftModule<{Event: unknown}>('common/src/event.js');
}

let original: unknown;

/** werift's Event as it shipped (tests compare the two). */
export function weriftOriginalEvent(): unknown {
  return original ?? weriftEventModule().Event;
}

/**
 * Makes every Event werift creates from now on a LeanEvent (werift reads `Event` off that module at each `new`).
 * Idempotent; MM_CALLS_RTC_LEAN_EVENTS=false keeps werift's own.
 */
export function installLeanEvents(): void {
  if (process.env.MM_CALLS_RTC_LEAN_EVENTS === 'false') return;
  const mod = weriftEventModule();
  if (mod.Event === LeanEvent) return;
  original = mod.Event;
  mod.Event = LeanEvent;
}
