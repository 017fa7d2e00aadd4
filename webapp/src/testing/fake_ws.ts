// A scripted WebSocket: the test plays the server (hello, events, replies) and inspects what the client sent.
import type {WebSocketLike} from '../client/websocket';

export class FakeWebSocket implements WebSocketLike {
  static instances: FakeWebSocket[] = [];
  static get last(): FakeWebSocket {
    return FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
  }

  readyState = 0;
  binaryType = 'blob';
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: {code?: number; reason?: string}) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: {data: unknown}) => void) | null = null;
  sent: Array<string | ArrayBufferLike | ArrayBufferView> = [];
  closed = false;

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }

  send(data: string | ArrayBufferLike | ArrayBufferView): void {
    if (this.readyState !== 1) {
      throw new Error('not open');
    }
    this.sent.push(data);
  }

  close(): void {
    this.closed = true;
    this.readyState = 3;
  }

  // ---- server side ----
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  hello(connID: string, seq = 0): void {
    this.event('hello', {connection_id: connID}, seq);
  }

  event(event: string, data: Record<string, unknown>, seq: number, broadcast: Record<string, unknown> = {}): void {
    this.onmessage?.({data: JSON.stringify({event, data, broadcast, seq})});
  }

  reply(seqReply: number, data: Record<string, unknown> = {}): void {
    this.onmessage?.({data: JSON.stringify({status: 'OK', seq_reply: seqReply, data})});
  }

  /** The network dropped the connection. */
  drop(): void {
    this.readyState = 3;
    this.onclose?.({code: 1006});
  }

  jsonSent(): Array<{action: string; seq: number; data: Record<string, unknown>}> {
    return this.sent.filter((s): s is string => typeof s === 'string').map((s) => JSON.parse(s));
  }
}

/** For a describe block of socket tests: no sockets from an earlier test, and fake timers (real ones after). */
export function useFakeSockets(): void {
  beforeEach(() => {
    FakeWebSocket.instances = [];
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });
}
