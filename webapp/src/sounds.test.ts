// Join sounds (reference webapp.md §2.1): join_self for this client's own session, join_user for others joining our
// call while it has fewer participants than the threshold (8), nothing for calls we are not in.
import type {CallsClient} from './client/calls_client';
import {setCallsClient} from './client/current';
import {action} from './state/action_types';
import {handleWebSocketEvent} from './state/ws_events';
import {ALICE, CHANNEL, DM, ME, makeStore} from './testing/store';
import type {WebSocketMessage} from './types';

const P = 'custom_com.mattermost.calls_';

function joined(store: ReturnType<typeof makeStore>, userID: string, sessionID: string, channelID = CHANNEL) {
  handleWebSocketEvent(store, {
    event: `${P}user_joined`,
    data: {user_id: userID, session_id: sessionID},
    broadcast: {channel_id: channelID},
    seq: 1,
  } as WebSocketMessage);
}

const played = () => (window.e2eCallsSoundsPlayed || []).map((s) => s.name);

describe('join sounds', () => {
  beforeEach(() => {
    window.e2eCallsSoundsPlayed = [];
    jest.useFakeTimers();
  });
  afterEach(() => {
    setCallsClient(null);
    jest.useRealTimers();
  });

  test('my own session joining plays join_self; others join_user; calls I am not in play nothing', () => {
    const store = makeStore();
    joined(store, ALICE, 'sA');
    expect(played()).toEqual([]);

    setCallsClient({channelID: CHANNEL, originalConnID: 'sMe', isClosed: false} as unknown as CallsClient);
    store.dispatch(action('CLIENT_CONNECTING', {channelID: CHANNEL, starting: false}));
    joined(store, ME, 'sMe');
    joined(store, ALICE, 'sA2');
    joined(store, ALICE, 'sDM', DM);
    expect(played()).toEqual(['join_self', 'join_user']);
  });

  test('from the threshold on (8 participants), others joining are silent', () => {
    const store = makeStore();
    setCallsClient({channelID: CHANNEL, originalConnID: 'sMe', isClosed: false} as unknown as CallsClient);
    joined(store, ME, 'sMe');
    for (let i = 2; i <= 9; i++) {
      joined(store, ALICE, `s${i}`);
    }
    // Participants 2..7 are heard (the call had fewer than 8); the 8th and 9th are not.
    expect(played().filter((n) => n === 'join_user')).toHaveLength(6);
  });
});
