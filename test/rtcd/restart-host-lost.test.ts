// A node in rtcd mode restarts while its call's rtcd host dies: when the node is back, the host is gone. The
// clients' websockets come back and their `reconnect` finds no session on the lost host: the node takes the
// sessions over, the call moves to the other host, the clients renegotiate once and audio is back both ways;
// nothing is left of the call on either host but its two sessions on the new one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {createApp, type App} from '../../server/src/app';
import {CallUser, hearEachOtherSince, joinTalking} from '../cluster/support/user';
import {seededWorld} from '../support/fixtures';
import type {TestServer} from '../support/server';
import {waitFor} from '../support/wait';
import {rtcdModeOptions, SECOND_HOST_PREFERRED, startRtcdFleet, TWO_HOSTS, type RtcdFleet} from './support';

jest.setTimeout(60_000);

const NAME = 'rtcd.restart-host-lost.test';
let fleet: RtcdFleet;
const dirs: string[] = [];
const users: CallUser[] = [];
let app: App | undefined;

beforeAll(async () => {
  fleet = await startRtcdFleet(NAME, TWO_HOSTS, SECOND_HOST_PREFERRED);
});

afterAll(async () => {
  await Promise.all(users.map((u) => u.close()));
  await app?.close();
  await fleet?.close();
  for (const d of dirs) fs.rmSync(d, {recursive: true, force: true});
});

test("the call's host dies while the node restarts: the returning clients' call moves to the other host", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcd-restart-lost-'));
  dirs.push(dataDir);
  const appOpts = {
    host: '127.0.0.1',
    seed: true,
    rateLimit: {perSecond: 1000, burst: 1000},
    dataDir,
    timings: {reconnectGraceMs: 20_000},
    ...rtcdModeOptions(fleet),
  };
  app = await createApp({...appOpts, port: 0});
  const port = app.port;
  const url = app.url;
  const w = await seededWorld({url, app} as unknown as TestServer);
  const ch = await w.newChannel(['alice', 'bob']);
  const alice = new CallUser('alice', url, w.users.alice.token, () => url);
  const bob = new CallUser('bob', url, w.users.bob.token, () => url);
  users.push(alice, bob);
  await joinTalking(ch, alice, bob);
  const call = await app.store.calls.getActiveCallByChannel(ch);
  expect(call?.props.rtcd_host).toBe('127.0.0.3');

  await app.close();
  await fleet.services.get('127.0.0.3')!.close();
  app = await createApp({...appOpts, port});
  await waitFor(() => alice.ws.reconnects > 0 && bob.ws.reconnects > 0, 20_000, 'both clients back');
  await hearEachOtherSince(alice, bob, Date.now(), 30_000, 'audio both ways on the other host');

  const moved = await app.store.calls.getActiveCallByChannel(ch);
  expect(moved?.id).toBe(call!.id);
  expect(moved?.props.rtcd_host).toBe('127.0.0.2');
  const sessions = await app.store.calls.getSessions(call!.id);
  expect(sessions.map((s) => s.id).sort()).toEqual([alice.sessionID, bob.sessionID].sort());
  expect(fleet.services.get('127.0.0.2')!.sessions.size).toBe(2);
  // Each client renegotiated once, and nothing was refused.
  expect(alice.restarts).toHaveLength(1);
  expect(bob.restarts).toHaveLength(1);
  expect([...alice.errors, ...bob.errors]).toEqual([]);
});
