// What the rest of the server needs from the websocket layer: publishing events to an audience.

/** Mattermost's broadcast object; precedence connection_id → user_id → channel members. */
export interface Broadcast {
  omit_users?: Record<string, boolean> | null;
  user_id?: string;
  channel_id?: string;
  team_id?: string;
  connection_id?: string;
}

export interface WebSocketEvent {
  event: string;
  data: Record<string, unknown>;
  broadcast: Broadcast;
  seq?: number;
}

export interface EventPublisher {
  /** Delivers to every matching connection (on this node and, in a cluster, on the others). */
  publish(event: string, data: Record<string, unknown>, broadcast: Broadcast): void;
}
