// rtcd (HA): two plugin nodes on one PostgreSQL in rtcd mode, and an rtcd host running as its own process.
// Alice's websocket is on node 1, Bob's on node 2, one call: each node signals its own user's session over
// its own connection to the host, and they hear each other through rtcd. Node 1 is killed (-9): Bob's
// audio never stops (the media runs on rtcd, not on a node), and Alice's client reconnects to node 2,
// which re-points rtcd's routing of her session (`reconnect`) without re-creating her media: Carol
// joining on node 2 afterwards is negotiated with Alice through node 2.
import {useCluster} from '../cluster/support/cluster';
import {hearEachOtherSince, joinTalking} from '../cluster/support/user';
import {waitFor} from '../support/wait';
import {startRtcdProcesses, type RtcdProcessFleet} from './processes';

jest.setTimeout(90_000);

const HOST = '127.0.0.2';
let fleet: RtcdProcessFleet;
let url = '';

beforeAll(async () => {
  fleet = await startRtcdProcesses('rtcd.cluster.test', [HOST]);
  url = `http://${HOST}:${fleet.port}`;
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

const cluster = useCluster(['n1', 'n2'], () => Promise.resolve({env: () => ({MM_CALLS_RTCD_SERVICE_URL: url})}));

test('users on two nodes hear each other through rtcd; node 1 killed: Bob never stops hearing Alice, Alice resumes on node 2', async () => {
  const c = cluster();
  const [n1, n2] = c.nodes;
  expect(n1.output()).toMatch(/cluster: rtcd/);
  const ch = await c.world.newChannel(['alice', 'bob', 'carol']);
  const alice = c.user('alice', n1);
  const bob = c.user('bob', n2);
  await joinTalking(ch, alice, bob);
  const [call] = await c.activeCalls(ch);
  expect((call.props as {rtcd_host?: string}).rtcd_host).toBe(HOST);
  expect(call.props.node_id).toBeUndefined();
  // Both nodes share one client id and key (created once, under the cluster lock).
  const kv = await c.pg.query("SELECT value FROM calls_kv WHERE key = 'rtcd_config'");
  expect(JSON.parse(String(kv.rows[0].value))).toMatchObject({URL: url});

  const killedAt = Date.now();
  await n1.kill9();
  await waitFor(() => alice.ws.reconnects > 0, 20_000, "Alice's websocket back on node 2");
  const resumedAt = Date.now();
  await hearEachOtherSince(alice, bob, resumedAt, 20_000, 'audio both ways after Alice moved to node 2');
  const gapAtBob = bob.longestGap(alice.sessionID, killedAt - 500);
  const gapAtAlice = alice.longestGap(bob.sessionID, killedAt - 500);
  console.log(
    `rtcd (HA), node 1 killed: Alice back on node 2 after ${resumedAt - killedAt} ms; longest audio gap at Bob ${gapAtBob} ms, at Alice ${gapAtAlice} ms`,
  );
  // Alice's signalling now goes through node 2: Carol joining there is negotiated with her, and heard.
  const carol = c.user('carol', n2);
  await carol.connect();
  await carol.joinAndTalk(ch);
  await alice.waitHearing(carol.sessionID, 25, 20_000);
  await carol.waitHearing(alice.sessionID, 25, 20_000);
  // Media never went through node 1: nothing to re-create, no renegotiation.
  expect(gapAtBob).toBeLessThan(1000);
  expect(gapAtAlice).toBeLessThan(1000);
  expect(alice.restarts.length).toBe(0);
  expect(bob.restarts.length).toBe(0);
  expect(alice.errors).toEqual([]);
  expect(bob.errors).toEqual([]);
  const sessions = await c.sessions(call.id);
  expect(sessions.map((s) => s.userid).sort()).toEqual(
    [c.world.users.alice.user.id, c.world.users.bob.user.id, c.world.users.carol.user.id].sort(),
  );
});
