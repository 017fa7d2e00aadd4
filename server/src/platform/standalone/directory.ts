// The built-in stand-in for the chat server: users, teams, channels, membership and posts stored in
// our own database, implementing the Platform port (and its events: member removed, user deactivated,
// channel archived). It is deliberately small.
import {randomBytes} from 'node:crypto';
import type {Kysely, Selectable} from 'kysely';
import type {Clock} from '../../clock';
import {AppError, badRequest, forbidden, notFound} from '../../errors';
import {TypedEmitter} from '../../events';
import {newId} from '../../ids';
import type {Logger} from '../../log';
import type {Database} from '../../store';
import {readBool, readJson} from '../../store/schema';
import type {StandaloneChannelsTable, StandalonePostsTable, StandaloneUsersTable} from '../../store/schema';
import type {EventPublisher} from '../../ws/types';
import type {LicenseInfo} from '../../config/client';
import type {
  AuthSession,
  Channel,
  ChannelMember,
  ChannelPermission,
  ChannelType,
  NewPost,
  Platform,
  PlatformEvents,
  Post,
  Team,
  User,
} from '../types';
import {hashPassword, verifyNobodysPassword, verifyPassword} from './passwords';

const TOKEN_TTL_MS = 30 * 24 * 3600 * 1000;

export interface StandaloneOptions {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  /** The public URL (may only be known once the HTTP port is bound). */
  siteURL: () => string;
  events: EventPublisher;
}

function toUser(r: Selectable<StandaloneUsersTable>): User {
  return {
    id: r.id,
    username: r.username,
    email: r.email,
    first_name: r.first_name,
    last_name: r.last_name,
    nickname: r.nickname,
    roles: r.roles,
    is_bot: readBool(r.is_bot),
    locale: 'en',
    create_at: Number(r.create_at),
    update_at: Number(r.update_at),
    delete_at: Number(r.delete_at),
  };
}

function toChannel(r: Selectable<StandaloneChannelsTable>): Channel {
  return {
    id: r.id,
    team_id: r.team_id,
    type: r.type as ChannelType,
    name: r.name,
    display_name: r.display_name,
    header: r.header,
    purpose: r.purpose,
    creator_id: r.creator_id,
    create_at: Number(r.create_at),
    update_at: Number(r.update_at),
    delete_at: Number(r.delete_at),
    last_post_at: Number(r.last_post_at),
  };
}

function toPost(r: Selectable<StandalonePostsTable>): Post {
  return {
    id: r.id,
    channel_id: r.channel_id,
    user_id: r.user_id,
    root_id: r.root_id,
    message: r.message,
    type: r.type,
    props: readJson<Record<string, unknown>>(r.props, {}) ?? {},
    create_at: Number(r.create_at),
    update_at: Number(r.update_at),
    edit_at: Number(r.edit_at),
    delete_at: Number(r.delete_at),
  };
}

export interface NewUser {
  username: string;
  password: string;
  email?: string;
  first_name?: string;
  last_name?: string;
  nickname?: string;
  roles?: string;
}

export class StandaloneDirectory extends TypedEmitter<PlatformEvents> implements Platform {
  readonly kind = 'standalone' as const;
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #events: EventPublisher;
  readonly #siteURL: () => string;
  /** channel id → member ids; invalidated on every membership change (all go through this class). */
  readonly #membersCache = new Map<string, string[]>();

  constructor(opts: StandaloneOptions) {
    super();
    this.#db = opts.db;
    this.#clock = opts.clock;
    this.#events = opts.events;
    this.#siteURL = opts.siteURL;
  }

  // ---- auth

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

  // ---- users

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

  /** Deactivates the account (Mattermost's DELETE /users/{id}): no more logins, its tokens revoked. */
  async deactivateUser(id: string): Promise<void> {
    const deactivated = await this.#markDeleted('standalone_users', id);
    await this.#db.deleteFrom('standalone_tokens').where('user_id', '=', id).execute();
    if (deactivated) this.emit('userDeactivated', id);
  }

  /** Sets delete_at, as Mattermost deletes users and channels; false when the row was already deleted. */
  async #markDeleted(table: 'standalone_users' | 'standalone_channels', id: string): Promise<boolean> {
    const now = this.#clock.now();
    const res = await this.#db
      .updateTable(table)
      .set({delete_at: now, update_at: now})
      .where('id', '=', id)
      .where('delete_at', '=', 0)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async isSystemAdmin(userID: string): Promise<boolean> {
    const u = await this.getUser(userID);
    return Boolean(u && u.roles.split(' ').includes('system_admin'));
  }

  // ---- teams

  async createTeam(name: string, displayName: string): Promise<Team> {
    const team: Team = {
      id: newId(),
      name,
      display_name: displayName,
      type: 'O',
      create_at: this.#clock.now(),
      delete_at: 0,
    };
    await this.#db.insertInto('standalone_teams').values(team).execute();
    return team;
  }

  async getTeam(id: string): Promise<Team | null> {
    const r = await this.#db.selectFrom('standalone_teams').selectAll().where('id', '=', id).executeTakeFirst();
    return r
      ? {...r, type: r.type as Team['type'], create_at: Number(r.create_at), delete_at: Number(r.delete_at)}
      : null;
  }

  async addTeamMember(teamID: string, userID: string, admin = false): Promise<void> {
    await this.#db
      .insertInto('standalone_team_members')
      .values({team_id: teamID, user_id: userID, roles: admin ? 'team_user team_admin' : 'team_user'})
      .onConflict((oc) => oc.columns(['team_id', 'user_id']).doNothing())
      .execute();
  }

  async getUserTeams(userID: string): Promise<Team[]> {
    const rows = await this.#db
      .selectFrom('standalone_teams')
      .innerJoin('standalone_team_members', 'standalone_team_members.team_id', 'standalone_teams.id')
      .selectAll('standalone_teams')
      .where('standalone_team_members.user_id', '=', userID)
      .orderBy('name')
      .execute();
    return rows.map((r) => ({
      ...r,
      type: r.type as Team['type'],
      create_at: Number(r.create_at),
      delete_at: Number(r.delete_at),
    }));
  }

  async isTeamMember(userID: string, teamID: string): Promise<boolean> {
    const r = await this.#db
      .selectFrom('standalone_team_members')
      .select('roles')
      .where('team_id', '=', teamID)
      .where('user_id', '=', userID)
      .executeTakeFirst();
    return Boolean(r);
  }

  async isTeamAdmin(userID: string, teamID: string): Promise<boolean> {
    const r = await this.#db
      .selectFrom('standalone_team_members')
      .select('roles')
      .where('team_id', '=', teamID)
      .where('user_id', '=', userID)
      .executeTakeFirst();
    return Boolean(r && r.roles.split(' ').includes('team_admin'));
  }

  // ---- channels

  async createChannel(
    c: {
      team_id: string;
      type: ChannelType;
      name: string;
      display_name: string;
      creator_id: string;
      purpose?: string;
      header?: string;
    },
    memberIDs: string[],
  ): Promise<Channel> {
    if (!/^[a-z0-9_-]{1,64}$/.test(c.name))
      throw badRequest('model.channel.is_valid.name.app_error', 'Invalid channel name');
    const now = this.#clock.now();
    const ch: Channel = {
      id: newId(),
      team_id: c.team_id,
      type: c.type,
      name: c.name,
      display_name: c.display_name,
      header: c.header ?? '',
      purpose: c.purpose ?? '',
      creator_id: c.creator_id,
      create_at: now,
      update_at: now,
      delete_at: 0,
      last_post_at: now,
    };
    try {
      await this.#db.insertInto('standalone_channels').values(ch).execute();
    } catch {
      throw badRequest(
        'store.sql_channel.save_channel.exists.app_error',
        'A channel with that name already exists on the same team.',
      );
    }
    for (const uid of new Set(memberIDs))
      await this.addChannelMember(ch.id, uid, uid === c.creator_id && (c.type === 'O' || c.type === 'P'));
    return ch;
  }

  /** The DM channel between two users, created on first use (name = sorted ids joined by "__"). */
  async getOrCreateDirectChannel(a: string, b: string): Promise<Channel> {
    const name = [a, b].sort().join('__');
    const r = await this.#db
      .selectFrom('standalone_channels')
      .selectAll()
      .where('team_id', '=', '')
      .where('name', '=', name)
      .executeTakeFirst();
    if (r) return toChannel(r);
    return this.createChannel({team_id: '', type: 'D', name, display_name: '', creator_id: a}, [a, b]);
  }

  async createGroupChannel(userIDs: string[]): Promise<Channel> {
    const ids = [...new Set(userIDs)].sort();
    const name = ids.join('').slice(0, 40) + ids.length;
    const r = await this.#db
      .selectFrom('standalone_channels')
      .selectAll()
      .where('team_id', '=', '')
      .where('name', '=', name)
      .executeTakeFirst();
    if (r) return toChannel(r);
    const users = await this.getUsers(ids);
    return this.createChannel(
      {
        team_id: '',
        type: 'G',
        name,
        display_name: users
          .map((u) => u.username)
          .sort()
          .join(', '),
        creator_id: ids[0],
      },
      ids,
    );
  }

  async getChannel(id: string): Promise<Channel | null> {
    const r = await this.#db.selectFrom('standalone_channels').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toChannel(r) : null;
  }

  async getChannelByName(teamID: string, name: string): Promise<Channel | null> {
    const r = await this.#db
      .selectFrom('standalone_channels')
      .selectAll()
      .where('team_id', '=', teamID)
      .where('name', '=', name)
      .executeTakeFirst();
    return r ? toChannel(r) : null;
  }

  async archiveChannel(id: string): Promise<void> {
    if (await this.#markDeleted('standalone_channels', id)) this.emit('channelDeleted', id);
  }

  /** Channels of the user in a team plus their DM/GM channels. */
  async getUserChannels(userID: string, teamID: string): Promise<Channel[]> {
    const rows = await this.#db
      .selectFrom('standalone_channels')
      .innerJoin('standalone_channel_members', 'standalone_channel_members.channel_id', 'standalone_channels.id')
      .selectAll('standalone_channels')
      .where('standalone_channel_members.user_id', '=', userID)
      .where((eb) =>
        eb.or([eb('standalone_channels.team_id', '=', teamID), eb('standalone_channels.team_id', '=', '')]),
      )
      .orderBy('standalone_channels.display_name')
      .execute();
    return rows.map(toChannel);
  }

  async addChannelMember(channelID: string, userID: string, admin = false): Promise<void> {
    await this.#db
      .insertInto('standalone_channel_members')
      .values({
        channel_id: channelID,
        user_id: userID,
        roles: admin ? 'channel_user channel_admin' : 'channel_user',
        last_viewed_at: 0,
      })
      .onConflict((oc) => oc.columns(['channel_id', 'user_id']).doNothing())
      .execute();
    this.#membersCache.delete(channelID);
  }

  async removeChannelMember(channelID: string, userID: string, removerID: string): Promise<void> {
    await this.#db
      .deleteFrom('standalone_channel_members')
      .where('channel_id', '=', channelID)
      .where('user_id', '=', userID)
      .execute();
    this.#membersCache.delete(channelID);
    this.#events.publish('user_removed', {channel_id: channelID, remover_id: removerID}, {user_id: userID});
    this.emit('channelMemberRemoved', channelID, userID);
  }

  async getChannelMember(channelID: string, userID: string): Promise<ChannelMember | null> {
    const r = await this.#db
      .selectFrom('standalone_channel_members')
      .selectAll()
      .where('channel_id', '=', channelID)
      .where('user_id', '=', userID)
      .executeTakeFirst();
    return r ? {...r, last_viewed_at: Number(r.last_viewed_at)} : null;
  }

  async getChannelMembers(channelID: string): Promise<ChannelMember[]> {
    const rows = await this.#db
      .selectFrom('standalone_channel_members')
      .selectAll()
      .where('channel_id', '=', channelID)
      .orderBy('user_id')
      .execute();
    return rows.map((r) => ({...r, last_viewed_at: Number(r.last_viewed_at)}));
  }

  async getUserChannelMembers(userID: string, teamID: string): Promise<ChannelMember[]> {
    const rows = await this.#db
      .selectFrom('standalone_channel_members')
      .innerJoin('standalone_channels', 'standalone_channels.id', 'standalone_channel_members.channel_id')
      .selectAll('standalone_channel_members')
      .where('standalone_channel_members.user_id', '=', userID)
      .where((eb) =>
        eb.or([eb('standalone_channels.team_id', '=', teamID), eb('standalone_channels.team_id', '=', '')]),
      )
      .execute();
    return rows.map((r) => ({...r, last_viewed_at: Number(r.last_viewed_at)}));
  }

  async getChannelMemberIDs(channelID: string): Promise<string[]> {
    const cached = this.#membersCache.get(channelID);
    if (cached) return cached;
    const rows = await this.#db
      .selectFrom('standalone_channel_members')
      .select('user_id')
      .where('channel_id', '=', channelID)
      .execute();
    const ids = rows.map((r) => r.user_id);
    this.#membersCache.set(channelID, ids);
    return ids;
  }

  async hasChannelPermission(userID: string, channelID: string, perm: ChannelPermission): Promise<boolean> {
    if (await this.isSystemAdmin(userID)) return true;
    const member = await this.getChannelMember(channelID, userID);
    if (member) return true;
    if (perm === 'read_channel') {
      const ch = await this.getChannel(channelID);
      return Boolean(ch && ch.type === 'O' && (await this.isTeamMember(userID, ch.team_id)));
    }
    return false;
  }

  // ---- posts

  async createPost(p: NewPost): Promise<Post> {
    const channel = await this.getChannel(p.channel_id);
    if (!channel) throw notFound('app.channel.get.existing.app_error', 'Channel not found');
    if (channel.delete_at > 0)
      throw forbidden('api.post.create_post.can_not_post_to_deleted.error', 'Can not post to deleted channel.');
    if (p.message.length > 16383) throw badRequest('model.post.is_valid.msg.app_error', 'Message too long');
    const now = this.#clock.now();
    const post: Post = {
      id: newId(),
      channel_id: p.channel_id,
      user_id: p.user_id,
      root_id: p.root_id ?? '',
      message: p.message,
      type: p.type ?? '',
      props: p.props ?? {},
      create_at: now,
      update_at: now,
      edit_at: 0,
      delete_at: 0,
    };
    await this.#db
      .insertInto('standalone_posts')
      .values({...post, props: JSON.stringify(post.props)})
      .execute();
    await this.#db.updateTable('standalone_channels').set({last_post_at: now}).where('id', '=', channel.id).execute();
    const sender = await this.getUser(p.user_id);
    this.#events.publish(
      'posted',
      {
        channel_id: channel.id,
        channel_type: channel.type,
        channel_display_name: channel.display_name,
        channel_name: channel.name,
        team_id: channel.team_id,
        sender_name: sender ? '@' + sender.username : '',
        post: JSON.stringify(post),
      },
      {channel_id: channel.id},
    );
    return post;
  }

  async updatePost(post: Post): Promise<Post> {
    const updated: Post = {...post, update_at: this.#clock.now()};
    await this.#db
      .updateTable('standalone_posts')
      .set({
        message: updated.message,
        props: JSON.stringify(updated.props),
        update_at: updated.update_at,
        edit_at: updated.edit_at,
        type: updated.type,
      })
      .where('id', '=', post.id)
      .execute();
    this.#events.publish('post_edited', {post: JSON.stringify(updated)}, {channel_id: post.channel_id});
    return updated;
  }

  async getPost(id: string): Promise<Post | null> {
    const r = await this.#db.selectFrom('standalone_posts').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toPost(r) : null;
  }

  async getChannelPosts(channelID: string, page: number, perPage: number): Promise<Post[]> {
    const rows = await this.#db
      .selectFrom('standalone_posts')
      .selectAll()
      .where('channel_id', '=', channelID)
      .where('delete_at', '=', 0)
      .orderBy('create_at', 'desc')
      .orderBy('id', 'desc')
      .limit(perPage)
      .offset(page * perPage)
      .execute();
    return rows.map(toPost);
  }

  /** A thread: the root post and its replies, oldest first (deleted posts left out). */
  async getThreadPosts(rootID: string): Promise<Post[]> {
    const rows = await this.#db
      .selectFrom('standalone_posts')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', rootID), eb('root_id', '=', rootID)]))
      .where('delete_at', '=', 0)
      .orderBy('create_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
    return rows.map(toPost);
  }

  async sendEphemeralPost(userID: string, channelID: string, message: string, rootID = ''): Promise<void> {
    const now = this.#clock.now();
    const post: Post = {
      id: newId(),
      channel_id: channelID,
      user_id: userID,
      root_id: rootID,
      message,
      type: 'system_ephemeral',
      props: {},
      create_at: now,
      update_at: now,
      edit_at: 0,
      delete_at: 0,
    };
    this.#events.publish('ephemeral_message', {post: JSON.stringify(post)}, {user_id: userID, channel_id: channelID});
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

  directChannel(userA: string, userB: string): Promise<Channel> {
    return this.getOrCreateDirectChannel(userA, userB);
  }

  license(): LicenseInfo {
    // The standalone server stands in for a licensed Mattermost so every feature can be used.
    return {skuShortName: 'enterprise', professional: true, enterprise: true};
  }

  siteURL(): string {
    return this.#siteURL();
  }
}
