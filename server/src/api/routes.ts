// The plugin's HTTP API under /plugins/com.mattermost.calls (reference §4.2). Every route authenticates
// (except /version), checks permissions, validates its body, and answers errors as {id, message, status_code}.
import type {FastifyInstance, FastifyRequest} from 'fastify';
import {z} from 'zod';
import type {CallsService, HostAction} from '../calls/service';
import type {CallsPublisher} from '../calls/publish';
import {buildClientConfig, credentialLessTURN} from '../config/client';
import {PLUGIN_ID, PLUGIN_VERSION} from '../config/schema';
import {maskSecrets} from '../config/secrets';
import type {ConfigService} from '../config/service';
import {AppError, badRequest, forbidden, notFound} from '../errors';
import {parseBody, requireSession} from '../http/server';
import {isValidId} from '../ids';
import type {Platform} from '../platform/types';
import type {Store} from '../store';
import type {CallsMetrics} from '../metrics';
import type {RecordingJobs} from '../jobs/recording-jobs';
import {UserRateLimiter, type RateLimitOptions} from './rate-limit';
import {turnServersFor} from './turn';

export const PLUGIN_PATH = `/plugins/${PLUGIN_ID}`;

export interface PluginRoutesDeps {
  calls: CallsService;
  platform: Platform;
  config: ConfigService;
  store: Store;
  publisher: CallsPublisher;
  build: string;
  rateLimit?: RateLimitOptions;
  metrics: CallsMetrics;
  /** Calls outside DMs allowed on an unlicensed server (MM_CALLS_GROUP_CALLS_ALLOWED). */
  groupCallsAllowed: boolean;
  /** Recording jobs (POST /calls/{channel}/recording/{start|stop}). */
  recording?: RecordingJobs;
  /** Extra fields of GET /version (rtcd mode adds rtcd_version/rtcd_build). */
  versionExtra?: () => Record<string, string>;
}

const logsSchema = z.object({
  logs: z
    .string()
    .min(1)
    .max(2 * 1024 * 1024),
  channel_id: z.string().regex(/^[a-z0-9]{26}$/),
  team_id: z.union([z.string().regex(/^[a-z0-9]{26}$/), z.literal('')]).optional(),
});
/** Longest message a post holds (Mattermost's limit); longer logs keep their end, the most recent part. */
const POST_MAX = 16_383;

const enableSchema = z.object({enabled: z.boolean(), props: z.record(z.string(), z.unknown()).optional()});

function success() {
  return {message: 'success', status_code: 200};
}

export async function registerPluginRoutes(app: FastifyInstance, d: PluginRoutesDeps): Promise<void> {
  const limiter = new UserRateLimiter(d.rateLimit ?? {perSecond: 1, burst: 10});
  const auth = (token: string) => d.platform.authenticateToken(token);

  /** Authenticated user id, after the per-user rate limit. */
  async function user(req: FastifyRequest): Promise<string> {
    const s = await requireSession(req, auth);
    if (!limiter.allow(s.userID)) throw new AppError('app.calls.too_many_requests', 'too many requests', 429);
    return s.userID;
  }

  async function requireAdmin(userID: string): Promise<void> {
    if (!(await d.platform.isSystemAdmin(userID))) throw forbidden('api.context.permissions.app_error', 'Forbidden');
  }

  async function requireRead(userID: string, channelID: string): Promise<void> {
    if (!isValidId(channelID)) throw badRequest('app.calls.invalid_channel_id', 'invalid channel id');
    const channel = await d.platform.getChannel(channelID);
    if (!channel) throw notFound('app.calls.channel_not_found', 'channel not found');
    if (!(await d.platform.hasChannelPermission(userID, channelID, 'read_channel')))
      throw forbidden('api.context.permissions.app_error', 'Forbidden');
  }

  const P = PLUGIN_PATH;

  app.get(`${P}/version`, async () => ({version: PLUGIN_VERSION, build: d.build, ...d.versionExtra?.()}));

  // Unauthenticated, like upstream's metrics listener: keep it off the public reverse proxy.
  app.get(`${P}/metrics`, async (_req, reply) => reply.type(d.metrics.contentType).send(await d.metrics.text()));

  app.get(`${P}/config`, async (req) => {
    const uid = await user(req);
    const cfg = d.config.get();
    const client = buildClientConfig(cfg, d.platform.license(), d.groupCallsAllowed);
    if (await d.platform.isSystemAdmin(uid)) {
      // Upstream sends admins the secrets too; nothing in the webapp needs them, so they stay masked.
      return {...maskSecrets(cfg), ...client};
    }
    return client;
  });

  app.get(`${P}/env`, async (req) => {
    await requireAdmin(await user(req));
    return maskSecrets(d.config.envOverrides());
  });

  app.get(`${P}/stats`, async (req) => {
    await requireAdmin(await user(req));
    return d.store.calls.getStats(async (id) => (await d.platform.getChannel(id))?.type);
  });

  app.get(`${P}/turn-credentials`, async (req) => {
    const uid = await user(req);
    const cfg = d.config.get();
    const servers = credentialLessTURN(cfg);
    if (!cfg.TURNStaticAuthSecret || servers.length === 0)
      throw forbidden('app.calls.turn_not_configured', 'TURN credentials are not configured');
    const u = await d.platform.getUser(uid);
    const expires = Math.floor(Date.now() / 1000) + cfg.TURNCredentialsExpirationMinutes * 60;
    return turnServersFor(servers, cfg.TURNStaticAuthSecret, u?.username ?? uid, expires);
  });

  app.get(`${P}/channels`, async (req) => {
    const uid = await user(req);
    const out: Record<string, unknown>[] = [];
    const seen = new Set<string>();
    for (const ch of await d.store.calls.listChannels()) {
      if (!(await d.platform.hasChannelPermission(uid, ch.channelId, 'read_channel'))) continue;
      const state = await d.calls.callState(ch.channelId, uid);
      out.push({channel_id: ch.channelId, enabled: ch.enabled, ...(state ? {call: state} : {})});
      seen.add(ch.channelId);
    }
    for (const call of await d.store.calls.listActiveCalls()) {
      if (seen.has(call.channelId)) continue;
      if (!(await d.platform.hasChannelPermission(uid, call.channelId, 'read_channel'))) continue;
      const state = await d.calls.callState(call.channelId, uid);
      if (state) out.push({channel_id: call.channelId, call: state});
      seen.add(call.channelId);
    }
    return out;
  });

  app.get<{Params: {channel_id: string}}>(`${P}/calls/:channel_id/active`, async (req) => {
    const uid = await user(req);
    await requireRead(uid, req.params.channel_id);
    return {active: Boolean(await d.calls.getActiveCall(req.params.channel_id))};
  });

  const endCall = async (req: FastifyRequest<{Params: {channel_id: string}}>) => {
    const uid = await user(req);
    await requireRead(uid, req.params.channel_id);
    await d.calls.endCallByHost(uid, req.params.channel_id);
    return success();
  };
  app.post<{Params: {channel_id: string}}>(`${P}/calls/:channel_id/end`, endCall);
  app.post<{Params: {channel_id: string}}>(`${P}/calls/:channel_id/host/end`, endCall);

  const sessionBody = z.object({session_id: z.string().min(1).max(64)});
  const hostRoutes: [HostAction, z.ZodTypeAny | null][] = [
    ['make', z.object({new_host_id: z.string().regex(/^[a-z0-9]{26}$/)})],
    ['mute', sessionBody],
    ['screen-off', sessionBody],
    ['lower-hand', sessionBody],
    ['remove', sessionBody],
    ['mute-others', null],
  ];
  for (const [action, schema] of hostRoutes) {
    app.post<{Params: {channel_id: string}}>(`${P}/calls/:channel_id/host/${action}`, async (req) => {
      const uid = await user(req);
      await requireRead(uid, req.params.channel_id);
      const body = (schema ? parseBody(schema, req.body) : {}) as {session_id?: string; new_host_id?: string};
      await d.calls.hostControl(uid, req.params.channel_id, action, body);
      return success();
    });
  }

  app.post<{Params: {channel_id: string; action: string}}>(`${P}/calls/:channel_id/recording/:action`, async (req) => {
    const uid = await user(req);
    const {channel_id: channelID, action} = req.params;
    if (action !== 'start' && action !== 'stop') throw badRequest('app.calls.recording.bad_action', 'invalid action');
    await requireRead(uid, channelID);
    if (!d.recording) throw forbidden('app.calls.recording.no_job_service', 'Job service is not initialized');
    return action === 'start' ? d.recording.start(uid, channelID) : d.recording.stop(uid, channelID);
  });

  app.post<{Params: {channel_id: string}}>(`${P}/calls/:channel_id/dismiss-notification`, async (req) => {
    const uid = await user(req);
    // Checked before the call is looked up: a non-member learns nothing about the channel's call.
    await requireRead(uid, req.params.channel_id);
    await d.calls.dismissNotification(uid, req.params.channel_id);
    return success();
  });

  // Client logs (/call logs): posted by the Calls bot into the user's DM with it, so support can read them.
  app.post(`${P}/logs/upload`, {bodyLimit: 3 * 1024 * 1024}, async (req) => {
    const uid = await user(req);
    const body = parseBody(logsSchema, req.body);
    await requireRead(uid, body.channel_id);
    const botID = await d.platform.botUserID();
    const dm = await d.platform.directChannel(uid, botID);
    const name = `call_logs_${new Date().toISOString().replace(/[:.]/g, '-')}.txt`;
    const room = POST_MAX - name.length - 20;
    const text = body.logs.length > room ? body.logs.slice(body.logs.length - room) : body.logs;
    const post = await d.platform.createPost({
      channel_id: dm.id,
      user_id: botID,
      message: `${name}\n\`\`\`\n${text}\n\`\`\``,
      props: {from_bot: 'true'},
    });
    const team = body.team_id ? await d.platform.getTeam(body.team_id) : null;
    const link = `${d.platform.siteURL()}/${team?.name ?? '_'}/pl/${post.id}`;
    await d.platform.sendEphemeralPost(uid, body.channel_id, `Call logs uploaded — [view in your @calls DM](${link})`);
    return {};
  });

  app.get<{Params: {channel_id: string}}>(`${P}/:channel_id`, async (req) => {
    const uid = await user(req);
    const channelID = req.params.channel_id;
    await requireRead(uid, channelID);
    const row = await d.store.calls.getChannel(channelID);
    const enabled = row ? row.enabled : d.config.get().DefaultEnabled;
    const state = await d.calls.callState(channelID, uid);
    return {
      channel_id: channelID,
      enabled,
      ...(row && Object.keys(row.props).length ? {props: row.props} : {}),
      ...(state ? {call: state} : {}),
    };
  });

  app.post<{Params: {channel_id: string}}>(`${P}/:channel_id`, async (req) => {
    const uid = await user(req);
    const channelID = req.params.channel_id;
    if (!isValidId(channelID)) throw badRequest('app.calls.invalid_channel_id', 'invalid channel id');
    const body = parseBody(enableSchema, req.body);
    const channel = await d.platform.getChannel(channelID);
    if (!channel) throw notFound('app.calls.channel_not_found', 'channel not found');
    if (!(await canToggleChannel(d, uid, channelID))) throw forbidden('api.context.permissions.app_error', 'Forbidden');
    const row = {channelId: channelID, enabled: body.enabled, props: body.props ?? {}};
    await d.store.calls.upsertChannel(row);
    d.publisher.toChannel(body.enabled ? 'channel_enable_voice' : 'channel_disable_voice', {}, channelID);
    return {channel_id: channelID, enabled: body.enabled, ...(body.props ? {props: body.props} : {})};
  });
}

/**
 * Who may enable/disable calls in a channel (reference §4.2): system admins always; when test mode is on
 * nobody else; otherwise channel admins, team admins, and members of DMs/GMs who can post.
 */
async function canToggleChannel(d: PluginRoutesDeps, userID: string, channelID: string): Promise<boolean> {
  if (await d.platform.isSystemAdmin(userID)) return true;
  if (!d.config.get().DefaultEnabled) return false;
  const channel = await d.platform.getChannel(channelID);
  if (!channel) return false;
  if (channel.type === 'D' || channel.type === 'G')
    return d.platform.hasChannelPermission(userID, channelID, 'create_post');
  const member = await d.platform.getChannelMember(channelID, userID);
  if (member?.roles.split(' ').includes('channel_admin')) return true;
  return channel.team_id ? d.platform.isTeamAdmin(userID, channel.team_id) : false;
}
