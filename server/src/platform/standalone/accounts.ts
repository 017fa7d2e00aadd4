// Standalone user accounts: creating and looking up users, password login and the session tokens it
// issues, deactivation (which revokes the tokens) and the Calls bot account.
import {randomBytes} from 'node:crypto';
import type {Kysely} from 'kysely';
import type {Clock} from '../../clock';
import {AppError, badRequest} from '../../errors';
import {newId} from '../../ids';
import type {Database} from '../../store';
import type {AuthSession, User} from '../types';
import {hashPassword, verifyNobodysPassword, verifyPassword} from './passwords';
import {markDeleted, toUser} from './rows';

const TOKEN_TTL_MS = 30 * 24 * 3600 * 1000;

export interface NewUser {
  username: string;
  password: string;
  email?: string;
  first_name?: string;
  last_name?: string;
  nickname?: string;
  roles?: string;
}

export class StandaloneAccounts {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;

  constructor(db: Kysely<Database>, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  async login(loginID: string, password: string): Promise<{user: User; token: string}> {
    const row = await this.#db
      .selectFrom('standalone_users')
      .selectAll()
      .where((eb) => eb.or([eb('username', '=', loginID.toLowerCase()), eb('email', '=', loginID.toLowerCase())]))
      .executeTakeFirst();
    const ok = row ? await verifyPassword(password, row.password_hash) : await verifyNobodysPassword(password);
    if (!row || !ok || Number(row.delete_at) > 0) {
      throw new AppError(
        'api.user.login.invalid_credentials_email_username',
        'Enter a valid email or username and/or password.',
        401,
      );
    }
    const token = randomBytes(24).toString('hex');
    const now = this.#clock.now();
    await this.#db
      .insertInto('standalone_tokens')
      .values({token, user_id: row.id, create_at: now, expires_at: now + TOKEN_TTL_MS})
      .execute();
    return {user: toUser(row), token};
  }

  async logout(token: string): Promise<void> {
    await this.#db.deleteFrom('standalone_tokens').where('token', '=', token).execute();
  }

  async authenticateToken(token: string): Promise<AuthSession | null> {
    // Tokens are ours (hex); anything else is not looked up (a NUL in a cookie would fail the query).
    if (!token || token.length > 128 || !/^[A-Za-z0-9_-]+$/.test(token)) return null;
    const r = await this.#db
      .selectFrom('standalone_tokens')
      .select(['user_id', 'expires_at'])
      .where('token', '=', token)
      .executeTakeFirst();
    if (!r || Number(r.expires_at) < this.#clock.now()) return null;
    return {userID: r.user_id, token};
  }

  async createUser(u: NewUser): Promise<User> {
    const username = u.username.toLowerCase();
    if (!/^[a-z][a-z0-9._-]{2,63}$/.test(username))
      throw badRequest('model.user.is_valid.username.app_error', 'Invalid username');
    if (!u.password || u.password.length < 3)
      throw badRequest('model.user.is_valid.pwd.app_error', 'Password too short');
    const existing = await this.getUserByUsername(username);
    if (existing)
      throw badRequest('app.user.save.username_exists.app_error', 'An account with that username already exists.');
    const now = this.#clock.now();
    const row = {
      id: newId(),
      username,
      email: (u.email ?? `${username}@example.com`).toLowerCase(),
      first_name: u.first_name ?? '',
      last_name: u.last_name ?? '',
      nickname: u.nickname ?? '',
      password_hash: await hashPassword(u.password),
      roles: u.roles ?? 'system_user',
      is_bot: false,
      create_at: now,
      update_at: now,
      delete_at: 0,
    };
    await this.#db.insertInto('standalone_users').values(row).execute();
    return toUser({...row, is_bot: 0});
  }

  async getUser(id: string): Promise<User | null> {
    const r = await this.#db.selectFrom('standalone_users').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async getUserByUsername(username: string): Promise<User | null> {
    const r = await this.#db
      .selectFrom('standalone_users')
      .selectAll()
      .where('username', '=', username.toLowerCase())
      .executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async getUsers(ids: string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db.selectFrom('standalone_users').selectAll().where('id', 'in', ids).execute();
    return rows.map(toUser);
  }

  async listUsers(): Promise<User[]> {
    const rows = await this.#db.selectFrom('standalone_users').selectAll().orderBy('username').limit(1000).execute();
    return rows.map(toUser);
  }

  /** Deactivates the account: no more logins, its tokens revoked; false when it already was. */
  async deactivateUser(id: string): Promise<boolean> {
    const deactivated = await markDeleted(this.#db, this.#clock, 'standalone_users', id);
    await this.#db.deleteFrom('standalone_tokens').where('user_id', '=', id).execute();
    return deactivated;
  }

  async isSystemAdmin(userID: string): Promise<boolean> {
    const u = await this.getUser(userID);
    return Boolean(u && u.roles.split(' ').includes('system_admin'));
  }

  /**
   * The Calls bot's token: created on first use and kept (no expiry) so jobs running elsewhere keep working
   * across restarts. 26 lowercase alphanumerics, the shape the recorder validates (reference §8).
   */
  async botToken(): Promise<string> {
    const botID = await this.botUserID();
    const existing = await this.#db
      .selectFrom('standalone_tokens')
      .select('token')
      .where('user_id', '=', botID)
      .executeTakeFirst();
    if (existing) return existing.token;
    const token = newId();
    await this.#db
      .insertInto('standalone_tokens')
      .values({token, user_id: botID, create_at: this.#clock.now(), expires_at: Number.MAX_SAFE_INTEGER})
      .execute();
    return token;
  }

  async botUserID(): Promise<string> {
    const existing = await this.getUserByUsername('calls');
    if (existing) return existing.id;
    const now = this.#clock.now();
    const row = {
      id: newId(),
      username: 'calls',
      email: 'calls@localhost',
      first_name: 'Calls',
      last_name: '',
      nickname: '',
      // No password can match: the bot never logs in.
      password_hash: 'disabled',
      roles: 'system_user',
      is_bot: true,
      create_at: now,
      update_at: now,
      delete_at: 0,
    };
    await this.#db
      .insertInto('standalone_users')
      .values(row)
      .onConflict((oc) => oc.column('username').doNothing())
      .execute();
    return (await this.getUserByUsername('calls'))!.id;
  }
}
