// What the frames of an authenticated connection do: the chat server's own few actions are answered in
// place; calls actions are rate limited per connection and per user, then run one after another per
// connection (a join finishes before the next action) in a bounded queue.
import {UserRateLimiter} from '../api/rate-limit';
import type {Logger} from '../log';
import {CALLS_ACTIONS, CALLS_PREFIX} from '../protocol';
import type {Connection} from './connection';
import type {Frame} from './frame';

/** Calls actions of one connection queued behind a slow one (e.g. a join); more are dropped. Above the rate burst. */
const MAX_QUEUED_ACTIONS = 128;

/** Action names counted by name in the traffic metrics (others count as "other"). */
export const KNOWN_ACTIONS: ReadonlySet<string> = new Set([
  'authentication_challenge',
  'ping',
  'user_typing',
  'get_statuses',
  'get_statuses_by_ids',
  ...[...CALLS_ACTIONS].map((a) => CALLS_PREFIX + a),
]);

/** Runs one calls action (suffix after the prefix) of an authenticated connection. */
export interface CallsActionHandler {
  onCallsAction(conn: {connID: string; userID: string}, action: string, data: Record<string, unknown>): Promise<void>;
}

export class ActionDispatcher {
  readonly #handlers: CallsActionHandler;
  readonly #log: Logger;
  readonly #serverVersion: string;
  readonly #userActions: UserRateLimiter;

  /** `rate`: one connection's; a user's connections together get twice that. */
  constructor(
    handlers: CallsActionHandler,
    log: Logger,
    serverVersion: string,
    rate: {perSecond: number; burst: number},
  ) {
    this.#handlers = handlers;
    this.#log = log;
    this.#serverVersion = serverVersion;
    this.#userActions = new UserRateLimiter({perSecond: rate.perSecond * 2, burst: rate.burst * 2});
  }

  dispatch(conn: Connection, frame: Frame): void {
    switch (frame.action) {
      case 'authentication_challenge':
        conn.reply(frame.seq, 'OK');
        return;
      case 'ping':
        conn.reply(frame.seq, 'OK', {data: {text: 'pong', version: this.#serverVersion, server_time: Date.now()}});
        return;
      case 'user_typing':
      case 'get_statuses':
      case 'get_statuses_by_ids':
        conn.reply(frame.seq, 'OK', {data: {}});
        return;
    }
    if (!frame.action.startsWith(CALLS_PREFIX)) {
      conn.reply(frame.seq, 'FAIL', {
        error: {
          id: 'api.web_socket_router.bad_action.app_error',
          message: `unknown action: ${frame.action.slice(0, 64)}`,
        },
      });
      return;
    }
    if (!conn.bucket.take() || !this.#userActions.allow(conn.userID)) {
      // Upstream drops over-limit messages silently; log once per burst so floods cannot fill the log.
      if (conn.dropped++ % 100 === 0)
        this.#log.warn({connID: conn.id, userID: conn.userID, dropped: conn.dropped}, 'calls messages rate limited');
      return;
    }
    // Calls actions of one connection run one after another (a join finishes before the next action),
    // without holding up pings and other frames.
    const ctx = {connID: conn.id, userID: conn.userID};
    const action = frame.action.slice(CALLS_PREFIX.length);
    if (conn.queued >= MAX_QUEUED_ACTIONS) {
      if (conn.dropped++ % 100 === 0)
        this.#log.warn(
          {connID: conn.id, userID: conn.userID, dropped: conn.dropped},
          'calls messages dropped: too many queued',
        );
      return;
    }
    conn.queued++;
    conn.queue = conn.queue
      .then(() => this.#handlers.onCallsAction(ctx, action, frame.data))
      .catch((err) => this.#log.error({err: (err as Error).message, action}, 'calls action failed'))
      .then(() => {
        conn.queued--;
      });
  }
}
