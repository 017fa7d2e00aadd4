// The port to the chat platform: who a request or socket is, users, channels, membership and
// permissions, posts, and the changes made there that calls must follow (typed events). Two adapters
// implement it: standalone (built in) and mattermost (a real server).
import type {LicenseInfo} from '../config/client';
import type {TypedEmitter} from '../events';

export interface User {
  id: string;
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  nickname: string;
  /** Space-separated: "system_user" or "system_admin system_user". */
  roles: string;
  is_bot: boolean;
  locale: string;
  create_at: number;
  update_at: number;
  delete_at: number;
}

export type ChannelType = 'O' | 'P' | 'D' | 'G';

export interface Channel {
  id: string;
  /** "" for DM/GM channels. */
  team_id: string;
  type: ChannelType;
  name: string;
  display_name: string;
  header: string;
  purpose: string;
  creator_id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  last_post_at: number;
}

export interface ChannelMember {
  channel_id: string;
  user_id: string;
  /** "channel_user" or "channel_user channel_admin". */
  roles: string;
  last_viewed_at: number;
}

export interface Team {
  id: string;
  name: string;
  display_name: string;
  type: 'O' | 'I';
  create_at: number;
  delete_at: number;
}

export interface Post {
  id: string;
  channel_id: string;
  user_id: string;
  root_id: string;
  message: string;
  type: string;
  props: Record<string, unknown>;
  /** Files attached to the post (FileInfo ids); [] when none. */
  file_ids: string[];
  create_at: number;
  update_at: number;
  edit_at: number;
  delete_at: number;
}

export type NewPost = Pick<Post, 'channel_id' | 'user_id' | 'message'> &
  Partial<Pick<Post, 'root_id' | 'type' | 'props' | 'file_ids'>>;

/** A stored file (Mattermost's FileInfo, the fields clients read). */
export interface FileInfo {
  id: string;
  user_id: string;
  channel_id: string;
  /** "" until a post attaches it. */
  post_id: string;
  name: string;
  extension: string;
  size: number;
  mime_type: string;
  create_at: number;
  update_at: number;
  delete_at: number;
}

/** A resumable upload (Mattermost's UploadSession): bytes are appended until file_offset reaches file_size. */
export interface UploadSession {
  id: string;
  type: 'attachment';
  create_at: number;
  user_id: string;
  channel_id: string;
  filename: string;
  file_size: number;
  file_offset: number;
}

export type NewUploadSession = Pick<UploadSession, 'user_id' | 'channel_id' | 'filename' | 'file_size'>;

/** The result of appending to an upload: the file once the last byte arrived, else null. */
export interface UploadProgress {
  session: UploadSession;
  file: FileInfo | null;
}

export interface AuthSession {
  userID: string;
  /** Identifies the login session (re-validated periodically on websockets). */
  token: string;
}

export type ChannelPermission = 'read_channel' | 'create_post';

/** Changes made on the platform that the call domain follows (its reactions are in calls/sessions.ts). */
export interface PlatformEvents {
  /** A user left or was removed from a channel: their sessions in its call end. */
  channelMemberRemoved: [channelID: string, userID: string];
  /** A user account was deactivated (its logins revoked): their sessions end. */
  userDeactivated: [userID: string];
  /** A channel was deleted (archived): its call ends. */
  channelDeleted: [channelID: string];
}

export interface Platform extends TypedEmitter<PlatformEvents> {
  readonly kind: 'standalone' | 'mattermost';
  /** Resolves a token (cookie MMAUTHTOKEN, Bearer, authentication_challenge) to a session; null if invalid/expired. */
  authenticateToken(token: string): Promise<AuthSession | null>;
  getUser(id: string): Promise<User | null>;
  getUsers(ids: string[]): Promise<User[]>;
  getChannel(id: string): Promise<Channel | null>;
  getTeam(id: string): Promise<Team | null>;
  getChannelMember(channelID: string, userID: string): Promise<ChannelMember | null>;
  /** User ids of every member of the channel (for channel-scoped events). */
  getChannelMemberIDs(channelID: string): Promise<string[]>;
  isSystemAdmin(userID: string): Promise<boolean>;
  isTeamAdmin(userID: string, teamID: string): Promise<boolean>;
  hasChannelPermission(userID: string, channelID: string, perm: ChannelPermission): Promise<boolean>;
  createPost(post: NewPost): Promise<Post>;
  updatePost(post: Post): Promise<Post>;
  getPost(id: string): Promise<Post | null>;
  /** A post only one user sees (system messages such as errors and the call link). */
  sendEphemeralPost(userID: string, channelID: string, message: string, rootID?: string): Promise<void>;
  /** The Calls bot account ("calls"), created on first use; hidden from calls. */
  botUserID(): Promise<string>;
  /**
   * A non-expiring login token of the Calls bot (a recording job's auth_token; reference §8.2 step 1).
   * Secret: never logged, never sent to a client other than the recorder.
   */
  botToken(): Promise<string>;
  /** A user's profile picture (bot API users/{id}/image); null when the user does not exist. */
  profileImage(userID: string): Promise<{data: Buffer; contentType: string} | null>;
  createUploadSession(s: NewUploadSession): Promise<UploadSession>;
  getUploadSession(id: string): Promise<UploadSession | null>;
  /**
   * Appends the bytes at the session's file_offset (at most file_size − file_offset, else a 400 and the
   * offset unchanged). The file exists only once complete: a crash mid-upload never yields a half file.
   */
  appendUpload(id: string, data: AsyncIterable<Buffer>): Promise<UploadProgress>;
  getFileInfo(id: string): Promise<FileInfo | null>;
  /** Reads a stored file, or the inclusive byte range [start, end] of it. */
  readFile(id: string, range?: {start: number; end: number}): Promise<NodeJS.ReadableStream>;
  /** The DM channel between two users, created on first use. */
  directChannel(userA: string, userB: string): Promise<Channel>;
  license(): LicenseInfo;
  /** The public URL users open (for links in posts). */
  siteURL(): string;
}
