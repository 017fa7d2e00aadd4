// A single node (integrated mode, SQLite) killed with -9 and started again on the same data directory and
// port, as a supervisor would: its call goes on for the clients that come back (same call id, told to
// renegotiate by rtc_reconnect, audio both ways), a session whose client does not come back is removed after
// the reconnect grace, a call with nobody back ends with its post saying so, a call pinned to another node id
// is ended at start, and a clean stop still ends the calls. No ghost call in any case.
import fs from 'node:fs';
import path from 'node:path';
import {hearEachOtherSince, joinTalking} from '../cluster/support/user';
import {api} from '../support/calls-client';
import {seededWorld} from '../support/fixtures';
import type {TestServer} from '../support/server';
import {SingleNode} from '../support/single-node';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(120_000);

/** CallsTimings.reconnectGraceMs (the server default). */
const GRACE_MS = 10_000;
const P = '/plugins/com.mattermost.calls';

describe('a single node killed with -9 and restarted on its data directory', () => {
  let n: SingleNode;
  afterEach(async () => {
    await n?.stop();
  });

  it('keeps the call: clients that come back are told to renegotiate and hear each other, the others are removed after the grace', async () => {
    n = await SingleNode.create();
    await n.start();
    const w = await seededWorld({url: n.url} as TestServer);
    const ch = await w.newChannel(['alice', 'bob', 'dave']);
    // Dave starts the call (he is its host) and never comes back after the crash.
    const d = n.user(w, 'dave');
    const a = n.user(w, 'alice');
    const b = n.user(w, 'bob');
    await joinTalking(ch, d, a, b);
    const before = (await n.callState(w, ch))!;
    expect(before.host_id).toBe(w.users.dave.user.id);

    await n.current.kill9();
    await d.close();
    await n.start();
    const restartedAt = Date.now();

    // Alice and Bob come back by themselves (websocket reconnect + `reconnect`), are told rtc_reconnect and
    // hear each other through the new process.
    await hearEachOtherSince(a, b, restartedAt, 30_000, 'audio both ways after the restart');
    for (const u of [a, b]) {
      const told = u.ws.received('rtc_reconnect');
      expect(told).toHaveLength(1);
      expect(told[0].data).toEqual(
        expect.objectContaining({call_id: before.id, session_id: u.sessionID, channelID: ch}),
      );
      expect(u.restarts).toHaveLength(1);
      expect(u.errors).toEqual([]);
    }
    const after = (await n.callState(w, ch))!;
    expect(after.id).toBe(before.id);
    expect(after.post_id).toBe(before.post_id);
    // Both lives ran under the id kept in the data directory.
    const nodeID = fs.readFileSync(path.join(n.dataDir, 'node-id'), 'utf8').trim();
    for (const life of n.lives) expect(life.output()).toContain(`"nodeID":"${nodeID}","mode":"integrated"`);

    // Dave's session goes after the reconnect grace: the others are told, and the host passes on.
    await a.ws.waitFor('user_left', (e) => e.data.session_id === d.sessionID, GRACE_MS + 10_000);
    await a.ws.waitFor('call_host_changed', (e) => e.data.hostID !== w.users.dave.user.id, 5_000);
    const settled = (await n.callState(w, ch))!;
    expect(settled.id).toBe(before.id);
    expect(settled.sessions.map((s) => s.session_id).sort()).toEqual([a.sessionID, b.sessionID].sort());
    expect([w.users.alice.user.id, w.users.bob.user.id]).toContain(settled.host_id);
    expect(a.ws.received('user_left').map((e) => e.data.session_id)).toEqual([d.sessionID]);
    expect(b.ws.received('user_left').map((e) => e.data.session_id)).toEqual([d.sessionID]);
    // The call still works: a mute goes through the new process.
    a.ws.send('mute');
    await b.ws.waitFor('user_muted', (e) => e.data.session_id === a.sessionID);
    await sleep(600);
    expect(b.heardSince(a.sessionID, Date.now() - 300)).toBe(0);

    // A clean stop (SIGTERM) still ends the call, kept from the previous life or not.
    await Promise.all([a.close(), b.close()]);
    expect(await n.current.stop()).toBe(0);
    await n.start();
    expect(await n.callState(w, ch)).toBeNull();
    const post = await api(n.url, w.users.alice.token, 'GET', `/api/v4/posts/${before.post_id}`);
    expect(post.body.message).toBe('Call ended');
  });

  it('ends the call after the grace when nobody comes back; its post says so and a new joiner starts a new call', async () => {
    n = await SingleNode.create();
    await n.start();
    const w = await seededWorld({url: n.url} as TestServer);
    const ch = await w.newChannel(['alice', 'bob']);
    const a = n.user(w, 'alice');
    const b = n.user(w, 'bob');
    await joinTalking(ch, a, b);
    const call = (await n.callState(w, ch))!;

    await n.current.kill9();
    await Promise.all([a.close(), b.close()]);
    await n.start();
    const restartedAt = Date.now();
    // Kept for the grace (its users may still come back)…
    expect((await n.callState(w, ch))?.id).toBe(call.id);
    // …then ended, as when the last participant leaves.
    // (Polled once a second: the plugin API allows one request per second per user.)
    await waitFor(
      async () => (await n.callState(w, ch)) === null || (await sleep(1000), false),
      GRACE_MS + 10_000,
      'the call to end',
    );
    process.stdout.write(`call with nobody back ended ${Date.now() - restartedAt} ms after the restart\n`);
    const active = await api(n.url, w.users.alice.token, 'GET', `${P}/calls/${ch}/active`);
    expect(active.body).toEqual({active: false});
    const post = await api(n.url, w.users.alice.token, 'GET', `/api/v4/posts/${call.post_id}`);
    expect(post.status).toBe(200);
    expect(post.body.message).toBe('Call ended');
    expect(post.body.props.end_at).toBeGreaterThan(post.body.props.start_at);
    expect([...post.body.props.participants].sort()).toEqual([w.users.alice.user.id, w.users.bob.user.id].sort());

    const c = n.user(w, 'alice');
    await c.connect();
    await c.ws.join(ch);
    const fresh = (await n.callState(w, ch))!;
    expect(fresh.id).not.toBe(call.id);
    expect(fresh.post_id).not.toBe(call.post_id);
    expect(fresh.sessions.map((s) => s.session_id)).toEqual([c.sessionID]);
  });

  it('ends at start a call pinned to another node id (a previous life that kept no id)', async () => {
    n = await SingleNode.create();
    await n.start({MM_CALLS_NODE_ID: 'previous-life'});
    expect(fs.existsSync(path.join(n.dataDir, 'node-id'))).toBe(false);
    const w = await seededWorld({url: n.url} as TestServer);
    const ch = await w.newChannel(['alice', 'bob', 'carol']);
    const a = n.user(w, 'alice');
    const b = n.user(w, 'bob');
    await a.connect();
    await b.connect();
    await a.ws.join(ch);
    await b.ws.join(ch);
    const call = (await n.callState(w, ch))!;
    expect(call.sessions).toHaveLength(2);

    await n.current.kill9();
    await n.start();
    // Ended before the node answered anything: no grace, nothing could carry it on.
    expect(await n.callState(w, ch)).toBeNull();
    const post = await api(n.url, w.users.alice.token, 'GET', `/api/v4/posts/${call.post_id}`);
    expect(post.body.message).toBe('Call ended');
    // Its users' websockets came back meanwhile; their reconnect finds no session, and a join starts a new call.
    await waitFor(() => a.ws.reconnects > 0, 30_000, 'alice to reconnect');
    await a.ws.waitFor('error', (e) => e.data.id === 'app.calls.reconnect.no_session', 10_000);
    const c = n.user(w, 'carol');
    await c.connect();
    await c.ws.join(ch);
    expect((await n.callState(w, ch))!.id).not.toBe(call.id);
  });
});
