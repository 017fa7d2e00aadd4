// The rtcd HTTP API over a real loopback socket: registration (self-registration on and off, short
// keys, duplicates), Basic and bearer auth, the admin secret, unregister rules, the failed-auth
// lockout, and upstream's reply shapes (flat string maps with "code", Go's plain-text 404).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {FastifyInstance} from 'fastify';
import {silentLogger} from '../../log';
import {ServiceAuth} from '../../service-kit/auth';
import {CredentialsStore} from '../../service-kit/credentials';
import {createRtcdHttp, type RtcdSessionConfig} from './http-api';

const KEY = 'k'.repeat(40);
const ADMIN = 'admin-secret-admin-secret-admin-secret';
const basic = (id: string, key: string) => `Basic ${Buffer.from(`${id}:${key}`).toString('base64')}`;

interface Api {
  app: FastifyInstance;
  url: string;
  store: CredentialsStore;
  dir: string;
}

const apis: Api[] = [];
afterAll(async () => {
  for (const a of apis) {
    await a.app.close();
    a.store.close();
    fs.rmSync(a.dir, {recursive: true, force: true});
  }
});

async function start(opts: {
  allowSelfRegistration: boolean;
  enableAdmin: boolean;
  sessions?: RtcdSessionConfig[];
}): Promise<Api> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcd-api-'));
  const store = new CredentialsStore(dir);
  const auth = new ServiceAuth(store, {
    enableAdmin: opts.enableAdmin,
    adminSecretKey: ADMIN,
    sessionCacheExpirationMinutes: 60,
    verificationsPerSecond: 50,
  });
  const app = createRtcdHttp({
    logger: silentLogger(),
    credentials: store,
    auth,
    allowSelfRegistration: opts.allowSelfRegistration,
    enableAdmin: opts.enableAdmin,
    version: {
      buildDate: 'd',
      buildVersion: 'v1.7.0',
      buildHash: 'h',
      goVersion: 'node',
      goOS: 'linux',
      goArch: 'amd64',
    },
    cpuLoad: () => 0.5,
    metrics: async () => 'rtcd_rtc_sessions_total 0\n',
    sessions: {
      sessions: (group, call) => (opts.sessions ?? []).filter((s) => s.GroupID === group && s.CallID === call),
    },
  });
  await app.listen({host: '127.0.0.1', port: 0});
  const addr = app.server.address() as {port: number};
  const api = {app, url: `http://127.0.0.1:${addr.port}`, store, dir};
  apis.push(api);
  return api;
}

async function call(api: Api, method: string, p: string, body?: unknown, authorization?: string) {
  const res = await fetch(api.url + p, {
    method,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    headers: authorization ? {authorization} : {},
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return {
    status: res.status,
    text,
    json: json as Record<string, unknown> | undefined,
    type: res.headers.get('content-type') ?? '',
  };
}

test('self-registration: register, refuse a short key and a duplicate, then authenticate with Basic auth', async () => {
  const api = await start({allowSelfRegistration: true, enableAdmin: false});
  expect(await call(api, 'POST', '/register', {clientID: 'c1', authKey: KEY})).toMatchObject({
    status: 201,
    json: {clientID: 'c1', code: '201'},
  });
  expect(await call(api, 'POST', '/register', {clientID: 'c2', authKey: 'short'})).toMatchObject({
    status: 400,
    json: {code: '400', error: 'registration failed: key not long enough'},
  });
  expect(await call(api, 'POST', '/register', {clientID: 'c1', authKey: KEY})).toMatchObject({
    status: 400,
    json: {code: '400', error: 'registration failed: already registered'},
  });
  expect((await call(api, 'POST', '/register', '{not json')).status).toBe(400);
  // The stored secret is a bcrypt hash, never the key.
  const raw = fs.readFileSync(path.join(api.dir, 'credentials.sqlite'));
  expect(raw.includes(Buffer.from(KEY))).toBe(false);
  expect(fs.statSync(path.join(api.dir, 'credentials.sqlite')).mode & 0o777).toBe(0o600);

  expect(await call(api, 'GET', '/calls/call1/sessions', undefined, basic('c1', KEY))).toMatchObject({status: 404});
  expect(await call(api, 'GET', '/calls/call1/sessions', undefined, basic('c1', 'x'.repeat(40)))).toMatchObject({
    status: 401,
    text: 'unauthorized\n',
  });
  expect(await call(api, 'GET', '/calls/call1/sessions', undefined, basic('nobody', KEY))).toMatchObject({status: 401});
  expect(await call(api, 'GET', '/calls/call1/sessions')).toMatchObject({status: 401});
});

test('self-registration off: registering needs the admin secret or a registered client', async () => {
  const api = await start({allowSelfRegistration: false, enableAdmin: true});
  expect(await call(api, 'POST', '/register', {clientID: 'c1', authKey: KEY})).toMatchObject({
    status: 401,
    json: {code: '401'},
  });
  expect(
    await call(api, 'POST', '/register', {clientID: 'c1', authKey: KEY}, basic('anything', 'wrong-secret')),
  ).toMatchObject({status: 401});
  expect(await call(api, 'POST', '/register', {clientID: 'c1', authKey: KEY}, basic('', ADMIN))).toMatchObject({
    status: 201,
  });
  expect(await call(api, 'POST', '/register', {clientID: 'c2', authKey: KEY}, basic('c1', KEY))).toMatchObject({
    status: 201,
  });
  // The admin is no group: it sees no sessions.
  expect(await call(api, 'GET', '/calls/x/sessions', undefined, basic('', ADMIN))).toMatchObject({status: 401});
});

test('login gives a 32-character bearer token that works until a new login replaces it; wrong credentials are a 400', async () => {
  const sessions: RtcdSessionConfig[] = [
    {
      GroupID: 'c1',
      CallID: 'call1',
      UserID: 'u1',
      SessionID: 's1',
      Props: {channelID: 'ch', av1Support: false, dcSignaling: true},
    },
    {
      GroupID: 'other',
      CallID: 'call1',
      UserID: 'u2',
      SessionID: 's2',
      Props: {channelID: 'ch', av1Support: false, dcSignaling: false},
    },
  ];
  const api = await start({allowSelfRegistration: true, enableAdmin: false, sessions});
  await call(api, 'POST', '/register', {clientID: 'c1', authKey: KEY});
  expect(await call(api, 'POST', '/login', {clientID: 'c1', authKey: 'y'.repeat(40)})).toMatchObject({
    status: 400,
    json: {code: '400'},
  });
  const login = await call(api, 'POST', '/login', {clientID: 'c1', authKey: KEY});
  expect(login).toMatchObject({status: 200, json: {code: '200'}});
  const token = String(login.json!.bearerToken);
  expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);

  // A client sees only its own group's sessions, with Go's field names.
  const list = await call(api, 'GET', '/calls/call1/sessions', undefined, `bearer ${token}`);
  expect(list.status).toBe(200);
  expect(list.json).toEqual([sessions[0]]);
  expect((await call(api, 'GET', '/calls/call1/sessions/s1', undefined, `Bearer ${token}`)).json).toEqual(sessions[0]);
  expect(await call(api, 'GET', '/calls/call1/sessions/s2', undefined, `Bearer ${token}`)).toMatchObject({status: 404});

  const again = await call(api, 'POST', '/login', {clientID: 'c1', authKey: KEY});
  expect(await call(api, 'GET', '/calls/call1/sessions', undefined, `Bearer ${token}`)).toMatchObject({status: 401});
  expect(
    await call(api, 'GET', '/calls/call1/sessions', undefined, `Bearer ${String(again.json!.bearerToken)}`),
  ).toMatchObject({status: 200});
});

test('unregister: disabled unless admin or self-registration; a client removes only itself and loses its token', async () => {
  const off = await start({allowSelfRegistration: false, enableAdmin: false});
  expect(await call(off, 'POST', '/unregister', {clientID: 'c1'})).toMatchObject({
    status: 403,
    json: {error: 'unregister not enabled'},
  });

  const api = await start({allowSelfRegistration: true, enableAdmin: true});
  await call(api, 'POST', '/register', {clientID: 'c1', authKey: KEY});
  await call(api, 'POST', '/register', {clientID: 'c2', authKey: KEY});
  const token = String((await call(api, 'POST', '/login', {clientID: 'c1', authKey: KEY})).json!.bearerToken);
  expect(await call(api, 'POST', '/unregister', {clientID: 'c2'}, basic('c1', KEY))).toMatchObject({
    status: 403,
    json: {error: 'client id not valid'},
  });
  expect(await call(api, 'POST', '/unregister', {clientID: 'c1'}, basic('c1', KEY))).toMatchObject({
    status: 200,
    json: {code: '200'},
  });
  expect(await call(api, 'GET', '/calls/x/sessions', undefined, `Bearer ${token}`)).toMatchObject({status: 401});
  expect(await call(api, 'GET', '/calls/x/sessions', undefined, basic('c1', KEY))).toMatchObject({status: 401});
  expect(await call(api, 'POST', '/unregister', {clientID: 'c2'}, basic('', ADMIN))).toMatchObject({status: 200});
});

test('an address that keeps failing is locked out, even with the right key, and told when to retry', async () => {
  const api = await start({allowSelfRegistration: true, enableAdmin: false});
  await call(api, 'POST', '/register', {clientID: 'c1', authKey: KEY});
  for (let i = 0; i < 6; i++) {
    expect(
      (await call(api, 'GET', '/calls/x/sessions', undefined, basic('c1', `wrong-${i}`.padEnd(40, 'x')))).status,
    ).toBe(401);
  }
  const locked = await fetch(`${api.url}/calls/x/sessions`, {headers: {authorization: basic('c1', KEY)}});
  expect(locked.status).toBe(429);
  expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  expect((await call(api, 'POST', '/login', {clientID: 'c1', authKey: KEY})).status).toBe(429);
});

test("version, system and metrics answer without auth; a wrong method is Go's plain 404", async () => {
  const api = await start({allowSelfRegistration: false, enableAdmin: false});
  const v = await call(api, 'GET', '/version');
  expect(Object.keys(v.json!).sort()).toEqual([
    'buildDate',
    'buildHash',
    'buildVersion',
    'goArch',
    'goOS',
    'goVersion',
  ]);
  expect(v.type).toMatch(/application\/json/);
  expect((await call(api, 'GET', '/system')).json).toEqual({cpu_load: 0.5});
  expect((await call(api, 'GET', '/metrics')).text).toMatch(/^rtcd_rtc_sessions_total/m);
  expect(await call(api, 'GET', '/register')).toMatchObject({status: 404, text: '404 page not found\n'});
  expect(await call(api, 'POST', '/version')).toMatchObject({status: 404, text: '404 page not found\n'});
  expect((await call(api, 'POST', '/register', 'x'.repeat(64 * 1024))).status).toBe(413);
});
