// Operator limits that keep one user or one address from exhausting a node (issue 10): websocket
// connections per user and per address, unauthenticated sockets, sessions per user in a call and joins
// per second per user. Process variables (MM_CALLS_*, not System Console settings: upstream has none of
// these); 0 turns a limit off. Defaults sit well above what a real team does and well below a storm.
import {ConfigError} from './validate';

export interface Limits {
  /** Open websockets of one user on this node (desktop app + browser tabs + phone, with room to spare). */
  wsConnectionsPerUser: number;
  /** Open websockets from one client address on this node (an office behind one NAT address). */
  wsConnectionsPerIP: number;
  /** Sockets from one address that have not authenticated yet. */
  wsUnauthenticatedPerIP: number;
  /** Sockets on this node that have not authenticated yet, from all addresses. */
  wsUnauthenticated: number;
  /** Sessions of one user in one call (all nodes). */
  sessionsPerUserPerCall: number;
  /** Joins per second of one user, shared by all their connections on this node, and the burst allowed. */
  joinsPerSecondPerUser: number;
  joinBurstPerUser: number;
}

export const DEFAULT_LIMITS: Limits = {
  wsConnectionsPerUser: 20,
  wsConnectionsPerIP: 1000,
  wsUnauthenticatedPerIP: 100,
  wsUnauthenticated: 1000,
  sessionsPerUserPerCall: 8,
  joinsPerSecondPerUser: 1,
  joinBurstPerUser: 10,
};

/** The variable of each limit. */
export const LIMIT_VARIABLES: Record<keyof Limits, string> = {
  wsConnectionsPerUser: 'MM_CALLS_WS_MAX_CONNECTIONS_PER_USER',
  wsConnectionsPerIP: 'MM_CALLS_WS_MAX_CONNECTIONS_PER_IP',
  wsUnauthenticatedPerIP: 'MM_CALLS_WS_MAX_UNAUTHENTICATED_PER_IP',
  wsUnauthenticated: 'MM_CALLS_WS_MAX_UNAUTHENTICATED',
  sessionsPerUserPerCall: 'MM_CALLS_MAX_SESSIONS_PER_USER',
  joinsPerSecondPerUser: 'MM_CALLS_JOINS_PER_SECOND_PER_USER',
  joinBurstPerUser: 'MM_CALLS_JOIN_BURST_PER_USER',
};

/** Reads the limits from MM_CALLS_* variables; throws ConfigError naming the variable on a bad value. */
export function limitsFromEnv(env: NodeJS.ProcessEnv): Limits {
  const out: Limits = {...DEFAULT_LIMITS};
  for (const key of Object.keys(LIMIT_VARIABLES) as (keyof Limits)[]) {
    const name = LIMIT_VARIABLES[key];
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    // Only the join rate may be fractional (0.5 = one join every two seconds).
    const ok = key === 'joinsPerSecondPerUser' ? /^\d+(\.\d+)?$/.test(raw) : /^\d+$/.test(raw);
    const n = Number(raw);
    if (!ok || !Number.isFinite(n) || n > 1_000_000) {
      throw new ConfigError(
        name,
        `invalid ${name}: "${raw}" is not a ${key === 'joinsPerSecondPerUser' ? 'non-negative number' : 'non-negative integer'} (0 = no limit)`,
      );
    }
    out[key] = n;
  }
  if (out.joinsPerSecondPerUser > 0 && out.joinBurstPerUser < 1) {
    throw new ConfigError(
      LIMIT_VARIABLES.joinBurstPerUser,
      `invalid ${LIMIT_VARIABLES.joinBurstPerUser}: must be at least 1 while ${LIMIT_VARIABLES.joinsPerSecondPerUser} is set`,
    );
  }
  return out;
}
