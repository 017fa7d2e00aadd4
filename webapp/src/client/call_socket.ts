// The call's own Mattermost websocket (reference webapp.md §4.1, calls-protocol.md §2.2): joins on first open,
// reconnects with the original connection id (and asks for a fresh call_state) on later ones, and hands the
// client the events meant for this connection — join, error and signal only when their connID is ours.

import {actionName, eventName, type EventPayloads} from '@calls/protocol';

import {WebSocketClient, WebSocketReconnectTimeoutError, type WebSocketCtor} from './websocket';
import type {WebSocketMessage} from '../types';

export interface CallSocketConfig {
  url: string;
  authToken?: string;
  WebSocket?: WebSocketCtor;
  logger: Pick<Console, 'debug' | 'info' | 'warn' | 'error'>;
  join: {channelID: string; title?: string; threadID?: string; dcSignaling: boolean};
}

export interface CallSocketHandlers {
  /** The server acknowledged our join. */
  joined(): void;
  /** The join failed (an `error` event for this connection). */
  joinFailed(text: string): void;
  /** An SDP or ICE candidate from the SFU, parsed (what it throws is logged). */
  signal(data: unknown): void;
  /** A call_state snapshot (it may not come on the main socket). */
  callState(msg: WebSocketMessage): void;
  rtcReconnect(data: Partial<EventPayloads['rtc_reconnect']>): void;
  rtcUnavailable(data: Partial<EventPayloads['rtc_unavailable']>): void;
  /** The socket came back after a drop and the session was resumed. */
  reconnected(): void;
  /** The socket could not come back in time. */
  gaveUp(err: Error): void;
}

/** Opens the call's socket; the caller closes it (after sending leave). */
export function connectCallSocket(cfg: CallSocketConfig, h: CallSocketHandlers): WebSocketClient {
  const ws = new WebSocketClient({
    url: cfg.url,
    authToken: cfg.authToken,
    WebSocket: cfg.WebSocket,
    logger: cfg.logger,
  });
  const {channelID} = cfg.join;
  ws.on('open', ({originalConnID, prevConnID, reconnected}) => {
    if (!reconnected) {
      ws.send(actionName('join'), {
        channelID,
        title: cfg.join.title || undefined,
        threadID: cfg.join.threadID || undefined,
        av1Support: false,
        dcSignaling: cfg.join.dcSignaling,
      });
      return;
    }
    ws.send(actionName('reconnect'), {channelID, originalConnID, prevConnID});
    // Events may have been missed while offline: ask for a fresh snapshot of the call.
    ws.send(actionName('call_state'), {channelID});
    h.reconnected();
  });
  const isMine = (msg: WebSocketMessage): boolean => {
    const connID = String((msg.data as {connID?: string}).connID || '');
    return Boolean(connID) && (connID === ws.connID || connID === ws.originalConnID);
  };
  ws.on('event', (msg) => {
    switch (msg.event) {
      case eventName('join'):
        if (isMine(msg)) {
          h.joined();
        }
        break;
      case eventName('error'):
        if (isMine(msg)) {
          h.joinFailed(String((msg.data as {data?: string}).data || 'join failed'));
        }
        break;
      case eventName('signal'):
        if (isMine(msg)) {
          try {
            h.signal(JSON.parse(String((msg.data as {data?: string}).data)));
          } catch (err) {
            cfg.logger.warn('bad signal', err);
          }
        }
        break;
      case eventName('call_state'):
        h.callState(msg);
        break;
      case eventName('rtc_reconnect'):
        h.rtcReconnect(msg.data as Partial<EventPayloads['rtc_reconnect']>);
        break;
      case eventName('rtc_unavailable'):
        h.rtcUnavailable(msg.data as Partial<EventPayloads['rtc_unavailable']>);
        break;
      default:
        break;
    }
  });
  ws.on('close', (err) => {
    if (err instanceof WebSocketReconnectTimeoutError) {
      h.gaveUp(err);
    }
  });
  ws.connect();
  return ws;
}
