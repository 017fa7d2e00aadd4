// "Enable calls / Disable calls" in the channel menu: who may see it, its text, and what choosing it does.
import '@testing-library/jest-dom';
import {act, screen} from '@testing-library/react';
import React from 'react';

import {canToggleCalls, ChannelMenuText, toggleCallsInChannel} from './ChannelMenuAction';
import {action} from '../../state/action_types';
import {callsState} from '../../state/selectors';
import {CHANNEL, DM, makeStore} from '../../testing/store';
import {defaultCallsClientConfig} from '../../types';
import {renderWithStore} from '../../testing/render';

function withConfig(store: ReturnType<typeof makeStore>, defaultEnabled: boolean) {
  store.dispatch(action('RECEIVED_CALLS_CONFIG', {...defaultCallsClientConfig, DefaultEnabled: defaultEnabled}));
  return store;
}

describe('channel menu: Enable/Disable calls', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  test('system admins always; others only with calls on by default, in DMs/GMs or as channel admin', () => {
    expect(canToggleCalls(withConfig(makeStore({admin: true}), false).getState(), CHANNEL)).toBe(true);
    const user = withConfig(makeStore(), false);
    expect(canToggleCalls(user.getState(), DM)).toBe(false);
    withConfig(user, true);
    expect(canToggleCalls(user.getState(), DM)).toBe(true);
    expect(canToggleCalls(user.getState(), CHANNEL)).toBe(false);
    const admin = withConfig(makeStore(), true);
    const state = admin.getState();
    state.entities.channels.myMembers[CHANNEL].roles = 'channel_user channel_admin';
    expect(canToggleCalls(state, CHANNEL)).toBe(true);
    expect(canToggleCalls(state, 'not-a-member')).toBe(false);
  });

  test('the item reads Disable when calls are on in the channel, Enable when off; choosing it saves the other state', async () => {
    const store = withConfig(makeStore({admin: true}), true);
    renderWithStore(store, <ChannelMenuText />);
    expect(screen.getByTestId('calls-channel-menu-toggle')).toHaveTextContent('Disable calls');

    const bodies: unknown[] = [];
    global.fetch = jest.fn(async (_url: RequestInfo | URL, init?: RequestInit) => {
      const body = JSON.parse(String(init?.body));
      bodies.push(body);
      return {
        ok: true,
        status: 200,
        statusText: '',
        text: async () => JSON.stringify({channel_id: CHANNEL, ...body}),
      } as unknown as Response;
    }) as typeof fetch;
    await act(async () => {
      await toggleCallsInChannel(store, CHANNEL);
    });
    expect(global.fetch).toHaveBeenCalledWith(
      `/plugins/com.mattermost.calls/${CHANNEL}`,
      expect.objectContaining({method: 'POST'}),
    );
    expect(bodies).toEqual([{enabled: false}]);
    expect(callsState(store.getState()).channels[CHANNEL]).toEqual({id: CHANNEL, enabled: false});
    expect(screen.getByTestId('calls-channel-menu-toggle')).toHaveTextContent('Enable calls');

    global.fetch = jest.fn(
      async () =>
        ({ok: false, status: 403, statusText: '', text: async () => '{"message":"Forbidden"}'}) as unknown as Response,
    ) as typeof fetch;
    await act(async () => {
      await toggleCallsInChannel(store, CHANNEL);
    });
    expect(callsState(store.getState()).genericErrorModal).toEqual({
      title: 'Unable to enable calls',
      message: 'Forbidden',
    });
    expect(callsState(store.getState()).channels[CHANNEL].enabled).toBe(false);
  });
});
