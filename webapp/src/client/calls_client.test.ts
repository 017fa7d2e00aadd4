import {CallsClient, CallsClientError, type CallsClientOptions} from './calls_client';
import type {PeerEvents, RTCPeer} from './rtc_peer';
import {Emitter} from '../utils/emitter';
import {FakeWebSocket, useFakeSockets} from '../testing/fake_ws';

const quiet = {debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined};
const P = 'custom_com.mattermost.calls_';

function makeClient(over: Partial<CallsClientOptions> = {}) {
  return new CallsClient({
    channelID: 'channel1',
    wsURL: 'ws://host/api/v4/websocket',
    iceServers: [],
    dcSignaling: false,
    dcLocking: false,
    simulcast: false,
    WebSocket: FakeWebSocket,
    logger: quiet,
    ...over,
  });
}

/** What the client closed with, read when called: undefined while it is open. */
function closedWith(c: CallsClient): () => CallsClientError | null | undefined {
  let closed: CallsClientError | null | undefined;
  c.on('close', (err) => {
    closed = err;
  });
  return () => closed;
}

describe('CallsClient websocket', () => {
  useFakeSockets();

  test('joins on hello, and after a drop reconnects with the original and previous connection ids', async () => {
    const c = makeClient();
    const audioErrors: string[] = [];
    c.on('audioError', (k) => audioErrors.push(k));
    await c.init();
    // jsdom has no microphone: the join still goes ahead.
    expect(audioErrors).toEqual(['missing']);
    const ws1 = FakeWebSocket.last;
    ws1.open();
    ws1.hello('conn1');
    expect(ws1.jsonSent()).toEqual([
      expect.objectContaining({action: `${P}join`, data: expect.objectContaining({channelID: 'channel1'})}),
    ]);

    ws1.drop();
    jest.advanceTimersByTime(1000);
    const ws2 = FakeWebSocket.last;
    expect(ws2.url).toContain('connection_id=conn1');
    ws2.open();
    ws2.hello('conn2');
    const sent = ws2.jsonSent();
    expect(sent[0]).toMatchObject({
      action: `${P}reconnect`,
      data: {channelID: 'channel1', originalConnID: 'conn1', prevConnID: 'conn1'},
    });
    expect(sent[1]).toMatchObject({action: `${P}call_state`, data: {channelID: 'channel1'}});
    expect(sent.some((m) => m.action === `${P}join`)).toBe(false);
    c.disconnect();
  });

  test('acts only on join errors addressed to its own connection', async () => {
    const c = makeClient();
    const closed = closedWith(c);
    await c.init();
    const ws = FakeWebSocket.last;
    ws.open();
    ws.hello('conn1');
    ws.event(`${P}error`, {connID: 'someone-else', data: 'nope'}, 1);
    expect(closed()).toBeUndefined();
    ws.event(`${P}error`, {connID: 'conn1', data: 'user cannot join because of limits'}, 2);
    expect(closed()).toBeInstanceOf(CallsClientError);
    expect(closed()?.kind).toBe('join');
    expect(closed()?.message).toBe('user cannot join because of limits');
    // Leaving tells the server.
    expect(ws.jsonSent().some((m) => m.action === `${P}leave`)).toBe(true);
  });

  test('gives up with a reconnect timeout after 30 s offline', async () => {
    const c = makeClient();
    const closed = closedWith(c);
    await c.init();
    FakeWebSocket.last.open();
    FakeWebSocket.last.hello('conn1');
    FakeWebSocket.last.drop();
    jest.advanceTimersByTime(29000);
    expect(closed()).toBeUndefined();
    jest.advanceTimersByTime(2000);
    expect(closed()?.kind).toBe('ws_reconnect_timeout');
    expect(c.isClosed).toBe(true);
  });

  test('forwards call_state events from its own socket', async () => {
    const c = makeClient();
    const events: string[] = [];
    c.on('wsEvent', (m) => events.push(m.event));
    await c.init();
    FakeWebSocket.last.open();
    FakeWebSocket.last.hello('conn1');
    FakeWebSocket.last.event(`${P}call_state`, {channel_id: 'channel1', call: '{}'}, 1);
    FakeWebSocket.last.event(`${P}user_joined`, {user_id: 'u', session_id: 's'}, 2);
    expect(events).toEqual([`${P}call_state`]);
    c.disconnect();
  });
});

/** A scripted RTC peer: the test decides when it connects or fails, and sees what the client adds to it. */
class FakePeer extends Emitter<PeerEvents> {
  destroyed = false;
  screens: MediaStream[] = [];
  rtt = 0;
  signal(): void {
    // The server's answers are not needed here.
  }
  async addTrack(): Promise<void> {
    // not used without a microphone
  }
  async addScreenStream(stream: MediaStream): Promise<void> {
    this.screens.push(stream);
  }
  async replaceTrack(): Promise<void> {
    // not used
  }
  async removeTracks(): Promise<void> {
    // not used
  }
  hasSenderFor(track: MediaStreamTrack): boolean {
    return this.screens.some((s) => s.getVideoTracks().includes(track));
  }
  async getStats(): Promise<RTCStatsReport> {
    return new Map() as unknown as RTCStatsReport;
  }
  handleMetrics(): void {
    // not used
  }
  destroy(): void {
    this.destroyed = true;
  }
}

function fakeScreen(): MediaStream {
  const track = {
    kind: 'video',
    id: 'v1',
    stop: () => undefined,
    addEventListener: () => undefined,
  } as unknown as MediaStreamTrack;
  return {
    id: 'screen-stream-1',
    getTracks: () => [track],
    getVideoTracks: () => [track],
    getAudioTracks: () => [],
  } as unknown as MediaStream;
}

describe('CallsClient rtc_reconnect (the call moved to another node)', () => {
  let peers: FakePeer[];

  useFakeSockets();
  beforeEach(() => {
    peers = [];
  });

  function createPeer(): RTCPeer {
    const p = new FakePeer();
    peers.push(p);
    return p as unknown as RTCPeer;
  }

  async function joined(peerRecoveryMs?: number) {
    const c = makeClient({peerRecoveryMs, createPeer});
    const closes: Array<CallsClientError | null> = [];
    const reconnecting: string[] = [];
    c.on('close', (err) => closes.push(err));
    c.on('rtcReconnecting', (why) => reconnecting.push(why));
    await c.init();
    const ws = FakeWebSocket.last;
    ws.open();
    ws.hello('conn1');
    ws.event(`${P}join`, {connID: 'conn1'}, 1);
    expect(peers).toHaveLength(1);
    peers[0].emit('connect');
    expect(c.isConnected).toBe(true);
    return {c, ws, closes, reconnecting};
  }

  test('for its own session: a new peer over the same session (no leave, no join), and the screen share goes on', async () => {
    const {c, ws, closes, reconnecting} = await joined();
    const screen = fakeScreen();
    await c.shareScreen(screen);
    expect(peers[0].screens).toEqual([screen]);

    ws.event(
      `${P}rtc_reconnect`,
      {channelID: 'channel1', call_id: 'call1', session_id: 'someone-else', reason: 'x'},
      2,
    );
    expect(peers).toHaveLength(1);

    ws.event(
      `${P}rtc_reconnect`,
      {
        channelID: 'channel1',
        call_id: 'call1',
        session_id: 'conn1',
        reason: 'the call moved from node calls1 to node calls2',
      },
      3,
    );
    expect(peers).toHaveLength(2);
    expect(peers[0].destroyed).toBe(true);
    expect(c.isConnected).toBe(false);
    expect(reconnecting).toEqual(['the call moved from node calls1 to node calls2']);
    peers[1].emit('connect');
    await Promise.resolve();
    expect(c.isConnected).toBe(true);
    expect(peers[1].screens).toEqual([screen]);
    expect(c.localScreenStream).toBe(screen);
    const actions = ws.jsonSent().map((m) => m.action);
    expect(actions.filter((a) => a === `${P}join`)).toHaveLength(1);
    expect(actions).not.toContain(`${P}leave`);
    expect(closes).toEqual([]);
    expect(c.sessionID).toBe('conn1');
    c.disconnect();
  });

  test('a connection that fails waits for rtc_reconnect, and leaves with the error when none comes', async () => {
    // Short grace here: beyond 10 s the scripted socket, which answers no pings, would be dropped.
    const {c, ws, closes} = await joined(3000);
    peers[0].emit('close', new Error('connection failed'));
    jest.advanceTimersByTime(2900);
    expect(closes).toEqual([]);
    ws.event(`${P}rtc_reconnect`, {channelID: 'channel1', call_id: 'call1', session_id: 'conn1', reason: 'moved'}, 2);
    peers[1].emit('connect');
    jest.advanceTimersByTime(1000);
    expect(closes).toEqual([]);
    expect(c.isConnected).toBe(true);

    peers[1].emit('close', new Error('connection failed'));
    jest.advanceTimersByTime(2900);
    expect(closes).toEqual([]);
    jest.advanceTimersByTime(200);
    expect(closes).toHaveLength(1);
    expect(closes[0]?.kind).toBe('peer');
    expect(c.isClosed).toBe(true);
    expect(ws.jsonSent().some((m) => m.action === `${P}leave`)).toBe(true);
  });

  test('rtc_unavailable: the client stays in the call as long as the server says, and rtc_reconnect brings it back', async () => {
    const {c, ws, closes} = await joined(3000);
    const unavailable: string[] = [];
    c.on('rtcUnavailable', (why) => unavailable.push(why));
    // Someone else's event changes nothing.
    ws.event(
      `${P}rtc_unavailable`,
      {channelID: 'channel1', call_id: 'call1', session_id: 'someone-else', reason: 'x'},
      2,
    );
    expect(c.isMediaUnavailable).toBe(false);

    // The browser notices first that its connection failed; then the server says the media is away.
    peers[0].emit('close', new Error('connection failed'));
    ws.event(
      `${P}rtc_unavailable`,
      {channelID: 'channel1', call_id: 'call1', session_id: 'conn1', reason: 'no calls handler node is running'},
      3,
    );
    expect(unavailable).toEqual(['no calls handler node is running']);
    expect(c.isMediaUnavailable).toBe(true);
    expect(c.isConnected).toBe(false);
    expect(peers[0].destroyed).toBe(true);
    // A minute, far beyond the recovery timer: still in the call on the same socket, and no leave.
    for (let i = 0; i < 12; i++) {
      jest.advanceTimersByTime(5000);
      const ping = ws
        .jsonSent()
        .filter((m) => m.action === 'ping')
        .pop();
      if (ping) {
        ws.reply(ping.seq);
      }
    }
    expect(FakeWebSocket.last).toBe(ws);
    expect(closes).toEqual([]);
    expect(c.isClosed).toBe(false);
    expect(ws.jsonSent().map((m) => m.action)).not.toContain(`${P}leave`);
    expect(peers).toHaveLength(1);

    // A handler takes the call over: a new peer, connected, and the failure timer works again.
    ws.event(`${P}rtc_reconnect`, {channelID: 'channel1', call_id: 'call1', session_id: 'conn1', reason: 'moved'}, 4);
    expect(peers).toHaveLength(2);
    expect(c.isMediaUnavailable).toBe(false);
    peers[1].emit('connect');
    expect(c.isConnected).toBe(true);
    peers[1].emit('close', new Error('connection failed'));
    jest.advanceTimersByTime(3100);
    expect(closes[0]?.kind).toBe('peer');
  });

  test('a connection that never came up is not waited for', async () => {
    const c = makeClient({createPeer});
    const closes: Array<CallsClientError | null> = [];
    c.on('close', (err) => closes.push(err));
    await c.init();
    FakeWebSocket.last.open();
    FakeWebSocket.last.hello('conn1');
    FakeWebSocket.last.event(`${P}join`, {connID: 'conn1'}, 1);
    peers[0].emit('close', new Error('ice failed'));
    expect(closes[0]?.kind).toBe('peer');
  });
});
