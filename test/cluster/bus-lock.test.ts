// The cluster's PostgreSQL primitives between two "nodes" in this process, on a real server: the bus
// (payloads far over the 8000-byte NOTIFY limit intact and in order, broadcast, requests, no waiting
// on a dead node, recovery after a restart) and the advisory-lock call lock (mutual exclusion across
// nodes, released the moment its holder's connection dies).
import {randomBytes} from 'node:crypto';
import {sql} from 'kysely';
import pg from 'pg';
import {Bus, type BusMessage} from '../../server/src/cluster/bus';
import {CALL_LOCK_NS, lockKey, PgCallLock} from '../../server/src/cluster/lock';
import {clusterMigrations} from '../../server/src/cluster/schema';
import {silentLogger} from '../../server/src/log';
import {openStore, type Store} from '../../server/src/store';
import {createDatabase, startPostgres, type PgServer, type TestDatabase} from '../support/postgres';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(60_000);

const logger = silentLogger();

async function migrated(url: string): Promise<Store> {
  return openStore({dataDir: '/tmp', databaseURL: url, logger, extraMigrations: [clusterMigrations]});
}

/** A migrated store and two started buses, nodea and nodeb, on the database at `url`. */
async function busesOn(url: string, alive: Set<string>): Promise<[Store, Bus, Bus]> {
  const store = await migrated(url);
  const a = new Bus({url, nodeID: 'nodea', logger, isAlive: (n) => alive.has(n)});
  const b = new Bus({url, nodeID: 'nodeb', logger, isAlive: (n) => alive.has(n)});
  await a.start();
  await b.start();
  return [store, a, b];
}

/** Closes, in order, what a block opened (what never opened is skipped). */
async function closeInOrder(...items: Array<{close(): Promise<void>} | undefined>): Promise<void> {
  for (const item of items) await item?.close();
}

describe('bus', () => {
  let db: TestDatabase;
  let store: Store;
  let a: Bus;
  let b: Bus;
  const alive = new Set(['nodea', 'nodeb']);

  beforeAll(async () => {
    db = await createDatabase();
    [store, a, b] = await busesOn(db.url, alive);
  });

  afterAll(async () => {
    await closeInOrder(a, b, store);
    await db?.drop();
  });

  it('delivers payloads above the NOTIFY limit intact and in order with small ones, to one node and to all', async () => {
    const got: BusMessage[] = [];
    b.handle('blob', (m) => void got.push(m));
    const sent: {i: number; data: string}[] = [];
    for (let i = 0; i < 40; i++) {
      // Every third message is 12–30 KB (base64 text), the rest are tiny.
      const data = i % 3 === 0 ? randomBytes(9000 + i * 300).toString('base64') : `small-${i}`;
      sent.push({i, data});
      if (i % 2 === 0) a.send('nodeb', 'blob', {i, data});
      else a.broadcast('blob', {i, data});
    }
    await waitFor(() => got.length === sent.length, 10_000, 'all messages');
    expect(got.map((m) => m.data)).toEqual(sent);
    expect(got.every((m) => m.from === 'nodea')).toBe(true);
    expect(sent.some((s) => s.data.length > 8000)).toBe(true);
    // Spilled rows addressed to node b were deleted once read (broadcast ones expire with the sweep).
    const left = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM calls_cluster_messages WHERE channel <> 'calls_cluster_bus'`.execute(store.db);
    expect(left.rows[0].n).toBe(0);
  });

  it('answers requests, large replies included, and passes errors back with their id', async () => {
    const big = randomBytes(20_000).toString('hex');
    b.handle('echo', (m) => ({echo: m.data, big}));
    b.handle('fail', () => {
      throw Object.assign(new Error('nope'), {id: 'x'});
    });
    const reply = await a.request<{echo: unknown; big: string}>('nodeb', 'echo', {hello: 'world'});
    expect(reply).toEqual({echo: {hello: 'world'}, big});
    await expect(a.request('nodeb', 'fail', {})).rejects.toThrow('nope');
  });

  it('does not wait on a node that is not alive, or that dies while we wait', async () => {
    const t0 = Date.now();
    await expect(a.request('nodec', 'echo', {})).rejects.toMatchObject({id: 'app.calls.cluster.node_unavailable'});
    expect(Date.now() - t0).toBeLessThan(100);
    // Node b stops answering (no handler reply comes) and is then declared dead: the request fails at once.
    b.handle('slow', () => new Promise(() => undefined));
    const pending = a.request('nodeb', 'slow', {}, 30_000);
    await sleep(200);
    const t1 = Date.now();
    a.nodeGone('nodeb');
    await expect(pending).rejects.toMatchObject({id: 'app.calls.cluster.node_unavailable'});
    expect(Date.now() - t1).toBeLessThan(100);
  });
});

describe('bus and lock across a PostgreSQL restart', () => {
  let server: PgServer;
  let store: Store;
  let a: Bus;
  let b: Bus;

  beforeAll(async () => {
    server = await startPostgres();
    [store, a, b] = await busesOn(server.url, new Set(['nodea', 'nodeb']));
  });

  afterAll(async () => {
    await closeInOrder(a, b, store);
    await server?.stop();
  });

  it('reconnects both connections and delivers again', async () => {
    const got: unknown[] = [];
    b.handle('n', (m) => void got.push(m.data));
    a.send('nodeb', 'n', 1);
    await waitFor(() => got.length === 1, 5000, 'first message');
    await server.down();
    a.send('nodeb', 'n', 2);
    await sleep(500);
    await server.up();
    await waitFor(() => b.listener.connected, 10_000, 'listener back');
    await waitFor(() => a.listener.connected, 10_000, 'listener back');
    a.send('nodeb', 'n', 3);
    await waitFor(() => got.includes(3), 10_000, 'message after the restart');
    // Message 2 was queued while the server was down and sent once the sender reconnected; it arrives
    // only if b was listening again by then (NOTIFY keeps nothing for absent listeners), and never after 3.
    expect(got[0]).toBe(1);
    expect(got[got.length - 1]).toBe(3);
    expect(got.length).toBeLessThanOrEqual(3);
    // Requests work again too.
    b.handle('ping', () => 'pong');
    expect(await a.request('nodeb', 'ping', {})).toBe('pong');
  });

  it('the call lock works again after the restart', async () => {
    const lock = new PgCallLock({url: server.url, nodeID: 'nodea', logger});
    try {
      await server.restart();
      // The first use may meet a connection cut by the restart; a retry gets a fresh one.
      let result = '';
      await waitFor(
        async () => {
          result = await lock.withLock('chan-restart', async () => 'held').catch(() => '');
          return result === 'held';
        },
        10_000,
        'the lock after the restart',
      );
      expect(result).toBe('held');
    } finally {
      await lock.close();
    }
  });
});

describe('store', () => {
  it('fails a transaction whose connection the server cuts between its queries, without an unhandled error', async () => {
    const db = await createDatabase();
    const store = await migrated(db.url);
    try {
      const tx = store.db.transaction().execute(async (trx) => {
        const {rows} = await sql<{pid: number}>`SELECT pg_backend_pid() AS pid`.execute(trx);
        const admin = new pg.Client({connectionString: db.url});
        await admin.connect();
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
        await admin.end();
        await sleep(300); // the cut arrives while the connection sits idle, checked out
        await sql`SELECT 1`.execute(trx);
      });
      await expect(tx).rejects.toThrow();
      // The pool hands out a working connection afterwards.
      const {rows} = await sql<{n: number}>`SELECT 1 AS n`.execute(store.db);
      expect(rows[0].n).toBe(1);
    } finally {
      await store.close();
      await db.drop();
    }
  });
});

describe('call lock', () => {
  let db: TestDatabase;
  let l1: PgCallLock;
  let l2: PgCallLock;

  beforeAll(async () => {
    db = await createDatabase();
    l1 = new PgCallLock({url: db.url, nodeID: 'nodea', logger});
    l2 = new PgCallLock({url: db.url, nodeID: 'nodeb', logger, timeoutMs: 1500});
  });

  afterAll(async () => {
    await l1?.close();
    await l2?.close();
    await db?.drop();
  });

  it('serialises critical sections of one channel across nodes, not of different channels', async () => {
    const log: string[] = [];
    const section = (lock: PgCallLock, name: string, channel: string) =>
      lock.withLock(channel, async () => {
        log.push(`${name}+`);
        await sleep(50);
        log.push(`${name}-`);
      });
    await Promise.all([
      section(l1, 'a', 'ch1'),
      section(l2, 'b', 'ch1'),
      section(l1, 'c', 'ch1'),
      section(l2, 'd', 'ch1'),
    ]);
    // Never two inside at once: every enter is followed by its own exit.
    for (let i = 0; i < log.length; i += 2) expect(log[i + 1]).toBe(log[i].replace('+', '-'));

    const other: string[] = [];
    await Promise.all([
      l1.withLock('ch2', async () => {
        other.push('x+');
        await sleep(200);
        other.push('x-');
      }),
      (async () => {
        await sleep(50);
        await l2.withLock('ch3', async () => void other.push('y'));
      })(),
    ]);
    expect(other).toEqual(['x+', 'y', 'x-']);
  });

  it('times out with app.calls.lock_timeout, and is free the moment its holder dies', async () => {
    // A "node" takes the lock on its own connection and then dies (its socket is cut).
    const holder = new pg.Client({connectionString: db.url});
    holder.on('error', () => undefined);
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1, $2)', [CALL_LOCK_NS, lockKey('ch4')]);
    await expect(l2.withLock('ch4', async () => 'never')).rejects.toMatchObject({id: 'app.calls.lock_timeout'});
    const t0 = Date.now();
    const waiting = l1.withLock('ch4', async () => Date.now());
    await sleep(300);
    (holder as unknown as {connection: {stream: {destroy(): void}}}).connection.stream.destroy();
    const acquiredAt = await waiting;
    // Acquired right after the holder died (no TTL to wait out).
    expect(acquiredAt - t0).toBeLessThan(3000);
    await holder.end().catch(() => undefined);
  });

  it('survives its own connection being cut while a section runs (no unhandled error), and works after', async () => {
    const admin = new pg.Client({connectionString: db.url});
    await admin.connect();
    try {
      // The section's lock connection is terminated by the server (as a PostgreSQL restart does) while the
      // section runs and the connection sits idle, checked out of the pool.
      const result = await l1.withLock('ch5', async () => {
        const r = await admin.query(
          `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
           WHERE application_name = 'calls-lock:nodea' AND query LIKE '%pg_advisory_lock%'`,
        );
        expect(r.rows.length).toBeGreaterThan(0);
        await sleep(300);
        return 'section done';
      });
      expect(result).toBe('section done');
      // The next section gets a fresh connection.
      expect(await l1.withLock('ch5', async () => 'again')).toBe('again');
    } finally {
      await admin.end();
    }
  });
});
