// The HTTP side the two upstream-compatible services (rtcd, the job service) share: a fastify app that reads
// bodies as Go's net/http does (any content type, as text) and answers a wrong path with Go's 404, upstream's
// `{"error","code"}` replies, and the credential routes /register, /unregister and /login.
import {readFileSync} from 'node:fs';
import path from 'node:path';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type {Logger} from '../log';
import type {AuthResult, ServiceApi} from './auth';
import {CredentialsError} from './credentials';
import {listenHostPort} from './settings';
import {apiScheme, apiServerFactory, type ApiTlsOptions} from './tls-server';

export const GO_NOT_FOUND = '404 page not found\n';

/** What `GET /version` answers in both services (upstream's Go build fields; ours name node instead). */
export interface ServiceVersion {
  buildDate: string;
  buildVersion: string;
  buildHash: string;
  goVersion: string;
}

export function serviceVersion(): ServiceVersion {
  // server/src/service-kit (or server/dist/service-kit, the same layout) → the package root.
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return {buildDate: '', buildVersion: `v${pkg.version}`, buildHash: '', goVersion: `node ${process.version}`};
}

/** A fastify app with upstream's timeouts (read 30 s, idle 30 s), Go's body reading and Go's 404. */
export function goStyleHttp(o: {
  tls: ApiTlsOptions | null;
  bodyLimit: number;
  /** More fastify options (path limits, framework errors). */
  fastify?: Partial<FastifyServerOptions>;
}): FastifyInstance {
  const app = Fastify({
    logger: false,
    serverFactory: apiServerFactory(o.tls),
    bodyLimit: o.bodyLimit,
    requestTimeout: 30_000,
    keepAliveTimeout: 30_000,
    forceCloseConnections: true,
    return503OnClosing: true,
    ...o.fastify,
  });
  // Go reads the body whatever its content type; so do we, and parse it ourselves.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', {parseAs: 'string'}, (_req, body, done) => done(null, String(body)));
  app.setNotFoundHandler((_req, reply) => void reply.status(404).type('text/plain; charset=utf-8').send(GO_NOT_FOUND));
  return app;
}

/**
 * Listens on an upstream `listen_address` ("[host]:port", port 0 for any) and returns the URL the service is
 * reached at (loopback when it listens on every interface).
 */
export async function listenOnAddress(
  app: FastifyInstance,
  listenAddress: string,
  tls: ApiTlsOptions | null,
): Promise<string> {
  const {host, port} = listenHostPort(listenAddress);
  await app.listen({host, port});
  const bound = (app.server.address() as {port: number}).port;
  return `${apiScheme(tls)}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}`;
}

/** The caller's IP address (an IPv4-mapped IPv6 address as plain IPv4), for rate limits and logs. */
export const peerAddress = (req: FastifyRequest) =>
  (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.)/, '');

/** Upstream's flat reply: the extra fields and the status as a string "code". */
export const audit = (reply: FastifyReply, status: number, extra: Record<string, string> = {}) =>
  reply
    .status(status)
    .type('application/json')
    .send({...extra, code: String(status)});

/** A refused authentication: 429 with Retry-After when rate limited, else `status` (401). */
export const refused = (reply: FastifyReply, res: Exclude<AuthResult, {ok: true}>, status = 401) => {
  if (res.reason === 'rate_limited') {
    void reply.header('Retry-After', String(Math.ceil(res.retryAfterMs / 1000)));
    return audit(reply, 429, {error: 'too many authentication attempts'});
  }
  return audit(reply, status, {error: 'unauthorized'});
};

/** A JSON object body (not an array), or null. */
export function jsonObject(text: unknown): Record<string, unknown> | null {
  let v: unknown;
  try {
    v = JSON.parse(String(text));
  } catch {
    return null;
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function credentialsBody(text: unknown): {clientID: string; authKey: string} | null {
  const o = jsonObject(text);
  if (!o) return null;
  if (
    (o.clientID !== undefined && typeof o.clientID !== 'string') ||
    (o.authKey !== undefined && typeof o.authKey !== 'string')
  )
    return null;
  return {clientID: (o.clientID as string | undefined) ?? '', authKey: (o.authKey as string | undefined) ?? ''};
}

export interface CredentialRoutesOptions extends ServiceApi {
  log: Logger;
  /** The service's name in log lines ("rtcd", "job service"). */
  service: string;
  /** What a successful /unregister answers: upstream rtcd `{"code":"200"}`, calls-offloader no body. */
  unregisteredBody: 'code' | 'none';
}

/** POST /register, /unregister and /login, as upstream rtcd and calls-offloader serve them. */
export function registerCredentialRoutes(app: FastifyInstance, o: CredentialRoutesOptions): void {
  const authenticate = (req: FastifyRequest) => o.auth.authenticate(req.headers.authorization, peerAddress(req));

  app.post('/register', async (req, reply) => {
    if (!o.allowSelfRegistration) {
      const res = await authenticate(req);
      if (!res.ok) return refused(reply, res);
    }
    const body = credentialsBody(req.body);
    if (!body) return audit(reply, 400, {error: 'registration failed: invalid request body'});
    try {
      await o.credentials.register(body.clientID, body.authKey);
    } catch (err) {
      if (err instanceof CredentialsError) return audit(reply, err.status, {error: err.message});
      throw err;
    }
    o.log.info({clientID: body.clientID}, `${o.service} client registered`);
    return audit(reply, 201, {clientID: body.clientID});
  });

  app.post('/unregister', async (req, reply) => {
    if (!o.enableAdmin && !o.allowSelfRegistration) return audit(reply, 403, {error: 'unregister not enabled'});
    const res = await authenticate(req);
    if (!res.ok) return refused(reply, res);
    const body = credentialsBody(req.body);
    if (!body || !body.clientID) return audit(reply, 400, {error: 'unregister failed: invalid request body'});
    if (!res.principal.admin && res.principal.clientID !== body.clientID)
      return audit(reply, 403, {error: 'client id not valid'});
    if (!o.credentials.unregister(body.clientID))
      return audit(reply, 400, {error: 'unregister failed: client not found'});
    o.auth.forget(body.clientID);
    o.log.info({clientID: body.clientID, byAdmin: res.principal.admin}, `${o.service} client unregistered`);
    return o.unregisteredBody === 'code' ? audit(reply, 200) : reply.status(200).send();
  });

  app.post('/login', async (req, reply) => {
    const body = credentialsBody(req.body);
    if (!body) return audit(reply, 400, {error: 'login failed: invalid request body'});
    const res = await o.auth.login(body.clientID, body.authKey, peerAddress(req));
    if (!res.ok)
      return res.reason === 'rate_limited' ? refused(reply, res) : audit(reply, 400, {error: 'login failed'});
    return audit(reply, 200, {bearerToken: res.token ?? ''});
  });
}
