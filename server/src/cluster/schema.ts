// The cluster's own tables (PostgreSQL only; SQLite is single-node by definition):
// - calls_cluster_nodes: one row per running node, with its heartbeat (database clock, ms);
// - calls_cluster_sessions: which node holds each call session's websocket, and the session's SFU
//   settings, so a session can be re-created on another node and orphans can be found;
// - calls_cluster_messages: bus payloads too large for a NOTIFY (the notification carries the row id).
import type {Migration} from 'kysely';
import {createIndex, createTable} from '../store/ddl';
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
        await createTable(db, NODES_TABLE, [
          ['id', 'varchar(64)', 'primary key'],
          ['is_handler', 'boolean'],
          ['started_at', 'bigint'],
          ['heartbeat_at', 'bigint'],
          ['info', 'jsonb'],
        ]);
        await createTable(db, SESSIONS_TABLE, [
          ['session_id', 'varchar(64)', 'primary key'],
          ['node_id', 'varchar(64)'],
          ['call_id', 'varchar(26)'],
          ['channel_id', 'varchar(26)'],
          ['config', 'jsonb'],
          ['updated_at', 'bigint'],
        ]);
        await createIndex(db, 'idx_calls_cluster_sessions_node', SESSIONS_TABLE, ['node_id']);
        await createTable(db, MESSAGES_TABLE, [
          ['id', 'bigserial', 'primary key'],
          ['channel', 'varchar(63)'],
          ['payload', 'text'],
          ['created_at', 'bigint'],
        ]);
      },
    },
  };
  return m;
};
