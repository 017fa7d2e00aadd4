// The rtcd HTTP API (reference rtcd-offloader.md §1): /version, /register, /unregister, /login,
// /calls/{callID}/sessions[/{sessionID}], /system and /metrics, with upstream's reply shapes — flat
// string maps with "code" (and "error") for the credential routes, plain text for refusals elsewhere,
// Go's "404 page not found" for a wrong method. The signalling websocket /ws is attached by ws-server.ts.
import Fastify, {type FastifyInstance, type FastifyReply, type FastifyRequest} from 'fastify';
import type {Logger} from '../../log';
import type {ServiceAuth, AuthResult, Principal} from '../../service-kit/auth';
import {CredentialsError, type CredentialsStore} from '../../service-kit/credentials';
import {apiServerFactory, type ApiTlsOptions} from '../../service-kit/tls-server';

/** A session as `GET /calls/{callID}/sessions` shows it: Go field names, as upstream (no json tags). */
export interface RtcdSessionConfig {
  GroupID: string;
  CallID: string;
  UserID: string;
  SessionID: string;
  Props: {channelID: string; av1Support: boolean; dcSignaling: boolean};
}

export interface RtcdSessionDirectory {
  /** The call's sessions in the client's group; empty or undefined when there are none. */
  sessions(groupID: string, callID: string): RtcdSessionConfig[] | undefined;
}

export interface RtcdVersion {
  buildDate: string;
  buildVersion: string;
  buildHash: string;
  goVersion: string;
  goOS: string;
  goArch: string;
}

export interface RtcdHttpOptions {
  logger: Logger;
  /** TLS of the API (api.http.tls), or null for plain HTTP. */
  tls?: ApiTlsOptions | null;
  store: CredentialsStore;
  auth: ServiceAuth;
  allowSelfRegistration: boolean;
  enableAdmin: boolean;
  version: RtcdVersion;
  cpuLoad: () => number;
  metrics: () => Promise<string>;
  sessions: RtcdSessionDirectory;
}

const BODY_LIMIT = 16 * 1024;
const GO_NOT_FOUND = '404 page not found\n';

export function createRtcdHttp(opts: RtcdHttpOptions): FastifyInstance {
  const log = opts.logger.child({module: 'rtcd-api'});
  // Upstream's timeouts: read 30 s, write 60 s, idle 30 s.
  const app = Fastify({
    logger: false,
    serverFactory: apiServerFactory(opts.tls ?? null),
    bodyLimit: BODY_LIMIT,
    requestTimeout: 30_000,
    keepAliveTimeout: 30_000,
    forceCloseConnections: true,
    return503OnClosing: true,
  });
  // Go reads the body whatever its content type; so do we, and parse it ourselves.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', {parseAs: 'string'}, (_req, body, done) => done(null, String(body)));
  app.setNotFoundHandler((_req, reply) => void reply.status(404).type('text/plain; charset=utf-8').send(GO_NOT_FOUND));
  app.setErrorHandler((err: {statusCode?: number; message?: string}, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) log.error({err: err.message, url: req.url}, 'rtcd request failed');
    void reply
      .status(status)
      .type('text/plain; charset=utf-8')
      .send(status >= 500 ? 'internal error\n' : `${err.message ?? 'bad request'}\n`);
  });

  const address = (req: FastifyRequest) => (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.)/, '');
  const audit = (reply: FastifyReply, status: number, extra: Record<string, string> = {}) =>
    reply
      .status(status)
      .type('application/json')
      .send({...extra, code: String(status)});
  const refused = (reply: FastifyReply, res: Exclude<AuthResult, {ok: true}>, status = 401) => {
    if (res.reason === 'rate_limited') {
      void reply.header('Retry-After', String(Math.ceil(res.retryAfterMs / 1000)));
      return audit(reply, 429, {error: 'too many authentication attempts'});
    }
    return audit(reply, status, {error: 'unauthorized'});
  };
  const credentialsBody = (text: unknown): {clientID: string; authKey: string} | null => {
    let v: unknown;
    try {
      v = JSON.parse(String(text));
    } catch {
      return null;
    }
    if (v === null || typeof v !== 'object') return null;
    const o = v as Record<string, unknown>;
    if (
      (o.clientID !== undefined && typeof o.clientID !== 'string') ||
      (o.authKey !== undefined && typeof o.authKey !== 'string')
    )
      return null;
    return {clientID: (o.clientID as string | undefined) ?? '', authKey: (o.authKey as string | undefined) ?? ''};
  };

  app.get('/version', async (_req, reply) => reply.type('application/json').send(opts.version));

  app.get('/system', async (_req, reply) => reply.type('application/json').send({cpu_load: opts.cpuLoad()}));

  app.get('/metrics', async (_req, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(await opts.metrics()),
  );

  app.post('/register', async (req, reply) => {
    if (!opts.allowSelfRegistration) {
      const res = await opts.auth.authenticate(req.headers.authorization, address(req));
      if (!res.ok) return refused(reply, res);
    }
    const body = credentialsBody(req.body);
    if (!body) return audit(reply, 400, {error: 'registration failed: invalid request body'});
    try {
      await opts.store.register(body.clientID, body.authKey);
    } catch (err) {
      if (err instanceof CredentialsError) return audit(reply, err.status, {error: err.message});
      throw err;
    }
    log.info({clientID: body.clientID}, 'rtcd client registered');
    return audit(reply, 201, {clientID: body.clientID});
  });

  app.post('/unregister', async (req, reply) => {
    if (!opts.enableAdmin && !opts.allowSelfRegistration) return audit(reply, 403, {error: 'unregister not enabled'});
    const res = await opts.auth.authenticate(req.headers.authorization, address(req));
    if (!res.ok) return refused(reply, res);
    const body = credentialsBody(req.body);
    if (!body || !body.clientID) return audit(reply, 400, {error: 'unregister failed: invalid request body'});
    if (!res.principal.admin && res.principal.clientID !== body.clientID)
      return audit(reply, 403, {error: 'client id not valid'});
    if (!opts.store.unregister(body.clientID)) return audit(reply, 400, {error: 'unregister failed: client not found'});
    opts.auth.forget(body.clientID);
    log.info({clientID: body.clientID, byAdmin: res.principal.admin}, 'rtcd client unregistered');
    return audit(reply, 200);
  });

  app.post('/login', async (req, reply) => {
    const body = credentialsBody(req.body);
    if (!body) return audit(reply, 400, {error: 'login failed: invalid request body'});
    const res = await opts.auth.login(body.clientID, body.authKey, address(req));
    if (!res.ok)
      return res.reason === 'rate_limited' ? refused(reply, res) : audit(reply, 400, {error: 'login failed'});
    return audit(reply, 200, {bearerToken: res.token ?? ''});
  });

  const group = async (req: FastifyRequest, reply: FastifyReply): Promise<Principal | null> => {
    const res = await opts.auth.authenticate(req.headers.authorization, address(req));
    if (!res.ok && res.reason === 'rate_limited') {
      void refused(reply, res);
      return null;
    }
    if (!res.ok || res.principal.admin) {
      void reply.status(401).type('text/plain; charset=utf-8').send('unauthorized\n');
      return null;
    }
    return res.principal;
  };

  app.get<{Params: {callID: string}}>('/calls/:callID/sessions', async (req, reply) => {
    const p = await group(req, reply);
    if (!p) return reply;
    const list = opts.sessions.sessions(p.clientID, req.params.callID);
    if (!list?.length)
      return reply.status(404).type('text/plain; charset=utf-8').send('failed to get session configs: not found\n');
    return reply.type('application/json').send(list);
  });

  app.get<{Params: {callID: string; sessionID: string}}>('/calls/:callID/sessions/:sessionID', async (req, reply) => {
    const p = await group(req, reply);
    if (!p) return reply;
    const found = opts.sessions
      .sessions(p.clientID, req.params.callID)
      ?.find((s) => s.SessionID === req.params.sessionID);
    if (!found)
      return reply.status(404).type('text/plain; charset=utf-8').send('failed to get session config: not found\n');
    return reply.type('application/json').send(found);
  });

  return app;
}
