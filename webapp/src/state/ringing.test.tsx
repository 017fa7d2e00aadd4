// Incoming DM/GM calls (reference webapp.md §2.11): cards, ringing once and never while in a call or while another
// call rings, Ignore (dismiss-notification) and its echo from other clients, and the card going away when the call
// ends or is joined.
import '@testing-library/jest-dom';
import {act, fireEvent, screen} from '@testing-library/react';
import React from 'react';

import {action} from './action_types';
import {dismissIncomingCall, onJoiningCall, RING_MS} from './ringing';
import {loadChannels} from './actions';
import {callsState} from './selectors';
import {handleWebSocketEvent} from './ws_events';
import {IncomingCallContainer} from '../components/incoming_calls/IncomingCalls';
import {ALICE, BOB, CHANNEL, DM, ME, channel, makeStore} from '../testing/store';
import {defaultCallsClientConfig, type WebSocketMessage} from '../types';
import {callsEvent} from '../testing/ws_event';
import {renderWithStore} from '../testing/render';

const P = 'custom_com.mattermost.calls_';
const GM = 'channel_gm_00000000000000';

function setup(opts: {ringing?: boolean; notifyProps?: Record<string, string>} = {}) {
  const store = makeStore({
    channels: [
      channel(CHANNEL, 'O', 'town-square', 'Town Square'),
      channel(DM, 'D', `${ALICE}__${ME}`, 'alice'),
      channel(GM, 'G', 'gm-name', 'alice, bob, me'),
    ],
  });
  store.dispatch(action('RECEIVED_CALLS_CONFIG', {...defaultCallsClientConfig, EnableRinging: opts.ringing ?? true}));
  if (opts.notifyProps) {
    const me = store.getState().entities.users.profiles[ME];
    store.dispatch({type: 'RECEIVED_PROFILES_LIST', data: [{...me, notify_props: opts.notifyProps}]});
  }
  return store;
}

function callStart(
  store: ReturnType<typeof makeStore>,
  channelID: string,
  callID: string,
  ownerID = ALICE,
  startAt = Date.now(),
) {
  act(() => {
    handleWebSocketEvent(store, {
      event: `${P}call_start`,
      data: {
        id: callID,
        channelID,
        start_at: startAt,
        thread_id: 't',
        post_id: 't',
        owner_id: ownerID,
        host_id: ownerID,
      },
      broadcast: {channel_id: channelID},
      seq: 1,
    } as WebSocketMessage);
  });
}

const ev = callsEvent;

describe('incoming calls', () => {
  let rings: string[];
  let stops: number;

  beforeEach(() => {
    jest.useFakeTimers();
    rings = [];
    stops = 0;
    window.WebappUtils = {
      browserHistory: {push: () => undefined},
      notificationSounds: {
        ring: (s) => rings.push(s),
        stopRing: () => {
          stops++;
        },
      },
    };
    global.fetch = jest.fn(
      async () => ({ok: true, status: 200, statusText: '', text: async () => '{}'}) as unknown as Response,
    ) as typeof fetch;
  });
  afterEach(() => {
    jest.useRealTimers();
    delete window.WebappUtils;
  });

  test("a DM call rings once with the user's sound and stops after 30 s; the card stays", () => {
    const store = setup({notifyProps: {calls_notification_sound: 'Dynamic'}});
    callStart(store, DM, 'call1');
    expect(callsState(store.getState()).incomingCalls).toEqual([
      expect.objectContaining({callID: 'call1', channelID: DM, callerID: ALICE, type: 'DM'}),
    ]);
    expect(rings).toEqual(['Dynamic']);
    act(() => {
      jest.advanceTimersByTime(RING_MS - 1);
    });
    expect(stops).toBe(0);
    act(() => {
      jest.advanceTimersByTime(1);
    });
    expect(stops).toBe(1);
    expect(callsState(store.getState()).ringingForCalls).toEqual({});
    expect(callsState(store.getState()).incomingCalls).toHaveLength(1);
  });

  test('no card for channel calls, for calls I started, or with ringing off', () => {
    let store = setup();
    callStart(store, CHANNEL, 'c1');
    callStart(store, DM, 'c2', ME);
    expect(callsState(store.getState()).incomingCalls).toEqual([]);
    store = setup({ringing: false});
    callStart(store, DM, 'c3');
    expect(callsState(store.getState()).incomingCalls).toEqual([]);
    expect(rings).toEqual([]);
  });

  test('a second call while the first rings gets a card but no ring; nothing rings while I am in a call', () => {
    const store = setup();
    callStart(store, DM, 'call1');
    callStart(store, GM, 'call2', BOB);
    expect(callsState(store.getState()).incomingCalls.map((c) => c.callID)).toEqual(['call1', 'call2']);
    expect(rings).toHaveLength(1);

    const inCall = setup();
    act(() => {
      inCall.dispatch(action('CLIENT_CONNECTING', {channelID: CHANNEL, starting: false}));
    });
    callStart(inCall, DM, 'call3');
    expect(callsState(inCall.getState()).incomingCalls).toHaveLength(1);
    expect(rings).toHaveLength(1);
  });

  test('a muted sound preference shows the card without ringing', () => {
    const store = setup({notifyProps: {calls_desktop_sound: 'false'}});
    callStart(store, DM, 'call1');
    expect(callsState(store.getState()).incomingCalls).toHaveLength(1);
    expect(rings).toEqual([]);
  });

  test('Ignore dismisses it on the server; the echo from another client removes it here too', async () => {
    const store = setup();
    callStart(store, DM, 'call1');
    callStart(store, GM, 'call2', BOB);
    await act(async () => {
      await dismissIncomingCall(store, callsState(store.getState()).incomingCalls[0]);
    });
    expect(global.fetch).toHaveBeenCalledWith(
      `/plugins/com.mattermost.calls/calls/${DM}/dismiss-notification`,
      expect.objectContaining({method: 'POST'}),
    );
    expect(stops).toBe(1);
    expect(callsState(store.getState()).incomingCalls.map((c) => c.callID)).toEqual(['call2']);

    ev(store, 'user_dismissed_notification', {userID: BOB, callID: 'call2'});
    expect(callsState(store.getState()).incomingCalls).toHaveLength(1);
    ev(store, 'user_dismissed_notification', {userID: ME, callID: 'call2'});
    expect(callsState(store.getState()).incomingCalls).toEqual([]);
    expect(callsState(store.getState()).dismissedCalls).toEqual({call1: true, call2: true});
  });

  test('the card goes away when the call ends, when I join it anywhere, or when I join from here', () => {
    const store = setup();
    callStart(store, DM, 'call1');
    ev(store, 'call_end', {channelID: DM}, DM);
    expect(callsState(store.getState()).incomingCalls).toEqual([]);
    expect(stops).toBe(1);

    callStart(store, DM, 'call2');
    ev(store, 'user_joined', {user_id: ME, session_id: 'other-tab'}, DM);
    expect(callsState(store.getState()).incomingCalls).toEqual([]);

    callStart(store, GM, 'call3', BOB);
    act(() => onJoiningCall(store, GM));
    expect(callsState(store.getState()).incomingCalls).toEqual([]);
  });

  test('after a reload a DM call in progress gets its card; it rings only while new', async () => {
    const call = (id: string, startAt: number) => ({
      id,
      start_at: startAt,
      sessions: [{session_id: 's', user_id: ALICE, unmuted: false, raised_hand: 0}],
      thread_id: 't',
      post_id: 't',
      screen_sharing_session_id: '',
      owner_id: ALICE,
      host_id: ALICE,
    });
    global.fetch = jest.fn(
      async () =>
        ({
          ok: true,
          status: 200,
          statusText: '',
          text: async () =>
            JSON.stringify([
              {channel_id: DM, call: call('old', Date.now() - 5 * 60000)},
              {channel_id: GM, call: call('new', Date.now() - 2000)},
            ]),
        }) as unknown as Response,
    ) as typeof fetch;
    const store = setup();
    await act(async () => {
      await loadChannels(store);
    });
    expect(callsState(store.getState()).incomingCalls.map((c) => c.callID)).toEqual(['old', 'new']);
    expect(rings).toHaveLength(1);
    expect(callsState(store.getState()).ringingForCalls).toEqual({new: true});
  });

  test('cards: the newest in full with Ignore and Join, older ones condensed; a GM names the others', () => {
    const store = setup();
    callStart(store, DM, 'call1');
    callStart(store, GM, 'call2', BOB);
    renderWithStore(store, <IncomingCallContainer />);
    expect(screen.getByTestId('call-incoming')).toHaveTextContent('bob is inviting you to a call with alice');
    expect(screen.getByTestId('call-incoming-condensed')).toHaveTextContent('Call from alice');
    expect(screen.getByTestId('call-incoming')).toHaveAttribute('role', 'alertdialog');
    fireEvent.click(screen.getByTestId('call-incoming-ignore'));
    expect(screen.queryByTestId('call-incoming-condensed')).toBeNull();
    expect(screen.getByTestId('call-incoming')).toHaveTextContent('alice is inviting you to a call');
    act(() => {
      store.dispatch(action('CLIENT_CONNECTING', {channelID: CHANNEL, starting: false}));
    });
    // In a call the widget shows them condensed instead.
    expect(screen.queryByTestId('call-incoming')).toBeNull();
  });
});
