// The subset of Mattermost's /api/v4 REST API that the webapp and the standalone host page use,
// served by the built-in directory. Shapes follow @mattermost/types; errors are {id, message, status_code}.
import type {FastifyInstance, FastifyRequest} from 'fastify';
import {z} from 'zod';
import {AppError, badRequest, forbidden, notFound} from '../../errors';
import {AUTH_COOKIE} from '../../http/auth';
import {addressBlock} from '../../http/client-address';
import {sitePath} from '../../http/site-path';
import {parseBody, requireSession, sendJSON} from '../../http/server';
import {isValidId} from '../../ids';
import {callSuggestions} from '../../calls/slash';
import type {PlatformRoutesContext} from '../factory';
import {STANDALONE_HOST_CONFIG_KEY} from '../../protocol';
import type {Channel, FileInfo, Post, User} from '../types';
import {registerFileRoutes} from './file-routes';
import type {StandaloneDirectory} from './directory';
import {avatarSVG} from './avatar';
import {type LoginGuard, LoginRefused} from './login-guard';

/** adminConfig serves GET/PUT /api/v4/config, executeCallCommand POST /api/v4/commands/execute. */
export interface StandaloneRoutesDeps extends PlatformRoutesContext {
  dir: StandaloneDirectory;
  /** Backoff and concurrency bound of POST /api/v4/users/login. */
  loginGuard: LoginGuard;
}

const loginSchema = z.object({login_id: z.string().min(1).max(128), password: z.string().min(1).max(256)});
const createPostSchema = z.object({
  channel_id: z.string().regex(/^[a-z0-9]{26}$/),
  message: z.string().max(16383),
  root_id: z.string().max(26).optional(),
});
const commandSchema = z.object({
  command: z.string().min(1).max(4096),
  channel_id: z.string().regex(/^[a-z0-9]{26}$/),
  team_id: z.string().max(26).optional(),
  root_id: z.string().max(26).optional(),
});
const idsSchema = z.array(z.string().max(26)).max(1000);
const createChannelSchema = z.object({
  team_id: z.string().regex(/^[a-z0-9]{26}$/),
  name: z.string().min(1).max(64),
  display_name: z.string().min(1).max(64),
  type: z.enum(['O', 'P']),
  purpose: z.string().max(250).optional(),
  header: z.string().max(1024).optional(),
});
const addMemberSchema = z.object({user_id: z.string().regex(/^[a-z0-9]{26}$/)});
const createUserSchema = z.object({
  username: z.string().min(3).max(64),
  password: z.string().min(3).max(256),
  email: z.string().max(128).optional(),
  first_name: z.string().max(64).optional(),
  last_name: z.string().max(64).optional(),
  nickname: z.string().max(64).optional(),
});

/** What other users may see of a user: never the password hash, and email only of oneself. */
function sanitize(u: User, viewerID: string): User {
  return viewerID === u.id ? u : {...u, email: ''};
}

export async function registerStandaloneRoutes(app: FastifyInstance, d: StandaloneRoutesDeps): Promise<void> {
  const dir = d.dir;
  const auth = (token: string) => dir.authenticateToken(token);
  const me = async (req: FastifyRequest) => (await requireSession(req, auth)).userID;

  async function channelFor(
    userID: string,
    channelID: string,
    perm: 'read_channel' | 'create_post' = 'read_channel',
  ): Promise<Channel> {
    if (!isValidId(channelID)) throw badRequest('api.context.invalid_url_param.app_error', 'invalid channel id');
    const ch = await dir.getChannel(channelID);
    if (!ch) throw notFound('app.channel.get.existing.app_error', 'Channel not found');
    if (!(await dir.hasChannelPermission(userID, channelID, perm)))
      throw forbidden('api.context.permissions.app_error', 'You do not have the appropriate permissions.');
    return ch;
  }

  /** Mattermost's post metadata: the FileInfos of its attachments (the webapp's file preview reads them). */
  async function withMetadata(p: Post): Promise<Post & {metadata: {files?: FileInfo[]}}> {
    if (p.file_ids.length === 0) return {...p, metadata: {}};
    const files = (await Promise.all(p.file_ids.map((id) => dir.getFileInfo(id)))).filter((f) => f !== null);
    return {...p, metadata: {files}};
  }

  registerFileRoutes(app, dir, me);

  /** DM/GM display names depend on who is looking. */
  async function present(ch: Channel, viewerID: string): Promise<Channel> {
    if (ch.type !== 'D' && ch.type !== 'G') return ch;
    const members = await dir.getUsers(await dir.getChannelMemberIDs(ch.id));
    const names = members
      .filter((u) => u.id !== viewerID)
      .map((u) => u.username)
      .sort();
    return {...ch, display_name: names.join(', ') || ch.display_name};
  }

  async function requireAdmin(userID: string) {
    if (!(await dir.isSystemAdmin(userID)))
      throw forbidden('api.context.permissions.app_error', 'You do not have the appropriate permissions.');
  }

  // ---- users

  app.post('/api/v4/users/login', async (req, reply) => {
    const body = parseBody(loginSchema, req.body);
    let session: Awaited<ReturnType<typeof dir.login>>;
    try {
      session = await d.loginGuard.attempt(
        {loginID: body.login_id, address: addressBlock(d.clientAddress(req.raw))},
        () => dir.login(body.login_id, body.password),
      );
    } catch (err) {
      if (!(err instanceof LoginRefused)) throw err;
      return reply
        .status(err.status)
        .header('Retry-After', String(err.retryAfterSec))
        .type('application/json')
        .send(err.toJSON());
    }
    const {user, token} = session;
    const secure = req.protocol === 'https';
    // Under a subpath the cookies belong to the site's path, as Mattermost sets them.
    const attrs = `Path=${sitePath(dir.siteURL()) || '/'}; SameSite=Lax${secure ? '; Secure' : ''}`;
    void reply.header('Token', token);
    void reply.header('Set-Cookie', [
      `${AUTH_COOKIE}=${token}; ${attrs}; HttpOnly; Max-Age=2592000`,
      `MMUSERID=${user.id}; ${attrs}; Max-Age=2592000`,
      `MMCSRF=${token.slice(0, 26)}; ${attrs}; Max-Age=2592000`,
    ]);
    return sendJSON(reply, 200, user);
  });

  app.post('/api/v4/users/logout', async (req, reply) => {
    const s = await requireSession(req, auth);
    await dir.logout(s.token);
    const cookiePath = sitePath(dir.siteURL()) || '/';
    void reply.header('Set-Cookie', [
      `${AUTH_COOKIE}=; Path=${cookiePath}; Max-Age=0`,
      `MMUSERID=; Path=${cookiePath}; Max-Age=0`,
      `MMCSRF=; Path=${cookiePath}; Max-Age=0`,
    ]);
    return {status: 'OK'};
  });

  app.get('/api/v4/users/me', async (req) => {
    const u = await dir.getUser(await me(req));
    if (!u) throw notFound('app.user.missing_account.const', 'User not found');
    return u;
  });

  app.post('/api/v4/users', async (req, reply) => {
    await requireAdmin(await me(req));
    const body = parseBody(createUserSchema, req.body);
    return sendJSON(reply, 201, await dir.createUser(body));
  });

  // Deactivation, by the user themselves or a system admin: their logins end, and with them their calls.
  app.delete<{Params: {id: string}}>('/api/v4/users/:id', async (req) => {
    const uid = await me(req);
    if (uid !== req.params.id) await requireAdmin(uid);
    if (!isValidId(req.params.id) || !(await dir.getUser(req.params.id)))
      throw notFound('app.user.missing_account.const', 'User not found');
    await dir.deactivateUser(req.params.id);
    return {status: 'OK'};
  });

  app.get('/api/v4/users', async (req) => {
    const uid = await me(req);
    return (await dir.listUsers()).map((u) => sanitize(u, uid));
  });

  app.post('/api/v4/users/ids', async (req) => {
    const uid = await me(req);
    const ids = parseBody(idsSchema, req.body);
    return (await dir.getUsers(ids)).map((u) => sanitize(u, uid));
  });

  app.post('/api/v4/users/usernames', async (req) => {
    const uid = await me(req);
    const names = parseBody(idsSchema, req.body);
    const out: User[] = [];
    for (const n of names) {
      const u = await dir.getUserByUsername(n);
      if (u) out.push(sanitize(u, uid));
    }
    return out;
  });

  app.get<{Params: {id: string}}>('/api/v4/users/:id', async (req) => {
    const uid = await me(req);
    const u = isValidId(req.params.id) ? await dir.getUser(req.params.id) : null;
    if (!u) throw notFound('app.user.missing_account.const', 'User not found');
    return sanitize(u, uid);
  });

  app.get<{Params: {id: string}}>('/api/v4/users/:id/image', async (req, reply) => {
    await me(req);
    const u = isValidId(req.params.id) ? await dir.getUser(req.params.id) : null;
    if (!u) throw notFound('app.user.missing_account.const', 'User not found');
    return reply.type('image/svg+xml').header('Cache-Control', 'max-age=300').send(avatarSVG(u));
  });

  app.get('/api/v4/users/me/teams', async (req) => dir.getUserTeams(await me(req)));

  app.get<{Params: {team_id: string}}>('/api/v4/users/me/teams/:team_id/channels', async (req) => {
    const uid = await me(req);
    const channels = await dir.getUserChannels(uid, req.params.team_id);
    return Promise.all(channels.map((c) => present(c, uid)));
  });

  app.get<{Params: {team_id: string}}>('/api/v4/users/me/teams/:team_id/channels/members', async (req) => {
    const uid = await me(req);
    return (await dir.getUserChannelMembers(uid, req.params.team_id)).map((m) => ({
      ...m,
      msg_count: 0,
      mention_count: 0,
      notify_props: {},
    }));
  });

  // ---- teams and channels

  app.get<{Params: {name: string}}>('/api/v4/teams/name/:name', async (req) => {
    const uid = await me(req);
    const team = (await dir.getUserTeams(uid)).find((t) => t.name === req.params.name);
    if (!team) throw notFound('app.team.get_by_name.missing.app_error', 'Team not found');
    return team;
  });

  app.get<{Params: {team_id: string; name: string}}>('/api/v4/teams/:team_id/channels/name/:name', async (req) => {
    const uid = await me(req);
    const ch = await dir.getChannelByName(req.params.team_id, req.params.name);
    if (!ch) throw notFound('app.channel.get_by_name.missing.app_error', 'Channel not found');
    return present(await channelFor(uid, ch.id), uid);
  });

  app.post('/api/v4/channels', async (req, reply) => {
    const uid = await me(req);
    const body = parseBody(createChannelSchema, req.body);
    if (!(await dir.isTeamMember(uid, body.team_id)) && !(await dir.isSystemAdmin(uid)))
      throw forbidden('api.context.permissions.app_error', 'You do not have the appropriate permissions.');
    return sendJSON(reply, 201, await dir.createChannel({...body, creator_id: uid}, [uid]));
  });

  app.post('/api/v4/channels/direct', async (req, reply) => {
    const uid = await me(req);
    const ids = parseBody(z.array(z.string().regex(/^[a-z0-9]{26}$/)).length(2), req.body);
    if (!ids.includes(uid))
      throw forbidden('api.context.permissions.app_error', 'You do not have the appropriate permissions.');
    if ((await dir.getUsers(ids)).length !== new Set(ids).size)
      throw badRequest('api.channel.create_direct_channel.invalid_user.app_error', 'Invalid user');
    return sendJSON(reply, 201, await present(await dir.getOrCreateDirectChannel(ids[0], ids[1]), uid));
  });

  app.post('/api/v4/channels/group', async (req, reply) => {
    const uid = await me(req);
    const ids = parseBody(
      z
        .array(z.string().regex(/^[a-z0-9]{26}$/))
        .min(2)
        .max(7),
      req.body,
    );
    const all = [...new Set([...ids, uid])];
    if (all.length < 3)
      throw badRequest('api.channel.create_group.bad_size.app_error', 'Group messages need at least 3 users');
    if ((await dir.getUsers(all)).length !== all.length)
      throw badRequest('api.channel.create_group.invalid_user.app_error', 'Invalid user');
    return sendJSON(reply, 201, await present(await dir.createGroupChannel(all), uid));
  });

  app.get<{Params: {id: string}}>('/api/v4/channels/:id', async (req) => {
    const uid = await me(req);
    return present(await channelFor(uid, req.params.id), uid);
  });

  app.delete<{Params: {id: string}}>('/api/v4/channels/:id', async (req) => {
    const uid = await me(req);
    const ch = await channelFor(uid, req.params.id);
    const member = await dir.getChannelMember(ch.id, uid);
    if (!(await dir.isSystemAdmin(uid)) && !member?.roles.includes('channel_admin'))
      throw forbidden('api.context.permissions.app_error', 'You do not have the appropriate permissions.');
    await dir.archiveChannel(ch.id);
    return {status: 'OK'};
  });

  app.get<{Params: {id: string}}>('/api/v4/channels/:id/members', async (req) => {
    const uid = await me(req);
    await channelFor(uid, req.params.id);
    return (await dir.getChannelMembers(req.params.id)).map((m) => ({
      ...m,
      msg_count: 0,
      mention_count: 0,
      notify_props: {},
    }));
  });

  app.get<{Params: {id: string}}>('/api/v4/channels/:id/members/me', async (req) => {
    const uid = await me(req);
    await channelFor(uid, req.params.id);
    const m = await dir.getChannelMember(req.params.id, uid);
    if (!m) throw notFound('app.channel.get_member.missing.app_error', 'Channel member not found');
    return {...m, msg_count: 0, mention_count: 0, notify_props: {}};
  });

  app.post<{Params: {id: string}}>('/api/v4/channels/:id/members', async (req, reply) => {
    const uid = await me(req);
    const ch = await channelFor(uid, req.params.id);
    const body = parseBody(addMemberSchema, req.body);
    if (ch.type === 'D' || ch.type === 'G')
      throw badRequest('api.channel.add_user_to_channel.type.app_error', 'Can not add user to this channel type');
    const self = body.user_id === uid && ch.type === 'O';
    if (!self && !(await dir.getChannelMember(ch.id, uid)) && !(await dir.isSystemAdmin(uid)))
      throw forbidden('api.context.permissions.app_error', 'You do not have the appropriate permissions.');
    if (!(await dir.getUser(body.user_id))) throw notFound('app.user.missing_account.const', 'User not found');
    await dir.addChannelMember(ch.id, body.user_id);
    return sendJSON(reply, 201, await dir.getChannelMember(ch.id, body.user_id));
  });

  app.delete<{Params: {id: string; user_id: string}}>('/api/v4/channels/:id/members/:user_id', async (req) => {
    const uid = await me(req);
    const ch = await channelFor(uid, req.params.id);
    const target = req.params.user_id;
    if (ch.type === 'D')
      throw badRequest('api.channel.remove.direct.app_error', 'Can not remove user from a direct message channel');
    const member = await dir.getChannelMember(ch.id, uid);
    if (target !== uid && !(await dir.isSystemAdmin(uid)) && !member?.roles.includes('channel_admin')) {
      throw forbidden('api.context.permissions.app_error', 'You do not have the appropriate permissions.');
    }
    if (!(await dir.getChannelMember(ch.id, target)))
      throw notFound('app.channel.get_member.missing.app_error', 'Channel member not found');
    await dir.removeChannelMember(ch.id, target, uid);
    return {status: 'OK'};
  });

  // ---- posts

  app.get<{Params: {id: string}; Querystring: {page?: string; per_page?: string}}>(
    '/api/v4/channels/:id/posts',
    async (req) => {
      const uid = await me(req);
      await channelFor(uid, req.params.id);
      const page = Math.max(0, Number(req.query.page ?? 0) || 0);
      const perPage = Math.min(200, Math.max(1, Number(req.query.per_page ?? 60) || 60));
      const posts = await dir.getChannelPosts(req.params.id, page, perPage);
      return {
        order: posts.map((p) => p.id),
        posts: Object.fromEntries(await Promise.all(posts.map(async (p) => [p.id, await withMetadata(p)]))),
        next_post_id: '',
        prev_post_id: '',
      };
    },
  );

  app.post('/api/v4/posts', async (req, reply) => {
    const uid = await me(req);
    const body = parseBody(createPostSchema, req.body);
    await channelFor(uid, body.channel_id, 'create_post');
    if (body.root_id) {
      const root = await dir.getPost(body.root_id);
      if (!root || root.channel_id !== body.channel_id || root.root_id)
        throw badRequest('api.post.create_post.root_id.app_error', 'Invalid root_id');
    }
    return sendJSON(
      reply,
      201,
      await dir.createPost({
        channel_id: body.channel_id,
        user_id: uid,
        message: body.message,
        root_id: body.root_id ?? '',
      }),
    );
  });

  app.get<{Params: {id: string}}>('/api/v4/posts/:id', async (req) => {
    const uid = await me(req);
    const post = isValidId(req.params.id) ? await dir.getPost(req.params.id) : null;
    if (!post) throw notFound('app.post.get.app_error', 'Post not found');
    await channelFor(uid, post.channel_id);
    return withMetadata(post);
  });

  // A thread as Mattermost's PostList: the root and its replies, newest first (the right-hand side shows it).
  app.get<{Params: {id: string}}>('/api/v4/posts/:id/thread', async (req) => {
    const uid = await me(req);
    const post = isValidId(req.params.id) ? await dir.getPost(req.params.id) : null;
    if (!post || post.delete_at > 0) throw notFound('app.post.get.app_error', 'Post not found');
    await channelFor(uid, post.channel_id);
    const posts = (await dir.getThreadPosts(post.root_id || post.id)).reverse();
    return {
      order: posts.map((p) => p.id),
      posts: Object.fromEntries(await Promise.all(posts.map(async (p) => [p.id, await withMetadata(p)]))),
      next_post_id: '',
      prev_post_id: '',
    };
  });

  // ---- commands

  app.post('/api/v4/commands/execute', async (req) => {
    const uid = await me(req);
    const body = parseBody(commandSchema, req.body);
    const ch = await channelFor(uid, body.channel_id);
    const trigger = body.command.trim().split(/\s+/)[0];
    if (trigger !== '/call')
      throw new AppError(
        'api.command.execute_command.not_found.app_error',
        `Command with a trigger of '${trigger.slice(0, 32)}' not found.`,
        404,
      );
    return d.executeCallCommand(uid, ch.id, body.team_id || ch.team_id, body.command, body.root_id ?? '');
  });

  // Mattermost's slash-command autocomplete, for /call (the only command): the subcommands completing user_input.
  app.get<{Params: {teamID: string}; Querystring: {user_input?: string}}>(
    '/api/v4/teams/:teamID/commands/autocomplete_suggestions',
    async (req) => {
      await me(req);
      const input = typeof req.query.user_input === 'string' ? req.query.user_input.slice(0, 200) : '';
      return callSuggestions(input);
    },
  );

  // ---- system

  app.get('/api/v4/config/client', async () => ({
    SiteURL: dir.siteURL(),
    Version: d.serverVersion,
    BuildNumber: d.serverVersion,
    DiagnosticId: '',
    EnableTesting: 'false',
    EnableDeveloper: 'false',
    SiteName: 'Calls',
    ExperimentalEnableDefaultChannelLeaveJoinMessages: 'false',
    // The webapp keeps the calls events on this page's main websocket (Mattermost's would not carry them).
    [STANDALONE_HOST_CONFIG_KEY]: 'true',
  }));

  app.get('/api/v4/license/client', async () => ({IsLicensed: 'true', SkuShortName: 'enterprise', Cloud: 'false'}));

  app.get('/api/v4/plugins/webapp', async () => [
    {
      id: d.pluginWebapp.id,
      version: d.pluginWebapp.version,
      webapp: {bundle_path: d.pluginWebapp.bundlePath},
    },
  ]);

  app.get('/api/v4/config', async (req) => {
    await requireAdmin(await me(req));
    return {PluginSettings: {Plugins: {[d.pluginWebapp.id]: d.adminConfig.get()}}};
  });

  app.put('/api/v4/config', async (req) => {
    await requireAdmin(await me(req));
    const body = parseBody(
      z.object({PluginSettings: z.object({Plugins: z.record(z.string(), z.record(z.string(), z.unknown()))})}),
      req.body,
    );
    const values = body.PluginSettings.Plugins[d.pluginWebapp.id];
    if (!values) throw badRequest('app.calls.config.invalid', `missing PluginSettings.Plugins["${d.pluginWebapp.id}"]`);
    return {PluginSettings: {Plugins: {[d.pluginWebapp.id]: await d.adminConfig.save(values)}}};
  });
}
