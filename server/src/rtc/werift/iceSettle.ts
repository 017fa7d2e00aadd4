// How werift's ICE agent (werift 0.25.2 lib/ice/src/ice.js) reports a finished check list: connect() is told
// as soon as the deciding check is in, instead of on its next 20 ms poll. Part of the ICE agent patching
// (iceAgent.ts applies it through IceAgent.settleOnCompletion).

/** The members of werift's ice Connection this patch relies on. */
export interface SettlingConnection {
  checkList: {state: number}[];
  state: string;
  checkListState: CheckListQueue;
  schedulingChecks(): boolean;
  /** An ICE restart; werift gives the agent a new check-list queue before its first await. */
  restart(): Promise<void>;
}

const SETTLES = Symbol('callsIceSettles');

/** werift's CandidatePairState (ice/src/iceBase.js): FROZEN 0, WAITING 1, IN_PROGRESS 2, SUCCEEDED 3, FAILED 4. */
const PAIR_FROZEN = 0;
const PAIR_WAITING = 1;
/** RFC 8445 Ta: werift's pacing between two ordinary checks. */
const CHECK_PACING_MS = 20;

/** werift's PQueue (ice/src/helper.js), which carries the check list's outcomes to connect(). */
export interface CheckListQueue {
  queue: unknown[];
  put(value: unknown): void;
  get(): unknown;
}

/**
 * werift's PQueue.get() on an empty queue subscribes a waiter that is never removed: every later put() runs it
 * again and it takes that value off the queue. connect() only read the queue once the outcome was there; now
 * that it waits on it early, a failure followed by a success would lose the success to the first waiter and
 * leave the agent checking forever. Each waiter now takes one value.
 */
function oneValuePerWaiter(q: CheckListQueue): void {
  const waiters: ((value: unknown) => void)[] = [];
  q.put = (value) => {
    const waiter = waiters.shift();
    if (waiter) waiter(value);
    else q.queue.push(value);
  };
  q.get = () => (q.queue.length > 0 ? q.queue.shift() : new Promise((resolve) => waiters.push(resolve)));
}

/**
 * werift's connect() re-runs its check scheduler every Ta (20 ms) and reports `connected` only once that loop
 * sees the check list complete, so after its last check was started the agent still sat up to 20 ms on a
 * finished check list (on both sides of a join, before DTLS could start). Once the scheduler has nothing
 * left to start, connect() now goes straight to waiting for the check list's outcome (werift's own queue, so
 * `connected` follows the deciding check at once) while pairs that turn up later (trickled candidates) are
 * still started every Ta by a timer of the same pacing, which ends when the check list is done or the agent
 * closes. Idempotent per agent.
 */
export function settleIceOnCompletion(connection: unknown): void {
  const conn = connection as SettlingConnection & {[SETTLES]?: true};
  if (conn[SETTLES]) return;
  conn[SETTLES] = true;
  oneValuePerWaiter(conn.checkListState);
  // An ICE restart gives the agent a new queue. A wrapped method, not an accessor on `checkListState`: redefining a
  // data property as an accessor put every agent's object in dictionary mode.
  const restart = conn.restart.bind(conn);
  conn.restart = () => {
    const done = restart();
    oneValuePerWaiter(conn.checkListState);
    return done;
  };
  const schedule = conn.schedulingChecks.bind(conn);
  let pacer: NodeJS.Timeout | undefined;
  conn.schedulingChecks = () => {
    const more = schedule();
    // Pacing stays in connect()'s loop while pairs wait to be started; with no pair at all it must keep
    // polling too (its completion wait would fail an empty check list).
    if (!more || pacer || conn.checkList.length === 0) return more;
    if (conn.checkList.some((p) => p.state === PAIR_WAITING || p.state === PAIR_FROZEN)) return more;
    pacer = setInterval(() => {
      if (conn.state === 'closed' || !schedule()) {
        clearInterval(pacer);
        pacer = undefined;
      }
    }, CHECK_PACING_MS);
    pacer.unref();
    return false;
  };
}
