// The standalone /api/v4 user routes: login and logout (with Mattermost's cookies), the caller, user lookups,
// avatars, user creation by an admin and deactivation.
import type {FastifyInstance} from 'fastify';
import {z} from 'zod';
import {AUTH_COOKIE} from '../../http/auth';
import {addressBlock} from '../../http/client-address';
import {sitePath} from '../../http/site-path';
import {parseBody, sendJSON} from '../../http/server';
import {isValidId} from '../../ids';
import type {User} from '../types';
import {avatarSVG} from './avatar';
import {LoginRefused} from './login-guard';
import {idsSchema, memberView, type RouteContext, sanitize, userNotFound} from './route-context';

const loginSchema = z.object({login_id: z.string().min(1).max(128), password: z.string().min(1).max(256)});
const createUserSchema = z.object({
  username: z.string().min(3).max(64),
  password: z.string().min(3).max(256),
  email: z.string().max(128).optional(),
  first_name: z.string().max(64).optional(),
  last_name: z.string().max(64).optional(),
  nickname: z.string().max(64).optional(),
});

export function registerUserRoutes(app: FastifyInstance, c: RouteContext): void {
  const {d, dir, me} = c;

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
    const s = await c.session(req);
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
    if (!u) throw userNotFound();
    return u;
  });

  app.post('/api/v4/users', async (req, reply) => {
    await c.requireAdmin(await me(req));
    const body = parseBody(createUserSchema, req.body);
    return sendJSON(reply, 201, await dir.createUser(body));
  });

  // Deactivation, by the user themselves or a system admin: their logins end, and with them their calls.
  app.delete<{Params: {id: string}}>('/api/v4/users/:id', async (req) => {
    const uid = await me(req);
    if (uid !== req.params.id) await c.requireAdmin(uid);
    if (!isValidId(req.params.id) || !(await dir.getUser(req.params.id))) throw userNotFound();
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
    if (!u) throw userNotFound();
    return sanitize(u, uid);
  });

  app.get<{Params: {id: string}}>('/api/v4/users/:id/image', async (req, reply) => {
    await me(req);
    const u = isValidId(req.params.id) ? await dir.getUser(req.params.id) : null;
    if (!u) throw userNotFound();
    return reply.type('image/svg+xml').header('Cache-Control', 'max-age=300').send(avatarSVG(u));
  });

  app.get('/api/v4/users/me/teams', async (req) => dir.getUserTeams(await me(req)));

  app.get<{Params: {team_id: string}}>('/api/v4/users/me/teams/:team_id/channels', async (req) => {
    const uid = await me(req);
    const channels = await dir.getUserChannels(uid, req.params.team_id);
    return Promise.all(channels.map((ch) => c.present(ch, uid)));
  });

  app.get<{Params: {team_id: string}}>('/api/v4/users/me/teams/:team_id/channels/members', async (req) => {
    const uid = await me(req);
    return (await dir.getUserChannelMembers(uid, req.params.team_id)).map(memberView);
  });
}
