// The JobRunner for a job service (ours from `npm run jobs`, or an upstream calls-offloader): speaks the
// calls-offloader API as the plugin does (reference rtcd-offloader §7.3) — credentials kept in the store's
// `jobservice_config`, Basic auth relying on the service's implicit self-registration, the /version
// check, POST /jobs/init with the recorder runner, POST /jobs with {type, runner, max_duration_sec,
// input_data}. Upstream's plugin never looks at a job again; we poll GET /jobs/{id} (when asked to) so a
// job that stopped with an error is reported as `failed`.
import type {CallsConfig} from '../config/types';
import {TypedEmitter} from '../events';
import type {Logger} from '../log';
import {rtcdRequest, versionAtLeast} from '../rtcd/client/http';
import type {ClientCredentials} from '../service-kit/client-credentials';
import {storedClientCredentials} from '../service-kit/client-credentials';
import {certificateProblem, trustedCAs, UNTRUSTED_HINT} from '../service-kit/tls-trust';
import type {Store} from '../store';
import type {JobRunner, JobRunnerEvents, JobSpec} from './types';

/** The plugin's pins (reference, "Version pins"): calls-offloader ≥ v0.9.0, the recorder runner v0.8.13. */
export const MIN_OFFLOADER_VERSION = 'v0.9.0';
export const CALLS_RECORDER_VERSION = 'v0.8.13';
const KV_KEY = 'jobservice_config';
const REGISTRATION_LOCK = 'job_service_registration';
const JOB_ID = /^[a-z0-9]{12,26}$|^calls-recorder-job-[a-z0-9]+$/;

export interface JobServiceSettings {
  /** The service URL without credentials or trailing slash. */
  serviceURL: string;
  clientID?: string;
  authKey?: string;
  /** `<registry>/calls-recorder:<version>`. */
  runner: string;
  /** The CAs an https:// service URL's certificate must chain to (MM_CALLS_TLS_CA_CERT_FILE); default Node's. */
  ca?: string[];
}

/** JobServiceURL (or MM_CALLS_JOB_SERVICE_URL) and the environment, or null when no job service is set. */
export function jobServiceSettings(configuredURL: string, env: NodeJS.ProcessEnv): JobServiceSettings | null {
  const raw = (env.MM_CALLS_JOB_SERVICE_URL || configuredURL).trim().replace(/\/+$/, '');
  if (!raw) return null;
  const url = new URL(raw);
  const fromURL = {id: decodeURIComponent(url.username), key: decodeURIComponent(url.password)};
  url.username = '';
  url.password = '';
  const registry = env.MM_CALLS_JOB_SERVICE_IMAGE_REGISTRY || 'mattermost';
  return {
    serviceURL: url.toString().replace(/\/+$/, ''),
    clientID: env.MM_CALLS_JOB_SERVICE_CLIENT_ID || fromURL.id || undefined,
    authKey: env.MM_CALLS_JOB_SERVICE_AUTH_KEY || fromURL.key || undefined,
    runner: `${registry}/calls-recorder:${CALLS_RECORDER_VERSION}`,
    ca: url.protocol === 'https:' ? trustedCAs(env) : undefined,
  };
}

/** A cluster-wide mutex where the mode has one (the per-call lock's interface, keyed by name). */
export interface NamedLock {
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

export interface OffloaderClientOptions {
  settings: JobServiceSettings;
  store: Store;
  /** The id used when none is configured (upstream: the server's diagnostic id). */
  defaultClientID: string;
  logger: Logger;
  lock?: NamedLock;
  /** How often started jobs are checked for a failed stop (0: never, as upstream). */
  pollMs?: number;
  timeoutMs?: number;
}

export class JobServiceError extends Error {}

export class OffloaderJobRunner extends TypedEmitter<JobRunnerEvents> implements JobRunner {
  readonly kind = 'job-service' as const;
  readonly #o: OffloaderClientOptions;
  readonly #log: Logger;
  #credentials: ClientCredentials | undefined;
  readonly #watched = new Set<string>();
  #poll: NodeJS.Timeout | undefined;
  /** init() completed: a service that was down at start is initialised on the first job instead. */
  #ready = false;

  constructor(o: OffloaderClientOptions) {
    super();
    this.#o = o;
    this.#log = o.logger.child({module: 'job-service-client'});
  }

  async init(): Promise<void> {
    const s = this.#o.settings;
    const register = () =>
      storedClientCredentials(this.#o.store, {
        kvKey: KV_KEY,
        serviceURL: s.serviceURL,
        clientID: s.clientID,
        authKey: s.authKey,
        defaultID: this.#o.defaultClientID,
        sameURLOnly: true,
      });
    this.#credentials = await (this.#o.lock ? this.#o.lock.withLock(REGISTRATION_LOCK, register) : register());
    const version = await this.#request('GET', '/version', undefined, false);
    const buildVersion = (parseJSON(version.body) as {buildVersion?: unknown} | null)?.buildVersion;
    if (version.status !== 200 || typeof buildVersion !== 'string')
      throw new JobServiceError(`job service ${s.serviceURL}: /version answered ${version.status}`);
    if (!versionAtLeast(buildVersion, MIN_OFFLOADER_VERSION))
      throw new JobServiceError(
        `job service version ${buildVersion.slice(0, 40)} is older than the minimum ${MIN_OFFLOADER_VERSION}`,
      );
    // The service registers our id on this first authenticated call (implicit self-registration).
    const init = await this.#request('POST', '/jobs/init', {Runners: [s.runner]});
    if (init.status !== 200) throw new JobServiceError(`job service init failed: ${describe(init)}`);
    this.#ready = true;
    if (this.#o.pollMs && !this.#poll) {
      this.#poll = setInterval(() => void this.#checkJobs(), this.#o.pollMs);
      this.#poll.unref();
    }
    this.#log.info(
      {url: s.serviceURL, clientID: this.#credentials.clientID, version: buildVersion, runner: s.runner},
      'job service ready',
    );
  }

  async start(spec: JobSpec): Promise<{jobID: string}> {
    if (!this.#ready) await this.init();
    const body = {
      type: spec.type,
      runner: this.#o.settings.runner,
      max_duration_sec: spec.maxDurationSec,
      input_data: spec.inputData,
    };
    const res = await this.#request('POST', '/jobs', body);
    const id = (parseJSON(res.body) as {id?: unknown} | null)?.id;
    if (res.status !== 200 || typeof id !== 'string' || !JOB_ID.test(id))
      throw new JobServiceError(`job service could not start the job: ${describe(res)}`);
    if (this.#o.pollMs) this.#watched.add(id);
    return {jobID: id};
  }

  /** There is no stop endpoint upstream: a job ends through the call (job_stop to the bot) or its max duration. */
  async kill(jobID: string): Promise<void> {
    this.#watched.delete(jobID);
  }

  async close(): Promise<void> {
    clearInterval(this.#poll);
    this.#watched.clear();
  }

  async #checkJobs(): Promise<void> {
    for (const id of [...this.#watched]) {
      let res;
      try {
        res = await this.#request('GET', `/jobs/${id}`);
      } catch {
        return; // the service is unreachable now; try again next time
      }
      // Gone: the recorder exited 0 (it reported any failure itself) or the job was removed.
      if (res.status === 404) this.#watched.delete(id);
      if (res.status !== 200) continue;
      const stopAt = (parseJSON(res.body) as {stop_at?: unknown} | null)?.stop_at;
      if (typeof stopAt === 'number' && stopAt > 0) {
        this.#watched.delete(id);
        this.emit('failed', id, 'the recording job stopped with an error');
      }
    }
  }

  async #request(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    auth = true,
  ): Promise<{status: number; body: string}> {
    if (auth && !this.#credentials) throw new JobServiceError('job service client used before init()');
    try {
      // The plain https client (not fetch): it takes the private CA of MM_CALLS_TLS_CA_CERT_FILE.
      return await rtcdRequest(this.#o.settings.serviceURL, null, method, path, {
        body,
        credentials: auth ? this.#credentials : undefined,
        timeoutMs: this.#o.timeoutMs ?? 10_000,
        ca: this.#o.settings.ca,
      });
    } catch (err) {
      const refused = certificateProblem(err);
      const why = refused ? `certificate not trusted (${refused}): ${UNTRUSTED_HINT}` : (err as Error).message;
      throw new JobServiceError(`job service ${method} ${path}: ${why}`, {cause: err});
    }
  }
}

/**
 * The runner to use when a job service is configured, else null (the in-process runner then). The one
 * line app.ts needs: `const runner = createJobRunner(config, {store, defaultClientID: nodeID, logger}) ?? inProcess;`
 */
export function createJobRunner(
  config: Pick<CallsConfig, 'JobServiceURL'>,
  deps: Omit<OffloaderClientOptions, 'settings'> & {env?: NodeJS.ProcessEnv},
): OffloaderJobRunner | null {
  const {env, ...rest} = deps;
  const settings = jobServiceSettings(config.JobServiceURL, env ?? process.env);
  return settings && new OffloaderJobRunner({pollMs: 15_000, ...rest, settings});
}

function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A short description of a refusal: the status and the service's error message, never the body as a whole. */
function describe(res: {status: number; body: string}): string {
  const err = (parseJSON(res.body) as {error?: unknown} | null)?.error;
  return typeof err === 'string' ? `${res.status} ${err.slice(0, 200)}` : String(res.status);
}
