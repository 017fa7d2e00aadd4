// Hostile requests on every job service route (the fuzz suite's value generators, seeded by FUZZ_SEED):
// mutated job bodies, wrong types, huge and strange strings, odd paths and methods, every way of (not)
// being logged in. Every answer must be an answer: no 5xx, no stack trace or path, the error JSON shape
// on refusals, and the service still serves afterwards with no job left behind by a refused request.
import fs from 'node:fs';
import path from 'node:path';
import type {JobService} from '../../server/src/jobs/service/service';
import {fuzzScale, fuzzSeed, Rng} from '../fuzz/support/rng';
import {encodeComponent, findLeak, hostileString, hostileValue, mutateObject} from '../fuzz/support/values';
import {basic, call, jobBody, KEY, startService, tempDir, testConfig} from './support/harness';

jest.setTimeout(60_000);

const seed = fuzzSeed();
let dir: string;
let svc: JobService;

beforeAll(async () => {
  dir = tempDir();
  // Jobs that slip through would exit 0 at once (CALL_ID is not "sleep"), so none piles up.
  svc = await startService(testConfig(dir, (c) => (c.jobs.maxConcurrentJobs = 50)));
  await call(svc.url, 'POST', '/jobs/init', {auth: basic('fuzzer'), body: {}});
});

afterAll(async () => {
  await svc?.close(true);
  fs.rmSync(dir, {recursive: true, force: true});
});

const ROUTES = [
  ['POST', '/register'],
  ['POST', '/unregister'],
  ['POST', '/login'],
  ['POST', '/jobs'],
  ['POST', '/jobs/init'],
  ['GET', '/jobs/:id'],
  ['DELETE', '/jobs/:id'],
  ['GET', '/jobs/:id/logs'],
  ['GET', '/version'],
] as const;

test(`hostile requests on every route get clear answers (FUZZ_SEED=${seed})`, async () => {
  const rng = new Rng(seed);
  const ctx = {ids: ['fuzzer', 'abcdef123456', 'a'.repeat(26)]};
  const auths = [undefined, basic('fuzzer'), basic('fuzzer', 'wrong'.repeat(8)), 'Bearer x', 'Basic %%%', 'Digest a'];
  const n = Math.round(300 * fuzzScale());
  const statuses = new Map<number, number>();
  let accepted = 0;
  for (let i = 0; i < n; i++) {
    const [method0, route] = rng.pick(ROUTES);
    const method = rng.chance(0.1) ? rng.pick(['PUT', 'PATCH', 'GET', 'POST', 'DELETE']) : method0;
    const id = rng.chance(0.5) ? rng.pick(ctx.ids) : encodeComponent(hostileString(rng, ctx, 300));
    const url = route.replace(':id', id) + (rng.chance(0.1) ? `?${encodeComponent(hostileString(rng, ctx, 100))}` : '');
    const body = rng.chance(0.5)
      ? JSON.stringify(
          mutateObject(rng, ctx, route === '/jobs' ? jobBody('exit0') : {clientID: 'fuzzer', authKey: KEY}),
        )
      : rng.chance(0.5)
        ? JSON.stringify(hostileValue(rng, ctx))
        : hostileString(rng, ctx, 80_000);
    const res = await call(svc.url, method, url, {
      auth: rng.pick(auths),
      body: method === 'GET' ? undefined : body,
    });
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (method === 'POST' && url.startsWith('/jobs') && !url.startsWith('/jobs/') && res.status === 200) accepted++;
    const what = `${method} ${url.slice(0, 80)} → ${res.status} ${res.text.slice(0, 200)}`;
    expect({what, serverError: res.status >= 500 && res.status !== 503}).toEqual({what, serverError: false});
    expect({what, leak: findLeak(res.text)}).toEqual({what, leak: null});
    if (res.status >= 400 && res.json) expect(res.json.code).toBe(String(res.status));
  }
  // Still serving (the wrong keys may have locked this address out for a while: that is an answer too),
  // and only accepted jobs made a directory.
  expect((await call(svc.url, 'GET', '/version')).status).toBe(200);
  expect([200, 429]).toContain((await call(svc.url, 'POST', '/jobs/init', {auth: basic('fuzzer'), body: {}})).status);
  expect(fs.readdirSync(path.join(dir, 'jobs')).length).toBeLessThanOrEqual(accepted);
  console.log(`job service fuzz: ${n} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
});
