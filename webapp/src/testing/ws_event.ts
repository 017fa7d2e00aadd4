// Delivers a calls websocket event to the plugin's handler as the host's main socket would, inside act() so the
// components that read the store re-render before the test looks.
import {act} from '@testing-library/react';

import {CALLS_PREFIX} from '@calls/protocol';

import type {makeStore} from './store';
import {handleWebSocketEvent} from '../state/ws_events';
import type {WebSocketMessage} from '../types';

export function callsEvent(
  store: ReturnType<typeof makeStore>,
  event: string,
  data: Record<string, unknown>,
  channelID = '',
): void {
  act(() => {
    handleWebSocketEvent(store, {
      event: `${CALLS_PREFIX}${event}`,
      data,
      broadcast: {channel_id: channelID},
      seq: 1,
    } as WebSocketMessage);
  });
}
