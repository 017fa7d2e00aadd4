// Opens the store: SQLite in the data directory by default, PostgreSQL when a URL is given.
// Migrations run on open and are idempotent.
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase} from 'kysely';
import pg from 'pg';
import type {Logger} from '../log';
import {KyselyCallsRepository} from './calls-repository';
import {KyselyKVRepository} from './kv-repository';
import {type ExtraMigrations, migrate} from './migrations';
import {watchPoolErrors} from './pg-pool';
import type {Database} from './schema';
import type {CallsRepository, KVRepository, StoreEngine} from './types';

export type {Database} from './schema';
export * from './types';

export interface StoreOptions {
  /** PostgreSQL URL (MM_CALLS_DATABASE_URL); when empty, SQLite in dataDir. */
  databaseURL?: string;
  /** Directory for the SQLite file (created if missing). */
  dataDir: string;
  logger: Logger;
  /** Maximum PostgreSQL pool size. */
  maxConnections?: number;
  /** Migrations of other modules (cluster tables). */
  extraMigrations?: ExtraMigrations[];
}

export interface Store {
  readonly engine: StoreEngine;
  readonly db: Kysely<Database>;
  readonly calls: CallsRepository;
  readonly kv: KVRepository;
  /** Where the data lives, for the start banner (the SQLite path or the PostgreSQL host/db, no password). */
  readonly location: string;
  close(): Promise<void>;
}

const INT8_OID = 20;

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}${u.port ? ':' + u.port : ''}${u.pathname}`;
  } catch {
    return 'postgres';
  }
}

export async function openStore(opts: StoreOptions): Promise<Store> {
  const log = opts.logger.child({module: 'store'});
  let db: Kysely<Database>;
  let engine: StoreEngine;
  let location: string;
  if (opts.databaseURL) {
    engine = 'postgres';
    location = redactUrl(opts.databaseURL);
    const pool = new pg.Pool({
      connectionString: opts.databaseURL,
      max: opts.maxConnections ?? 10,
      // bigint columns hold millisecond timestamps, well inside Number's exact range.
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          oid === INT8_OID
            ? (v: string) => Number(v)
            : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    });
    watchPoolErrors(pool, (err) => log.warn({err: err.message}, 'postgres pool error'));
    db = new Kysely<Database>({dialect: new PostgresDialect({pool})});
  } else {
    engine = 'sqlite';
    fs.mkdirSync(opts.dataDir, {recursive: true});
    location = path.join(opts.dataDir, 'calls.db');
    const sqlite = new BetterSqlite3(location);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    db = new Kysely<Database>({dialect: new SqliteDialect({database: booleansAsIntegers(sqlite)})});
  }
  try {
    const applied = await migrate(db as Kysely<unknown>, engine, opts.extraMigrations);
    if (applied.length) log.info({engine, applied}, 'store migrations applied');
  } catch (err) {
    await db.destroy();
    throw err;
  }
  let closed = false;
  return {
    engine,
    db,
    location,
    calls: new KyselyCallsRepository(db),
    kv: new KyselyKVRepository(db),
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/** better-sqlite3 binds no booleans; SQLite stores them as 0/1 anyway, so convert on the way in. */
function booleansAsIntegers(db: BetterSqlite3.Database): SqliteDatabase {
  const conv = (params: ReadonlyArray<unknown>) => params.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
  return {
    close: () => db.close(),
    prepare(sql: string) {
      const stmt = db.prepare(sql);
      return {
        reader: stmt.reader,
        all: (params: ReadonlyArray<unknown>) => stmt.all(conv(params)),
        run: (params: ReadonlyArray<unknown>) => stmt.run(conv(params)),
        iterate: (params: ReadonlyArray<unknown>) => stmt.iterate(conv(params)),
      };
    },
  };
}
