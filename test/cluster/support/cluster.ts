// A cluster of node processes on one fresh PostgreSQL database, the seeded world logged in, and a
// direct database handle for assertions about where calls live.
import pg from 'pg';
import {seededWorld, type World} from '../../support/fixtures';
import {createDatabase, requirePgUrl, type TestDatabase} from '../../support/postgres';
import type {TestServer} from '../../support/server';
import {CallUser, joinTalking} from './user';
import {type NodeProcess, SpawnedNodes, startNode} from './node';

export interface Cluster {
  db: TestDatabase;
  nodes: NodeProcess[];
  world: World;
  pg: pg.Pool;
  /** Adds a node (started after the others). */
  addNode(name: string, env?: Record<string, string>): Promise<NodeProcess>;
  /** The node a call's media is pinned to (props.node_id), or null. */
  callNode(channelID: string): Promise<string | null>;
  activeCalls(channelID: string): Promise<{id: string; props: {node_id?: string; hosts?: string[] | null}}[]>;
  sessions(callID: string): Promise<{id: string; userid: string}[]>;
  /** A user whose websocket starts on `node` and fails over to the next live node. */
  user(name: keyof World['users'], node: NodeProcess, fallback?: () => string): CallUser;
  /**
   * A new channel of `members` with a call in it: a user for each [name, node] (as `user` makes them), joined, each
   * hearing the others (joinTalking). Returns the channel, then the users in that order.
   */
  talking(members: string[], ...placed: [keyof World['users'], NodeProcess][]): Promise<[string, ...CallUser[]]>;
  stop(): Promise<void>;
}

export interface StartClusterOptions {
  /** A PostgreSQL server of the test's own (default: the suite's). */
  adminUrl?: string;
  /** Extra environment per node name. */
  env?: (name: string) => Record<string, string>;
  /** How long each node may take to get ready before it is killed (startNode's default otherwise). */
  readyTimeoutMs?: number;
  /** Tracks the node processes as they spawn (default: a tracker of the cluster's own). */
  spawned?: SpawnedNodes;
}

export async function startCluster(names: string[], opts: StartClusterOptions = {}): Promise<Cluster> {
  const db = await createDatabase(opts.adminUrl ?? requirePgUrl());
  const nodes: NodeProcess[] = [];
  const users: CallUser[] = [];
  const spawned = opts.spawned ?? new SpawnedNodes();
  const pool = new pg.Pool({connectionString: db.url, max: 2});
  pool.on('error', () => undefined);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const u of users) await u.close().catch(() => undefined);
      // Every node spawned, the one whose start failed or is still pending too.
      await spawned.killAll();
      await pool.end().catch(() => undefined);
      await db.drop().catch(() => undefined);
    })());
  const addNode = async (name: string, env?: Record<string, string>) => {
    const n = await startNode({
      name,
      databaseURL: db.url,
      env: {...opts.env?.(name), ...env},
      readyTimeoutMs: opts.readyTimeoutMs,
      spawned,
    });
    nodes.push(n);
    return n;
  };
  try {
    // One at a time: the first seeds the directory, the others find it seeded.
    for (const name of names) await addNode(name);
    const world = await seededWorld({url: nodes[0].url} as TestServer);
    const alive = (n: NodeProcess) => n.child.exitCode === null && n.child.signalCode === null;
    const user = (name: keyof World['users'], node: NodeProcess, fixedFallback?: () => string): CallUser => {
      let i = nodes.indexOf(node);
      const fallback = () => {
        for (let k = 1; k <= nodes.length; k++) {
          const cand = nodes[(i + k) % nodes.length];
          if (alive(cand)) {
            i = nodes.indexOf(cand);
            return cand.url;
          }
        }
        return node.url;
      };
      const u = new CallUser(name, node.url, world.users[name].token, fixedFallback ?? fallback);
      users.push(u);
      return u;
    };
    return {
      db,
      nodes,
      world,
      pg: pool,
      addNode,
      async activeCalls(channelID) {
        const r = await pool.query('SELECT id, props FROM calls WHERE channelid = $1 AND endat = 0', [channelID]);
        return r.rows;
      },
      async callNode(channelID) {
        const r = await pool.query("SELECT props->>'node_id' AS node FROM calls WHERE channelid = $1 AND endat = 0", [
          channelID,
        ]);
        return r.rows[0]?.node ?? null;
      },
      async sessions(callID) {
        const r = await pool.query('SELECT id, userid FROM calls_sessions WHERE callid = $1', [callID]);
        return r.rows;
      },
      user,
      async talking(members, ...placed) {
        const ch = await world.newChannel(members);
        const placedUsers = placed.map(([name, node]) => user(name, node));
        await joinTalking(ch, ...placedUsers);
        return [ch, ...placedUsers];
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Prints where node logs are when a test failed (jest has no afterEach failure hook; call from afterAll). */
export function logHint(nodes: NodeProcess[]): string {
  return nodes.map((n) => `${n.name} (${n.nodeID}): ${n.logFile}`).join('\n');
}

/** A cluster start that can be stopped at any point, whether it succeeded, failed or is still pending. */
export interface ClusterRun {
  /** Starts the cluster (once). */
  start(opts?: StartClusterOptions): Promise<Cluster>;
  /** The started cluster; throws if it did not start. */
  cluster(): Cluster;
  /** The node processes spawned so far (ready or not). */
  readonly spawned: SpawnedNodes;
  /**
   * Stops the cluster, printing where the node logs are. When the start has not finished (a beforeAll that
   * timed out) or failed, kills every node it spawned first, then waits for the start to end.
   */
  stop(): Promise<void>;
}

export function clusterRun(names: string[]): ClusterRun {
  const spawned = new SpawnedNodes();
  let starting: Promise<Cluster> | undefined;
  let c: Cluster | undefined;
  return {
    spawned,
    start(opts = {}) {
      starting ??= startCluster(names, {...opts, spawned}).then((started) => (c = started));
      return starting;
    },
    cluster() {
      if (!c) throw new Error('the cluster did not start');
      return c;
    },
    async stop() {
      if (!c) await spawned.killAll();
      const started = c ?? (await starting?.catch(() => undefined));
      if (!started) return;
      process.stdout.write(`cluster node logs:\n${logHint(started.nodes)}\n`);
      await started.stop();
    },
  };
}

/**
 * Starts a cluster before the tests of the enclosing describe and stops it after them, printing where the
 * node logs are. `options` may be a function (run in beforeAll, e.g. to start a PostgreSQL of its own).
 * Every node spawned is stopped, even when the start failed or timed out partway.
 */
export function useCluster(
  names: string[],
  options: StartClusterOptions | (() => Promise<StartClusterOptions>) = {},
): () => Cluster {
  const run = clusterRun(names);
  beforeAll(async () => {
    await run.start(typeof options === 'function' ? await options() : options);
  }, 60_000);
  afterAll(() => run.stop());
  return () => run.cluster();
}
