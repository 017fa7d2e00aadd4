// Publishes calls events with upstream's naming and audiences (reference §2.1): the plugin prefix,
// channelID injected into channel-scoped data, and the four audiences Conn, User, Chan and Parts.
import {CALLS_PREFIX, type CallsEvent, type EventPayload} from '../protocol';
import type {EventPublisher} from '../ws/types';

export const EVENT_PREFIX = CALLS_PREFIX;

export class CallsPublisher {
  constructor(private readonly out: EventPublisher) {}

  /** To every connection (Mattermost's global broadcast). */
  toAll<E extends CallsEvent>(event: E, data: EventPayload<E>): void {
    this.out.publish(EVENT_PREFIX + event, data as Record<string, unknown>, {});
  }

  /** To one websocket connection. */
  toConn<E extends CallsEvent>(event: E, data: EventPayload<E>, connID: string): void {
    this.out.publish(EVENT_PREFIX + event, data as Record<string, unknown>, {connection_id: connID});
  }

  /** To every connection of one user. */
  toUser<E extends CallsEvent>(event: E, data: EventPayload<E>, userID: string, channelID?: string): void {
    const d: Record<string, unknown> = channelID ? {...data, channelID} : {...data};
    this.out.publish(EVENT_PREFIX + event, d, {user_id: userID, channel_id: channelID ?? ''});
  }

  /** To every member of the channel. */
  toChannel<E extends CallsEvent>(event: E, data: EventPayload<E>, channelID: string): void {
    this.out.publish(EVENT_PREFIX + event, {...data, channelID} as Record<string, unknown>, {channel_id: channelID});
  }

  /** To every user currently in the call (once per user, all their connections). */
  toParticipants<E extends CallsEvent>(
    event: E,
    data: EventPayload<E>,
    channelID: string,
    userIDs: Iterable<string>,
  ): void {
    const d = {...data, channelID} as Record<string, unknown>;
    for (const uid of new Set(userIDs))
      this.out.publish(EVENT_PREFIX + event, d, {channel_id: channelID, user_id: uid});
  }
}
