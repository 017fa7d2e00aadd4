// Inside Mattermost the plugin's own socket brings the calls events: it opens the plugin's websocket under the
// subpath, hands calls events (only) to the handler, refetches after a reconnect, and carries calls actions.
import {openEventsSocket, sendCallsAction} from './events_socket';
import {FakeWebSocket, useFakeSockets} from '../testing/fake_ws';
import type {WebSocketMessage} from '../types';

describe('the calls events socket inside Mattermost', () => {
  let stop: (() => void) | null = null;
  // Declared first: the socket stops while the timers are still the fake ones.
  afterEach(() => {
    stop?.();
    stop = null;
  });
  useFakeSockets();

  test("opens the plugin's websocket (not Mattermost's), delivers calls events and asks for a refresh after a drop", () => {
    const events: WebSocketMessage[] = [];
    let refreshes = 0;
    stop = openEventsSocket({
      basename: '/chat',
      onEvent: (m) => events.push(m),
      onReconnect: () => refreshes++,
      WebSocket: FakeWebSocket,
    });
    expect(FakeWebSocket.last.url).toBe(`ws://${window.location.host}/chat/plugins/com.mattermost.calls/websocket`);
    FakeWebSocket.last.open();
    FakeWebSocket.last.hello('conn1');
    FakeWebSocket.last.event('custom_com.mattermost.calls_call_start', {channelID: 'c1'}, 1);
    FakeWebSocket.last.event('posted', {}, 2);
    expect(events.map((e) => e.event)).toEqual(['custom_com.mattermost.calls_call_start']);
    expect(refreshes).toBe(0);

    // A calls action for "the main socket" (the pop-out's call_state) goes on this socket.
    expect(sendCallsAction('custom_com.mattermost.calls_call_state', {channelID: 'c1'})).toBe(true);
    expect(FakeWebSocket.last.jsonSent().map((m) => m.action)).toEqual(['custom_com.mattermost.calls_call_state']);

    FakeWebSocket.last.drop();
    jest.advanceTimersByTime(1000);
    expect(FakeWebSocket.instances).toHaveLength(2);
    expect(FakeWebSocket.last.url).toContain('/chat/plugins/com.mattermost.calls/websocket?connection_id=conn1');
    FakeWebSocket.last.open();
    FakeWebSocket.last.hello('conn2');
    expect(refreshes).toBe(1);
  });

  test('once closed, calls actions fall back to the host main socket (none here) and nothing reconnects', () => {
    stop = openEventsSocket({
      basename: '',
      onEvent: () => undefined,
      onReconnect: () => undefined,
      WebSocket: FakeWebSocket,
    });
    stop();
    stop = null;
    expect(FakeWebSocket.last.closed).toBe(true);
    expect(sendCallsAction('custom_com.mattermost.calls_call_state', {channelID: 'c1'})).toBe(false);
    jest.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });
});
