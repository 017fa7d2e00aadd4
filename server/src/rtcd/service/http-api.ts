// The rtcd HTTP API (reference rtcd-offloader.md §1): /version, /register, /unregister, /login,
// /calls/{callID}/sessions[/{sessionID}], /system and /metrics, with upstream's reply shapes — flat
// string maps with "code" (and "error") for the credential routes, plain text for refusals elsewhere,
// Go's "404 page not found" for a wrong method. The signalling websocket /ws is attached by ws-server.ts.
import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify';
import type {Logger} from '../../log';
import type {Principal, ServiceApi} from '../../service-kit/auth';
import {
  goStyleHttp,
  peerAddress,
  refused,
  registerCredentialRoutes,
  type ServiceVersion,
} from '../../service-kit/go-http';
import type {ApiTlsOptions} from '../../service-kit/tls-server';

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

export interface RtcdVersion extends ServiceVersion {
  goOS: string;
  goArch: string;
}

export interface RtcdHttpOptions extends ServiceApi {
  logger: Logger;
  /** TLS of the API (api.http.tls), or null for plain HTTP. */
  tls?: ApiTlsOptions | null;
  version: RtcdVersion;
  cpuLoad: () => number;
  metrics: () => Promise<string>;
  sessions: RtcdSessionDirectory;
}

const BODY_LIMIT = 16 * 1024;

export function createRtcdHttp(opts: RtcdHttpOptions): FastifyInstance {
  const log = opts.logger.child({module: 'rtcd-api'});
  // Upstream's timeouts: read 30 s, write 60 s, idle 30 s.
  const app = goStyleHttp({tls: opts.tls ?? null, bodyLimit: BODY_LIMIT});
  app.setErrorHandler((err: {statusCode?: number; message?: string}, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) log.error({err: err.message, url: req.url}, 'rtcd request failed');
    void reply
      .status(status)
      .type('text/plain; charset=utf-8')
      .send(status >= 500 ? 'internal error\n' : `${err.message ?? 'bad request'}\n`);
  });

  app.get('/version', async (_req, reply) => reply.type('application/json').send(opts.version));

  app.get('/system', async (_req, reply) => reply.type('application/json').send({cpu_load: opts.cpuLoad()}));

  app.get('/metrics', async (_req, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(await opts.metrics()),
  );

  registerCredentialRoutes(app, {...opts, log, service: 'rtcd', unregisteredBody: 'code'});

  const group = async (req: FastifyRequest, reply: FastifyReply): Promise<Principal | null> => {
    const res = await opts.auth.authenticate(req.headers.authorization, peerAddress(req));
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
