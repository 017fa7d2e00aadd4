// The cluster's own tables (PostgreSQL only; SQLite is single-node by definition):
// - calls_cluster_nodes: one row per running node, with its heartbeat (database clock, ms);
// - calls_cluster_sessions: which node holds each call session's websocket, and the session's SFU
//   settings, so a session can be re-created on another node and orphans can be found;
// - calls_cluster_messages: bus payloads too large for a NOTIFY (the notification carries the row id).
import type {Migration} from 'kysely';
import type {ExtraMigrations} from '../store/migrations';

export const NODES_TABLE = 'calls_cluster_nodes';
export const SESSIONS_TABLE = 'calls_cluster_sessions';
export const MESSAGES_TABLE = 'calls_cluster_messages';

/** The database clock in ms: every node compares heartbeats against the same clock. */
export const DB_NOW_SQL = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

export const clusterMigrations: ExtraMigrations = (engine) => {
  if (engine !== 'postgres') return {};
  const m: Record<string, Migration> = {
    '100001_cluster_tables': {
      async up(db) {
        await db.schema
          .createTable(NODES_TABLE)
          .ifNotExists()
          .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('is_handler', 'boolean', (c) => c.notNull())
          .addColumn('started_at', 'bigint', (c) => c.notNull())
          .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
          .addColumn('info', 'jsonb', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable(SESSIONS_TABLE)
          .ifNotExists()
          .addColumn('session_id', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('node_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('call_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('channel_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('config', 'jsonb', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('idx_calls_cluster_sessions_node')
          .ifNotExists()
          .on(SESSIONS_TABLE)
          .column('node_id')
          .execute();
        await db.schema
          .createTable(MESSAGES_TABLE)
          .ifNotExists()
          .addColumn('id', 'bigserial', (c) => c.primaryKey())
          .addColumn('channel', 'varchar(63)', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
  };
  return m;
};
