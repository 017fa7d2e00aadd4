// Users' Mattermost tokens (Bearer or the MMAUTHTOKEN cookie) validated against GET /api/v4/users/me and
// kept a few seconds, so a revoked or logged-out session is refused soon after (the websocket layer re-asks
// every 10 s and ends the sessions of a token now refused). The cache is keyed by a hash of the token.
import {createHash} from 'node:crypto';
import type {UserProfile} from '@mattermost/types/users';
import {AppError} from '../../errors';
import type {AuthSession} from '../types';
import type {MattermostClient} from './client';
import {TtlCache} from './ttl-cache';

/** How long a validation is trusted; with the websocket's 10 s re-check, a revoked token is dropped within 15 s. */
export const AUTH_CACHE_MS = 5_000;

// Mattermost's session tokens and personal access tokens are 26-character ids.
const TOKEN_SHAPE = /^[a-z0-9]{26}$/;

export class TokenValidator {
  readonly #client: MattermostClient;
  readonly #cache: TtlCache<string | null>;
  /** Called with the user a valid token belongs to (the adapter caches the profile). */
  readonly #onUser: (u: UserProfile) => void;

  constructor(client: MattermostClient, onUser: (u: UserProfile) => void, ttlMs = AUTH_CACHE_MS) {
    this.#client = client;
    this.#onUser = onUser;
    this.#cache = new TtlCache(ttlMs);
  }

  /**
   * The session of a token, or null when Mattermost refuses it. Throws (503) when Mattermost cannot be asked:
   * a request then gets a clear error, and an open websocket keeps its session until Mattermost answers again.
   */
  async authenticate(token: string): Promise<AuthSession | null> {
    if (!TOKEN_SHAPE.test(token)) return null;
    const key = createHash('sha256').update(token).digest('base64url');
    const userID = await this.#cache.getOrLoad(key, async () => {
      try {
        const me = await this.#client.json<UserProfile>('GET', '/users/me', {token});
        if (me.delete_at > 0) return null;
        this.#onUser(me);
        return me.id;
      } catch (err) {
        if (err instanceof AppError && (err.status === 401 || err.status === 403)) return null;
        throw err;
      }
    });
    return userID ? {userID, token} : null;
  }
}
