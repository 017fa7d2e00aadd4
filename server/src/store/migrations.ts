// Schema migrations, written once for SQLite and PostgreSQL. The calls_* tables follow the upstream
// schema (reference §7.1); standalone_* tables back the built-in stand-in for the chat server.
// kysely records applied migrations in db_migrations_calls, as upstream names its table.
import {type Kysely, type Migration, type MigrationProvider, Migrator, sql} from 'kysely';
import {createIndex, createTable} from './ddl';
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
        await createTable(db, 'calls_channels', [
          ['channelid', 'varchar(26)', 'primary key'],
          ['enabled', 'boolean', 'nullable'],
          ['props', json],
        ]);
        await createTable(db, 'calls', [
          ['id', 'varchar(26)', 'primary key'],
          ['channelid', 'varchar(26)'],
          ['startat', 'bigint'],
          ['endat', 'bigint'],
          ['createat', 'bigint'],
          ['deleteat', 'bigint'],
          ['title', 'varchar(256)', 'nullable'],
          ['postid', 'varchar(26)'],
          ['threadid', 'varchar(26)'],
          ['ownerid', 'varchar(26)'],
          ['participants', json],
          ['stats', json],
          ['props', json],
        ]);
        await createIndex(db, 'idx_calls_channel_id', 'calls', ['channelid']);
        await createIndex(db, 'idx_calls_end_at', 'calls', ['endat']);
        await createTable(db, 'calls_sessions', [
          ['id', 'varchar(26)', 'primary key'],
          ['callid', 'varchar(26)'],
          ['userid', 'varchar(26)'],
          ['joinat', 'bigint'],
          ['unmuted', 'boolean'],
          ['raisedhand', 'bigint'],
          ['video', 'boolean', {default: false}],
        ]);
        await createIndex(db, 'idx_calls_sessions_call_id', 'calls_sessions', ['callid']);
        await createTable(db, 'calls_jobs', [
          ['id', 'varchar(26)', 'primary key'],
          ['callid', 'varchar(26)'],
          ['type', 'varchar(64)'],
          ['creatorid', 'varchar(26)'],
          ['initat', 'bigint'],
          ['startat', 'bigint'],
          ['endat', 'bigint'],
          ['props', json],
        ]);
        await createIndex(db, 'idx_calls_jobs_call_id', 'calls_jobs', ['callid']);
        await createTable(db, 'calls_kv', [
          ['key', 'varchar(256)', 'primary key'],
          ['value', 'text'],
        ]);
      },
    },
    '000002_standalone_platform': {
      async up(db: Db) {
        await createTable(db, 'standalone_users', [
          ['id', 'varchar(26)', 'primary key'],
          ['username', 'varchar(64)', 'unique'],
          ['email', 'varchar(128)'],
          ['first_name', 'varchar(64)'],
          ['last_name', 'varchar(64)'],
          ['nickname', 'varchar(64)'],
          ['password_hash', 'varchar(256)'],
          ['roles', 'varchar(256)'],
          ['is_bot', 'boolean'],
          ['create_at', 'bigint'],
          ['update_at', 'bigint'],
          ['delete_at', 'bigint'],
        ]);
        await createTable(db, 'standalone_tokens', [
          ['token', 'varchar(64)', 'primary key'],
          ['user_id', 'varchar(26)'],
          ['create_at', 'bigint'],
          ['expires_at', 'bigint'],
        ]);
        await createTable(db, 'standalone_teams', [
          ['id', 'varchar(26)', 'primary key'],
          ['name', 'varchar(64)', 'unique'],
          ['display_name', 'varchar(64)'],
          ['type', 'varchar(1)'],
          ['create_at', 'bigint'],
          ['delete_at', 'bigint'],
        ]);
        await createTable(
          db,
          'standalone_team_members',
          [
            ['team_id', 'varchar(26)'],
            ['user_id', 'varchar(26)'],
            ['roles', 'varchar(256)'],
          ],
          {primaryKey: ['standalone_team_members_pk', ['team_id', 'user_id']]},
        );
        await createTable(
          db,
          'standalone_channels',
          [
            ['id', 'varchar(26)', 'primary key'],
            ['team_id', 'varchar(26)'],
            ['type', 'varchar(1)'],
            ['name', 'varchar(64)'],
            ['display_name', 'varchar(64)'],
            ['header', 'varchar(1024)'],
            ['purpose', 'varchar(250)'],
            ['creator_id', 'varchar(26)'],
            ['create_at', 'bigint'],
            ['update_at', 'bigint'],
            ['delete_at', 'bigint'],
            ['last_post_at', 'bigint'],
          ],
          {unique: ['standalone_channels_team_name', ['team_id', 'name']]},
        );
        await createTable(
          db,
          'standalone_channel_members',
          [
            ['channel_id', 'varchar(26)'],
            ['user_id', 'varchar(26)'],
            ['roles', 'varchar(256)'],
            ['last_viewed_at', 'bigint'],
          ],
          {primaryKey: ['standalone_channel_members_pk', ['channel_id', 'user_id']]},
        );
        await createIndex(db, 'idx_standalone_channel_members_user', 'standalone_channel_members', ['user_id']);
        await createTable(db, 'standalone_posts', [
          ['id', 'varchar(26)', 'primary key'],
          ['channel_id', 'varchar(26)'],
          ['user_id', 'varchar(26)'],
          ['root_id', 'varchar(26)'],
          ['message', 'text'],
          ['type', 'varchar(64)'],
          ['props', json],
          ['create_at', 'bigint'],
          ['update_at', 'bigint'],
          ['edit_at', 'bigint'],
          ['delete_at', 'bigint'],
        ]);
        await createIndex(db, 'idx_standalone_posts_channel_create', 'standalone_posts', ['channel_id', 'create_at']);
      },
    },
    // The SFU settings of each session a single node runs (integrated mode: cluster/session-configs.ts), so a
    // session whose client comes back after a crash is re-created as it joined. Unused with PostgreSQL.
    '000003_local_sessions': {
      async up(db: Db) {
        await createTable(db, 'calls_local_sessions', [
          ['session_id', 'varchar(26)', 'primary key'],
          ['call_id', 'varchar(26)'],
          ['config', json],
        ]);
      },
    },
    // Files of the standalone platform (recordings): resumable uploads, stored files, and the posts' file ids.
    '000004_standalone_files': {
      async up(db: Db) {
        await db.schema
          .alterTable('standalone_posts')
          .addColumn('file_ids', 'varchar(300)', (c) => c.notNull().defaultTo('[]'))
          .execute();
        await createTable(db, 'standalone_uploads', [
          ['id', 'varchar(26)', 'primary key'],
          ['user_id', 'varchar(26)'],
          ['channel_id', 'varchar(26)'],
          ['filename', 'varchar(256)'],
          ['file_size', 'bigint'],
          ['file_offset', 'bigint'],
          ['create_at', 'bigint'],
        ]);
        await createTable(db, 'standalone_files', [
          ['id', 'varchar(26)', 'primary key'],
          ['user_id', 'varchar(26)'],
          ['channel_id', 'varchar(26)'],
          ['post_id', 'varchar(26)'],
          ['name', 'varchar(256)'],
          ['extension', 'varchar(64)'],
          ['size', 'bigint'],
          ['mime_type', 'varchar(128)'],
          ['create_at', 'bigint'],
          ['update_at', 'bigint'],
          ['delete_at', 'bigint'],
        ]);
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
