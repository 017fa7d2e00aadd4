// The `/call` custom slash command in every team of the Mattermost server (POST/PUT /api/v4/commands), kept
// pointing at this service: created when missing (deleted by an admin), repaired when edited, re-checked
// periodically. Mattermost POSTs each use to the command's URL with the command's token, which is what
// authenticates those requests here (compared in constant time).
import {createHash, timingSafeEqual} from 'node:crypto';
import type {Command} from '@mattermost/types/integrations';
import type {Team as MMTeam} from '@mattermost/types/teams';
import {PLUGIN_ID} from '../../config/schema';
import {AppError} from '../../errors';
import type {Logger} from '../../log';
import type {MattermostClient} from './client';
import {singleFlight} from './single-flight';

export const CALL_TRIGGER = 'call';
/** Where Mattermost sends `/call` (under the plugin's path, which the reverse proxy already sends here). */
export const SLASH_PATH = `/plugins/${PLUGIN_ID}/slash`;

const ID = /^[a-z0-9]{26}$/;
const TEAMS_PER_PAGE = 200;
/** A token that does not match re-reads that team's command at most this often (an admin regenerated it). */
const RECHECK_MS = 10_000;

/** What the command should be; anything else found in Mattermost is put back. */
export function desiredCommand(
  url: string,
): Pick<
  Command,
  | 'trigger'
  | 'method'
  | 'url'
  | 'auto_complete'
  | 'auto_complete_desc'
  | 'auto_complete_hint'
  | 'display_name'
  | 'description'
  | 'username'
  | 'icon_url'
> {
  return {
    trigger: CALL_TRIGGER,
    method: 'P',
    url,
    auto_complete: true,
    // Upstream's wording: the subcommands the server and the webapp handle.
    auto_complete_desc: 'Available commands: start, join, leave, link, end, recording, stats, logs, help',
    auto_complete_hint: '[command]',
    display_name: 'Calls',
    description: 'Start, join and manage calls',
    username: '',
    icon_url: '',
  };
}

export interface SlashCommandsOptions {
  client: MattermostClient;
  logger: Logger;
  /** The service account's user id (the commands' creator). */
  botUserID: () => Promise<string>;
  /** The URL Mattermost posts the command to; '' until known (the port is bound). */
  url: () => string;
  /** How often every team's command is re-checked (default 60 s). */
  intervalMs?: number;
}

/** Mattermost's answer when ServiceSettings.EnableCommands is off (501 api.command.disabled.app_error). */
function isCommandsDisabled(err: unknown): boolean {
  return err instanceof AppError && err.details?.mattermostID === 'api.command.disabled.app_error';
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export class SlashCommands {
  readonly #o: SlashCommandsOptions;
  /** Team id → the token of its /call command (ours). */
  readonly #tokens = new Map<string, string>();
  readonly #checkedAt = new Map<string, number>();
  /** Teams where someone else's /call is in the way (logged once). */
  readonly #blocked = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  /** Custom slash commands are off in Mattermost (logged once until they are back). */
  #disabled = false;
  readonly #syncOnce = singleFlight(
    () => this.#syncAll(),
    (err) => this.#o.logger.warn({err: err.message}, 'registering /call in Mattermost failed; retrying later'),
  );

  constructor(o: SlashCommandsOptions) {
    this.#o = o;
  }

  /** Syncs as soon as the URL is known, then every intervalMs. */
  start(): void {
    const tick = async () => {
      if (this.#closed) return;
      const known = this.#o.url() !== '';
      if (known) await this.sync();
      if (this.#closed) return;
      this.#timer = setTimeout(() => void tick(), known ? (this.#o.intervalMs ?? 60_000) : 200);
      this.#timer.unref();
    };
    this.#timer = setTimeout(() => void tick(), 0);
    this.#timer.unref();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  /** Every team's command checked once; never throws (Mattermost down: the next tick tries again). */
  sync(): Promise<void> {
    return this.#syncOnce();
  }

  async #syncAll(): Promise<void> {
    const seen = new Set<string>();
    for (let page = 0; ; page++) {
      const teams = await this.#o.client.json<MMTeam[]>('GET', `/teams?page=${page}&per_page=${TEAMS_PER_PAGE}`);
      for (const t of teams) {
        if (t.delete_at > 0 || !ID.test(t.id)) continue;
        seen.add(t.id);
        try {
          await this.#ensure(t.id);
          this.#disabled = false;
        } catch (err) {
          if (!isCommandsDisabled(err)) {
            this.#o.logger.warn({teamID: t.id, err: (err as Error).message}, 'registering /call in a team failed');
            continue;
          }
          if (!this.#disabled)
            this.#o.logger.error(
              'custom slash commands are disabled in Mattermost: /call cannot be registered until they are enabled ' +
                '(System Console › Integrations › Integration Management › Enable Custom Slash Commands)',
            );
          this.#disabled = true;
          return;
        }
      }
      if (teams.length < TEAMS_PER_PAGE) break;
    }
    for (const teamID of [...this.#tokens.keys()]) if (!seen.has(teamID)) this.#tokens.delete(teamID);
  }

  /** The team's /call made to match desiredCommand (created, or updated in place); remembers its token. */
  async #ensure(teamID: string): Promise<void> {
    this.#checkedAt.set(teamID, Date.now());
    const url = this.#o.url();
    if (!url) return;
    const [botID, commands] = await Promise.all([
      this.#o.botUserID(),
      this.#o.client.json<Command[]>('GET', `/commands?team_id=${teamID}&custom_only=true`),
    ]);
    const want = desiredCommand(url);
    const calls = commands.filter((c) => c.trigger === CALL_TRIGGER && c.delete_at === 0);
    const mine = calls.find((c) => c.creator_id === botID);
    if (!mine) {
      if (calls.length > 0) {
        // Someone's own /call: not ours to overwrite. Mattermost would refuse a second one anyway.
        if (!this.#blocked.has(teamID))
          this.#o.logger.error(
            {teamID, commandID: calls[0].id},
            'a /call slash command made by someone else exists in this team; delete it to let Calls register its own',
          );
        this.#blocked.add(teamID);
        this.#tokens.delete(teamID);
        return;
      }
      const created = await this.#o.client.json<Command>('POST', '/commands', {body: {team_id: teamID, ...want}});
      this.#blocked.delete(teamID);
      this.#tokens.set(teamID, created.token);
      this.#o.logger.info({teamID, commandID: created.id}, '/call registered in Mattermost');
      return;
    }
    this.#blocked.delete(teamID);
    this.#tokens.set(teamID, mine.token);
    const differs = (Object.keys(want) as (keyof typeof want)[]).filter((k) => mine[k] !== want[k]);
    if (differs.length === 0) return;
    const updated = await this.#o.client.json<Command>('PUT', `/commands/${mine.id}`, {body: {...mine, ...want}});
    this.#tokens.set(teamID, updated.token || mine.token);
    this.#o.logger.info({teamID, commandID: mine.id, fields: differs}, '/call in Mattermost repaired');
  }

  /**
   * Whether `token` is the token of the team's /call. A mismatch for a team we know re-reads its command (at most
   * every 10 s: an admin may have regenerated the token); a team we do not know is never looked up on request.
   */
  async verify(teamID: string, token: string): Promise<boolean> {
    if (!token || !ID.test(teamID)) return false;
    if (this.#matches(teamID, token)) return true;
    if (!this.#tokens.has(teamID) || Date.now() - (this.#checkedAt.get(teamID) ?? 0) < RECHECK_MS) return false;
    try {
      await this.#ensure(teamID);
    } catch (err) {
      this.#o.logger.warn({teamID, err: (err as Error).message}, 're-reading /call in a team failed');
      return false;
    }
    return this.#matches(teamID, token);
  }

  #matches(teamID: string, token: string): boolean {
    const known = this.#tokens.get(teamID);
    // Digests have one length whatever was sent, so the comparison takes the same time for any wrong token.
    return known !== undefined && timingSafeEqual(digest(known), digest(token));
  }
}
