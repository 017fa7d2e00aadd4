// Beyond upstream rtcd (which has no migration): when the rtcd host running a call dies, the plugin
// moves the call to another host and its users renegotiate (`rtc_reconnect`), without a click. Two rtcd
// services on 127.0.0.2 and 127.0.0.3 behind one name served by a DNS server on loopback, a real node in
// rtcd mode, two users talking through real werift peers; the host of their call is stopped.
import {CallUser, hearEachOtherSince, joinTalking} from '../cluster/support/user';
import {seededWorld, type World} from '../support/fixtures';
import {startTestServer, type TestServer} from '../support/server';
import {rtcdModeOptions, startRtcdFleet, type RtcdFleet} from './support';

jest.setTimeout(90_000);

const NAME = 'rtcd.failover.test';
const loads = new Map<string, number>([
  ['127.0.0.2', 0.9],
  ['127.0.0.3', 0.2],
]);
let fleet: RtcdFleet;
let srv: TestServer;
let w: World;
const users: CallUser[] = [];

beforeAll(async () => {
  fleet = await startRtcdFleet(NAME, ['127.0.0.2', '127.0.0.3'], (ip) => loads.get(ip) ?? 1);
  srv = await startTestServer(rtcdModeOptions(fleet));
  w = await seededWorld(srv);
});

afterAll(async () => {
  await Promise.all(users.map((u) => u.close()));
  await srv?.stop();
  await fleet?.close();
});

test('the call of a host that dies moves to the other host and audio comes back both ways', async () => {
  const ch = await w.newChannel(['alice', 'bob']);
  const alice = new CallUser('alice', srv.url, w.users.alice.token, () => srv.url);
  const bob = new CallUser('bob', srv.url, w.users.bob.token, () => srv.url);
  users.push(alice, bob);
  await joinTalking(ch, alice, bob);
  const call = await srv.app.store.calls.getActiveCallByChannel(ch);
  expect(call?.props.rtcd_host).toBe('127.0.0.3');

  const killedAt = Date.now();
  await fleet.services.get('127.0.0.3')!.close();
  // Packets already on their way when the host stopped do not count as audio back.
  const since = Date.now() + 300;
  await hearEachOtherSince(alice, bob, since, 20_000, 'audio back on the other rtcd host');
  const gap = Math.max(
    alice.longestGap(bob.sessionID, killedAt - 500),
    bob.longestGap(alice.sessionID, killedAt - 500),
  );
  console.log(`rtcd host lost: the longest audio gap was ${gap} ms (the call moves after 3 s without its host)`);
  const moved = await srv.app.store.calls.getActiveCallByChannel(ch);
  expect(moved?.id).toBe(call!.id);
  expect(moved?.props.rtcd_host).toBe('127.0.0.2');
  expect(fleet.services.get('127.0.0.2')!.sessions.size).toBe(2);
  expect(alice.errors).toEqual([]);
  expect(bob.errors).toEqual([]);
});
