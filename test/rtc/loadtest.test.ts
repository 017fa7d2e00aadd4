// The load-test tool end to end, as CI runs it: `npm run lt` starts its own server process, logs three
// users in through the REST API, joins them over the websocket from separate client processes, one
// speaks for 5 s, and every packet reaches both listeners (a correctness check, not a speed assertion).
import {spawn} from 'node:child_process';
import path from 'node:path';
import type {LoadTestResult} from '../loadtest/run';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');

function runCli(args: string[]): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/loadtest/cli.ts'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({code, stdout, stderr});
    });
  });
}

test('lt 1×3×1 for 5 s delivers every packet to every listener', async () => {
  const {code, stdout, stderr} = await runCli([
    '--calls',
    '1',
    '--users',
    '3',
    '--unmuted',
    '1',
    '--duration',
    '5',
    '--json',
    '--quiet',
  ]);
  expect({code, stderr: code === 0 ? '' : stderr}).toEqual({code: 0, stderr: ''});
  const r = JSON.parse(stdout) as LoadTestResult;
  expect(r.join).toMatchObject({attempted: 3, joined: 3, failed: 0});
  // Where the join time went: every stage measured, none longer than the longest whole join. (Medians of different
  // users' stages need not add up to any one join: with media workers started by the first join, one user's stage
  // holds the worker's start, and the sum of the medians could exceed the longest join.)
  const stages = Object.values(r.join.stages);
  expect(stages).toHaveLength(5);
  for (const st of stages) expect(st.p50Ms).toBeGreaterThanOrEqual(0);
  expect(r.join.stages.ice.p50Ms).toBeGreaterThan(0);
  for (const st of stages) expect(st.p50Ms).toBeLessThanOrEqual(r.join.maxMs + 1);
  // The two listeners each waited for the speaker's first packet, and both got one.
  expect(r.join.firstMedia).toMatchObject({users: 2, none: 0});
  expect(r.join.firstMedia.p50Ms).toBeGreaterThanOrEqual(0);
  // 1 speaker × 50 packets/s × 5 s to 2 listeners.
  expect(r.delivery.expected).toBeGreaterThanOrEqual(2 * 200);
  expect(r.delivery.ratio).toBeGreaterThanOrEqual(0.99);
  expect(r.delivery.decryptedSample.ratio).toBeGreaterThanOrEqual(0.99);
  // The server's own counters saw the forwarding: twice as many packets out as in.
  expect(r.server.outPps).toBeGreaterThan(1.5 * r.server.inPps);
  expect(r.server.rssMB).toBeGreaterThan(0);
});

test('lt refuses a scenario it cannot run', async () => {
  const {code, stderr} = await runCli(['--calls', '1', '--users', '2', '--unmuted', '3', '--duration', '5']);
  expect(code).toBe(2);
  expect(stderr).toContain('--unmuted cannot exceed --users');
});
