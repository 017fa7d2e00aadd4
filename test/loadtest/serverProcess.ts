// Starts the server the way `npm start` runs it (server/src/main.ts) in its own process, on loopback
// and ephemeral ports, with calls enabled for everyone, and stops it again. The RTC port must be in
// the configurable range, so a free one is probed first.
import {spawn, type ChildProcess} from 'node:child_process';
import {createSocket} from 'node:dgram';
import fs from 'node:fs';
import {createServer} from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {randomBytes} from 'node:crypto';
import {createCpuLimit} from './cpuLimit';

const REPO_ROOT = path.resolve(__dirname, '../..');
/** Stops the server when this process's IPC channel closes (the load test ended or was killed). */
export const EXIT_WITH_PARENT = ['--import', path.join(__dirname, 'exitWithParent.ts')];

export interface ServerProcess {
  url: string;
  pid: number;
  adminPassword: string;
  rtcPort: number;
  /** Starts enforcing ServerProcessOptions.cpuLimit (a no-op without one). */
  applyCpuLimit(): void;
  stop(): Promise<void>;
}

export interface ServerProcessOptions {
  /** Extra environment (MM_CALLS_RTC_WORKERS, MM_CALLS_RTC_FORWARDING, …). */
  env?: Record<string, string>;
  /** Extra node flags for the server (e.g. --cpu-prof for profiling). */
  nodeArgs?: string[];
  /** Where the server's stderr/stdout go besides the banner parse (default: discarded). */
  logFile?: string;
  /** CPU budget of the server and its media workers, in cores, once applyCpuLimit() is called (cpuLimit.ts). */
  cpuLimit?: number;
  startTimeoutMs?: number;
}

async function portIsFree(port: number): Promise<boolean> {
  const udp = await new Promise<boolean>((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
  if (!udp) return false;
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A port free for both UDP and TCP within the settings' range [80, 49151], below the usual ephemeral range. */
export async function freeRtcPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await portIsFree(port)) return port;
  }
  throw new Error('no free port for the RTC server');
}

export async function startServerProcess(opts: ServerProcessOptions = {}): Promise<ServerProcess> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-lt-'));
  const rtcPort = await freeRtcPort();
  const adminPassword = randomBytes(9).toString('base64url');
  const limit = opts.cpuLimit !== undefined ? createCpuLimit(opts.cpuLimit) : undefined;
  const nodeArgv = [
    process.execPath,
    ...(opts.nodeArgs ?? []),
    // LT_SERVER_NODE_ARGS adds node flags to the server it starts (e.g. --trace-gc; its output goes to --server-log).
    ...(process.env.LT_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    '--import',
    'tsx',
    ...EXIT_WITH_PARENT,
    path.join(REPO_ROOT, 'server/src/main.ts'),
  ];
  // In a cgroup, the shell joins it and then becomes the server, so the server and its workers start inside.
  const [command, ...args] = limit
    ? ['/bin/sh', '-c', 'echo $$ > "$1" && shift && exec "$@"', 'sh', limit.procsFile, ...nodeArgv]
    : nodeArgv;
  const child: ChildProcess = spawn(command, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: {
      ...process.env,
      MM_CALLS_HTTP_HOST: '127.0.0.1',
      MM_CALLS_HTTP_PORT: '0',
      MM_CALLS_DATA_DIR: dataDir,
      MM_CALLS_DEFAULT_ENABLED: 'true',
      MM_CALLS_UDP_SERVER_ADDRESS: '127.0.0.1',
      MM_CALLS_TCP_SERVER_ADDRESS: '127.0.0.1',
      MM_CALLS_UDP_SERVER_PORT: String(rtcPort),
      MM_CALLS_TCP_SERVER_PORT: String(rtcPort),
      MM_CALLS_ICE_SERVERS_CONFIGS: '[]',
      MM_CALLS_SEED_PASSWORD: adminPassword,
      MM_CALLS_LOG_LEVEL: process.env.MM_CALLS_LOG_LEVEL ?? 'warn',
      MM_CALLS_LOG_JSON: 'true',
      ...opts.env,
    },
  });
  const log = opts.logFile ? fs.createWriteStream(opts.logFile) : undefined;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const cleanup = () => {
    fs.rmSync(dataDir, {recursive: true, force: true});
    void limit?.remove();
  };
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start in time; output:\n${output.slice(-2000)}`)),
      opts.startTimeoutMs ?? 60_000,
    );
    const onData = (chunk: Buffer) => {
      log?.write(chunk);
      if (output.length < 100_000) output += chunk.toString();
      const m = /Calls is running at (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => {
      log?.write(chunk);
      if (output.length < 100_000) output += chunk.toString();
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited during startup:\n${output.slice(-2000)}`));
    });
  }).catch((err: unknown) => {
    if (!exited) child.kill('SIGKILL');
    cleanup();
    throw err;
  });
  return {
    url,
    pid: child.pid!,
    adminPassword,
    rtcPort,
    applyCpuLimit: () => limit?.apply(),
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(timer);
      }
      log?.end();
      cleanup();
    },
  };
}
