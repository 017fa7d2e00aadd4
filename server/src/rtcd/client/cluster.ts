// rtcd mode on several plugin nodes sharing PostgreSQL (the "rtcd (HA)" deployment): calls run on the rtcd
// hosts, pinned in props.rtcd_host; each node has its own connection to every host and signals for the
// websockets it holds (rtcd routes a session to the connection that last sent its join/reconnect). The
// cluster parts carry the rest: the shared call lock, the bus for events and `detach`, who holds which
// session, and the sweeper that removes sessions left by a dead node. No node runs an SFU.
import {Bus} from '../../cluster/bus';
import {Failover} from '../../cluster/failover';
import {clusterPool, leaveCluster, wireClusterTraffic, type ClusterHub} from '../../cluster/membership';
import {PgCallLock} from '../../cluster/lock';
import {MediaBus} from '../../cluster/media-relay';
import {NodeRegistry} from '../../cluster/nodes';
import {SESSIONS_TABLE} from '../../cluster/schema';
import type {Coordination} from '../../cluster/types';
import type {Logger} from '../../log';
import type {SessionConfig} from '../../rtc/types';
import type {Store} from '../../store';
import {credentialsFor, type RtcdClientSettings} from './coordination';
import {rtcdMedia} from './media';
import type {RtcdRouterCluster} from './router';

/** The lock name under which the first node creates the shared credentials (no channel id looks like it). */
const CREDENTIALS_LOCK = 'rtcd:credentials';

export interface RtcdClusterOptions {
  settings: RtcdClientSettings;
  nodeID: string;
  store: Store;
  databaseURL: string;
  hub: ClusterHub;
  orphanGraceMs: number;
  logger: Logger;
  resolve4?: (hostname: string) => Promise<string[]>;
  recheckMs?: number;
}

export async function rtcdClusterCoordination(o: RtcdClusterOptions): Promise<Coordination> {
  const me = o.nodeID;
  const log = o.logger.child({module: 'rtcd-cluster', nodeID: me});
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const db = clusterPool(o.databaseURL, me, log);
    cleanups.push(() => db.end());

    let registry: NodeRegistry | null = null;
    const bus = new Bus({
      url: o.databaseURL,
      nodeID: me,
      logger: log,
      isAlive: (n) => registry?.isAlive(n) ?? false,
      onSender: (n) => registry?.noteActivity(n),
    });
    await bus.start();
    cleanups.push(() => bus.close());
    registry = new NodeRegistry({
      db,
      listener: bus.listener,
      nodeID: me,
      isHandler: false,
      forcedMode: 'clustered',
      logger: log,
    });
    await registry.start();
    const reg = registry;
    cleanups.push(() => reg.leave());
    // Websockets this node id held in a previous run are gone: they become orphan candidates unless adopted.
    await db.query(`UPDATE ${SESSIONS_TABLE} SET node_id = '' WHERE node_id = $1`, [me]);

    const lock = new PgCallLock({url: o.databaseURL, nodeID: me, logger: log});
    cleanups.push(() => lock.close());
    // The first node makes the credentials; the others, waiting on the lock, find them in the store.
    const credentials = await lock.withLock(CREDENTIALS_LOCK, () => credentialsFor(o.settings, o.store, me));

    const media = new MediaBus(bus, log.child({module: 'rtcd-cluster-media'}));
    const holders: RtcdRouterCluster = {
      hold: async (cfg: SessionConfig) => {
        await db.query(
          `INSERT INTO ${SESSIONS_TABLE} (session_id, node_id, call_id, channel_id, config, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (session_id) DO UPDATE SET node_id = EXCLUDED.node_id, config = EXCLUDED.config, updated_at = EXCLUDED.updated_at`,
          [cfg.sessionID, me, cfg.callID, cfg.channelID, JSON.stringify(cfg), Date.now()],
        );
      },
      release: async (sessionID) => {
        await db.query(`DELETE FROM ${SESSIONS_TABLE} WHERE session_id = $1 AND node_id = $2`, [sessionID, me]);
      },
      adopted: (sessionID) => media.broadcast('detach', sessionID, me),
    };
    const {hosts, router} = rtcdMedia({...o, credentials, lock, cluster: holders});
    cleanups.push(() => router.close());
    media.onEvent((e) => {
      if (e.ev === 'detach' && e.args[1] !== me) router.detach(e.args[0]);
    });

    const failover = new Failover({
      registry: reg,
      bus,
      media,
      db,
      calls: o.store.calls,
      lock,
      logger: log,
      orphanGraceMs: o.orphanGraceMs,
      moveCalls: false,
      onMoved: () => undefined,
      onOrphan: (sid, callID, channelID) => router.reportOrphan(sid, callID, channelID),
      onUnavailable: () => undefined,
      onAbandoned: () => undefined,
      handlerWaitMs: 0,
    });
    failover.start();
    cleanups.push(() => failover.close());
    const relay = wireClusterTraffic({registry: reg, bus, failover, hub: o.hub});

    await hosts.start();
    log.info(
      {url: o.settings.serviceURL, clientID: credentials.clientID, hosts: hosts.ips()},
      'rtcd mode on a cluster: calls run on rtcd hosts',
    );
    let closing: Promise<void> | null = null;
    return {
      nodeID: me,
      mode: 'rtcd',
      media: router,
      lock,
      rtc: null,
      relay,
      close() {
        closing ??= (async () => {
          await leaveCluster({failover, registry: reg, bus, media: router, lock, db, log});
        })();
        return closing;
      },
    };
  } catch (err) {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    throw err;
  }
}
