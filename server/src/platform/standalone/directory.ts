// The built-in stand-in for the chat server: users, teams, channels, membership and posts stored in
// our own database, implementing the Platform port (and its events: member removed, user deactivated,
// channel archived). It is deliberately small: each part lives in its own store (accounts, teams,
// channels, posts); this class joins them into the port and emits the events.
import type {Kysely} from 'kysely';
import type {Clock} from '../../clock';
import {TypedEmitter} from '../../events';
import type {Logger} from '../../log';
import type {Database} from '../../store';
import type {EventPublisher} from '../../ws/types';
import type {LicenseInfo} from '../../config/client';
import type * as P from '../types';
import {avatarSVG} from './avatar';
import {StandaloneFiles} from './files';
import {StandaloneAccounts, type NewUser} from './accounts';
import {StandaloneChannels, type NewChannel} from './channels';
import {StandalonePosts} from './posts';
import {StandaloneTeams} from './teams';

export type {NewUser} from './accounts';

export interface StandaloneOptions {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  /** The public URL (may only be known once the HTTP port is bound). */
  siteURL: () => string;
  events: EventPublisher;
  /** Where uploaded files are kept (<dataDir>/files). */
  dataDir: string;
}

export class StandaloneDirectory extends TypedEmitter<P.PlatformEvents> implements P.Platform {
  readonly kind = 'standalone' as const;
  readonly #siteURL: () => string;
  readonly #accounts: StandaloneAccounts;
  readonly #teams: StandaloneTeams;
  readonly #channels: StandaloneChannels;
  readonly #posts: StandalonePosts;
  readonly #files: StandaloneFiles;

  constructor(opts: StandaloneOptions) {
    super();
    this.#siteURL = opts.siteURL;
    this.#accounts = new StandaloneAccounts(opts.db, opts.clock);
    this.#teams = new StandaloneTeams(opts.db, opts.clock);
    this.#channels = new StandaloneChannels(opts.db, opts.clock, opts.events, (ids) => this.getUsers(ids));
    this.#files = new StandaloneFiles(opts.db, opts.clock, opts.dataDir);
    this.#posts = new StandalonePosts(opts.db, opts.clock, opts.events, {
      getChannel: (id) => this.getChannel(id),
      getUser: (id) => this.getUser(id),
      attachFiles: (ids, postID) => this.#files.attachFiles(ids, postID),
    });
  }

  // ---- auth and users

  login(loginID: string, password: string): Promise<{user: P.User; token: string}> {
    return this.#accounts.login(loginID, password);
  }

  logout(token: string): Promise<void> {
    return this.#accounts.logout(token);
  }

  authenticateToken(token: string): Promise<P.AuthSession | null> {
    return this.#accounts.authenticateToken(token);
  }

  createUser(u: NewUser): Promise<P.User> {
    return this.#accounts.createUser(u);
  }

  getUser(id: string): Promise<P.User | null> {
    return this.#accounts.getUser(id);
  }

  getUserByUsername(username: string): Promise<P.User | null> {
    return this.#accounts.getUserByUsername(username);
  }

  getUsers(ids: string[]): Promise<P.User[]> {
    return this.#accounts.getUsers(ids);
  }

  listUsers(): Promise<P.User[]> {
    return this.#accounts.listUsers();
  }

  /** Deactivates the account (Mattermost's DELETE /users/{id}): no more logins, its tokens revoked. */
  async deactivateUser(id: string): Promise<void> {
    if (await this.#accounts.deactivateUser(id)) this.emit('userDeactivated', id);
  }

  isSystemAdmin(userID: string): Promise<boolean> {
    return this.#accounts.isSystemAdmin(userID);
  }

  botUserID(): Promise<string> {
    return this.#accounts.botUserID();
  }

  botToken(): Promise<string> {
    return this.#accounts.botToken();
  }

  async profileImage(userID: string): Promise<{data: Buffer; contentType: string} | null> {
    const u = await this.getUser(userID);
    return u ? {data: Buffer.from(avatarSVG(u)), contentType: 'image/svg+xml'} : null;
  }

  // ---- files

  createUploadSession(s: P.NewUploadSession): Promise<P.UploadSession> {
    return this.#files.createUploadSession(s);
  }

  getUploadSession(id: string): Promise<P.UploadSession | null> {
    return this.#files.getUploadSession(id);
  }

  appendUpload(id: string, data: AsyncIterable<Buffer>): Promise<P.UploadProgress> {
    return this.#files.appendUpload(id, data);
  }

  getFileInfo(id: string): Promise<P.FileInfo | null> {
    return this.#files.getFileInfo(id);
  }

  readFile(id: string, range?: {start: number; end: number}): Promise<NodeJS.ReadableStream> {
    return this.#files.readFile(id, range);
  }

  // ---- teams

  createTeam(name: string, displayName: string): Promise<P.Team> {
    return this.#teams.createTeam(name, displayName);
  }

  getTeam(id: string): Promise<P.Team | null> {
    return this.#teams.getTeam(id);
  }

  addTeamMember(teamID: string, userID: string, admin = false): Promise<void> {
    return this.#teams.addTeamMember(teamID, userID, admin);
  }

  getUserTeams(userID: string): Promise<P.Team[]> {
    return this.#teams.getUserTeams(userID);
  }

  isTeamMember(userID: string, teamID: string): Promise<boolean> {
    return this.#teams.isTeamMember(userID, teamID);
  }

  isTeamAdmin(userID: string, teamID: string): Promise<boolean> {
    return this.#teams.isTeamAdmin(userID, teamID);
  }

  // ---- channels

  createChannel(c: NewChannel, memberIDs: string[]): Promise<P.Channel> {
    return this.#channels.createChannel(c, memberIDs);
  }

  /** The DM channel between two users, created on first use (name = sorted ids joined by "__"). */
  getOrCreateDirectChannel(a: string, b: string): Promise<P.Channel> {
    return this.#channels.getOrCreateDirectChannel(a, b);
  }

  directChannel(userA: string, userB: string): Promise<P.Channel> {
    return this.#channels.getOrCreateDirectChannel(userA, userB);
  }

  createGroupChannel(userIDs: string[]): Promise<P.Channel> {
    return this.#channels.createGroupChannel(userIDs);
  }

  getChannel(id: string): Promise<P.Channel | null> {
    return this.#channels.getChannel(id);
  }

  getChannelByName(teamID: string, name: string): Promise<P.Channel | null> {
    return this.#channels.getChannelByName(teamID, name);
  }

  async archiveChannel(id: string): Promise<void> {
    if (await this.#channels.archiveChannel(id)) this.emit('channelDeleted', id);
  }

  /** Channels of the user in a team plus their DM/GM channels. */
  getUserChannels(userID: string, teamID: string): Promise<P.Channel[]> {
    return this.#channels.getUserChannels(userID, teamID);
  }

  addChannelMember(channelID: string, userID: string, admin = false): Promise<void> {
    return this.#channels.addChannelMember(channelID, userID, admin);
  }

  async removeChannelMember(channelID: string, userID: string, removerID: string): Promise<void> {
    await this.#channels.removeChannelMember(channelID, userID, removerID);
    this.emit('channelMemberRemoved', channelID, userID);
  }

  getChannelMember(channelID: string, userID: string): Promise<P.ChannelMember | null> {
    return this.#channels.getChannelMember(channelID, userID);
  }

  getChannelMembers(channelID: string): Promise<P.ChannelMember[]> {
    return this.#channels.getChannelMembers(channelID);
  }

  getUserChannelMembers(userID: string, teamID: string): Promise<P.ChannelMember[]> {
    return this.#channels.getUserChannelMembers(userID, teamID);
  }

  getChannelMemberIDs(channelID: string): Promise<string[]> {
    return this.#channels.getChannelMemberIDs(channelID);
  }

  /** System admins may do anything, members may read and post, a team member may read an open channel. */
  async hasChannelPermission(userID: string, channelID: string, perm: P.ChannelPermission): Promise<boolean> {
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

  createPost(p: P.NewPost): Promise<P.Post> {
    return this.#posts.createPost(p);
  }

  updatePost(post: P.Post): Promise<P.Post> {
    return this.#posts.updatePost(post);
  }

  getPost(id: string): Promise<P.Post | null> {
    return this.#posts.getPost(id);
  }

  getChannelPosts(channelID: string, page: number, perPage: number): Promise<P.Post[]> {
    return this.#posts.getChannelPosts(channelID, page, perPage);
  }

  /** A thread: the root post and its replies, oldest first (deleted posts left out). */
  getThreadPosts(rootID: string): Promise<P.Post[]> {
    return this.#posts.getThreadPosts(rootID);
  }

  sendEphemeralPost(userID: string, channelID: string, message: string, rootID = ''): Promise<void> {
    return this.#posts.sendEphemeralPost(userID, channelID, message, rootID);
  }

  // ---- the server

  license(): LicenseInfo {
    // The standalone server stands in for a licensed Mattermost so every feature can be used.
    return {skuShortName: 'enterprise', professional: true, enterprise: true};
  }

  siteURL(): string {
    return this.#siteURL();
  }
}
