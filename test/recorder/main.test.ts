// The recorder program's start-failure path (reference §8): when it cannot join the call it reports status
// `failed` with the error under `omitempty`, leaves nothing behind and exits 0; a bad config exits 1.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import os from 'node:os';
import path from 'node:path';

jest.setTimeout(60_000);
const ID = (c: string) => c.repeat(26);
const ROOT = path.resolve(__dirname, '../..');

function runRecorder(env: Record<string, string>): Promise<{code: number | null; stderr: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'build', 'recorder.mjs')], {
      env: {PATH: process.env.PATH ?? '', ...env},
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    child.on('close', (code) => resolve({code, stderr}));
  });
}

it('reports a join failure as status failed and exits 0, without leaking the token', async () => {
  const statuses: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += String(d)));
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      if (req.url?.endsWith('/filename')) return res.end(JSON.stringify({filename: 'Call_Test_2024-01-01_10-00-00'}));
      if (req.url?.includes('/status')) {
        statuses.push({url: req.url, body: JSON.parse(body) as unknown});
        return res.end('{}');
      }
      res.statusCode = 404;
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rec-main-'));
  try {
    const {code, stderr} = await runRecorder({
      SITE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      AUTH_TOKEN: ID('t'),
      CALL_ID: ID('c'),
      POST_ID: ID('p'),
      RECORDING_ID: ID('r'),
      WIDTH: '1280',
      HEIGHT: '720',
      FRAME_RATE: '15',
      VIDEO_PRESET: 'ultrafast',
      DATA_DIR: dataDir,
    });
    expect(code).toBe(0);
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).toMatchObject({
      url: `/plugins/com.mattermost.calls/bot/calls/${ID('c')}/jobs/${ID('r')}/status`,
      body: {JobType: 'recording', Status: 'failed', omitempty: expect.stringMatching(/failed to start recording/)},
    });
    expect(stderr).not.toContain(ID('t'));
    expect(fs.readdirSync(dataDir)).toEqual([]);
  } finally {
    server.close();
    fs.rmSync(dataDir, {recursive: true, force: true});
  }
});

it('exits 1 on an invalid configuration', async () => {
  const {code, stderr} = await runRecorder({SITE_URL: 'http://127.0.0.1:1/sub?x=1', AUTH_TOKEN: ID('t')});
  expect(code).toBe(1);
  expect(stderr).toMatch(/SITE_URL/);
});
