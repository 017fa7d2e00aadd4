// Publishes calls events with upstream's naming and audiences (reference §2.1): the plugin prefix,
// channelID injected into channel-scoped data, and the four audiences Conn, User, Chan and Parts.
import {PLUGIN_ID} from '../config/schema';
import type {EventPublisher} from '../ws/types';

export const EVENT_PREFIX = `custom_${PLUGIN_ID}_`;

export class CallsPublisher {
  constructor(private readonly out: EventPublisher) {}

  /** To one websocket connection. */
  toConn(event: string, data: Record<string, unknown>, connID: string): void {
    this.out.publish(EVENT_PREFIX + event, data, {connection_id: connID});
  }

  /** To every connection of one user. */
  toUser(event: string, data: Record<string, unknown>, userID: string, channelID?: string): void {
    const d = channelID ? {...data, channelID} : data;
    this.out.publish(EVENT_PREFIX + event, d, {user_id: userID, channel_id: channelID ?? ''});
  }

  /** To every member of the channel. */
  toChannel(event: string, data: Record<string, unknown>, channelID: string): void {
    this.out.publish(EVENT_PREFIX + event, {...data, channelID}, {channel_id: channelID});
  }

  /** To every user currently in the call (once per user, all their connections). */
  toParticipants(event: string, data: Record<string, unknown>, channelID: string, userIDs: Iterable<string>): void {
    const d = {...data, channelID};
    for (const uid of new Set(userIDs)) this.out.publish(EVENT_PREFIX + event, d, {channel_id: channelID, user_id: uid});
  }
}
