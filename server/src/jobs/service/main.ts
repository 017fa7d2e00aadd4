// `npm run jobs` (or build/jobs.mjs): our calls-offloader-compatible job service. Settings: defaults ←
// the TOML file of `-config <file>` (default config/config.toml, may be missing) ← API_*, STORE_*,
// JOBS_* variables. SIGTERM: no new jobs, the running ones SIGTERMed and waited for (SIGKILL after
// JOBS_STOPGRACESECONDS), then exit 0; a second SIGTERM or SIGINT kills the jobs and exits at once.
import {loadOrExit, serviceLogger} from '../../service-kit/process';
import {loadJobsConfig} from './config';
import {startJobService, type JobService} from './service';

async function main(): Promise<void> {
  const cfg = loadOrExit('job service', loadJobsConfig);
  const logger = serviceLogger(cfg);

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
