// Per-user limits on joining calls: joins per second (one token bucket per user, shared by all their
// connections on this node, checked before any lock or database work) and sessions of one user in one
// call (checked under the call lock). Refusals are AppErrors with stable app.calls.limit.* ids, which
// the join path reports as the connection's `error` event.
import {UserRateLimiter} from '../api/rate-limit';
import type {Limits} from '../config/limits';
import {AppError} from '../errors';

export type JoinCaps = Pick<Limits, 'sessionsPerUserPerCall' | 'joinsPerSecondPerUser' | 'joinBurstPerUser'>;

export class JoinLimiter {
  readonly #caps: JoinCaps;
  readonly #joins: UserRateLimiter | null;

  constructor(
    caps: JoinCaps,
    private readonly now: () => number = Date.now,
  ) {
    this.#caps = caps;
    this.#joins =
      caps.joinsPerSecondPerUser > 0
        ? new UserRateLimiter({perSecond: caps.joinsPerSecondPerUser, burst: caps.joinBurstPerUser})
        : null;
  }

  /** Takes one join from the user's bucket; throws app.calls.limit.joins_per_second when it is empty. */
  takeJoin(userID: string): void {
    if (this.#joins && !this.#joins.allow(userID, this.now())) {
      throw new AppError(
        'app.calls.limit.joins_per_second',
        'You are joining calls too often. Wait a few seconds and try again.',
        429,
        {userID, perSecond: this.#caps.joinsPerSecondPerUser, burst: this.#caps.joinBurstPerUser},
      );
    }
  }

  /** Throws app.calls.limit.sessions_per_user when the user already has the most sessions allowed in the call. */
  checkSessions(userID: string, sessions: readonly {userId: string}[]): void {
    const max = this.#caps.sessionsPerUserPerCall;
    if (max <= 0) return;
    let mine = 0;
    for (const s of sessions) if (s.userId === userID) mine++;
    if (mine >= max) {
      throw new AppError(
        'app.calls.limit.sessions_per_user',
        `You are already in this call from ${mine} places, the most allowed. Leave it somewhere else first.`,
        403,
        {userID, max},
      );
    }
  }
}
