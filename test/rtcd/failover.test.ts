// Beyond upstream rtcd (which has no migration): when the rtcd host running a call dies, the plugin
// moves the call to another host and its users renegotiate (`rtc_reconnect`), without a click. Two rtcd
// services on 127.0.0.2 and 127.0.0.3 behind one name served by a DNS server on loopback, a real node in
// rtcd mode, two users talking through real werift peers; the host of their call is stopped.
import {
  audioBackAfter,
  SECOND_HOST_PREFERRED,
  startRtcdFleet,
  talkingPair,
  TWO_HOSTS,
  useRtcdModeServer,
} from './support';

jest.setTimeout(90_000);

const t = useRtcdModeServer(() => startRtcdFleet('rtcd.failover.test', TWO_HOSTS, SECOND_HOST_PREFERRED));

test('the call of a host that dies moves to the other host and audio comes back both ways', async () => {
  const {srv, fleet} = t;
  const {ch, alice, bob} = await talkingPair(t.w, srv.url, srv.url, t.users);
  const call = await srv.app.store.calls.getActiveCallByChannel(ch);
  expect(call?.props.rtcd_host).toBe('127.0.0.3');

  const killedAt = Date.now();
  await fleet.services.get('127.0.0.3')!.close();
  const gap = await audioBackAfter(alice, bob, killedAt, 20_000);
  console.log(`rtcd host lost: the longest audio gap was ${gap} ms (the call moves after 3 s without its host)`);
  const moved = await srv.app.store.calls.getActiveCallByChannel(ch);
  expect(moved?.id).toBe(call!.id);
  expect(moved?.props.rtcd_host).toBe('127.0.0.2');
  expect(fleet.services.get('127.0.0.2')!.sessions.size).toBe(2);
  expect(alice.errors).toEqual([]);
  expect(bob.errors).toEqual([]);
});
