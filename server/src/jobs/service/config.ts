// The job service's settings, read as calls-offloader reads them (reference rtcd-offloader §7.1):
// defaults, then the TOML file of `-config`, then *un-prefixed* variables (API_HTTP_LISTENADDRESS,
// API_SECURITY_*, STORE_DATASOURCE, JOBS_*). Docker/Kubernetes knobs do not apply: jobs are child
// processes running our recorder, so the recorder command and the stop grace are ours.
import {defaultApiConfig, ServiceConfigError, type CustomParser, type LoadOptions} from '../../service-kit/settings';
import {defaultLoggerConfig, serviceSettings, type ServiceConfigBase} from '../../service-kit/service-settings';

export interface JobsConfig extends ServiceConfigBase {
  jobs: {
    maxConcurrentJobs: number;
    imageRegistry: string;
    /** Minutes a failed job (and its directory) is kept; 0 keeps it forever. */
    failedJobsRetentionMinutes: number;
    /** The recorder program and its arguments, split on spaces (ours; upstream runs a container image). */
    recorderCommand: string;
    /** Seconds between the SIGTERM at max duration (or shutdown) and the SIGKILL (upstream: 5 min). */
    stopGraceSeconds: number;
  };
  /** DEV_MODE / TEST_MODE: any runner is accepted and the concurrency limit is off in dev mode, as upstream. */
  devMode: boolean;
  testMode: boolean;
}

/** `Nm`, `Nh`, `Nd` (or a bare 0): upstream's failed_jobs_retention_time, in minutes. */
export function parseRetention(text: string, name: string): number {
  const t = text.trim();
  if (t === '0') return 0;
  const m = /^(\d{1,7})([mhd])$/.exec(t);
  if (!m) throw new ServiceConfigError(`${name}: expected a duration such as 30m, 12h or 7d (0 keeps forever)`);
  const minutes = Number(m[1]) * {m: 1, h: 60, d: 1440}[m[2] as 'm' | 'h' | 'd'];
  if (minutes < 1) throw new ServiceConfigError(`${name}: must be at least 1 minute (0 keeps forever)`);
  return minutes;
}

const RETENTION: CustomParser = {
  fromToml: (v, name) => {
    if (typeof v === 'number' && v === 0) return 0;
    if (typeof v !== 'string') throw new ServiceConfigError(`${name}: expected a duration such as "7d"`);
    return parseRetention(v, name);
  },
  fromEnv: (text, name) => parseRetention(text, name),
};

export function defaultJobsConfig(): JobsConfig {
  return {
    api: defaultApiConfig(':4545'),
    store: {dataSource: '/tmp/calls-offloader-db'},
    jobs: {
      maxConcurrentJobs: 2,
      imageRegistry: 'mattermost',
      failedJobsRetentionMinutes: 0,
      // --single-threaded: cheaper for the lightly loaded recorder (see in-process-runner.ts).
      recorderCommand: 'node --single-threaded build/recorder.mjs',
      stopGraceSeconds: 300,
    },
    logger: defaultLoggerConfig(),
    devMode: false,
    testMode: false,
  };
}

const SETTINGS = serviceSettings<JobsConfig>({
  envPrefix: '',
  rows: [
    ['jobs.max_concurrent_jobs', 'JOBS_MAXCONCURRENTJOBS', 'int', 'jobs.maxConcurrentJobs'],
    ['jobs.image_registry', 'JOBS_IMAGEREGISTRY', 'string', 'jobs.imageRegistry'],
    ['jobs.failed_jobs_retention_time', 'JOBS_FAILEDJOBSRETENTIONTIME', RETENTION, 'jobs.failedJobsRetentionMinutes'],
    ['jobs.recorder_command', 'JOBS_RECORDERCOMMAND', 'string', 'jobs.recorderCommand'],
    ['jobs.stop_grace_seconds', 'JOBS_STOPGRACESECONDS', 'int', 'jobs.stopGraceSeconds'],
    ['dev_mode', 'DEV_MODE', 'bool', 'devMode'],
    ['test_mode', 'TEST_MODE', 'bool', 'testMode'],
  ],
  defaults: defaultJobsConfig,
  validate: ({jobs: j}) => {
    if (j.maxConcurrentJobs < 1) throw new ServiceConfigError('jobs.max_concurrent_jobs: must be at least 1');
    if (!/^[a-z0-9][a-z0-9._\-/:]*$/i.test(j.imageRegistry))
      throw new ServiceConfigError('jobs.image_registry: expected a registry name such as "mattermost"');
    if (!j.recorderCommand.trim()) throw new ServiceConfigError('jobs.recorder_command: required');
    if (j.stopGraceSeconds < 0) throw new ServiceConfigError('jobs.stop_grace_seconds: must be >= 0');
  },
});

/** Every variable the job service reads (for the README's table). */
export const JOBS_ENV_NAMES: readonly string[] = SETTINGS.envNames;

/** Defaults ← TOML file ← environment, then validated; throws ServiceConfigError naming the setting. */
export function loadJobsConfig(opts: LoadOptions = {}): JobsConfig {
  return SETTINGS.load(opts);
}
