// Caps on the websockets one client can hold on this node: open sockets per user and per address, and
// sockets waiting for authentication (no valid login on the upgrade: they have 10 s to send an
// authentication_challenge) per address and in total. Each socket holds a ticket that knows what it
// counts against, so closing it releases exactly that, once. Refusals close the socket with
// LIMIT_CLOSE_CODE and a reason that starts with the stable error id.
import {AppError} from '../errors';
import {addressBlock} from '../http/client-address';
import type {Limits} from '../config/limits';

/** Close code of a socket refused by a connection cap (4000–4999 are the application's). */
export const LIMIT_CLOSE_CODE = 4429;

export type ConnectionCaps = Pick<
  Limits,
  'wsConnectionsPerUser' | 'wsConnectionsPerIP' | 'wsUnauthenticatedPerIP' | 'wsUnauthenticated'
>;

export interface SocketTicket {
  /** The client's address as limits count it (http/client-address addressBlock). */
  readonly address: string;
  /** Counted as waiting for authentication. */
  waiting: boolean;
  /** Set once the socket has authenticated. */
  userID: string | null;
  released: boolean;
}

function inc(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

function dec(m: Map<string, number>, k: string): void {
  const n = (m.get(k) ?? 0) - 1;
  if (n > 0) m.set(k, n);
  else m.delete(k);
}

const over = (limit: number, current: number) => limit > 0 && current >= limit;

export class ConnectionLimiter {
  readonly #caps: ConnectionCaps;
  readonly #byAddress = new Map<string, number>();
  readonly #unauthByAddress = new Map<string, number>();
  readonly #byUser = new Map<string, number>();
  #unauthenticated = 0;

  constructor(caps: ConnectionCaps) {
    this.#caps = caps;
  }

  /** A new socket from `address`: its ticket, or the refusal (nothing is counted then). */
  open(clientAddress: string): SocketTicket | AppError {
    const c = this.#caps;
    const address = addressBlock(clientAddress);
    if (over(c.wsConnectionsPerIP, this.#byAddress.get(address) ?? 0)) {
      return new AppError(
        'app.calls.limit.ws_connections_per_ip',
        `too many connections from this address (at most ${c.wsConnectionsPerIP})`,
        429,
      );
    }
    inc(this.#byAddress, address);
    return {address, waiting: false, userID: null, released: false};
  }

  /**
   * The socket brought no valid login and will wait for an authentication_challenge: counted as waiting,
   * or refused. Sockets that logged in with the upgrade never count here, so a flood of anonymous
   * sockets cannot lock out users whose clients reconnect with their cookie or token.
   */
  awaitAuthentication(ticket: SocketTicket): AppError | null {
    if (ticket.released || ticket.waiting || ticket.userID !== null) return null;
    const c = this.#caps;
    if (over(c.wsUnauthenticatedPerIP, this.#unauthByAddress.get(ticket.address) ?? 0)) {
      return new AppError(
        'app.calls.limit.ws_unauthenticated_per_ip',
        `too many unauthenticated connections from this address (at most ${c.wsUnauthenticatedPerIP})`,
        429,
      );
    }
    if (over(c.wsUnauthenticated, this.#unauthenticated)) {
      return new AppError(
        'app.calls.limit.ws_unauthenticated',
        'too many unauthenticated connections on this server, try again shortly',
        503,
      );
    }
    ticket.waiting = true;
    inc(this.#unauthByAddress, ticket.address);
    this.#unauthenticated++;
    return null;
  }

  /**
   * The socket authenticated as `userID`: counted against the user from now on, or refused.
   * `replacing`: it takes over another open socket of the same connection (a resume), which is about to
   * close, so the user holds no more sockets than before.
   */
  authenticate(ticket: SocketTicket, userID: string, replacing = false): AppError | null {
    if (ticket.released || ticket.userID !== null) return null;
    const max = this.#caps.wsConnectionsPerUser;
    if (!replacing && over(max, this.#byUser.get(userID) ?? 0)) {
      return new AppError(
        'app.calls.limit.ws_connections_per_user',
        `too many connections for this user (at most ${max})`,
        429,
      );
    }
    this.#stopWaiting(ticket);
    ticket.userID = userID;
    inc(this.#byUser, userID);
    return null;
  }

  /** The socket closed. Idempotent. */
  release(ticket: SocketTicket): void {
    if (ticket.released) return;
    ticket.released = true;
    dec(this.#byAddress, ticket.address);
    this.#stopWaiting(ticket);
    if (ticket.userID !== null) dec(this.#byUser, ticket.userID);
  }

  #stopWaiting(ticket: SocketTicket): void {
    if (!ticket.waiting) return;
    ticket.waiting = false;
    dec(this.#unauthByAddress, ticket.address);
    this.#unauthenticated--;
  }

  /** Open sockets of a user (for tests and metrics). */
  userCount(userID: string): number {
    return this.#byUser.get(userID) ?? 0;
  }

  get unauthenticatedCount(): number {
    return this.#unauthenticated;
  }
}

/** The close reason for a refusal: the stable id first, within the 123 bytes a close frame allows. */
export function limitCloseReason(err: AppError): string {
  const reason = `${err.id}: ${err.message}`;
  return Buffer.byteLength(reason) <= 123 ? reason : err.id;
}
