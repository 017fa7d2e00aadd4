// What every standalone /api/v4 route module needs: the directory, the caller's id, and the checks and views
// that several routes share (channel access, admin, DM/GM names, member and post shapes Mattermost returns).
import type {FastifyRequest} from 'fastify';
import {z} from 'zod';
import {badRequest, forbidden, notFound} from '../../errors';
import {requireSession} from '../../http/server';
import {isValidId} from '../../ids';
import type {PlatformRoutesContext} from '../factory';
import type {AuthSession, Channel, ChannelMember, FileInfo, Post, User} from '../types';
import type {StandaloneDirectory} from './directory';
import type {LoginGuard} from './login-guard';

/** adminConfig serves GET/PUT /api/v4/config, executeCallCommand POST /api/v4/commands/execute. */
export interface StandaloneRoutesDeps extends PlatformRoutesContext {
  dir: StandaloneDirectory;
  /** Backoff and concurrency bound of POST /api/v4/users/login. */
  loginGuard: LoginGuard;
}

export interface RouteContext {
  d: StandaloneRoutesDeps;
  dir: StandaloneDirectory;
  /** The caller's session, or 401. */
  session(req: FastifyRequest): Promise<AuthSession>;
  /** The caller's user id, or 401. */
  me(req: FastifyRequest): Promise<string>;
  /** The channel, if it exists and the user holds perm on it (400/404/403 otherwise). */
  channelFor(userID: string, channelID: string, perm?: 'read_channel' | 'create_post'): Promise<Channel>;
  requireAdmin(userID: string): Promise<void>;
  /** DM/GM display names depend on who is looking. */
  present(ch: Channel, viewerID: string): Promise<Channel>;
  /** Mattermost's post metadata: the FileInfos of its attachments (the webapp's file preview reads them). */
  withMetadata(p: Post): Promise<Post & {metadata: {files?: FileInfo[]}}>;
  /** Mattermost's PostList of these posts, in this order. */
  postList(posts: Post[]): Promise<PostList>;
}

export interface PostList {
  order: string[];
  posts: Record<string, Post & {metadata: {files?: FileInfo[]}}>;
  next_post_id: string;
  prev_post_id: string;
}

/** A list of user ids or usernames in a request body. */
export const idsSchema = z.array(z.string().max(26)).max(1000);

export const noPermission = () =>
  forbidden('api.context.permissions.app_error', 'You do not have the appropriate permissions.');

export const userNotFound = () => notFound('app.user.missing_account.const', 'User not found');

/** What other users may see of a user: never the password hash, and email only of oneself. */
export function sanitize(u: User, viewerID: string): User {
  return viewerID === u.id ? u : {...u, email: ''};
}

/** A channel member as Mattermost's API returns it (we keep no unread counts nor notify props). */
export function memberView(m: ChannelMember) {
  return {...m, msg_count: 0, mention_count: 0, notify_props: {}};
}

export function routeContext(d: StandaloneRoutesDeps): RouteContext {
  const dir = d.dir;
  const auth = (token: string) => dir.authenticateToken(token);
  const withMetadata: RouteContext['withMetadata'] = async (p) => {
    if (p.file_ids.length === 0) return {...p, metadata: {}};
    const files = (await Promise.all(p.file_ids.map((id) => dir.getFileInfo(id)))).filter((f) => f !== null);
    return {...p, metadata: {files}};
  };
  return {
    d,
    dir,
    session: (req) => requireSession(req, auth),
    me: async (req) => (await requireSession(req, auth)).userID,
    async channelFor(userID, channelID, perm = 'read_channel') {
      if (!isValidId(channelID)) throw badRequest('api.context.invalid_url_param.app_error', 'invalid channel id');
      const ch = await dir.getChannel(channelID);
      if (!ch) throw notFound('app.channel.get.existing.app_error', 'Channel not found');
      if (!(await dir.hasChannelPermission(userID, channelID, perm))) throw noPermission();
      return ch;
    },
    async requireAdmin(userID) {
      if (!(await dir.isSystemAdmin(userID))) throw noPermission();
    },
    async present(ch, viewerID) {
      if (ch.type !== 'D' && ch.type !== 'G') return ch;
      const members = await dir.getUsers(await dir.getChannelMemberIDs(ch.id));
      const names = members
        .filter((u) => u.id !== viewerID)
        .map((u) => u.username)
        .sort();
      return {...ch, display_name: names.join(', ') || ch.display_name};
    },
    withMetadata,
    postList: async (posts) => ({
      order: posts.map((p) => p.id),
      posts: Object.fromEntries(await Promise.all(posts.map(async (p) => [p.id, await withMetadata(p)]))),
      next_post_id: '',
      prev_post_id: '',
    }),
  };
}
