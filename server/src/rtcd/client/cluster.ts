// rtcd mode on several plugin nodes sharing PostgreSQL (the "rtcd (HA)" deployment): calls run on the rtcd
// hosts, pinned in props.rtcd_host; each node has its own connection to every host and signals for the
// websockets it holds (rtcd routes a session to the connection that last sent its join/reconnect). The
// cluster parts carry the rest: the shared call lock, the bus for events and `detach`, who holds which
// session, and the sweeper that removes sessions left by a dead node. No node runs an SFU.
import {Failover} from '../../cluster/failover';
import {joinCluster, leaveCluster, wireClusterTraffic, type ClusterHub} from '../../cluster/membership';
import {MediaBus} from '../../cluster/media-relay';
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
    // No node runs an SFU here: never the handler, always clustered.
    const joined = await joinCluster(
      {url: o.databaseURL, nodeID: me, logger: log, isHandler: false, forcedMode: 'clustered'},
      cleanups,
    );
    const {db, bus, lock} = joined;
    // Websockets this node id held in a previous run are gone: they become orphan candidates unless adopted.
    await db.query(`UPDATE ${SESSIONS_TABLE} SET node_id = '' WHERE node_id = $1`, [me]);
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
      ...joined,
      media,
      calls: o.store.calls,
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
    const relay = wireClusterTraffic({...joined, failover, hub: o.hub});

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
          await leaveCluster({...joined, failover, media: router});
        })();
        return closing;
      },
    };
  } catch (err) {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    throw err;
  }
}
