// The job service over real HTTP with real child processes (the fake recorder): upstream's auth
// (implicit self-registration, bearer tokens, refusals), POST /jobs validation, the job's environment and
// logs, its lifecycle (exit 0 → gone, failure → kept until retention, max duration → SIGTERM, DELETE of a
// running job refused), max_concurrent_jobs, and the service process's SIGTERM drain and kill -9 restart.
import fs from 'node:fs';
import path from 'node:path';
import type {JobService} from '../../server/src/jobs/service/service';
import {sleep, waitFor} from '../support/wait';
import {
  alive,
  basic,
  call,
  FAKE_RECORDER,
  jobBody,
  jobDir,
  KEY,
  RUNNER,
  spawnService,
  startService,
  tempDir,
  testConfig,
} from './support/harness';

jest.setTimeout(30_000);

const dirs: string[] = [];
const services: JobService[] = [];
afterAll(async () => {
  for (const s of services) await s.close(true);
  for (const d of dirs) fs.rmSync(d, {recursive: true, force: true});
});

async function service(edit?: Parameters<typeof testConfig>[1], opts?: Parameters<typeof startService>[1]) {
  const dir = tempDir();
  dirs.push(dir);
  const svc = await startService(testConfig(dir, edit), opts);
  services.push(svc);
  return {svc, dir, url: svc.url};
}

describe('auth', () => {
  test('Basic auth registers a new client implicitly; a wrong key for it is 401', async () => {
    const {url} = await service();
    const init = await call(url, 'POST', '/jobs/init', {auth: basic('plugin-a'), body: {Runners: [RUNNER]}});
    expect(init.status).toBe(200);
    expect(init.text).toBe('');
    const wrong = await call(url, 'POST', '/jobs/init', {auth: basic('plugin-a', 'x'.repeat(40)), body: {}});
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({error: 'unauthorized', code: '401'});
    // A key too short to register is never accepted.
    expect((await call(url, 'POST', '/jobs/init', {auth: basic('plugin-b', 'short'), body: {}})).status).toBe(401);
    expect((await call(url, 'POST', '/jobs/init', {body: {}})).status).toBe(401);
  });

  test('without self-registration an unknown client is refused and /register needs auth', async () => {
    const {url} = await service((c) => {
      c.api.allowSelfRegistration = false;
      c.api.enableAdmin = true;
      c.api.adminSecretKey = 'a'.repeat(40);
    });
    expect((await call(url, 'POST', '/jobs/init', {auth: basic('plugin-a'), body: {}})).status).toBe(401);
    const open = await call(url, 'POST', '/register', {body: {clientID: 'plugin-a', authKey: KEY}});
    expect(open.status).toBe(401);
    const reg = await call(url, 'POST', '/register', {
      auth: basic('admin', 'a'.repeat(40)),
      body: {clientID: 'plugin-a', authKey: KEY},
    });
    expect(reg).toMatchObject({status: 201, json: {clientID: 'plugin-a', code: '201'}});
    expect((await call(url, 'POST', '/jobs/init', {auth: basic('plugin-a'), body: {}})).status).toBe(200);
    const unreg = await call(url, 'POST', '/unregister', {auth: basic('plugin-a'), body: {clientID: 'plugin-a'}});
    expect(unreg.status).toBe(200);
    expect(unreg.text).toBe('');
    expect((await call(url, 'POST', '/jobs/init', {auth: basic('plugin-a'), body: {}})).status).toBe(401);
  });

  test('/login gives a bearer token that works on the job routes; /version answers without auth', async () => {
    const {url} = await service();
    await call(url, 'POST', '/jobs/init', {auth: basic('plugin-a'), body: {}});
    const bad = await call(url, 'POST', '/login', {body: {clientID: 'plugin-a', authKey: 'y'.repeat(40)}});
    expect(bad).toMatchObject({status: 400, json: {code: '400'}});
    const login = await call(url, 'POST', '/login', {body: {clientID: 'plugin-a', authKey: KEY}});
    expect(login.status).toBe(200);
    const token = login.json?.bearerToken as string;
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await call(url, 'POST', '/jobs/init', {auth: `Bearer ${token}`, body: {}})).status).toBe(200);
    expect((await call(url, 'POST', '/jobs/init', {auth: 'Bearer nope', body: {}})).status).toBe(401);
    const version = await call(url, 'GET', '/version');
    expect(Object.keys(version.json ?? {}).sort()).toEqual(['buildDate', 'buildHash', 'buildVersion', 'goVersion']);
    expect((await call(url, 'POST', '/version')).text).toBe('404 page not found\n');
  });
});

describe('jobs', () => {
  test('POST /jobs refuses a bad type, runner or max duration with upstream error JSON', async () => {
    const {url} = await service();
    const auth = basic('plugin-a');
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{...jobBody('exit0'), type: 'captioning'}, /invalid job type/],
      [{...jobBody('exit0'), type: 'transcribing'}, /not supported/],
      [{...jobBody('exit0'), runner: 'evil/calls-recorder:v0.8.13'}, /invalid runner/],
      [{...jobBody('exit0'), runner: 'mattermost/calls-recorder:v0.5.9'}, /v0.6.0/],
      [{...jobBody('exit0'), runner: 'mattermost/calls-recorder:latest'}, /invalid runner/],
      [{...jobBody('exit0'), max_duration_sec: 0}, /max_duration_sec/],
      [{...jobBody('exit0'), max_duration_sec: -5}, /max_duration_sec/],
      [{...jobBody('exit0'), max_duration_sec: 1.5}, /max_duration_sec/],
      [{...jobBody('exit0'), input_data: {call_id: {nested: true}}}, /input_data/],
      [{...jobBody('exit0'), input_data: {'bad key': 'x'}}, /input_data/],
    ];
    for (const [body, msg] of cases) {
      const res = await call(url, 'POST', '/jobs', {auth, body});
      expect(res.status).toBe(400);
      expect(res.json?.code).toBe('400');
      expect(res.json?.error).toMatch(msg);
    }
    expect((await call(url, 'POST', '/jobs', {auth, body: 'not json'})).status).toBe(400);
    expect(fs.readdirSync(path.join(dirs.at(-1)!, 'jobs'))).toEqual([]);
  });

  test('a running job: env from input_data upper-cased, logs = stderr, DELETE refused; max duration SIGTERMs it', async () => {
    const {url, dir} = await service();
    const auth = basic('plugin-a');
    const res = await call(url, 'POST', '/jobs', {auth, body: jobBody('sleep', 2)});
    expect(res.status).toBe(200);
    const job = res.json!;
    expect(job.id).toMatch(/^[a-z0-9]{12,26}$/);
    expect(Object.keys(job)).toEqual(['type', 'max_duration_sec', 'runner', 'input_data', 'id', 'start_at']);
    expect(Math.abs((job.start_at as number) - Date.now())).toBeLessThan(5000);
    const id = job.id as string;
    const envFile = path.join(jobDir(dir, id), 'data', 'env.json');
    await waitFor(() => fs.existsSync(envFile), 10_000);
    const env = JSON.parse(fs.readFileSync(envFile, 'utf8')) as Record<string, string>;
    expect(env).toMatchObject({
      SITE_URL: 'http://127.0.0.1:8065',
      CALL_ID: 'sleep',
      RECORDING_ID: 'r'.repeat(26),
      AUTH_TOKEN: 't'.repeat(26),
      WIDTH: '1280',
      FRAME_RATE: '15',
      OUTPUT_FORMAT: 'mp4',
      DATA_DIR: path.join(jobDir(dir, id), 'data'),
    });
    // Only the recorder's own variables come from a client: no NODE_OPTIONS from input_data.
    expect(env.NODE_OPTIONS).toBeUndefined();

    const running = await call(url, 'GET', `/jobs/${id}`, {auth});
    expect(running.status).toBe(200);
    expect(running.json?.stop_at).toBeUndefined();
    expect((await call(url, 'DELETE', `/jobs/${id}`, {auth})).json).toEqual({error: 'job is running', code: '400'});
    // Another client does not see it.
    expect((await call(url, 'GET', `/jobs/${id}`, {auth: basic('plugin-b')})).status).toBe(404);

    await waitFor(async () => (await call(url, 'GET', `/jobs/${id}`, {auth})).json?.stop_at !== undefined, 10_000);
    const logs = await call(url, 'GET', `/jobs/${id}/logs`, {auth});
    expect(logs.status).toBe(200);
    expect(logs.text).toContain('fake recorder started');
    expect(logs.text).toContain('got SIGTERM');
    expect(logs.text).not.toContain('stdout is discarded');
    const del = await call(url, 'DELETE', `/jobs/${id}`, {auth});
    expect(del).toMatchObject({status: 200, text: ''});
    expect(fs.existsSync(jobDir(dir, id))).toBe(false);
    expect((await call(url, 'GET', `/jobs/${id}`, {auth})).json).toMatchObject({code: '404'});
    expect((await call(url, 'GET', `/jobs/${id}/logs`, {auth})).status).toBe(403);
    // An id longer than the router's default parameter limit (100) is the handler's 404 too, not the router's.
    expect((await call(url, 'GET', `/jobs/${'a'.repeat(300)}`, {auth})).json).toMatchObject({code: '404'});
  });

  test('exit 0 removes the job and its directory; exit 1 keeps it until the retention passes', async () => {
    const {url, dir} = await service(undefined, {retentionMs: 2500, sweepMs: 200});
    const auth = basic('plugin-a');
    const ok = (await call(url, 'POST', '/jobs', {auth, body: jobBody('exit0')})).json!.id as string;
    const bad = (await call(url, 'POST', '/jobs', {auth, body: jobBody('exit1')})).json!.id as string;
    await waitFor(async () => (await call(url, 'GET', `/jobs/${ok}`, {auth})).status === 404, 10_000);
    expect(fs.existsSync(jobDir(dir, ok))).toBe(false);
    await waitFor(async () => (await call(url, 'GET', `/jobs/${bad}`, {auth})).json?.stop_at !== undefined, 10_000);
    expect((await call(url, 'GET', `/jobs/${bad}/logs`, {auth})).text).toContain('fake recorder failed');
    await waitFor(async () => (await call(url, 'GET', `/jobs/${bad}`, {auth})).status === 404, 10_000);
    expect(fs.existsSync(jobDir(dir, bad))).toBe(false);
  });

  test('max_concurrent_jobs: the job over the limit is refused with 503 until one ends', async () => {
    const {url} = await service((c) => (c.jobs.maxConcurrentJobs = 2));
    const auth = basic('plugin-a');
    const a = await call(url, 'POST', '/jobs', {auth, body: jobBody('sleep', 2)});
    const b = await call(url, 'POST', '/jobs', {auth, body: jobBody('sleep', 30)});
    expect([a.status, b.status]).toEqual([200, 200]);
    const full = await call(url, 'POST', '/jobs', {auth, body: jobBody('sleep')});
    expect(full.json).toEqual({error: 'failed to create job: max concurrent jobs reached', code: '503'});
    await waitFor(
      async () => (await call(url, 'GET', `/jobs/${a.json!.id}`, {auth})).json?.stop_at !== undefined,
      10_000,
    );
    expect((await call(url, 'POST', '/jobs', {auth, body: jobBody('exit0')})).status).toBe(200);
  });

  test('a job that ignores SIGTERM is killed after the grace', async () => {
    const {url} = await service((c) => (c.jobs.stopGraceSeconds = 1));
    const auth = basic('plugin-a');
    const id = (await call(url, 'POST', '/jobs', {auth, body: jobBody('stubborn', 1)})).json!.id as string;
    await waitFor(async () => (await call(url, 'GET', `/jobs/${id}`, {auth})).json?.stop_at !== undefined, 10_000);
    expect((await call(url, 'GET', `/jobs/${id}/logs`, {auth})).text).toContain('SIGTERM ignored');
  });
});

describe('the service process', () => {
  /** A data directory of its own (removed after the tests) and the variables of a service using it. */
  function serviceDir() {
    const dir = tempDir();
    dirs.push(dir);
    return {
      dir,
      env: {STORE_DATASOURCE: dir, API_SECURITY_ALLOWSELFREGISTRATION: 'true', JOBS_RECORDERCOMMAND: FAKE_RECORDER},
    };
  }

  test('SIGTERM stops taking jobs, SIGTERMs the running ones, waits for them and exits 0', async () => {
    const {dir, env} = serviceDir();
    const {proc, url} = await spawnService(env);
    const auth = basic('plugin-a');
    const id = (await call(url, 'POST', '/jobs', {auth, body: jobBody('sleep')})).json!.id as string;
    const pidFile = path.join(jobDir(dir, id), 'data', 'pid');
    await waitFor(() => fs.existsSync(pidFile), 10_000);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(fs.readFileSync(path.join(jobDir(dir, id), 'stderr.log'), 'utf8')).toContain('got SIGTERM');
  });

  test('after kill -9 and a restart, a job whose process is gone is stopped and a surviving one is watched', async () => {
    const {dir, env} = serviceDir();
    const first = await spawnService(env);
    const auth = basic('plugin-a');
    const ids: string[] = [];
    for (let i = 0; i < 2; i++)
      ids.push((await call(first.url, 'POST', '/jobs', {auth, body: jobBody('sleep')})).json!.id as string);
    const pids: number[] = [];
    for (const id of ids) {
      const pidFile = path.join(jobDir(dir, id), 'data', 'pid');
      await waitFor(() => fs.existsSync(pidFile), 10_000);
      pids.push(Number(fs.readFileSync(pidFile, 'utf8')));
    }
    const exited = new Promise((r) => first.proc.on('exit', r));
    first.proc.kill('SIGKILL');
    await exited;
    // The jobs outlive the service (as upstream's containers do); one of them then dies while it is down.
    expect(pids.every(alive)).toBe(true);
    process.kill(pids[0], 'SIGKILL');
    await waitFor(() => !alive(pids[0]), 5000);

    const second = await spawnService(env);
    try {
      const gone = await call(second.url, 'GET', `/jobs/${ids[0]}`, {auth});
      expect(gone.json?.stop_at).toEqual(expect.any(Number));
      const survivor = await call(second.url, 'GET', `/jobs/${ids[1]}`, {auth});
      expect(survivor.status).toBe(200);
      expect(survivor.json?.stop_at).toBeUndefined();
      process.kill(pids[1], 'SIGTERM');
      await waitFor(
        async () => (await call(second.url, 'GET', `/jobs/${ids[1]}`, {auth})).json?.stop_at !== undefined,
        10_000,
      );
    } finally {
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      const done = new Promise((r) => second.proc.on('exit', r));
      second.proc.kill('SIGTERM');
      await done;
      await sleep(0);
    }
  });
});
