// The server's signaling lock around the client's own renegotiations (reference webapp.md §4.5): changes run
// one at a time; each asks for the lock over the data channel (retrying for up to 5 s, then going ahead
// without it) and holds it until the answer to the offer it caused arrives, or 5 s pass.

import {DCMessageType, type DCMessage} from '@calls/protocol';

const LOCK_RETRY_MS = 50;
const LOCK_TIMEOUT_MS = 5000;

export interface SignalingLockHost {
  /** Whether to take the lock now (locking configured, data channel open, first negotiation done). */
  canLock(): boolean;
  isClosed(): boolean;
  sendDC(msg: DCMessage): void;
  log: Pick<Console, 'warn'>;
}

export class SignalingLock {
  readonly #host: SignalingLockHost;
  #holds = false;
  #waiter: ((acquired: boolean) => void) | null = null;
  #chain: Promise<void> = Promise.resolve();

  constructor(host: SignalingLockHost) {
    this.#host = host;
  }

  /** Held, waiting for the answer to the offer the last change caused. */
  get held(): boolean {
    return this.#holds;
  }

  /** The server's reply to a Lock request. */
  onLockReply(acquired: boolean): void {
    this.#waiter?.(acquired);
  }

  /** The answer to the offer arrived: the change is done. */
  releaseAfterAnswer(): void {
    this.#holds = false;
    this.#host.sendDC({type: DCMessageType.Unlock});
  }

  /** The peer closed: a pending Lock request gives up. */
  cancel(): void {
    this.#waiter?.(false);
  }

  /** Runs `fn` (which causes a renegotiation) after the changes before it, under the lock when there is one. */
  async run(fn: () => void): Promise<void> {
    const host = this.#host;
    const run = this.#chain.then(async () => {
      if (host.isClosed()) {
        return;
      }
      const locked = await this.#acquire();
      try {
        fn();
      } catch (err) {
        if (locked) {
          host.sendDC({type: DCMessageType.Unlock});
          this.#holds = false;
        }
        throw err;
      }
      if (locked) {
        this.#holds = true;
        // Released when the answer to the offer this change causes arrives; wait for it so changes
        // stay one at a time, but never longer than the lock timeout.
        await new Promise<void>((resolve) => {
          const started = Date.now();
          const check = setInterval(() => {
            if (!this.#holds || host.isClosed() || Date.now() - started > LOCK_TIMEOUT_MS) {
              clearInterval(check);
              if (this.#holds && !host.isClosed()) {
                host.log.warn('rtc peer: no answer while holding the signaling lock, releasing it');
                host.sendDC({type: DCMessageType.Unlock});
                this.#holds = false;
              }
              resolve();
            }
          }, LOCK_RETRY_MS);
        });
      }
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Requests the server's signaling lock, retrying every 50 ms for up to 5 s. False when not locking. */
  async #acquire(): Promise<boolean> {
    const host = this.#host;
    if (!host.canLock()) {
      return false;
    }
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    while (!host.isClosed() && Date.now() < deadline) {
      const acquired = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          this.#waiter = null;
          resolve(false);
        }, LOCK_TIMEOUT_MS);
        this.#waiter = (v) => {
          clearTimeout(timer);
          this.#waiter = null;
          resolve(v);
        };
        host.sendDC({type: DCMessageType.Lock});
      });
      if (acquired) {
        return true;
      }
      await new Promise((r) => setTimeout(r, LOCK_RETRY_MS));
    }
    host.log.warn('rtc peer: could not get the signaling lock in 5 s, proceeding without it');
    return false;
  }
}
