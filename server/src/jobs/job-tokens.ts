// Per-job recorder tokens: each recording job gets its own token, valid for that job's lifetime plus its upload
// window, instead of the platform's bot token (beside Mattermost that is the service's system-admin token, which must
// never reach a recorder on another machine). Only this service knows them: they are kept in the shared store as
// hashes, so every node of a cluster accepts them and a leaked store row cannot be replayed.
import {createHash, randomInt} from 'node:crypto';

import type {Clock} from '../clock';
import type {AuthSession, Platform} from '../platform/types';
import type {KVRepository} from '../store/types';

/**
 * Job tokens have the shape the recorder accepts (26 lowercase alphanumerics, reference §8) and start with this
 * prefix, so only tokens that may be ours cost a store lookup (a platform token starts with it ~1 in 60 million).
 */
const PREFIX = 'zzjob';
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const SHAPE = /^zzjob[a-z0-9]{21}$/;
const KEY = 'job_token:';

interface Stored {
  jobID: string;
  userID: string;
  expiresAt: number;
}

export class JobTokens {
  readonly #kv: KVRepository;
  readonly #clock: Clock;

  constructor(kv: KVRepository, clock: Clock) {
    this.#kv = kv;
    this.#clock = clock;
  }

  /** A new token for `jobID`, acting as `userID` (the bot) until `expiresAt`. */
  async issue(jobID: string, userID: string, expiresAt: number): Promise<string> {
    let token = PREFIX;
    while (token.length < 26) token += ALPHABET[randomInt(ALPHABET.length)];
    const stored: Stored = {jobID, userID, expiresAt};
    await this.#kv.set(KEY + hash(token), JSON.stringify(stored));
    return token;
  }

  /** The bot's session for a live job token; null for anything else (the platform's tokens included). */
  async authenticate(token: string): Promise<AuthSession | null> {
    if (!SHAPE.test(token)) return null;
    const key = KEY + hash(token);
    const raw = await this.#kv.get(key);
    if (!raw) return null;
    const stored = JSON.parse(raw) as Stored;
    if (stored.expiresAt <= this.#clock.now()) {
      await this.#kv.delete(key);
      return null;
    }
    return {userID: stored.userID, token};
  }

  /** Ends a token at once (its job failed to start, or the recording was posted and the recorder is done). */
  async revoke(token: string): Promise<void> {
    if (SHAPE.test(token)) await this.#kv.delete(KEY + hash(token));
  }
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Makes the platform accept job tokens beside its own, everywhere it authenticates (HTTP, the websocket, the bot
 * API), so no route needs to know that recorders hold a different kind of token.
 */
export function acceptJobTokens(platform: Platform, tokens: JobTokens): void {
  const own = platform.authenticateToken.bind(platform);
  platform.authenticateToken = async (token) => (await tokens.authenticate(token)) ?? own(token);
}
