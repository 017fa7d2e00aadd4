// Password guessing protection for POST /api/v4/users/login: exponential backoff per login name and per
// client address (a locked key is refused before any password is hashed, even a correct one), and a
// bound on the password hashes running or waiting at once, so a flood of attempts costs the server a
// fixed amount of CPU and memory whatever its size.
import type {Clock} from '../../clock';
import {AppError} from '../../errors';
import {type BackoffOptions, FailureBackoff} from '../../http/failure-backoff';

export interface LoginGuardOptions {
  /** Per login name (username or email, as typed, lower-cased). */
  account: BackoffOptions;
  /** Per client address (an IPv6 client by its /64). */
  address: BackoffOptions;
  /** Logins (each one password hash) running at once. */
  maxConcurrent: number;
  /** Logins waiting for a slot; beyond, 503 at once. */
  maxQueued: number;
}

export const DEFAULT_LOGIN_GUARD: LoginGuardOptions = {
  account: {freeFailures: 5, baseLockMs: 1000, maxLockMs: 5 * 60_000, forgetAfterMs: 15 * 60_000, maxKeys: 20_000},
  address: {freeFailures: 20, baseLockMs: 1000, maxLockMs: 5 * 60_000, forgetAfterMs: 15 * 60_000, maxKeys: 20_000},
  maxConcurrent: 2,
  maxQueued: 64,
};

/** Any part of the options; the rest are the defaults. */
export type LoginGuardSettings = Partial<Omit<LoginGuardOptions, 'account' | 'address'>> & {
  account?: Partial<BackoffOptions>;
  address?: Partial<BackoffOptions>;
};

/** The login was refused without trying the password; `retryAfterSec` goes in Retry-After. */
export class LoginRefused extends AppError {
  constructor(
    id: string,
    message: string,
    status: number,
    readonly retryAfterSec: number,
  ) {
    super(id, message, status);
  }
}

export interface LoginAttempt {
  /** The login name as typed. */
  loginID: string;
  /** The client's address block (http/client-address addressBlock). */
  address: string;
}

const INVALID_CREDENTIALS = 'api.user.login.invalid_credentials_email_username';

export class LoginGuard {
  readonly #accounts: FailureBackoff;
  readonly #addresses: FailureBackoff;
  readonly #opts: LoginGuardOptions;
  #running = 0;
  readonly #queue: (() => void)[] = [];

  constructor(
    private readonly clock: Clock,
    opts: LoginGuardSettings = {},
  ) {
    const d = DEFAULT_LOGIN_GUARD;
    this.#opts = {...d, ...opts, account: {...d.account, ...opts.account}, address: {...d.address, ...opts.address}};
    this.#accounts = new FailureBackoff(this.#opts.account);
    this.#addresses = new FailureBackoff(this.#opts.address);
  }

  /**
   * Runs `login` unless the name or the address is locked (LoginRefused, 429) or too many logins are
   * already waiting (LoginRefused, 503). A wrong password counts against both; a success clears the name.
   */
  async attempt<T>(who: LoginAttempt, login: () => Promise<T>): Promise<T> {
    const account = who.loginID.trim().toLowerCase();
    this.#refuseIfLocked(account, who.address);
    await this.#acquire();
    try {
      // Attempts that queued behind failures of the same name or address must not all reach the hash.
      this.#refuseIfLocked(account, who.address);
      const out = await login();
      this.#accounts.reset(account);
      return out;
    } catch (err) {
      if (err instanceof AppError && err.id === INVALID_CREDENTIALS) {
        const now = this.clock.now();
        this.#accounts.fail(account, now);
        this.#addresses.fail(who.address, now);
      }
      throw err;
    } finally {
      this.#release();
    }
  }

  /** Names and addresses remembered (bounded by the options' maxKeys). */
  get tracked(): {accounts: number; addresses: number} {
    return {accounts: this.#accounts.size, addresses: this.#addresses.size};
  }

  #refuseIfLocked(account: string, address: string): void {
    const now = this.clock.now();
    const ms = Math.max(this.#accounts.lockedFor(account, now), this.#addresses.lockedFor(address, now));
    if (ms <= 0) return;
    const sec = Math.ceil(ms / 1000);
    throw new LoginRefused(
      'api.user.check_user_login_attempts.too_many.app_error',
      `Too many failed login attempts. Try again in ${sec} second${sec === 1 ? '' : 's'}.`,
      429,
      sec,
    );
  }

  async #acquire(): Promise<void> {
    if (this.#running < this.#opts.maxConcurrent) {
      this.#running++;
      return;
    }
    if (this.#queue.length >= this.#opts.maxQueued) {
      throw new LoginRefused(
        'api.user.login.busy.app_error',
        'Too many logins at once. Try again in a moment.',
        503,
        1,
      );
    }
    // The slot is handed over by #release, so #running never drops while someone waits.
    await new Promise<void>((resolve) => this.#queue.push(resolve));
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#running--;
  }
}
