// The start of a service process (rtcd, the job service), the same for each: settings loaded from the
// `-config` file and the environment (a bad one ends the process with the setting named), the logger
// their logger.* settings ask for, listener failures and stray rejections logged, not fatal.
import {setListenerErrorReporter} from '../events';
import {createLogger, type Logger} from '../log';
import {configPathFromArgs, ServiceConfigError, type LoadOptions, type ServiceApiConfig} from './settings';
import type {ServiceLoggerConfig} from './settings';

export function loadOrExit<C>(name: string, load: (opts: LoadOptions) => C, argv = process.argv.slice(2)): C {
  try {
    return load(configPathFromArgs(argv));
  } catch (err) {
    if (err instanceof ServiceConfigError) {
      console.error(`${name} cannot start: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

export function serviceLogger(cfg: {logger: ServiceLoggerConfig; api: ServiceApiConfig}): Logger {
  const level = cfg.logger.consoleLevel.toLowerCase();
  const logger = createLogger({
    level: level === 'warn' || level === 'error' || level === 'debug' ? level : 'info',
    pretty: !cfg.logger.consoleJSON && process.stdout.isTTY,
  });
  setListenerErrorReporter((err, event) => logger.error({err, event}, 'event listener failed'));
  process.on('unhandledRejection', (reason) => logger.error({err: reason}, 'unhandled promise rejection'));
  if (cfg.api.allowSelfRegistration)
    logger.warn('self-registration is on: anyone who reaches the API port can register; keep it on a private network');
  return logger;
}
