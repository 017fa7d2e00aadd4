// The PostgreSQL test harness works: per-file databases are isolated, LISTEN/NOTIFY crosses connections,
// drop really drops, and a restarted server keeps its port and data (what the cluster tests rely on).

import {Client} from 'pg';
import {createDatabase, requirePgUrl, startPostgres, type PgServer, type TestDatabase} from '../support/postgres';

function connect(url: string): Promise<Client> {
  const c = new Client({connectionString: url});
  c.on('error', () => {}); // a server restart cuts connections; the test asserts on that through queries
  return c.connect().then(() => c);
}

function nextNotification(client: Client, channel: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no notification on ${channel}`)), 5000);
    client.once('notification', (msg) => {
      clearTimeout(timer);
      resolve(msg.channel === channel ? msg.payload : `wrong channel ${msg.channel}`);
    });
  });
}

describe('shared test server', () => {
  let db: TestDatabase;
  const clients: Client[] = [];

  beforeAll(async () => {
    db = await createDatabase(requirePgUrl());
  }, 30_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    await db?.drop();
  });

  it('gives each caller its own database, with tables and LISTEN/NOTIFY between two clients', async () => {
    const other = await createDatabase();
    try {
      expect(other.name).not.toBe(db.name);
      const [a, b] = [await connect(db.url), await connect(db.url)];
      clients.push(a, b);

      await a.query('CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)');
      await a.query(`INSERT INTO notes (body) VALUES ('hello')`);
      const seen = await b.query<{body: string}>('SELECT body FROM notes');
      expect(seen.rows.map((r) => r.body)).toEqual(['hello']);

      const o = await connect(other.url);
      await expect(o.query('SELECT 1 FROM notes')).rejects.toThrow(/relation "notes" does not exist/);
      await o.end();

      await b.query('LISTEN calls_bus');
      const got = nextNotification(b, 'calls_bus');
      await a.query(`SELECT pg_notify('calls_bus', $1)`, ['node-a:join']);
      expect(await got).toBe('node-a:join');
    } finally {
      await other.drop();
    }
  });

  it('drop() removes the database even while a connection is still open', async () => {
    const tmp = await createDatabase();
    const held = await connect(tmp.url);
    await tmp.drop();
    const admin = await connect(requirePgUrl());
    const res = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [tmp.name]);
    await admin.end();
    await held.end().catch(() => {});
    expect(res.rowCount).toBe(0);
  });
});

describe('restartable server', () => {
  let server: PgServer;
  // initdb and the first start take seconds on a busy machine.
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('restart() cuts connections but keeps the port and the data', async () => {
    const db = await createDatabase(server.url);
    const before = await connect(db.url);
    await before.query('CREATE TABLE calls (id text PRIMARY KEY)');
    await before.query(`INSERT INTO calls VALUES ('call1')`);
    const port = server.port;

    await server.restart();

    await expect(before.query('SELECT 1')).rejects.toThrow();
    expect(server.port).toBe(port);
    expect(new URL(server.url).port).toBe(String(port));
    const after = await connect(db.url);
    const rows = await after.query<{id: string}>('SELECT id FROM calls');
    expect(rows.rows).toEqual([{id: 'call1'}]);
    await after.end();
    await db.drop();
  });

  it('down() refuses connections until up()', async () => {
    await server.down();
    await expect(connect(server.url)).rejects.toThrow(/ECONNREFUSED/);
    await server.up();
    const c = await connect(server.url);
    expect((await c.query('SELECT 1 AS one')).rows).toEqual([{one: 1}]);
    await c.end();
  });
});
