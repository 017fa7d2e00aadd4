// What createApp takes and returns: the options of one server node (data, ports, platform, SFU, timings,
// limits, test hooks) and the running node's parts that `npm start` and the tests reach into.
import type {FastifyInstance} from 'fastify';
import type {RateLimitOptions} from './api/rate-limit';
import type {CallsTimings, CallsService} from './calls/service';
import type {Clock} from './clock';
import type {Coordination} from './cluster/types';
import type {ConfigService} from './config/service';
import type {CallsConfig} from './config/types';
import type {HttpLimits, RouteInfo} from './http/server';
import type {RecordingJobs} from './jobs/recording-jobs';
import type {RunnerContext} from './jobs/select-runner';
import type {JobRunner} from './jobs/types';
import type {CallsMetrics, RtcMetrics} from './metrics';
import type {Logger} from './log';
import type {PlatformFactory} from './platform/factory';
import type {LoginGuardSettings} from './platform/standalone/login-guard';
import type {SeedResult} from './platform/standalone/seed';
import type {Platform} from './platform/types';
import type {RtcServer} from './rtc/types';
import type {Store} from './store';
import type {Hub} from './ws/hub';
import type {WsServer} from './ws/server';

/** `metrics` is what the SFU reports its rtc_* metrics to. */
export type RtcServerFactory = (config: CallsConfig, logger: Logger, metrics: RtcMetrics) => Promise<RtcServer>;

export interface AppOptions {
  /** Directory for the SQLite database and other data. */
  dataDir: string;
  /** PostgreSQL URL; SQLite when absent. */
  databaseURL?: string;
  /** Environment for MM_CALLS_* overrides (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** DNS lookups of the rtcd service name (tests: a resolver on a loopback DNS server). */
  rtcdResolve4?: (hostname: string) => Promise<string[]>;
  /** HTTP listen address and port (port 0 = ephemeral). */
  host?: string;
  port?: number;
  /** The URL users open; defaults to http://localhost:<port>. */
  siteURL?: string;
  logger?: Logger;
  clock?: Clock;
  /** Creates the media server (the werift SFU in production). */
  rtc: RtcServerFactory;
  /** The chat platform; by default chosen by MM_CALLS_PLATFORM (platform/select.ts). */
  platform?: PlatformFactory;
  /** Seed the standalone directory on first start (default true). */
  seed?: boolean;
  seedPassword?: string;
  timings?: Partial<CallsTimings>;
  rateLimit?: RateLimitOptions;
  wsRateLimit?: {perSecond: number; burst: number};
  /** How often websockets re-validate their login (default 10 s). */
  wsAuthRecheckMs?: number;
  /** Where the built webapp lives (webapp/dist). */
  webappDist?: string;
  /** The node's identity; by default kept in the data directory (SQLite) or a new id (PostgreSQL). */
  nodeID?: string;
  /** Prometheus metrics; a fresh registry by default. */
  metrics?: CallsMetrics;
  /** Login backoff and password-hash bound (defaults in platform/standalone/login-guard.ts). */
  loginGuard?: LoginGuardSettings;
  /** The recording job runner; by default chosen by JobServiceURL (jobs/select-runner.ts). */
  jobRunner?: (ctx: RunnerContext) => JobRunner | null;
  /** The recorder program the in-process runner spawns (default: node build/recorder.mjs). */
  recorderCommand?: string[];
  /** HTTP timeouts and connection caps, over the defaults and MM_CALLS_HTTP_* (http/server.ts). */
  httpLimits?: Partial<HttpLimits>;
}

export interface App {
  readonly url: string;
  readonly port: number;
  readonly store: Store;
  readonly config: ConfigService;
  readonly calls: CallsService;
  /** The SFU this node runs, or null on a relay-only node (single handler, not the handler). */
  readonly rtc: RtcServer | null;
  readonly hub: Hub;
  readonly ws: WsServer;
  readonly platform: Platform;
  readonly http: FastifyInstance;
  /** Every HTTP route this node serves (method + URL pattern), from the server's own route table. */
  readonly routes: readonly RouteInfo[];
  readonly seed: SeedResult | null;
  readonly coordination: Coordination;
  readonly metrics: CallsMetrics;
  /** Recording jobs, or null when no job runner is available. */
  readonly recording: RecordingJobs | null;
  /** Ends active calls, closes media, sockets, HTTP and the store. Idempotent. */
  close(): Promise<void>;
}
