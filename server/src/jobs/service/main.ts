// `npm run jobs` (or build/jobs.mjs): our calls-offloader-compatible job service. Settings: defaults ←
// the TOML file of `-config <file>` (default config/config.toml, may be missing) ← API_*, STORE_*,
// JOBS_* variables. SIGTERM: no new jobs, the running ones SIGTERMed and waited for (SIGKILL after
// JOBS_STOPGRACESECONDS), then exit 0; a second SIGTERM or SIGINT kills the jobs and exits at once.
import {setListenerErrorReporter} from '../../events';
import {createLogger} from '../../log';
import {configPathFromArgs, ServiceConfigError} from '../../service-kit/settings';
import {loadJobsConfig, type JobsConfig} from './config';
import {startJobService, type JobService} from './service';

async function main(): Promise<void> {
  let cfg: JobsConfig;
  try {
    cfg = loadJobsConfig(configPathFromArgs(process.argv.slice(2)));
  } catch (err) {
    if (err instanceof ServiceConfigError) {
      console.error(`job service cannot start: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const level = cfg.logger.consoleLevel.toLowerCase();
  const logger = createLogger({
    level: level === 'warn' || level === 'error' || level === 'debug' ? level : 'info',
    pretty: !cfg.logger.consoleJSON && process.stdout.isTTY,
  });
  setListenerErrorReporter((err, event) => logger.error({err, event}, 'event listener failed'));
  process.on('unhandledRejection', (reason) => logger.error({err: reason}, 'unhandled promise rejection'));
  if (cfg.api.allowSelfRegistration)
    logger.warn('self-registration is on: anyone who reaches the API port can register; keep it on a private network');

  let service: JobService;
  try {
    service = await startJobService(cfg, logger);
  } catch (err) {
    logger.fatal({err: (err as Error).message}, 'job service cannot start');
    console.error(`job service cannot start: ${(err as Error).message}`);
    process.exit(1);
  }
  let stopping = false;
  const stopNow = async () => {
    await service.close(true);
    process.exit(0);
  };
  process.on('SIGTERM', () => {
    if (stopping) return void stopNow();
    stopping = true;
    void service
      .drain()
      .then(() => service.close())
      .then(() => {
        logger.info('drained: every job ended');
        process.exit(0);
      });
  });
  process.on('SIGINT', () => void stopNow());
}

void main();
