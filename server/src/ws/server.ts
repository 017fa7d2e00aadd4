// The Mattermost-framed websocket, at the path the platform gives (standalone: /api/v4/websocket):
// authentication (cookie, bearer token or authentication_challenge), `hello` with the connection id,
// replies to requests (seq_reply), resumption with connection_id + sequence_number, and dispatch of calls
// actions (connections: connection.ts; frames: frame.ts; what a frame does: actions.ts). Bad frames get a
// FAIL reply; nothing a client sends can take the process down, and every per-socket and per-connection
// structure is bounded (connection caps, resume buffer, send buffer, queues).
import type {IncomingMessage} from 'node:http';
import type {Duplex} from 'node:stream';
import {type RawData, WebSocket, WebSocketServer} from 'ws';
import {newId} from '../ids';
import type {Logger} from '../log';
import type {AuthSession} from '../platform/types';
import {tokenFromRequest} from '../http/auth';
import {clientAddress} from '../http/client-address';
import {AppError} from '../errors';
import {ActionDispatcher, KNOWN_ACTIONS} from './actions';
import {
  type ConnectionCaps,
  ConnectionLimiter,
  LIMIT_CLOSE_CODE,
  limitCloseReason,
  type SocketTicket,
} from './connection-limits';
import {attachRawSocket, Connection, MAX_SEND_BUFFER_BYTES, sendBounded, sendRaw} from './connection';
import {type Frame, frameBytes, parseFrame} from './frame';
import type {Hub} from './hub';
import {InboundBudget, type InboundBudgetOptions} from './inbound-budget';

/** Largest client frame accepted; SDP arrives zlib-compressed, so this is generous. */
export const MAX_FRAME_BYTES = 64 * 1024;
/**
 * Bytes of frames of one socket waiting to be handled. Frames wait only while the socket authenticates
 * (or for the rest of one read); a client that sends a megabyte meanwhile is not a client.
 */
const MAX_PENDING_BYTES = 1024 * 1024;
/** A refused socket that does not answer the close handshake is cut after this. */
const REFUSED_CLOSE_MS = 2_000;
/** How long a closed connection can be resumed. */
const RESUME_WINDOW_MS = 60_000;
const AUTH_TIMEOUT_MS = 10_000;
const AUTH_RECHECK_MS = 10_000;
const HEARTBEAT_MS = 30_000;

const DEFAULT_RATE = {perSecond: 10, burst: 100};

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
  /** The paths clients connect to: the platform's (PlatformAdapter.websocketPath) and the plugin's. */
  paths: readonly string[];
  /**
   * Calls actions per second per connection and burst (upstream 10/s, burst 100). A user's connections
   * together get twice that, so the limit does not multiply with the number of sockets.
   */
  rateLimit?: {perSecond: number; burst: number};
  /** How often open sockets re-validate their login (upstream 10 s). */
  authRecheckMs?: number;
  /** Connection caps per user and per address (config/limits.ts); none when absent. */
  limits?: ConnectionCaps;
  /** Headers a trusted reverse proxy sets with the client's address (MM_CALLS_TRUSTED_PROXY_IP_HEADER). */
  trustedProxyHeaders?: readonly string[];
  /** How much one user (or unauthenticated address) may make this node read; see inbound-budget.ts. */
  inboundBudget?: InboundBudgetOptions;
}

interface SocketState {
  conn: Connection | null;
  resume: {connID: string; seq: number};
  ticket: SocketTicket;
  /** Bytes of frames received and not handled yet. */
  pending: number;
  /** Reading is paused until the client's inbound budget recovers. */
  paused: boolean;
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
  readonly #limiter: ConnectionLimiter;
  readonly #inbound: InboundBudget;
  readonly #actions: ActionDispatcher;
  readonly #trustedHeaders: readonly string[];
  /** Refusals (and slow-downs) by limit id, so a flood logs one line per thousand rather than one per socket. */
  readonly #refusals = new Map<string, number>();
  #closed = false;

  constructor(opts: WsServerOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({module: 'ws'});
    this.#limiter = new ConnectionLimiter(
      opts.limits ?? {wsConnectionsPerUser: 0, wsConnectionsPerIP: 0, wsUnauthenticatedPerIP: 0, wsUnauthenticated: 0},
    );
    this.#trustedHeaders = opts.trustedProxyHeaders ?? [];
    this.#inbound = new InboundBudget(opts.inboundBudget);
    const rate = opts.rateLimit ?? DEFAULT_RATE;
    this.#actions = new ActionDispatcher(opts.handlers, this.#log, opts.serverVersion, rate);
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
    if (!this.#opts.paths.includes(url.pathname)) return false;
    if (this.#closed) {
      socket.destroy();
      return true;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      attachRawSocket(ws, socket);
      this.#onSocket(ws, req, url);
    });
    return true;
  }

  #onSocket(ws: WebSocket, req: IncomingMessage, url: URL): void {
    ws.on('error', (err) => this.#log.debug({err: err.message}, 'websocket error'));
    const address = clientAddress(req, this.#trustedHeaders);
    const ticket = this.#limiter.open(address);
    if (ticket instanceof AppError) {
      this.#refuse(ws, ticket, {address});
      return;
    }
    this.#sockets.add(ws);
    this.#alive.add(ws);
    this.#opts.handlers.onConnectionCount?.(this.#sockets.size);
    ws.on('pong', () => this.#alive.add(ws));
    const state: SocketState = {
      conn: null,
      resume: {
        connID: url.searchParams.get('connection_id') ?? '',
        seq: Number(url.searchParams.get('sequence_number') ?? '0'),
      },
      ticket,
      pending: 0,
      paused: false,
    };
    // Frames are parsed in arrival order; authentication (async) finishes before the next frame is read.
    let chain: Promise<void> = Promise.resolve();
    ws.on('message', (raw, isBinary) => {
      const bytes = frameBytes(raw);
      if (state.pending + bytes > MAX_PENDING_BYTES) {
        this.#log.info({connID: state.conn?.id, address}, 'websocket closed: too many frames waiting');
        ws.terminate();
        return;
      }
      state.pending += bytes;
      this.#budget(ws, state, bytes);
      chain = chain
        .then(() => this.#onFrame(state, ws, raw, isBinary))
        .catch((err) => this.#log.error({err: (err as Error).message}, 'websocket frame handling failed'))
        .then(() => {
          state.pending -= bytes;
        });
    });
    ws.on('close', () => {
      this.#sockets.delete(ws);
      this.#limiter.release(ticket);
      this.#opts.handlers.onConnectionCount?.(this.#sockets.size);
      const conn = state.conn;
      if (conn && conn.socket === ws) {
        conn.socket = null;
        conn.closedAt = Date.now();
        this.#opts.handlers.onDisconnect(conn.id);
        this.#boundResumable(conn.userID);
      }
    });
    const token = tokenFromRequest(req.headers);
    chain = chain.then(async () => {
      if (token) {
        let session: AuthSession | null = null;
        try {
          session = await this.#opts.handlers.authenticateToken(token);
        } catch (err) {
          // The platform cannot be asked (Mattermost down): "try again later", not "bad login".
          if (err instanceof AppError && err.status === 503) {
            ws.close(1013, err.message.slice(0, 120));
            return;
          }
        }
        if (session && ws.readyState === WebSocket.OPEN) state.conn = this.#attach(ws, state, session);
      }
      if (!state.conn && ws.readyState === WebSocket.OPEN) {
        const refused = this.#limiter.awaitAuthentication(ticket);
        if (refused) {
          this.#refuse(ws, refused, {address});
          return;
        }
        const timer = setTimeout(() => {
          if (!state.conn) ws.close(4401, 'authentication required');
        }, AUTH_TIMEOUT_MS);
        ws.once('close', () => clearTimeout(timer));
      }
    });
  }

  /** Debits a frame from its sender's budget; a sender over budget is not read for a while (TCP backpressure). */
  #budget(ws: WebSocket, state: SocketState, bytes: number): void {
    const key = state.ticket.userID !== null ? `u:${state.ticket.userID}` : `a:${state.ticket.address}`;
    const waitMs = this.#inbound.take(key, bytes);
    if (waitMs === 0 || state.paused) return;
    state.paused = true;
    ws.pause();
    const n = (this.#refusals.get('inbound_budget') ?? 0) + 1;
    this.#refusals.set('inbound_budget', n);
    if (n % 1000 === 1)
      this.#log.warn({key, waitMs, timesSoFar: n}, 'websocket reading slowed: a client sends more than its budget');
    setTimeout(() => {
      state.paused = false;
      if (ws.readyState === WebSocket.OPEN) ws.resume();
    }, waitMs).unref();
  }

  /** Closes a socket refused by a connection cap, with LIMIT_CLOSE_CODE and the limit's id as the reason. */
  #refuse(ws: WebSocket, err: AppError, ctx: Record<string, unknown>): void {
    const n = (this.#refusals.get(err.id) ?? 0) + 1;
    this.#refusals.set(err.id, n);
    if (n % 1000 === 1)
      this.#log.warn({...ctx, limit: err.id, refusedSoFar: n}, 'websocket refused by a connection limit');
    else this.#log.debug({...ctx, limit: err.id}, 'websocket refused by a connection limit');
    ws.close(LIMIT_CLOSE_CODE, limitCloseReason(err));
    // A client that does not answer the close handshake must not keep the socket for ws's 30 s.
    const timer = setTimeout(() => ws.terminate(), REFUSED_CLOSE_MS).unref();
    ws.once('close', () => clearTimeout(timer));
  }

  /**
   * Binds an authenticated socket to a connection: resumed if possible, otherwise new. Sends hello.
   * Returns null (and closes the socket) when the user already holds as many sockets as allowed.
   */
  #attach(ws: WebSocket, state: SocketState, session: AuthSession, challengeSeq?: number): Connection | null {
    const rate = this.#opts.rateLimit ?? DEFAULT_RATE;
    const resume = state.resume;
    let conn = resume.connID ? this.#conns.get(resume.connID) : undefined;
    const resumable = Boolean(conn && conn.userID === session.userID && conn.canResumeFrom(resume.seq));
    const replacing =
      resumable && Boolean(conn!.socket && conn!.socket !== ws && conn!.socket.readyState === WebSocket.OPEN);
    const refused = this.#limiter.authenticate(state.ticket, session.userID, replacing);
    if (refused) {
      if (challengeSeq !== undefined)
        sendRaw(ws, {status: 'FAIL', seq_reply: challengeSeq, error: {id: refused.id, message: refused.message}});
      this.#refuse(ws, refused, {userID: session.userID, address: state.ticket.address});
      return null;
    }
    if (challengeSeq !== undefined) sendRaw(ws, {status: 'OK', seq_reply: challengeSeq});
    if (conn && resumable) {
      if (conn.socket && conn.socket !== ws) conn.socket.close(4000, 'replaced by a newer connection');
    } else {
      conn = new Connection(
        newId(),
        session.userID,
        session.token,
        rate,
        (t) => this.#opts.handlers.onEvent?.('out', t),
        (c) => this.#onSlow(c),
      );
      this.#conns.set(conn.id, conn);
    }
    conn.token = session.token;
    conn.socket = ws;
    conn.closedAt = 0;
    if (resumable) {
      for (const text of conn.resumeFrom(resume.seq)) if (!sendBounded(ws, text)) break;
    } else {
      this.#opts.hub.register(conn);
    }
    conn.send({
      event: 'hello',
      data: {connection_id: conn.id, server_version: this.#opts.serverVersion, server_hostname: ''},
      broadcast: {omit_users: null, user_id: session.userID, channel_id: '', team_id: '', connection_id: ''},
    });
    this.#log.debug({connID: conn.id, userID: conn.userID, resumed: resumable}, 'websocket connected');
    return conn;
  }

  #onSlow(conn: Connection): void {
    this.#log.info(
      {connID: conn.id, userID: conn.userID, limitBytes: MAX_SEND_BUFFER_BYTES},
      'websocket cut: the client is not reading what is sent',
    );
  }

  /**
   * A user keeps at most as many closed, resumable connections as they may have open ones: a client
   * that connects and drops in a loop would otherwise pin a connection and its buffer per socket for the
   * whole resume window. The oldest go first.
   */
  #boundResumable(userID: string): void {
    const max = this.#opts.limits?.wsConnectionsPerUser || 100;
    const closed: Connection[] = [];
    for (const c of this.#opts.hub.userConnections(userID)) {
      const conn = this.#conns.get(c.id);
      if (conn && !conn.socket) closed.push(conn);
    }
    if (closed.length <= max) return;
    closed.sort((a, b) => a.closedAt - b.closedAt);
    for (const conn of closed.slice(0, closed.length - max)) this.#forget(conn);
  }

  #forget(conn: Connection): void {
    if (this.#conns.get(conn.id) === conn) this.#conns.delete(conn.id);
    this.#opts.hub.unregister(conn);
  }

  async #onFrame(state: SocketState, ws: WebSocket, raw: RawData, isBinary: boolean): Promise<void> {
    const conn = state.conn;
    let frame: Frame;
    try {
      frame = parseFrame(raw, isBinary);
    } catch (err) {
      this.#log.info({err: (err as Error).message, connID: conn?.id}, 'bad websocket frame');
      sendRaw(ws, {
        status: 'FAIL',
        seq_reply: 0,
        error: {id: 'api.web_socket_router.bad_frame.app_error', message: (err as Error).message},
      });
      return;
    }
    // Label values must stay a small set whatever clients send.
    this.#opts.handlers.onEvent?.('in', KNOWN_ACTIONS.has(frame.action) ? frame.action : 'other');
    if (!conn) {
      if (frame.action !== 'authentication_challenge') {
        sendRaw(ws, {
          status: 'FAIL',
          seq_reply: frame.seq,
          error: {id: 'api.web_socket_router.not_authenticated.app_error', message: 'authentication required'},
        });
        return;
      }
      const token = typeof frame.data.token === 'string' ? frame.data.token : '';
      let session: AuthSession | null = null;
      try {
        session = token ? await this.#opts.handlers.authenticateToken(token) : null;
      } catch (err) {
        // The platform cannot be asked (Mattermost down): "try again later", not "bad login".
        if (err instanceof AppError && err.status === 503) {
          sendRaw(ws, {status: 'FAIL', seq_reply: frame.seq, error: {id: err.id, message: err.message}});
          ws.close(1013, err.message.slice(0, 120));
          return;
        }
      }
      if (!session) {
        sendRaw(ws, {
          status: 'FAIL',
          seq_reply: frame.seq,
          error: {id: 'api.web_socket_router.bad_token.app_error', message: 'invalid or expired session token'},
        });
        ws.close(4401, 'authentication failed');
        return;
      }
      if (ws.readyState !== WebSocket.OPEN) return;
      state.conn = this.#attach(ws, state, session, frame.seq);
      return;
    }
    if (conn.socket !== ws) return;
    this.#actions.dispatch(conn, frame);
  }

  #sweep(): void {
    const now = Date.now();
    for (const c of this.#conns.values()) {
      if (!c.socket && c.closedAt && now - c.closedAt > RESUME_WINDOW_MS) this.#forget(c);
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
        this.#forget(c);
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
