import {WebSocketClient, WebSocketReconnectTimeoutError, type OpenInfo} from './websocket';
import {FakeWebSocket, useFakeSockets} from '../testing/fake_ws';

const quiet = {debug: () => undefined, warn: () => undefined, error: () => undefined};

function makeClient(extra: Partial<ConstructorParameters<typeof WebSocketClient>[0]> = {}) {
  return new WebSocketClient({url: 'ws://host/api/v4/websocket', WebSocket: FakeWebSocket, logger: quiet, ...extra});
}

/** A client whose socket is open and greeted as conn1; `closed.err` is what it closed with (undefined while not). */
function connectedClient() {
  const c = makeClient();
  const closed: {err?: Error | null} = {};
  c.on('close', (err) => {
    closed.err = err;
  });
  c.connect();
  FakeWebSocket.last.open();
  FakeWebSocket.last.hello('conn1');
  return {c, closed};
}

describe('WebSocketClient', () => {
  useFakeSockets();

  test('hello gives the connection id; the first one is the original id (the calls session id)', () => {
    const c = makeClient();
    const opens: OpenInfo[] = [];
    c.on('open', (i) => opens.push(i));
    c.connect();
    expect(FakeWebSocket.last.url).toBe('ws://host/api/v4/websocket');
    FakeWebSocket.last.open();
    FakeWebSocket.last.hello('conn1');
    expect(opens).toEqual([{connID: 'conn1', originalConnID: 'conn1', prevConnID: '', reconnected: false}]);
    expect(c.connID).toBe('conn1');
    c.close();
  });

  test('requests carry increasing seq numbers; messages sent before hello are queued and flushed after it', () => {
    const c = makeClient();
    c.connect();
    const s1 = c.send('custom_com.mattermost.calls_join', {channelID: 'ch'});
    FakeWebSocket.last.open();
    expect(FakeWebSocket.last.sent).toHaveLength(0);
    FakeWebSocket.last.hello('conn1');
    const s2 = c.send('custom_com.mattermost.calls_mute');
    expect(s2).toBe(s1 + 1);
    expect(FakeWebSocket.last.jsonSent().map((m) => [m.action, m.seq])).toEqual([
      ['custom_com.mattermost.calls_join', s1],
      ['custom_com.mattermost.calls_mute', s2],
    ]);
    c.close();
  });

  test('binary requests are msgpack frames', () => {
    const {c} = connectedClient();
    c.send('custom_com.mattermost.calls_sdp', {data: new Uint8Array([1, 2, 3])}, true);
    expect(FakeWebSocket.last.sent[0]).toBeInstanceOf(Uint8Array);
    c.close();
  });

  test('authenticates with the token when given one', () => {
    const c = makeClient({authToken: 'tok'});
    c.connect();
    FakeWebSocket.last.open();
    expect(FakeWebSocket.last.jsonSent()[0]).toMatchObject({action: 'authentication_challenge', data: {token: 'tok'}});
    c.close();
  });

  test('pings every 5 s; a ping without reply makes it reconnect', () => {
    const c = makeClient();
    const drops: number[] = [];
    c.on('disconnect', () => drops.push(Date.now()));
    c.connect();
    const ws1 = FakeWebSocket.last;
    ws1.open();
    ws1.hello('conn1');
    jest.advanceTimersByTime(5000);
    const ping = ws1.jsonSent().find((m) => m.action === 'ping');
    expect(ping).toBeDefined();
    ws1.reply(ping!.seq, {text: 'pong'});
    jest.advanceTimersByTime(5000);
    const pings = ws1.jsonSent().filter((m) => m.action === 'ping');
    expect(pings).toHaveLength(2);
    expect(drops).toHaveLength(0);
    // No reply to the second ping: at the next tick the socket counts as dead.
    jest.advanceTimersByTime(5000);
    expect(drops).toHaveLength(1);
    expect(ws1.closed).toBe(true);
    jest.advanceTimersByTime(1000);
    expect(FakeWebSocket.instances).toHaveLength(2);
    c.close();
  });

  test('reconnects with the last connection id and next sequence number, keeping the original id', () => {
    const c = makeClient();
    const opens: OpenInfo[] = [];
    c.on('open', (i) => opens.push(i));
    c.connect();
    const ws1 = FakeWebSocket.last;
    ws1.open();
    ws1.hello('conn1', 0);
    ws1.event('custom_com.mattermost.calls_user_joined', {}, 1);
    ws1.event('custom_com.mattermost.calls_user_muted', {}, 2);
    ws1.drop();
    // 1 s first retry delay.
    jest.advanceTimersByTime(999);
    expect(FakeWebSocket.instances).toHaveLength(1);
    jest.advanceTimersByTime(1);
    const ws2 = FakeWebSocket.last;
    expect(ws2).not.toBe(ws1);
    expect(ws2.url).toBe('ws://host/api/v4/websocket?connection_id=conn1&sequence_number=3');
    ws2.open();
    ws2.hello('conn2', 0);
    expect(opens[1]).toEqual({connID: 'conn2', originalConnID: 'conn1', prevConnID: 'conn1', reconnected: true});
    c.close();
  });

  test('retry delay grows by 0.5 s per failed attempt', () => {
    const {c} = connectedClient();
    FakeWebSocket.last.drop();
    const times: number[] = [];
    const start = Date.now();
    for (let i = 0; i < 3; i++) {
      const n = FakeWebSocket.instances.length;
      while (FakeWebSocket.instances.length === n) {
        jest.advanceTimersByTime(100);
      }
      times.push(Date.now() - start);
      FakeWebSocket.last.drop();
    }
    expect(times).toEqual([1000, 2500, 4500]);
    c.close();
  });

  test('gives up after 30 s of continuous disconnection', () => {
    const {c, closed} = connectedClient();
    FakeWebSocket.last.drop();
    // Every attempt fails at once.
    for (let t = 0; t < 29000; t += 100) {
      jest.advanceTimersByTime(100);
      const last = FakeWebSocket.last;
      if (last.readyState === 0) {
        last.drop();
      }
    }
    expect(closed.err).toBeUndefined();
    jest.advanceTimersByTime(1100);
    expect(closed.err).toBeInstanceOf(WebSocketReconnectTimeoutError);
    expect(c.isClosed).toBe(true);
    const attempts = FakeWebSocket.instances.length;
    jest.advanceTimersByTime(10000);
    expect(FakeWebSocket.instances).toHaveLength(attempts);
  });

  test('a reconnect that succeeds within 30 s resets the give-up clock', () => {
    const {c, closed} = connectedClient();
    FakeWebSocket.last.drop();
    jest.advanceTimersByTime(20000);
    FakeWebSocket.last.open();
    FakeWebSocket.last.hello('conn1');
    FakeWebSocket.last.drop();
    jest.advanceTimersByTime(25000);
    expect(closed.err).toBeUndefined();
    c.close();
    expect(closed.err).toBeNull();
  });

  test('close() is idempotent and stops reconnecting', () => {
    const {c} = connectedClient();
    c.close();
    c.close();
    expect(FakeWebSocket.last.closed).toBe(true);
    jest.advanceTimersByTime(60000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });
});
