// The client state while the server says the call's media is away (rtc_unavailable): reconnecting, still in the
// call, until the media comes back (rtc_reconnect, then connected) or the client leaves.
import {action} from './action_types';
import {callsState} from './selectors';
import {CHANNEL, DM, makeStore} from '../testing/store';

function connected() {
  const store = makeStore();
  store.dispatch(action('CLIENT_CONNECTING', {channelID: CHANNEL, starting: false}));
  store.dispatch(action('CLIENT_CONNECTED', {channelID: CHANNEL, sessionID: 'sMe', connected: true}));
  return store;
}

describe('media unavailable', () => {
  test('marks the connection reconnecting and media-unavailable, keeping the session', () => {
    const store = connected();
    store.dispatch(
      action('CLIENT_MEDIA_UNAVAILABLE', {channelID: CHANNEL, reason: 'no calls handler node is running'}),
    );
    expect(callsState(store.getState()).client).toEqual({
      channelID: CHANNEL,
      sessionID: 'sMe',
      connected: false,
      starting: false,
      reconnecting: true,
      mediaUnavailable: true,
    });
  });

  test('ignores another channel', () => {
    const store = connected();
    store.dispatch(action('CLIENT_MEDIA_UNAVAILABLE', {channelID: DM, reason: 'x'}));
    expect(callsState(store.getState()).client?.mediaUnavailable).toBeFalsy();
    expect(callsState(store.getState()).client?.connected).toBe(true);
  });

  test('rtc_reconnect keeps it reconnecting (no longer unavailable), and the new connection clears both', () => {
    const store = connected();
    store.dispatch(action('CLIENT_MEDIA_UNAVAILABLE', {channelID: CHANNEL, reason: 'x'}));
    store.dispatch(
      action('CLIENT_CONNECTED', {channelID: CHANNEL, sessionID: 'sMe', connected: false, reconnecting: true}),
    );
    expect(callsState(store.getState()).client).toMatchObject({
      connected: false,
      reconnecting: true,
      mediaUnavailable: false,
    });
    store.dispatch(action('CLIENT_CONNECTED', {channelID: CHANNEL, sessionID: 'sMe', connected: true}));
    expect(callsState(store.getState()).client).toMatchObject({
      sessionID: 'sMe',
      connected: true,
      reconnecting: false,
      mediaUnavailable: false,
    });
  });
});
