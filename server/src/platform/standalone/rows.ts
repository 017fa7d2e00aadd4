// How the standalone tables' rows become the platform's records (the database returns bigint columns
// as strings; the API speaks numbers), and the soft delete (delete_at) users and channels share.
import type {Kysely, Selectable} from 'kysely';
import type {Clock} from '../../clock';
import type {Database} from '../../store';
import {readBool, readJson} from '../../store/schema';
import type {
  StandaloneChannelMembersTable,
  StandaloneChannelsTable,
  StandalonePostsTable,
  StandaloneTeamsTable,
  StandaloneUsersTable,
} from '../../store/schema';
import type {Channel, ChannelMember, ChannelType, Post, Team, User} from '../types';

type Stamp = string | number | bigint;

/** create/update/delete times as numbers: the three columns every user, channel and post row has. */
function lifetime(r: {create_at: Stamp; update_at: Stamp; delete_at: Stamp}) {
  return {create_at: Number(r.create_at), update_at: Number(r.update_at), delete_at: Number(r.delete_at)};
}

export function toUser(r: Selectable<StandaloneUsersTable>): User {
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
    ...lifetime(r),
  };
}

export function toTeam(r: Selectable<StandaloneTeamsTable>): Team {
  return {...r, type: r.type as Team['type'], create_at: Number(r.create_at), delete_at: Number(r.delete_at)};
}

/** The row is a Channel's columns (StandaloneChannelsTable), so only the type and the times need reading. */
export function toChannel(r: Selectable<StandaloneChannelsTable>): Channel {
  return {...r, type: r.type as ChannelType, ...lifetime(r), last_post_at: Number(r.last_post_at)};
}

export function toChannelMember(r: Selectable<StandaloneChannelMembersTable>): ChannelMember {
  return {...r, last_viewed_at: Number(r.last_viewed_at)};
}

export function toPost(r: Selectable<StandalonePostsTable>): Post {
  return {
    id: r.id,
    channel_id: r.channel_id,
    user_id: r.user_id,
    root_id: r.root_id,
    message: r.message,
    type: r.type,
    props: readJson<Record<string, unknown>>(r.props, {}) ?? {},
    file_ids: readJson<string[]>(r.file_ids, []) ?? [],
    create_at: Number(r.create_at),
    update_at: Number(r.update_at),
    edit_at: Number(r.edit_at),
    delete_at: Number(r.delete_at),
  };
}

/** Sets delete_at, as Mattermost deletes users and channels; false when the row was already deleted. */
export async function markDeleted(
  db: Kysely<Database>,
  clock: Clock,
  table: 'standalone_users' | 'standalone_channels',
  id: string,
): Promise<boolean> {
  const now = clock.now();
  const res = await db
    .updateTable(table)
    .set({delete_at: now, update_at: now})
    .where('id', '=', id)
    .where('delete_at', '=', 0)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}
