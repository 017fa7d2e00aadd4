// A small typed client for Mattermost's REST API v4 on fetch: the service token (or a user's, to validate
// it), 429 retried after Retry-After, and every failure turned into an AppError with a stable id. Tokens
// never reach logs or errors: only the method, the path (ids) and the status do.
import {Readable} from 'node:stream';
import {AppError} from '../../errors';
import type {Logger} from '../../log';

export interface MattermostClientOptions {
  /** Mattermost's base URL, e.g. https://chat.example.com (no /api/v4). */
  baseURL: string;
  token: string;
  logger: Logger;
  /** How many times a 429 is retried (default 3). */
  maxRetries?: number;
  /** The longest Retry-After honoured before giving up (default 10 s). */
  maxRetryWaitMs?: number;
  /** Per-request deadline (default 10 s). */
  timeoutMs?: number;
}

export interface RequestOptions {
  body?: unknown;
  /** Another token than the service's (validating a user's). */
  token?: string;
  /** A byte stream sent as is (uploads): never retried, since it cannot be replayed. */
  stream?: AsyncIterable<Buffer>;
  headers?: Record<string, string>;
}

/** Mattermost's error body (AppError). */
interface MattermostErrorBody {
  id?: string;
  message?: string;
}

export const UNREACHABLE_ID = 'app.calls.mattermost.unreachable';

export class MattermostClient {
  readonly #base: string;
  readonly #token: string;
  readonly #log: Logger;
  readonly #maxRetries: number;
  readonly #maxRetryWaitMs: number;
  readonly #timeoutMs: number;

  constructor(o: MattermostClientOptions) {
    this.#base = o.baseURL.replace(/\/+$/, '') + '/api/v4';
    this.#token = o.token;
    this.#log = o.logger;
    this.#maxRetries = o.maxRetries ?? 3;
    this.#maxRetryWaitMs = o.maxRetryWaitMs ?? 10_000;
    this.#timeoutMs = o.timeoutMs ?? 10_000;
  }

  /** The response of a request that succeeded (2xx); throws an AppError otherwise. */
  async raw(method: string, path: string, o: RequestOptions = {}): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.#send(method, path, o);
      if (res.status === 429 && !o.stream && attempt < this.#maxRetries) {
        const waitMs = retryAfterMs(res.headers.get('retry-after'));
        await res.body?.cancel();
        if (waitMs <= this.#maxRetryWaitMs) {
          this.#log.warn({method, path, waitMs, attempt}, 'Mattermost rate limit: retrying after Retry-After');
          await new Promise((r) => setTimeout(r, waitMs));
          continue;
        }
      }
      if (res.ok) return res;
      throw await this.#error(method, path, res, o.token !== undefined);
    }
  }

  /** JSON of a 2xx response. */
  async json<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const res = await this.raw(method, path, o);
    return (await res.json()) as T;
  }

  /** JSON of a GET, or null when Mattermost answers 404 (unknown or deleted). */
  async find<T>(path: string, o: RequestOptions = {}): Promise<T | null> {
    try {
      return await this.json<T>('GET', path, o);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) return null;
      throw err;
    }
  }

  async #send(method: string, path: string, o: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${o.token ?? this.#token}`,
      // Mattermost's CSRF check does not apply to token auth, but the header marks us as an API client.
      'X-Requested-With': 'XMLHttpRequest',
      ...o.headers,
    };
    let body: string | ReadableStream | undefined;
    if (o.stream) {
      body = Readable.toWeb(Readable.from(o.stream)) as ReadableStream;
      headers['Content-Type'] ??= 'application/octet-stream';
    } else if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['Content-Type'] = 'application/json';
    }
    try {
      return await fetch(this.#base + path, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(o.stream ? this.#timeoutMs * 30 : this.#timeoutMs),
        ...(o.stream ? {duplex: 'half'} : {}),
      } as RequestInit);
    } catch (err) {
      const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      this.#log.warn({method, path, cause}, 'Mattermost unreachable');
      throw new AppError(UNREACHABLE_ID, 'Mattermost is unreachable; try again in a moment.', 503, {
        method,
        path,
        cause,
      });
    }
  }

  async #error(method: string, path: string, res: Response, userToken: boolean): Promise<AppError> {
    let body: MattermostErrorBody = {};
    const text = await res.text().catch(() => '');
    try {
      body = JSON.parse(text) as MattermostErrorBody;
    } catch {
      // not an AppError body (a proxy's page, the rate limiter's text)
    }
    const details = {method, path, status: res.status, mattermostID: body.id};
    if (res.status === 429) {
      this.#log.warn(details, 'Mattermost rate limit: giving up');
      return new AppError(
        'app.calls.mattermost.rate_limited',
        'Mattermost is busy; try again in a moment.',
        503,
        details,
      );
    }
    if (res.status === 404)
      return new AppError('app.calls.mattermost.not_found', body.message || 'Not found.', 404, details);
    if (res.status === 401 || res.status === 403) {
      // A user's token being refused is ordinary (logged out); the service's is a misconfiguration.
      if (!userToken) this.#log.error(details, 'Mattermost refused the Calls service request');
      return new AppError(
        res.status === 401 ? 'app.calls.mattermost.token_rejected' : 'app.calls.mattermost.forbidden',
        res.status === 401
          ? 'Mattermost refused the Calls service token.'
          : 'The Calls service account lacks a Mattermost permission.',
        res.status,
        details,
      );
    }
    if (res.status === 400)
      return new AppError(
        'app.calls.mattermost.bad_request',
        body.message || 'Mattermost refused the request.',
        400,
        details,
      );
    this.#log.error(details, 'Mattermost request failed');
    return new AppError('app.calls.mattermost.error', 'Mattermost could not complete the request.', 502, details);
  }
}

/** Retry-After in seconds or an HTTP date (RFC 9110 §10.2.3); 1 s when absent or unreadable. */
export function retryAfterMs(header: string | null): number {
  if (!header) return 1000;
  const secs = Number(header);
  if (Number.isFinite(secs) && secs >= 0) return Math.ceil(secs * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : 1000;
}
