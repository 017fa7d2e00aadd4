// The session lifecycle on in-memory ports: join (events, call post, limits, refusals), leave and the
// end of the call, the reconnect grace, reconnect, adopt, resume at start, and the ways a session ends
// from outside (media close, detach, orphan, member removed, login revoked).
import {AppError} from '../errors';
import {type CallsHarness, createCallsHarness, until} from '../testing/calls-harness';
import {MemoryMediaRouter} from '../testing/memory-media';
import {CallsService} from './service';

const GRACE = 10_000;
let h: CallsHarness;
afterEach(async () => {
  jest.useRealTimers();
  await h?.close();
});

/** A new harness before each test of the enclosing describe. */
function useHarness(options?: Parameters<typeof createCallsHarness>[0]) {
  beforeEach(async () => {
    h = await createCallsHarness(options);
  });
}

/** Timers are faked; promise chains and setImmediate (what `until` waits with) are not. */
function fakeTimers() {
  jest.useFakeTimers({doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask']});
}

describe('join', () => {
  useHarness();

  test('the first join starts the call: join ack, user_joined, call_state and call_start, and the call post', async () => {
    const {alice, channel} = h.people();
    const conn = await h.joined(alice.id, channel.id, {title: 'standup'});

    const call = await h.activeCall(channel.id);
    expect(call).not.toBeNull();
    expect(h.events.names()).toEqual(['call_host_changed', 'call_start', 'join', 'user_joined', 'call_state']);
    expect(h.events.named('join')[0]).toMatchObject({
      data: {connID: conn.connID},
      broadcast: {connection_id: conn.connID},
    });
    expect(h.events.named('user_joined')[0]).toMatchObject({
      data: {user_id: alice.id, session_id: conn.connID, channelID: channel.id},
      broadcast: {channel_id: channel.id},
    });
    const start = h.events.named('call_start')[0];
    expect(start.data).toMatchObject({
      id: call!.id,
      channelID: channel.id,
      owner_id: alice.id,
      host_id: alice.id,
      post_id: call!.postId,
      thread_id: call!.postId,
    });
    const state = h.events.named('call_state')[0];
    expect(state.broadcast).toMatchObject({user_id: alice.id});
    expect(JSON.parse(state.data.call as string)).toMatchObject({
      id: call!.id,
      host_id: alice.id,
      sessions: [{session_id: conn.connID, user_id: alice.id, unmuted: false}],
    });

    const post = h.platform.posts.get(call!.postId)!;
    expect(post).toMatchObject({channel_id: channel.id, type: 'custom_calls', message: 'Alice Liddell started a call'});
    expect(post.props).toMatchObject({title: 'standup', start_at: call!.startAt});
    expect(h.media.ops[0]).toMatchObject({
      op: 'init',
      callID: call!.id,
      config: {sessionID: conn.connID, userID: alice.id, channelID: channel.id},
    });
    expect(call!.props.node_id).toBe('node-a');
  });

  test('a second user joins the same call; call_start is not sent again', async () => {
    const {alice, bob, channel} = h.people();
    await h.joined(alice.id, channel.id);
    h.events.clear();
    await h.joined(bob.id, channel.id);
    expect(h.events.names()).toEqual(['join', 'user_joined', 'call_state']);
    expect(await h.sessionIDs(channel.id)).toHaveLength(2);
  });

  test("a thread join puts the call post in the thread; a reply or another channel's post is refused", async () => {
    const {alice, bob, channel} = h.people();
    const root = await h.platform.createPost({channel_id: channel.id, user_id: alice.id, message: 'root'});
    const reply = await h.platform.createPost({
      channel_id: channel.id,
      user_id: alice.id,
      message: 'r',
      root_id: root.id,
    });
    const bobConn = await h.joined(bob.id, channel.id, {threadID: reply.id});
    expect(h.errorsTo(bobConn.connID)).toEqual([
      expect.objectContaining({id: 'app.calls.join.thread_not_root', connID: bobConn.connID}),
    ]);

    await h.joined(alice.id, channel.id, {threadID: root.id});
    const call = await h.activeCall(channel.id);
    expect(call!.threadId).toBe(root.id);
    expect(h.platform.posts.get(call!.postId)!.root_id).toBe(root.id);
  });

  test.each([
    ['a channel that does not exist', 'missing', 'app.calls.channel_not_found'],
    ['a channel the user is not in', 'private', 'app.calls.join.forbidden'],
    ['an archived channel', 'archived', 'app.calls.join.archived_channel'],
  ])('joining %s is refused with an error carrying the connID', async (_what, which, id) => {
    const {alice, bob} = h.people();
    const channels = {
      missing: 'x'.repeat(26),
      private: h.platform.addChannel('P', [bob.id]).id,
      archived: h.platform.addChannel('O', [alice.id], {delete_at: 1}).id,
    };
    const conn = await h.joined(alice.id, channels[which as keyof typeof channels]);
    expect(h.errorsTo(conn.connID)).toEqual([expect.objectContaining({id, connID: conn.connID})]);
    expect(h.media.ops).toEqual([]);
  });

  test('an unlicensed server starts calls only in DMs, unless group calls are allowed', async () => {
    const {alice, bob, channel} = h.people();
    h.platform.licenseInfo = {skuShortName: '', professional: false, enterprise: false};
    const conn = await h.joined(alice.id, channel.id);
    expect(h.errorsTo(conn.connID)).toEqual([expect.objectContaining({id: 'app.calls.unlicensed_group_call'})]);
    expect(h.platform.ephemeral).toEqual([
      expect.objectContaining({userID: alice.id, message: 'Unlicensed servers only allow calls in DMs.'}),
    ]);

    const dm = await h.platform.directChannel(alice.id, bob.id);
    await h.joined(alice.id, dm.id);
    expect(await h.activeCall(dm.id)).not.toBeNull();

    await h.close();
    h = await createCallsHarness({groupCallsAllowed: true});
    const p = h.people();
    h.platform.licenseInfo = {skuShortName: '', professional: false, enterprise: false};
    await h.joined(p.alice.id, p.channel.id);
    expect(await h.activeCall(p.channel.id)).not.toBeNull();
  });

  test('in test mode only a system admin starts a call (and is told so); members join it', async () => {
    await h.config.save({DefaultEnabled: false});
    const {alice, admin, channel} = h.people();
    const conn = await h.joined(alice.id, channel.id);
    expect(h.errorsTo(conn.connID)).toEqual([expect.objectContaining({id: 'app.calls.insufficient_permissions'})]);

    await h.joined(admin.id, channel.id);
    expect(h.platform.ephemeral.map((p) => p.message)).toEqual([
      expect.stringContaining('not enabled for non-admin users'),
    ]);
    await h.joined(alice.id, channel.id);
    expect(await h.sessionIDs(channel.id)).toHaveLength(2);
  });

  test('a second join on the same connection is refused', async () => {
    const {alice, channel} = h.people();
    const conn = await h.joined(alice.id, channel.id);
    await h.join(conn, channel.id);
    expect(h.errorsTo(conn.connID)).toEqual([expect.objectContaining({id: 'app.calls.session_already_connected'})]);
    expect(await h.sessionIDs(channel.id)).toEqual([conn.connID]);
  });

  test('a media server that cannot start the session: the join fails with connID and the session is gone', async () => {
    const {alice, channel} = h.people();
    h.media.initError = new Error('no ports left');
    const conn = await h.joined(alice.id, channel.id);
    expect(h.errorsTo(conn.connID)).toEqual([
      expect.objectContaining({id: 'app.calls.rtc_init_failed', connID: conn.connID}),
    ]);
    expect(h.events.named('join')).toEqual([]);
    expect(await h.activeCall(channel.id)).toBeNull();
  });

  test('MaxCallParticipants refuses the join beyond it', async () => {
    await h.config.save({MaxCallParticipants: 1});
    const {alice, bob, channel} = h.people();
    await h.joined(alice.id, channel.id);
    const conn = await h.joined(bob.id, channel.id);
    expect(h.errorsTo(conn.connID)).toEqual([expect.objectContaining({id: 'app.calls.limit_reached'})]);
  });
});

describe('join limits', () => {
  test('sessions per user in one call', async () => {
    h = await createCallsHarness({
      joinLimits: {sessionsPerUserPerCall: 2, joinsPerSecondPerUser: 0, joinBurstPerUser: 0},
    });
    const {alice, channel} = h.people();
    await h.joined(alice.id, channel.id);
    await h.joined(alice.id, channel.id);
    const third = await h.joined(alice.id, channel.id);
    expect(h.errorsTo(third.connID)).toEqual([
      expect.objectContaining({id: 'app.calls.limit.sessions_per_user', connID: third.connID}),
    ]);
    expect(await h.sessionIDs(channel.id)).toHaveLength(2);
  });

  test('joins per second: the burst, then one more after a second', async () => {
    h = await createCallsHarness({
      joinLimits: {sessionsPerUserPerCall: 0, joinsPerSecondPerUser: 1, joinBurstPerUser: 2},
    });
    const {alice, bob, channel} = h.people();
    await h.joined(alice.id, channel.id);
    await h.joined(alice.id, channel.id);
    const refused = await h.joined(alice.id, channel.id);
    expect(h.errorsTo(refused.connID)).toEqual([expect.objectContaining({id: 'app.calls.limit.joins_per_second'})]);
    // Another user's bucket is their own.
    await h.joined(bob.id, channel.id);
    h.clock.advance(1000);
    await h.joined(alice.id, channel.id);
    expect(await h.sessionIDs(channel.id)).toHaveLength(4);
  });
});

describe('leave and the end of a call', () => {
  useHarness();

  test('the last leave ends the call: media closed, user_left, call post updated', async () => {
    const {alice, channel} = h.people();
    const conn = await h.joined(alice.id, channel.id);
    const call = (await h.activeCall(channel.id))!;
    h.clock.advance(65_000);
    await h.act(conn, 'leave');

    expect(await h.activeCall(channel.id)).toBeNull();
    expect(h.media.closedSessions()).toEqual([conn.connID]);
    expect(h.events.named('user_left')[0].data).toEqual({
      user_id: alice.id,
      session_id: conn.connID,
      channelID: channel.id,
    });
    const ended = (await h.store.calls.getCall(call.id))!;
    expect(ended.endAt - ended.startAt).toBe(65_000);
    expect(ended.participants).toEqual([alice.id]);
    expect(await h.store.calls.getSessions(call.id)).toEqual([]);
    const post = h.platform.posts.get(call.postId)!;
    expect(post).toMatchObject({message: 'Call ended', props: {end_at: ended.endAt, participants: [alice.id]}});
    expect(h.calls.localSessionCount).toBe(0);
  });

  test('when the host leaves, the next to have joined becomes host', async () => {
    const {alice, bob, channel} = h.people();
    const a = await h.joined(alice.id, channel.id);
    await h.joined(bob.id, channel.id);
    h.events.clear();
    await h.act(a, 'leave');
    expect(h.events.named('call_host_changed').map((e) => [e.data.hostID, e.broadcast.user_id])).toEqual([
      [bob.id, bob.id],
    ]);
    expect((await h.activeCall(channel.id))!.props.hosts).toEqual([bob.id]);
  });

  test('a sharer who leaves stops the screen share for everyone', async () => {
    const {alice, bob, channel} = h.people();
    const a = await h.joined(alice.id, channel.id);
    await h.joined(bob.id, channel.id);
    await h.act(a, 'screen_on', {data: JSON.stringify({screenStreamID: 'screen-1'})});
    h.events.clear();
    await h.act(a, 'leave');
    expect(h.events.named('user_screen_off').length).toBeGreaterThan(0);
    expect((await h.activeCall(channel.id))!.props.screen_sharing_session_id).toBe('');
  });
});

describe('reconnect grace, reconnect and adopt', () => {
  useHarness({timings: {reconnectGraceMs: GRACE}});

  test('a dropped socket that does not come back is removed after the grace', async () => {
    fakeTimers();
    const {alice, channel} = h.people();
    const conn = await h.joined(alice.id, channel.id);
    h.drop(conn);
    await jest.advanceTimersByTimeAsync(GRACE - 1);
    expect(await h.sessionIDs(channel.id)).toEqual([conn.connID]);
    await jest.advanceTimersByTimeAsync(1);
    await until(async () => (await h.activeCall(channel.id)) === null, 'the call to end');
    expect(h.media.closedSessions()).toEqual([conn.connID]);
  });

  test('a reconnect within the grace keeps the session, now on the new connection', async () => {
    fakeTimers();
    const {alice, channel} = h.people();
    const first = await h.joined(alice.id, channel.id);
    h.drop(first);
    await jest.advanceTimersByTimeAsync(GRACE / 2);
    const second = h.connect(alice.id);
    await h.act(second, 'reconnect', {channelID: channel.id, originalConnID: first.connID, prevConnID: first.connID});
    await jest.advanceTimersByTimeAsync(GRACE * 2);
    expect(await h.sessionIDs(channel.id)).toEqual([first.connID]);

    await h.act(second, 'unmute');
    expect(h.media.sent(first.connID)).toEqual([{sessionID: first.connID, type: 'unmute'}]);
    h.media.fire('signal', first.connID, {type: 'ice', data: {candidate: 'c'}});
    expect(h.events.named('signal').map((e) => e.broadcast.connection_id)).toEqual([second.connID]);
  });

  test('a reconnect from another user, or to another channel, is refused', async () => {
    const {alice, bob, channel} = h.people();
    const first = await h.joined(alice.id, channel.id);
    const thief = h.connect(bob.id);
    await h.act(thief, 'reconnect', {channelID: channel.id, originalConnID: first.connID, prevConnID: first.connID});
    expect(h.errorsTo(thief.connID)).toEqual([expect.objectContaining({id: 'app.calls.reconnect.no_session'})]);
    const other = h.platform.addChannel('O', [alice.id]);
    const wrong = h.connect(alice.id);
    await h.act(wrong, 'reconnect', {channelID: other.id, originalConnID: first.connID, prevConnID: first.connID});
    expect(h.errorsTo(wrong.connID)).toEqual([expect.objectContaining({id: 'app.calls.reconnect.no_session'})]);
  });

  test('a reconnect for a session this node does not hold adopts it', async () => {
    const {alice, bob, channel} = h.people();
    const first = await h.joined(alice.id, channel.id);
    // Its websocket went to another node, then came back here.
    h.media.fire('detach', first.connID);
    expect(h.calls.localSessionCount).toBe(0);
    const back = h.connect(alice.id);
    await h.act(back, 'reconnect', {channelID: channel.id, originalConnID: first.connID, prevConnID: first.connID});
    expect(h.media.ops.at(-1)).toMatchObject({op: 'adopt', sessionID: first.connID});
    expect(h.calls.localSessionCount).toBe(1);
    await h.act(back, 'mute');
    expect(h.media.sent(first.connID)).toEqual([{sessionID: first.connID, type: 'mute'}]);

    // Not someone else's.
    h.media.fire('detach', first.connID);
    const thief = h.connect(bob.id);
    await h.act(thief, 'reconnect', {channelID: channel.id, originalConnID: first.connID, prevConnID: first.connID});
    expect(h.errorsTo(thief.connID)).toEqual([expect.objectContaining({id: 'app.calls.reconnect.no_session'})]);
  });

  test('an adopt the media layer refuses leaves nothing behind', async () => {
    const {alice, channel} = h.people();
    const first = await h.joined(alice.id, channel.id);
    h.media.fire('detach', first.connID);
    h.media.adoptError = new AppError('app.calls.reconnect.no_session', 'session not found for reconnect', 400);
    const back = h.connect(alice.id);
    await h.act(back, 'reconnect', {channelID: channel.id, originalConnID: first.connID, prevConnID: first.connID});
    expect(h.errorsTo(back.connID)).toEqual([expect.objectContaining({id: 'app.calls.reconnect.no_session'})]);
    expect(h.calls.localSessionCount).toBe(0);
    await h.act(back, 'mute');
    expect(h.media.sent(first.connID)).toEqual([]);
  });
});

describe('sessions ended from outside', () => {
  useHarness();

  test('the media closing a session removes it from the call', async () => {
    const {alice, bob, channel} = h.people();
    const a = await h.joined(alice.id, channel.id);
    await h.joined(bob.id, channel.id);
    h.media.fire('close', a.connID, 'peer failed');
    await until(async () => (await h.sessionIDs(channel.id)).length === 1, 'the session to go');
    expect(h.events.named('user_left')[0].data).toMatchObject({user_id: alice.id, session_id: a.connID});
  });

  test('an orphan (a session nobody holds) is removed as a leave would, ending the call', async () => {
    const {alice, channel} = h.people();
    const a = await h.joined(alice.id, channel.id);
    const call = (await h.activeCall(channel.id))!;
    h.media.fire('detach', a.connID);
    h.media.fire('orphan', a.connID, call.id, channel.id);
    await until(async () => (await h.activeCall(channel.id)) === null, 'the call to end');
  });

  test('a user removed from the channel leaves its call and is told with a user_left of their own', async () => {
    const {alice, bob, channel} = h.people();
    await h.joined(alice.id, channel.id);
    const b = await h.joined(bob.id, channel.id);
    h.platform.removeMember(channel.id, bob.id);
    await until(() => h.events.named('user_left').some((e) => e.broadcast.user_id === bob.id), 'the user_left to bob');
    expect(await h.sessionIDs(channel.id)).toHaveLength(1);
    expect(h.events.named('user_left').find((e) => e.broadcast.user_id === bob.id)!.data).toEqual({
      user_id: bob.id,
      session_id: b.connID,
      channelID: channel.id,
    });
  });

  test("a removed member's session held by another node has its media closed (that node then removes it)", async () => {
    const {alice, bob, channel} = h.people();
    await h.joined(alice.id, channel.id);
    const b = await h.joined(bob.id, channel.id);
    h.media.fire('detach', b.connID);
    h.media.closeEmits = false;
    h.platform.removeMember(channel.id, bob.id);
    await until(() => h.events.named('user_left').some((e) => e.broadcast.user_id === bob.id), 'the user_left to bob');
    expect(h.media.closedSessions()).toEqual([b.connID]);
  });

  test("a deactivated user's sessions end in every call; the others stay", async () => {
    const {alice, bob, carol, channel} = h.people();
    const other = h.platform.addChannel('O', [alice.id, carol.id]);
    await h.joined(alice.id, channel.id);
    await h.joined(bob.id, channel.id);
    await h.joined(alice.id, other.id);
    await h.joined(carol.id, other.id);
    h.platform.deactivateUser(alice.id);
    await until(
      async () => (await h.sessionIDs(channel.id)).length === 1 && (await h.sessionIDs(other.id)).length === 1,
      "alice's sessions to go",
    );
    const left = async (ch: string) =>
      (await h.store.calls.getSessions((await h.activeCall(ch))!.id)).map((s) => s.userId);
    expect(await left(channel.id)).toEqual([bob.id]);
    expect(await left(other.id)).toEqual([carol.id]);
  });

  test("a deleted channel's call ends for everyone", async () => {
    const {alice, bob, channel} = h.people();
    const a = h.connect(alice.id);
    const b = h.connect(bob.id);
    await h.join(a, channel.id);
    await h.join(b, channel.id);
    const call = (await h.activeCall(channel.id))!;
    h.platform.deleteChannel(channel.id);
    await until(async () => (await h.activeCall(channel.id)) === null, 'the call to end');
    expect(h.events.named('call_end').map((e) => e.broadcast.channel_id)).toEqual([channel.id]);
    expect(h.media.closedSessions().sort()).toEqual([a.connID, b.connID].sort());
    expect(h.platform.posts.get(call.postId)!.message).toBe('Call ended');
    expect(h.calls.localSessionCount).toBe(0);
  });

  test('a revoked login removes the session at once', async () => {
    const {alice, channel} = h.people();
    const a = await h.joined(alice.id, channel.id);
    h.calls.handleAuthRevoked(a.connID);
    await until(async () => (await h.activeCall(channel.id)) === null, 'the call to end');
  });
});

describe('start and shutdown', () => {
  useHarness();

  test('at shutdown the media layer decides which calls end here', async () => {
    const {alice, channel} = h.people();
    await h.joined(alice.id, channel.id);
    const call = (await h.activeCall(channel.id))!;
    h.media.endsAtShutdown = true;
    await h.calls.shutdown();
    expect((await h.store.calls.getCall(call.id))!.endAt).toBeGreaterThan(0);
    expect(h.events.named('call_end')[0].broadcast.channel_id).toBe(channel.id);
    expect(h.platform.posts.get(call.postId)!.message).toBe('Call ended');

    const late = await h.joined(alice.id, channel.id);
    expect(h.errorsTo(late.connID)).toEqual([expect.objectContaining({id: 'app.calls.shutting_down'})]);
  });

  test("a call another node carries on outlives this node's shutdown", async () => {
    const {alice, channel} = h.people();
    await h.joined(alice.id, channel.id);
    h.media.endsAtShutdown = false;
    await h.calls.shutdown();
    expect(await h.activeCall(channel.id)).not.toBeNull();
  });

  test('at start, calls nothing can carry on end; the others wait for their sessions', async () => {
    const {alice, bob, channel} = h.people();
    await h.joined(alice.id, channel.id);
    const other = h.platform.addChannel('O', [bob.id]);
    await h.joined(bob.id, other.id);
    // A restart: a new service over the same store, its media layer saying the first call cannot go on.
    const media = new MemoryMediaRouter();
    media.endAtStart = async (call) => call.channelId === channel.id;
    const restarted = new CallsService({...h.deps, media});
    await restarted.resumeAtStart();
    expect(await h.activeCall(channel.id)).toBeNull();
    expect(await h.activeCall(other.id)).not.toBeNull();
    expect(h.events.named('call_end').map((e) => e.broadcast.channel_id)).toEqual([channel.id]);
    await restarted.shutdown();
  });
});
