// A host dying for real: two rtcd services run as separate processes (build/rtcd.mjs -config <file>) on
// 127.0.0.2 and 127.0.0.3 behind one name served by a DNS server on loopback; a node in rtcd mode with two
// users talking through real werift peers. SIGKILL of the call's host (its whole process group: no goodbye
// on any socket, media workers gone too) moves the call to the other host and audio comes back both ways.
import {startRtcdProcesses} from './processes';
import {audioBackAfter, talkingPair, TWO_HOSTS, useRtcdModeServer} from './support';

jest.setTimeout(90_000);

const IPS = TWO_HOSTS;
const t = useRtcdModeServer(() => startRtcdProcesses('rtcd.kill.test', IPS));

test('kill -9 of the rtcd process running a call: the call moves to the other host and audio is back both ways', async () => {
  const {srv, fleet} = t;
  const {ch, alice, bob} = await talkingPair(t.w, srv.url, srv.url, t.users);
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
