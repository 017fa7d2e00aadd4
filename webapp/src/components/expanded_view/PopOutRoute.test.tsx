// The pop-out window's page: it shows the opener's call (no connection of its own), mirrors the opener's session into
// its own store, asks for the call's state on the main websocket, closes itself with the call, and takes its listeners
// off the opener's client when it goes away.
import '@testing-library/jest-dom';
import {act, screen} from '@testing-library/react';
import React from 'react';

import {PopOutRoute} from './PopOutRoute';
import {CallWidgetRoot} from '../call_widget/CallWidget';
import type {ClientEvents} from '../../client/calls_client';
import {getCallsClient, ownCallsClient, removeForeignListeners} from '../../client/current';
import {isPopOutWindow} from '../../popout';
import {callsState} from '../../state/selectors';
import {handleWebSocketEvent} from '../../state/ws_events';
import {ALICE, CHANNEL, ME, makeStore} from '../../testing/store';
import type {WebSocketMessage} from '../../types';
import {Emitter} from '../../utils/emitter';
import {renderWithStore} from '../../testing/render';

class OpenerClient extends Emitter<ClientEvents> {
  channelID = CHANNEL;
  sessionID = 'sMe';
  isConnected = true;
  isClosed = false;
  isMuted = true;
  isHandRaised = false;
  localScreenStream = null;
  remoteScreenStream = null;
  audioError = null;
  devices = {audioinput: [], audiooutput: []};
  currentAudioInput = null;
  currentAudioOutput = null;
}

describe('pop-out route', () => {
  const sent: Array<{action: string; data: Record<string, unknown>}> = [];
  let opener: OpenerClient;
  let closeSpy: jest.SpyInstance;

  beforeEach(() => {
    window.history.pushState({}, '', `/calls/com.mattermost.calls/expanded/${CHANNEL}`);
    opener = new OpenerClient();
    Object.defineProperty(window, 'opener', {configurable: true, value: {callsClient: opener}});
    window.ProductApi = {
      selectRhsPost: (id: string) => ({type: 'SELECT', data: id}),
      closeRhs: () => ({type: 'CLOSE'}),
      getRhsSelectedPostId: () => '',
      getIsRhsOpen: () => false,
      useWebSocketClient: () => ({sendMessage: (a, data) => sent.push({action: a, data})}),
    };
    closeSpy = jest.spyOn(window, 'close').mockImplementation(() => undefined);
    sent.length = 0;
  });
  afterEach(() => {
    window.history.pushState({}, '', '/');
    Object.defineProperty(window, 'opener', {configurable: true, value: null});
    delete window.ProductApi;
    closeSpy.mockRestore();
  });

  function renderRoute() {
    const store = makeStore();
    handleWebSocketEvent(store, {
      event: 'custom_com.mattermost.calls_call_start',
      data: {
        id: 'call1',
        channelID: CHANNEL,
        start_at: Date.now(),
        thread_id: 't',
        post_id: 't',
        owner_id: ALICE,
        host_id: ALICE,
      },
      broadcast: {channel_id: CHANNEL},
      seq: 1,
    } as WebSocketMessage);
    for (const [u, sess] of [
      [ALICE, 'sA'],
      [ME, 'sMe'],
    ]) {
      handleWebSocketEvent(store, {
        event: 'custom_com.mattermost.calls_user_joined',
        data: {user_id: u, session_id: sess},
        broadcast: {channel_id: CHANNEL},
        seq: 2,
      } as WebSocketMessage);
    }
    renderWithStore(store, <PopOutRoute />);
    return store;
  }

  test("shows the opener's call, mirrors its session and asks for the call state on the main websocket", () => {
    expect(isPopOutWindow()).toBe(true);
    expect(getCallsClient()).toBe(opener);
    expect(ownCallsClient()).toBeNull();
    const store = renderRoute();
    expect(callsState(store.getState()).client).toMatchObject({channelID: CHANNEL, sessionID: 'sMe', connected: true});
    expect(sent).toEqual([{action: 'custom_com.mattermost.calls_call_state', data: {channelID: CHANNEL}}]);
    expect(document.title).toBe('Call - Town Square');
    expect(screen.getAllByTestId('calls-tile')).toHaveLength(2);
    expect(screen.getByRole('button', {name: 'Close window'})).toBeInTheDocument();
  });

  test('the widget is not shown in the pop-out, only in the window that holds the call', () => {
    const store = renderRoute();
    const {container} = renderWithStore(store, <CallWidgetRoot />);
    expect(callsState(store.getState()).client).not.toBeNull();
    expect(container).toBeEmptyDOMElement();
  });

  test("closes itself when the opener's call closes", () => {
    const store = renderRoute();
    act(() => {
      opener.emit('close', null);
    });
    expect(closeSpy).toHaveBeenCalled();
    expect(callsState(store.getState()).client).toBeNull();
  });

  test("takes its listeners off the opener's client when the window goes away", () => {
    renderRoute();
    const before = countListeners(opener);
    expect(before).toBeGreaterThan(0);
    removeForeignListeners();
    expect(countListeners(opener)).toBe(0);
  });

  test("without the opener's call it says so instead", () => {
    Object.defineProperty(window, 'opener', {configurable: true, value: null});
    renderRoute();
    expect(screen.getByRole('status')).toHaveTextContent('You are not connected to this call');
    expect(sent).toEqual([]);
  });
});

/** How many listeners the emitter holds (its private map, read for the test only). */
function countListeners(e: Emitter<ClientEvents>): number {
  let n = 0;
  const events: Array<keyof ClientEvents> = [
    'joined',
    'connect',
    'close',
    'mute',
    'unmute',
    'remoteScreenStream',
    'localScreenStream',
    'devicechange',
    'initaudio',
    'audioError',
  ];
  for (const ev of events) {
    n += e.listenerCount(ev);
  }
  return n;
}
