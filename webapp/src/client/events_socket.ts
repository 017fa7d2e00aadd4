// Inside Mattermost the calls events do not come on Mattermost's main websocket (our service cannot publish there):
// the plugin opens the plugin's websocket for them and hands them to the same handlers. On the standalone page the
// host's main socket carries them and this stays closed. Calls actions meant for "the main socket" go here too.
import {WebSocketClient, callsWebSocketURL, type WebSocketCtor} from './websocket';
import {sendOnMainWebSocket} from '../host';
import {wsPrefix} from '../manifest';
import type {WebSocketMessage} from '../types';

export interface EventsSocketOptions {
  basename: string;
  /** A calls event (custom_com.mattermost.calls_*), as the host would deliver it to a registered handler. */
  onEvent(msg: WebSocketMessage): void;
  /** The socket came back after a drop: what the host's reconnect handler would do. */
  onReconnect(): void;
  WebSocket?: WebSocketCtor;
  /** After giving up (30 s without a connection), start over this much later (default 5 s). */
  restartDelayMs?: number;
}

let current: WebSocketClient | null = null;

/** Opens the events socket and keeps it open until the returned function is called. */
export function openEventsSocket(opts: EventsSocketOptions): () => void {
  let stopped = false;
  let restartTimer: ReturnType<typeof setTimeout> | null = null;
  const open = () => {
    const ws = new WebSocketClient({url: callsWebSocketURL(opts.basename, true), WebSocket: opts.WebSocket});
    current = ws;
    ws.on('event', (msg) => {
      if (msg.event.startsWith(wsPrefix)) {
        opts.onEvent(msg);
      }
    });
    ws.on('open', ({reconnected}) => {
      if (reconnected) {
        opts.onReconnect();
      }
    });
    ws.on('close', (err) => {
      if (current === ws) {
        current = null;
      }
      if (err && !stopped) {
        restartTimer = setTimeout(() => {
          restartTimer = null;
          open();
          // Events were missed for over 30 s: refetch as after a reconnect.
          opts.onReconnect();
        }, opts.restartDelayMs ?? 5000);
      }
    });
    ws.connect();
  };
  open();
  return () => {
    stopped = true;
    if (restartTimer) {
      clearTimeout(restartTimer);
    }
    current?.close();
    current = null;
  };
}

/** Sends a calls action where the calls events come from: the plugin's socket inside Mattermost, else the host's. */
export function sendCallsAction(action: string, data: Record<string, unknown>): boolean {
  if (current) {
    current.send(action, data);
    return true;
  }
  return sendOnMainWebSocket(action, data);
}
