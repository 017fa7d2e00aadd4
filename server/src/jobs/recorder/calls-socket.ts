// The recorder's calls websocket: {SITE_URL}/api/v4/websocket, authenticated with authentication_challenge
// (the bot token), then calls actions out (sdp as msgpack binary, as the webapp sends it) and events in.
// Emits 'event' for each server event and 'close' once the socket is gone.
import {EventEmitter} from 'node:events';
import {encode as msgpackEncode} from '@msgpack/msgpack';
import WebSocket from 'ws';
import {CALLS_PREFIX, packSDP, PLUGIN_WEBSOCKET_PATH, type CallsAction, type SessionDescription} from '../../protocol';
import {nodeZlib} from '../../protocol-node';

export interface WsEvent {
  event: string;
  data: Record<string, unknown>;
  seq: number;
}

export class RecorderSocket extends EventEmitter {
  connID = '';
  #ws: WebSocket | undefined;
  #seq = 1;

  constructor(
    private readonly siteURL: string,
    private readonly token: string,
  ) {
    super();
  }

  /** Opens and authenticates; resolves with the connection id from `hello`. */
  connect(timeoutMs = 10_000): Promise<string> {
    // The plugin's websocket: behind Mattermost, /api/v4/websocket is Mattermost's own and carries no calls events.
    const ws = new WebSocket(this.siteURL.replace(/^http/, 'ws') + PLUGIN_WEBSOCKET_PATH);
    this.#ws = ws;
    ws.on('error', () => undefined);
    ws.on('close', (code, reason) => this.emit('close', code, reason.toString()));
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return;
      let msg: Partial<WsEvent> & {seq_reply?: number};
      try {
        msg = JSON.parse(String(raw)) as Partial<WsEvent>;
      } catch {
        return;
      }
      if (msg.seq_reply !== undefined || typeof msg.event !== 'string') return;
      if (msg.event === 'hello') this.connID = String(msg.data?.connection_id ?? '');
      this.emit('event', {event: msg.event, data: msg.data ?? {}, seq: msg.seq ?? 0});
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('websocket hello timed out')), timeoutMs);
      const onEvent = (e: WsEvent) => {
        if (e.event !== 'hello') return;
        cleanup();
        resolve(this.connID);
      };
      const onClose = (code: number) => fail(new Error(`websocket closed before hello (${code})`));
      const cleanup = () => {
        clearTimeout(timer);
        this.off('event', onEvent);
        this.off('close', onClose);
      };
      const fail = (err: Error) => {
        cleanup();
        ws.terminate();
        reject(err);
      };
      this.on('event', onEvent);
      this.on('close', onClose);
      ws.once('open', () =>
        this.#sendJSON({action: 'authentication_challenge', seq: this.#seq++, data: {token: this.token}}),
      );
    });
  }

  #sendJSON(frame: unknown): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(frame));
  }

  send(action: CallsAction, data: Record<string, unknown> = {}): void {
    this.#sendJSON({action: CALLS_PREFIX + action, seq: this.#seq++, data});
  }

  sendSDP(desc: SessionDescription): void {
    if (this.#ws?.readyState !== WebSocket.OPEN) return;
    const frame = {action: CALLS_PREFIX + 'sdp', seq: this.#seq++, data: {data: packSDP(desc, nodeZlib)}};
    this.#ws.send(Buffer.from(msgpackEncode(frame)));
  }

  async close(): Promise<void> {
    const ws = this.#ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => ws.terminate(), 2000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close();
    });
  }
}
