// The HTTP server: fastify with our error shape ({id, message, status_code}), a 1 MiB body limit,
// authentication helpers shared by the plugin API and the standalone platform routes.
import Fastify, {type FastifyInstance, type FastifyReply, type FastifyRequest} from 'fastify';
import {z} from 'zod';
import {AppError, badRequest, toAppError, unauthorized} from '../errors';
import type {Logger} from '../log';
import type {AuthSession} from '../platform/types';
import {tokenSourceFromRequest} from './auth';
import {MAX_BODY_DEPTH, jsonNestsDeeperThan} from './json-depth';
import {hasUnstorableText, UNSTORABLE_TEXT} from '../unstorable';

export const BODY_LIMIT = 1024 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireSession. */
    session?: AuthSession;
  }
}

export interface HttpServerOptions {
  logger: Logger;
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
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    // Clients disconnecting mid-request must not surface as errors.
    return503OnClosing: true,
    forceCloseConnections: true,
  });
  const routes: RouteInfo[] = [];
  routeTables.set(app, routes);
  app.addHook('onRoute', (r) => {
    for (const method of Array.isArray(r.method) ? r.method : [r.method]) routes.push({method, url: r.url});
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    const fe = err as {statusCode?: number; code?: string; message?: string};
    let e: AppError;
    if (err instanceof AppError) e = err;
    else if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = new AppError('api.context.request_body_too_large.app_error', `request body exceeds ${BODY_LIMIT} bytes`, 413);
    else if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') e = new AppError('api.context.invalid_media_type.app_error', 'unsupported content type', 415);
    else if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) e = badRequest('api.context.invalid_body_param.app_error', fe.message ?? 'bad request');
    else e = toAppError(err);
    if (e.status >= 500) log.error({err: fe.message, details: e.details, method: req.method, url: req.url}, 'request failed');
    else log.debug({err: e.message, id: e.id, method: req.method, url: req.url}, 'request refused');
    void reply.status(e.status).type('application/json').send(e.toJSON());
  });

  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send(new AppError('api.context.404.app_error', 'Sorry, we could not find the page.', 404).toJSON());
  });

  // A NUL in a path or query parameter would reach a PostgreSQL query as a 500 (see unstorable.ts).
  app.addHook('onRequest', async (req) => {
    if (/%00/i.test(req.url)) throw badRequest('api.context.invalid_url_param.app_error', 'the URL contains a NUL character');
  });

  // Empty bodies on POST are common (host controls); treat them as {}.
  app.addContentTypeParser('application/json', {parseAs: 'string'}, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    if (jsonNestsDeeperThan(text, MAX_BODY_DEPTH)) {
      return done(badRequest('api.context.invalid_body_param.app_error', `request body nests deeper than ${MAX_BODY_DEPTH} levels`), undefined);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return done(badRequest('api.context.invalid_body_param.app_error', 'request body is not valid JSON'), undefined);
    }
    if (hasUnstorableText(parsed)) return done(badRequest('api.context.invalid_body_param.app_error', `request body contains ${UNSTORABLE_TEXT}`), undefined);
    done(null, parsed);
  });

  return app;
}

/** Authenticates the request (token header or cookie + CSRF header for writes) or throws 401. */
export async function requireSession(req: FastifyRequest, authenticateToken: (token: string) => Promise<AuthSession | null>): Promise<AuthSession> {
  if (req.session) return req.session;
  const src = tokenSourceFromRequest(req.headers);
  if (!src) throw unauthorized('Invalid or expired session, please login again.');
  const session = await authenticateToken(src.token);
  if (!session) throw unauthorized('Invalid or expired session, please login again.');
  // Cookies ride along on cross-site requests; Mattermost requires this header for cookie-authenticated writes.
  if (src.fromCookie && req.method !== 'GET' && req.method !== 'HEAD' && req.headers['x-requested-with'] !== 'XMLHttpRequest') {
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
    throw badRequest('api.context.invalid_body_param.app_error', `invalid request body: ${path}: ${issue?.message ?? 'invalid'}`);
  }
  return res.data;
}

export function sendJSON(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.status(status).type('application/json').send(body);
}
