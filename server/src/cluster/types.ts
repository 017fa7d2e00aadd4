// Where a call's media runs. calls/ talks only to a MediaRouter and never branches on the mode:
// integrated (this node), clustered (the node pinned in props.node_id), single handler, or rtcd.
import type {TypedEmitter} from '../events';
import type {RtcInbound, RtcServer, RtcServerEvents, SessionConfig, SessionOpCall} from '../rtc/types';
import type {Call, CallProps} from '../store/types';
import type {CallLock} from '../calls/lock';
import type {WebSocketEvent} from '../ws/types';

/**
 * Events for sessions whose websocket is on THIS node. On top of the SFU's own events (`restart` among
 * them: also when the call's media moved to another node), the cluster tells the call domain when a
 * session's websocket moved away, and when a session was left behind by a dead node.
 */
export interface MediaRouterEvents extends RtcServerEvents {
  /** Another node adopted this session's websocket (a reconnect landed there): forget it here, no teardown. */
  detach: [sessionID: string];
  /**
   * A session of an active call whose websocket no live node holds, past the reconnect grace:
   * remove it from its call as a leave would.
   */
  orphan: [sessionID: string, callID: string, channelID: string];
  /**
   * The session's media is gone and no node may run it now (single handler without a live handler): the
   * client keeps its place in the call and waits; `restart` follows when a handler takes the call over.
   */
  unavailable: [sessionID: string, reason: string];
  /** No node could run the call's media for the whole wait (MM_CALLS_HANDLER_WAIT_SECONDS): end the call. */
  abandoned: [callID: string, channelID: string, reason: string];
}

/** The props that say where a call's media runs. */
export type MediaPlacement = Pick<CallProps, 'node_id' | 'rtcd_host'>;

export interface MediaRouter extends TypedEmitter<MediaRouterEvents> {
  /**
   * Where a call this node starts will run its media, as the call's props: `node_id` (a node of ours) or
   * `rtcd_host` (an rtcd host). Throws when nothing can run it now.
   */
  propsForNewCall(): Promise<MediaPlacement>;
  initSession(call: Call, cfg: SessionConfig): Promise<void>;
  send(call: Call, msg: RtcInbound): void;
  closeSession(call: Call, sessionID: string): Promise<void>;
  /** Runs an operation on the session's SFU session, wherever it runs (relay/sfu.ts `callSessionOp` types it). */
  sessionOp(call: Call, c: SessionOpCall): Promise<unknown>;
  /**
   * A reconnect for a session this node does not hold arrived here (its websocket moved from another
   * node, or this node restarted): take over its websocket side, re-creating its media when it was lost
   * (then `restart`). Throws (app.calls.reconnect.no_session) when the session cannot be carried on.
   */
  adoptSession(call: Call, sessionID: string): Promise<void>;
  /**
   * At start, for each call the store says is active (left by a previous run of this node, or by nodes
   * gone meanwhile): whether it must end now because nothing can carry it on. A call that stays is the
   * media layer's to carry: its sessions whose clients do not come back (`reconnect`, then `restart`
   * once their media is re-created) within the reconnect grace are reported as `orphan`.
   */
  endAtStart(call: Call): Promise<boolean>;
  /**
   * At shutdown: whether this node must end the call (it hosts it and nobody can take it over) or
   * leave it running for the other nodes. `hasLocalSessions`: some of its websockets are here.
   */
  endAtShutdown(call: Call, hasLocalSessions: boolean): Promise<boolean>;
  close(): Promise<void>;
}

/** How this node takes part in the cluster (reference §6.1). */
export type ClusterMode = 'integrated' | 'clustered' | 'single_handler' | 'rtcd';

/** What the cluster layer provides to the rest of the server. */
export interface Coordination {
  readonly nodeID: string;
  readonly mode: ClusterMode;
  readonly media: MediaRouter;
  readonly lock: CallLock;
  /** The SFU this node started with, or null when it runs none (a relay in single-handler mode). */
  readonly rtc: RtcServer | null;
  /** Hands a published websocket event to the other nodes (null when there are none). */
  readonly relay: ((event: WebSocketEvent) => void) | null;
  close(): Promise<void>;
}
