// The rtcd signalling websocket `/ws` (reference §1.4): authenticated before the upgrade (Basic or
// bearer), a 26-character connection id and a `hello` on open, binary frames only (text is dropped),
// 1 MiB per frame, a ping every 10 s and the connection dropped when no pong came for 20 s. A frame
// that does not decode, or names another group's session, is logged and dropped; a connection that
// keeps sending them is closed. It never affects another connection.
import type {IncomingMessage} from 'node:http';
import type {Duplex} from 'node:stream';
import {type RawData, WebSocket, WebSocketServer} from 'ws';
import {newId} from '../../ids';
import type {Logger} from '../../log';
import type {RtcdMetrics} from '../../metrics';
import {decodeClientMessage, encodeClientMessage, MAX_FRAME_BYTES, WireError, type ClientMessage} from '../wire';
import type {ServiceAuth} from '../../service-kit/auth';
import type {RtcdPeer, RtcdSessions} from './sessions';

export const RTCD_WS_PATH = '/ws';
/** Sent by our plugin when it connects: the extensions it understands (comma list). */
export const RTCD_FEATURES_HEADER = 'x-calls-rtcd-features';

export interface RtcdWsTimings {
  pingIntervalMs: number;
  /** No pong for this long and the connection is dropped. */
  readDeadlineMs: number;
}

export const DEFAULT_WS_TIMINGS: RtcdWsTimings = {pingIntervalMs: 10_000, readDeadlineMs: 20_000};

/** Bad frames a connection may send before it is closed (each one is logged). */
const BAD_FRAMES_BEFORE_CLOSE = 50;

export class RtcdWsServer {
  readonly #wss = new WebSocketServer({noServer: true, maxPayload: MAX_FRAME_BYTES});
  readonly #log: Logger;
  readonly #peers = new Set<Peer>();
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(
    private readonly auth: ServiceAuth,
    private readonly sessions: RtcdSessions,
    private readonly metrics: RtcdMetrics,
    logger: Logger,
    private readonly timings: RtcdWsTimings = DEFAULT_WS_TIMINGS,
  ) {
    this.#log = logger.child({module: 'rtcd-ws'});
    this.#wss.on('error', (err) => this.#log.warn({err: err.message}, 'websocket server error'));
    this.#timer = setInterval(() => this.#ping(), timings.pingIntervalMs);
    this.#timer.unref();
  }

  get connectionCount(): number {
    return this.#peers.size;
  }

  /** Handles an HTTP upgrade for /ws; returns false when the path is not ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== RTCD_WS_PATH) return false;
    socket.on('error', () => socket.destroy());
    if (this.#closed) {
      socket.destroy();
      return true;
    }
    const address = (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.)/, '');
    void this.auth
      .authenticate(req.headers.authorization, address)
      .then((res) => {
        if (!res.ok || res.principal.admin) {
          // Upstream answers a failed auth without upgrading; a status says why.
          const status = !res.ok && res.reason === 'rate_limited' ? '429 Too Many Requests' : '401 Unauthorized';
          socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
          this.#log.info({address, reason: res.ok ? 'admin has no group' : res.reason}, 'websocket refused');
          return;
        }
        const features = String(req.headers[RTCD_FEATURES_HEADER] ?? '')
          .split(',')
          .map((s) => s.trim());
        this.#wss.handleUpgrade(req, socket, head, (ws) =>
          this.#open(ws, res.principal.clientID, features.includes('restart'), address),
        );
      })
      .catch((err) => {
        this.#log.error({err: (err as Error).message}, 'websocket authentication failed');
        socket.destroy();
      });
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const p of this.#peers) p.ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #open(ws: WebSocket, clientID: string, understandsRestart: boolean, address: string): void {
    const peer = new Peer(ws, clientID, understandsRestart, this.metrics);
    this.#peers.add(peer);
    this.metrics.wsConnections.inc({clientID});
    const log = this.#log.child({connID: peer.connID, clientID});
    log.info({address}, 'plugin connected');
    ws.on('error', (err) => log.debug({err: err.message}, 'websocket error'));
    ws.on('pong', () => {
      peer.lastPong = Date.now();
    });
    let chain: Promise<void> = Promise.resolve();
    ws.on('message', (raw, isBinary) => {
      if (!isBinary) {
        log.warn('unexpected text frame dropped');
        return;
      }
      const bytes = frameBytes(raw);
      // In order: a join must be set up before the rtc messages that follow it.
      chain = chain
        .then(() => this.#frame(peer, bytes, log))
        .catch((err) => log.error({err: (err as Error).message}, 'frame handling failed'));
    });
    ws.on('close', () => {
      this.#peers.delete(peer);
      this.metrics.wsConnections.dec({clientID});
      // Its sessions stay: the plugin reconnects and says `reconnect` for them.
      log.info('plugin disconnected');
    });
    peer.send({type: 'hello', data: {clientID, connID: peer.connID}});
  }

  async #frame(peer: Peer, bytes: Uint8Array, log: Logger): Promise<void> {
    let msg: ClientMessage;
    try {
      msg = decodeClientMessage(bytes);
      this.metrics.wsMessages.inc({clientID: peer.clientID, type: msg.type, direction: 'in'});
      await this.sessions.handle(peer, msg);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      peer.badFrames++;
      log.warn({err: err.message, badFrames: peer.badFrames}, 'message refused');
      if (peer.badFrames >= BAD_FRAMES_BEFORE_CLOSE) {
        log.warn('closing a connection that keeps sending bad messages');
        peer.ws.close(1008, 'too many bad messages');
      }
    }
  }

  #ping(): void {
    const now = Date.now();
    for (const p of this.#peers) {
      if (now - p.lastPong > this.timings.readDeadlineMs) {
        this.#log.info(
          {connID: p.connID, clientID: p.clientID},
          'no pong within the read deadline: connection dropped',
        );
        p.ws.terminate();
        continue;
      }
      try {
        p.ws.ping();
      } catch {
        p.ws.terminate();
      }
    }
  }
}

class Peer implements RtcdPeer {
  readonly connID = newId();
  lastPong = Date.now();
  badFrames = 0;

  constructor(
    readonly ws: WebSocket,
    readonly clientID: string,
    readonly understandsRestart: boolean,
    private readonly metrics: RtcdMetrics,
  ) {}

  send(msg: ClientMessage): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // Upstream counts only rtc and vad going out.
    if (msg.type === 'rtc' || msg.type === 'vad')
      this.metrics.wsMessages.inc({clientID: this.clientID, type: msg.type, direction: 'out'});
    this.ws.send(encodeClientMessage(msg), {binary: true});
  }
}

function frameBytes(raw: RawData): Uint8Array {
  if (Array.isArray(raw)) return Buffer.concat(raw);
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw);
  return raw;
}
