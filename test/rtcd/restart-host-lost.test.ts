// A node in rtcd mode restarts while its call's rtcd host dies: when the node is back, the host is gone. The
// clients' websockets come back and their `reconnect` finds no session on the lost host: the node takes the
// sessions over, the call moves to the other host, the clients renegotiate once and audio is back both ways;
// nothing is left of the call on either host but its two sessions on the new one.
import {hearEachOtherSince} from '../cluster/support/user';
import {waitFor} from '../support/wait';
import {SECOND_HOST_PREFERRED, startRtcdFleet, talkingPair, TWO_HOSTS, useRestartableRtcdNode} from './support';

jest.setTimeout(60_000);

const t = useRestartableRtcdNode(
  () => startRtcdFleet('rtcd.restart-host-lost.test', TWO_HOSTS, SECOND_HOST_PREFERRED),
  'rtcd-restart-lost',
);

test("the call's host dies while the node restarts: the returning clients' call moves to the other host", async () => {
  const {node, fleet} = t;
  let app = await node.start();
  const {ch, alice, bob} = await talkingPair(node.world, app.url, app.url, t.users);
  const call = await app.store.calls.getActiveCallByChannel(ch);
  expect(call?.props.rtcd_host).toBe('127.0.0.3');

  app = await node.restart(() => fleet.services.get('127.0.0.3')!.close());
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
