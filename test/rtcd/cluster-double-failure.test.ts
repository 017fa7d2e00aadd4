// rtcd (HA) when a plugin node and its call's rtcd host die together: two plugin node processes on one
// PostgreSQL, two rtcd processes on 127.0.0.2 and 127.0.0.3 behind one name served by a DNS server on loopback.
// Alice's websocket is on node 1, Bob's on node 2. kill -9 of node 1 and of the call's rtcd host at the same
// moment: node 2 moves the call to the other host, Alice's client comes back through node 2, her media is
// created again there, audio is back both ways, and nothing is left of the dead node or the dead host.
import fs from 'node:fs';
import path from 'node:path';
import {useCluster} from '../cluster/support/cluster';
import {LOG_DIR} from '../cluster/support/node';
import {hearEachOtherSince, type CallUser} from '../cluster/support/user';
import {waitFor} from '../support/wait';
import {startRtcdProcesses, type RtcdProcessFleet} from './processes';
import {TWO_HOSTS} from './support';

jest.setTimeout(60_000);

const NAME = 'rtcd.double-failure.test';
let fleet: RtcdProcessFleet;

beforeAll(async () => {
  fleet = await startRtcdProcesses(NAME, TWO_HOSTS);
}, 30_000);

afterAll(async () => {
  // The hosts' logs beside the nodes' (the fleet's directory goes with it).
  for (const [ip, file] of fleet?.logs ?? []) {
    if (fs.existsSync(file)) fs.copyFileSync(file, path.join(LOG_DIR, `${NAME}-${ip}-${Date.now().toString(36)}.log`));
  }
  await fleet?.close();
});

const cluster = useCluster(['n1', 'n2'], () =>
  Promise.resolve({
    env: () => ({
      MM_CALLS_RTCD_SERVICE_URL: fleet.url,
      CALLS_TEST_DNS_SERVER: fleet.dns.address,
      NODE_OPTIONS: `--import ${path.join(__dirname, 'dns-preload.mjs')}`,
    }),
  }),
);

test("kill -9 of a plugin node and of its call's rtcd host together: the call comes back on the survivors", async () => {
  const c = cluster();
  const [n1, n2] = c.nodes;
  const [ch, alice, bob] = await c.talking(['alice', 'bob'], ['alice', n1], ['bob', n2]);
  const [call] = await c.activeCalls(ch);
  const host = (call.props as {rtcd_host?: string}).rtcd_host!;
  expect(TWO_HOSTS).toContain(host);
  const other = TWO_HOSTS.find((ip) => ip !== host)!;

  const killedAt = Date.now();
  await Promise.all([n1.kill9(), fleet.kill(host)]);
  await waitFor(() => alice.ws.reconnects > 0, 20_000, "Alice's websocket back on node 2");
  const backFrom = Date.now();
  await hearEachOtherSince(alice, bob, backFrom, 30_000, 'audio both ways on the surviving host').catch(
    (err: Error) => {
      const state = (u: CallUser, from: CallUser) =>
        `${u.name}: restarts ${JSON.stringify(u.restarts.map((r) => [r.at - killedAt, (r.connectedAt ?? 0) - killedAt]))}, ` +
        `heard ${u.heardSince(from.sessionID, backFrom)} packets, errors ${JSON.stringify(u.errors)}`;
      throw new Error(`${err.message}\n${state(alice, bob)}\n${state(bob, alice)}`);
    },
  );
  const gapAtBob = bob.longestGap(alice.sessionID, killedAt - 500);
  const gapAtAlice = alice.longestGap(bob.sessionID, killedAt - 500);
  console.log(
    `rtcd (HA), node 1 and the call's host killed together: longest audio gap at Bob ${gapAtBob} ms, at Alice ${gapAtAlice} ms`,
  );

  // The same call, now on the other host, with Alice and Bob only; held by node 2.
  const calls = await c.activeCalls(ch);
  expect(calls.map((x) => x.id)).toEqual([call.id]);
  expect((calls[0].props as {rtcd_host?: string}).rtcd_host).toBe(other);
  const sessions = await c.sessions(call.id);
  expect(sessions.map((s) => s.id).sort()).toEqual([alice.sessionID, bob.sessionID].sort());
  const holders = await c.pg.query('SELECT session_id, node_id FROM calls_cluster_sessions WHERE call_id = $1', [
    call.id,
  ]);
  expect(holders.rows.map((r) => [r.session_id, r.node_id]).sort()).toEqual(
    [alice.sessionID, bob.sessionID].map((s) => [s, n2.nodeID]).sort(),
  );
  // On the surviving host, the call has exactly these two sessions (none left from before the move).
  const kv = await c.pg.query("SELECT value FROM calls_kv WHERE key = 'rtcd_config'");
  const {ClientID, AuthKey} = JSON.parse(String(kv.rows[0].value)) as {ClientID: string; AuthKey: string};
  const listed = (await (
    await fetch(`http://${other}:${fleet.port}/calls/${call.id}/sessions`, {
      headers: {authorization: `Basic ${Buffer.from(`${ClientID}:${AuthKey}`).toString('base64')}`},
    })
  ).json()) as Array<{SessionID: string}>;
  expect(listed.map((s) => s.SessionID).sort()).toEqual([alice.sessionID, bob.sessionID].sort());
  const nodes = await c.pg.query('SELECT id FROM calls_cluster_nodes');
  expect(nodes.rows.map((r) => r.id)).toEqual([n2.nodeID]);
  expect(alice.errors).toEqual([]);
  expect(bob.errors).toEqual([]);
});
