// Three nodes as separate processes on one PostgreSQL (clustered mode): a call is pinned to the node
// that took its first join, users on other nodes talk through it, every event reaches everyone
// whichever node holds their websocket (a refusal of bad SDP too), an SDP offer larger than a NOTIFY crosses the bus, and 40
// concurrent joins spread over the nodes make exactly one call with one host.
import {api} from '../support/calls-client';
import {callOf} from '../support/fixtures';
import {useCluster} from './support/cluster';
import {CallWs} from './support/user';
import {waitFor} from '../support/wait';

jest.setTimeout(120_000);

describe('clustered mode, three nodes', () => {
  const cluster = useCluster(['n1', 'n2', 'n3']);

  it('settings saved on one node apply on every node: the other nodes re-read them and their clients are told', async () => {
    const c = cluster();
    const [n1, n2, n3] = c.nodes;
    const admin = c.world.users.admin.token;
    const watcher = new CallWs(n3.url, c.world.users.carol.token, () => n3.url);
    await watcher.connect();
    try {
      const before = (await api(n2.url, admin, 'GET', '/plugins/com.mattermost.calls/config')).body;
      expect(before.MaxCallParticipants).toBe(0);
      const saved = await api(n1.url, admin, 'PUT', '/api/v4/config', {
        PluginSettings: {Plugins: {'com.mattermost.calls': {MaxCallParticipants: 7}}},
      });
      expect(saved.status).toBe(200);
      // A tab on node 3 hears of it and, refetching from its own node, gets the new value; so does node 2.
      await watcher.waitFor('config_changed');
      expect((await api(n3.url, admin, 'GET', '/plugins/com.mattermost.calls/config')).body.MaxCallParticipants).toBe(
        7,
      );
      await waitFor(
        async () =>
          (await api(n2.url, admin, 'GET', '/plugins/com.mattermost.calls/config')).body.MaxCallParticipants === 7,
        5000,
        'node 2 to apply the saved setting',
      );
      // Announced once, by the node that saved it.
      await new Promise((r) => setTimeout(r, 500));
      expect(watcher.received('config_changed')).toHaveLength(1);
    } finally {
      await api(n1.url, admin, 'PUT', '/api/v4/config', {
        PluginSettings: {Plugins: {'com.mattermost.calls': {MaxCallParticipants: 0}}},
      });
      await watcher.close();
    }
  });

  it("pins the call to the first joiner's node; A (node 1) and B (node 2) hear each other through it; events reach both", async () => {
    const c = cluster();
    const [n1, n2, n3] = c.nodes;
    const ch = await c.world.newChannel(['alice', 'bob', 'carol']);
    const a = c.user('alice', n1);
    const b = c.user('bob', n2);
    const carol = new CallWs(n3.url, c.world.users.carol.token, () => n3.url);
    await a.connect();
    await b.connect();
    await carol.connect();

    await a.joinAndTalk(ch);
    expect(await c.callNode(ch)).toBe(n1.nodeID);
    await b.joinAndTalk(ch);
    expect(await c.callNode(ch)).toBe(n1.nodeID);

    // Voice both ways, and the SFU B talks to is node 1's (its candidates carry node 1's RTC port).
    await b.waitHearing(a.sessionID, 25, 30_000);
    await a.waitHearing(b.sessionID, 25, 30_000);
    expect(b.peer!.serverCandidates.length).toBeGreaterThan(0);
    for (const cand of b.peer!.serverCandidates)
      expect(cand).toMatch(new RegExp(` 127\\.0\\.0\\.1 (${n1.udpPort}|${n1.tcpPort}) typ host`));

    // Events published on either node reach both websockets.
    await a.ws.waitFor('user_joined', (e) => e.data.session_id === b.sessionID);
    await a.ws.waitFor('user_unmuted', (e) => e.data.session_id === b.sessionID);
    a.ws.send('mute');
    await b.ws.waitFor('user_muted', (e) => e.data.session_id === a.sessionID);
    a.ws.send('unmute');
    await b.ws.waitFor('user_unmuted', (e) => e.data.session_id === a.sessionID);
    b.ws.send('raise_hand');
    await a.ws.waitFor('user_raise_hand', (e) => e.data.session_id === b.sessionID);
    a.ws.send('react', {data: JSON.stringify({name: 'tada', unified: '1f389'})});
    await b.ws.waitFor('user_reacted', (e) => e.data.session_id === a.sessionID);
    await b.ws.waitFor('user_voice_on', (e) => e.data.session_id === a.sessionID);
    await a.ws.waitFor('user_voice_on', (e) => e.data.session_id === b.sessionID);

    // SDP the SFU (node 1) rejects, from B on node 2: the refusal crosses the bus to B only; nothing else changes.
    b.ws.sendSDP({type: 'offer', sdp: 'not sdp'});
    const refused = await b.ws.waitFor('error', (e) => e.data.id === 'app.rtc.invalid_sdp');
    expect(refused.data.connID).toBeUndefined();
    expect(a.ws.received('error')).toEqual([]);
    const since = Date.now();
    await b.waitHearing(a.sessionID, 10, 10_000, since);
    await a.waitHearing(b.sessionID, 10, 10_000, since);

    // Carol (not in the call) watches the channel from node 3: the REST state and channel events agree.
    const state = await api(n3.url, c.world.users.carol.token, 'GET', `/plugins/com.mattermost.calls/${ch}`);
    expect(state.status).toBe(200);
    expect(state.body.call.sessions.map((s: {session_id: string}) => s.session_id).sort()).toEqual(
      [a.sessionID, b.sessionID].sort(),
    );
    await carol.waitFor('call_start', (e) => e.data.channelID === ch);
    await carol.waitFor('user_joined', (e) => e.data.session_id === a.sessionID);
    await carol.waitFor('user_joined', (e) => e.data.session_id === b.sessionID);

    // B leaves on node 2: A (node 1) and Carol (node 3) see it.
    b.ws.send('leave');
    await a.ws.waitFor('user_left', (e) => e.data.session_id === b.sessionID);
    await carol.waitFor('user_left', (e) => e.data.session_id === b.sessionID);
    await b.close();
    a.ws.send('leave');
    await carol.waitFor('user_left', (e) => e.data.session_id === a.sessionID);
    await a.close();
    carol.close();
    await waitFor(async () => (await c.activeCalls(ch)).length === 0, 5000, 'the call to end');
  });

  it('carries an SDP offer larger than the 8000-byte NOTIFY limit from node 3 to the owner on node 1', async () => {
    const c = cluster();
    const [n1, , n3] = c.nodes;
    const ch = await c.world.newChannel(['alice', 'carol']);
    const a = c.user('alice', n1);
    const carol = c.user('carol', n3);
    await a.connect();
    await carol.connect();
    await a.joinAndTalk(ch);
    // 12 KB of session-level attributes: the relayed `rtc` message must be spilled to the table.
    carol.offerPadding = Array.from(
      {length: 120},
      (_, i) => `a=x-cluster-padding:${String(i).padStart(3, '0')}${'x'.repeat(90)}\r\n`,
    ).join('');
    expect(carol.offerPadding.length).toBeGreaterThan(8000);
    const spills = async () =>
      Number(
        (
          await c.pg.query(
            'SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM calls_cluster_messages_id_seq',
          )
        ).rows[0].n,
      );
    const spilledBefore = await spills();
    await carol.joinAndTalk(ch);
    expect(await c.callNode(ch)).toBe(n1.nodeID);
    await carol.waitHearing(a.sessionID, 25, 30_000);
    await a.waitHearing(carol.sessionID, 25, 30_000);
    // The offer went through the spill table (its id sequence moved), and the row, addressed to node 1,
    // was deleted once read: nothing is left waiting.
    expect(await spills()).toBeGreaterThan(spilledBefore);
    const left = await c.pg.query('SELECT count(*)::int AS n FROM calls_cluster_messages WHERE length(payload) > 8000');
    expect(left.rows[0].n).toBe(0);
    await a.close();
    await carol.close();
  });

  it('40 concurrent joins of one channel over three nodes make one call, every session once, one host', async () => {
    const c = cluster();
    const ch = await c.world.newChannel(['alice', 'bob', 'carol', 'dave']);
    // Eight sessions each: the most one user may have in a call (MM_CALLS_MAX_SESSIONS_PER_USER).
    const names = ['alice', 'bob', 'carol', 'dave', 'admin'] as const;
    const clients: CallWs[] = [];
    try {
      for (let i = 0; i < 40; i++) {
        const node = c.nodes[i % 3];
        const ws = new CallWs(node.url, c.world.users[names[i % names.length]].token, () => node.url);
        await ws.connect();
        clients.push(ws);
      }
      const results = await Promise.allSettled(clients.map((ws) => ws.join(ch)));
      const failed = results
        .filter((r) => r.status === 'rejected')
        .map((r) => String((r as PromiseRejectedResult).reason));
      expect(failed).toEqual([]);

      const calls = await c.activeCalls(ch);
      expect(calls).toHaveLength(1);
      const sessions = await c.sessions(calls[0].id);
      expect(sessions.map((s) => s.id).sort()).toEqual(clients.map((w) => w.originalConnID).sort());
      expect(calls[0].props.hosts).toHaveLength(1);
      const host = calls[0].props.hosts![0];
      expect(names.map((n) => c.world.users[n].user.id)).toContain(host);

      // Every node reports the same call: 40 sessions, that host.
      for (const node of c.nodes) {
        const state = await api(node.url, c.world.users.alice.token, 'GET', `/plugins/com.mattermost.calls/${ch}`);
        expect(state.body.call.id).toBe(calls[0].id);
        expect(state.body.call.sessions).toHaveLength(40);
        expect(state.body.call.host_id).toBe(host);
      }
      // Every joiner got a call_state listing itself.
      for (const ws of clients) {
        const st = await ws.waitFor('call_state', (e) =>
          callOf(e).sessions.some((s) => s.session_id === ws.originalConnID),
        );
        expect(callOf(st).id).toBe(calls[0].id);
      }
      // One call_start for the channel, seen everywhere.
      for (const ws of clients)
        expect(ws.received('call_start').filter((e) => e.data.channelID === ch)).toHaveLength(1);
    } finally {
      for (const ws of clients) ws.send('leave');
      await new Promise((r) => setTimeout(r, 500));
      for (const ws of clients) ws.close();
    }
  });

  it('when a node holding only websockets dies, its users reconnect elsewhere and keep their media', async () => {
    const c = cluster();
    const [n1, , n3] = c.nodes;
    const [ch, a, carol] = await c.talking(['alice', 'carol'], ['alice', n1], ['carol', n3]);

    const killedAt = Date.now();
    await n3.kill9();
    // Carol's websocket fails over to a live node, which adopts her session: the call stays on node 1 and
    // her peer connection to it never stopped, so nobody renegotiates.
    await waitFor(() => carol.ws.reconnects === 1, 10_000, 'carol reconnected');
    await carol.waitHearing(a.sessionID, 50, 10_000, killedAt);
    await a.waitHearing(carol.sessionID, 50, 10_000, killedAt);
    expect(carol.restarts).toEqual([]);
    expect(a.restarts).toEqual([]);
    expect(await c.callNode(ch)).toBe(n1.nodeID);
    const gap = carol.longestGap(a.sessionID, killedAt);
    process.stdout.write(`voice gap for a user whose websocket node died: ${gap} ms\n`);
    expect(gap).toBeLessThan(2000);
    // A mute from her new node reaches Alice (the session is hers to drive from there).
    carol.ws.send('mute');
    await a.ws.waitFor('user_muted', (e) => e.data.session_id === carol.sessionID);
    const holders = await c.pg.query('SELECT node_id FROM calls_cluster_sessions WHERE session_id = $1', [
      carol.sessionID,
    ]);
    expect(holders.rows.map((r) => r.node_id)).not.toContain(n3.nodeID);
    await a.close();
    await carol.close();
  });
});
