// Standalone channels and channel membership: open/private channels, DM and group channels created on
// first use, archiving, and a cache of each channel's member ids (every membership change goes through
// here, so it is invalidated in one place). The user_removed websocket event is published here too.
import type {Kysely} from 'kysely';
import type {Clock} from '../../clock';
import {badRequest} from '../../errors';
import {newId} from '../../ids';
import type {Database} from '../../store';
import type {EventPublisher} from '../../ws/types';
import type {Channel, ChannelMember, ChannelType, User} from '../types';
import {markDeleted, toChannel, toChannelMember} from './rows';

export interface NewChannel {
  team_id: string;
  type: ChannelType;
  name: string;
  display_name: string;
  creator_id: string;
  purpose?: string;
  header?: string;
}

export class StandaloneChannels {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #events: EventPublisher;
  readonly #getUsers: (ids: string[]) => Promise<User[]>;
  /** channel id → member ids; invalidated on every membership change (all go through this class). */
  readonly #membersCache = new Map<string, string[]>();

  constructor(
    db: Kysely<Database>,
    clock: Clock,
    events: EventPublisher,
    getUsers: (ids: string[]) => Promise<User[]>,
  ) {
    this.#db = db;
    this.#clock = clock;
    this.#events = events;
    this.#getUsers = getUsers;
  }

  async createChannel(c: NewChannel, memberIDs: string[]): Promise<Channel> {
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
    const existing = await this.getChannelByName('', name);
    if (existing) return existing;
    return this.createChannel({team_id: '', type: 'D', name, display_name: '', creator_id: a}, [a, b]);
  }

  async createGroupChannel(userIDs: string[]): Promise<Channel> {
    const ids = [...new Set(userIDs)].sort();
    const name = ids.join('').slice(0, 40) + ids.length;
    const existing = await this.getChannelByName('', name);
    if (existing) return existing;
    const users = await this.#getUsers(ids);
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

  /** Marks the channel deleted; false when it already was. */
  archiveChannel(id: string): Promise<boolean> {
    return markDeleted(this.#db, this.#clock, 'standalone_channels', id);
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
  }

  async getChannelMember(channelID: string, userID: string): Promise<ChannelMember | null> {
    const r = await this.#db
      .selectFrom('standalone_channel_members')
      .selectAll()
      .where('channel_id', '=', channelID)
      .where('user_id', '=', userID)
      .executeTakeFirst();
    return r ? toChannelMember(r) : null;
  }

  async getChannelMembers(channelID: string): Promise<ChannelMember[]> {
    const rows = await this.#db
      .selectFrom('standalone_channel_members')
      .selectAll()
      .where('channel_id', '=', channelID)
      .orderBy('user_id')
      .execute();
    return rows.map(toChannelMember);
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
    return rows.map(toChannelMember);
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
}
