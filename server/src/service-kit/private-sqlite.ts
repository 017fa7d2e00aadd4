// The SQLite files our services keep under `store.data_source` (credentials, jobs): the directory and the file
// readable by this user only (they hold key hashes and bot tokens), WAL so a crash loses no committed row.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** Opens (creating) `<dir>/<name>` and runs `schema` (CREATE … IF NOT EXISTS). */
export function openPrivateSqlite(dir: string, name: string, schema: string): Database.Database {
  fs.mkdirSync(dir, {recursive: true, mode: 0o700});
  const file = path.join(dir, name);
  const db = new Database(file);
  fs.chmodSync(file, 0o600);
  db.pragma('journal_mode = WAL');
  db.exec(schema);
  return db;
}
