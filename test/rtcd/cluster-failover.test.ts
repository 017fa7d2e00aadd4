// rtcd (HA) when an rtcd host dies: two plugin nodes on one PostgreSQL in rtcd mode, two rtcd services on
// 127.0.0.2 and 127.0.0.3 behind one name served by a DNS server on loopback; Alice's websocket on node 1,
// Bob's on node 2. Both nodes see the call's host go; one of them moves the call (under the shared call
// lock), the other finds it moved, and each re-joins its own user's session on the new host: every client
// renegotiates once, and audio is back both ways.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {createApp, type App} from '../../server/src/app';
import type {CallUser} from '../cluster/support/user';
import {seededWorld, type World} from '../support/fixtures';
import {createDatabase, type TestDatabase} from '../support/postgres';
import type {TestServer} from '../support/server';
import {
  audioBackAfter,
  rtcdModeOptions,
  SECOND_HOST_PREFERRED,
  startRtcdFleet,
  talkingPair,
  TWO_HOSTS,
  type RtcdFleet,
} from './support';

jest.setTimeout(90_000);

const NAME = 'rtcd.cluster-failover.test';
let fleet: RtcdFleet;
let db: TestDatabase;
const apps: App[] = [];
const dirs: string[] = [];
let w: World;
const users: CallUser[] = [];

async function startNode(name: string): Promise<App> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `calls-${name}-`));
  dirs.push(dataDir);
  const app = await createApp({
    host: '127.0.0.1',
    port: 0,
    seed: true,
    rateLimit: {perSecond: 1000, burst: 1000},
    ...rtcdModeOptions(fleet),
    dataDir,
    databaseURL: db.url,
    nodeID: `${name}-${Date.now().toString(36)}`,
  });
  apps.push(app);
  return app;
}

beforeAll(async () => {
  fleet = await startRtcdFleet(NAME, TWO_HOSTS, SECOND_HOST_PREFERRED);
  db = await createDatabase();
  await startNode('n1');
  await startNode('n2');
  w = await seededWorld({url: apps[0].url} as TestServer);
}, 60_000);

afterAll(async () => {
  await Promise.all(users.map((u) => u.close()));
  for (const a of apps) await a.close().catch(() => undefined);
  await fleet?.close();
  await db?.drop();
  for (const d of dirs) fs.rmSync(d, {recursive: true, force: true});
});

test("the call's host dies: the call moves once, each node re-joins its own user there, audio is back both ways", async () => {
  const [n1, n2] = apps;
  const {ch, alice, bob} = await talkingPair(w, n1.url, n2.url, users);
  const call = await n1.store.calls.getActiveCallByChannel(ch);
  expect(call?.props.rtcd_host).toBe('127.0.0.3');

  const killedAt = Date.now();
  await fleet.services.get('127.0.0.3')!.close();
  const gap = await audioBackAfter(alice, bob, killedAt, 20_000);
  console.log(`rtcd (HA), the call's host lost: the longest audio gap was ${gap} ms`);
  const moved = await n2.store.calls.getActiveCallByChannel(ch);
  expect(moved?.id).toBe(call!.id);
  expect(moved?.props.rtcd_host).toBe('127.0.0.2');
  expect(fleet.services.get('127.0.0.2')!.sessions.size).toBe(2);
  // One move: each client renegotiated once.
  expect(alice.restarts.length).toBe(1);
  expect(bob.restarts.length).toBe(1);
  expect(alice.errors).toEqual([]);
  expect(bob.errors).toEqual([]);
});
