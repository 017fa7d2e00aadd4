// Many sessions of one call leaving together (their media failing in one go, as ICE consent expiring for a batch
// of peers does): each is announced once, the host changes once to the host the call ends up with, the screen
// share stops, the call ends only with its last human, and the call's sessions are read a few times, not once each.
import type {User} from '../platform/types';
import {type CallsHarness, createCallsHarness, until} from '../testing/calls-harness';
import type {ConnContext} from './service';

let h: CallsHarness;
afterEach(async () => {
  await h?.close();
});

/** `n` users in one open channel, each joined (in this order) to its call. */
async function fullCall(n: number): Promise<{channelID: string; users: User[]; conns: ConnContext[]}> {
  const users = Array.from({length: n}, (_, i) => h.platform.addUser({username: `user${i}`}));
  const channel = h.platform.addChannel(
    'O',
    users.map((u) => u.id),
  );
  const conns: ConnContext[] = [];
  for (const u of users) {
    const conn = await h.joined(u.id, channel.id);
    conns.push(conn);
    // Distinct join times: who is host next is decided by them.
    h.clock.advance(1);
  }
  return {channelID: channel.id, users, conns};
}

/** Their media closes in one synchronous loop, as the SFU reports peers whose consent expired together. */
function failTogether(conns: ConnContext[]): void {
  for (const c of conns) h.media.fire('close', c.connID, 'ice consent expired');
}

beforeEach(async () => {
  h = await createCallsHarness({groupCallsAllowed: true});
});

test('30 of 35 sessions failing together: one user_left each, one host change, the screen share stops', async () => {
  const {channelID, users, conns} = await fullCall(35);
  const failing = conns.slice(0, 30);
  const staying = conns.slice(30);
  // The sharer is among those that fail; the host (the first to join) too.
  await h.act(conns[7], 'screen_on', {data: JSON.stringify({screenStreamID: 'screen-1'})});
  h.events.clear();
  const getSessions = jest.spyOn(h.store.calls, 'getSessions');

  failTogether(failing);
  await until(() => h.events.named('user_left').length >= failing.length, 'a user_left per failed session', 5000);
  await until(async () => (await h.activeCall(channelID))!.props.hosts?.[0] === users[30].id, 'the host change', 5000);
  const reads = getSessions.mock.calls.length;

  const left = h.events.named('user_left').map((e) => e.data.session_id as string);
  expect(left.sort()).toEqual(failing.map((c) => c.connID).sort());
  for (const e of h.events.named('user_left')) expect(e.broadcast).toMatchObject({channel_id: channelID});

  // One change, straight to the earliest-joined session that stays, told to everyone still in the call.
  const hostChanges = h.events.named('call_host_changed');
  expect(new Set(hostChanges.map((e) => e.data.hostID))).toEqual(new Set([users[30].id]));
  expect(hostChanges.map((e) => e.broadcast.user_id).sort()).toEqual(staying.map((c) => c.userID).sort());
  const screenOff = h.events.named('user_screen_off').map((e) => e.broadcast.user_id);
  expect(screenOff).toEqual(expect.arrayContaining(staying.map((c) => c.userID)));
  expect(new Set(screenOff).size).toBe(screenOff.length);

  const call = (await h.activeCall(channelID))!;
  expect(call.props.hosts).toEqual([users[30].id]);
  expect(call.props.screen_sharing_session_id).toBe('');
  expect((await h.store.calls.getSessions(call.id)).map((s) => s.id)).toEqual(staying.map((c) => c.connID));
  // The cost that made a mass leave quadratic: every removal read all of the call's sessions.
  expect(reads).toBeLessThanOrEqual(4);
});

test('every session failing together ends the call once, with each announced', async () => {
  const {channelID, users, conns} = await fullCall(12);
  const call = (await h.activeCall(channelID))!;
  h.events.clear();

  failTogether(conns);
  await until(async () => (await h.activeCall(channelID)) === null, 'the call to end', 5000);
  await until(() => h.events.named('user_left').length >= conns.length, 'a user_left per session', 5000);

  expect(
    h.events
      .named('user_left')
      .map((e) => e.data.session_id)
      .sort(),
  ).toEqual(conns.map((c) => c.connID).sort());
  expect(h.events.named('call_host_changed')).toEqual([]);
  const ended = (await h.store.calls.getCall(call.id))!;
  expect(ended.endAt).toBeGreaterThan(0);
  expect(ended.participants.sort()).toEqual(users.map((u) => u.id).sort());
  expect(await h.store.calls.getSessions(call.id)).toEqual([]);
  expect(h.platform.posts.get(call.postId)).toMatchObject({message: 'Call ended'});
});

test('the call goes on while one human stays, and ends when that one leaves', async () => {
  const {channelID, conns} = await fullCall(10);
  failTogether(conns.slice(1));
  await until(() => h.events.named('user_left').length >= 9, 'a user_left per failed session', 5000);
  expect(await h.sessionIDs(channelID)).toEqual([conns[0].connID]);
  expect(await h.activeCall(channelID)).not.toBeNull();

  await h.act(conns[0], 'leave');
  expect(await h.activeCall(channelID)).toBeNull();
  expect(h.events.named('user_left')).toHaveLength(10);
});
