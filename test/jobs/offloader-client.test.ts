// The plugin-side JobRunner against a running job service: credentials in `jobservice_config` with
// upstream's precedence, the /version check, POST /jobs/init with the recorder runner, and POST /jobs
// with exactly the body of reference rtcd-offloader §7.3 (field names compared to the reference); a job
// that stops with an error is reported as `failed`; a service that is too old or refuses is an error.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {silentLogger} from '../../server/src/log';
import {createJobRunner, type OffloaderJobRunner, jobServiceSettings} from '../../server/src/jobs/offloader-client';
import type {JobService} from '../../server/src/jobs/service/service';
import type {JobSpec} from '../../server/src/jobs/types';
import {openStore, type Store} from '../../server/src/store';
import {waitFor} from '../support/wait';
import {basic, call, jobBody, jobDir, startService, tempDir, testConfig} from './support/harness';

jest.setTimeout(30_000);

let dir: string;
let svc: JobService;
let store: Store;
const runners: OffloaderJobRunner[] = [];
const servers: http.Server[] = [];

beforeAll(async () => {
  dir = tempDir();
  svc = await startService(testConfig(dir, (c) => (c.jobs.maxConcurrentJobs = 8)));
  store = await openStore({dataDir: path.join(dir, 'node'), logger: silentLogger()});
});

afterAll(async () => {
  for (const r of runners) await r.close();
  for (const s of servers) s.close();
  await store?.close();
  await svc?.close(true);
  fs.rmSync(dir, {recursive: true, force: true});
});

function spec(mode: string, maxDurationSec = 60): JobSpec {
  const input = jobBody(mode as 'exit0').input_data as JobSpec['inputData'];
  delete input.node_options;
  return {type: 'recording', maxDurationSec, inputData: input};
}

function runner(url: string, env: NodeJS.ProcessEnv = {}, pollMs = 0): OffloaderJobRunner {
  const r = createJobRunner(
    {JobServiceURL: url},
    {store, defaultClientID: 'node-1', logger: silentLogger(), env, pollMs},
  );
  if (!r) throw new Error('no runner');
  runners.push(r);
  return r;
}

test('no runner without a job service URL; settings follow upstream precedence', () => {
  expect(
    createJobRunner({JobServiceURL: ''}, {store, defaultClientID: 'n', logger: silentLogger(), env: {}}),
  ).toBeNull();
  const s = jobServiceSettings('http://id1:' + 'u'.repeat(32) + '@jobs.example:4545/', {
    MM_CALLS_JOB_SERVICE_IMAGE_REGISTRY: 'registry.example/mm',
  });
  expect(s).toEqual({
    serviceURL: 'http://jobs.example:4545',
    clientID: 'id1',
    authKey: 'u'.repeat(32),
    runner: 'registry.example/mm/calls-recorder:v0.8.13',
  });
  const e = jobServiceSettings('http://id1:x@jobs.example:4545', {
    MM_CALLS_JOB_SERVICE_URL: 'http://other:4545',
    MM_CALLS_JOB_SERVICE_CLIENT_ID: 'env-id',
    MM_CALLS_JOB_SERVICE_AUTH_KEY: 'e'.repeat(32),
  });
  expect(e).toMatchObject({serviceURL: 'http://other:4545', clientID: 'env-id', authKey: 'e'.repeat(32)});
});

test('init registers through the service, keeps jobservice_config, and start sends the §7.3 body', async () => {
  const r = runner(svc.url);
  await r.init();
  const kept = JSON.parse((await store.kv.get('jobservice_config'))!) as Record<string, string>;
  expect(Object.keys(kept).sort()).toEqual(['AuthKey', 'ClientID', 'URL']);
  expect(kept).toMatchObject({ClientID: 'node-1', URL: svc.url});
  expect(kept.AuthKey).toHaveLength(32);
  // A second init (a restart) presents the same credentials.
  const again = runner(svc.url);
  await again.init();
  expect(JSON.parse((await store.kv.get('jobservice_config'))!)).toEqual(kept);

  const sent = spec('sleep', 2);
  const {jobID} = await r.start(sent);
  expect(jobID).toMatch(/^[a-z0-9]{12,26}$/);
  const job = await call(svc.url, 'GET', `/jobs/${jobID}`, {auth: basic(kept.ClientID, kept.AuthKey)});
  // Reference §7.2/7.3: the Job echoes the JobConfig the plugin sent.
  expect(job.json).toMatchObject({
    type: 'recording',
    runner: 'mattermost/calls-recorder:v0.8.13',
    max_duration_sec: 2,
    input_data: {...sent.inputData, call_id: 'sleep', site_url: 'http://127.0.0.1:8065'},
    id: jobID,
  });
});

test('the body on the wire is exactly {type, runner, max_duration_sec, input_data} with Basic auth', async () => {
  const seen: Array<{method: string; url: string; auth: string; body: string}> = [];
  const fake = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({method: req.method!, url: req.url!, auth: req.headers.authorization ?? '', body});
      if (req.url === '/version') return void res.end(JSON.stringify({buildVersion: 'v0.9.4'}));
      if (req.url === '/jobs') return void res.end(JSON.stringify({id: 'abcdef123456', start_at: 1}));
      res.end();
    });
  });
  servers.push(fake);
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(fake.address() as {port: number}).port}`;
  const r = runner(url, {MM_CALLS_JOB_SERVICE_CLIENT_ID: 'cid', MM_CALLS_JOB_SERVICE_AUTH_KEY: 'a'.repeat(32)});
  await r.init();
  expect(await r.start(spec('exit0', 3600))).toEqual({jobID: 'abcdef123456'});
  expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /version', 'POST /jobs/init', 'POST /jobs']);
  expect(seen[0].auth).toBe('');
  expect(seen[1].auth).toBe(basic('cid', 'a'.repeat(32)));
  expect(JSON.parse(seen[1].body)).toEqual({Runners: ['mattermost/calls-recorder:v0.8.13']});
  const body = JSON.parse(seen[2].body) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['input_data', 'max_duration_sec', 'runner', 'type']);
  expect(body).toMatchObject({type: 'recording', runner: 'mattermost/calls-recorder:v0.8.13', max_duration_sec: 3600});
});

test('an offloader older than v0.9.0 is refused; a dev build is accepted', async () => {
  for (const [version, ok] of [
    ['v0.8.9', false],
    ['dev-abc', true],
  ] as const) {
    const fake = http.createServer((req, res) =>
      res.end(req.url === '/version' ? JSON.stringify({buildVersion: version}) : ''),
    );
    servers.push(fake);
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const r = runner(`http://127.0.0.1:${(fake.address() as {port: number}).port}`);
    if (ok) await expect(r.init()).resolves.toBeUndefined();
    else await expect(r.init()).rejects.toThrow(/older than the minimum v0.9.0/);
  }
});

test('a refused job is an error naming the service error; a job that fails is reported as failed', async () => {
  // The store now holds the fake service's URL: a new id, as a changed URL gets a new key (upstream's rule).
  const r = runner(svc.url, {MM_CALLS_JOB_SERVICE_CLIENT_ID: 'node-2'}, 100);
  await r.init();
  const failed: Array<[string, string]> = [];
  r.on('failed', (id, reason) => failed.push([id, reason]));
  await expect(r.start({...spec('exit0'), maxDurationSec: 0})).rejects.toThrow(/400 failed to create job/);
  const ok = await r.start(spec('exit0'));
  const bad = await r.start(spec('exit1'));
  await waitFor(() => failed.length > 0, 10_000);
  expect(failed).toEqual([[bad.jobID, expect.stringMatching(/error/)]]);
  await waitFor(() => !fs.existsSync(jobDir(dir, ok.jobID)), 10_000);
  expect(failed).toHaveLength(1);
});
