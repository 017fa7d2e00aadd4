// `npm run rtcd` (or build/rtcd.mjs): the rtcd media service. Settings: defaults ← the TOML file
// given by `-config <file>` (default config/config.toml, may be missing) ← RTCD_* variables.
// SIGTERM drains (no new calls; the running ones go on until they end or the drain timeout), then
// exits 0; a second SIGTERM or SIGINT stops at once.
import {loadOrExit, serviceLogger} from '../../service-kit/process';
import {loadRtcdConfig} from './config';
import {startRtcdService} from './service';

async function main(): Promise<void> {
  const cfg = loadOrExit('rtcd', loadRtcdConfig);
  const logger = serviceLogger(cfg);

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
