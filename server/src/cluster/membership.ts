// What every kind of cluster node (integrated SFU or rtcd mode) opens first and closes last: its small
// PostgreSQL pool, bus, node registry and call lock, and the order of leaving — stop failing over, leave the
// registry, say goodbye on the bus, then close media, the bus, the lock and the pool — so the others take our
// calls over at once. In between, the bus traffic every node answers the same way (nodes down or gone, events
// for our websockets).
import pg from 'pg';
import {watchPoolErrors} from '../store/pg-pool';
import type {Logger} from '../log';
import {Bus, type BusOptions} from './bus';
import type {Failover} from './failover';
import {type LockObserver, PgCallLock} from './lock';
import {NodeRegistry, type NodeRegistryOptions} from './nodes';
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

/** What joinCluster opened; with this node's failover and media, what leaveCluster closes. */
export interface ClusterParts {
  db: pg.Pool;
  bus: Bus;
  registry: NodeRegistry;
  lock: PgCallLock;
  logger: Logger;
}

export interface JoinClusterOptions extends Pick<NodeRegistryOptions, 'isHandler' | 'forcedMode'> {
  url: string;
  nodeID: string;
  logger: Logger;
  onBusMessage?: BusOptions['onMessage'];
  lockObserver?: LockObserver;
  /** Runs once the bus is up, before the other nodes can see this one. */
  beforeVisible?: () => Promise<void>;
}

/**
 * Opens this node's membership in order: the pool, the bus, the node registry (from then on the others see
 * this node) and the call lock. Each part's close goes onto `cleanups` as it opens, for the caller's undo
 * when its start fails.
 */
export async function joinCluster(o: JoinClusterOptions, cleanups: (() => Promise<unknown>)[]): Promise<ClusterParts> {
  const db = clusterPool(o.url, o.nodeID, o.logger);
  cleanups.push(() => db.end());

  let registry: NodeRegistry | null = null;
  let registered = false;
  const bus = new Bus({
    url: o.url,
    nodeID: o.nodeID,
    logger: o.logger,
    isAlive: (n) => registry?.isAlive(n) ?? false,
    // After a reconnect the handler takes its advisory lock again (the old session's lock died with it).
    onListenerSetup: async (client) => {
      if (registered && registry?.isHandler) await registry.claimHandlerLock(client, false);
    },
    onMessage: o.onBusMessage,
    onSender: (n) => registry?.noteActivity(n),
  });
  await bus.start();
  cleanups.push(() => bus.close());

  await o.beforeVisible?.();
  const reg = (registry = new NodeRegistry({
    db,
    listener: bus.listener,
    nodeID: o.nodeID,
    isHandler: o.isHandler,
    forcedMode: o.forcedMode,
    logger: o.logger,
  }));
  await reg.start();
  registered = true;
  cleanups.push(() => reg.leave());

  const lock = new PgCallLock({url: o.url, nodeID: o.nodeID, logger: o.logger, observer: o.lockObserver});
  cleanups.push(() => lock.close());
  return {db, bus, registry: reg, lock, logger: o.logger};
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

export interface ClusterMembership extends ClusterParts {
  failover: Failover;
  media: {close(): Promise<void>};
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
  m.logger.info('left the cluster');
}
