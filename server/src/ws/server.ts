// The Mattermost-framed websocket at /api/v4/websocket: authentication (cookie, bearer token or
// authentication_challenge), `hello` with the connection id, per-connection sequence numbers, replies
// to requests (seq_reply), resumption with connection_id + sequence_number, and dispatch of calls
// actions. Bad frames get a FAIL reply; nothing a client sends can take the process down.
import type {IncomingMessage} from 'node:http';
import type {Duplex} from 'node:stream';
import {decode as msgpackDecode} from '@msgpack/msgpack';
import {type RawData, WebSocket, WebSocketServer} from 'ws';
import {CALLS_ACTIONS} from '../calls/actions';
import {newId} from '../ids';
import {hasUnstorableText, UNSTORABLE_TEXT} from '../unstorable';
import type {Logger} from '../log';
import type {AuthSession} from '../platform/types';
import {tokenFromRequest} from '../http/auth';
import type {Hub, HubConnection} from './hub';
import type {WebSocketEvent} from './types';

export const WEBSOCKET_PATH = '/api/v4/websocket';
/** Largest client frame accepted; SDP arrives zlib-compressed, so this is generous. */
export const MAX_FRAME_BYTES = 64 * 1024;
/** Events kept per connection so a reconnecting client can resume without losing any. */
const RESUME_BUFFER = 128;
/** How long a closed connection can be resumed. */
const RESUME_WINDOW_MS = 60_000;
const AUTH_TIMEOUT_MS = 10_000;
const AUTH_RECHECK_MS = 10_000;
const HEARTBEAT_MS = 30_000;

const CALLS_PREFIX = 'custom_com.mattermost.calls_';
const KNOWN_ACTIONS = new Set(['authentication_challenge', 'ping', 'user_typing', 'get_statuses', 'get_statuses_by_ids',
  ...[...CALLS_ACTIONS].map((a) => CALLS_PREFIX + a)]);

export interface WsHandlers {
  authenticateToken(token: string): Promise<AuthSession | null>;
  /** A calls action (suffix after the prefix) from an authenticated connection. */
  onCallsAction(conn: {connID: string; userID: string}, action: string, data: Record<string, unknown>): Promise<void>;
  onDisconnect(connID: string): void;
  onAuthRevoked(connID: string): void;
  /** Observes traffic for metrics. */
  onEvent?(direction: 'in' | 'out', type: string): void;
  onConnectionCount?(n: number): void;
}

export interface WsServerOptions {
  hub: Hub;
  handlers: WsHandlers;
  logger: Logger;
  serverVersion: string;
  /** Calls actions per second per connection and burst (upstream 10/s, burst 100). */
  rateLimit?: {perSecond: number; burst: number};
  /** How often open sockets re-validate their login (upstream 10 s). */
  authRecheckMs?: number;
}

interface SocketState {
  conn: Connection | null;
  resume: {connID: string; seq: number};
}

interface Frame {
  action: string;
  seq: number;
  data: Record<string, unknown>;
}

class TokenBucket {
  #tokens: number;
  #last = Date.now();
  constructor(private readonly perSecond: number, private readonly burst: number) {
    this.#tokens = burst;
  }
  take(): boolean {
    const now = Date.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.perSecond);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** One logical Mattermost websocket connection; outlives its socket for the resume window. */
class Connection implements HubConnection {
  socket: WebSocket | null = null;
  /** Next server sequence number. */
  seq = 0;
  readonly sent: {seq: number; text: string}[] = [];
  closedAt = 0;
  readonly bucket: TokenBucket;
  dropped = 0;
  /** Calls actions of this connection, run in order. */
  queue: Promise<void> = Promise.resolve();

  constructor(readonly id: string, readonly userID: string, public token: string, rate: {perSecond: number; burst: number}, private readonly onOut?: (type: string) => void) {
    this.bucket = new TokenBucket(rate.perSecond, rate.burst);
  }

  send(event: WebSocketEvent): void {
    const text = JSON.stringify({event: event.event, data: event.data, broadcast: event.broadcast, seq: this.seq});
    this.sent.push({seq: this.seq, text});
    if (this.sent.length > RESUME_BUFFER) this.sent.shift();
    this.seq++;
    this.onOut?.(event.event);
    this.#write(text);
  }

  reply(seqReply: number, status: 'OK' | 'FAIL', extra: Record<string, unknown> = {}): void {
    this.#write(JSON.stringify({status, seq_reply: seqReply, ...extra}));
  }

  #write(text: string): void {
    const s = this.socket;
    if (s && s.readyState === WebSocket.OPEN) s.send(text);
  }

  /** Whether events from `from` onward are all still buffered. */
  canResumeFrom(from: number): boolean {
    if (from > this.seq || from < 0) return false;
    if (from === this.seq) return true;
    return this.sent.length > 0 && this.sent[0].seq <= from;
  }
}

export class WsServer {
  readonly #wss = new WebSocketServer({noServer: true, maxPayload: MAX_FRAME_BYTES});
  readonly #opts: WsServerOptions;
  readonly #log: Logger;
  readonly #conns = new Map<string, Connection>();
  readonly #sockets = new Set<WebSocket>();
  readonly #sweeper: NodeJS.Timeout;
  readonly #authChecker: NodeJS.Timeout;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #alive = new WeakSet<WebSocket>();
  #closed = false;

  constructor(opts: WsServerOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({module: 'ws'});
    this.#sweeper = setInterval(() => this.#sweep(), 5_000);
    this.#authChecker = setInterval(() => void this.#recheckAuth(), opts.authRecheckMs ?? AUTH_RECHECK_MS);
    this.#heartbeat = setInterval(() => this.#ping(), HEARTBEAT_MS);
    for (const t of [this.#sweeper, this.#authChecker, this.#heartbeat]) t.unref();
  }

  /** Whether the connection currently has an open socket on this node. */
  isOpen(connID: string): boolean {
    const c = this.#conns.get(connID);
    return Boolean(c?.socket && c.socket.readyState === WebSocket.OPEN);
  }

  /** Number of open sockets. */
  get openCount(): number {
    return this.#sockets.size;
  }

  /** Handles an HTTP upgrade for the websocket path; returns false when the path is not ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WEBSOCKET_PATH) return false;
    if (this.#closed) {
      socket.destroy();
      return true;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => void this.#onSocket(ws, req, url));
    return true;
  }

  #onSocket(ws: WebSocket, req: IncomingMessage, url: URL): void {
    this.#sockets.add(ws);
    this.#alive.add(ws);
    this.#opts.handlers.onConnectionCount?.(this.#sockets.size);
    ws.on('pong', () => this.#alive.add(ws));
    ws.on('error', (err) => this.#log.debug({err: err.message}, 'websocket error'));
    const state: SocketState = {
      conn: null,
      resume: {connID: url.searchParams.get('connection_id') ?? '', seq: Number(url.searchParams.get('sequence_number') ?? '0')},
    };
    // Frames are parsed in arrival order; authentication (async) finishes before the next frame is read.
    let chain: Promise<void> = Promise.resolve();
    ws.on('message', (raw, isBinary) => {
      chain = chain.then(() => this.#onFrame(state, ws, raw, isBinary)).catch((err) =>
        this.#log.error({err: (err as Error).message}, 'websocket frame handling failed'));
    });
    ws.on('close', () => {
      this.#sockets.delete(ws);
      this.#opts.handlers.onConnectionCount?.(this.#sockets.size);
      const conn = state.conn;
      if (conn && conn.socket === ws) {
        conn.socket = null;
        conn.closedAt = Date.now();
        this.#opts.handlers.onDisconnect(conn.id);
      }
    });
    const token = tokenFromRequest(req.headers);
    chain = chain.then(async () => {
      if (token) {
        const session = await this.#opts.handlers.authenticateToken(token).catch(() => null);
        if (session && ws.readyState === WebSocket.OPEN) state.conn = this.#attach(ws, session, state.resume);
      }
      if (!state.conn && ws.readyState === WebSocket.OPEN) {
        const timer = setTimeout(() => {
          if (!state.conn) ws.close(4401, 'authentication required');
        }, AUTH_TIMEOUT_MS);
        ws.once('close', () => clearTimeout(timer));
      }
    });
  }

  /** Binds an authenticated socket to a connection: resumed if possible, otherwise new. Sends hello. */
  #attach(ws: WebSocket, session: AuthSession, resume: {connID: string; seq: number}): Connection {
    const rate = this.#opts.rateLimit ?? {perSecond: 10, burst: 100};
    let conn = resume.connID ? this.#conns.get(resume.connID) : undefined;
    let resumed = false;
    if (conn && conn.userID === session.userID && conn.canResumeFrom(resume.seq)) {
      if (conn.socket && conn.socket !== ws) conn.socket.close(4000, 'replaced by a newer connection');
      resumed = true;
    } else {
      conn = new Connection(newId(), session.userID, session.token, rate, (t) => this.#opts.handlers.onEvent?.('out', t));
      this.#conns.set(conn.id, conn);
    }
    conn.token = session.token;
    conn.socket = ws;
    conn.closedAt = 0;
    if (resumed) {
      for (const m of conn.sent) if (m.seq >= resume.seq) ws.send(m.text);
    } else {
      this.#opts.hub.register(conn);
    }
    conn.send({event: 'hello', data: {connection_id: conn.id, server_version: this.#opts.serverVersion, server_hostname: ''}, broadcast: {omit_users: null, user_id: session.userID, channel_id: '', team_id: '', connection_id: ''}});
    this.#log.debug({connID: conn.id, userID: conn.userID, resumed}, 'websocket connected');
    return conn;
  }

  async #onFrame(state: SocketState, ws: WebSocket, raw: RawData, isBinary: boolean): Promise<void> {
    const conn = state.conn;
    let frame: Frame;
    try {
      frame = parseFrame(raw, isBinary);
    } catch (err) {
      this.#log.info({err: (err as Error).message, connID: conn?.id}, 'bad websocket frame');
      sendRaw(ws, {status: 'FAIL', seq_reply: 0, error: {id: 'api.web_socket_router.bad_frame.app_error', message: (err as Error).message}});
      return;
    }
    // Label values must stay a small set whatever clients send.
    this.#opts.handlers.onEvent?.('in', KNOWN_ACTIONS.has(frame.action) ? frame.action : 'other');
    if (!conn) {
      if (frame.action !== 'authentication_challenge') {
        sendRaw(ws, {status: 'FAIL', seq_reply: frame.seq, error: {id: 'api.web_socket_router.not_authenticated.app_error', message: 'authentication required'}});
        return;
      }
      const token = typeof frame.data.token === 'string' ? frame.data.token : '';
      const session = token ? await this.#opts.handlers.authenticateToken(token).catch(() => null) : null;
      if (!session) {
        sendRaw(ws, {status: 'FAIL', seq_reply: frame.seq, error: {id: 'api.web_socket_router.bad_token.app_error', message: 'invalid or expired session token'}});
        ws.close(4401, 'authentication failed');
        return;
      }
      if (ws.readyState !== WebSocket.OPEN) return;
      sendRaw(ws, {status: 'OK', seq_reply: frame.seq});
      state.conn = this.#attach(ws, session, state.resume);
      return;
    }
    if (conn.socket !== ws) return;
    switch (frame.action) {
      case 'authentication_challenge':
        conn.reply(frame.seq, 'OK');
        return;
      case 'ping':
        conn.reply(frame.seq, 'OK', {data: {text: 'pong', version: this.#opts.serverVersion, server_time: Date.now()}});
        return;
      case 'user_typing':
      case 'get_statuses':
      case 'get_statuses_by_ids':
        conn.reply(frame.seq, 'OK', {data: {}});
        return;
    }
    if (!frame.action.startsWith(CALLS_PREFIX)) {
      conn.reply(frame.seq, 'FAIL', {error: {id: 'api.web_socket_router.bad_action.app_error', message: `unknown action: ${frame.action.slice(0, 64)}`}});
      return;
    }
    if (!conn.bucket.take()) {
      // Upstream drops over-limit messages silently; log once per burst so floods cannot fill the log.
      if (conn.dropped++ % 100 === 0) this.#log.warn({connID: conn.id, userID: conn.userID, dropped: conn.dropped}, 'calls messages rate limited');
      return;
    }
    // Calls actions of one connection run one after another (a join finishes before the next action),
    // without holding up pings and other frames.
    const ctx = {connID: conn.id, userID: conn.userID};
    const action = frame.action.slice(CALLS_PREFIX.length);
    conn.queue = conn.queue.then(() => this.#opts.handlers.onCallsAction(ctx, action, frame.data)).catch((err) =>
      this.#log.error({err: (err as Error).message, action}, 'calls action failed'));
  }

  #sweep(): void {
    const now = Date.now();
    for (const [id, c] of this.#conns) {
      if (!c.socket && c.closedAt && now - c.closedAt > RESUME_WINDOW_MS) {
        this.#conns.delete(id);
        this.#opts.hub.unregister(c);
      }
    }
  }

  async #recheckAuth(): Promise<void> {
    for (const c of [...this.#conns.values()]) {
      if (!c.socket) continue;
      const session = await this.#opts.handlers.authenticateToken(c.token).catch(() => 'error' as const);
      if (session === null) {
        this.#log.info({connID: c.id, userID: c.userID}, 'websocket auth session expired');
        this.#opts.handlers.onAuthRevoked(c.id);
        c.socket?.close(4401, 'session expired');
        this.#conns.delete(c.id);
        this.#opts.hub.unregister(c);
      }
    }
  }

  #ping(): void {
    for (const ws of this.#sockets) {
      if (!this.#alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.#alive.delete(ws);
      ws.ping();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweeper);
    clearInterval(this.#authChecker);
    clearInterval(this.#heartbeat);
    for (const ws of this.#sockets) ws.close(1001, 'server shutting down');
    await new Promise<void>((resolve) => {
      const deadline = setTimeout(() => {
        for (const ws of this.#sockets) ws.terminate();
        resolve();
      }, 1000);
      const check = () => {
        if (this.#sockets.size === 0) {
          clearTimeout(deadline);
          resolve();
        } else setTimeout(check, 20);
      };
      check();
    });
    this.#wss.close();
    for (const c of this.#conns.values()) this.#opts.hub.unregister(c);
    this.#conns.clear();
  }
}

function sendRaw(ws: WebSocket, msg: Record<string, unknown>): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
}

/** JSON text or msgpack binary → {action, seq, data}; throws with a reason on anything else. */
export function parseFrame(raw: RawData, isBinary: boolean): Frame {
  const buf = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw as ArrayBuffer);
  let value: unknown;
  if (isBinary) {
    try {
      value = msgpackDecode(buf);
    } catch {
      throw new Error('binary frame is not valid msgpack');
    }
  } else {
    try {
      value = JSON.parse(buf.toString('utf8'));
    } catch {
      throw new Error('frame is not valid JSON');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('frame must be an object');
  if (hasUnstorableText(value)) throw new Error(`frame contains ${UNSTORABLE_TEXT}`);
  const v = value as Record<string, unknown>;
  if (typeof v.action !== 'string' || v.action.length === 0 || v.action.length > 128) throw new Error('frame needs an "action" string');
  const seq = typeof v.seq === 'number' && Number.isFinite(v.seq) ? v.seq : 0;
  let data: Record<string, unknown> = {};
  if (v.data !== undefined && v.data !== null) {
    if (typeof v.data !== 'object' || Array.isArray(v.data) || v.data instanceof Uint8Array) throw new Error('"data" must be an object');
    data = v.data as Record<string, unknown>;
  }
  return {action: v.action, seq, data};
}
