// This node's view of the call sessions whose websockets it holds: one registry, by session id and by
// connection id, shared by every part of the call domain (join, leave, reconnect, the actions, media events).
import type {Call} from '../store/types';

/** A call session whose websocket this node holds. */
export interface LocalSession {
  readonly sessionID: string;
  readonly userID: string;
  readonly channelID: string;
  readonly callID: string;
  /** Snapshot used to route media messages; refreshed when the call moves. */
  call: Call;
  /** The current websocket connection id (changes on reconnect). */
  connID: string;
  graceTimer?: NodeJS.Timeout;
  leaving: boolean;
}

export class LocalSessions {
  readonly #byID = new Map<string, LocalSession>();
  /** connection id → session id */
  readonly #byConn = new Map<string, string>();
  /** Connections whose join is under way. */
  readonly joining = new Set<string>();

  get size(): number {
    return this.#byID.size;
  }

  get(sessionID: string): LocalSession | undefined {
    return this.#byID.get(sessionID);
  }

  has(sessionID: string): boolean {
    return this.#byID.has(sessionID);
  }

  /** The session the connection carries, if any. */
  byConn(connID: string): LocalSession | undefined {
    const sid = this.#byConn.get(connID);
    return sid ? this.#byID.get(sid) : undefined;
  }

  /** Whether the connection carries a session. */
  carries(connID: string): boolean {
    return this.#byConn.has(connID);
  }

  /** A snapshot: safe to iterate while sessions leave. */
  all(): LocalSession[] {
    return [...this.#byID.values()];
  }

  add(local: LocalSession): void {
    this.#byID.set(local.sessionID, local);
    this.#byConn.set(local.connID, local.sessionID);
  }

  /** Forgets the session (and its connection, unless that already carries another). */
  remove(local: LocalSession): void {
    if (this.#byID.get(local.sessionID) === local) this.#byID.delete(local.sessionID);
    if (this.#byConn.get(local.connID) === local.sessionID) this.#byConn.delete(local.connID);
  }

  /** The session's websocket is now this connection. */
  rebind(local: LocalSession, connID: string): void {
    if (local.connID === connID) return;
    if (this.#byConn.get(local.connID) === local.sessionID) this.#byConn.delete(local.connID);
    local.connID = connID;
    this.#byConn.set(connID, local.sessionID);
  }

  clear(): void {
    this.#byID.clear();
    this.#byConn.clear();
  }
}
