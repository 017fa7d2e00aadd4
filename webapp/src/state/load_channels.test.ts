// The channel list fetched at start (and after every reconnect) must not undo a websocket event that arrived while the
// request was out: a call_start landing during GET /channels left the channel without its call (no join button until
// a reload), because the older list did not have it and the call was taken for one that had ended meanwhile.
import {callsState} from './selectors';
import {loadChannels} from './actions';
import {handleWebSocketEvent} from './ws_events';
import {CHANNEL, ALICE, channel, makeStore} from '../testing/store';
import type {WebSocketMessage} from '../types';

const P = 'custom_com.mattermost.calls_';

function callStart(store: ReturnType<typeof makeStore>, callID: string): void {
  handleWebSocketEvent(store, {
    event: `${P}call_start`,
    data: {id: callID, channelID: CHANNEL, start_at: Date.now(), thread_id: 't', post_id: 'p', owner_id: ALICE},
    broadcast: {channel_id: CHANNEL},
    seq: 1,
  } as WebSocketMessage);
}

function callOf(callID: string) {
  return {
    id: callID,
    start_at: Date.now(),
    users: [ALICE],
    states: [],
    sessions: [{session_id: 's1', user_id: ALICE, unmuted: false, raised_hand: 0}],
    thread_id: 't',
    post_id: 'p',
    screen_sharing_session_id: '',
    owner_id: ALICE,
    host_id: ALICE,
  };
}

/** A fetch whose answers the test releases one at a time; each request takes the next body. */
function scriptedChannelsFetch(bodies: unknown[][]): {requests: number; release: () => void} {
  const pending: Array<() => void> = [];
  const state = {
    requests: 0,
    release: () => pending.shift()?.(),
  };
  global.fetch = jest.fn(async () => {
    const body = bodies[Math.min(state.requests, bodies.length - 1)];
    state.requests++;
    await new Promise<void>((resolve) => pending.push(resolve));
    return {ok: true, status: 200, statusText: '', text: async () => JSON.stringify(body)} as unknown as Response;
  }) as typeof fetch;
  return state;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
  }
}

describe('loadChannels racing websocket events', () => {
  const prevFetch = global.fetch;
  afterEach(() => {
    global.fetch = prevFetch;
  });

  test('a call that starts while the list is being fetched keeps its call (and the list is fetched again)', async () => {
    const store = makeStore({channels: [channel(CHANNEL, 'O', 'town-square', 'Town Square')]});
    // The first answer was built before the call started; the second after.
    const http = scriptedChannelsFetch([
      [{channel_id: CHANNEL, enabled: true}],
      [{channel_id: CHANNEL, enabled: true, call: callOf('c1')}],
    ]);
    const loading = loadChannels(store);
    await settle();
    callStart(store, 'c1');
    http.release();
    await settle();
    expect(callsState(store.getState()).calls[CHANNEL]?.ID).toBe('c1');
    expect(http.requests).toBe(2);
    http.release();
    await loading;
    const call = callsState(store.getState()).calls[CHANNEL];
    expect(call?.ID).toBe('c1');
    expect(Object.keys(callsState(store.getState()).sessions[CHANNEL] || {})).toEqual(['s1']);
  });

  test('without an event in between, a call missing from the list is taken as ended', async () => {
    const store = makeStore({channels: [channel(CHANNEL, 'O', 'town-square', 'Town Square')]});
    callStart(store, 'c0');
    const http = scriptedChannelsFetch([[{channel_id: CHANNEL, enabled: true}]]);
    const loading = loadChannels(store);
    await settle();
    http.release();
    await loading;
    expect(callsState(store.getState()).calls[CHANNEL]).toBeUndefined();
    expect(http.requests).toBe(1);
  });
});
