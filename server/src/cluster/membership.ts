// What every kind of cluster node (integrated SFU or rtcd mode) opens first and closes last: its small
// PostgreSQL pool, and the order of leaving — stop failing over, leave the registry, say goodbye on the
// bus, then close media, the bus, the lock and the pool — so the others take our calls over at once. In
// between, the bus traffic every node answers the same way (nodes down or gone, events for our websockets).
import pg from 'pg';
import {watchPoolErrors} from '../store/pg-pool';
import type {Logger} from '../log';
import type {Bus} from './bus';
import type {Failover} from './failover';
import type {PgCallLock} from './lock';
import type {NodeRegistry} from './nodes';
import type {WebSocketEvent} from '../ws/types';

export function clusterPool(url: string, nodeID: string, log: Logger): pg.Pool {
  const db = new pg.Pool({
    connectionString: url,
    max: 4,
    application_name: `calls-cluster:${nodeID}`.slice(0, 63),
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5000,
  });
  watchPoolErrors(db, (err) => log.debug({err: err.message}, 'cluster connection lost'));
  return db;
}

/** This node's websockets, as the cluster sees them. */
export interface ClusterHub {
  get(connID: string): unknown;
  deliverLocal(ev: WebSocketEvent): void;
}

/**
 * Answers the membership traffic: a node seen down is dropped from the bus and failover looks again at
 * once; a node that says it left is marked; events from the others reach this node's websockets. Returns
 * the relay of this node's events to the others.
 */
export function wireClusterTraffic(o: {
  registry: NodeRegistry;
  bus: Bus;
  failover: Failover;
  hub: ClusterHub;
}): (ev: WebSocketEvent) => void {
  const {registry, bus, failover, hub} = o;
  registry.on('down', (n) => {
    bus.nodeGone(n);
    failover.kick();
  });
  bus.handle('left', (m) => registry.markLeft(m.from));
  bus.handle('event', (m) => hub.deliverLocal(m.data as WebSocketEvent));
  return (ev) => {
    // Events for a connection on this node need no other node.
    const conn = ev.broadcast.connection_id;
    if (conn && hub.get(conn)) return;
    bus.broadcast('event', ev);
  };
}

export interface ClusterMembership {
  failover: Failover;
  registry: NodeRegistry;
  bus: Bus;
  media: {close(): Promise<void>};
  lock: PgCallLock;
  db: pg.Pool;
  log: Logger;
}

/** Leaves the cluster in the order the others need; `close` of a Coordination calls it once. */
export async function leaveCluster(m: ClusterMembership): Promise<void> {
  await m.failover.close();
  await m.registry.leave();
  m.bus.broadcast('left', {});
  await m.bus.flush();
  await m.media.close();
  await m.bus.close();
  await m.lock.close();
  await m.db.end().catch(() => undefined);
  m.log.info('left the cluster');
}
