// The rtcd and job-service clients' credentials: client id → bcrypt hash of its auth key (cost 10, keys of at least
// 32 characters, as upstream), in a SQLite file of its own under `store.data_source` (upstream keeps
// a bitcask there). Only hashes are stored; a key is never logged or returned.
import type Database from 'better-sqlite3';
import bcrypt from 'bcryptjs';
import {openPrivateSqlite} from './private-sqlite';

export const MIN_KEY_LEN = 32;
const BCRYPT_COST = 10;
/** Upstream ids are Mattermost ids or installation ids; anything longer is not a client of ours. */
const MAX_ID_LEN = 128;
const MAX_KEY_LEN = 256;

export class CredentialsError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const CLIENTS_TABLE =
  'CREATE TABLE IF NOT EXISTS clients (client_id TEXT PRIMARY KEY, key_hash TEXT NOT NULL, created_at INTEGER NOT NULL)';

export class CredentialsStore {
  readonly #db: Database.Database;

  /** Opens (creating) `<dir>/credentials.sqlite`, readable by this user only. */
  constructor(dir: string) {
    this.#db = openPrivateSqlite(dir, 'credentials.sqlite', CLIENTS_TABLE);
  }

  async register(clientID: string, authKey: string): Promise<void> {
    checkID(clientID);
    if (authKey.length < MIN_KEY_LEN) throw new CredentialsError('registration failed: key not long enough', 400);
    if (authKey.length > MAX_KEY_LEN) throw new CredentialsError('registration failed: key too long', 400);
    if (this.has(clientID)) throw new CredentialsError('registration failed: already registered', 400);
    const hash = await bcrypt.hash(authKey, BCRYPT_COST);
    const res = this.#db
      .prepare('INSERT OR IGNORE INTO clients (client_id, key_hash, created_at) VALUES (?, ?, ?)')
      .run(clientID, hash, Date.now());
    // Two registrations of one id raced through the check above: the second one loses.
    if (res.changes === 0) throw new CredentialsError('registration failed: already registered', 400);
  }

  /** Whether the key is the client's (false for an unknown client, after the same work as a known one). */
  async verify(clientID: string, authKey: string): Promise<boolean> {
    if (!clientID || clientID.length > MAX_ID_LEN || authKey.length > MAX_KEY_LEN) return false;
    const row = this.#db.prepare('SELECT key_hash FROM clients WHERE client_id = ?').get(clientID) as
      {key_hash: string} | undefined;
    // An unknown id costs one bcrypt like a known one, so timing does not tell which ids exist.
    const ok = await bcrypt.compare(authKey, row?.key_hash ?? UNKNOWN_HASH);
    return ok && row !== undefined;
  }

  has(clientID: string): boolean {
    return this.#db.prepare('SELECT 1 FROM clients WHERE client_id = ?').get(clientID) !== undefined;
  }

  count(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM clients').get() as {n: number}).n;
  }

  unregister(clientID: string): boolean {
    return this.#db.prepare('DELETE FROM clients WHERE client_id = ?').run(clientID).changes > 0;
  }

  close(): void {
    this.#db.close();
  }
}

// Compared against for unknown ids; `verify` refuses them whatever this matches.
const UNKNOWN_HASH = '$2b$10$XHoX1Bt.ZV5b42pUsx0acOFDkJhmSStHV6dn.XCi5XCV3Nzq97pAW';

function checkID(clientID: string): void {
  if (!clientID) throw new CredentialsError('registration failed: empty client id', 400);
  if (clientID.length > MAX_ID_LEN || !/^[\x21-\x7e]+$/.test(clientID) || clientID.includes(':')) {
    throw new CredentialsError('registration failed: invalid client id', 400);
  }
}
