// Host controls on in-memory ports (reference §8.1): who may use them, what each one tells whom, and the
// removals and the end for everyone enforced after their delay.
import type {User} from '../platform/types';
import type {Channel} from '../platform/types';
import {type CallsHarness, createCallsHarness, until} from '../testing/calls-harness';
import type {ConnContext} from './service';

let h: CallsHarness;
let alice: User, bob: User, carol: User, admin: User, channel: Channel;
let a: ConnContext, b: ConnContext, c: ConnContext;

beforeEach(async () => {
  h = await createCallsHarness({timings: {hostRemoveForceCloseMs: 3_000, hostEndForceCloseMs: 5_000}});
  ({alice, bob, carol, admin, channel} = h.people());
  // alice joins first: she is the host.
  [a, b, c] = [h.connect(alice.id), h.connect(bob.id), h.connect(carol.id)];
  for (const conn of [a, b, c]) await h.join(conn, channel.id);
  h.events.clear();
});

afterEach(async () => {
  jest.useRealTimers();
  await h.close();
});

const control = (
  requester: User,
  action: Parameters<CallsHarness['calls']['hostControl']>[2],
  target: {session_id?: string; new_host_id?: string} = {},
) => h.calls.hostControl(requester.id, channel.id, action, target);
const sentTo = (event: string) => h.events.named(event).map((e) => e.broadcast.user_id);

test('someone who is neither host nor system admin is refused every control', async () => {
  for (const action of ['make', 'mute', 'mute-others', 'screen-off', 'lower-hand', 'remove'] as const) {
    await expect(control(bob, action, {session_id: c.connID, new_host_id: bob.id})).rejects.toMatchObject({
      id: 'app.calls.no_permissions',
    });
  }
  await expect(h.calls.endCallByHost(bob.id, channel.id)).rejects.toMatchObject({id: 'app.calls.no_permissions'});
  expect(h.events.events).toEqual([]);
});

test('make: the host hands over to a participant, who stays host; not to a bot or someone outside the call', async () => {
  await control(alice, 'make', {new_host_id: bob.id});
  expect(
    h.events
      .named('call_host_changed')
      .map((e) => [e.data.hostID, e.broadcast.user_id])
      .sort(),
  ).toEqual([alice.id, bob.id, carol.id].map((u) => [bob.id, u]).sort());
  const call = (await h.activeCall(channel.id))!;
  expect(call.props.hosts).toEqual([bob.id]);
  expect(call.props.host_locked_user_id).toBe(bob.id);
  // The old host is no longer allowed.
  await expect(control(alice, 'mute', {session_id: c.connID})).rejects.toMatchObject({id: 'app.calls.no_permissions'});

  await expect(control(bob, 'make', {new_host_id: admin.id})).rejects.toMatchObject({id: 'app.calls.host.not_in_call'});
  const bot = h.platform.addUser({username: 'recorder', is_bot: true});
  h.platform.members.get(channel.id)!.add(bot.id);
  await h.joined(bot.id, channel.id);
  await expect(control(bob, 'make', {new_host_id: bot.id})).rejects.toMatchObject({id: 'app.calls.host.bot'});
});

test('a system admin outside the call may use the controls', async () => {
  await h.act(b, 'unmute');
  h.events.clear();
  await control(admin, 'mute', {session_id: b.connID});
  expect(sentTo('host_mute')).toEqual([bob.id]);
});

test('mute: only an unmuted target is told; mute-others tells every unmuted participant but the host', async () => {
  await control(alice, 'mute', {session_id: b.connID});
  expect(h.events.events).toEqual([]);
  for (const conn of [a, b, c]) await h.act(conn, 'unmute');
  h.events.clear();
  await control(alice, 'mute', {session_id: b.connID});
  expect(h.events.named('host_mute').map((e) => e.data)).toEqual([
    {channel_id: channel.id, session_id: b.connID, channelID: channel.id},
  ]);
  h.events.clear();
  await control(alice, 'mute-others');
  expect(sentTo('host_mute').sort()).toEqual([bob.id, carol.id].sort());
  await expect(control(alice, 'mute', {session_id: 'nobody'})).rejects.toMatchObject({
    id: 'app.calls.host.not_in_call',
  });
});

test('screen-off: only the session that shares', async () => {
  await expect(control(alice, 'screen-off', {session_id: b.connID})).rejects.toMatchObject({
    id: 'app.calls.host.not_sharing',
  });
  await h.act(b, 'screen_on', {data: JSON.stringify({screenStreamID: 'screen'})});
  h.events.clear();
  await control(alice, 'screen-off', {session_id: b.connID});
  expect(h.events.named('host_screen_off').map((e) => [e.broadcast.user_id, e.data.session_id])).toEqual([
    [bob.id, b.connID],
  ]);
});

test('lower-hand: only a raised hand', async () => {
  await expect(control(alice, 'lower-hand', {session_id: c.connID})).rejects.toMatchObject({
    id: 'app.calls.host.hand_not_raised',
  });
  await h.act(c, 'raise_hand');
  h.events.clear();
  await control(alice, 'lower-hand', {session_id: c.connID});
  const call = (await h.activeCall(channel.id))!;
  expect(h.events.named('host_lower_hand').map((e) => e.data)).toEqual([
    {call_id: call.id, channel_id: channel.id, session_id: c.connID, host_id: alice.id, channelID: channel.id},
  ]);
  expect(sentTo('host_lower_hand')).toEqual([carol.id]);
});

test('remove: everyone is told at once; the session is closed after the delay if still there', async () => {
  jest.useFakeTimers({doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask']});
  await control(alice, 'remove', {session_id: b.connID});
  expect(sentTo('host_removed').sort()).toEqual([alice.id, bob.id, carol.id].sort());
  expect(h.events.named('host_removed')[0].data).toMatchObject({session_id: b.connID, user_id: bob.id});
  await jest.advanceTimersByTimeAsync(2_999);
  expect(await h.sessionIDs(channel.id)).toContain(b.connID);
  await jest.advanceTimersByTimeAsync(1);
  await until(async () => !(await h.sessionIDs(channel.id)).includes(b.connID), 'the removed session to go');
  expect((await h.sessionIDs(channel.id)).sort()).toEqual([a.connID, c.connID].sort());
  expect(h.media.closedSessions()).toEqual([b.connID]);
});

test('end for everyone: call_end at once, every session closed and the call ended after the delay', async () => {
  jest.useFakeTimers({doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask']});
  const call = (await h.activeCall(channel.id))!;
  await h.calls.endCallByHost(alice.id, channel.id);
  expect(h.events.named('call_end').map((e) => e.broadcast.channel_id)).toEqual([channel.id]);
  await jest.advanceTimersByTimeAsync(4_999);
  expect(await h.activeCall(channel.id)).not.toBeNull();
  await jest.advanceTimersByTimeAsync(1);
  await until(async () => (await h.activeCall(channel.id)) === null, 'the call to end');
  expect(h.media.closedSessions().sort()).toEqual([a.connID, b.connID, c.connID].sort());
  expect(h.platform.posts.get(call.postId)!.message).toBe('Call ended');
});

test('no call, no control', async () => {
  const empty = h.platform.addChannel('O', [alice.id]);
  await expect(h.calls.hostControl(alice.id, empty.id, 'mute-others', {})).rejects.toMatchObject({
    id: 'app.calls.no_call_ongoing',
  });
});

test('dismissing the incoming-call notification is kept per user and told to that user', async () => {
  await h.calls.dismissNotification(carol.id, channel.id);
  expect((await h.activeCall(channel.id))!.props.dismissed_notification).toEqual({[carol.id]: true});
  expect(sentTo('user_dismissed_notification')).toEqual([carol.id]);
  const state = await h.calls.callState(channel.id, carol.id);
  expect(state!.dismissed_notification).toEqual({[carol.id]: true});
  expect((await h.calls.callState(channel.id, bob.id))!.dismissed_notification).toBeUndefined();
});
