import {waitFor} from '@testing-library/react';

import {action} from './action_types';
import {
  callButtonState,
  callsState,
  getChannel,
  sessionsInChannel,
  sortedSessions,
  speakingSessions,
} from './selectors';
import {handleWebSocketEvent} from './ws_events';
import {mockFetch} from '../testing/fetch';
import {ALICE, BOB, CHANNEL, DM, ME, makeStore, profile} from '../testing/store';
import {defaultCallsClientConfig, type WebSocketMessage} from '../types';

const P = 'custom_com.mattermost.calls_';

function msg(event: string, data: Record<string, unknown>, channelID = CHANNEL): WebSocketMessage {
  return {event: `${P}${event}`, data, broadcast: {channel_id: channelID}, seq: 1};
}

function startCall(store: ReturnType<typeof makeStore>, channelID = CHANNEL) {
  handleWebSocketEvent(
    store,
    msg(
      'call_start',
      {id: 'call1', channelID, start_at: 1000, thread_id: 'post1', post_id: 'post1', owner_id: ALICE, host_id: ALICE},
      channelID,
    ),
  );
  handleWebSocketEvent(store, msg('user_joined', {user_id: ALICE, session_id: 'sA'}, channelID));
}

describe('websocket events → state', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  test('call_start and user_joined create the call, its host and a muted session', () => {
    const store = makeStore();
    startCall(store);
    const cs = callsState(store.getState());
    expect(cs.calls[CHANNEL]).toEqual({
      ID: 'call1',
      channelID: CHANNEL,
      startAt: 1000,
      threadID: 'post1',
      postID: 'post1',
      ownerID: ALICE,
    });
    expect(cs.hosts[CHANNEL].hostID).toBe(ALICE);
    expect(sessionsInChannel(store.getState(), CHANNEL).sA).toMatchObject({
      user_id: ALICE,
      unmuted: false,
      raised_hand: 0,
      voice: false,
    });
    expect(cs.recentlyJoinedUsers[CHANNEL]).toEqual([ALICE]);
    jest.advanceTimersByTime(5000);
    expect(callsState(store.getState()).recentlyJoinedUsers[CHANNEL]).toEqual([]);
  });

  test('mute, voice, hand and screen events update the right session', () => {
    const store = makeStore();
    startCall(store);
    handleWebSocketEvent(store, msg('user_joined', {user_id: BOB, session_id: 'sB'}));
    handleWebSocketEvent(store, msg('user_unmuted', {userID: ALICE, session_id: 'sA'}));
    handleWebSocketEvent(store, msg('user_voice_on', {userID: ALICE, session_id: 'sA'}));
    handleWebSocketEvent(store, msg('user_raise_hand', {userID: BOB, session_id: 'sB', raised_hand: 5000}));
    handleWebSocketEvent(store, msg('user_screen_on', {userID: BOB, session_id: 'sB'}));
    let s = sessionsInChannel(store.getState(), CHANNEL);
    expect(s.sA).toMatchObject({unmuted: true, voice: true});
    expect(s.sB).toMatchObject({unmuted: false, raised_hand: 5000});
    expect(speakingSessions(store.getState(), CHANNEL).map((x) => x.session_id)).toEqual(['sA']);
    expect(callsState(store.getState()).screenSharingIDs[CHANNEL]).toBe('sB');

    handleWebSocketEvent(store, msg('user_muted', {userID: ALICE, session_id: 'sA'}));
    handleWebSocketEvent(store, msg('user_unraise_hand', {userID: BOB, session_id: 'sB', raised_hand: 0}));
    // The sharer leaving sends user_screen_off with empty data: the channel comes from the broadcast.
    handleWebSocketEvent(store, msg('user_screen_off', {}));
    s = sessionsInChannel(store.getState(), CHANNEL);
    expect(s.sA).toMatchObject({unmuted: false, voice: false});
    expect(s.sB.raised_hand).toBe(0);
    expect(callsState(store.getState()).screenSharingIDs[CHANNEL]).toBe('');
    expect(speakingSessions(store.getState(), CHANNEL)).toEqual([]);
  });

  test('the channel id comes from data.channelID before the broadcast', () => {
    const store = makeStore();
    startCall(store, DM);
    handleWebSocketEvent(store, {
      event: `${P}user_unmuted`,
      data: {userID: ALICE, session_id: 'sA', channelID: DM},
      broadcast: {user_id: ME},
      seq: 3,
    });
    expect(sessionsInChannel(store.getState(), DM).sA.unmuted).toBe(true);
  });

  test('the last session leaving ends the call (the server sends no call_end then)', () => {
    const store = makeStore();
    startCall(store);
    handleWebSocketEvent(store, msg('user_joined', {user_id: BOB, session_id: 'sB'}));
    handleWebSocketEvent(store, msg('user_left', {user_id: ALICE, session_id: 'sA'}));
    expect(callsState(store.getState()).calls[CHANNEL]).toBeDefined();
    expect(Object.keys(sessionsInChannel(store.getState(), CHANNEL))).toEqual(['sB']);
    handleWebSocketEvent(store, msg('user_left', {user_id: BOB, session_id: 'sB'}));
    expect(callsState(store.getState()).calls[CHANNEL]).toBeUndefined();
    expect(callsState(store.getState()).sessions[CHANNEL]).toBeUndefined();
  });

  test('call_end clears the call', () => {
    const store = makeStore();
    startCall(store);
    handleWebSocketEvent(store, msg('call_end', {}));
    expect(callsState(store.getState()).calls[CHANNEL]).toBeUndefined();
    expect(callButtonState(store.getState(), getChannel(store.getState(), CHANNEL))).toBe('start');
  });

  test('call_state (a JSON string) replaces the snapshot but keeps who is speaking', () => {
    const store = makeStore();
    startCall(store);
    handleWebSocketEvent(store, msg('user_voice_on', {userID: ALICE, session_id: 'sA'}));
    handleWebSocketEvent(store, {
      event: `${P}call_state`,
      broadcast: {},
      seq: 9,
      data: {
        channel_id: CHANNEL,
        call: JSON.stringify({
          id: 'call1',
          start_at: 1000,
          thread_id: 'post1',
          post_id: 'post1',
          owner_id: ALICE,
          host_id: BOB,
          screen_sharing_session_id: 'sB',
          sessions: [
            {session_id: 'sA', user_id: ALICE, unmuted: true, raised_hand: 0},
            {session_id: 'sB', user_id: BOB, unmuted: false, raised_hand: 42},
          ],
          dismissed_notification: {[ME]: true},
        }),
      },
    });
    const st = store.getState();
    expect(sessionsInChannel(st, CHANNEL).sA).toMatchObject({unmuted: true, voice: true});
    expect(sessionsInChannel(st, CHANNEL).sB).toMatchObject({raised_hand: 42, voice: false});
    expect(callsState(st).hosts[CHANNEL].hostID).toBe(BOB);
    expect(callsState(st).screenSharingIDs[CHANNEL]).toBe('sB');
    expect(callsState(st).dismissedCalls.call1).toBe(true);
  });

  test('reactions only count for the call I am in and expire after 10 s', () => {
    const store = makeStore();
    startCall(store);
    const reacted = msg('user_reacted', {
      user_id: ALICE,
      session_id: 'sA',
      timestamp: 1234,
      emoji: {name: '+1', unified: '1F44D', skin: '', literal: '👍'},
    });
    handleWebSocketEvent(store, reacted);
    expect(callsState(store.getState()).reactions[CHANNEL]).toBeUndefined();

    store.dispatch(action('CLIENT_CONNECTING', {channelID: CHANNEL, starting: false}));
    store.dispatch(action('CLIENT_CONNECTED', {channelID: CHANNEL, sessionID: 'sMe', connected: true}));
    handleWebSocketEvent(store, reacted);
    expect(callsState(store.getState()).reactions[CHANNEL]).toHaveLength(1);
    expect(sessionsInChannel(store.getState(), CHANNEL).sA.reaction?.emoji.name).toBe('+1');
    jest.advanceTimersByTime(10000);
    expect(callsState(store.getState()).reactions[CHANNEL]).toHaveLength(0);
    expect(sessionsInChannel(store.getState(), CHANNEL).sA.reaction).toBeUndefined();
  });

  test('host change in my call adds a notice that expires', () => {
    const store = makeStore();
    startCall(store);
    store.dispatch(action('CLIENT_CONNECTING', {channelID: CHANNEL, starting: false}));
    handleWebSocketEvent(store, msg('call_host_changed', {hostID: ME, call_id: 'call1'}));
    expect(callsState(store.getState()).hosts[CHANNEL].hostID).toBe(ME);
    expect(callsState(store.getState()).hostNotices).toEqual([
      expect.objectContaining({type: 'host_changed', userID: ME}),
    ]);
    jest.advanceTimersByTime(5000);
    expect(callsState(store.getState()).hostNotices).toEqual([]);
  });

  test('channel enable/disable and dismissed notifications', () => {
    const store = makeStore();
    handleWebSocketEvent(store, msg('channel_disable_voice', {}));
    expect(callsState(store.getState()).channels[CHANNEL].enabled).toBe(false);
    expect(callButtonState(store.getState(), getChannel(store.getState(), CHANNEL))).toBe('hidden');
    handleWebSocketEvent(store, msg('channel_enable_voice', {}));
    expect(callsState(store.getState()).channels[CHANNEL].enabled).toBe(true);
    handleWebSocketEvent(store, msg('user_dismissed_notification', {userID: BOB, callID: 'c'}));
    expect(callsState(store.getState()).dismissedCalls).toEqual({});
    handleWebSocketEvent(store, msg('user_dismissed_notification', {userID: ME, callID: 'c'}));
    expect(callsState(store.getState()).dismissedCalls).toEqual({c: true});
  });

  test('host_removed for my session closes the call with the removed-by-host modal', () => {
    const store = makeStore();
    startCall(store);
    store.dispatch(action('CLIENT_CONNECTING', {channelID: CHANNEL, starting: false}));
    store.dispatch(action('CLIENT_CONNECTED', {channelID: CHANNEL, sessionID: 'sMe', connected: true}));
    handleWebSocketEvent(
      store,
      msg('host_removed', {call_id: 'call1', channel_id: CHANNEL, session_id: 'sA', user_id: ALICE}),
    );
    expect(callsState(store.getState()).callErrorModal).toBeNull();
    expect(callsState(store.getState()).hostNotices[0]).toMatchObject({type: 'removed', userID: ALICE});
    handleWebSocketEvent(
      store,
      msg('host_removed', {call_id: 'call1', channel_id: CHANNEL, session_id: 'sMe', user_id: ME}),
    );
    expect(callsState(store.getState()).callErrorModal).toEqual({
      kind: 'removed_by_host',
      channelID: CHANNEL,
      message: undefined,
    });
  });

  test('core user_removed from the channel of my call shows why I was disconnected', () => {
    const store = makeStore();
    startCall(store);
    store.dispatch(action('CLIENT_CONNECTING', {channelID: CHANNEL, starting: false}));
    handleWebSocketEvent(store, {
      event: 'user_removed',
      data: {channel_id: 'other', remover_id: BOB},
      broadcast: {user_id: ME},
      seq: 2,
    });
    expect(callsState(store.getState()).callErrorModal).toBeNull();
    handleWebSocketEvent(store, {
      event: 'user_removed',
      data: {channel_id: CHANNEL, remover_id: BOB},
      broadcast: {user_id: ME},
      seq: 3,
    });
    expect(callsState(store.getState()).callErrorModal?.kind).toBe('removed_from_channel');
  });

  test('unknown events are ignored', () => {
    const store = makeStore();
    const before = store.getState();
    expect(handleWebSocketEvent(store, msg('something_new', {}))).toBe(false);
    expect(handleWebSocketEvent(store, {event: 'typing', data: {}, broadcast: {}, seq: 1})).toBe(false);
    expect(store.getState()).toBe(before);
  });
});

describe('selectors', () => {
  test('participants sort: presenter, raised hands by time, unmuted, reactions, then by name', () => {
    const users = {
      a: profile('a', 'zed'),
      b: profile('b', 'amy'),
      c: profile('c', 'bob'),
      d: profile('d', 'carl'),
      e: profile('e', 'dan'),
      f: profile('f', 'eve'),
    };
    const s = (id: string, extra: Record<string, unknown> = {}) => ({
      session_id: `s${id}`,
      user_id: id,
      unmuted: false,
      raised_hand: 0,
      video: false,
      voice: false,
      ...extra,
    });
    const sorted = sortedSessions(
      [
        s('b'),
        s('c', {unmuted: true}),
        s('d', {raised_hand: 200}),
        s('e', {raised_hand: 100}),
        s('f', {reaction: {user_id: 'f', session_id: 'sf', emoji: {name: 'x', unified: '1'}, timestamp: 5}}),
        s('a'),
      ],
      'sa',
      users,
    );
    expect(sorted.map((x) => users[x.user_id as keyof typeof users].username)).toEqual([
      'zed',
      'dan',
      'carl',
      'bob',
      'eve',
      'amy',
    ]);
  });

  test('call button states', () => {
    const store = makeStore({members: [CHANNEL]});
    const st = () => store.getState();
    const ch = () => getChannel(st(), CHANNEL);
    expect(callButtonState(st(), ch())).toBe('start');
    // Not a member: no button at all.
    expect(callButtonState(st(), getChannel(st(), DM))).toBe('hidden');
    startCall(store);
    expect(callButtonState(st(), ch())).toBe('join');
    store.dispatch(action('RECEIVED_CALLS_CONFIG', {...callsState(st()).callsConfig, MaxCallParticipants: 1}));
    expect(callButtonState(st(), ch())).toBe('full');
    store.dispatch(action('RECEIVED_CALLS_CONFIG', {...callsState(st()).callsConfig, MaxCallParticipants: 0}));
    store.dispatch(action('CLIENT_CONNECTING', {channelID: CHANNEL, starting: false}));
    expect(callButtonState(st(), ch())).toBe('connecting');
    store.dispatch(action('CLIENT_CONNECTED', {channelID: CHANNEL, sessionID: 'x', connected: true}));
    expect(callButtonState(st(), ch())).toBe('in_call');
    store.dispatch(action('CLIENT_DISCONNECTED', {channelID: CHANNEL}));
    expect(callButtonState(st(), ch())).toBe('join');
  });
});

describe('config_changed', () => {
  test('an admin saving the settings makes an open tab refetch /config and follow it', async () => {
    const fetched = mockFetch((call) =>
      call.url.endsWith('/config')
        ? {status: 200, body: {...defaultCallsClientConfig, DefaultEnabled: true, AllowScreenSharing: false}}
        : {status: 404},
    );
    try {
      const store = makeStore();
      store.dispatch(action('RECEIVED_CALLS_CONFIG', {...defaultCallsClientConfig, DefaultEnabled: false}));
      expect(handleWebSocketEvent(store, msg('config_changed', {}, ''))).toBe(true);
      await waitFor(() => expect(callsState(store.getState()).callsConfig.DefaultEnabled).toBe(true));
      expect(callsState(store.getState()).callsConfig.AllowScreenSharing).toBe(false);
      expect(fetched.calls.map((c) => c.url)).toEqual([
        expect.stringMatching(/\/plugins\/com\.mattermost\.calls\/config$/),
      ]);
    } finally {
      fetched.restore();
    }
  });
});
