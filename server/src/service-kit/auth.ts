// Who is calling an rtcd or job-service API (both speak upstream's scheme): Basic auth (client id + key, or the admin secret as the password),
// or a bearer token from /login (32 base64url characters, one per client, kept in memory for
// `session_cache.expiration_minutes`, as upstream). bcrypt is slow on purpose, so three guards keep
// a caller from turning it against the service: verified keys are remembered for a minute, bcrypt
// runs at most a few times a second overall (callers wait up to 10 s, as upstream), and an address
// that keeps failing is locked out with a growing backoff.
import {createHash, randomBytes, timingSafeEqual} from 'node:crypto';
import {FailureBackoff} from '../http/failure-backoff';
import {CredentialsError, CredentialsStore} from './credentials';
import type {ServiceApiConfig} from './settings';

/** What an rtcd or job-service API is built on: its clients' credentials, their auth and the api.* switches. */
export interface ServiceApi {
  credentials: CredentialsStore;
  auth: ServiceAuth;
  allowSelfRegistration: boolean;
  enableAdmin: boolean;
}

/** Opens the credentials store under store.data_source, with the auth and switches the api.* settings ask for. */
export function openServiceApi(
  cfg: {store: {dataSource: string}; api: ServiceApiConfig},
  verificationsPerSecond?: number,
): ServiceApi {
  const credentials = new CredentialsStore(cfg.store.dataSource);
  return {
    credentials,
    auth: ServiceAuth.fromApiConfig(credentials, cfg.api, verificationsPerSecond),
    allowSelfRegistration: cfg.api.allowSelfRegistration,
    enableAdmin: cfg.api.enableAdmin,
  };
}

export type Principal = {admin: true; clientID: ''} | {admin: false; clientID: string};

export type AuthResult =
  | {ok: true; principal: Principal}
  | {ok: false; reason: 'unauthorized'}
  | {ok: false; reason: 'rate_limited'; retryAfterMs: number};

export interface AuthOptions {
  enableAdmin: boolean;
  adminSecretKey: string;
  sessionCacheExpirationMinutes: number;
  /** bcrypt checks per second over all callers, and how many may queue up at once. */
  verificationsPerSecond?: number;
  now?: () => number;
}

const VERIFIED_TTL_MS = 60_000;
const MAX_WAIT_MS = 10_000;
const MAX_VERIFIED = 10_000;
const MAX_SELF_REGISTERED = 10_000;

export class ServiceAuth {
  readonly #store: CredentialsStore;
  readonly #opts: AuthOptions;
  readonly #now: () => number;
  /** token → client and expiry; `#tokenOf` keeps one token per client. */
  readonly #tokens = new Map<string, {clientID: string; expires: number}>();
  readonly #tokenOf = new Map<string, string>();
  /** sha256(id, key) → expiry of a successful bcrypt check. */
  readonly #verified = new Map<string, number>();
  readonly #failures = new FailureBackoff({
    freeFailures: 5,
    baseLockMs: 1000,
    maxLockMs: 60_000,
    forgetAfterMs: 10 * 60_000,
    maxKeys: 10_000,
  });
  #nextSlot = 0;

  /** The auth the api.security.* settings ask for (both services read the same ones). */
  static fromApiConfig(store: CredentialsStore, api: ServiceApiConfig, verificationsPerSecond?: number): ServiceAuth {
    return new ServiceAuth(store, {
      enableAdmin: api.enableAdmin,
      adminSecretKey: api.adminSecretKey,
      sessionCacheExpirationMinutes: api.sessionCacheExpirationMinutes,
      verificationsPerSecond,
    });
  }

  constructor(store: CredentialsStore, opts: AuthOptions) {
    this.#store = store;
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  /** Checks an Authorization header for a request from `address`. */
  async authenticate(header: string | undefined, address: string): Promise<AuthResult> {
    const locked = this.#failures.lockedFor(address, this.#now());
    if (locked > 0) return {ok: false, reason: 'rate_limited', retryAfterMs: locked};
    const result = await this.#check(header ?? '');
    if (result.ok) this.#failures.reset(address);
    else if (result.reason === 'unauthorized') this.#failures.fail(address, this.#now());
    return result;
  }

  /** A bearer token for the client, replacing any earlier one; null when the credentials are wrong. */
  async login(clientID: string, authKey: string, address: string): Promise<AuthResult & {token?: string}> {
    const locked = this.#failures.lockedFor(address, this.#now());
    if (locked > 0) return {ok: false, reason: 'rate_limited', retryAfterMs: locked};
    const res = await this.#verifyClient(clientID, authKey);
    if (!res.ok) {
      if (res.reason === 'unauthorized') this.#failures.fail(address, this.#now());
      return res;
    }
    this.#failures.reset(address);
    const old = this.#tokenOf.get(clientID);
    if (old) this.#tokens.delete(old);
    const token = randomBytes(24).toString('base64url');
    this.#tokens.set(token, {clientID, expires: this.#now() + this.#opts.sessionCacheExpirationMinutes * 60_000});
    this.#tokenOf.set(clientID, token);
    return {...res, token};
  }

  /**
   * calls-offloader's implicit self-registration (reference §7.1): the client id of a Basic-auth header
   * that is not registered yet is registered with its key. A bad id or short key is left alone (the
   * authentication that follows refuses it); the bcrypt work waits for a slot like a verification, and
   * the store stops taking new clients at `maxClients` so a caller cannot grow it without bound.
   */
  async selfRegister(header: string | undefined, maxClients = MAX_SELF_REGISTERED): Promise<void> {
    const creds = basicCredentials(header ?? '');
    if (!creds || !creds.clientID || this.#store.has(creds.clientID)) return;
    if (this.#opts.enableAdmin && this.#opts.adminSecretKey && sameSecret(creds.key, this.#opts.adminSecretKey)) return;
    if (this.#store.count() >= maxClients) return;
    const wait = this.#slot();
    if (wait === null) return;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    try {
      await this.#store.register(creds.clientID, creds.key);
    } catch (err) {
      if (!(err instanceof CredentialsError)) throw err;
    }
  }

  /** Forgets everything cached for a client that was unregistered. */
  forget(clientID: string): void {
    const token = this.#tokenOf.get(clientID);
    if (token) this.#tokens.delete(token);
    this.#tokenOf.delete(clientID);
    const prefix = `${clientID}\0`;
    for (const k of [...this.#verified.keys()]) if (k.startsWith(prefix)) this.#verified.delete(k);
  }

  async #check(header: string): Promise<AuthResult> {
    const space = header.indexOf(' ');
    const scheme = space > 0 ? header.slice(0, space).toLowerCase() : '';
    const value = space > 0 ? header.slice(space + 1).trim() : '';
    if (scheme === 'bearer') {
      const entry = this.#tokens.get(value);
      if (!entry || entry.expires <= this.#now()) {
        if (entry) this.forget(entry.clientID);
        return {ok: false, reason: 'unauthorized'};
      }
      return {ok: true, principal: {admin: false, clientID: entry.clientID}};
    }
    const creds = basicCredentials(header);
    if (!creds) return {ok: false, reason: 'unauthorized'};
    const {clientID, key} = creds;
    if (this.#opts.enableAdmin && this.#opts.adminSecretKey && sameSecret(key, this.#opts.adminSecretKey)) {
      return {ok: true, principal: {admin: true, clientID: ''}};
    }
    return this.#verifyClient(clientID, key);
  }

  async #verifyClient(clientID: string, key: string): Promise<AuthResult> {
    if (!clientID || !key) return {ok: false, reason: 'unauthorized'};
    const memo = `${clientID}\0${createHash('sha256').update(clientID).update('\0').update(key).digest('base64')}`;
    const until = this.#verified.get(memo);
    if (until !== undefined && until > this.#now() && this.#store.has(clientID)) {
      return {ok: true, principal: {admin: false, clientID}};
    }
    const wait = this.#slot();
    if (wait === null) return {ok: false, reason: 'rate_limited', retryAfterMs: 1000};
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (!(await this.#store.verify(clientID, key))) return {ok: false, reason: 'unauthorized'};
    this.#verified.delete(memo);
    this.#verified.set(memo, this.#now() + VERIFIED_TTL_MS);
    while (this.#verified.size > MAX_VERIFIED) this.#verified.delete(this.#verified.keys().next().value as string);
    return {ok: true, principal: {admin: false, clientID}};
  }

  /** Milliseconds to wait for a bcrypt slot, or null when the wait would pass 10 s. */
  #slot(): number | null {
    const interval = 1000 / (this.#opts.verificationsPerSecond ?? 4);
    const now = this.#now();
    const at = Math.max(now, this.#nextSlot);
    if (at - now > MAX_WAIT_MS) return null;
    this.#nextSlot = at + interval;
    return at - now;
  }
}

/** The client id and key of a Basic Authorization header, or null. */
function basicCredentials(header: string): {clientID: string; key: string} | null {
  const space = header.indexOf(' ');
  if (space <= 0 || header.slice(0, space).toLowerCase() !== 'basic') return null;
  const value = header.slice(space + 1).trim();
  if (value.length > 1024) return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return {clientID: decoded.slice(0, colon), key: decoded.slice(colon + 1)};
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
