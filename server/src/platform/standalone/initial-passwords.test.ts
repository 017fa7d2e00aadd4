import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {INITIAL_PASSWORDS_FILE, loginsBanner} from './initial-passwords';

const seed = {
  created: true,
  users: [
    {username: 'admin', password: 's3cret-admin', admin: true},
    {username: 'alice', password: 's3cret-alice', admin: false},
  ],
};
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-seed-'));
});
afterEach(() => fs.rmSync(dir, {recursive: true, force: true}));

test('to a terminal the passwords are printed and no file is written', () => {
  const b = loginsBanner(seed, {tty: true, dataDir: dir});
  expect(b.lines.join('\n')).toContain('alice  / s3cret-alice');
  expect(b.file).toBeNull();
  expect(fs.existsSync(path.join(dir, INITIAL_PASSWORDS_FILE))).toBe(false);
});

test('otherwise (stdout is a log) they go to a file only the owner can read, and the banner says where', () => {
  // An older copy with looser permissions is tightened too.
  fs.writeFileSync(path.join(dir, INITIAL_PASSWORDS_FILE), 'old', {mode: 0o644});
  const b = loginsBanner(seed, {tty: false, dataDir: dir});
  const text = b.lines.join('\n');
  expect(text).not.toContain('s3cret');
  expect(text).toContain(path.join(dir, INITIAL_PASSWORDS_FILE));
  expect(b.file).toBe(path.join(dir, INITIAL_PASSWORDS_FILE));
  expect(fs.statSync(b.file!).mode & 0o777).toBe(0o600);
  const file = fs.readFileSync(b.file!, 'utf8');
  expect(file).toContain('admin  / s3cret-admin   system admin');
  expect(file).toContain('alice  / s3cret-alice');
  // A later start prints no password either way and points at the file.
  for (const tty of [true, false]) {
    const again = loginsBanner({...seed, created: false}, {tty, dataDir: dir}).lines.join('\n');
    expect(again).not.toContain('s3cret');
    expect(again).toContain(`seeded earlier (passwords in ${b.file})`);
  }
});
