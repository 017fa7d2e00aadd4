// `npm run rtcd` (or build/rtcd.mjs): the rtcd media service. Settings: defaults ← the TOML file
// given by `-config <file>` (default config/config.toml, may be missing) ← RTCD_* variables.
// SIGTERM drains (no new calls; the running ones go on until they end or the drain timeout), then
// exits 0; a second SIGTERM or SIGINT stops at once.
import {setListenerErrorReporter} from '../../events';
import {createLogger} from '../../log';
import {loadRtcdConfig, RtcdConfigError} from './config';
import {startRtcdService} from './service';

function configPath(argv: string[]): {file: string; required: boolean} {
  const i = argv.findIndex((a) => a === '-config' || a === '--config');
  if (i >= 0 && argv[i + 1]) return {file: argv[i + 1], required: true};
  return {file: 'config/config.toml', required: false};
}

async function main(): Promise<void> {
  let cfg;
  try {
    cfg = loadRtcdConfig(configPath(process.argv.slice(2)));
  } catch (err) {
    if (err instanceof RtcdConfigError) {
      console.error(`rtcd cannot start: ${err.message}`);
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

  let service;
  try {
    service = await startRtcdService(cfg, logger);
  } catch (err) {
    logger.fatal({err: (err as Error).message}, 'rtcd cannot start');
    console.error(`rtcd cannot start: ${(err as Error).message}`);
    process.exit(1);
  }
  const svc = service;
  let stopping = false;
  const stopNow = async (code: number) => {
    await svc.close();
    process.exit(code);
  };
  process.on('SIGTERM', () => {
    if (stopping) return void stopNow(0);
    stopping = true;
    void svc.drain().then((how) => {
      logger.info({how}, how === 'idle' ? 'drained: every call ended' : 'drain timeout passed: closing the calls left');
      return stopNow(0);
    });
  });
  process.on('SIGINT', () => void stopNow(0));
}

void main();
