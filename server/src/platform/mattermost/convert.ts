// Mattermost's payloads (@mattermost/types) narrowed to the fields of our Platform port (platform/types.ts).
import type {Channel as MMChannel, ChannelMembership} from '@mattermost/types/channels';
import type {FileInfo as MMFileInfo} from '@mattermost/types/files';
import type {Post as MMPost} from '@mattermost/types/posts';
import type {Team as MMTeam} from '@mattermost/types/teams';
import type {UserProfile} from '@mattermost/types/users';
import type {Channel, ChannelMember, FileInfo, Post, Team, UploadSession, User} from '../types';

/**
 * Mattermost's UploadSession (server model/upload_session.go; @mattermost/types does not declare it): ours, but an
 * import's too.
 */
export interface MMUploadSession extends Omit<UploadSession, 'type'> {
  type: 'attachment' | 'import';
}

export const toUser = (u: UserProfile): User => ({
  id: u.id,
  username: u.username,
  email: u.email ?? '',
  first_name: u.first_name ?? '',
  last_name: u.last_name ?? '',
  nickname: u.nickname ?? '',
  roles: u.roles ?? '',
  is_bot: Boolean(u.is_bot),
  locale: u.locale ?? 'en',
  create_at: u.create_at,
  update_at: u.update_at,
  delete_at: u.delete_at,
});

export const toChannel = (c: MMChannel): Channel => ({
  id: c.id,
  team_id: c.team_id ?? '',
  type: c.type as Channel['type'],
  name: c.name,
  display_name: c.display_name,
  header: c.header ?? '',
  purpose: c.purpose ?? '',
  creator_id: c.creator_id ?? '',
  create_at: c.create_at,
  update_at: c.update_at,
  delete_at: c.delete_at,
  last_post_at: c.last_post_at ?? 0,
});

export const toChannelMember = (m: ChannelMembership): ChannelMember => ({
  channel_id: m.channel_id,
  user_id: m.user_id,
  roles: m.roles,
  last_viewed_at: m.last_viewed_at ?? 0,
});

export const toTeam = (t: MMTeam): Team => ({
  id: t.id,
  name: t.name,
  display_name: t.display_name,
  type: t.type,
  create_at: t.create_at,
  delete_at: t.delete_at,
});

export const toPost = (p: MMPost): Post => ({
  id: p.id,
  channel_id: p.channel_id,
  user_id: p.user_id,
  root_id: p.root_id ?? '',
  message: p.message ?? '',
  type: p.type ?? '',
  props: p.props ?? {},
  file_ids: p.file_ids ?? [],
  create_at: p.create_at,
  update_at: p.update_at,
  edit_at: p.edit_at ?? 0,
  delete_at: p.delete_at ?? 0,
});

export const toFileInfo = (f: MMFileInfo): FileInfo => ({
  id: f.id,
  user_id: f.user_id,
  channel_id: f.channel_id,
  post_id: f.post_id ?? '',
  name: f.name,
  extension: f.extension,
  size: f.size,
  mime_type: f.mime_type,
  create_at: f.create_at,
  update_at: f.update_at,
  delete_at: f.delete_at,
});

export const toUploadSession = (u: MMUploadSession): UploadSession => ({
  id: u.id,
  type: 'attachment',
  create_at: u.create_at,
  user_id: u.user_id,
  channel_id: u.channel_id,
  filename: u.filename,
  file_size: u.file_size,
  file_offset: u.file_offset,
});
