// A restart of a node in rtcd mode with its users' clients coming back: media never stops (it runs on
// rtcd), the clients' websockets resume on the restarted node and their `reconnect` re-points rtcd's
// routing to the node's new connection — shown by a user joining after the restart, whose arrival makes
// rtcd renegotiate with the others through that new connection: everyone hears the newcomer.
import {CallUser} from '../cluster/support/user';
import {longestGapBothWays, newcomerHeard, startRtcdFleet, talkingPair, useRestartableRtcdNode} from './support';

jest.setTimeout(90_000);

const t = useRestartableRtcdNode(() => startRtcdFleet('rtcd.restart.test', ['127.0.0.1']), 'rtcd-restart-node');

test('clients that come back after a node restart keep their media and take part in renegotiation again', async () => {
  const {node, users} = t;
  const url = (await node.start()).url;
  const w = node.world;
  const {ch, alice, bob} = await talkingPair(w, url, url, users, ['alice', 'bob', 'carol']);

  const downAt = Date.now();
  await node.restart();
  // The clients resume on their own (1 s after the drop, then every 500 ms).
  await Promise.all(
    [alice, bob].map(
      (u) =>
        new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`${u.name} did not resume`)), 20_000);
          u.ws.once('reconnected', () => {
            clearTimeout(t);
            resolve();
          });
        }),
    ),
  );
  // Audio never stopped: no gap close to the restart's length.
  const gap = longestGapBothWays(alice, bob, downAt);
  console.log(`node restart in rtcd mode: longest audio gap ${gap} ms`);
  expect(gap).toBeLessThan(1000);
  // Their peer connections were never replaced (no rtc_reconnect): the media kept running on rtcd.
  expect(alice.restarts).toEqual([]);
  expect(bob.restarts).toEqual([]);

  // A newcomer: rtcd offers her voice to alice and bob through the restarted node's connection.
  const carol = new CallUser('carol', url, w.users.carol.token, () => url);
  users.push(carol);
  await newcomerHeard(ch, carol, alice, bob);
  expect([...alice.errors, ...bob.errors, ...carol.errors]).toEqual([]);
});
