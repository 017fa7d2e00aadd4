// Assembles the job service from its settings: the shared credentials store and auth, the jobs store,
// the supervisor of the recorder processes and the calls-offloader HTTP API on one port.
// `drain()` is what SIGTERM runs: no new jobs, the running ones SIGTERMed and waited for.
import path from 'node:path';
import type {Logger} from '../../log';
import {openServiceApi} from '../../service-kit/auth';
import {listenOnAddress, serviceVersion} from '../../service-kit/go-http';
import {JOBS_ENV_NAMES, type JobsConfig} from './config';
import {createJobsHttp, recorderRunnerCheck} from './http-api';
import {JobStore} from './job-store';
import {JobSupervisor} from './supervisor';
import {apiTlsOptions} from '../../service-kit/tls-server';

export interface JobService {
  /** http(s)://host:port of the API. */
  readonly url: string;
  /** Stops taking jobs; resolves once every running job has exited (SIGKILLed after the grace). */
  drain(): Promise<void>;
  /** Closes the API and stores; `killJobs` kills what still runs (tests). */
  close(killJobs?: boolean): Promise<void>;
}

export interface JobServiceOptions {
  /** Overrides for tests: retention below upstream's 1-minute floor, a faster sweep, bcrypt rate. */
  retentionMs?: number;
  sweepMs?: number;
  verificationsPerSecond?: number;
}

export async function startJobService(
  cfg: JobsConfig,
  logger: Logger,
  opts: JobServiceOptions = {},
): Promise<JobService> {
  const log = logger.child({component: 'jobs'});
  const tls = apiTlsOptions(cfg.api.tls);
  const api = openServiceApi(cfg, opts.verificationsPerSecond);
  const jobs = new JobStore(cfg.store.dataSource);
  const supervisor = new JobSupervisor({
    store: jobs,
    jobsDir: path.join(cfg.store.dataSource, 'jobs'),
    recorderCommand: cfg.jobs.recorderCommand,
    maxConcurrentJobs: cfg.jobs.maxConcurrentJobs,
    unlimited: cfg.devMode,
    stopGraceMs: cfg.jobs.stopGraceSeconds * 1000,
    retentionMs: opts.retentionMs ?? cfg.jobs.failedJobsRetentionMinutes * 60_000,
    sweepMs: opts.sweepMs,
    privateEnv: JOBS_ENV_NAMES,
    logger,
  });
  const strict = recorderRunnerCheck(cfg.jobs.imageRegistry);
  const http = createJobsHttp({
    ...api,
    logger,
    tls,
    jobs,
    supervisor,
    version: serviceVersion(),
    checkRunner:
      cfg.devMode || cfg.testMode ? (r) => (r.length > 0 && r.length <= 256 ? null : 'invalid runner') : strict,
  });
  let url: string;
  try {
    url = await listenOnAddress(http, cfg.api.listenAddress, tls);
  } catch (err) {
    await supervisor.close();
    jobs.close();
    api.credentials.close();
    throw err;
  }
  log.info(
    {url, maxConcurrentJobs: cfg.jobs.maxConcurrentJobs, dataSource: cfg.store.dataSource},
    'job service listening',
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    drain: async () => {
      log.info('draining: no new jobs, stopping the running ones');
      await supervisor.drain();
    },
    close: (killJobs = false) =>
      (closing ??= (async () => {
        await http.close().catch(() => {});
        await supervisor.close(killJobs);
        jobs.close();
        api.credentials.close();
      })()),
  };
}
