// Node failure (beyond upstream, where a call dies with its node): `kill -9` of the node that owns a
// call with two talking users. The call moves to a live node, both clients are told to renegotiate
// (rtc_reconnect), audio resumes without any user action, and what the dead node left behind is
// cleaned up — including a session whose websocket died with the node and never came back. A node that is
// killed and started again under the same id re-creates the calls still pinned to it.
import {useCluster} from './support/cluster';
import {seededWorld} from '../support/fixtures';
import type {TestServer} from '../support/server';
import {hearEachOtherSince} from './support/user';

jest.setTimeout(120_000);

describe('failover after kill -9 of the owning node', () => {
  const cluster = useCluster(['n1', 'n2', 'n3']);

  it('moves the call to a live node and both users hear each other again within 10 s', async () => {
    const c = cluster();
    const [n1, n2, n3] = c.nodes;
    const ch = await c.world.newChannel(['alice', 'bob', 'dave']);
    // Alice's websocket is on the node that will own the call (it dies with it); Bob's is on node 2.
    const a = c.user('alice', n1);
    const b = c.user('bob', n2);
    // Dave is also on node 1, but his client never comes back (its fallback is the dead node).
    const d = c.user('dave', n1, () => n1.url);
    await a.connect();
    await b.connect();
    await d.connect();
    await a.joinAndTalk(ch);
    await b.joinAndTalk(ch);
    await d.joinAndTalk(ch);
    const callID = (await c.activeCalls(ch))[0].id;
    expect(await c.callNode(ch)).toBe(n1.nodeID);
    await b.waitHearing(a.sessionID, 25, 30_000);
    await a.waitHearing(b.sessionID, 25, 30_000);

    const killedAt = Date.now();
    await n1.kill9();

    // Both hear each other again, without any action from the test (the clients only follow events).
    await hearEachOtherSince(a, b, killedAt, 20_000);
    const gapAtB = b.longestGap(a.sessionID, killedAt);
    const gapAtA = a.longestGap(b.sessionID, killedAt);
    process.stdout.write(
      `audio gap after kill -9 of the owner: Bob hearing Alice ${gapAtB} ms, Alice hearing Bob ${gapAtA} ms\n`,
    );
    expect(gapAtB).toBeLessThan(10_000);
    expect(gapAtA).toBeLessThan(10_000);

    // The same call goes on, now pinned to a live node.
    const calls = await c.activeCalls(ch);
    expect(calls.map((x) => x.id)).toEqual([callID]);
    expect([n2.nodeID, n3.nodeID]).toContain(calls[0].props.node_id);
    // Each client renegotiated once: Bob was told (rtc_reconnect) over his websocket on node 2;
    // Alice's websocket failed over to a live node and was told there.
    expect(b.ws.received('rtc_reconnect')).toHaveLength(1);
    expect(b.ws.received('rtc_reconnect')[0].data).toEqual(
      expect.objectContaining({session_id: b.sessionID, call_id: callID, channelID: ch}),
    );
    expect(a.ws.reconnects).toBe(1);
    expect(a.ws.received('rtc_reconnect')).toHaveLength(1);
    expect(a.restarts).toHaveLength(1);
    expect(b.restarts).toHaveLength(1);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);

    // Dave never reconnected: after the reconnect grace his session is removed and the others are told.
    await b.ws.waitFor('user_left', (e) => e.data.session_id === d.sessionID, 30_000);
    await a.ws.waitFor('user_left', (e) => e.data.session_id === d.sessionID, 5_000);
    expect((await c.sessions(callID)).map((s) => s.id).sort()).toEqual([a.sessionID, b.sessionID].sort());

    // The dead node's rows are gone; every session is held by a live node.
    const nodes = await c.pg.query('SELECT id FROM calls_cluster_nodes ORDER BY id');
    expect(nodes.rows.map((r) => r.id)).toEqual([n2.nodeID, n3.nodeID].sort());
    const holders = await c.pg.query(
      'SELECT session_id, node_id FROM calls_cluster_sessions WHERE call_id = $1 ORDER BY session_id',
      [callID],
    );
    expect(holders.rows.map((r) => r.session_id)).toEqual([a.sessionID, b.sessionID].sort());
    for (const r of holders.rows) expect([n2.nodeID, n3.nodeID]).toContain(r.node_id);

    // And the call still works after the move: a mute goes through the new owner.
    a.ws.send('mute');
    await b.ws.waitFor('user_muted', (e) => e.data.session_id === a.sessionID);
    await new Promise((r) => setTimeout(r, 600));
    const heardAfterMute = b.heardSince(a.sessionID, Date.now() - 300);
    expect(heardAfterMute).toBe(0);
    a.ws.send('unmute');
    await b.waitHearing(a.sessionID, 10, 10_000, Date.now());
  });

  it('a graceful stop (SIGTERM) of the owning node hands the call over instead of ending it', async () => {
    const c = cluster();
    const [, n2, n3] = c.nodes;
    // Node 1 is gone: make the channel through a live node.
    const ch = await (await seededWorld({url: n3.url} as TestServer)).newChannel(['alice', 'bob']);
    const a = c.user('alice', n2);
    const b = c.user('bob', n3);
    await a.connect();
    await b.connect();
    await a.joinAndTalk(ch);
    await b.joinAndTalk(ch);
    const callID = (await c.activeCalls(ch))[0].id;
    expect(await c.callNode(ch)).toBe(n2.nodeID);
    await b.waitHearing(a.sessionID, 25, 30_000);

    const stoppedAt = Date.now();
    expect(await n2.stop()).toBe(0);
    // Resumed = still hearing each other 5 s after the stop returned (by then the media has moved).
    const settled = Date.now() + 5000;
    await hearEachOtherSince(a, b, settled, 25_000, 'audio to resume');
    const gap = b.longestGap(a.sessionID, stoppedAt);
    process.stdout.write(`audio gap after a graceful stop of the owner: ${gap} ms\n`);
    expect(gap).toBeLessThan(10_000);
    expect(b.restarts).toHaveLength(1);
    expect(await c.callNode(ch)).toBe(n3.nodeID);
    expect((await c.activeCalls(ch)).map((x) => x.id)).toEqual([callID]);
    expect((await c.sessions(callID)).map((s) => s.id).sort()).toEqual([a.sessionID, b.sessionID].sort());
    expect(b.ws.received('user_left')).toEqual([]);
  });
});

describe('a node killed and restarted under the same id (MM_CALLS_NODE_ID)', () => {
  const cluster = useCluster(['r1', 'r2']);

  it('re-creates the media of the calls still pinned to it, and both users hear each other again', async () => {
    const c = cluster();
    const [r1, r2] = c.nodes;
    // Alice's join reaches node 1 first, so the call is pinned there; Bob's websocket is on node 2.
    const [ch, a, b] = await c.talking(['alice', 'bob'], ['alice', r1], ['bob', r2]);
    const callID = (await c.activeCalls(ch))[0].id;
    expect(await c.callNode(ch)).toBe(r1.nodeID);

    // Killed and started again at once, as a supervisor would: well inside the 10 s in which the others
    // would have declared it dead and moved the call themselves.
    const killedAt = Date.now();
    await r1.kill9();
    const again = await c.addNode('r1again', {MM_CALLS_NODE_ID: r1.nodeID});
    expect(again.nodeID).toBe(r1.nodeID);

    await hearEachOtherSince(a, b, killedAt, 20_000);
    const gap = Math.max(b.longestGap(a.sessionID, killedAt), a.longestGap(b.sessionID, killedAt));
    process.stdout.write(`audio gap after a kill -9 and restart of the owner under its id: ${gap} ms\n`);
    expect(gap).toBeLessThan(10_000);

    // Whichever node acted first (the restarted one finding the call pinned to it from its previous life,
    // or the other seeing the node restart), the call and both sessions are the same, on a live node, and
    // nobody was told that anyone left.
    expect((await c.activeCalls(ch)).map((x) => x.id)).toEqual([callID]);
    expect([r1.nodeID, r2.nodeID]).toContain(await c.callNode(ch));
    expect((await c.sessions(callID)).map((s) => s.id).sort()).toEqual([a.sessionID, b.sessionID].sort());
    expect(b.ws.received('user_left')).toEqual([]);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    process.stdout.write(`renegotiations: alice ${a.restarts.length}, bob ${b.restarts.length}\n`);
  });
});
