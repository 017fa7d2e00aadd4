// The fake Mattermost's data: users, tokens, teams, channels, memberships, posts, upload sessions, files and
// the built-in roles, shaped as @mattermost/types declares them. Written from Mattermost's REST API v4
// documentation (api.mattermost.com) and @mattermost/types, not from our adapter.
import {randomBytes} from 'node:crypto';
import type {Channel, ChannelMembership} from '@mattermost/types/channels';
import type {FileInfo} from '@mattermost/types/files';
import type {Command} from '@mattermost/types/integrations';
import type {Post} from '@mattermost/types/posts';
import type {Role} from '@mattermost/types/roles';
import type {Team, TeamMembership} from '@mattermost/types/teams';
import type {UserProfile} from '@mattermost/types/users';
import type {MMUploadSession} from '../../../server/src/platform/mattermost/convert';

/** A Mattermost id: 26 characters of lowercase base32. */
export function mmId(): string {
  const alphabet = 'ybndrfg8ejkmcpqxot1uwisza345h769';
  return [...randomBytes(26)].map((b) => alphabet[b % 32]).join('');
}

/** What every record Mattermost makes starts with: a new id, made and last updated `now`. */
export function newRecord(now = Date.now()): {id: string; create_at: number; update_at: number} {
  return {id: mmId(), create_at: now, update_at: now};
}

/** Mattermost's model.FakeSetting: what GET /config shows in place of a set secret. */
export const FAKE_SETTING = '********************************';

/** The part of an installed plugin's manifest the server reads (settings_schema, for secrets). */
export interface PluginManifest {
  id: string;
  settings_schema?: {
    sections?: {settings?: {key: string; secret?: boolean}[]}[];
    settings?: {key: string; secret?: boolean}[];
  };
}

/** The part of Mattermost's config (model.Config) the fake serves. */
export interface FakeConfig {
  ServiceSettings: {SiteURL: string; EnableCommands: boolean; [k: string]: unknown};
  PluginSettings: {
    Enable: boolean;
    Plugins: Record<string, Record<string, unknown>>;
    PluginStates: Record<string, {Enable: boolean}>;
  };
  [section: string]: unknown;
}

/** Mattermost's UploadSession (server model/upload_session.go), with where its bytes go. */
export interface UploadSession extends MMUploadSession {
  path: string;
}

// The permissions of the default roles that the routes served here check (server/public/model/role.go).
const ROLE_PERMISSIONS: Record<string, string[]> = {
  system_user: ['create_direct_channel', 'create_group_channel', 'list_public_teams', 'view_members', 'create_team'],
  system_admin: [
    'manage_system',
    'create_post_ephemeral',
    'read_channel',
    'read_public_channel',
    'create_post',
    'edit_post',
    'edit_others_posts',
    'upload_file',
    'view_team',
    'view_members',
    'manage_channel_roles',
    'manage_team',
    'create_direct_channel',
    'use_slash_commands',
    'manage_slash_commands',
    'manage_others_slash_commands',
  ],
  team_user: [
    'view_team',
    'list_team_channels',
    'join_public_channels',
    'read_public_channel',
    'create_public_channel',
  ],
  team_admin: [
    'manage_team',
    'manage_team_roles',
    'manage_channel_roles',
    'remove_user_from_team',
    'manage_slash_commands',
    'manage_others_slash_commands',
  ],
  channel_user: [
    'read_channel',
    'create_post',
    'upload_file',
    'edit_post',
    'add_reaction',
    'use_channel_mentions',
    'use_slash_commands',
  ],
  channel_admin: ['manage_channel_roles', 'use_group_mentions'],
};

export class FakeData {
  readonly users = new Map<string, UserProfile>();
  /** token → user id (sessions and personal access tokens alike). */
  readonly tokens = new Map<string, string>();
  /** token → CSRF token of a browser session (what Mattermost sends as the MMCSRF cookie). */
  readonly csrf = new Map<string, string>();
  readonly teams = new Map<string, Team>();
  readonly teamMembers = new Map<string, TeamMembership>();
  readonly channels = new Map<string, Channel>();
  readonly channelMembers = new Map<string, ChannelMembership>();
  readonly posts = new Map<string, Post>();
  /** Ephemeral posts are never stored by Mattermost; kept here so tests can see what was sent. */
  readonly ephemeral: {user_id: string; post: Post}[] = [];
  readonly uploads = new Map<string, UploadSession & {data: Buffer[]}>();
  readonly files = new Map<string, FileInfo & {data: Buffer}>();
  readonly roles = new Map<string, Role>();
  /** Custom slash commands (deleted ones keep delete_at > 0, as Mattermost soft-deletes them). */
  readonly commands = new Map<string, Command>();
  /** The server config (config.json). */
  config: FakeConfig = {
    ServiceSettings: {SiteURL: '', EnableCommands: true},
    PluginSettings: {Enable: true, Plugins: {}, PluginStates: {}},
  };
  /** Installed plugins' manifests (System Console > Plugins > Upload). */
  readonly plugins = new Map<string, PluginManifest>();

  constructor() {
    for (const [name, permissions] of Object.entries(ROLE_PERMISSIONS)) {
      this.roles.set(name, {
        id: mmId(),
        name,
        display_name: `authentication.roles.${name}.name`,
        description: '',
        create_at: 0,
        update_at: 0,
        delete_at: 0,
        permissions,
        scheme_managed: true,
        built_in: true,
      });
    }
  }

  /** The service's own account: the bot `calls`, a system admin, whose token the service is given. */
  addCallsBot(): {user: UserProfile; token: string} {
    return this.addUser('calls', {roles: 'system_user system_admin', is_bot: true});
  }

  /** The calls bot, alice, bob and carol, all members of the team named "team". */
  addTeamOfFour(): Record<'bot' | 'alice' | 'bob' | 'carol', {user: UserProfile; token: string}> & {team: Team} {
    const people = {
      bot: this.addCallsBot(),
      alice: this.addUser('alice'),
      bob: this.addUser('bob'),
      carol: this.addUser('carol'),
    };
    const team = this.addTeam(
      'team',
      Object.values(people).map((p) => p.user.id),
    );
    return {...people, team};
  }

  addUser(username: string, opts: {roles?: string; is_bot?: boolean} = {}): {user: UserProfile; token: string} {
    const now = Date.now();
    const user: UserProfile = {
      ...newRecord(now),
      delete_at: 0,
      username,
      password: '',
      auth_service: '',
      email: `${username}@example.com`,
      nickname: '',
      first_name: username[0].toUpperCase() + username.slice(1),
      last_name: 'Tester',
      position: '',
      roles: opts.roles ?? 'system_user',
      props: {},
      notify_props: {} as UserProfile['notify_props'],
      last_password_update: now,
      last_picture_update: 0,
      locale: 'en',
      mfa_active: false,
      last_activity_at: now,
      is_bot: opts.is_bot ?? false,
      bot_description: '',
      terms_of_service_id: '',
      terms_of_service_create_at: 0,
    };
    this.users.set(user.id, user);
    return {user, token: this.issueToken(user.id)};
  }

  issueToken(userID: string): string {
    const token = mmId();
    this.tokens.set(token, userID);
    this.csrf.set(token, mmId());
    return token;
  }

  addTeam(name: string, members: string[]): Team {
    const now = Date.now();
    const team = {
      ...newRecord(now),
      delete_at: 0,
      display_name: name,
      name,
      description: '',
      email: '',
      type: 'O',
      company_name: '',
      allowed_domains: '',
      invite_id: mmId(),
      allow_open_invite: true,
      scheme_id: '',
      group_constrained: false,
    } as Team;
    this.teams.set(team.id, team);
    for (const u of members) this.addTeamMember(team.id, u);
    return team;
  }

  addTeamMember(teamID: string, userID: string, admin = false): void {
    this.teamMembers.set(`${teamID}:${userID}`, {
      team_id: teamID,
      user_id: userID,
      roles: admin ? 'team_user team_admin' : 'team_user',
      delete_at: 0,
      scheme_admin: admin,
      scheme_guest: false,
      scheme_user: true,
      msg_count: 0,
      mention_count: 0,
      msg_count_root: 0,
      mention_count_root: 0,
    } as TeamMembership);
  }

  addChannel(teamID: string, type: Channel['type'], name: string, creatorID: string): Channel {
    const now = Date.now();
    const ch: Channel = {
      ...newRecord(now),
      delete_at: 0,
      team_id: teamID,
      type,
      display_name: name,
      name,
      header: '',
      purpose: '',
      last_post_at: 0,
      last_root_post_at: 0,
      creator_id: creatorID,
      scheme_id: '',
      group_constrained: false,
    };
    this.channels.set(ch.id, ch);
    return ch;
  }

  addChannelMember(channelID: string, userID: string, admin = false): void {
    this.channelMembers.set(`${channelID}:${userID}`, {
      channel_id: channelID,
      user_id: userID,
      roles: admin ? 'channel_user channel_admin' : 'channel_user',
      last_viewed_at: 0,
      msg_count: 0,
      msg_count_root: 0,
      mention_count: 0,
      mention_count_root: 0,
      urgent_mention_count: 0,
      notify_props: {},
      last_update_at: Date.now(),
      scheme_user: true,
      scheme_admin: admin,
    });
  }

  removeChannelMember(channelID: string, userID: string): void {
    this.channelMembers.delete(`${channelID}:${userID}`);
  }

  channelMember(channelID: string, userID: string): ChannelMembership | undefined {
    return this.channelMembers.get(`${channelID}:${userID}`);
  }

  teamMember(teamID: string, userID: string): TeamMembership | undefined {
    const m = this.teamMembers.get(`${teamID}:${userID}`);
    return m && m.delete_at === 0 ? m : undefined;
  }

  /** The permissions a user holds in a channel: system, team and channel roles together (no channel schemes). */
  permissions(userID: string, channelID?: string): Set<string> {
    const names = (this.users.get(userID)?.roles ?? '').split(' ');
    const ch = channelID ? this.channels.get(channelID) : undefined;
    if (ch?.team_id) names.push(...(this.teamMember(ch.team_id, userID)?.roles ?? '').split(' '));
    if (ch) names.push(...(this.channelMember(ch.id, userID)?.roles ?? '').split(' '));
    const out = new Set<string>();
    for (const n of names) for (const p of this.roles.get(n)?.permissions ?? []) out.add(p);
    return out;
  }

  /** The permissions a user holds in a team: system and team roles together. */
  teamPermissions(userID: string, teamID: string): Set<string> {
    const names = (this.users.get(userID)?.roles ?? '').split(' ');
    names.push(...(this.teamMember(teamID, userID)?.roles ?? '').split(' '));
    const out = new Set<string>();
    for (const n of names) for (const p of this.roles.get(n)?.permissions ?? []) out.add(p);
    return out;
  }

  /** Installs a plugin (its manifest) and enables it, as an upload in the System Console does. */
  installPlugin(manifest: PluginManifest): void {
    this.plugins.set(manifest.id, manifest);
    this.config.PluginSettings.PluginStates[manifest.id] = {Enable: true};
  }

  /**
   * What saving a plugin's page in the System Console stores: the values under PluginSettings.Plugins[id]
   * with lower-cased keys (Mattermost lower-cases plugin setting keys), merged over the saved ones.
   */
  savePluginSettings(pluginID: string, values: Record<string, unknown>): void {
    const current = this.config.PluginSettings.Plugins[pluginID] ?? {};
    for (const [k, v] of Object.entries(values)) current[k.toLowerCase()] = v;
    this.config.PluginSettings.Plugins[pluginID] = current;
  }

  /** The keys of an installed plugin's settings marked secret (lower-cased, as stored). */
  secretPluginKeys(pluginID: string): Set<string> {
    const schema = this.plugins.get(pluginID)?.settings_schema;
    const all = [...(schema?.settings ?? []), ...(schema?.sections ?? []).flatMap((s) => s.settings ?? [])];
    return new Set(all.filter((s) => s.secret).map((s) => s.key.toLowerCase()));
  }

  /** Can the user read the channel: a member, or a team member and the channel is public (or a system admin). */
  canRead(userID: string, ch: Channel): boolean {
    const perms = this.permissions(userID, ch.id);
    if (perms.has('manage_system')) return true;
    if (this.channelMember(ch.id, userID)) return perms.has('read_channel');
    return ch.type === 'O' && perms.has('read_public_channel');
  }
}
