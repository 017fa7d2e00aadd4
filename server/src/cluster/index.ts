// Chooses and assembles this node's coordination: integrated on SQLite (one node), otherwise the
// PostgreSQL cluster — node registry, bus, advisory-lock call lock, media router and failover.
import type {Logger} from '../log';
import {rtcdClusterCoordination} from '../rtcd/client/cluster';
import {rtcdCoordination, type RtcdClientSettings} from '../rtcd/client/coordination';
import type {RtcServer} from '../rtc/types';
import type {Store} from '../store';
import {MediaBus} from './media-relay';
import {ClusteredMediaRouter} from './clustered';
import {Failover} from './failover';
import {joinCluster, leaveCluster, wireClusterTraffic, type ClusterHub} from './membership';
import {integratedCoordination} from './integrated';
import type {LockObserver} from './lock';
import {type ClusterSettings, checkClusterEngine, DEFAULT_HANDLER_WAIT_MS} from './mode';
import type {Call} from '../store';
import type {ClusterMode, Coordination} from './types';

export {clusterMigrations} from './schema';
export {persistentNodeID} from './node-id';
export {clusterSettingsFromEnv, checkClusterEngine, ClusterSettingsError} from './mode';
export type {ClusterSettings} from './mode';

export interface ClusterObserver extends LockObserver {
  busMessage(direction: 'in' | 'out', type: string): void;
}

export interface CoordinationOptions {
  nodeID: string;
  settings: ClusterSettings;
  store: Store;
  /** Required for a cluster (the same URL the store uses). */
  databaseURL?: string;
  /** Creates this node's SFU. */
  rtc: () => Promise<RtcServer>;
  /** This node's websocket hub: local connections and delivery of events from other nodes. */
  hub: ClusterHub;
  logger: Logger;
  /** Sessions without a live websocket holder are removed after this (the reconnect grace). */
  orphanGraceMs: number;
  observer?: ClusterObserver;
  /** RTCDServiceURL is set: calls run on rtcd hosts and no node runs an SFU. */
  rtcd?: RtcdClientSettings | null;
  /** DNS lookups of the rtcd service name (tests). */
  rtcdResolve4?: (hostname: string) => Promise<string[]>;
}

export async function createCoordination(o: CoordinationOptions): Promise<Coordination> {
  checkClusterEngine(o.settings, o.store.engine);
  if (o.rtcd) {
    if (o.store.engine === 'postgres' && o.databaseURL) {
      return rtcdClusterCoordination({
        settings: o.rtcd,
        nodeID: o.nodeID,
        store: o.store,
        databaseURL: o.databaseURL,
        hub: o.hub,
        orphanGraceMs: o.orphanGraceMs,
        logger: o.logger,
        resolve4: o.rtcdResolve4,
      });
    }
    return rtcdCoordination({
      settings: o.rtcd,
      nodeID: o.nodeID,
      store: o.store,
      orphanGraceMs: o.orphanGraceMs,
      logger: o.logger,
      resolve4: o.rtcdResolve4,
    });
  }
  if (o.store.engine !== 'postgres' || !o.databaseURL) {
    return integratedCoordination({
      rtc: await o.rtc(),
      nodeID: o.nodeID,
      store: o.store,
      orphanGraceMs: o.orphanGraceMs,
      logger: o.logger,
    });
  }
  return startCluster(o, o.databaseURL);
}

async function startCluster(o: CoordinationOptions, url: string): Promise<Coordination> {
  const log = o.logger.child({module: 'cluster', nodeID: o.nodeID});
  const me = o.nodeID;
  const cleanups: (() => Promise<unknown>)[] = [];
  const undo = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    let pinnedBefore: Call[] = [];
    const joined = await joinCluster(
      {
        url,
        nodeID: me,
        logger: log,
        isHandler: o.settings.isHandler,
        forcedMode: o.settings.forcedMode,
        onBusMessage: o.observer ? (d, t) => o.observer!.busMessage(d, t) : undefined,
        lockObserver: o.observer,
        // Calls pinned to this node id before it is visible are leftovers of a previous run under the same
        // id (MM_CALLS_NODE_ID); once it is visible, live nodes may pin calls here for this run, and those
        // must not be mistaken for leftovers (re-creating them twice restarts every client twice).
        beforeVisible: async () => {
          pinnedBefore = (await o.store.calls.listActiveCalls()).filter((c) => c.props.node_id === me);
        },
      },
      cleanups,
    );
    const {db, bus, registry, lock} = joined;

    const media = new MediaBus(bus, log.child({module: 'cluster-media'}));
    const router = new ClusteredMediaRouter({
      nodeID: me,
      registry,
      media,
      db,
      calls: o.store.calls,
      rtc: o.rtc,
      logger: log,
    });
    // A node that may host calls binds its RTC ports now, so a bad port setting stops the start; a
    // relay-only node (single handler, not the handler) never starts an SFU.
    let rtc: RtcServer | null = null;
    if (registry.canHost(me)) {
      rtc = await o.rtc();
      router.useStartedRtc(rtc);
    }
    cleanups.push(() => router.close());

    const failover = new Failover({
      ...joined,
      media,
      calls: o.store.calls,
      orphanGraceMs: o.orphanGraceMs,
      onMoved: (m) => router.onMoved(m),
      onOrphan: (sid, callID, channelID) => router.reportOrphan(sid, callID, channelID),
      onUnavailable: (m) => router.onUnavailable(m),
      onAbandoned: (callID, channelID, reason) => router.reportAbandoned(callID, channelID, reason),
      handlerWaitMs: o.settings.handlerWaitMs ?? DEFAULT_HANDLER_WAIT_MS,
    });
    router.start(failover);
    failover.start();
    cleanups.push(() => failover.close());

    const relay = wireClusterTraffic({...joined, failover, hub: o.hub});
    await failover.recoverOwnPins(pinnedBefore);

    log.info(
      {mode: registry.singleHandler ? 'single_handler' : 'clustered', handler: registry.isHandler, sfu: rtc !== null},
      'joined the cluster',
    );
    let closing: Promise<void> | null = null;
    return {
      nodeID: me,
      get mode(): ClusterMode {
        return registry.singleHandler ? 'single_handler' : 'clustered';
      },
      media: router,
      lock,
      rtc,
      relay,
      close() {
        closing ??= (async () => {
          // Leave first, so the others take our calls over while we close our media.
          router.leaving();
          await leaveCluster({...joined, failover, media: router});
        })();
        return closing;
      },
    };
  } catch (err) {
    await undo();
    throw err;
  }
}
