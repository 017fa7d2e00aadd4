// The calls-offloader HTTP API (reference rtcd-offloader §7.1): /version, /register, /unregister,
// /login, POST /jobs, POST /jobs/init, GET and DELETE /jobs/{id}, GET /jobs/{id}/logs. Errors are
// `{"error","code":"<status>"}`; the successes upstream writes without a body have none; a wrong path or
// method is Go's "404 page not found". A job is visible to the client that created it (and the admin).
import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify';
import type {Logger} from '../../log';
import type {Principal, ServiceApi} from '../../service-kit/auth';
import {
  audit,
  goStyleHttp,
  jsonObject,
  peerAddress,
  refused,
  registerCredentialRoutes,
  type ServiceVersion,
} from '../../service-kit/go-http';
import {toWire, type JobStore} from './job-store';
import {JobLimitError, JobStartError, type JobSupervisor, type NewJob} from './supervisor';
import type {ApiTlsOptions} from '../../service-kit/tls-server';

export interface JobsHttpOptions extends ServiceApi {
  logger: Logger;
  /** TLS of the API (api.http.tls), or null for plain HTTP. */
  tls?: ApiTlsOptions | null;
  jobs: JobStore;
  supervisor: JobSupervisor;
  version: ServiceVersion;
  /** Checks a runner image name; null when it is acceptable, else why not. */
  checkRunner(runner: string): string | null;
}

const BODY_LIMIT = 64 * 1024;
const JOB_ID = /^[a-z0-9]{12,26}$/;
/** setTimeout's reach (~24.8 days), so a max duration is always enforced. */
const MAX_DURATION_SEC = 2_000_000;
const MAX_INPUT_KEYS = 64;
const MAX_INPUT_VALUE = 4096;

export function createJobsHttp(opts: JobsHttpOptions): FastifyInstance {
  const log = opts.logger.child({module: 'jobs-api'});
  const app = goStyleHttp({
    tls: opts.tls ?? null,
    bodyLimit: BODY_LIMIT,
    fastify: {
      // A long {id} reaches the handler, which answers 404 like any id that does not match. (Under routerOptions:
      // fastify 5 warns at every start about the top-level option.)
      routerOptions: {maxParamLength: 4096},
      // Fastify's own refusals (a malformed URL) in upstream's error shape.
      frameworkErrors: (_err, _req, reply) =>
        void (reply as FastifyReply).status(400).type('application/json').send({error: 'bad request', code: '400'}),
    },
  });
  app.setErrorHandler((err: {statusCode?: number; message?: string}, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) log.error({err: err.message, url: req.url}, 'job service request failed');
    return error(reply, status, status >= 500 ? 'internal error' : 'bad request');
  });

  const error = (reply: FastifyReply, status: number, message: string) => audit(reply, status, {error: message});
  const authenticate = async (req: FastifyRequest) => {
    if (opts.allowSelfRegistration) await opts.auth.selfRegister(req.headers.authorization);
    return opts.auth.authenticate(req.headers.authorization, peerAddress(req));
  };
  /** The caller of a job route, or null once the refusal is sent. */
  const caller = async (req: FastifyRequest, reply: FastifyReply): Promise<Principal | null> => {
    const res = await authenticate(req);
    if (res.ok) return res.principal;
    void refused(reply, res);
    return null;
  };
  /** The job when the caller may see it. */
  const visibleJob = (p: Principal, id: string) => {
    if (!JOB_ID.test(id)) return undefined;
    const job = opts.jobs.get(id);
    return job && (p.admin || job.clientID === p.clientID) ? job : undefined;
  };

  app.get('/version', async (_req, reply) => reply.type('application/json').send(opts.version));

  registerCredentialRoutes(app, {...opts, log, service: 'job service', unregisteredBody: 'none'});

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
