// The Mattermost platform as a PlatformFactory: MM_CALLS_MATTERMOST_URL and MM_CALLS_MATTERMOST_TOKEN (a bot
// or personal access token of an account with the system admin role), checked at start; the settings saved in
// Mattermost's System Console applied (settings-sync.ts), `/call` registered in every team (slash-command.ts)
// with its one route, and our calls websocket under the plugin's path, which a reverse proxy sends here.
import {ConfigError} from '../../config/validate';
import type {PlatformFactory} from '../factory';
import {MattermostClient} from './client';
import {MattermostPlatform} from './platform';
import {SettingsSync} from './settings-sync';
import {SLASH_PATH, SlashCommands} from './slash-command';
import {registerSlashRoute} from './slash-route';
import {PLUGIN_WEBSOCKET_PATH} from '../../protocol';

/** Where clients inside Mattermost open the calls websocket (Mattermost keeps /api/v4/websocket). */
export const MATTERMOST_WEBSOCKET_PATH = PLUGIN_WEBSOCKET_PATH;

const LICENSE_REFRESH_MS = 10 * 60_000;
const LICENSE_RETRY_MS = 15_000;

export interface MattermostPlatformSettings {
  /** How often the channels in use are re-read for removed members (default 10 s). */
  membershipPollMs?: number;
  /** How often post updates Mattermost could not take are re-sent (default 5 s). */
  postRetryMs?: number;
  /** How often the plugin settings are re-read from Mattermost's config (default 10 s). */
  settingsPollMs?: number;
  /** How often `/call` is re-checked in every team (default 60 s). */
  commandSyncMs?: number;
}

/** The factory with settings (tests shorten the membership poll); createMattermostPlatform uses the defaults. */
export const mattermostPlatformFactory =
  (settings: MattermostPlatformSettings = {}): PlatformFactory =>
  async (ctx) => {
    const url = (ctx.env.MM_CALLS_MATTERMOST_URL ?? '').trim();
    const token = (ctx.env.MM_CALLS_MATTERMOST_TOKEN ?? '').trim();
    const origin = originOf(url);
    if (!origin)
      throw new ConfigError(
        'MM_CALLS_MATTERMOST_URL',
        'MM_CALLS_PLATFORM=mattermost needs MM_CALLS_MATTERMOST_URL (e.g. https://chat.example.com)',
      );
    if (!token)
      throw new ConfigError(
        'MM_CALLS_MATTERMOST_TOKEN',
        'MM_CALLS_PLATFORM=mattermost needs MM_CALLS_MATTERMOST_TOKEN (a bot or personal access token)',
      );
    // Where Mattermost reaches this service for `/call`: by default the site URL's plugin path (through the proxy).
    const commandURL = (ctx.env.MM_CALLS_MATTERMOST_COMMAND_URL ?? '').trim();
    if (commandURL && !originOf(commandURL))
      throw new ConfigError(
        'MM_CALLS_MATTERMOST_COMMAND_URL',
        `invalid MM_CALLS_MATTERMOST_COMMAND_URL: expected an http(s) URL (e.g. http://calls.internal:8065${SLASH_PATH})`,
      );
    const logger = ctx.logger.child({platform: 'mattermost'});
    const client = new MattermostClient({baseURL: url, token, logger});
    const platform = new MattermostPlatform({
      client,
      logger,
      siteURL: ctx.siteURL,
      token,
      membershipPollMs: settings.membershipPollMs,
      postRetryMs: settings.postRetryMs,
    });
    // The token is checked now: a wrong one is a configuration error, not a failure on the first call.
    // Mattermost being down at start is not: the service starts and requests get a clear 503 until it is back.
    try {
      const me = await platform.serviceAccount();
      logger.info({url: origin, botID: me.id, username: me.username}, 'connected to Mattermost');
      // Calls treat this account as its bot (it joins calls only to record): a person's token locks them out.
      if (!me.is_bot)
        logger.warn(
          {username: me.username},
          'MM_CALLS_MATTERMOST_TOKEN belongs to a user, not a bot account: that user cannot join calls; use a bot',
        );
    } catch (err) {
      const status = (err as {status?: number}).status;
      if (status === 401) {
        platform.close();
        throw new ConfigError('MM_CALLS_MATTERMOST_TOKEN', 'Mattermost refused MM_CALLS_MATTERMOST_TOKEN (401)');
      }
      logger.error(
        {url: origin, err: (err as Error).message},
        'Mattermost unreachable at start; retrying on each request',
      );
    }
    // Until the license is known calls run as unlicensed (DMs only): retried soon while Mattermost is down.
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    const refresh = async () => {
      const known = await platform.refreshLicense();
      if (closed) return;
      timer = setTimeout(() => void refresh(), known ? LICENSE_REFRESH_MS : LICENSE_RETRY_MS);
      timer.unref();
    };
    await refresh();
    // Read before the rest of the node starts, so settings read once at start (ports) come from Mattermost too.
    const settingsSync = ctx.adminConfig
      ? new SettingsSync({client, sink: ctx.adminConfig, logger, intervalMs: settings.settingsPollMs})
      : null;
    await settingsSync?.start();
    const commands = new SlashCommands({
      client,
      logger,
      botUserID: () => platform.botUserID(),
      url: () => commandURL || (ctx.siteURL() ? ctx.siteURL().replace(/\/+$/, '') + SLASH_PATH : ''),
      intervalMs: settings.commandSyncMs,
    });
    return {
      platform,
      websocketPath: MATTERMOST_WEBSOCKET_PATH,
      seed: null,
      async registerRoutes(http, routes) {
        await registerSlashRoute(http, {platform, commands, execute: routes.executeCallCommand});
        commands.start();
      },
      async close() {
        closed = true;
        clearTimeout(timer);
        settingsSync?.close();
        commands.close();
        platform.close();
      },
    };
  };

export const createMattermostPlatform: PlatformFactory = mattermostPlatformFactory();

/** The URL's origin (what is logged: a URL may carry credentials), or null unless it is http(s). */
function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}
