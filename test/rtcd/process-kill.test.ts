// A host dying for real: two rtcd services run as separate processes (build/rtcd.mjs -config <file>) on
// 127.0.0.2 and 127.0.0.3 behind one name served by a DNS server on loopback; a node in rtcd mode with two
// users talking through real werift peers. SIGKILL of the call's host (its whole process group: no goodbye
// on any socket, media workers gone too) moves the call to the other host and audio comes back both ways.
import type {CallUser} from '../cluster/support/user';
import {seededWorld, type World} from '../support/fixtures';
import {startTestServer, type TestServer} from '../support/server';
import {startRtcdProcesses, type RtcdProcessFleet} from './processes';
import {audioBackAfter, rtcdModeOptions, talkingPair, TWO_HOSTS} from './support';

jest.setTimeout(90_000);

const NAME = 'rtcd.kill.test';
const IPS = TWO_HOSTS;
let fleet: RtcdProcessFleet;
let srv: TestServer;
let w: World;
const users: CallUser[] = [];

beforeAll(async () => {
  fleet = await startRtcdProcesses(NAME, IPS);
  srv = await startTestServer(rtcdModeOptions(fleet));
  w = await seededWorld(srv);
});

afterAll(async () => {
  await Promise.all(users.map((u) => u.close()));
  await srv?.stop();
  await fleet?.close();
});

test('kill -9 of the rtcd process running a call: the call moves to the other host and audio is back both ways', async () => {
  const {ch, alice, bob} = await talkingPair(w, srv.url, srv.url, users);
  const call = await srv.app.store.calls.getActiveCallByChannel(ch);
  const host = call?.props.rtcd_host;
  expect(IPS).toContain(host);
  const other = IPS.find((ip) => ip !== host)!;

  const killedAt = Date.now();
  await fleet.kill(host!);
  const gap = await audioBackAfter(alice, bob, killedAt, 30_000);
  console.log(
    `rtcd process killed (-9): the longest audio gap was ${gap} ms (the call moves after 3 s without its host)`,
  );
  const moved = await srv.app.store.calls.getActiveCallByChannel(ch);
  expect(moved?.id).toBe(call!.id);
  expect(moved?.props.rtcd_host).toBe(other);
  expect(alice.errors).toEqual([]);
  expect(bob.errors).toEqual([]);
});
