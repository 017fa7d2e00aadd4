// Throwaway PostgreSQL servers for tests: a fresh cluster in a temp dir on a loopback port, one fresh
// database per test file, and stop/start on the same port and data so cluster tests can survive an outage.
// PostgreSQL refuses to run as root, so when we are root every server command runs as `postgres`.

import {execFile, spawnSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {Client} from 'pg';
import {freePort} from './ports';

/** Set by the Jest global setup (or `npm test`) to the admin URL of the shared test server. */
export const PG_URL_ENV = 'MM_CALLS_TEST_PG_URL';
export const PG_UNAVAILABLE = 'PostgreSQL is not available: run npm test as root or install postgresql';

const PG_ROOT = '/usr/lib/postgresql';
const OS_USER = 'postgres';
const DB_USER = 'postgres';
const DIR_PREFIX = 'mm-calls-pg-';

export interface PgServer {
  /** Admin URL: user `postgres`, database `postgres`, trust auth on 127.0.0.1. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server (fast shutdown) and removes its files. Idempotent. */
  stop(): Promise<void>;
  /** Takes the server down and up again: same port, same data; open connections are cut. */
  restart(): Promise<void>;
  /** Takes the server down (fast shutdown) but keeps its data, for tests that act while it is away. */
  down(): Promise<void>;
  /** Brings a server taken down by `down()` back on the same port with the same data. */
  up(): Promise<void>;
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** Drops the database, cutting any connection still open on it. Idempotent. */
  drop(): Promise<void>;
}

/** The newest PostgreSQL install's bin dir (Debian layout), or undefined when none is installed. */
export function findPgBinDir(root = PG_ROOT): string | undefined {
  let versions: string[];
  try {
    versions = fs.readdirSync(root);
  } catch {
    return undefined;
  }
  const found = versions
    .filter((v) => /^\d+(\.\d+)?$/.test(v) && fs.existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return found.length > 0 ? path.join(root, found[0], 'bin') : undefined;
}

/** The shared test server's admin URL; throws a clear error when PostgreSQL could not be started. */
export function requirePgUrl(): string {
  const url = process.env[PG_URL_ENV];
  if (!url) throw new Error(PG_UNAVAILABLE);
  return url;
}

interface Runner {
  run(bin: string, args: string[]): Promise<string>;
  runSync(bin: string, args: string[]): void;
  chownToServerUser(p: string): void;
}

function runnerFor(cwd: string): Runner {
  const asRoot = process.getuid?.() === 0;
  let ids: {uid: number; gid: number} | undefined;
  if (asRoot) {
    ids = lookupUser(OS_USER);
    if (!ids)
      throw new Error(`running as root but there is no '${OS_USER}' user to run PostgreSQL as (install postgresql)`);
  }
  const argv = (bin: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', OS_USER, '--', bin, ...args]] : [bin, args];
  // cwd is the temp dir: the server user may not be able to enter ours (e.g. /root).
  return {
    run(bin, args) {
      const [cmd, full] = argv(bin, args);
      return new Promise((resolve, reject) => {
        execFile(cmd, full, {cwd, encoding: 'utf8'}, (err, stdout, stderr) => {
          if (err)
            reject(new Error(`${path.basename(bin)} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
          else resolve(stdout + stderr);
        });
      });
    },
    runSync(bin, args) {
      const [cmd, full] = argv(bin, args);
      spawnSync(cmd, full, {cwd, stdio: 'ignore', timeout: 10_000});
    },
    chownToServerUser(p) {
      if (ids) fs.chownSync(p, ids.uid, ids.gid);
    },
  };
}

function lookupUser(name: string): {uid: number; gid: number} | undefined {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  return {uid: Number(uid), gid: Number(gid)};
}

/** Makes a fresh cluster and starts it on a free loopback port; about 1.3 s. */
export async function startPostgres(opts: {binDir?: string} = {}): Promise<PgServer> {
  const binDir = opts.binDir ?? findPgBinDir();
  if (!binDir) throw new Error(PG_UNAVAILABLE);
  const bin = (name: string) => path.join(binDir, name);

  const root = fs.mkdtempSync(path.join(tempBase(), DIR_PREFIX));
  const dataDir = path.join(root, 'data');
  const sockDir = path.join(root, 'sock');
  const logFile = path.join(root, 'server.log');
  fs.mkdirSync(sockDir);
  const runner = runnerFor(root);
  runner.chownToServerUser(root);
  runner.chownToServerUser(sockDir);

  let running = false;
  let removed = false;
  const emergencyStop = () => {
    if (running) runner.runSync(bin('pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    fs.rmSync(root, {recursive: true, force: true});
  };
  // A crashed test process must not leave a server behind.
  process.once('exit', emergencyStop);

  const up = async () => {
    await runner.run(bin('pg_ctl'), ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start']);
    running = true;
  };
  const down = async () => {
    if (!running) return;
    running = false;
    await runner.run(bin('pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
  };

  let port = 0;
  try {
    await runner.run(bin('initdb'), [
      '-D',
      dataDir,
      '-U',
      DB_USER,
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    // The port can be taken between our probe and the server's bind: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      writeTestConf(dataDir, port, sockDir);
      try {
        await up();
        break;
      } catch (err) {
        const log = readLog(logFile);
        if (attempt >= 3 || !/could not (bind|create listen)/i.test(log)) {
          throw new Error(`${(err as Error).message}\n--- server log ---\n${log}`);
        }
      }
    }
  } catch (err) {
    process.removeListener('exit', emergencyStop);
    emergencyStop();
    throw err;
  }

  return {
    url: `postgres://${DB_USER}@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    async stop() {
      if (removed) return;
      removed = true;
      process.removeListener('exit', emergencyStop);
      try {
        await down();
      } finally {
        fs.rmSync(root, {recursive: true, force: true});
      }
    },
    async restart() {
      await down();
      await up();
    },
    down,
    async up() {
      if (removed) throw new Error('the test PostgreSQL server was stopped for good');
      if (!running) await up();
    },
  };
}

function tempBase(): string {
  // A short base keeps the unix socket path under its 107-byte limit.
  return os.tmpdir().length < 40 ? os.tmpdir() : '/tmp';
}

/**
 * Removes what killed test runs left behind (a SIGKILLed process runs no exit hook): server dirs older
 * than `maxAgeMs`, stopping their server if it still runs. No test keeps a server that long.
 */
export function sweepStalePostgres(maxAgeMs = 2 * 60 * 60 * 1000): void {
  const base = tempBase();
  let names: string[];
  try {
    names = fs.readdirSync(base).filter((n) => n.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const root = path.join(base, name);
    try {
      if (Date.now() - fs.statSync(root).mtimeMs < maxAgeMs) continue;
      const pidFile = path.join(root, 'data', 'postmaster.pid');
      const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
      // SIGQUIT is PostgreSQL's immediate shutdown; the pid is checked to still be a postgres.
      if (pid > 0 && readComm(pid) === 'postgres') process.kill(pid, 'SIGQUIT');
      fs.rmSync(root, {recursive: true, force: true});
    } catch {
      // Not ours to remove (another user's) or already gone.
    }
  }
}

function readComm(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function writeTestConf(dataDir: string, port: number, sockDir: string): void {
  // Settings in the data dir (not on the command line) so a restart keeps them.
  const conf = path.join(dataDir, 'postgresql.conf');
  const marker = '# mm-calls test settings';
  const original = fs.readFileSync(conf, 'utf8').split(marker)[0];
  fs.writeFileSync(
    conf,
    `${original}${marker}
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = '${sockDir}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
`,
  );
}

function readLog(logFile: string): string {
  try {
    return fs.readFileSync(logFile, 'utf8').slice(-4000);
  } catch {
    return '(no server log)';
  }
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({connectionString: adminUrl});
  // A server going away mid-query surfaces as the query's rejection; this keeps it from being unhandled.
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates a fresh, uniquely named database on the server at `adminUrl` (default: the shared test server). */
export async function createDatabase(adminUrl: string = requirePgUrl()): Promise<TestDatabase> {
  const name = `calls_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  let dropped = false;
  return {
    name,
    url: withDatabase(adminUrl, name),
    async drop() {
      if (dropped) return;
      dropped = true;
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
