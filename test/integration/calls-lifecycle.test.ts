// The call lifecycle over real websockets against a real server, on SQLite and on PostgreSQL.
// Media is the recording double: these tests are about the call domain, not packets.
import {api, CALLS, type WsTestClient} from '../support/calls-client';
import {callOf, type World, useSeededServer} from '../support/fixtures';
import {engines, type TestServer} from '../support/server';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(30_000);

describe.each(engines())('call lifecycle on %s', (engine) => {
  let srv: TestServer;
  let w: World;
  const {connect} = useSeededServer(
    {engine, env: {MM_CALLS_DEFAULT_ENABLED: 'true'}, timings: {reconnectGraceMs: 1500, hostEndForceCloseMs: 500}},
    (s, world) => {
      srv = s;
      w = world;
    },
  );

  /** A new channel of `members`, each connected, the first `joined` of them in its call (joining in order). */
  async function newCall<N extends keyof World['users']>(
    members: N[],
    joined = members.length,
  ): Promise<{ch: string} & Record<N, WsTestClient>> {
    const ch = await w.newChannel(members);
    const clients = {} as Record<N, WsTestClient>;
    for (const m of members) clients[m] = await connect(m);
    for (const m of members.slice(0, joined)) await clients[m].join(ch);
    return {ch, ...clients};
  }

  test('two users join: join, user_joined, call_state and call_host_changed carry the reference fields; a third gets the full state', async () => {
    const ch = await w.newChannel(['alice', 'bob', 'carol']);
    const alice = await connect('alice');
    const bob = await connect('bob');
    await alice.join(ch);

    const start = await alice.waitFor('call_start');
    expect(start.data).toEqual(
      expect.objectContaining({channelID: ch, owner_id: w.users.alice.user.id, host_id: w.users.alice.user.id}),
    );
    expect(typeof start.data.id).toBe('string');
    expect(start.data.start_at).toBeGreaterThan(0);
    expect(start.data.post_id).toBeTruthy();
    expect(start.data.thread_id).toBe(start.data.post_id);
    // bob is a channel member: he sees the call start although he is not in it.
    await bob.waitFor('call_start', (e) => e.data.id === start.data.id);

    const hostChanged = await alice.waitFor('call_host_changed');
    expect(hostChanged.data).toEqual({hostID: w.users.alice.user.id, call_id: start.data.id, channelID: ch});

    const joined = await bob.waitFor('user_joined', (e) => e.data.session_id === alice.connID);
    expect(joined.data).toEqual({user_id: w.users.alice.user.id, session_id: alice.connID, channelID: ch});

    const aliceState = callOf(await alice.waitFor('call_state'));
    expect(aliceState.sessions).toEqual([
      {session_id: alice.connID, user_id: w.users.alice.user.id, unmuted: false, raised_hand: 0, video: false},
    ]);

    await bob.join(ch);
    await alice.waitFor('user_joined', (e) => e.data.session_id === bob.connID);
    const bobState = await bob.waitFor('call_state');
    expect(bobState.data.channel_id).toBe(ch);
    expect(
      callOf(bobState)
        .sessions.map((s) => s.user_id)
        .sort(),
    ).toEqual([w.users.alice.user.id, w.users.bob.user.id].sort());

    const carol = await connect('carol');
    await carol.join(ch);
    const state = callOf(await carol.waitFor('call_state'));
    expect(state).toEqual(
      expect.objectContaining({
        id: start.data.id,
        start_at: start.data.start_at,
        post_id: start.data.post_id,
        thread_id: start.data.thread_id,
        owner_id: w.users.alice.user.id,
        host_id: w.users.alice.user.id,
        screen_sharing_session_id: '',
      }),
    );
    expect(state.sessions.map((s) => s.session_id).sort()).toEqual([alice.connID, bob.connID, carol.connID].sort());
    // Event order on join: ack to the connection, then user_joined to the channel, then the state.
    const names = carol.events.map((e) => e.event.replace(CALLS, ''));
    expect(names.indexOf('join')).toBeLessThan(names.indexOf('call_state'));
  });

  test('the last leave ends the call without call_end; the call post shows end time, duration and participants', async () => {
    const ch = await w.newChannel(['alice', 'bob']);
    const alice = await connect('alice');
    const bob = await connect('bob');
    await alice.join(ch);
    const start = await alice.waitFor('call_start');
    await bob.join(ch);
    bob.send('leave');
    const left = await alice.waitFor('user_left', (e) => e.data.session_id === bob.connID);
    expect(left.data).toEqual({user_id: w.users.bob.user.id, session_id: bob.connID, channelID: ch});
    await sleep(300);
    alice.send('leave');
    await bob.waitFor('user_left', (e) => e.data.session_id === alice.connID);
    await sleep(300);
    expect(alice.received('call_end')).toHaveLength(0);
    expect(bob.received('call_end')).toHaveLength(0);

    const active = await api(srv.url, w.users.alice.token, 'GET', `/plugins/com.mattermost.calls/calls/${ch}/active`);
    expect(active.body).toEqual({active: false});
    const post = await api(srv.url, w.users.alice.token, 'GET', `/api/v4/posts/${start.data.post_id}`);
    expect(post.body.type).toBe('custom_calls');
    expect(post.body.message).toBe('Call ended');
    expect(post.body.props.start_at).toBe(start.data.start_at);
    expect(post.body.props.end_at).toBeGreaterThanOrEqual(start.data.start_at as number);
    expect(post.body.props.end_at - post.body.props.start_at).toBeGreaterThan(0);
    expect([...post.body.props.participants].sort()).toEqual([w.users.alice.user.id, w.users.bob.user.id].sort());
    // Channel members saw the post change live.
    await alice.waitFor('post_edited', (e) => JSON.parse(String(e.data.post)).id === start.data.post_id);
  });

  test('a host ending the call sends call_end to the channel and removes everyone', async () => {
    // Carol is in the channel but not in the call.
    const {ch, alice, bob, carol} = await newCall(['alice', 'bob', 'carol'], 2);
    // Only the host or an admin may end it.
    const denied = await api(srv.url, w.users.bob.token, 'POST', `/plugins/com.mattermost.calls/calls/${ch}/end`);
    expect(denied.status).toBe(400);
    expect(denied.body.id).toBe('app.calls.no_permissions');
    const ok = await api(srv.url, w.users.alice.token, 'POST', `/plugins/com.mattermost.calls/calls/${ch}/end`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual(expect.objectContaining({message: 'success', status_code: 200}));
    const end = await carol.waitFor('call_end');
    expect(end.data).toEqual({channelID: ch});
    await bob.waitFor('call_end');
    // Nobody leaves by themselves: after the grace the server closes the sessions and ends the call.
    await carol.waitFor('user_left', (e) => e.data.session_id === alice.connID, 5000);
    await carol.waitFor('user_left', (e) => e.data.session_id === bob.connID, 5000);
    await waitFor(async () => (await srv.app.store.calls.getActiveCallByChannel(ch)) === null);
  });

  test('a reconnect within the grace keeps the session; a drop past the grace removes it with user_left', async () => {
    const {ch, alice, bob} = await newCall(['alice', 'bob']);
    const sessionID = bob.connID;

    await bob.drop();
    await sleep(500);
    await bob.connect({connectionID: bob.connID, sequenceNumber: bob.nextSeq});
    bob.send('reconnect', {channelID: ch, originalConnID: bob.originalConnID, prevConnID: sessionID});
    await sleep(2000);
    expect(alice.received('user_left').filter((e) => e.data.session_id === sessionID)).toHaveLength(0);
    const call = await srv.app.store.calls.getActiveCallByChannel(ch);
    expect((await srv.app.store.calls.getSessions(call!.id)).map((s) => s.id)).toContain(sessionID);
    // Still a live session: its actions are processed.
    bob.send('raise_hand');
    await alice.waitFor('user_raise_hand', (e) => e.data.session_id === sessionID);

    await bob.drop();
    const left = await alice.waitFor('user_left', (e) => e.data.session_id === sessionID, 5000);
    expect(left.data.user_id).toBe(w.users.bob.user.id);
    expect((await srv.app.store.calls.getSessions(call!.id)).map((s) => s.id)).not.toContain(sessionID);
  });

  test('a reconnect on a new connection id re-targets the session', async () => {
    const {ch, alice, bob} = await newCall(['alice', 'bob']);
    const sessionID = bob.connID;
    await bob.drop();
    await bob.connect(); // no resume: a new connection id
    expect(bob.connID).not.toBe(sessionID);
    bob.send('reconnect', {channelID: ch, originalConnID: sessionID, prevConnID: sessionID});
    await sleep(300);
    bob.send('mute');
    bob.send('unmute');
    const ev = await alice.waitFor('user_unmuted', (e) => e.data.session_id === sessionID);
    expect(ev.data).toEqual({userID: w.users.bob.user.id, session_id: sessionID, channelID: ch});
    await sleep(2000);
    expect(alice.received('user_left').filter((e) => e.data.session_id === sessionID)).toHaveLength(0);
  });

  test('the host leaving hands the host to the earliest remaining joiner', async () => {
    const {alice, carol} = await newCall(['alice', 'bob', 'carol']);
    alice.send('leave');
    const changed = await carol.waitFor('call_host_changed', (e) => e.data.hostID === w.users.bob.user.id);
    expect(changed.data.call_id).toBeTruthy();
  });

  test('one user with two sessions is in the call twice; MaxCallParticipants counts sessions', async () => {
    const ch = await w.newChannel(['alice', 'bob', 'carol']);
    await srv.app.config.save({MaxCallParticipants: 2});
    try {
      const a1 = await connect('alice');
      const a2 = await connect('alice');
      await a1.join(ch);
      await a2.join(ch);
      const state = callOf(await a2.waitFor('call_state', (e) => callOf(e).sessions.length === 2));
      expect(state.sessions.map((s) => s.user_id)).toEqual([w.users.alice.user.id, w.users.alice.user.id]);
      const bob = await connect('bob');
      await expect(bob.join(ch)).rejects.toThrow('user cannot join because of limits');
      const err = bob.received('error')[0];
      expect(err.data).toEqual(expect.objectContaining({connID: bob.connID, id: 'app.calls.limit_reached'}));
    } finally {
      await srv.app.config.save({MaxCallParticipants: 0});
    }
  });

  test('a media failure removes the session through the normal lifecycle', async () => {
    const {alice, bob} = await newCall(['alice', 'bob']);
    srv.rtc!.raiseFailure(bob.connID);
    const left = await alice.waitFor('user_left', (e) => e.data.session_id === bob.connID);
    expect(left.data.user_id).toBe(w.users.bob.user.id);
  });

  test('a join whose media cannot start fails with an error to that connection and leaves no session', async () => {
    const ch = await w.newChannel(['alice']);
    const alice = await connect('alice');
    srv.rtc!.failNextInit = true;
    await expect(alice.join(ch)).rejects.toThrow('failed to start the media session');
    await sleep(200);
    expect(await srv.app.store.calls.getActiveCallByChannel(ch)).toBeNull();
  });

  test('call_state on request goes to the asking connection only', async () => {
    const ch = await w.newChannel(['alice', 'bob']);
    const alice = await connect('alice');
    await alice.join(ch);
    const bobMain = await connect('bob');
    const bobOther = await connect('bob');
    bobMain.send('call_state', {channelID: ch});
    const st = await bobMain.waitFor('call_state');
    expect(callOf(st).sessions[0].session_id).toBe(alice.connID);
    await sleep(200);
    expect(bobOther.received('call_state')).toHaveLength(0);
  });

  test("signals from the media layer reach the session's current connection with connID = session id", async () => {
    const ch = await w.newChannel(['alice']);
    const alice = await connect('alice');
    await alice.join(ch);
    srv.rtc!.raiseSignal(alice.connID, {type: 'sdp', data: {type: 'offer', sdp: 'v=0\r\n'}});
    const sig = await alice.waitFor('signal');
    expect(sig.data).toEqual({data: JSON.stringify({type: 'offer', sdp: 'v=0\r\n'}), connID: alice.connID});
    srv.rtc!.raiseSignal(alice.connID, {
      type: 'ice',
      data: {candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0},
    });
    const ice = await alice.waitFor('signal', (e) => String(e.data.data).includes('candidate:1'));
    expect(JSON.parse(String(ice.data.data))).toEqual({
      type: 'candidate',
      candidate: {candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0},
    });
    srv.rtc!.raiseVoice(alice.connID, true);
    const voice = await alice.waitFor('user_voice_on');
    expect(voice.data).toEqual({userID: w.users.alice.user.id, session_id: alice.connID, channelID: ch});
  });
});
