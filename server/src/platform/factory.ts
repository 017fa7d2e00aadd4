// What assembling a node needs from a platform adapter: the Platform port, the websocket path its clients
// use, its own HTTP routes (the standalone /api/v4 subset and login; none beside a real Mattermost) and
// the first-start logins to show. app.ts takes a PlatformFactory; select.ts picks one by MM_CALLS_PLATFORM.
import type {IncomingMessage} from 'node:http';
import type {FastifyInstance} from 'fastify';
import type {Clock} from '../clock';
import type {Logger} from '../log';
import type {Store} from '../store';
import type {EventPublisher} from '../ws/types';
import type {LoginGuardSettings} from './standalone/login-guard';
import type {SeedResult} from './standalone/seed';
import type {Platform} from './types';

export type PlatformKind = Platform['kind'];

export interface PlatformContext {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Where the platform publishes its own websocket events (posts, membership). */
  events: EventPublisher;
  /** The public URL (known once the HTTP port is bound). */
  siteURL: () => string;
  env: NodeJS.ProcessEnv;
  /** The node's data directory (the standalone platform keeps uploaded files under it). */
  dataDir: string;
  /** Create first-start data (standalone: users, a team, channels) when the store has none. */
  seed: boolean;
  seedPassword?: string;
  /** Login backoff, for a platform that serves logins itself. */
  loginGuard?: LoginGuardSettings;
  /** The plugin settings as the System Console saves them (beside Mattermost: its saved values are applied here). */
  adminConfig?: PlatformRoutesContext['adminConfig'];
}

/** What the platform's own routes need from the rest of the node. */
export interface PlatformRoutesContext {
  serverVersion: string;
  /** The plugin settings as the System Console sees them. */
  adminConfig: {
    get(): Record<string, unknown>;
    save(values: Record<string, unknown>): Promise<Record<string, unknown>>;
  };
  /** /call slash commands. */
  executeCallCommand(
    userID: string,
    channelID: string,
    teamID: string,
    command: string,
    rootID: string,
  ): Promise<{response_type: string; text: string}>;
  pluginWebapp: {id: string; version: string; bundlePath: string};
  /** The client's address (behind a trusted proxy, from its header). */
  clientAddress(req: IncomingMessage): string;
}

export interface PlatformInstance {
  readonly platform: Platform;
  /** The path of the Mattermost-framed websocket the clients of this platform connect to. */
  readonly websocketPath: string;
  /** Logins created at first start, to print (standalone); null otherwise. */
  readonly seed: SeedResult | null;
  /** Serves the platform's own HTTP routes, if it has any. */
  registerRoutes(http: FastifyInstance, ctx: PlatformRoutesContext): Promise<void>;
  /** Stops the platform's timers (polls), if it has any. */
  close?(): Promise<void>;
}

export type PlatformFactory = (ctx: PlatformContext) => Promise<PlatformInstance>;
