import '@testing-library/jest-dom';
import {fireEvent, render, screen} from '@testing-library/react';
import React from 'react';
import {Provider} from 'react-redux';

import {HostControlsMenu} from './HostControls';
import {ALICE, CHANNEL, makeStore} from '../../testing/store';
import {PluginIntlProvider} from '../../utils/intl';
import type {SessionUI} from '../../state/calls_state';

test('the host menu sets "Remove from call" apart from the other actions with a separator', () => {
  const session = {session_id: 'sA', user_id: ALICE, unmuted: true, raised_hand: 1, voice: false} as SessionUI;
  render(
    <Provider store={makeStore({admin: true}) as never}>
      <PluginIntlProvider>
        <HostControlsMenu channelID={CHANNEL} session={session} isHost={false} presenting={false} />
      </PluginIntlProvider>
    </Provider>,
  );
  fireEvent.click(screen.getByTestId('calls-host-controls-button'));
  const menu = screen.getByRole('menu');
  const items = [...menu.children].map((el) => el.getAttribute('role') + ':' + (el.textContent || ''));
  expect(items).toEqual([
    'menuitem:Mute participant',
    'menuitem:Lower hand',
    'menuitem:Make host',
    'separator:',
    'menuitem:Remove from call',
  ]);
});
