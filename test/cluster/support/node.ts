// Starts a Calls node as its own process (`server/src/main.ts`, as `npm start` runs it) on loopback
// with ephemeral HTTP and RTC ports, and reads its start banner. Logs go to a file per node (the path
// is printed when a test fails) so a failing cluster test can be read afterwards.
import {type ChildProcess, spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
export const LOG_DIR = path.join(os.tmpdir(), 'calls-cluster-logs');

export interface NodeProcess {
  readonly name: string;
  readonly nodeID: string;
  readonly url: string;
  /** The SFU's UDP and ICE-TCP ports, or null on a relay-only node. */
  readonly udpPort: number | null;
  readonly tcpPort: number | null;
  readonly child: ChildProcess;
  readonly logFile: string;
  output(): string;
  /** SIGKILL (the node dies without any cleanup). Resolves once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful stop); resolves with the exit code. Idempotent. */
  stop(): Promise<number | null>;
}

export interface StartNodeOptions {
  name: string;
  databaseURL?: string;
  env?: Record<string, string>;
  /** Default: a fresh temp dir (SQLite lives there when no database URL is given). */
  dataDir?: string;
  /** How long the node may take to print its start banner before it is killed (default 60 s). */
  readyTimeoutMs?: number;
  /** Tracks the process from the moment it is spawned, so a start that hangs can still be stopped. */
  spawned?: SpawnedNodes;
}

/**
 * The node processes a test spawned, recorded as they spawn (not once they are ready): `killAll` stops
 * every one still running, even those whose start is still pending, and refuses any spawn after it, so
 * an afterAll can clean up after a beforeAll that timed out partway.
 */
export class SpawnedNodes {
  /** Every process ever spawned through this tracker (the dead ones too), for tests to check by pid. */
  readonly pids: number[] = [];
  private readonly running = new Map<ChildProcess, Promise<void>>();
  private closed = false;

  add(child: ChildProcess): void {
    if (child.pid !== undefined) this.pids.push(child.pid);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.running.set(child, exited);
    void exited.then(() => this.running.delete(child));
  }

  assertOpen(name: string): void {
    if (this.closed) throw new Error(`node ${name} not started: its test has already stopped its nodes`);
  }

  /** SIGKILLs every spawned node still running and resolves once all are gone. */
  async killAll(): Promise<void> {
    this.closed = true;
    const gone = [...this.running.entries()].map(([child, exited]) => {
      child.kill('SIGKILL');
      return exited;
    });
    await Promise.all(gone);
  }
}

let counter = 0;

/** A node id unique to this run (log files are named by it), readable by its test name. */
function makeNodeID(name: string): string {
  return `${name.replace(/[^a-z0-9]/g, '')}${Date.now().toString(36)}${++counter}`.toLowerCase().slice(0, 40);
}

export async function startNode(o: StartNodeOptions): Promise<NodeProcess> {
  o.spawned?.assertOpen(o.name);
  fs.mkdirSync(LOG_DIR, {recursive: true});
  const nodeID = o.env?.MM_CALLS_NODE_ID ?? makeNodeID(o.name);
  const dataDir = o.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'calls-node-'));
  const logFile = path.join(LOG_DIR, `${o.name}-${nodeID}.log`);
  const log = fs.createWriteStream(logFile);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server/src/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      MM_CALLS_HTTP_HOST: '127.0.0.1',
      MM_CALLS_HTTP_PORT: '0',
      MM_CALLS_UDP_SERVER_ADDRESS: '127.0.0.1',
      MM_CALLS_UDP_SERVER_PORT: '0',
      MM_CALLS_TCP_SERVER_ADDRESS: '127.0.0.1',
      MM_CALLS_TCP_SERVER_PORT: '0',
      MM_CALLS_LOG_JSON: 'true',
      MM_CALLS_LOG_LEVEL: process.env.CLUSTER_TEST_LOG ?? 'info',
      MM_CALLS_DEFAULT_ENABLED: 'true',
      MM_CALLS_DATA_DIR: dataDir,
      MM_CALLS_NODE_ID: nodeID,
      ...(o.databaseURL ? {MM_CALLS_DATABASE_URL: o.databaseURL} : {}),
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  o.spawned?.add(child);
  let out = '';
  const onData = (d: Buffer) => {
    out += String(d);
    log.write(d);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  // Whatever happens to the test, a node never outlives the jest process that started it.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code;
      process.removeListener('exit', reap);
      log.end();
      if (!o.dataDir) fs.rmSync(dataDir, {recursive: true, force: true});
      resolve(code);
    }),
  );
  const started = await new Promise<{url: string; udpPort: number | null; tcpPort: number | null}>(
    (resolve, reject) => {
      const readyTimeoutMs = o.readyTimeoutMs ?? 60_000;
      let timedOut = false;
      // A node that never gets ready is killed, so its start ends (and its caller can clean up) either way.
      const deadline = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, readyTimeoutMs);
      const timer = setInterval(() => {
        const m = /Calls is running at (http:\/\/\S+)/.exec(out);
        const media = /media: (?:UDP (\d+)(?:, TCP (\d+))?|none|on the rtcd hosts)/.exec(out);
        if (m && media) {
          clearInterval(timer);
          clearTimeout(deadline);
          resolve({
            url: m[1],
            udpPort: media[1] ? Number(media[1]) : null,
            tcpPort: media[2] ? Number(media[2]) : null,
          });
        }
      }, 25);
      void exited.then(() => {
        clearInterval(timer);
        clearTimeout(deadline);
        const why = timedOut ? `not ready after ${readyTimeoutMs} ms (killed)` : 'exited before starting';
        reject(new Error(`node ${o.name} ${why}:\n${out.slice(-3000)}`));
      });
    },
  );
  let stopping: Promise<number | null> | null = null;
  return {
    name: o.name,
    nodeID,
    url: started.url,
    udpPort: started.udpPort,
    tcpPort: started.tcpPort,
    child,
    logFile,
    output: () => out,
    async kill9() {
      if (exitCode === undefined) child.kill('SIGKILL');
      await exited;
    },
    stop() {
      stopping ??= (async () => {
        if (exitCode !== undefined) return exitCode;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      })();
      return stopping;
    },
  };
}

/** Like startNode, but resolves with the output of a node that is expected to refuse to start. */
export async function expectRefusal(o: StartNodeOptions): Promise<{code: number | null; output: string}> {
  try {
    const n = await startNode(o);
    await n.stop();
    throw new Error(`node ${o.name} started but should have refused:\n${n.output().slice(-2000)}`);
  } catch (err) {
    const msg = (err as Error).message;
    if (!msg.includes('exited before starting')) throw err;
    return {code: 1, output: msg};
  }
}
