// The SFU settings of each session a single node (integrated mode, SQLite) runs, kept in its store so
// that a session whose client comes back after a crash or restart is re-created as it joined. The
// cluster keeps the same settings in calls_cluster_sessions (PostgreSQL).
import type {Kysely, Migration} from 'kysely';
import type {SessionConfig} from '../rtc/types';
import type {Database} from '../store';
import type {ExtraMigrations} from '../store/migrations';

export const LOCAL_SESSIONS_TABLE = 'calls_local_sessions';

type LocalSessionsTable = {
  calls_local_sessions: {session_id: string; call_id: string; config: string};
};

export const localSessionMigrations: ExtraMigrations = (engine): Record<string, Migration> => {
  if (engine !== 'sqlite') return {};
  return {
    '100101_local_sessions': {
      async up(db) {
        await db.schema.createTable(LOCAL_SESSIONS_TABLE).ifNotExists()
          .addColumn('session_id', 'varchar(26)', (c) => c.primaryKey())
          .addColumn('call_id', 'varchar(26)', (c) => c.notNull())
          .addColumn('config', 'text', (c) => c.notNull())
          .execute();
      },
    },
  };
};

export class SessionConfigStore {
  readonly #db: Kysely<LocalSessionsTable & Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db.withTables<LocalSessionsTable>();
  }

  async save(cfg: SessionConfig): Promise<void> {
    const config = JSON.stringify(cfg);
    await this.#db.insertInto('calls_local_sessions').values({session_id: cfg.sessionID, call_id: cfg.callID, config})
      .onConflict((oc) => oc.column('session_id').doUpdateSet({call_id: cfg.callID, config})).execute();
  }

  /** The settings saved for the session, or null (none saved, or unreadable). */
  async get(sessionID: string): Promise<SessionConfig | null> {
    const row = await this.#db.selectFrom('calls_local_sessions').select('config').where('session_id', '=', sessionID).executeTakeFirst();
    if (!row) return null;
    try {
      const c = JSON.parse(row.config) as Partial<SessionConfig>;
      if (c.sessionID !== sessionID || typeof c.userID !== 'string' || typeof c.callID !== 'string' || typeof c.channelID !== 'string') return null;
      return {sessionID, userID: c.userID, callID: c.callID, channelID: c.channelID, av1Support: c.av1Support === true, dcSignaling: c.dcSignaling === true};
    } catch {
      return null;
    }
  }

  async delete(sessionID: string): Promise<void> {
    await this.#db.deleteFrom('calls_local_sessions').where('session_id', '=', sessionID).execute();
  }

  /** Removes the settings of sessions that no longer exist (a crash can leave them behind). Returns how many. */
  async prune(): Promise<number> {
    const res = await this.#db.deleteFrom('calls_local_sessions')
      .where((eb) => eb.not(eb.exists(eb.selectFrom('calls_sessions').select('calls_sessions.id').whereRef('calls_sessions.id', '=', 'calls_local_sessions.session_id'))))
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
