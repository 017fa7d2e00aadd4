// What the parts of the call domain share: their dependencies (the ports), settings, the registry of
// this node's sessions and the delayed tasks. The façade (service.ts) builds one and hands it to each part.
import type {Clock} from '../clock';
import type {MediaRouter} from '../cluster/types';
import type {ConfigService} from '../config/service';
import type {Logger} from '../log';
import type {Platform} from '../platform/types';
import type {Call, CallJob, Store} from '../store';
import type {JoinCaps} from './join-limits';
import {JoinLimiter} from './join-limits';
import {LocalSessions} from './local-sessions';
import type {CallLock} from './lock';
import type {CallsPublisher} from './publish';

export interface CallsTimings {
  /** Grace after a websocket drop before the session is removed (upstream 10 s). */
  reconnectGraceMs: number;
  /** Delay between a host ending the call and force-closing remaining sessions (upstream 5 s). */
  hostEndForceCloseMs: number;
  /** Delay between a host removing a session and force-closing it (upstream 3 s). */
  hostRemoveForceCloseMs: number;
}

export const DEFAULT_TIMINGS: CallsTimings = {
  reconnectGraceMs: 10_000,
  hostEndForceCloseMs: 5_000,
  hostRemoveForceCloseMs: 3_000,
};

/** The websocket connection an action came from. */
export interface ConnContext {
  connID: string;
  userID: string;
}

/** What the call domain tells the recording jobs (jobs/recording-jobs.ts); every hook runs under the call lock. */
export interface CallJobsHooks {
  /** The Calls bot user (its sessions are the recorder's: invisible, never host, never counted). */
  botUserID(): Promise<string>;
  /** A join with jobID from the bot: throws unless it is for a recording job of this call; binds the connection. */
  acceptBotJoin(call: Call, jobID: string, connID: string): Promise<void>;
  /** The bot's session left the call. */
  botLeft(call: Call, sessionID: string): Promise<void>;
  /** The call ended; these jobs just got their end_at. */
  callEnded(call: Call, jobs: CallJob[]): void;
}

export interface CallsServiceDeps {
  store: Store;
  platform: Platform;
  config: ConfigService;
  media: MediaRouter;
  lock: CallLock;
  publisher: CallsPublisher;
  clock: Clock;
  logger: Logger;
  /** Whether a websocket connection is currently open on this node. */
  isConnOpen: (connID: string) => boolean;
  timings?: Partial<CallsTimings>;
  /** Recording jobs; without them a join with jobID is refused. */
  jobs?: CallJobsHooks;
  /** Per-user join limits (config/limits.ts); none when absent. */
  joinLimits?: JoinCaps;
  /** Calls outside DMs allowed on an unlicensed server (MM_CALLS_GROUP_CALLS_ALLOWED, config/env.ts). */
  groupCallsAllowed?: boolean;
  /** Observes every ICE candidate pair metric a client reports (metrics module). */
  onICEPairMetric?: (m: {
    state: string;
    local_type: string;
    local_protocol: string;
    remote_type: string;
    remote_protocol: string;
  }) => void;
}

export class CallsContext {
  readonly d: CallsServiceDeps;
  readonly log: Logger;
  readonly timings: CallsTimings;
  readonly pub: CallsPublisher;
  readonly local = new LocalSessions();
  readonly limits: JoinLimiter;
  /** Set at shutdown: no more joins. */
  closed = false;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(deps: CallsServiceDeps) {
    this.d = deps;
    this.log = deps.logger.child({module: 'calls'});
    this.timings = {...DEFAULT_TIMINGS, ...deps.timings};
    this.pub = deps.publisher;
    this.limits = new JoinLimiter(
      deps.joinLimits ?? {sessionsPerUserPerCall: 0, joinsPerSecondPerUser: 0, joinBurstPerUser: 0},
      () => deps.clock.now(),
    );
  }

  /** The Calls bot's user id ('' when the platform cannot tell: then nobody is treated as the bot). */
  async botUserID(): Promise<string> {
    if (!this.d.jobs) return '';
    return this.d.jobs.botUserID().catch(() => '');
  }

  /** User ids of the call's sessions (the audience of participant events). */
  async participantIDs(callID: string): Promise<string[]> {
    return (await this.d.store.calls.getSessions(callID)).map((s) => s.userId);
  }

  /** Runs fn after ms (a host's delayed removal or end); cancelled at shutdown. */
  after(ms: number, fn: () => Promise<void>): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn().catch((err) => this.log.error({err: (err as Error).message}, 'scheduled call task failed'));
    }, ms);
    this.#timers.add(t);
  }

  /** Shutdown: no more joins, no delayed task, no grace timer. */
  stop(): void {
    this.closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const local of this.local.all()) clearTimeout(local.graceTimer);
  }
}
