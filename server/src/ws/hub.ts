// Routes published events to the websocket connections that should see them, in publish order.
// Audience rules are Mattermost's: connection_id, else user_id, else members of channel_id; omit_users
// always applies. In a cluster, events are also handed to `relay` so other nodes deliver to theirs.
import type {Logger} from '../log';
import {LoopSlice} from '../loop-slice';
import type {Broadcast, EventPublisher, WebSocketEvent} from './types';

export interface HubConnection {
  readonly id: string;
  readonly userID: string;
  /** Queues the event on the socket (assigns its seq). Never throws. */
  send(event: WebSocketEvent): void;
}

export interface HubOptions {
  /** Channel member lookup for channel-scoped events. */
  channelMemberIDs: (channelID: string) => Promise<string[]>;
  logger: Logger;
}

export class Hub implements EventPublisher {
  readonly #byId = new Map<string, HubConnection>();
  readonly #byUser = new Map<string, Set<HubConnection>>();
  #tail: Promise<void> = Promise.resolve();
  /**
   * Delivery lets the event loop turn every slice: a mass leave publishes a user_left per session to every socket of
   * the channel (800 × 1,000 sends); in one go that held the loop for seconds, and no ICE consent answer went out.
   */
  readonly #slice = new LoopSlice();
  /** Set by the cluster layer to forward events to other nodes. */
  relay: ((event: WebSocketEvent) => void) | null = null;

  constructor(private readonly opts: HubOptions) {}

  register(conn: HubConnection): void {
    this.#byId.set(conn.id, conn);
    let set = this.#byUser.get(conn.userID);
    if (!set) this.#byUser.set(conn.userID, (set = new Set()));
    set.add(conn);
  }

  unregister(conn: HubConnection): void {
    if (this.#byId.get(conn.id) === conn) this.#byId.delete(conn.id);
    const set = this.#byUser.get(conn.userID);
    if (set) {
      set.delete(conn);
      if (set.size === 0) this.#byUser.delete(conn.userID);
    }
  }

  get(connID: string): HubConnection | undefined {
    return this.#byId.get(connID);
  }

  /** Number of connections on this node. */
  get size(): number {
    return this.#byId.size;
  }

  userConnections(userID: string): HubConnection[] {
    return [...(this.#byUser.get(userID) ?? [])];
  }

  publish(event: string, data: Record<string, unknown>, broadcast: Broadcast): void {
    const ev: WebSocketEvent = {
      event,
      data,
      broadcast: {omit_users: null, user_id: '', channel_id: '', team_id: '', connection_id: '', ...broadcast},
    };
    this.relay?.(ev);
    this.deliverLocal(ev);
  }

  /** Delivers to this node's connections only (the cluster layer calls it for events from other nodes). */
  deliverLocal(ev: WebSocketEvent): void {
    const b = ev.broadcast;
    // Direct targets need no lookup, but must not overtake earlier channel events still resolving.
    this.#tail = this.#tail.then(async () => {
      try {
        for (const conn of await this.#targets(b)) conn.send(ev);
      } catch (err) {
        this.opts.logger.warn({err: (err as Error).message, event: ev.event}, 'event delivery failed');
      }
      await this.#slice.yieldIfLong();
    });
  }

  /** Resolves when every event published so far has been handed to its sockets. */
  flush(): Promise<void> {
    return this.#tail;
  }

  async #targets(b: Broadcast): Promise<HubConnection[]> {
    const omit = b.omit_users ?? {};
    if (b.connection_id) {
      const c = this.#byId.get(b.connection_id);
      return c && !omit[c.userID] ? [c] : [];
    }
    if (b.user_id) return omit[b.user_id] ? [] : this.userConnections(b.user_id);
    if (b.channel_id) {
      const members = await this.opts.channelMemberIDs(b.channel_id);
      const out: HubConnection[] = [];
      for (const uid of members) {
        if (omit[uid]) continue;
        for (const c of this.#byUser.get(uid) ?? []) out.push(c);
      }
      return out;
    }
    // No target at all: everyone (Mattermost's global broadcast).
    return [...this.#byId.values()].filter((c) => !omit[c.userID]);
  }
}
