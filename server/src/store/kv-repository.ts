// A tiny key-value table: saved settings, seeds, cluster singletons.
import type {Kysely} from 'kysely';
import type {Database} from './schema';
import type {KVRepository} from './types';

export class KyselyKVRepository implements KVRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(key: string): Promise<string | null> {
    const r = await this.db.selectFrom('calls_kv').select('value').where('key', '=', key).executeTakeFirst();
    return r ? r.value : null;
  }

  async set(key: string, value: string): Promise<void> {
    await this.db
      .insertInto('calls_kv')
      .values({key, value})
      .onConflict((oc) => oc.column('key').doUpdateSet({value}))
      .execute();
  }

  async setIfAbsent(key: string, value: string): Promise<boolean> {
    const res = await this.db
      .insertInto('calls_kv')
      .values({key, value})
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async delete(key: string): Promise<void> {
    await this.db.deleteFrom('calls_kv').where('key', '=', key).execute();
  }
}
