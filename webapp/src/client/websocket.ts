// A Mattermost-framing websocket client (reference calls-protocol.md §1.1, §3.6; webapp.md §3.4): hello and the
// connection id, server sequence numbers, an app-level ping every 5 s, and reconnect with the last connection id and
// sequence number (1 s delay + 0.5 s per attempt) until 30 s of continuous disconnection, then it gives up.
// Used by the calls client (its own socket) and by the standalone host page (the main socket).

import {PLUGIN_WEBSOCKET_PATH} from '@calls/protocol';
import {encode as msgpackEncode, decode as msgpackDecode} from '@msgpack/msgpack';

import {Emitter} from '../utils/emitter';
import type {WebSocketMessage} from '../types';

export interface WebSocketLike {
  readyState: number;
  binaryType: string;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: {code?: number; reason?: string}) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: {data: unknown}) => void) | null;
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketCtor = new (url: string) => WebSocketLike;

export interface WebSocketClientOptions {
  /** ws(s)://host[/basename]/api/v4/websocket, or the plugin's websocket inside Mattermost */
  url: string;
  /** Sent as authentication_challenge when the cookie cannot be used (recorder, tests). */
  authToken?: string;
  pingIntervalMs?: number;
  reconnectTimeoutMs?: number;
  reconnectBaseDelayMs?: number;
  reconnectStepMs?: number;
  WebSocket?: WebSocketCtor;
  now?: () => number;
  logger?: Pick<Console, 'debug' | 'warn' | 'error'>;
}

export interface OpenInfo {
  connID: string;
  originalConnID: string;
  /** The connection id before the drop ('' on first open). */
  prevConnID: string;
  reconnected: boolean;
}

export interface Reply {
  status: string;
  seq_reply: number;
  data?: Record<string, unknown>;
  error?: {id?: string; message?: string};
}

export class WebSocketReconnectTimeoutError extends Error {
  constructor() {
    super('websocket reconnect timed out');
    this.name = 'WebSocketReconnectTimeoutError';
  }
}

type WSEvents = {
  /** After hello: the connection is usable. */
  open: [OpenInfo];
  /** Any server event, hello included. */
  event: [WebSocketMessage];
  reply: [Reply];
  /** The socket dropped; the client is reconnecting. */
  disconnect: [];
  /** Terminal: null when closed by close(), an error when it gave up. */
  close: [Error | null];
};

const OPEN = 1;
const MAX_QUEUE = 200;

export class WebSocketClient extends Emitter<WSEvents> {
  readonly #opts: Required<Omit<WebSocketClientOptions, 'authToken' | 'WebSocket' | 'logger'>> &
    Pick<WebSocketClientOptions, 'authToken'>;
  readonly #Ctor: WebSocketCtor;
  readonly #log: Pick<Console, 'debug' | 'warn' | 'error'>;
  #ws: WebSocketLike | null = null;
  #connID = '';
  #originalConnID = '';
  #prevConnID = '';
  #serverSeq = 0;
  #clientSeq = 1;
  #pendingPingSeq: number | null = null;
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  #giveUpTimer: ReturnType<typeof setTimeout> | null = null;
  #attempt = 0;
  #disconnectedAt = 0;
  #ready = false;
  #closed = false;
  #queue: Array<string | Uint8Array> = [];

  constructor(opts: WebSocketClientOptions) {
    super();
    this.#opts = {
      url: opts.url,
      authToken: opts.authToken,
      pingIntervalMs: opts.pingIntervalMs ?? 5000,
      reconnectTimeoutMs: opts.reconnectTimeoutMs ?? 30000,
      reconnectBaseDelayMs: opts.reconnectBaseDelayMs ?? 1000,
      reconnectStepMs: opts.reconnectStepMs ?? 500,
      now: opts.now ?? (() => Date.now()),
    };
    const Ctor =
      opts.WebSocket ?? (typeof WebSocket === 'undefined' ? undefined : (WebSocket as unknown as WebSocketCtor));
    if (!Ctor) {
      throw new Error('no WebSocket implementation available');
    }
    this.#Ctor = Ctor;
    this.#log = opts.logger ?? console;
  }

  get connID(): string {
    return this.#connID;
  }

  get originalConnID(): string {
    return this.#originalConnID;
  }

  get isReady(): boolean {
    return this.#ready;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  connect(): void {
    if (this.#closed) {
      throw new Error('websocket client is closed');
    }
    this.#open();
  }

  /** Sends a request; queued while reconnecting and flushed after the next hello. Returns its seq. */
  send(action: string, data: Record<string, unknown> = {}, binary = false): number {
    const seq = this.#clientSeq++;
    const msg = {action, seq, data};
    const frame = binary ? msgpackEncode(msg) : JSON.stringify(msg);
    if (this.#ready && this.#ws && this.#ws.readyState === OPEN) {
      this.#ws.send(frame);
    } else if (!this.#closed) {
      if (this.#queue.length >= MAX_QUEUE) {
        this.#queue.shift();
      }
      this.#queue.push(frame);
    }
    return seq;
  }

  /** Closes for good (idempotent). Messages still queued are sent first when the socket is open. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#ready = false;
    this.#clearTimers();
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      this.#detach(ws);
      try {
        ws.close(1000);
      } catch {
        // already closing
      }
    }
    this.emit('close', null);
    this.removeAllListeners();
  }

  /** Drops the current socket as if the network failed (used by the ping watchdog and by tests). */
  dropConnection(): void {
    const ws = this.#ws;
    if (!ws || this.#closed) {
      return;
    }
    this.#detach(ws);
    try {
      ws.close(4000);
    } catch {
      // ignore
    }
    this.#onDrop();
  }

  #url(): string {
    if (!this.#connID) {
      return this.#opts.url;
    }
    const sep = this.#opts.url.includes('?') ? '&' : '?';
    return `${this.#opts.url}${sep}connection_id=${encodeURIComponent(this.#connID)}&sequence_number=${this.#serverSeq}`;
  }

  #open(): void {
    let ws: WebSocketLike;
    try {
      ws = new this.#Ctor(this.#url());
    } catch (err) {
      this.#log.warn('websocket: cannot open', err);
      this.#onDrop();
      return;
    }
    this.#ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      if (this.#opts.authToken) {
        ws.send(
          JSON.stringify({
            action: 'authentication_challenge',
            seq: this.#clientSeq++,
            data: {token: this.#opts.authToken},
          }),
        );
      }
    };
    ws.onmessage = (ev) => this.#onMessage(ev.data);
    ws.onerror = () => {
      // onclose follows; nothing to do here.
    };
    ws.onclose = () => {
      this.#detach(ws);
      this.#onDrop();
    };
  }

  #detach(ws: WebSocketLike): void {
    ws.onopen = null;
    ws.onclose = null;
    ws.onerror = null;
    ws.onmessage = null;
    if (this.#ws === ws) {
      this.#ws = null;
    }
  }

  #onMessage(raw: unknown): void {
    let msg: Record<string, unknown>;
    try {
      if (typeof raw === 'string') {
        msg = JSON.parse(raw);
      } else if (raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)) {
        msg = msgpackDecode(raw as ArrayBuffer) as Record<string, unknown>;
      } else {
        return;
      }
    } catch (err) {
      this.#log.warn('websocket: bad frame', err);
      return;
    }
    if (typeof msg.seq_reply === 'number') {
      const reply = msg as unknown as Reply;
      if (reply.seq_reply === this.#pendingPingSeq) {
        this.#pendingPingSeq = null;
      }
      this.emit('reply', reply);
      return;
    }
    if (typeof msg.event !== 'string') {
      return;
    }
    const ev = msg as unknown as WebSocketMessage;
    if (typeof ev.seq === 'number') {
      if (ev.event !== 'hello' && ev.seq !== this.#serverSeq) {
        this.#log.debug?.(`websocket: expected seq ${this.#serverSeq}, got ${ev.seq}`);
      }
      this.#serverSeq = ev.seq + 1;
    }
    if (ev.event === 'hello') {
      this.#onHello(String((ev.data as {connection_id?: string}).connection_id || ''));
    }
    this.emit('event', ev);
  }

  #onHello(connID: string): void {
    const reconnected = Boolean(this.#originalConnID);
    const prevConnID = this.#connID;
    this.#prevConnID = prevConnID;
    this.#connID = connID;
    if (!this.#originalConnID) {
      this.#originalConnID = connID;
    }
    this.#ready = true;
    this.#attempt = 0;
    this.#disconnectedAt = 0;
    if (this.#giveUpTimer) {
      clearTimeout(this.#giveUpTimer);
      this.#giveUpTimer = null;
    }
    this.#startPing();
    this.emit('open', {connID, originalConnID: this.#originalConnID, prevConnID: this.#prevConnID, reconnected});
    this.#flush();
  }

  #flush(): void {
    const ws = this.#ws;
    while (this.#queue.length && ws && ws.readyState === OPEN && this.#ready) {
      ws.send(this.#queue.shift() as string | Uint8Array);
    }
  }

  #startPing(): void {
    if (this.#pingTimer) {
      clearInterval(this.#pingTimer);
    }
    this.#pendingPingSeq = null;
    this.#pingTimer = setInterval(() => {
      if (!this.#ready) {
        return;
      }
      if (this.#pendingPingSeq !== null) {
        // The previous ping got no reply: the socket is dead even if the browser has not noticed.
        this.#log.warn('websocket: ping timeout, reconnecting');
        this.dropConnection();
        return;
      }
      this.#pendingPingSeq = this.send('ping');
    }, this.#opts.pingIntervalMs);
  }

  #onDrop(): void {
    if (this.#closed) {
      return;
    }
    const wasReady = this.#ready;
    this.#ready = false;
    this.#pendingPingSeq = null;
    if (this.#pingTimer) {
      clearInterval(this.#pingTimer);
      this.#pingTimer = null;
    }
    const now = this.#opts.now();
    if (!this.#disconnectedAt) {
      this.#disconnectedAt = now;
      this.#giveUpTimer = setTimeout(() => this.#giveUp(), this.#opts.reconnectTimeoutMs);
    }
    if (wasReady) {
      this.emit('disconnect');
    }
    if (now - this.#disconnectedAt >= this.#opts.reconnectTimeoutMs) {
      this.#giveUp();
      return;
    }
    const delay = this.#opts.reconnectBaseDelayMs + this.#opts.reconnectStepMs * this.#attempt;
    this.#attempt++;
    if (this.#reconnectTimer) {
      clearTimeout(this.#reconnectTimer);
    }
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      if (!this.#closed && !this.#ready) {
        this.#open();
      }
    }, delay);
  }

  #giveUp(): void {
    if (this.#closed || this.#ready) {
      return;
    }
    this.#log.error('websocket: could not reconnect, giving up');
    this.#closed = true;
    this.#clearTimers();
    const ws = this.#ws;
    if (ws) {
      this.#detach(ws);
      try {
        ws.close();
      } catch {
        // ignore
      }
    }
    this.emit('close', new WebSocketReconnectTimeoutError());
    this.removeAllListeners();
  }

  #clearTimers(): void {
    if (this.#pingTimer) {
      clearInterval(this.#pingTimer);
      this.#pingTimer = null;
    }
    if (this.#reconnectTimer) {
      clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = null;
    }
    if (this.#giveUpTimer) {
      clearTimeout(this.#giveUpTimer);
      this.#giveUpTimer = null;
    }
  }
}

/** The host's main websocket for this page (same origin, honouring window.basename): the standalone page's. */
export function websocketURL(base = ''): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${window.location.host}${base}/api/v4/websocket`;
}

/**
 * Where the calls events and the call's own socket are: the host's main websocket on our standalone page (its
 * server is ours), the plugin's websocket inside Mattermost, whose /api/v4/websocket carries no calls events.
 * The browser sends the MMAUTHTOKEN cookie with the upgrade, as for Mattermost's own socket.
 */
export function callsWebSocketURL(base: string, insideMattermost: boolean): string {
  if (!insideMattermost) {
    return websocketURL(base);
  }
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${window.location.host}${base}${PLUGIN_WEBSOCKET_PATH}`;
}
