// The Platform port over a real Mattermost's REST API v4: users, channels, membership and permissions,
// posts (the call post, its thread, ephemeral posts) and uploads, with the service's bot or personal access
// token. Posts are authored by that account (REST cannot post as another user). Removals from a channel and
// archived channels are found by re-reading the channels in use (membership-watch.ts); a revoked login by the
// websocket's periodic re-validation.
import {Readable} from 'node:stream';
import type {ReadableStream as WebReadableStream} from 'node:stream/web';
import type {Channel as MMChannel, ChannelMembership} from '@mattermost/types/channels';
import type {FileInfo as MMFileInfo} from '@mattermost/types/files';
import type {Post as MMPost} from '@mattermost/types/posts';
import type {Team as MMTeam, TeamMembership} from '@mattermost/types/teams';
import type {UserProfile} from '@mattermost/types/users';
import type {LicenseInfo} from '../../config/client';
import {AppError, badRequest} from '../../errors';
import {TypedEmitter} from '../../events';
import type {Logger} from '../../log';
import type * as P from '../types';
import {TokenValidator} from './auth';
import type {MattermostClient} from './client';
import {
  type MMUploadSession,
  toChannel,
  toChannelMember,
  toFileInfo,
  toPost,
  toTeam,
  toUploadSession,
  toUser,
} from './convert';
import {type ChannelSnapshot, MembershipWatch} from './membership-watch';
import {RolePermissions} from './permissions';
import {isTransient, PendingPostUpdates} from './post-updates';
import {TtlCache} from './ttl-cache';

// Ids go into URL paths: anything but a Mattermost id is refused before it can change the path.
const ID = /^[a-z0-9]{26}$/;
const isID = (id: string) => ID.test(id);

/** How long profiles, channels and member lists are reused (the hub asks for member ids on every event). */
const CACHE_MS = 5_000;
const MEMBERS_PER_PAGE = 200;
const STALE_MEMBERS_MS = 3600_000;
const POST_CACHE_MS = 3600_000;

export interface MattermostPlatformOptions {
  client: MattermostClient;
  logger: Logger;
  siteURL: () => string;
  /** The service account's token, handed to the recorder as its auth_token. */
  token: string;
  /** How often the channels in use are re-read for removed members (default 10 s). */
  membershipPollMs?: number;
  /** How often post updates Mattermost could not take are re-sent (default 5 s). */
  postRetryMs?: number;
}

export class MattermostPlatform extends TypedEmitter<P.PlatformEvents> implements P.Platform {
  readonly kind = 'mattermost' as const;
  readonly #client: MattermostClient;
  readonly #log: Logger;
  readonly #siteURL: () => string;
  readonly #token: string;
  readonly #auth: TokenValidator;
  readonly #roles: RolePermissions;
  readonly #users = new TtlCache<P.User | null>(CACHE_MS);
  readonly #channels = new TtlCache<P.Channel | null>(CACHE_MS);
  readonly #memberIDs = new TtlCache<string[]>(CACHE_MS, 1000);
  /** The last member list read per channel, for when Mattermost cannot be asked. */
  readonly #lastMemberIDs = new TtlCache<string[]>(STALE_MEMBERS_MS, 1000);
  readonly #watch: MembershipWatch;
  /** Posts we wrote or read lately (call posts), for reads while Mattermost is down. */
  readonly #posts = new TtlCache<P.Post>(POST_CACHE_MS, 2000);
  readonly #pendingPosts: PendingPostUpdates;
  #bot: Promise<P.User> | null = null;
  #license: LicenseInfo = {skuShortName: 'starter', professional: false, enterprise: false};

  constructor(o: MattermostPlatformOptions) {
    super();
    this.#client = o.client;
    this.#log = o.logger;
    this.#siteURL = o.siteURL;
    this.#token = o.token;
    this.#roles = new RolePermissions(o.client);
    this.#auth = new TokenValidator(o.client, (u) => this.#users.set(u.id, toUser(u)));
    this.#pendingPosts = new PendingPostUpdates({
      send: async (post) => this.#posts.set(post.id, toPost(await this.#patchPost(post))),
      logger: o.logger,
      retryMs: o.postRetryMs,
    });
    this.#watch = new MembershipWatch({
      load: (id) => this.#snapshot(id),
      onMemberRemoved: (channelID, userID) => {
        this.#log.info({channelID, userID}, 'member removed from channel in Mattermost');
        this.emit('channelMemberRemoved', channelID, userID);
      },
      onChannelDeleted: (channelID) => {
        this.#log.info({channelID}, 'channel archived or deleted in Mattermost');
        this.emit('channelDeleted', channelID);
      },
      logger: o.logger,
      intervalMs: o.membershipPollMs,
    });
  }

  close(): void {
    this.#watch.close();
    this.#pendingPosts.close();
  }

  /** Reads the license (Mattermost's, through /license/client); kept when Mattermost cannot be asked (false). */
  async refreshLicense(): Promise<boolean> {
    try {
      const l = await this.#client.json<{IsLicensed?: string; SkuShortName?: string}>(
        'GET',
        '/license/client?format=old',
      );
      const sku = l.IsLicensed === 'true' ? (l.SkuShortName ?? '').toLowerCase() : '';
      const enterprise = sku === 'enterprise' || sku === 'advanced';
      this.#license = {skuShortName: sku || 'starter', professional: enterprise || sku === 'professional', enterprise};
      return true;
    } catch (err) {
      this.#log.warn({err: (err as Error).message}, 'reading the Mattermost license failed; keeping the last known');
      return false;
    }
  }

  authenticateToken(token: string): Promise<P.AuthSession | null> {
    return this.#auth.authenticate(token);
  }

  // ---- users

  async getUser(id: string): Promise<P.User | null> {
    if (!isID(id)) return null;
    return this.#users.getOrLoad(id, async () => {
      const u = await this.#client.find<UserProfile>(`/users/${id}`);
      return u ? toUser(u) : null;
    });
  }

  async getUsers(ids: string[]): Promise<P.User[]> {
    const wanted = [...new Set(ids.filter(isID))];
    const missing = wanted.filter((id) => this.#users.get(id) === undefined);
    if (missing.length) {
      const found = await this.#client.json<UserProfile[]>('POST', '/users/ids', {body: missing});
      for (const u of found) this.#users.set(u.id, toUser(u));
    }
    return wanted.map((id) => this.#users.get(id)).filter((u): u is P.User => Boolean(u));
  }

  async isSystemAdmin(userID: string): Promise<boolean> {
    const u = await this.getUser(userID);
    return Boolean(u && u.delete_at === 0 && u.roles.split(' ').includes('system_admin'));
  }

  async isTeamAdmin(userID: string, teamID: string): Promise<boolean> {
    const m = await this.#teamMember(teamID, userID);
    return Boolean(m && (m.scheme_admin || m.roles.split(' ').includes('team_admin')));
  }

  /** The account of the service token (the Calls bot), read once. */
  serviceAccount(): Promise<P.User> {
    this.#bot ??= this.#client.json<UserProfile>('GET', '/users/me').then(toUser, (err: unknown) => {
      this.#bot = null;
      throw err;
    });
    return this.#bot;
  }

  async botUserID(): Promise<string> {
    return (await this.serviceAccount()).id;
  }

  async botToken(): Promise<string> {
    return this.#token;
  }

  async profileImage(userID: string): Promise<{data: Buffer; contentType: string} | null> {
    if (!isID(userID)) return null;
    try {
      const res = await this.#client.raw('GET', `/users/${userID}/image`);
      return {
        data: Buffer.from(await res.arrayBuffer()),
        contentType: res.headers.get('content-type') ?? 'image/png',
      };
    } catch (err) {
      if (err instanceof AppError && err.status === 404) return null;
      throw err;
    }
  }

  // ---- teams and channels

  async getTeam(id: string): Promise<P.Team | null> {
    if (!isID(id)) return null;
    const t = await this.#client.find<MMTeam>(`/teams/${id}`);
    return t ? toTeam(t) : null;
  }

  async getChannel(id: string): Promise<P.Channel | null> {
    if (!isID(id)) return null;
    return this.#channels.getOrLoad(id, async () => {
      const c = await this.#client.find<MMChannel>(`/channels/${id}`);
      return c ? toChannel(c) : null;
    });
  }

  async getChannelMember(channelID: string, userID: string): Promise<P.ChannelMember | null> {
    const m = await this.#channelMember(channelID, userID);
    return m ? toChannelMember(m) : null;
  }

  async getChannelMemberIDs(channelID: string): Promise<string[]> {
    if (!isID(channelID)) return [];
    this.#watch.interest(channelID);
    let ids: string[];
    try {
      ids = await this.#memberIDs.getOrLoad(channelID, () => this.#loadMemberIDs(channelID));
    } catch (err) {
      // Mattermost down: the calls going on keep reaching their members with the last list known.
      const last = this.#lastMemberIDs.get(channelID);
      if (!last) throw err;
      return last;
    }
    this.#lastMemberIDs.set(channelID, ids);
    this.#watch.observe(channelID, ids);
    return ids;
  }

  async #loadMemberIDs(channelID: string): Promise<string[]> {
    const ids: string[] = [];
    for (let page = 0; ; page++) {
      const batch = await this.#client.json<ChannelMembership[]>(
        'GET',
        `/channels/${channelID}/members?page=${page}&per_page=${MEMBERS_PER_PAGE}`,
      );
      ids.push(...batch.map((m) => m.user_id));
      if (batch.length < MEMBERS_PER_PAGE) return ids;
    }
  }

  /** The channel as Mattermost has it now, for the membership watch; refreshes the caches on the way. */
  async #snapshot(channelID: string): Promise<ChannelSnapshot> {
    const c = await this.#client.find<MMChannel>(`/channels/${channelID}`);
    if (!c || c.delete_at > 0) {
      this.#channels.delete(channelID);
      this.#memberIDs.delete(channelID);
      this.#lastMemberIDs.delete(channelID);
      return {deleted: true, memberIDs: []};
    }
    this.#channels.set(channelID, toChannel(c));
    const memberIDs = await this.#loadMemberIDs(channelID);
    this.#memberIDs.set(channelID, memberIDs);
    this.#lastMemberIDs.set(channelID, memberIDs);
    return {deleted: false, memberIDs};
  }

  /**
   * As Mattermost decides it: the union of the permissions of the user's system, team and channel roles; a
   * non-member reads a public channel with read_public_channel (team role). An archived channel is read-only.
   */
  async hasChannelPermission(userID: string, channelID: string, perm: P.ChannelPermission): Promise<boolean> {
    const [user, channel] = await Promise.all([this.getUser(userID), this.getChannel(channelID)]);
    if (!user || user.delete_at > 0 || !channel) return false;
    if (channel.delete_at > 0 && perm !== 'read_channel') return false;
    const [member, teamMember] = await Promise.all([
      this.#channelMember(channelID, userID),
      channel.team_id ? this.#teamMember(channel.team_id, userID) : Promise.resolve(null),
    ]);
    // A member who may join a call is watched from now on: removing them from the channel ends their sessions.
    if (member) this.#watch.interest(channelID);
    const perms = await this.#roles.of(user.roles, teamMember?.roles ?? '', member?.roles ?? '');
    if (perms.has('manage_system')) return true;
    if (member) return perms.has(perm);
    return perm === 'read_channel' && channel.type === 'O' && perms.has('read_public_channel');
  }

  async directChannel(userA: string, userB: string): Promise<P.Channel> {
    if (!isID(userA) || !isID(userB)) throw badRequest('app.calls.mattermost.invalid_user', 'invalid user id');
    return toChannel(await this.#client.json<MMChannel>('POST', '/channels/direct', {body: [userA, userB]}));
  }

  async #channelMember(channelID: string, userID: string): Promise<ChannelMembership | null> {
    if (!isID(channelID) || !isID(userID)) return null;
    return this.#client.find<ChannelMembership>(`/channels/${channelID}/members/${userID}`);
  }

  async #teamMember(teamID: string, userID: string): Promise<TeamMembership | null> {
    if (!isID(teamID) || !isID(userID)) return null;
    const m = await this.#client.find<TeamMembership>(`/teams/${teamID}/members/${userID}`);
    return m && m.delete_at === 0 ? m : null;
  }

  // ---- posts

  async createPost(p: P.NewPost): Promise<P.Post> {
    // Mattermost makes the service account the author whatever user_id says; keep who it was for.
    const props = p.user_id ? {...p.props, calls_user_id: p.user_id} : p.props;
    const created = await this.#client.json<MMPost>('POST', '/posts', {
      body: {
        channel_id: p.channel_id,
        root_id: p.root_id ?? '',
        message: p.message,
        type: p.type ?? '',
        props: props ?? {},
        file_ids: p.file_ids ?? [],
      },
    });
    const post = toPost(created);
    this.#posts.set(post.id, post);
    return post;
  }

  /** Mattermost down: the update waits and is sent once it is back (post-updates.ts); the caller goes on. */
  async updatePost(post: P.Post): Promise<P.Post> {
    if (!isID(post.id)) throw badRequest('app.calls.mattermost.invalid_post', 'invalid post id');
    try {
      const patched = toPost(await this.#patchPost(post));
      this.#pendingPosts.settled(post.id);
      this.#posts.set(post.id, patched);
      return patched;
    } catch (err) {
      if (!isTransient(err)) throw err;
      const waiting = {...post, update_at: Date.now(), edit_at: Date.now()};
      this.#pendingPosts.defer(waiting);
      this.#posts.set(post.id, waiting);
      this.#log.warn({postID: post.id}, 'Mattermost unavailable: post update will be sent when it is back');
      return waiting;
    }
  }

  #patchPost(post: P.Post): Promise<MMPost> {
    return this.#client.json<MMPost>('PUT', `/posts/${post.id}/patch`, {
      body: {message: post.message, props: post.props},
    });
  }

  /** Mattermost's post; while it cannot be asked, the version we last wrote or read (our call posts). */
  async getPost(id: string): Promise<P.Post | null> {
    if (!isID(id)) return null;
    const waiting = this.#pendingPosts.get(id);
    if (waiting) return waiting;
    try {
      const p = await this.#client.find<MMPost>(`/posts/${id}`);
      const post = p && p.delete_at === 0 ? toPost(p) : null;
      if (post) this.#posts.set(id, post);
      return post;
    } catch (err) {
      const known = this.#posts.get(id);
      if (known && isTransient(err)) return known;
      throw err;
    }
  }

  async sendEphemeralPost(userID: string, channelID: string, message: string, rootID = ''): Promise<void> {
    if (!isID(userID) || !isID(channelID)) return;
    await this.#client.json<MMPost>('POST', '/posts/ephemeral', {
      body: {user_id: userID, post: {channel_id: channelID, message, root_id: rootID}},
    });
  }

  // ---- files (Mattermost's resumable uploads)

  async createUploadSession(s: P.NewUploadSession): Promise<P.UploadSession> {
    const us = await this.#client.json<MMUploadSession>('POST', '/uploads', {
      body: {channel_id: s.channel_id, filename: s.filename, file_size: s.file_size},
    });
    return toUploadSession(us);
  }

  async getUploadSession(id: string): Promise<P.UploadSession | null> {
    if (!isID(id)) return null;
    const us = await this.#client.find<MMUploadSession>(`/uploads/${id}`);
    return us ? toUploadSession(us) : null;
  }

  async appendUpload(id: string, data: AsyncIterable<Buffer>): Promise<P.UploadProgress> {
    if (!isID(id)) throw badRequest('app.calls.mattermost.invalid_upload', 'invalid upload id');
    const res = await this.#client.raw('POST', `/uploads/${id}`, {stream: data});
    // 201 with the FileInfo once the last byte arrived; 204 while more is expected.
    const file = res.status === 201 ? toFileInfo((await res.json()) as MMFileInfo) : null;
    if (res.status !== 201) await res.body?.cancel();
    const session = file ? null : await this.getUploadSession(id);
    return {
      session: session ?? {
        id,
        type: 'attachment',
        create_at: file?.create_at ?? 0,
        user_id: file?.user_id ?? '',
        channel_id: file?.channel_id ?? '',
        filename: file?.name ?? '',
        file_size: file?.size ?? 0,
        file_offset: file?.size ?? 0,
      },
      file,
    };
  }

  async getFileInfo(id: string): Promise<P.FileInfo | null> {
    if (!isID(id)) return null;
    const f = await this.#client.find<MMFileInfo>(`/files/${id}/info`);
    return f ? toFileInfo(f) : null;
  }

  async readFile(id: string, range?: {start: number; end: number}): Promise<NodeJS.ReadableStream> {
    if (!isID(id)) throw badRequest('app.calls.mattermost.invalid_file', 'invalid file id');
    const res = await this.#client.raw('GET', `/files/${id}`, {
      headers: range ? {Range: `bytes=${range.start}-${range.end}`} : {},
    });
    if (!res.body) return Readable.from([]);
    return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  }

  // ---- the server

  license(): LicenseInfo {
    return this.#license;
  }

  siteURL(): string {
    return this.#siteURL();
  }
}
