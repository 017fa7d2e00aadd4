// The SFU settings of each session a single node (integrated mode, SQLite) runs, kept in its store
// (calls_local_sessions) so that a session whose client comes back after a crash or restart is re-created
// as it joined. The cluster keeps the same settings in calls_cluster_sessions.
import type {Kysely} from 'kysely';
import type {SessionConfig} from '../rtc/types';
import {type Database, readJson} from '../store/schema';

export class SessionConfigStore {
  constructor(private readonly db: Kysely<Database>) {}

  async save(cfg: SessionConfig): Promise<void> {
    const config = JSON.stringify(cfg);
    await this.db
      .insertInto('calls_local_sessions')
      .values({session_id: cfg.sessionID, call_id: cfg.callID, config})
      .onConflict((oc) => oc.column('session_id').doUpdateSet({call_id: cfg.callID, config}))
      .execute();
  }

  /** The settings saved for the session, or null (none saved, or unreadable). */
  async get(sessionID: string): Promise<SessionConfig | null> {
    const row = await this.db
      .selectFrom('calls_local_sessions')
      .select('config')
      .where('session_id', '=', sessionID)
      .executeTakeFirst();
    const c = row ? readJson<Partial<SessionConfig> | null>(row.config, null) : null;
    if (
      !c ||
      c.sessionID !== sessionID ||
      typeof c.userID !== 'string' ||
      typeof c.callID !== 'string' ||
      typeof c.channelID !== 'string'
    )
      return null;
    return {
      sessionID,
      userID: c.userID,
      callID: c.callID,
      channelID: c.channelID,
      av1Support: c.av1Support === true,
      dcSignaling: c.dcSignaling === true,
    };
  }

  async delete(sessionID: string): Promise<void> {
    await this.db.deleteFrom('calls_local_sessions').where('session_id', '=', sessionID).execute();
  }

  /** Removes the settings of sessions that no longer exist (a crash can leave them behind). Returns how many. */
  async prune(): Promise<number> {
    const res = await this.db
      .deleteFrom('calls_local_sessions')
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('calls_sessions')
              .select('calls_sessions.id')
              .whereRef('calls_sessions.id', '=', 'calls_local_sessions.session_id'),
          ),
        ),
      )
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
