// The core of the tests' calls websocket client, lean enough for the load test's many clients per process:
// Mattermost framing (hello, seq, seq_reply, resume), token auth (header or authentication_challenge), the
// calls actions (SDP packed as the webapp packs it) and events delivered as they arrive, with no history.
// calls-client.ts layers history and waiting on top; the cluster user adds failover.
import {EventEmitter} from 'node:events';
import {encode as msgpackEncode} from '@msgpack/msgpack';
import WebSocket from 'ws';
import type {RtcInbound, RtcSignal} from '../../server/src/rtc/types';
import {CALLS_PREFIX, packSDP} from '../../server/src/protocol';
import {nodeZlib} from '../../server/src/protocol-node';
import type {SignalingPort} from '../rtc/support/client';

/** The calls action/event prefix (the protocol's). */
export const CALLS = CALLS_PREFIX;

export interface ServerEvent {
  event: string;
  data: Record<string, unknown>;
  broadcast: Record<string, unknown>;
  seq: number;
}

export interface Reply {
  status: 'OK' | 'FAIL';
  seq_reply: number;
  data?: Record<string, unknown>;
  error?: {id: string; message: string};
}

export interface ConnectOptions {
  /** Authenticate with authentication_challenge instead of the Authorization header. */
  challenge?: boolean;
  /** Resume this connection (connection_id and sequence_number query parameters). */
  connectionID?: string;
  /** The first event seq wanted on resume; `nextSeq` when omitted. */
  sequenceNumber?: number;
  timeoutMs?: number;
}

/** A `signal` event's payload as the RtcSignal a TestClient peer consumes. */
export function parseSignal(data: Record<string, unknown>): RtcSignal {
  const payload = JSON.parse(String(data.data)) as {type: string; sdp?: string; candidate?: unknown};
  if (payload.type === 'candidate')
    return {type: 'ice', data: payload.candidate as Extract<RtcSignal, {type: 'ice'}>['data']};
  return {type: 'sdp', data: payload as Extract<RtcSignal, {type: 'sdp'}>['data']};
}

/**
 * One calls websocket. Emits `event` (ServerEvent, hello included), `reply` (Reply) and
 * `close` (the socket, whether it had opened, code, reason).
 */
export class CallsSocket extends EventEmitter {
  connID = '';
  /** The first connection id of this client = its call session id once joined. */
  originalConnID = '';
  /** The seq of the next server event expected (what a resume asks for). */
  nextSeq = 0;
  #ws: WebSocket | null = null;
  #seq = 1;

  constructor(
    public baseURL: string,
    readonly token: string,
  ) {
    super();
  }

  get wsURL(): string {
    return this.baseURL.replace(/^http/, 'ws') + '/api/v4/websocket';
  }

  get isOpen(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  /** The current socket (the last one connect opened). */
  protected get socket(): WebSocket | null {
    return this.#ws;
  }

  /** Opens the socket and resolves with `hello`. */
  connect(opts: ConnectOptions = {}): Promise<ServerEvent> {
    const params = new URLSearchParams();
    if (opts.connectionID) {
      params.set('connection_id', opts.connectionID);
      params.set('sequence_number', String(opts.sequenceNumber ?? this.nextSeq));
    }
    const ws = new WebSocket(
      this.wsURL + (params.size ? `?${params}` : ''),
      opts.challenge ? {} : {headers: {Authorization: `Bearer ${this.token}`}},
    );
    this.#ws = ws;
    let opened = false;
    ws.on('message', (raw) => this.#onMessage(String(raw)));
    ws.on('close', (code, reason) => this.emit('close', ws, opened, code, reason.toString()));
    // Errors before hello reject connect; later ones end in `close`.
    ws.on('error', () => undefined);
    return new Promise((resolve, reject) => {
      const done = (err: Error | null, hello?: ServerEvent) => {
        clearTimeout(timer);
        this.off('event', onEvent);
        ws.off('error', done);
        ws.off('close', onClose);
        if (err) reject(err);
        else resolve(hello!);
      };
      const timer = setTimeout(() => done(new Error('websocket hello timed out')), opts.timeoutMs ?? 10_000);
      const onEvent = (e: ServerEvent) => {
        if (e.event === 'hello' && this.#ws === ws) done(null, e);
      };
      const onClose = () => done(new Error('websocket closed before hello'));
      this.on('event', onEvent);
      ws.once('error', done);
      ws.once('close', onClose);
      ws.once('open', () => {
        opened = true;
        if (opts.challenge)
          this.sendRaw({action: 'authentication_challenge', seq: this.#seq++, data: {token: this.token}});
      });
    });
  }

  #onMessage(text: string): void {
    let msg: ServerEvent & Reply;
    try {
      msg = JSON.parse(text) as ServerEvent & Reply;
    } catch {
      return;
    }
    if (msg.seq_reply !== undefined) {
      this.emit('reply', msg);
      return;
    }
    this.nextSeq = msg.seq + 1;
    if (msg.event === 'hello') {
      this.connID = String(msg.data.connection_id);
      if (!this.originalConnID) this.originalConnID = this.connID;
    }
    this.emit('event', msg);
  }

  /** Sends a frame as it is (string or bytes) or as JSON; dropped when the socket is not open. */
  sendRaw(frame: unknown): void {
    if (this.#ws?.readyState !== WebSocket.OPEN) return;
    this.#ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  /** Sends a core action (e.g. `ping`) with a fresh seq; returns the seq. */
  sendAction(action: string, data?: Record<string, unknown>): number {
    const seq = this.#seq++;
    this.sendRaw({action, seq, ...(data ? {data} : {})});
    return seq;
  }

  /** Sends a calls action (suffix) as JSON; returns the seq used. */
  send(action: string, data: Record<string, unknown> = {}): number {
    return this.sendAction(CALLS + action, data);
  }

  /** Sends a calls action as a msgpack binary frame (how clients send sdp). */
  sendBinary(action: string, data: Record<string, unknown>): void {
    this.sendRaw(Buffer.from(msgpackEncode({action: CALLS + action, seq: this.#seq++, data})));
  }

  sendSDP(desc: {type: string; sdp: string}): void {
    this.sendBinary('sdp', {data: packSDP(desc as {type: string; sdp?: string}, nodeZlib)});
  }

  /** Joins a call; resolves on this connection's join ack, rejects with the error event's text or when the socket closes. */
  join(channelID: string, extra: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<void> {
    const ws = this.#ws;
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.off('event', onEvent);
        this.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => done(new Error('join timed out')), timeoutMs);
      const onEvent = (e: ServerEvent) => {
        if ((e.event !== CALLS + 'join' && e.event !== CALLS + 'error') || e.data.connID !== this.connID) return;
        done(e.event === CALLS + 'error' ? new Error(`join failed: ${String(e.data.data)}`) : undefined);
      };
      const onClose = (closed: WebSocket, _opened: boolean, code: number, reason: string) => {
        if (closed === ws) done(new Error(`websocket closed: ${code} ${reason}`));
      };
      this.on('event', onEvent);
      this.on('close', onClose);
      this.send('join', {channelID, ...extra});
    });
  }

  /** The SignalingPort a werift TestClient uses: its sdp/ice/actions out as calls actions, `signal` events for its session in. */
  signaling(): SignalingPort {
    return {
      send: (msg: RtcInbound) => {
        switch (msg.type) {
          case 'sdp':
            this.sendSDP(msg.data);
            return;
          case 'ice':
            this.send('ice', {data: JSON.stringify(msg.data)});
            return;
          case 'screen_on':
          case 'video_on':
            this.send(msg.type, {data: JSON.stringify(msg.data)});
            return;
          default:
            this.send(msg.type);
        }
      },
      onSignal: (sessionID, fn) => {
        const listener = (e: ServerEvent) => {
          if (e.event === CALLS + 'signal' && e.data.connID === sessionID) fn(parseSignal(e.data));
        };
        this.on('event', listener);
        return () => this.off('event', listener);
      },
    };
  }

  /** Cuts the connection as a network drop would (no leave, no close handshake). */
  async drop(): Promise<void> {
    await this.#end((ws) => ws.terminate());
  }

  /** Closes the socket with a close handshake (terminates it after 2 s without one). */
  async close(): Promise<void> {
    await this.#end((ws) => {
      const timer = setTimeout(() => ws.terminate(), 2000);
      ws.once('close', () => clearTimeout(timer));
      ws.close();
    });
  }

  async #end(how: (ws: WebSocket) => void): Promise<void> {
    const ws = this.#ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((r) => ws.once('close', () => r()));
    how(ws);
    await closed;
  }
}
