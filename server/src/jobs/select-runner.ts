// Which JobRunner runs recordings (reference §7): with JobServiceURL empty, a child process of this server
// (in-process-runner.ts); with it set, a calls-offloader-compatible job service (offloader-client.ts, built
// beside this one; until it lands no runner is made and recording routes answer "Job service is not initialized").
import type {CallsConfig} from '../config/types';
import type {Logger} from '../log';
import {InProcessRunner} from './in-process-runner';
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
}

export function selectJobRunner(ctx: RunnerContext): JobRunner | null {
  if (ctx.config.JobServiceURL) {
    ctx.logger.warn('JobServiceURL is set but the job service client is not available: recordings are off');
    return null;
  }
  return new InProcessRunner({
    command: ctx.recorderCommand,
    dataDir: ctx.dataDir,
    siteURL: ctx.siteURL,
    logger: ctx.logger,
    baseEnv: ctx.env,
  });
}
