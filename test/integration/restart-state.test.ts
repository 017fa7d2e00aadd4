// What a single node carries over a crash, without real media (the recording double): a snapshot of a
// running node's data directory (as kill -9 leaves it) is started as a new process life would be. A
// session whose client comes back is re-created with the settings it joined with and the state the call
// holds (unmuted, sharing its screen), and its client is told rtc_reconnect; one that does not come back
// is removed after the grace. The crash itself, with real peers, is test/integration/crash-restart.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {sql} from 'kysely';
import {type App, createApp} from '../../server/src/app';
import {NODE_ID_FILE} from '../../server/src/cluster/node-id';
import {CALLS, WsTestClient} from '../support/calls-client';
import {seededWorld} from '../support/fixtures';
import {RecordingRtcServer} from '../support/recording-rtc';
import type {TestServer} from '../support/server';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(30_000);

const GRACE_MS = 1500;

describe('a node started on the data directory a crash left behind', () => {
  const dirs: string[] = [];
  const apps: App[] = [];
  const clients: WsTestClient[] = [];
  const start = async (dataDir: string, rtc: RecordingRtcServer) => {
    const app = await createApp({
      dataDir,
      host: '127.0.0.1',
      port: 0,
      rtc: async () => rtc,
      rateLimit: {perSecond: 1000, burst: 1000},
      env: {MM_CALLS_DEFAULT_ENABLED: 'true', MM_CALLS_ENABLE_DC_SIGNALING: 'true'},
      timings: {reconnectGraceMs: GRACE_MS},
    });
    apps.push(app);
    return app;
  };
  const tempDir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-restart-'));
    dirs.push(d);
    return d;
  };
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const a of apps) await a.close();
    for (const d of dirs) fs.rmSync(d, {recursive: true, force: true});
  });

  /** A running node's data directory copied as a crash leaves it: a consistent copy of the database, and the node id. */
  const crashCopy = async (app: App) => {
    const dir = tempDir();
    await sql`VACUUM INTO ${path.join(dir, 'calls.db')}`.execute(app.store.db);
    fs.copyFileSync(path.join(app.store.location, '..', NODE_ID_FILE), path.join(dir, NODE_ID_FILE));
    return dir;
  };

  it('re-creates a returning session as it was and removes the one that does not return', async () => {
    const first = await start(tempDir(), new RecordingRtcServer());
    const w = await seededWorld({url: first.url} as TestServer);
    const ch = await w.newChannel(['alice', 'bob']);
    const alice = new WsTestClient(first.url, w.users.alice.token);
    const bob = new WsTestClient(first.url, w.users.bob.token);
    clients.push(alice, bob);
    await alice.connect();
    await bob.connect();
    await alice.join(ch, {dcSignaling: true});
    await bob.join(ch);
    alice.send('unmute');
    alice.send('screen_on', {data: JSON.stringify({screenStreamID: 'screen-stream-1'})});
    await bob.waitFor('user_screen_on', (e) => e.data.session_id === alice.originalConnID);
    await bob.waitFor('user_unmuted', (e) => e.data.session_id === alice.originalConnID);
    const callID = String((await alice.waitFor('call_start')).data.id);

    const rtc = new RecordingRtcServer();
    const second = await start(await crashCopy(first), rtc);
    expect(second.coordination.nodeID).toBe(first.coordination.nodeID);
    expect(rtc.sessions.size).toBe(0);
    // Alice's websocket comes back (to the new life) and says which session it was.
    const back = new WsTestClient(second.url, w.users.alice.token);
    clients.push(back);
    await back.connect();
    back.send('reconnect', {channelID: ch, originalConnID: alice.originalConnID, prevConnID: alice.connID});
    const told = await back.waitFor('rtc_reconnect');
    expect(told.event).toBe(CALLS + 'rtc_reconnect');
    expect(told.data).toEqual({
      channelID: ch,
      call_id: callID,
      session_id: alice.originalConnID,
      reason: 'the server restarted',
    });
    expect(rtc.sessions.get(alice.originalConnID)).toEqual(
      expect.objectContaining({callID, channelID: ch, userID: w.users.alice.user.id, dcSignaling: true}),
    );
    const restored = rtc.inbound
      .filter((m) => m.sessionID === alice.originalConnID)
      .map((m) => ({type: m.type, data: 'data' in m ? m.data : undefined}));
    expect(restored).toEqual([
      {type: 'unmute', data: undefined},
      {type: 'screen_on', data: {screenStreamID: 'screen-stream-1'}},
    ]);

    // Bob never comes back: after the grace his session is gone and Alice is told; the call goes on.
    await back.waitFor('user_left', (e) => e.data.session_id === bob.originalConnID, GRACE_MS + 3000);
    const state = await second.calls.callState(ch, w.users.alice.user.id);
    expect(state?.id).toBe(callID);
    expect(state?.sessions.map((s) => s.session_id)).toEqual([alice.originalConnID]);
    // A second reconnect for Bob's session now finds nothing to take over.
    const late = new WsTestClient(second.url, w.users.bob.token);
    clients.push(late);
    await late.connect();
    late.send('reconnect', {channelID: ch, originalConnID: bob.originalConnID, prevConnID: bob.connID});
    expect((await late.waitFor('error')).data.id).toBe('app.calls.reconnect.no_session');
    await waitFor(() => rtc.sessions.size === 1, 1000, 'no media for the departed session');
  });

  it('two websockets reconnecting one session at once leave one session, which goes when its socket does', async () => {
    const first = await start(tempDir(), new RecordingRtcServer());
    const w = await seededWorld({url: first.url} as TestServer);
    const ch = await w.newChannel(['alice']);
    const alice = new WsTestClient(first.url, w.users.alice.token);
    clients.push(alice);
    await alice.connect();
    await alice.join(ch);
    const callID = String((await alice.waitFor('call_start')).data.id);

    const rtc = new RecordingRtcServer();
    const second = await start(await crashCopy(first), rtc);
    const [s1, s2] = [
      new WsTestClient(second.url, w.users.alice.token),
      new WsTestClient(second.url, w.users.alice.token),
    ];
    clients.push(s1, s2);
    await Promise.all([s1.connect(), s2.connect()]);
    for (const s of [s1, s2])
      s.send('reconnect', {channelID: ch, originalConnID: alice.originalConnID, prevConnID: alice.connID});
    await waitFor(
      () => [s1, s2].some((s) => s.events.some((e) => e.event === CALLS + 'rtc_reconnect')),
      3000,
      'rtc_reconnect',
    );
    await sleep(300);
    expect(rtc.sessions.size).toBe(1);
    expect((await second.calls.callState(ch, w.users.alice.user.id))?.id).toBe(callID);

    // Both sockets go: after the grace the session is removed and, being the last, ends the call.
    s1.close();
    s2.close();
    await waitFor(async () => (await second.calls.getActiveCall(ch)) === null, GRACE_MS + 3000, 'the call to end');
    expect(rtc.sessions.size).toBe(0);
  });
});
