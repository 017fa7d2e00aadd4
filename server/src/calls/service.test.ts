// The façade on in-memory ports: action dispatch and its errors, the call_state request, and what each
// media event becomes for the clients (signal, voice, rejected, restart, unavailable, abandoned).
import {AppError} from '../errors';
import type {Channel, User} from '../platform/types';
import {type CallsHarness, createCallsHarness, until} from '../testing/calls-harness';
import type {ConnContext} from './service';

let h: CallsHarness;
let alice: User, bob: User, carol: User, channel: Channel;
let a: ConnContext, b: ConnContext;

beforeEach(async () => {
  h = await createCallsHarness();
  ({alice, bob, carol, channel} = h.people());
  [a, b] = [h.connect(alice.id), h.connect(bob.id)];
  for (const conn of [a, b]) await h.join(conn, channel.id);
  h.events.clear();
});

afterEach(() => h.close());

describe('dispatch', () => {
  test('an unknown action is refused to its connection, without connID (not fatal)', async () => {
    await h.act(a, 'teleport');
    expect(h.errorsTo(a.connID)).toEqual([{data: 'unknown calls action: teleport', id: 'app.calls.ws.unknown_action'}]);
    expect(h.events.events).toHaveLength(1);
  });

  test('ping is answered by the websocket layer: nothing happens here', async () => {
    await h.act(a, 'ping');
    expect(h.events.events).toEqual([]);
  });

  test("call_state: the state of the channel's call to the asking connection, for readers only", async () => {
    const reader = h.connect(carol.id);
    await h.act(reader, 'call_state', {channelID: channel.id});
    const [ev] = h.events.toConn(reader.connID);
    expect(ev.event).toBe('custom_com.mattermost.calls_call_state');
    expect(ev.data).toMatchObject({channel_id: channel.id, channelID: channel.id});
    expect(
      JSON.parse(ev.data.call as string)
        .sessions.map((s: {user_id: string}) => s.user_id)
        .sort(),
    ).toEqual([alice.id, bob.id].sort());

    const secret = h.platform.addChannel('P', [alice.id]);
    await h.act(reader, 'call_state', {channelID: secret.id});
    expect(h.errorsTo(reader.connID)).toEqual([expect.objectContaining({id: 'app.calls.call_state.forbidden'})]);
    const quiet = h.platform.addChannel('O', [carol.id]);
    await h.act(reader, 'call_state', {channelID: quiet.id});
    expect(h.errorsTo(reader.connID)).toContainEqual(expect.objectContaining({id: 'app.calls.no_call_ongoing'}));
  });

  test('HTTP reads: the active call and its client state', async () => {
    const call = await h.calls.getActiveCall(channel.id);
    expect(call!.channelId).toBe(channel.id);
    expect((await h.calls.callState(channel.id, alice.id))!.id).toBe(call!.id);
    expect(await h.calls.callState(h.platform.addChannel('O', []).id, alice.id)).toBeNull();
  });
});

describe('media events', () => {
  test("signal: to the session's connection, SDP as is and ICE as a candidate", async () => {
    h.media.fire('signal', a.connID, {type: 'sdp', data: {type: 'answer', sdp: 'v=0'}});
    h.media.fire('signal', a.connID, {type: 'ice', data: {candidate: 'cand', sdpMid: '0'}});
    const signals = h.events.named('signal');
    expect(signals.map((e) => e.broadcast.connection_id)).toEqual([a.connID, a.connID]);
    expect(signals.map((e) => [e.data.connID, JSON.parse(e.data.data as string)])).toEqual([
      [a.connID, {type: 'answer', sdp: 'v=0'}],
      [a.connID, {type: 'candidate', candidate: {candidate: 'cand', sdpMid: '0'}}],
    ]);
    // A session this node does not hold: nothing.
    h.media.fire('signal', 'elsewhere', {type: 'sdp', data: {type: 'answer', sdp: ''}});
    expect(h.events.events).toHaveLength(2);
  });

  test('voice: to every participant', async () => {
    h.media.fire('voice', b.connID, true);
    await until(() => h.events.named('user_voice_on').length === 2, 'user_voice_on');
    expect(h.events.named('user_voice_on')[0].data).toEqual({
      userID: bob.id,
      session_id: b.connID,
      channelID: channel.id,
    });
    h.media.fire('voice', b.connID, false);
    await until(() => h.events.named('user_voice_off').length === 2, 'user_voice_off');
  });

  test('rejected: an error event to that connection only; connID only when fatal', async () => {
    h.media.fire('rejected', a.connID, new AppError('app.rtc.invalid_candidate', 'invalid ICE candidate', 400), false);
    h.media.fire('rejected', a.connID, new AppError('app.rtc.invalid_sdp', 'invalid SDP', 400), true);
    expect(h.events.events.every((e) => e.broadcast.connection_id === a.connID)).toBe(true);
    expect(h.errorsTo(a.connID)).toEqual([
      {data: 'invalid ICE candidate', id: 'app.rtc.invalid_candidate'},
      {data: 'invalid SDP', id: 'app.rtc.invalid_sdp', connID: a.connID},
    ]);
    expect(h.errorsTo(b.connID)).toEqual([]);
  });

  test("restart: rtc_reconnect to the session's connection; unavailable: rtc_unavailable", async () => {
    const call = (await h.activeCall(channel.id))!;
    h.media.fire('restart', b.connID, 'node left');
    h.media.fire('unavailable', b.connID, 'no handler');
    expect(
      h.events.events.map((e) => [
        e.event.replace('custom_com.mattermost.calls_', ''),
        e.broadcast.connection_id,
        e.data,
      ]),
    ).toEqual([
      ['rtc_reconnect', b.connID, {channelID: channel.id, call_id: call.id, session_id: b.connID, reason: 'node left'}],
      [
        'rtc_unavailable',
        b.connID,
        {channelID: channel.id, call_id: call.id, session_id: b.connID, reason: 'no handler'},
      ],
    ]);
  });

  test('abandoned: the call ends for everyone', async () => {
    const call = (await h.activeCall(channel.id))!;
    h.media.fire('abandoned', call.id, channel.id, 'no handler for 60 s');
    await until(() => h.events.named('call_end').length === 1, 'call_end');
    expect(await h.activeCall(channel.id)).toBeNull();
    expect(h.events.named('call_end')[0].broadcast.channel_id).toBe(channel.id);
  });

  test('events of a session that is leaving are not sent', async () => {
    await h.act(a, 'leave');
    h.events.clear();
    h.media.fire('restart', a.connID, 'late');
    h.media.fire('rejected', a.connID, new AppError('app.rtc.invalid_sdp', 'late', 400), false);
    expect(h.events.events).toEqual([]);
  });
});
