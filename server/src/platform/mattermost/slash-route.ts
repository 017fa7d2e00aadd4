// POST /plugins/com.mattermost.calls/slash: Mattermost's request for a use of `/call` (a form: token, team_id,
// channel_id, user_id, text, …). Authenticated by the command's token (401 without detail otherwise), the user
// and channel re-checked through the platform (a member of the channel), rate-limited per user, and answered
// by the same handler as the standalone `/call`, as Mattermost's slash command response JSON.
import type {FastifyInstance} from 'fastify';
import {UserRateLimiter} from '../../api/rate-limit';
import type {CommandResponse} from '../../calls/slash';
import {AppError, badRequest, forbidden} from '../../errors';
import {hasUnstorableText} from '../../unstorable';
import type {PlatformRoutesContext} from '../factory';
import type {Platform} from '../types';
import {SLASH_PATH, type SlashCommands} from './slash-command';

const ID = /^[a-z0-9]{26}$/;
/** Mattermost's longest post: a command longer than that cannot have come from its message box. */
const MAX_TEXT = 16_383;
const BODY_LIMIT = 64 * 1024;
/** The form fields Mattermost sends; one value each. */
const FIELDS = ['token', 'team_id', 'channel_id', 'user_id', 'text', 'root_id'] as const;

export interface SlashRouteDeps {
  platform: Platform;
  commands: SlashCommands;
  execute: PlatformRoutesContext['executeCallCommand'];
  /** Per-user limit of commands (default: the plugin API's, 1/s with a burst of 10). */
  rateLimit?: {perSecond: number; burst: number};
}

const refused = () => new AppError('app.calls.slash.unauthorized', 'Unauthorized', 401);

export async function registerSlashRoute(http: FastifyInstance, d: SlashRouteDeps): Promise<void> {
  const limiter = new UserRateLimiter(d.rateLimit ?? {perSecond: 1, burst: 10});
  await http.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      {parseAs: 'string', bodyLimit: BODY_LIMIT},
      (_req, body, done) => done(null, String(body)),
    );
    scope.post(SLASH_PATH, {bodyLimit: BODY_LIMIT}, async (req): Promise<CommandResponse> => {
      const type = String(req.headers['content-type'] ?? '').toLowerCase();
      if (typeof req.body !== 'string' || !type.startsWith('application/x-www-form-urlencoded'))
        throw badRequest('app.calls.slash.invalid_body', 'expected a form body');
      const form = new URLSearchParams(req.body);
      const f = {} as Record<(typeof FIELDS)[number], string>;
      for (const k of FIELDS) {
        const all = form.getAll(k);
        if (all.length > 1) throw badRequest('app.calls.slash.invalid_body', `${k} is given more than once`);
        f[k] = all[0] ?? '';
      }
      // Mattermost sends the token in the form and as `Authorization: Token …`; either must be the command's.
      const header = /^Token\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
      const token = f.token || header;
      if (!(await d.commands.verify(f.team_id, token))) throw refused();
      if (header && header !== token) throw refused();
      if (!ID.test(f.user_id) || !ID.test(f.channel_id) || (f.root_id !== '' && !ID.test(f.root_id)))
        throw badRequest('app.calls.slash.invalid_body', 'invalid user, channel or root id');
      if (f.text.length > MAX_TEXT || hasUnstorableText(f.text))
        throw badRequest('app.calls.slash.invalid_body', 'invalid command text');
      if (!limiter.allow(f.user_id))
        return {response_type: 'ephemeral', text: 'Too many commands; try again in a moment.'};
      // The token proves Mattermost sent it; who and where are checked again as for any other request.
      const [user, channel, member] = await Promise.all([
        d.platform.getUser(f.user_id),
        d.platform.getChannel(f.channel_id),
        d.platform.getChannelMember(f.channel_id, f.user_id),
      ]);
      if (
        !user ||
        user.delete_at > 0 ||
        !channel ||
        channel.delete_at > 0 ||
        (channel.team_id !== '' && channel.team_id !== f.team_id) ||
        !member
      )
        throw forbidden('api.context.permissions.app_error');
      const res = await d.execute(f.user_id, f.channel_id, f.team_id, `/call ${f.text}`, f.root_id);
      return {response_type: 'ephemeral', text: res.text};
    });
  });
}
