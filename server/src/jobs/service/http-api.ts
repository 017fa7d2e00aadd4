// The calls-offloader HTTP API (reference rtcd-offloader §7.1): /version, /register, /unregister,
// /login, POST /jobs, POST /jobs/init, GET and DELETE /jobs/{id}, GET /jobs/{id}/logs. Errors are
// `{"error","code":"<status>"}`; the successes upstream writes without a body have none; a wrong path or
// method is Go's "404 page not found". A job is visible to the client that created it (and the admin).
import Fastify, {type FastifyInstance, type FastifyReply, type FastifyRequest} from 'fastify';
import type {Logger} from '../../log';
import type {AuthResult, Principal, ServiceAuth} from '../../service-kit/auth';
import {CredentialsError, type CredentialsStore} from '../../service-kit/credentials';
import {toWire, type JobStore} from './job-store';
import {JobLimitError, JobStartError, type JobSupervisor, type NewJob} from './supervisor';
import {apiServerFactory, type ApiTlsOptions} from '../../service-kit/tls-server';

export interface JobsVersion {
  buildDate: string;
  buildVersion: string;
  buildHash: string;
  goVersion: string;
}

export interface JobsHttpOptions {
  logger: Logger;
  /** TLS of the API (api.http.tls), or null for plain HTTP. */
  tls?: ApiTlsOptions | null;
  credentials: CredentialsStore;
  auth: ServiceAuth;
  jobs: JobStore;
  supervisor: JobSupervisor;
  allowSelfRegistration: boolean;
  enableAdmin: boolean;
  version: JobsVersion;
  /** Checks a runner image name; null when it is acceptable, else why not. */
  checkRunner(runner: string): string | null;
}

const BODY_LIMIT = 64 * 1024;
const GO_NOT_FOUND = '404 page not found\n';
const JOB_ID = /^[a-z0-9]{12,26}$/;
/** setTimeout's reach (~24.8 days), so a max duration is always enforced. */
const MAX_DURATION_SEC = 2_000_000;
const MAX_INPUT_KEYS = 64;
const MAX_INPUT_VALUE = 4096;

export function createJobsHttp(opts: JobsHttpOptions): FastifyInstance {
  const log = opts.logger.child({module: 'jobs-api'});
  const app = Fastify({
    logger: false,
    serverFactory: apiServerFactory(opts.tls ?? null),
    bodyLimit: BODY_LIMIT,
    requestTimeout: 30_000,
    keepAliveTimeout: 30_000,
    forceCloseConnections: true,
    return503OnClosing: true,
    // A long {id} reaches the handler, which answers 404 like any id that does not match.
    maxParamLength: 4096,
    // Fastify's own refusals (a malformed URL) in upstream's error shape.
    frameworkErrors: (_err, _req, reply) =>
      void (reply as FastifyReply).status(400).type('application/json').send({error: 'bad request', code: '400'}),
  });
  // Go reads the body whatever its content type; so do we, and parse it ourselves.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', {parseAs: 'string'}, (_req, body, done) => done(null, String(body)));
  app.setNotFoundHandler((_req, reply) => void reply.status(404).type('text/plain; charset=utf-8').send(GO_NOT_FOUND));
  app.setErrorHandler((err: {statusCode?: number; message?: string}, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) log.error({err: err.message, url: req.url}, 'job service request failed');
    return error(reply, status, status >= 500 ? 'internal error' : 'bad request');
  });

  const address = (req: FastifyRequest) => (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.)/, '');
  const audit = (reply: FastifyReply, status: number, extra: Record<string, string> = {}) =>
    reply
      .status(status)
      .type('application/json')
      .send({...extra, code: String(status)});
  const error = (reply: FastifyReply, status: number, message: string) => audit(reply, status, {error: message});
  const refused = (reply: FastifyReply, res: Exclude<AuthResult, {ok: true}>) => {
    if (res.reason === 'rate_limited') {
      void reply.header('Retry-After', String(Math.ceil(res.retryAfterMs / 1000)));
      return error(reply, 429, 'too many authentication attempts');
    }
    return error(reply, 401, 'unauthorized');
  };
  const authenticate = async (req: FastifyRequest, selfRegister = true) => {
    if (selfRegister && opts.allowSelfRegistration) await opts.auth.selfRegister(req.headers.authorization);
    return opts.auth.authenticate(req.headers.authorization, address(req));
  };
  /** The caller of a job route, or null once the refusal is sent. */
  const caller = async (req: FastifyRequest, reply: FastifyReply): Promise<Principal | null> => {
    const res = await authenticate(req);
    if (res.ok) return res.principal;
    void refused(reply, res);
    return null;
  };
  const credentialsBody = (text: unknown): {clientID: string; authKey: string} | null => {
    const o = jsonObject(text);
    if (!o) return null;
    if (
      (o.clientID !== undefined && typeof o.clientID !== 'string') ||
      (o.authKey !== undefined && typeof o.authKey !== 'string')
    )
      return null;
    return {clientID: (o.clientID as string | undefined) ?? '', authKey: (o.authKey as string | undefined) ?? ''};
  };
  /** The job when the caller may see it. */
  const visibleJob = (p: Principal, id: string) => {
    if (!JOB_ID.test(id)) return undefined;
    const job = opts.jobs.get(id);
    return job && (p.admin || job.clientID === p.clientID) ? job : undefined;
  };

  app.get('/version', async (_req, reply) => reply.type('application/json').send(opts.version));

  app.post('/register', async (req, reply) => {
    if (!opts.allowSelfRegistration) {
      const res = await authenticate(req, false);
      if (!res.ok) return refused(reply, res);
    }
    const body = credentialsBody(req.body);
    if (!body) return error(reply, 400, 'registration failed: invalid request body');
    try {
      await opts.credentials.register(body.clientID, body.authKey);
    } catch (err) {
      if (err instanceof CredentialsError) return error(reply, err.status, err.message);
      throw err;
    }
    log.info({clientID: body.clientID}, 'job service client registered');
    return audit(reply, 201, {clientID: body.clientID});
  });

  app.post('/unregister', async (req, reply) => {
    if (!opts.enableAdmin && !opts.allowSelfRegistration) return error(reply, 403, 'unregister not enabled');
    const res = await authenticate(req, false);
    if (!res.ok) return refused(reply, res);
    const body = credentialsBody(req.body);
    if (!body || !body.clientID) return error(reply, 400, 'unregister failed: invalid request body');
    if (!res.principal.admin && res.principal.clientID !== body.clientID)
      return error(reply, 403, 'client id not valid');
    if (!opts.credentials.unregister(body.clientID)) return error(reply, 400, 'unregister failed: client not found');
    opts.auth.forget(body.clientID);
    log.info({clientID: body.clientID, byAdmin: res.principal.admin}, 'job service client unregistered');
    return reply.status(200).send();
  });

  app.post('/login', async (req, reply) => {
    const body = credentialsBody(req.body);
    if (!body) return error(reply, 400, 'login failed: invalid request body');
    const res = await opts.auth.login(body.clientID, body.authKey, address(req));
    if (!res.ok) return res.reason === 'rate_limited' ? refused(reply, res) : error(reply, 400, 'login failed');
    return audit(reply, 200, {bearerToken: res.token ?? ''});
  });

  app.post('/jobs/init', async (req, reply) => {
    const p = await caller(req, reply);
    if (!p) return reply;
    // Upstream pre-pulls the runner images; ours run the local recorder, so there is nothing to fetch
    // (and a transcriber runner the plugin lists is not refused here: only its jobs are).
    const o = jsonObject(req.body);
    const runners = o?.Runners;
    const ok = (r: unknown) => typeof r === 'string' && r.length <= 256;
    if (!o || (runners !== undefined && (!Array.isArray(runners) || runners.length > 16 || !runners.every(ok))))
      return error(reply, 400, 'failed to init: invalid request body');
    return reply.status(200).send();
  });

  app.post('/jobs', async (req, reply) => {
    const p = await caller(req, reply);
    if (!p) return reply;
    const parsed = jobConfig(req.body, opts.checkRunner);
    if (typeof parsed === 'string') return error(reply, 400, `failed to create job: ${parsed}`);
    try {
      const job = opts.supervisor.create({...parsed, clientID: p.clientID});
      return reply.status(200).send(toWire(job));
    } catch (err) {
      if (err instanceof JobLimitError) return error(reply, 503, `failed to create job: ${err.message}`);
      if (err instanceof JobStartError) {
        log.error({err: err.message}, 'job could not start');
        return error(reply, 500, `failed to create job: ${err.message}`);
      }
      throw err;
    }
  });

  app.get<{Params: {id: string}}>('/jobs/:id', async (req, reply) => {
    const p = await caller(req, reply);
    if (!p) return reply;
    const job = visibleJob(p, req.params.id);
    if (!job) return error(reply, 404, 'failed to get job: not found');
    return reply.status(200).send(toWire(job));
  });

  app.delete<{Params: {id: string}}>('/jobs/:id', async (req, reply) => {
    const p = await caller(req, reply);
    if (!p) return reply;
    const job = visibleJob(p, req.params.id);
    if (!job) return error(reply, 404, 'failed to delete job: not found');
    if (job.stopAt === 0) return error(reply, 400, 'job is running');
    opts.supervisor.remove(job.id);
    return reply.status(200).send();
  });

  app.get<{Params: {id: string}}>('/jobs/:id/logs', async (req, reply) => {
    const p = await caller(req, reply);
    if (!p) return reply;
    const job = visibleJob(p, req.params.id);
    const logs = job && opts.supervisor.logs(job.id);
    if (!logs) return error(reply, 403, 'failed to get job logs');
    return reply.status(200).type('text/plain; charset=utf-8').send(logs);
  });

  return app;
}

function jsonObject(text: unknown): Record<string, unknown> | null {
  let v: unknown;
  try {
    v = JSON.parse(String(text));
  } catch {
    return null;
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** A POST /jobs body as a job to start, or why it is refused. */
function jobConfig(body: unknown, checkRunner: (r: string) => string | null): Omit<NewJob, 'clientID'> | string {
  const o = jsonObject(body);
  if (!o) return 'invalid request body';
  if (o.type === 'transcribing') return 'transcribing jobs are not supported by this job service';
  if (o.type !== 'recording') return 'invalid job type';
  const max = o.max_duration_sec;
  if (typeof max !== 'number' || !Number.isInteger(max) || max <= 0 || max > MAX_DURATION_SEC)
    return `invalid max_duration_sec: must be a whole number of seconds between 1 and ${MAX_DURATION_SEC}`;
  if (typeof o.runner !== 'string') return 'invalid runner';
  const why = checkRunner(o.runner);
  if (why) return why;
  const input = o.input_data ?? {};
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return 'invalid input_data';
  const entries = Object.entries(input as Record<string, unknown>);
  if (entries.length > MAX_INPUT_KEYS) return 'invalid input_data: too many keys';
  const inputData: Record<string, string | number | boolean> = {};
  for (const [k, v] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(k)) return 'invalid input_data: keys must be variable names';
    if (
      typeof v === 'string' ? v.length > MAX_INPUT_VALUE || v.includes('\0') : !['number', 'boolean'].includes(typeof v)
    )
      return `invalid input_data: ${k} must be a short string, a number or a boolean`;
    inputData[k] = v as string | number | boolean;
  }
  return {type: 'recording', maxDurationSec: max, runner: o.runner, inputData};
}

/**
 * Upstream's runner check (reference §7.2): `<registry>/calls-recorder:vX.Y.Z(-devN)?`, at least v0.6.0.
 * Returns null when the runner is acceptable.
 */
export function recorderRunnerCheck(registry: string): (runner: string) => string | null {
  const escaped = registry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^${escaped}/calls-recorder:v(\\d+)\\.(\\d+)\\.(\\d+)(-dev\\d+)?$`);
  return (runner) => {
    const m = re.exec(runner);
    if (!m) return 'invalid runner';
    const [maj, min] = [Number(m[1]), Number(m[2])];
    if (maj === 0 && min < 6) return 'invalid runner: calls-recorder v0.6.0 or newer is required';
    return null;
  };
}
