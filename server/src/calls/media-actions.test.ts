// Per-session actions on in-memory ports: signaling into the media layer, mute, hands, screen share (one
// sharer at a time), video, reactions and client metrics, each validated and announced to the call.
import {deflateSync} from 'node:zlib';
import type {Channel, User} from '../platform/types';
import {type CallsHarness, createCallsHarness} from '../testing/calls-harness';
import type {ConnContext} from './service';

let h: CallsHarness;
let alice: User, bob: User, channel: Channel;
let a: ConnContext, b: ConnContext;
const metrics: unknown[] = [];

beforeEach(async () => {
  metrics.length = 0;
  h = await createCallsHarness({onICEPairMetric: (m) => metrics.push(m)});
  ({alice, bob, channel} = h.people());
  [a, b] = [h.connect(alice.id), h.connect(bob.id)];
  for (const conn of [a, b]) {
    await h.join(conn, channel.id);
    // Participants are listed by join time: keep alice first.
    h.clock.advance(1);
  }
  h.events.clear();
});

afterEach(() => h.close());

/** [event, recipient] of every event so far. */
const told = () =>
  h.events.events.map((e) => [
    e.event.replace('custom_com.mattermost.calls_', ''),
    e.broadcast.user_id || e.broadcast.connection_id || e.broadcast.channel_id,
  ]);
const json = (v: unknown) => ({data: JSON.stringify(v)});
const session = async (conn: ConnContext) => (await h.store.calls.getSession(conn.connID))!;
const call = async () => (await h.activeCall(channel.id))!;

describe('signaling', () => {
  test('sdp: inflated, parsed and handed to the media layer', async () => {
    const offer = {type: 'offer', sdp: 'v=0\r\n'};
    await h.act(a, 'sdp', {data: new Uint8Array(deflateSync(JSON.stringify(offer)))});
    expect(h.media.sent(a.connID)).toEqual([{sessionID: a.connID, type: 'sdp', data: offer}]);
  });

  test('sdp that is not zlib, or not a description, is refused to that connection only', async () => {
    await h.act(a, 'sdp', {data: new Uint8Array([1, 2, 3])});
    await h.act(a, 'sdp', {data: new Uint8Array(deflateSync(JSON.stringify({type: 'bogus', sdp: ''})))});
    await h.act(a, 'sdp', {data: 'text'});
    expect(h.errorsTo(a.connID).map((e) => e.id)).toEqual([
      'app.calls.ws.invalid_sdp',
      'app.calls.ws.invalid_sdp',
      'app.calls.ws.invalid_sdp',
    ]);
    // Not fatal: no connID, and the session stays.
    expect(h.errorsTo(a.connID).every((e) => !('connID' in e))).toBe(true);
    expect(h.media.sent(a.connID)).toEqual([]);
    expect(told().every(([, to]) => to === a.connID)).toBe(true);
  });

  test('ice candidates go to the media layer', async () => {
    const cand = {candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0};
    await h.act(a, 'ice', json(cand));
    expect(h.media.sent(a.connID)).toEqual([{sessionID: a.connID, type: 'ice', data: cand}]);
    await h.act(a, 'ice', {data: '{not json'});
    expect(h.errorsTo(a.connID)).toEqual([expect.objectContaining({id: 'app.calls.ws.invalid_ice'})]);
  });
});

describe('mute and hands', () => {
  test('unmute and mute: the media layer, the stored session and every participant know', async () => {
    await h.act(a, 'unmute');
    expect((await session(a)).unmuted).toBe(true);
    expect(told()).toEqual([
      ['user_unmuted', alice.id],
      ['user_unmuted', bob.id],
    ]);
    expect(h.events.events[0].data).toEqual({userID: alice.id, session_id: a.connID, channelID: channel.id});
    await h.act(a, 'mute');
    expect((await session(a)).unmuted).toBe(false);
    expect(h.media.sent(a.connID).map((m) => m.type)).toEqual(['unmute', 'mute']);
  });

  test('raise and lower a hand: the time it was raised, then 0', async () => {
    h.clock.advance(1234);
    await h.act(b, 'raise_hand');
    expect((await session(b)).raisedHand).toBe(h.clock.now());
    expect(h.events.named('user_raise_hand')[0].data).toMatchObject({userID: bob.id, raised_hand: h.clock.now()});
    await h.act(b, 'unraise_hand');
    expect((await session(b)).raisedHand).toBe(0);
    expect(h.events.named('user_unraise_hand')[0].data).toMatchObject({raised_hand: 0});
  });
});

describe('screen sharing', () => {
  test('one sharer at a time; only the sharer stops it; the time shared is counted', async () => {
    await h.act(a, 'screen_on', json({screenStreamID: 'screen-a'}));
    expect((await call()).props).toMatchObject({screen_sharing_session_id: a.connID, screen_stream_id: 'screen-a'});
    expect(h.media.sent(a.connID)).toEqual([
      {sessionID: a.connID, type: 'screen_on', data: {screenStreamID: 'screen-a'}},
    ]);
    expect(told()).toEqual([
      ['user_screen_on', alice.id],
      ['user_screen_on', bob.id],
    ]);

    await h.act(b, 'screen_on', json({screenStreamID: 'screen-b'}));
    expect(h.errorsTo(b.connID)).toEqual([expect.objectContaining({id: 'app.calls.screen_already_shared'})]);
    await h.act(b, 'screen_off');
    expect(h.errorsTo(b.connID)).toContainEqual(expect.objectContaining({id: 'app.calls.not_sharing'}));

    h.clock.advance(30_000);
    await h.act(a, 'screen_off');
    const after = await call();
    expect(after.props.screen_sharing_session_id).toBe('');
    expect(after.stats).toMatchObject({screen_duration: 30, has_used_screen_share: true});
    expect(h.events.named('user_screen_off').map((e) => e.data)).toEqual([
      {userID: alice.id, session_id: a.connID, channelID: channel.id},
      {userID: alice.id, session_id: a.connID, channelID: channel.id},
    ]);

    // Now bob may.
    await h.act(b, 'screen_on', json({screenStreamID: 'screen-b'}));
    expect((await call()).props.screen_sharing_session_id).toBe(b.connID);
  });

  test('refused when screen sharing is off in the settings, and without a stream id', async () => {
    await h.act(a, 'screen_on', json({}));
    await h.config.save({AllowScreenSharing: false});
    await h.act(a, 'screen_on', json({screenStreamID: 's'}));
    expect(h.errorsTo(a.connID).map((e) => e.id)).toEqual([
      'app.calls.ws.invalid_screen_on',
      'app.calls.screen_sharing_disabled',
    ]);
    expect((await call()).props.screen_sharing_session_id ?? '').toBe('');
  });
});

describe('video', () => {
  test('in a DM with EnableVideo: the session flag, the media layer, the time counted', async () => {
    await h.config.save({EnableVideo: true});
    const dm = await h.platform.directChannel(alice.id, bob.id);
    const [da, db] = [h.connect(alice.id), h.connect(bob.id)];
    for (const conn of [da, db]) await h.join(conn, dm.id);
    h.events.clear();
    await h.act(db, 'video_on', json({videoStreamID: 'cam'}));
    expect((await session(db)).video).toBe(true);
    expect(h.media.sent(db.connID)).toEqual([{sessionID: db.connID, type: 'video_on', data: {videoStreamID: 'cam'}}]);
    h.clock.advance(12_000);
    await h.act(db, 'video_off');
    expect((await session(db)).video).toBe(false);
    expect((await h.activeCall(dm.id))!.stats).toMatchObject({video_duration: 12, has_used_video: true});
    expect(h.events.names()).toEqual(['user_video_on', 'user_video_on', 'user_video_off', 'user_video_off']);
  });

  test('refused in a channel call, and anywhere with EnableVideo off', async () => {
    await h.config.save({EnableVideo: true});
    await h.act(b, 'video_on', json({videoStreamID: 'cam'}));
    await h.config.save({EnableVideo: false});
    await h.act(b, 'video_on', json({videoStreamID: 'cam'}));
    expect(h.errorsTo(b.connID).map((e) => e.id)).toEqual(['app.calls.video_not_allowed', 'app.calls.video_disabled']);
    expect((await session(b)).video).toBe(false);
    expect(h.media.sent(b.connID)).toEqual([]);
    expect(h.events.names().filter((n) => n.startsWith('user_video'))).toEqual([]);
  });
});

test('a reaction goes to every participant with its time; a bad one is refused', async () => {
  h.clock.advance(5);
  await h.act(a, 'react', json({name: 'tada', unified: '1f389'}));
  expect(
    h.events
      .named('user_reacted')
      .map((e) => e.broadcast.user_id)
      .sort(),
  ).toEqual([alice.id, bob.id].sort());
  expect(h.events.named('user_reacted')[0].data).toEqual({
    user_id: alice.id,
    session_id: a.connID,
    timestamp: h.clock.now(),
    channelID: channel.id,
    emoji: {name: 'tada', unified: '1f389', skin: '', literal: ''},
  });
  await h.act(a, 'react', json({name: ''}));
  expect(h.errorsTo(a.connID)).toEqual([expect.objectContaining({id: 'app.calls.ws.invalid_react'})]);
});

test('metrics: an ICE candidate pair is observed; unknown metrics and bad pairs are refused', async () => {
  const pair = {state: 'succeeded', local: {type: 'host', protocol: 'udp'}, remote: {type: 'srflx', protocol: 'udp'}};
  await h.act(a, 'metric', {metric_name: 'client_ice_candidate_pair', data: JSON.stringify(pair)});
  expect(metrics).toEqual([
    {state: 'succeeded', local_type: 'host', local_protocol: 'udp', remote_type: 'srflx', remote_protocol: 'udp'},
  ]);
  await h.act(a, 'metric', {metric_name: 'cpu', data: '{}'});
  await h.act(a, 'metric', {metric_name: 'client_ice_candidate_pair', data: JSON.stringify({...pair, state: 'weird'})});
  expect(h.errorsTo(a.connID).map((e) => e.id)).toEqual(['app.calls.ws.invalid_metric', 'app.calls.ws.invalid_metric']);
  expect(metrics).toHaveLength(1);
});

test('voice activity comes from the media layer, not from clients; captions from clients are ignored', async () => {
  await h.act(a, 'voice_on');
  expect(h.errorsTo(a.connID)).toEqual([expect.objectContaining({id: 'app.calls.ws.invalid_action'})]);
  h.events.clear();
  await h.act(a, 'caption', {session_id: a.connID, text: 'hi', new_audio_len_ms: 1});
  expect(h.events.events).toEqual([]);
});

test('actions of a connection without a call session are dropped without a word', async () => {
  const lurker = h.connect(alice.id);
  await h.act(lurker, 'mute');
  await h.act(lurker, 'screen_on', json({screenStreamID: 's'}));
  expect(h.events.events).toEqual([]);
  expect(h.media.sent(a.connID)).toEqual([]);
});
