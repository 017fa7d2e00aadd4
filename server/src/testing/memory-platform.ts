// An in-memory Platform: users, channels, membership, posts and ephemeral posts in maps, for unit tests
// of code that talks to the chat platform; removing a member, deactivating a user and deleting a channel
// emit the platform's events. Permissions follow the standalone rules: system admins may do anything,
// members may read and post, anyone may read an open channel.
import type {LicenseInfo} from '../config/client';
import {TypedEmitter} from '../events';
import {newId} from '../ids';
import {newPost} from '../platform/new-post';
import type * as P from '../platform/types';
import {notFound} from '../errors';
import {Readable} from 'node:stream';

export interface EphemeralPost {
  userID: string;
  channelID: string;
  message: string;
  rootID: string;
}

export class MemoryPlatform extends TypedEmitter<P.PlatformEvents> implements P.Platform {
  readonly kind = 'standalone' as const;
  readonly users = new Map<string, P.User>();
  readonly channels = new Map<string, P.Channel>();
  readonly members = new Map<string, Set<string>>();
  readonly posts = new Map<string, P.Post>();
  readonly ephemeral: EphemeralPost[] = [];
  readonly tokens = new Map<string, string>();
  licenseInfo: LicenseInfo = {skuShortName: 'enterprise', professional: true, enterprise: true};
  #now = () => Date.now();

  constructor(now?: () => number) {
    super();
    if (now) this.#now = now;
  }

  // ---- test setup

  addUser(u: Partial<P.User> & {username: string; admin?: boolean}): P.User {
    const {admin, ...rest} = u;
    const user: P.User = {
      id: newId(),
      email: `${u.username}@example.com`,
      first_name: '',
      last_name: '',
      nickname: '',
      roles: admin ? 'system_admin system_user' : 'system_user',
      is_bot: false,
      locale: 'en',
      create_at: this.#now(),
      update_at: this.#now(),
      delete_at: 0,
      ...rest,
    };
    this.users.set(user.id, user);
    return user;
  }

  addChannel(type: P.ChannelType, memberIDs: string[], c: Partial<P.Channel> = {}): P.Channel {
    const ch: P.Channel = {
      id: newId(),
      team_id: type === 'D' || type === 'G' ? '' : 'team',
      type,
      name: `ch-${this.channels.size}`,
      display_name: '',
      header: '',
      purpose: '',
      creator_id: memberIDs[0] ?? '',
      create_at: this.#now(),
      update_at: this.#now(),
      delete_at: 0,
      last_post_at: 0,
      ...c,
    };
    this.channels.set(ch.id, ch);
    this.members.set(ch.id, new Set(memberIDs));
    return ch;
  }

  removeMember(channelID: string, userID: string): void {
    this.members.get(channelID)?.delete(userID);
    this.emit('channelMemberRemoved', channelID, userID);
  }

  deactivateUser(userID: string): void {
    const u = this.users.get(userID);
    if (u) this.users.set(userID, {...u, delete_at: this.#now()});
    for (const [token, id] of this.tokens) if (id === userID) this.tokens.delete(token);
    this.emit('userDeactivated', userID);
  }

  deleteChannel(channelID: string): void {
    const ch = this.channels.get(channelID);
    if (ch) this.channels.set(channelID, {...ch, delete_at: this.#now()});
    this.emit('channelDeleted', channelID);
  }

  // ---- Platform

  async authenticateToken(token: string): Promise<P.AuthSession | null> {
    const userID = this.tokens.get(token);
    return userID ? {userID, token} : null;
  }

  async getUser(id: string): Promise<P.User | null> {
    return this.users.get(id) ?? null;
  }

  async getUsers(ids: string[]): Promise<P.User[]> {
    return ids.flatMap((id) => this.users.get(id) ?? []);
  }

  async getChannel(id: string): Promise<P.Channel | null> {
    return this.channels.get(id) ?? null;
  }

  async getTeam(id: string): Promise<P.Team | null> {
    return {id, name: id, display_name: id, type: 'O', create_at: 0, delete_at: 0};
  }

  async getChannelMember(channelID: string, userID: string): Promise<P.ChannelMember | null> {
    if (!this.members.get(channelID)?.has(userID)) return null;
    return {channel_id: channelID, user_id: userID, roles: 'channel_user', last_viewed_at: 0};
  }

  async getChannelMemberIDs(channelID: string): Promise<string[]> {
    return [...(this.members.get(channelID) ?? [])];
  }

  async isSystemAdmin(userID: string): Promise<boolean> {
    return Boolean(this.users.get(userID)?.roles.split(' ').includes('system_admin'));
  }

  async isTeamAdmin(_userID: string, _teamID: string): Promise<boolean> {
    return false;
  }

  async hasChannelPermission(userID: string, channelID: string, perm: P.ChannelPermission): Promise<boolean> {
    if (await this.isSystemAdmin(userID)) return true;
    if (this.members.get(channelID)?.has(userID)) return true;
    return perm === 'read_channel' && this.channels.get(channelID)?.type === 'O';
  }

  async createPost(p: P.NewPost): Promise<P.Post> {
    const post = newPost(p, this.#now());
    this.posts.set(post.id, post);
    return post;
  }

  async updatePost(post: P.Post): Promise<P.Post> {
    const updated = {...post, update_at: this.#now()};
    this.posts.set(post.id, updated);
    return updated;
  }

  async getPost(id: string): Promise<P.Post | null> {
    return this.posts.get(id) ?? null;
  }

  async sendEphemeralPost(userID: string, channelID: string, message: string, rootID = ''): Promise<void> {
    this.ephemeral.push({userID, channelID, message, rootID});
  }

  async botUserID(): Promise<string> {
    const bot = [...this.users.values()].find((u) => u.username === 'calls');
    return bot?.id ?? this.addUser({username: 'calls', is_bot: true}).id;
  }

  async botToken(): Promise<string> {
    const botID = await this.botUserID();
    for (const [token, uid] of this.tokens) if (uid === botID) return token;
    const token = newId();
    this.tokens.set(token, botID);
    return token;
  }

  async profileImage(userID: string): Promise<{data: Buffer; contentType: string} | null> {
    return this.users.has(userID) ? {data: Buffer.from('<svg/>'), contentType: 'image/svg+xml'} : null;
  }

  /** Uploads and files in memory (the standalone platform keeps them on disk). */
  readonly uploads = new Map<string, {session: P.UploadSession; data: Buffer[]}>();
  readonly files = new Map<string, {info: P.FileInfo; data: Buffer}>();

  async createUploadSession(s: P.NewUploadSession): Promise<P.UploadSession> {
    const session: P.UploadSession = {...s, id: newId(), type: 'attachment', create_at: this.#now(), file_offset: 0};
    this.uploads.set(session.id, {session, data: []});
    return {...session};
  }

  async getUploadSession(id: string): Promise<P.UploadSession | null> {
    const u = this.uploads.get(id);
    return u ? {...u.session} : null;
  }

  async appendUpload(id: string, data: AsyncIterable<Buffer>): Promise<P.UploadProgress> {
    const u = this.uploads.get(id);
    if (!u) throw notFound('app.upload.get.app_error', 'upload not found');
    for await (const chunk of data) {
      u.data.push(chunk);
      u.session.file_offset += chunk.length;
    }
    if (u.session.file_offset < u.session.file_size) return {session: {...u.session}, file: null};
    this.uploads.delete(id);
    const now = this.#now();
    const info: P.FileInfo = {
      id: newId(),
      user_id: u.session.user_id,
      channel_id: u.session.channel_id,
      post_id: '',
      name: u.session.filename,
      extension: u.session.filename.split('.').pop() ?? '',
      size: u.session.file_size,
      mime_type: 'application/octet-stream',
      create_at: now,
      update_at: now,
      delete_at: 0,
    };
    this.files.set(info.id, {info, data: Buffer.concat(u.data)});
    return {session: {...u.session}, file: info};
  }

  async getFileInfo(id: string): Promise<P.FileInfo | null> {
    return this.files.get(id)?.info ?? null;
  }

  async readFile(id: string, range?: {start: number; end: number}): Promise<NodeJS.ReadableStream> {
    const f = this.files.get(id);
    if (!f) throw notFound('app.file.get.app_error', 'file not found');
    return Readable.from([range ? f.data.subarray(range.start, range.end + 1) : f.data]);
  }

  async directChannel(userA: string, userB: string): Promise<P.Channel> {
    for (const ch of this.channels.values()) {
      const m = this.members.get(ch.id);
      if (ch.type === 'D' && m?.has(userA) && m.has(userB)) return ch;
    }
    return this.addChannel('D', [userA, userB]);
  }

  license(): LicenseInfo {
    return this.licenseInfo;
  }

  siteURL(): string {
    return 'http://calls.test';
  }
}
