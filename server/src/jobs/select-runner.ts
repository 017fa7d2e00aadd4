// Which JobRunner runs recordings (reference §7): with JobServiceURL empty, a child process of this server
// (in-process-runner.ts); with it set (or MM_CALLS_JOB_SERVICE_URL), a calls-offloader-compatible job service
// — ours from `npm run jobs` or upstream's (offloader-client.ts).
import type {CallsConfig} from '../config/types';
import type {Logger} from '../log';
import type {Store} from '../store';
import {InProcessRunner} from './in-process-runner';
import {createJobRunner, type NamedLock} from './offloader-client';
import type {JobRunner} from './types';

export interface RunnerContext {
  config: CallsConfig;
  dataDir: string;
  /** The server's own loopback URL. */
  siteURL: () => string;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** The recorder program for the in-process runner (tests); default node build/recorder.mjs. */
  recorderCommand?: string[];
  store: Store;
  /** The client id used at the job service when none is configured (upstream: the diagnostic id). */
  nodeID: string;
  lock?: NamedLock;
}

export function selectJobRunner(ctx: RunnerContext): JobRunner | null {
  const service = createJobRunner(ctx.config, {
    store: ctx.store,
    defaultClientID: ctx.nodeID,
    logger: ctx.logger,
    lock: ctx.lock,
    env: ctx.env,
  });
  if (service) return service;
  return new InProcessRunner({
    command: ctx.recorderCommand,
    dataDir: ctx.dataDir,
    siteURL: ctx.siteURL,
    logger: ctx.logger,
    baseEnv: ctx.env,
  });
}
