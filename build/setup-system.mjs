#!/usr/bin/env node
// Makes sure the system packages the tests drive for real are installed: Chromium (browser e2e),
// PostgreSQL (cluster and store tests), ffmpeg (recordings), coturn (server-side TURN) and openssl (TLS test certificates). As root it installs what is missing
// with apt; otherwise it names the packages and the command. Quick and silent when all are present.

import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

/** Whether a PostgreSQL install is there, found as the tests find it (test/support/postgres.ts, through tsx). */
async function hasPostgres() {
  const {tsImport} = await import('tsx/esm/api');
  const mod = await tsImport('../test/support/postgres.ts', import.meta.url);
  return (mod.findPgBinDir ? mod : mod.default).findPgBinDir() !== undefined;
}

function onPath(cmd) {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && isExecutable(path.join(dir, cmd)));
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Debian package name → whether what the tests use from it is there. */
const REQUIRED = [
  {pkg: 'chromium', present: () => isExecutable('/usr/bin/chromium')},
  {pkg: 'postgresql', present: hasPostgres},
  {pkg: 'ffmpeg', present: () => onPath('ffmpeg') && onPath('ffprobe')},
  {pkg: 'coturn', present: () => isExecutable('/usr/bin/turnserver')},
  // The recorder's slate (title and participants) is drawn with DejaVu Sans.
  {pkg: 'fonts-dejavu-core', present: () => fs.existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf')},
  // The TLS tests make their CA and certificates with it (test/support/tls-certs.ts).
  {pkg: 'openssl', present: () => onPath('openssl')},
];

export async function missingPackages() {
  const present = await Promise.all(REQUIRED.map((r) => r.present()));
  return REQUIRED.filter((_, i) => !present[i]).map((r) => r.pkg);
}

function run(cmd, args) {
  console.log(`[setup-system] $ ${cmd} ${args.join(' ')}`);
  const res = spawnSync(cmd, args, {
    stdio: 'inherit',
    env: {...process.env, DEBIAN_FRONTEND: 'noninteractive'},
  });
  if (res.error) throw new Error(`${cmd}: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${res.status ?? res.signal}`);
}

/** Installs what is missing; returns the packages it installed. Throws with the fix when it cannot. */
export async function setupSystem() {
  const missing = await missingPackages();
  if (missing.length === 0) return [];
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `missing system packages: ${missing.join(', ')}.\n` +
        `Run npm test as root to install them automatically, or install them yourself:\n  sudo sh -c '${command}'`,
    );
  }
  if (!onPath('apt-get')) {
    throw new Error(`missing system packages: ${missing.join(', ')}, and there is no apt-get to install them with`);
  }
  console.log(`[setup-system] installing missing system packages: ${missing.join(', ')}`);
  // Another apt run (a second test run, unattended upgrades) may hold the dpkg lock: wait instead of failing.
  const wait = ['-o', 'DPkg::Lock::Timeout=600'];
  run('apt-get', [...wait, 'update']);
  run('apt-get', [...wait, 'install', '-y', '--no-install-recommends', ...missing]);
  const still = await missingPackages();
  if (still.length > 0) throw new Error(`still missing after apt-get install: ${still.join(', ')}`);
  return missing;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  setupSystem().catch((err) => {
    console.error(`[setup-system] ${err.message}`);
    process.exit(1);
  });
}
