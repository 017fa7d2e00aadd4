// Table types for kysely, shared by both engines. JSON columns are written as JSON text and read back
// as text (SQLite) or already parsed (PostgreSQL jsonb); booleans come back as 0/1 from SQLite.
import type {ColumnType} from 'kysely';
import type {FileInfo} from '../platform/types';

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

export interface StandaloneUsersTable {
  id: string;
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  nickname: string;
  password_hash: string;
  roles: string;
  is_bot: BoolColumn;
  create_at: Millis;
  update_at: Millis;
  delete_at: Millis;
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

export interface StandaloneChannelsTable {
  id: string;
  team_id: string;
  type: string;
  name: string;
  display_name: string;
  header: string;
  purpose: string;
  creator_id: string;
  create_at: Millis;
  update_at: Millis;
  delete_at: Millis;
  last_post_at: Millis;
}

export interface StandaloneChannelMembersTable {
  channel_id: string;
  user_id: string;
  roles: string;
  last_viewed_at: Millis;
}

export interface StandalonePostsTable {
  id: string;
  channel_id: string;
  user_id: string;
  root_id: string;
  message: string;
  type: string;
  props: JsonColumn;
  /** JSON array of file ids (text on both engines). */
  file_ids: ColumnType<string, string | undefined, string>;
  create_at: Millis;
  update_at: Millis;
  edit_at: Millis;
  delete_at: Millis;
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
