// The job service for tests: in this process (startService) or as a real process (spawnService) on
// 127.0.0.1 port 0 with a temp store, running the fake recorder; and small helpers to call its API.
import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {QUALITY_PROFILES} from '../../../server/src/jobs/quality';
import {silentLogger} from '../../../server/src/log';
import {defaultJobsConfig, type JobsConfig} from '../../../server/src/jobs/service/config';
import {startJobService, type JobService, type JobServiceOptions} from '../../../server/src/jobs/service/service';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const FAKE_RECORDER = `node ${path.join(__dirname, 'fake-recorder.mjs')}`;
export const RUNNER = 'mattermost/calls-recorder:v0.8.13';
export const KEY = 'k'.repeat(40);

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'jobsvc-'));
}

export function testConfig(dir: string, edit: (c: JobsConfig) => void = () => {}): JobsConfig {
  const cfg = defaultJobsConfig();
  cfg.api.listenAddress = '127.0.0.1:0';
  cfg.api.allowSelfRegistration = true;
  cfg.store.dataSource = dir;
  cfg.jobs.recorderCommand = FAKE_RECORDER;
  cfg.jobs.stopGraceSeconds = 2;
  edit(cfg);
  return cfg;
}

export function startService(cfg: JobsConfig, opts: JobServiceOptions = {}): Promise<JobService> {
  return startJobService(cfg, silentLogger(), {verificationsPerSecond: 200, ...opts});
}

export function basic(clientID: string, key = KEY): string {
  return `Basic ${Buffer.from(`${clientID}:${key}`).toString('base64')}`;
}

export interface Reply {
  status: number;
  text: string;
  json: Record<string, unknown> | null;
}

export async function call(
  url: string,
  method: string,
  route: string,
  opts: {auth?: string; body?: unknown} = {},
): Promise<Reply> {
  const res = await fetch(url + route, {
    method,
    headers: opts.auth ? {authorization: opts.auth} : {},
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = null;
  }
  return {status: res.status, text, json};
}

/** A recording job body as the plugin sends it; `mode` tells the fake recorder what to do (CALL_ID). */
export function jobBody(mode: 'exit0' | 'exit1' | 'sleep' | 'stubborn', maxDurationSec = 60): Record<string, unknown> {
  return {
    type: 'recording',
    runner: RUNNER,
    max_duration_sec: maxDurationSec,
    input_data: {
      site_url: 'http://127.0.0.1:8065',
      call_id: mode,
      post_id: 'p'.repeat(26),
      recording_id: 'r'.repeat(26),
      auth_token: 't'.repeat(26),
      ...QUALITY_PROFILES.low,
      node_options: '--require /nonexistent',
    },
  };
}

export function jobDir(dir: string, id: string): string {
  return path.join(dir, 'jobs', id);
}

export {alive} from '../../support/processes';

/** The service as its own process (main.ts under tsx), its URL read from its first log line. */
export async function spawnService(env: Record<string, string>): Promise<{proc: ChildProcess; url: string}> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server/src/jobs/service/main.ts')], {
    cwd: ROOT,
    env: {...process.env, API_HTTP_LISTENADDRESS: '127.0.0.1:0', LOGGER_CONSOLEJSON: 'true', ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`job service did not start: ${out}`)), 20_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('exit', (code) => reject(new Error(`job service exited (${code}): ${out}`)));
  });
  return {proc, url};
}
