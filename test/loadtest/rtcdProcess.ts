// An rtcd media service for the load test (`npm run lt -- --rtcd`): its own process running
// server/src/rtcd/service/main.ts on loopback (self-registration on, the SFU in the service process as
// the integrated scenarios run it), so a plugin started with MM_CALLS_RTCD_SERVICE_URL forwards through it.
import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {EXIT_WITH_PARENT, freeRtcPort} from './serverProcess';
import {writeRtcdConfig} from '../support/rtcd-config';
import {sleep} from '../support/wait';

const REPO_ROOT = path.resolve(__dirname, '../..');

export interface RtcdProcess {
  /** The service URL a plugin is given (MM_CALLS_RTCD_SERVICE_URL). */
  url: string;
  pid: number;
  /** Its RTC (UDP and TCP) port. */
  rtcPort: number;
  stop(): Promise<void>;
}

export interface RtcdProcessOptions {
  /** rtc.workers of the service (default 1: the SFU in the service process). */
  workers?: number;
  /** Where the service's output goes (default: discarded). */
  logFile?: string;
}

export async function startRtcdProcess(opts: RtcdProcessOptions = {}): Promise<RtcdProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-lt-rtcd-'));
  const apiPort = await freeRtcPort();
  let rtcPort = await freeRtcPort();
  while (rtcPort === apiPort) rtcPort = await freeRtcPort();
  const configFile = writeRtcdConfig({
    ip: '127.0.0.1',
    apiPort,
    rtcPort,
    workers: opts.workers ?? 1,
    dataDir: dir,
    consoleLevel: 'WARN',
  });
  const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      ...EXIT_WITH_PARENT,
      path.join(REPO_ROOT, 'server/src/rtcd/service/main.ts'),
      '-config',
      configFile,
    ],
    {cwd: REPO_ROOT, stdio: ['ignore', out, out, 'ipc']},
  );
  if (typeof out === 'number') fs.closeSync(out);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${apiPort}`;
  const stop = async () => {
    if (!exited) {
      // SIGINT stops at once (SIGTERM would drain).
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    }
    fs.rmSync(dir, {recursive: true, force: true});
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error('rtcd exited during startup');
    }
    const ok = await fetch(`${url}/version`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error('rtcd did not start in time');
    }
    await sleep(200);
  }
  return {url, pid: child.pid!, rtcPort, stop};
}
