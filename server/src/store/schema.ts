// Table types for kysely, shared by both engines. JSON columns are written as JSON text and read back
// as text (SQLite) or already parsed (PostgreSQL jsonb); booleans come back as 0/1 from SQLite.
import type {ColumnType} from 'kysely';
import type {Channel, FileInfo, Post, User} from '../platform/types';

/** Written as a JSON string; read as whatever the driver gives (string or parsed value). */
export type JsonColumn = ColumnType<unknown, string, string>;
/** Written as boolean; SQLite returns 0/1. */
export type BoolColumn = ColumnType<boolean | number, boolean, boolean>;
/** bigint columns: PostgreSQL int8 is parsed to number by our pool's type parser. */
export type Millis = number;

export interface CallsTable {
  id: string;
  channelid: string;
  startat: Millis;
  endat: Millis;
  createat: Millis;
  deleteat: Millis;
  title: string | null;
  postid: string;
  threadid: string;
  ownerid: string;
  participants: JsonColumn;
  stats: JsonColumn;
  props: JsonColumn;
}

export interface CallsSessionsTable {
  id: string;
  callid: string;
  userid: string;
  joinat: Millis;
  unmuted: BoolColumn;
  raisedhand: Millis;
  video: BoolColumn;
}

export interface CallsChannelsTable {
  channelid: string;
  enabled: BoolColumn;
  props: JsonColumn;
}

export interface CallsJobsTable {
  id: string;
  callid: string;
  type: string;
  creatorid: string;
  initat: Millis;
  startat: Millis;
  endat: Millis;
  props: JsonColumn;
}

export interface CallsKVTable {
  key: string;
  value: string;
}

/** The standalone platform's users: a User's fields but the locale (always 'en'), and the password hash. */
export interface StandaloneUsersTable extends Omit<User, 'locale' | 'is_bot'> {
  password_hash: string;
  is_bot: BoolColumn;
}

export interface StandaloneTokensTable {
  token: string;
  user_id: string;
  create_at: Millis;
  expires_at: Millis;
}

export interface StandaloneTeamsTable {
  id: string;
  name: string;
  display_name: string;
  type: string;
  create_at: Millis;
  delete_at: Millis;
}

export interface StandaloneTeamMembersTable {
  team_id: string;
  user_id: string;
  roles: string;
}

/** The standalone platform's channels: a Channel, one column a field (the type read back as text). */
export interface StandaloneChannelsTable extends Omit<Channel, 'type'> {
  type: string;
}

export interface StandaloneChannelMembersTable {
  channel_id: string;
  user_id: string;
  roles: string;
  last_viewed_at: Millis;
}

/** The standalone platform's posts: a Post, one column a field, the props and file ids as JSON. */
export interface StandalonePostsTable extends Omit<Post, 'props' | 'file_ids'> {
  props: JsonColumn;
  /** JSON array of file ids (text on both engines). */
  file_ids: ColumnType<string, string | undefined, string>;
}

export interface StandaloneUploadsTable {
  id: string;
  user_id: string;
  channel_id: string;
  filename: string;
  file_size: Millis;
  file_offset: Millis;
  create_at: Millis;
}

/** The standalone platform's files: a FileInfo, one column a field. */
export type StandaloneFilesTable = FileInfo;

/** A single node's record of a session's SFU settings (SessionConfig as JSON). */
export interface CallsLocalSessionsTable {
  session_id: string;
  call_id: string;
  config: JsonColumn;
}

export interface Database {
  calls: CallsTable;
  calls_sessions: CallsSessionsTable;
  calls_channels: CallsChannelsTable;
  calls_jobs: CallsJobsTable;
  calls_kv: CallsKVTable;
  calls_local_sessions: CallsLocalSessionsTable;
  standalone_users: StandaloneUsersTable;
  standalone_tokens: StandaloneTokensTable;
  standalone_teams: StandaloneTeamsTable;
  standalone_team_members: StandaloneTeamMembersTable;
  standalone_channels: StandaloneChannelsTable;
  standalone_channel_members: StandaloneChannelMembersTable;
  standalone_posts: StandalonePostsTable;
  standalone_uploads: StandaloneUploadsTable;
  standalone_files: StandaloneFilesTable;
}

export function readJson<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback;
  if (typeof value === 'string') {
    if (value === '') return fallback;
    try {
      return JSON.parse(value) as T;
    } catch {
      return fallback;
    }
  }
  return value as T;
}

export function readBool(value: boolean | number | null | undefined): boolean {
  return value === true || value === 1;
}
