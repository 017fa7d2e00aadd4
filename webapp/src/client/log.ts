// The call client's log: every line also goes to a bounded buffer in sessionStorage (at most 1 MB, oldest lines
// dropped first) so `/call logs` can upload what happened in this tab, even after the call ended or the page reloaded
// (reference webapp.md §2.15).

export const LOGS_KEY = 'calls_client_logs';
export const MAX_LOG_CHARS = 1024 * 1024;

type Level = 'debug' | 'info' | 'warn' | 'error';

function describe(v: unknown): string {
  if (v instanceof Error) {
    return `${v.name}: ${v.message}`;
  }
  if (typeof v === 'string') {
    return v;
  }
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

function storage(): Storage | null {
  try {
    return typeof window === 'undefined' ? null : window.sessionStorage;
  } catch {
    return null;
  }
}

export function appendLog(level: Level, args: unknown[], now = new Date()): void {
  const s = storage();
  if (!s) {
    return;
  }
  const line = `${now.toISOString()} ${level.toUpperCase()} ${args.map(describe).join(' ')}\n`;
  let text = (s.getItem(LOGS_KEY) || '') + line;
  if (text.length > MAX_LOG_CHARS) {
    const cut = text.indexOf('\n', text.length - MAX_LOG_CHARS);
    text = cut >= 0 ? text.slice(cut + 1) : text.slice(-MAX_LOG_CHARS);
  }
  try {
    s.setItem(LOGS_KEY, text);
  } catch {
    // Storage full: keep the newest half.
    try {
      s.setItem(LOGS_KEY, text.slice(Math.floor(text.length / 2)));
    } catch {
      // give up on persisting logs
    }
  }
}

export function getClientLogs(): string {
  return storage()?.getItem(LOGS_KEY) || '';
}

export function clearClientLogs(): void {
  storage()?.removeItem(LOGS_KEY);
}

/** A console-shaped logger for CallsClient that also records (debug lines only go to the console). */
export const clientLogger: Pick<Console, Level> = {
  debug: (...args: unknown[]) => console.debug(...args),
  info: (...args: unknown[]) => {
    console.info(...args);
    appendLog('info', args);
  },
  warn: (...args: unknown[]) => {
    console.warn(...args);
    appendLog('warn', args);
  },
  error: (...args: unknown[]) => {
    console.error(...args);
    appendLog('error', args);
  },
};
