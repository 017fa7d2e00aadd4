// A lean calls websocket client for load tests: Mattermost framing (hello, seq), the calls actions the
// webapp sends (join, SDP as a zlib-compressed msgpack frame, ICE as a JSON string, unmute, screen_on)
// and `signal` events delivered as they arrive. Unlike the test client it keeps no event history.
import {EventEmitter} from 'node:events';
import {deflateSync} from 'node:zlib';
import {encode as msgpackEncode} from '@msgpack/msgpack';
import WebSocket from 'ws';
import type {RtcInbound, RtcSignal} from '../../server/src/rtc/types';
import type {SignalingPort} from '../rtc/support/client';

const CALLS = 'custom_com.mattermost.calls_';

interface Frame {
  event?: string;
  data?: Record<string, unknown>;
  seq_reply?: number;
}

export class LoadWsClient extends EventEmitter {
  connID = '';
  #ws: WebSocket | undefined;
  #seq = 1;
  #signalHandlers = new Map<string, (s: RtcSignal) => void>();

  constructor(readonly baseURL: string, readonly token: string) {
    super();
  }

  /** Opens the socket and resolves with the connection id from `hello`. */
  connect(timeoutMs = 10_000): Promise<string> {
    const url = this.baseURL.replace(/^http/, 'ws') + '/api/v4/websocket';
    const ws = new WebSocket(url, {headers: {Authorization: `Bearer ${this.token}`}});
    this.#ws = ws;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('websocket hello timed out')), timeoutMs);
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.on('close', () => this.emit('close'));
      ws.on('message', (raw) => {
        let msg: Frame;
        try {
          msg = JSON.parse(String(raw)) as Frame;
        } catch {
          return;
        }
        if (msg.seq_reply !== undefined || !msg.event) return;
        if (msg.event === 'hello') {
          clearTimeout(timer);
          this.connID = String(msg.data?.connection_id ?? '');
          resolve(this.connID);
          return;
        }
        if (msg.event === CALLS + 'signal') this.#onSignal(msg.data ?? {});
        this.emit('event', msg.event.startsWith(CALLS) ? msg.event.slice(CALLS.length) : msg.event, msg.data ?? {});
      });
    });
  }

  send(action: string, data: Record<string, unknown> = {}): void {
    if (this.#ws?.readyState !== WebSocket.OPEN) return;
    this.#ws.send(JSON.stringify({action: CALLS + action, seq: this.#seq++, data}));
  }

  sendSDP(desc: {type: string; sdp: string}): void {
    if (this.#ws?.readyState !== WebSocket.OPEN) return;
    const data = deflateSync(Buffer.from(JSON.stringify(desc)));
    this.#ws.send(Buffer.from(msgpackEncode({action: CALLS + 'sdp', seq: this.#seq++, data: {data}})));
  }

  /** Sends `join` and resolves on this connection's join ack (rejects on the error event). */
  join(channelID: string, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('event', onEvent);
        reject(new Error('join timed out'));
      }, timeoutMs);
      const onEvent = (name: string, data: Record<string, unknown>) => {
        if (data.connID !== this.connID || (name !== 'join' && name !== 'error')) return;
        clearTimeout(timer);
        this.off('event', onEvent);
        if (name === 'error') reject(new Error(`join failed: ${String(data.data)}`));
        else resolve();
      };
      this.on('event', onEvent);
      this.send('join', {channelID});
    });
  }

  /** The SignalingPort a TestClient peer uses to talk to the SFU through this socket. */
  signaling(): SignalingPort {
    return {
      send: (msg: RtcInbound) => {
        switch (msg.type) {
          case 'sdp':
            this.sendSDP(msg.data);
            break;
          case 'ice':
            this.send('ice', {data: JSON.stringify(msg.data)});
            break;
          case 'screen_on':
          case 'video_on':
            this.send(msg.type, {data: JSON.stringify(msg.data)});
            break;
          default:
            this.send(msg.type);
        }
      },
      onSignal: (sessionID, fn) => {
        this.#signalHandlers.set(sessionID, fn);
        return () => this.#signalHandlers.delete(sessionID);
      },
    };
  }

  #onSignal(data: Record<string, unknown>): void {
    const fn = this.#signalHandlers.get(String(data.connID));
    if (!fn) return;
    const payload = JSON.parse(String(data.data)) as {type: string; sdp?: string; candidate?: unknown};
    if (payload.type === 'candidate') fn({type: 'ice', data: payload.candidate as Extract<RtcSignal, {type: 'ice'}>['data']});
    else fn({type: 'sdp', data: payload as Extract<RtcSignal, {type: 'sdp'}>['data']});
  }

  close(): Promise<void> {
    const ws = this.#ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close();
    });
  }
}
