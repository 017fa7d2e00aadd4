// The HTTP server: fastify with our error shape ({id, message, status_code}), a 1 MiB body limit,
// timeouts and connection caps (a client holding sockets open cannot exhaust the server), and the
// authentication helpers shared by the plugin API and the standalone platform routes.
import type {Socket} from 'node:net';
import Fastify, {type FastifyInstance, type FastifyReply, type FastifyRequest} from 'fastify';
import type {z} from 'zod';
import {AppError, badRequest, toAppError, unauthorized} from '../errors';
import type {Logger} from '../log';
import type {AuthSession} from '../platform/types';
import {passesCSRF, tokenSourceFromRequest} from './auth';
import {addressBlock} from './client-address';
import {MAX_BODY_DEPTH, jsonNestsDeeperThan} from './json-depth';
import {isOutsideSitePath, stripSitePath} from './site-path';
import {hasUnstorableText, UNSTORABLE_TEXT} from '../unstorable';

export const BODY_LIMIT = 1024 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireSession. */
    session?: AuthSession;
  }
}

export interface HttpLimits {
  /** Time to receive a request's headers; a client sending them slowly is cut off after it. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included (not the response, nor an upgraded websocket). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (above the 60 s of common load balancers). */
  keepAliveTimeoutMs: number;
  /** How often incomplete requests are checked against the two timeouts above. */
  timeoutCheckIntervalMs: number;
  /** Open connections (websockets included); further ones are closed at once. */
  maxConnections: number;
  /** Open connections per client address (an IPv6 client by its /64); 0 = no cap. */
  maxConnectionsPerIP: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 72_000,
  timeoutCheckIntervalMs: 1000,
  maxConnections: 10_000,
  maxConnectionsPerIP: 500,
};

/**
 * The caps from MM_CALLS_HTTP_MAX_CONNECTIONS and MM_CALLS_HTTP_MAX_CONNECTIONS_PER_IP. Behind a trusted
 * proxy (MM_CALLS_TRUSTED_PROXY_IP_HEADER) every connection comes from the proxy, so the per-address cap
 * is off unless set explicitly.
 */
export function httpLimitsFromEnv(env: NodeJS.ProcessEnv): Partial<HttpLimits> {
  const int = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    if (!/^\d{1,9}$/.test(raw.trim()))
      throw new Error(`invalid ${name}: "${raw.slice(0, 32)}" is not a non-negative integer`);
    return Number(raw.trim());
  };
  const out: Partial<HttpLimits> = {};
  const total = int('MM_CALLS_HTTP_MAX_CONNECTIONS');
  if (total !== undefined) out.maxConnections = total;
  const perIP = int('MM_CALLS_HTTP_MAX_CONNECTIONS_PER_IP');
  if (perIP !== undefined) out.maxConnectionsPerIP = perIP;
  else if (env.MM_CALLS_TRUSTED_PROXY_IP_HEADER?.trim()) out.maxConnectionsPerIP = 0;
  return out;
}

export interface HttpServerOptions {
  logger: Logger;
  limits?: Partial<HttpLimits>;
  /** The site URL's path ('' at the root): every route is served under it (http/site-path.ts). */
  sitePath?: string;
}

/** One registered route, as fastify's onRoute hook reports it (HEAD twins included). */
export interface RouteInfo {
  method: string;
  url: string;
}

const routeTables = new WeakMap<FastifyInstance, RouteInfo[]>();

/** Every route registered on a server made by createHttpServer, in registration order (the fuzz suite walks them). */
export function registeredRoutes(app: FastifyInstance): readonly RouteInfo[] {
  return routeTables.get(app) ?? [];
}

export function createHttpServer(opts: HttpServerOptions): FastifyInstance {
  const log = opts.logger.child({module: 'http'});
  const limits = {...DEFAULT_HTTP_LIMITS, ...opts.limits};
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    // Clients disconnecting mid-request must not surface as errors.
    return503OnClosing: true,
    forceCloseConnections: true,
    // Node checks these only for requests in progress: an upgraded websocket is no longer one.
    http: {headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: limits.timeoutCheckIntervalMs},
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    rewriteUrl: (req) => stripSitePath(req, opts.sitePath ?? ''),
    // Malformed URLs and the like: our error shape, not fastify's.
    frameworkErrors: (err, _req, reply) => {
      void (reply as FastifyReply)
        .status(400)
        .type('application/json')
        .send(badRequest('api.context.invalid_url_param.app_error', 'invalid request URL').toJSON());
      log.debug({err: err.message}, 'request refused by the router');
    },
  });
  if (limits.maxConnections > 0) app.server.maxConnections = limits.maxConnections;
  if (limits.maxConnectionsPerIP > 0) capConnectionsPerAddress(app, limits.maxConnectionsPerIP, log);
  if (opts.sitePath) {
    const base = opts.sitePath;
    app.addHook('onRequest', async (req, reply) => {
      if (!isOutsideSitePath(req.raw)) return;
      // As Mattermost under a subpath: the bare root leads to the site, anything else outside it does not exist.
      if ((req.method === 'GET' || req.method === 'HEAD') && req.originalUrl.split('?')[0] === '/') {
        return reply.redirect(`${base}/`, 302);
      }
      return reply
        .status(404)
        .type('application/json')
        .send({id: 'api.context.404.app_error', message: 'Sorry, we could not find the page.', status_code: 404});
    });
  }
  const routes: RouteInfo[] = [];
  routeTables.set(app, routes);
  app.addHook('onRoute', (r) => {
    for (const method of Array.isArray(r.method) ? r.method : [r.method]) routes.push({method, url: r.url});
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    const fe = err as {statusCode?: number; code?: string; message?: string};
    let e: AppError;
    if (err instanceof AppError) e = err;
    else if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      e = new AppError('api.context.request_body_too_large.app_error', `request body exceeds ${BODY_LIMIT} bytes`, 413);
    else if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      e = new AppError('api.context.invalid_media_type.app_error', 'unsupported content type', 415);
    else if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)
      e = badRequest('api.context.invalid_body_param.app_error', fe.message ?? 'bad request');
    else e = toAppError(err);
    if (e.status >= 500)
      log.error({err: fe.message, details: e.details, method: req.method, url: req.url}, 'request failed');
    else log.debug({err: e.message, id: e.id, method: req.method, url: req.url}, 'request refused');
    void reply.status(e.status).type('application/json').send(e.toJSON());
  });

  app.setNotFoundHandler((req, reply) => {
    void reply
      .status(404)
      .send(new AppError('api.context.404.app_error', 'Sorry, we could not find the page.', 404).toJSON());
  });

  // A NUL in a path or query parameter would reach a PostgreSQL query as a 500 (see unstorable.ts).
  app.addHook('onRequest', async (req) => {
    if (/%00/i.test(req.url))
      throw badRequest('api.context.invalid_url_param.app_error', 'the URL contains a NUL character');
  });

  // Empty bodies on POST are common (host controls); treat them as {}.
  app.addContentTypeParser('application/json', {parseAs: 'string'}, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    if (jsonNestsDeeperThan(text, MAX_BODY_DEPTH)) {
      return done(
        badRequest(
          'api.context.invalid_body_param.app_error',
          `request body nests deeper than ${MAX_BODY_DEPTH} levels`,
        ),
        undefined,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return done(badRequest('api.context.invalid_body_param.app_error', 'request body is not valid JSON'), undefined);
    }
    if (hasUnstorableText(parsed))
      return done(
        badRequest('api.context.invalid_body_param.app_error', `request body contains ${UNSTORABLE_TEXT}`),
        undefined,
      );
    done(null, parsed);
  });

  return app;
}

/** Closes a new connection when its address already has `max` open (checked before any byte is read). */
function capConnectionsPerAddress(app: FastifyInstance, max: number, log: Logger): void {
  const open = new Map<string, number>();
  let refused = 0;
  app.server.on('connection', (socket: Socket) => {
    const key = addressBlock((socket.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.)/, ''));
    const n = open.get(key) ?? 0;
    if (n >= max) {
      // Logged once per hundred so a flood does not become a log flood.
      if (refused++ % 100 === 0)
        log.warn({address: key, max}, 'connection refused: too many open connections from this address');
      socket.destroy();
      return;
    }
    open.set(key, n + 1);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    });
  });
}

/** Authenticates the request (token header or cookie + CSRF header for writes) or throws 401. */
export async function requireSession(
  req: FastifyRequest,
  authenticateToken: (token: string) => Promise<AuthSession | null>,
): Promise<AuthSession> {
  if (req.session) return req.session;
  const src = tokenSourceFromRequest(req.headers);
  if (!src) throw unauthorized('Invalid or expired session, please login again.');
  const session = await authenticateToken(src.token);
  if (!session) throw unauthorized('Invalid or expired session, please login again.');
  // Cookies ride along on cross-site requests; Mattermost requires X-CSRF-Token (matching its MMCSRF cookie)
  // or X-Requested-With: XMLHttpRequest for cookie-authenticated writes.
  if (src.fromCookie && req.method !== 'GET' && req.method !== 'HEAD' && !passesCSRF(req.headers)) {
    throw unauthorized('Invalid or expired session, please login again.');
  }
  req.session = session;
  return session;
}

/** Validates a body with a zod schema, or throws 400 naming the field. */
export function parseBody<T extends z.ZodTypeAny>(schema: T, body: unknown): z.infer<T> {
  const res = schema.safeParse(body ?? {});
  if (!res.success) {
    const issue = res.error.issues[0];
    const path = issue?.path.join('.') || 'body';
    throw badRequest(
      'api.context.invalid_body_param.app_error',
      `invalid request body: ${path}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return res.data;
}

export function sendJSON(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.status(status).type('application/json').send(body);
}
