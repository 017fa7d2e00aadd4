// An EventPublisher that keeps every published websocket event, for tests to ask who was told what.
import {EVENT_PREFIX} from '../calls/publish';
import type {Broadcast, EventPublisher, WebSocketEvent} from '../ws/types';

export class RecordingPublisher implements EventPublisher {
  readonly events: WebSocketEvent[] = [];

  publish(event: string, data: Record<string, unknown>, broadcast: Broadcast): void {
    this.events.push({event, data, broadcast});
  }

  /** Events of this name: the full name, or a calls event without its prefix (`user_joined`). */
  named(name: string): WebSocketEvent[] {
    return this.events.filter((e) => e.event === name || e.event === EVENT_PREFIX + name);
  }

  /** Events addressed to one websocket connection only. */
  toConn(connID: string): WebSocketEvent[] {
    return this.events.filter((e) => e.broadcast.connection_id === connID);
  }

  /** The names so far (calls events without their prefix), in order. */
  names(): string[] {
    return this.events.map((e) => (e.event.startsWith(EVENT_PREFIX) ? e.event.slice(EVENT_PREFIX.length) : e.event));
  }

  clear(): void {
    this.events.length = 0;
  }
}
