// Schema migrations, written once for SQLite and PostgreSQL. The calls_* tables follow the upstream
// schema (reference §7.1); standalone_* tables back the built-in stand-in for the chat server.
// kysely records applied migrations in db_migrations_calls, as upstream names its table.
import {type Kysely, type Migration, type MigrationProvider, Migrator, sql} from 'kysely';
import type {StoreEngine} from './types';

type Db = Kysely<unknown>;

function jsonType(engine: StoreEngine) {
  return engine === 'postgres' ? sql`jsonb` : sql`text`;
}

function migrationsFor(engine: StoreEngine): Record<string, Migration> {
  const json = jsonType(engine);
  return {
    '000001_calls_tables': {
      async up(db: Db) {
        await db.schema
          .createTable('calls_channels')
          .ifNotExists()
          .addColumn('channelid', 'varchar(26)', (c) => c.primaryKey())
          .addColumn('enabled', 'boolean')
          .addColumn('props', json, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('calls')
          .ifNotExists()
          .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
          .addColumn('channelid', 'varchar(26)', (c) => c.notNull())
          .addColumn('startat', 'bigint', (c) => c.notNull())
          .addColumn('endat', 'bigint', (c) => c.notNull())
          .addColumn('createat', 'bigint', (c) => c.notNull())
          .addColumn('deleteat', 'bigint', (c) => c.notNull())
          .addColumn('title', 'varchar(256)')
          .addColumn('postid', 'varchar(26)', (c) => c.notNull())
          .addColumn('threadid', 'varchar(26)', (c) => c.notNull())
          .addColumn('ownerid', 'varchar(26)', (c) => c.notNull())
          .addColumn('participants', json, (c) => c.notNull())
          .addColumn('stats', json, (c) => c.notNull())
          .addColumn('props', json, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('idx_calls_channel_id').ifNotExists().on('calls').column('channelid').execute();
        await db.schema.createIndex('idx_calls_end_at').ifNotExists().on('calls').column('endat').execute();
        await db.schema
          .createTable('calls_sessions')
          .ifNotExists()
          .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
          .addColumn('callid', 'varchar(26)', (c) => c.notNull())
          .addColumn('userid', 'varchar(26)', (c) => c.notNull())
          .addColumn('joinat', 'bigint', (c) => c.notNull())
          .addColumn('unmuted', 'boolean', (c) => c.notNull())
          .addColumn('raisedhand', 'bigint', (c) => c.notNull())
          .addColumn('video', 'boolean', (c) => c.notNull().defaultTo(false))
          .execute();
        await db.schema
          .createIndex('idx_calls_sessions_call_id')
          .ifNotExists()
          .on('calls_sessions')
          .column('callid')
          .execute();
        await db.schema
          .createTable('calls_jobs')
          .ifNotExists()
          .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
          .addColumn('callid', 'varchar(26)', (c) => c.notNull())
          .addColumn('type', 'varchar(64)', (c) => c.notNull())
          .addColumn('creatorid', 'varchar(26)', (c) => c.notNull())
          .addColumn('initat', 'bigint', (c) => c.notNull())
          .addColumn('startat', 'bigint', (c) => c.notNull())
          .addColumn('endat', 'bigint', (c) => c.notNull())
          .addColumn('props', json, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('idx_calls_jobs_call_id').ifNotExists().on('calls_jobs').column('callid').execute();
        await db.schema
          .createTable('calls_kv')
          .ifNotExists()
          .addColumn('key', 'varchar(256)', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '000002_standalone_platform': {
      async up(db: Db) {
        await db.schema
          .createTable('standalone_users')
          .ifNotExists()
          .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
          .addColumn('username', 'varchar(64)', (c) => c.notNull().unique())
          .addColumn('email', 'varchar(128)', (c) => c.notNull())
          .addColumn('first_name', 'varchar(64)', (c) => c.notNull())
          .addColumn('last_name', 'varchar(64)', (c) => c.notNull())
          .addColumn('nickname', 'varchar(64)', (c) => c.notNull())
          .addColumn('password_hash', 'varchar(256)', (c) => c.notNull())
          .addColumn('roles', 'varchar(256)', (c) => c.notNull())
          .addColumn('is_bot', 'boolean', (c) => c.notNull())
          .addColumn('create_at', 'bigint', (c) => c.notNull())
          .addColumn('update_at', 'bigint', (c) => c.notNull())
          .addColumn('delete_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('standalone_tokens')
          .ifNotExists()
          .addColumn('token', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('user_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('create_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('standalone_teams')
          .ifNotExists()
          .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
          .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
          .addColumn('display_name', 'varchar(64)', (c) => c.notNull())
          .addColumn('type', 'varchar(1)', (c) => c.notNull())
          .addColumn('create_at', 'bigint', (c) => c.notNull())
          .addColumn('delete_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('standalone_team_members')
          .ifNotExists()
          .addColumn('team_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('user_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('roles', 'varchar(256)', (c) => c.notNull())
          .addPrimaryKeyConstraint('standalone_team_members_pk', ['team_id', 'user_id'])
          .execute();
        await db.schema
          .createTable('standalone_channels')
          .ifNotExists()
          .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
          .addColumn('team_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('type', 'varchar(1)', (c) => c.notNull())
          .addColumn('name', 'varchar(64)', (c) => c.notNull())
          .addColumn('display_name', 'varchar(64)', (c) => c.notNull())
          .addColumn('header', 'varchar(1024)', (c) => c.notNull())
          .addColumn('purpose', 'varchar(250)', (c) => c.notNull())
          .addColumn('creator_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('create_at', 'bigint', (c) => c.notNull())
          .addColumn('update_at', 'bigint', (c) => c.notNull())
          .addColumn('delete_at', 'bigint', (c) => c.notNull())
          .addColumn('last_post_at', 'bigint', (c) => c.notNull())
          .addUniqueConstraint('standalone_channels_team_name', ['team_id', 'name'])
          .execute();
        await db.schema
          .createTable('standalone_channel_members')
          .ifNotExists()
          .addColumn('channel_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('user_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('roles', 'varchar(256)', (c) => c.notNull())
          .addColumn('last_viewed_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('standalone_channel_members_pk', ['channel_id', 'user_id'])
          .execute();
        await db.schema
          .createIndex('idx_standalone_channel_members_user')
          .ifNotExists()
          .on('standalone_channel_members')
          .column('user_id')
          .execute();
        await db.schema
          .createTable('standalone_posts')
          .ifNotExists()
          .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
          .addColumn('channel_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('user_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('root_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('message', 'text', (c) => c.notNull())
          .addColumn('type', 'varchar(64)', (c) => c.notNull())
          .addColumn('props', json, (c) => c.notNull())
          .addColumn('create_at', 'bigint', (c) => c.notNull())
          .addColumn('update_at', 'bigint', (c) => c.notNull())
          .addColumn('edit_at', 'bigint', (c) => c.notNull())
          .addColumn('delete_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('idx_standalone_posts_channel_create')
          .ifNotExists()
          .on('standalone_posts')
          .columns(['channel_id', 'create_at'])
          .execute();
      },
    },
    // The SFU settings of each session a single node runs (integrated mode: cluster/session-configs.ts), so a
    // session whose client comes back after a crash is re-created as it joined. Unused with PostgreSQL.
    '000003_local_sessions': {
      async up(db: Db) {
        await db.schema
          .createTable('calls_local_sessions')
          .ifNotExists()
          .addColumn('session_id', 'varchar(26)', (c) => c.primaryKey())
          .addColumn('call_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('config', json, (c) => c.notNull())
          .execute();
      },
    },
    // Files of the standalone platform (recordings): resumable uploads, stored files, and the posts' file ids.
    '000004_standalone_files': {
      async up(db: Db) {
        await db.schema
          .alterTable('standalone_posts')
          .addColumn('file_ids', 'varchar(300)', (c) => c.notNull().defaultTo('[]'))
          .execute();
        await db.schema
          .createTable('standalone_uploads')
          .ifNotExists()
          .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
          .addColumn('user_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('channel_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('filename', 'varchar(256)', (c) => c.notNull())
          .addColumn('file_size', 'bigint', (c) => c.notNull())
          .addColumn('file_offset', 'bigint', (c) => c.notNull())
          .addColumn('create_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('standalone_files')
          .ifNotExists()
          .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
          .addColumn('user_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('channel_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('post_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('name', 'varchar(256)', (c) => c.notNull())
          .addColumn('extension', 'varchar(64)', (c) => c.notNull())
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('mime_type', 'varchar(128)', (c) => c.notNull())
          .addColumn('create_at', 'bigint', (c) => c.notNull())
          .addColumn('update_at', 'bigint', (c) => c.notNull())
          .addColumn('delete_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
  };
}

class StaticProvider implements MigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return this.migrations;
  }
}

/** Extra migrations other modules (cluster/) register, applied after ours in name order. */
export type ExtraMigrations = (engine: StoreEngine) => Record<string, Migration>;

export async function migrate(db: Db, engine: StoreEngine, extra: ExtraMigrations[] = []): Promise<string[]> {
  const all = migrationsFor(engine);
  for (const e of extra) Object.assign(all, e(engine));
  const migrator = new Migrator({
    db,
    provider: new StaticProvider(all),
    migrationTableName: 'db_migrations_calls',
    migrationLockTableName: 'db_migrations_calls_lock',
  });
  const {error, results} = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(`store migration ${failed?.migrationName ?? ''} failed: ${cause}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
