// Structured logging (pino). Every module takes a child logger with its own context;
// secrets are redacted by path so they cannot reach the log even by mistake.
import pino, {type Logger} from 'pino';

export type {Logger};

export const REDACT = [
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'cookie',
  '*.cookie',
  'TURNStaticAuthSecret',
  '*.TURNStaticAuthSecret',
  'TranscribeAPIAzureSpeechKey',
  '*.TranscribeAPIAzureSpeechKey',
  'credential',
  '*.credential',
  'req.headers.authorization',
  'req.headers.cookie',
];

export interface LogOptions {
  level?: string;
  /** Human-readable output (npm start in a terminal). */
  pretty?: boolean;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? process.env.MM_CALLS_LOG_LEVEL ?? 'info';
  if (opts.pretty) {
    return pino({
      level,
      redact: REDACT,
      transport: {target: 'pino-pretty', options: {colorize: true, translateTime: 'HH:MM:ss.l'}},
    });
  }
  return pino({level, redact: REDACT});
}

/** A logger that drops everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({level: 'silent'});
}
