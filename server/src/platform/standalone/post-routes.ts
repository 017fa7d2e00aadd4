// The standalone /api/v4 post and command routes: a channel's posts, creating a post or reply, a post and its
// thread, and /call as the only slash command (execute and autocomplete).
import type {FastifyInstance} from 'fastify';
import {z} from 'zod';
import {AppError, badRequest, notFound} from '../../errors';
import {parseBody, sendJSON} from '../../http/server';
import {isValidId} from '../../ids';
import {callSuggestions} from '../../calls/slash';
import type {RouteContext} from './route-context';

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

export function registerPostRoutes(app: FastifyInstance, c: RouteContext): void {
  const {d, dir, me, channelFor} = c;

  /** The post, if it exists (and, with hideDeleted, is not deleted) and the user may read its channel. */
  async function readablePost(uid: string, postID: string, hideDeleted: boolean) {
    const post = isValidId(postID) ? await dir.getPost(postID) : null;
    if (!post || (hideDeleted && post.delete_at > 0)) throw notFound('app.post.get.app_error', 'Post not found');
    await channelFor(uid, post.channel_id);
    return post;
  }

  app.get<{Params: {id: string}; Querystring: {page?: string; per_page?: string}}>(
    '/api/v4/channels/:id/posts',
    async (req) => {
      const uid = await me(req);
      await channelFor(uid, req.params.id);
      const page = Math.max(0, Number(req.query.page ?? 0) || 0);
      const perPage = Math.min(200, Math.max(1, Number(req.query.per_page ?? 60) || 60));
      return c.postList(await dir.getChannelPosts(req.params.id, page, perPage));
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

  app.get<{Params: {id: string}}>('/api/v4/posts/:id', async (req) =>
    c.withMetadata(await readablePost(await me(req), req.params.id, false)),
  );

  // A thread as Mattermost's PostList: the root and its replies, newest first (the right-hand side shows it).
  app.get<{Params: {id: string}}>('/api/v4/posts/:id/thread', async (req) => {
    const post = await readablePost(await me(req), req.params.id, true);
    return c.postList((await dir.getThreadPosts(post.root_id || post.id)).reverse());
  });

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
}
