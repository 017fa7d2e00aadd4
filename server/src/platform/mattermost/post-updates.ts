// Post updates Mattermost could not take (down, or rate limiting past our retries): kept and re-sent until
// it answers, the latest version of each post winning, so a call that ended during an outage still shows
// as ended afterwards. In memory only: a restart during the outage loses them (the store does not hold posts).
import {AppError} from '../../errors';
import type {Logger} from '../../log';
import type {Post} from '../types';

export interface PendingPostUpdatesOptions {
  send: (post: Post) => Promise<unknown>;
  logger: Logger;
  retryMs?: number;
  /** At most this many posts wait (the oldest are dropped, logged). */
  max?: number;
}

/** Whether an error means "Mattermost cannot take it now" rather than "it refused". */
export function isTransient(err: unknown): boolean {
  return err instanceof AppError && err.status === 503;
}

export class PendingPostUpdates {
  readonly #o: PendingPostUpdatesOptions;
  readonly #pending = new Map<string, Post>();
  #timer: NodeJS.Timeout | null = null;
  #flushing = false;
  #closed = false;

  constructor(o: PendingPostUpdatesOptions) {
    this.#o = o;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** The version of a post waiting to be sent, if any (what a read during the outage should see). */
  get(id: string): Post | undefined {
    return this.#pending.get(id);
  }

  defer(post: Post): void {
    if (this.#closed) return;
    this.#pending.delete(post.id);
    this.#pending.set(post.id, post);
    while (this.#pending.size > (this.#o.max ?? 1000)) {
      const oldest = this.#pending.keys().next().value!;
      this.#pending.delete(oldest);
      this.#o.logger.error({postID: oldest}, 'post update dropped: too many waiting for Mattermost');
    }
    this.#schedule();
  }

  /** A newer update went through directly: the waiting one is obsolete. */
  settled(id: string): void {
    this.#pending.delete(id);
  }

  #schedule(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, this.#o.retryMs ?? 5000);
    this.#timer.unref();
  }

  /** Sends what waits, in order; stops at the first transient failure and tries again later. */
  async flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      for (const [id, post] of [...this.#pending]) {
        // Sent directly meanwhile (settled) or replaced by a newer version: not this one.
        if (this.#pending.get(id) !== post) continue;
        try {
          await this.#o.send(post);
          if (this.#pending.get(id) === post) this.#pending.delete(id);
        } catch (err) {
          if (isTransient(err)) break;
          // Refused (deleted post, lost permission): retrying cannot help.
          if (this.#pending.get(id) === post) this.#pending.delete(id);
          this.#o.logger.warn({postID: id, err: (err as Error).message}, 'waiting post update refused by Mattermost');
        }
      }
    } finally {
      this.#flushing = false;
    }
    if (this.#pending.size) this.#schedule();
    else if (!this.#closed) this.#o.logger.info('waiting post updates sent to Mattermost');
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
