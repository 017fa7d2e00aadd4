// useCallControls: what each control does to the live client and when it is offered, derived from the store (the
// same hook drives the widget, the expanded view and the post's leave button).
import {act, renderHook} from '@testing-library/react';
import React from 'react';
import {Provider} from 'react-redux';

import {useCallControls} from './controls';
import type {CallsClient, ClientEvents} from '../../client/calls_client';
import {setCallsClient} from '../../client/current';
import {action} from '../../state/action_types';
import {ALICE, channel, CHANNEL, DM, ME, makeStore} from '../../testing/store';
import {Emitter} from '../../utils/emitter';
import {callsEvent} from '../../testing/ws_event';

class FakeClient extends Emitter<ClientEvents> {
  isClosed = false;
  isMuted = true;
  isHandRaised = false;
  localScreenStream: MediaStream | null = null;
  audioError = null;
  mute = jest.fn(async () => {
    this.isMuted = true;
  });
  unmute = jest.fn(async () => {
    this.isMuted = false;
  });
  raiseHand = jest.fn();
  lowerHand = jest.fn();
  shareScreen = jest.fn(() => Promise.resolve());
  stopScreenShare = jest.fn(() => Promise.resolve());
  disconnect = jest.fn();
}

const ev = callsEvent;

/** I am connected to a call in channelID, with alice in it unless alone. */
function inCall(
  opts: {channelID?: string; hostID?: string; alone?: boolean; store?: ReturnType<typeof makeStore>} = {},
) {
  const channelID = opts.channelID || CHANNEL;
  const store = opts.store || makeStore();
  const client = new FakeClient();
  setCallsClient(client as unknown as CallsClient);
  ev(
    store,
    'call_start',
    {
      id: 'call1',
      channelID,
      start_at: Date.now(),
      thread_id: 'p',
      post_id: 'p',
      owner_id: opts.hostID || ALICE,
      host_id: opts.hostID || ALICE,
    },
    channelID,
  );
  if (!opts.alone) {
    ev(store, 'user_joined', {user_id: ALICE, session_id: 'sA'}, channelID);
  }
  act(() => {
    store.dispatch(action('CLIENT_CONNECTING', {channelID, starting: false}));
    store.dispatch(action('CLIENT_CONNECTED', {channelID, sessionID: 'sMe', connected: true}));
  });
  ev(store, 'user_joined', {user_id: ME, session_id: 'sMe'}, channelID);
  const {result} = renderHook(() => useCallControls(), {
    wrapper: ({children}: {children: React.ReactNode}) => <Provider store={store as never}>{children}</Provider>,
  });
  return {store, client, result, channelID};
}

afterEach(() => setCallsClient(null));

describe('useCallControls', () => {
  test('mute toggles the microphone of the live client, and the state follows my session', () => {
    const {store, client, result} = inCall();
    expect(result.current.muted).toBe(true);
    act(() => result.current.toggleMute());
    expect(client.unmute).toHaveBeenCalledTimes(1);
    ev(store, 'user_unmuted', {userID: ME, session_id: 'sMe'}, CHANNEL);
    expect(result.current.muted).toBe(false);
    act(() => result.current.toggleMute());
    expect(client.mute).toHaveBeenCalledTimes(1);
  });

  test('hand: raises, then lowers once the client has it raised', () => {
    const {client, result} = inCall();
    act(() => result.current.toggleHand());
    expect(client.raiseHand).toHaveBeenCalledTimes(1);
    client.isHandRaised = true;
    act(() => result.current.toggleHand());
    expect(client.lowerHand).toHaveBeenCalledTimes(1);
  });

  test("screen: starts a share, never over someone else's, and stops my own", () => {
    const {store, client, result} = inCall();
    expect(result.current.canShare).toBe(true);
    act(() => result.current.toggleScreen());
    expect(client.shareScreen).toHaveBeenCalledTimes(1);
    ev(store, 'user_screen_on', {userID: ALICE, session_id: 'sA'}, CHANNEL);
    expect(result.current.someoneElseSharing).toBe(true);
    expect(result.current.canShare).toBe(false);
    act(() => result.current.toggleScreen());
    expect(client.shareScreen).toHaveBeenCalledTimes(1);
    ev(store, 'user_screen_off', {userID: ALICE, session_id: 'sA'}, CHANNEL);
    ev(store, 'user_screen_on', {userID: ME, session_id: 'sMe'}, CHANNEL);
    client.localScreenStream = {} as MediaStream;
    expect(result.current.sharing).toBe(true);
    act(() => result.current.toggleScreen());
    expect(client.stopScreenShare).toHaveBeenCalledTimes(1);
  });

  test('no sharing when the admin turned screen sharing off', () => {
    const {store, result} = inCall();
    act(() => {
      store.dispatch(
        action('RECEIVED_CALLS_CONFIG', {
          ...store.getState()['plugins-com.mattermost.calls'].callsConfig,
          AllowScreenSharing: false,
        }),
      );
    });
    expect(result.current.canShare).toBe(false);
  });

  test('leaving asks "end for everyone?" only of a host with others in a channel call', () => {
    expect(inCall({hostID: ME}).result.current.leaveNeedsMenu).toBe(true);
    expect(inCall({hostID: ALICE}).result.current.leaveNeedsMenu).toBe(false);
    expect(inCall({hostID: ME, alone: true}).result.current.leaveNeedsMenu).toBe(false);
    const dm = inCall({hostID: ME, channelID: DM});
    expect(dm.result.current.leaveNeedsMenu).toBe(false);
    expect(dm.result.current.canRaiseHand).toBe(false);
    act(() => dm.result.current.leave());
    expect(dm.client.disconnect).toHaveBeenCalledTimes(1);
  });

  test('a group-message call offers raise hand (only a 1:1 DM does not)', () => {
    const GM = 'channel_gm_00000000000000';
    const store = makeStore({
      channels: [channel(CHANNEL, 'O', 'town-square'), channel(DM, 'D', `${ALICE}__${ME}`), channel(GM, 'G', 'gm')],
    });
    const gm = inCall({channelID: GM, store});
    expect(gm.result.current.canRaiseHand).toBe(true);
    expect(gm.result.current.leaveNeedsMenu).toBe(false);
  });
});
