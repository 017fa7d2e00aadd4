// Where the seeded users' passwords go at first start: to the terminal when a person watches stdout;
// otherwise stdout is a supervisor's log, so they go to a file in the data directory that only the
// server's user can read, and the banner says where (never the passwords).
import fs from 'node:fs';
import path from 'node:path';
import type {SeedResult} from './seed';

export const INITIAL_PASSWORDS_FILE = 'initial-passwords.txt';

export interface LoginsBanner {
  /** Lines for the start banner. */
  lines: string[];
  /** The file the passwords were written to, when they were. */
  file: string | null;
}

export function loginsBanner(seed: SeedResult, opts: {tty: boolean; dataDir: string}): LoginsBanner {
  const file = path.join(opts.dataDir, INITIAL_PASSWORDS_FILE);
  const table = (password: (u: SeedResult['users'][number]) => string) =>
    seed.users.map((u) => `    ${u.username.padEnd(6)} / ${password(u)}${u.admin ? '   system admin' : ''}`);
  if (!seed.created) {
    const where = fs.existsSync(file) ? ` (passwords in ${file})` : '';
    return {
      lines: [`  logins (username / password) — seeded earlier${where}:`, ...table(() => '(as set then)')],
      file: null,
    };
  }
  if (opts.tty) return {lines: ['  logins (username / password):', ...table((u) => u.password)], file: null};
  fs.mkdirSync(opts.dataDir, {recursive: true});
  const text = [
    '# The seeded users of the first start (username / password). Delete this file once noted.',
    ...table((u) => u.password),
    '',
  ].join('\n');
  fs.writeFileSync(file, text, {mode: 0o600});
  // The mode applies only when the file is created: an older copy keeps its own.
  fs.chmodSync(file, 0o600);
  return {lines: [`  logins: the seeded users' passwords are in ${file} (readable by this user only)`], file};
}
