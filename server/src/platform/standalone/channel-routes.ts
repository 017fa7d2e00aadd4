// The standalone /api/v4 team and channel routes: lookups by name, creating channels, DMs and group messages,
// archiving, and channel membership.
import type {FastifyInstance} from 'fastify';
import {z} from 'zod';
import {badRequest, notFound} from '../../errors';
import {parseBody, sendJSON} from '../../http/server';
import {memberView, noPermission, type RouteContext, userNotFound} from './route-context';

/** A Mattermost id: 26 lowercase letters and digits. */
const mmID = z.string().regex(/^[a-z0-9]{26}$/);
const createChannelSchema = z.object({
  team_id: mmID,
  name: z.string().min(1).max(64),
  display_name: z.string().min(1).max(64),
  type: z.enum(['O', 'P']),
  purpose: z.string().max(250).optional(),
  header: z.string().max(1024).optional(),
});
const addMemberSchema = z.object({user_id: mmID});

export function registerChannelRoutes(app: FastifyInstance, c: RouteContext): void {
  const {dir, me, channelFor, present} = c;

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
    if (!(await dir.isTeamMember(uid, body.team_id)) && !(await dir.isSystemAdmin(uid))) throw noPermission();
    return sendJSON(reply, 201, await dir.createChannel({...body, creator_id: uid}, [uid]));
  });

  app.post('/api/v4/channels/direct', async (req, reply) => {
    const uid = await me(req);
    const ids = parseBody(z.array(mmID).length(2), req.body);
    if (!ids.includes(uid)) throw noPermission();
    if ((await dir.getUsers(ids)).length !== new Set(ids).size)
      throw badRequest('api.channel.create_direct_channel.invalid_user.app_error', 'Invalid user');
    return sendJSON(reply, 201, await present(await dir.getOrCreateDirectChannel(ids[0], ids[1]), uid));
  });

  app.post('/api/v4/channels/group', async (req, reply) => {
    const uid = await me(req);
    const ids = parseBody(z.array(mmID).min(2).max(7), req.body);
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
    if (!(await dir.isSystemAdmin(uid)) && !member?.roles.includes('channel_admin')) throw noPermission();
    await dir.archiveChannel(ch.id);
    return {status: 'OK'};
  });

  app.get<{Params: {id: string}}>('/api/v4/channels/:id/members', async (req) => {
    const uid = await me(req);
    await channelFor(uid, req.params.id);
    return (await dir.getChannelMembers(req.params.id)).map(memberView);
  });

  app.get<{Params: {id: string}}>('/api/v4/channels/:id/members/me', async (req) => {
    const uid = await me(req);
    await channelFor(uid, req.params.id);
    const m = await dir.getChannelMember(req.params.id, uid);
    if (!m) throw notFound('app.channel.get_member.missing.app_error', 'Channel member not found');
    return memberView(m);
  });

  app.post<{Params: {id: string}}>('/api/v4/channels/:id/members', async (req, reply) => {
    const uid = await me(req);
    const ch = await channelFor(uid, req.params.id);
    const body = parseBody(addMemberSchema, req.body);
    if (ch.type === 'D' || ch.type === 'G')
      throw badRequest('api.channel.add_user_to_channel.type.app_error', 'Can not add user to this channel type');
    const self = body.user_id === uid && ch.type === 'O';
    if (!self && !(await dir.getChannelMember(ch.id, uid)) && !(await dir.isSystemAdmin(uid))) throw noPermission();
    if (!(await dir.getUser(body.user_id))) throw userNotFound();
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
      throw noPermission();
    }
    if (!(await dir.getChannelMember(ch.id, target)))
      throw notFound('app.channel.get_member.missing.app_error', 'Channel member not found');
    await dir.removeChannelMember(ch.id, target, uid);
    return {status: 'OK'};
  });
}
