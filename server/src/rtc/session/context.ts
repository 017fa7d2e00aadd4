// What the parts of one session (negotiator, incoming and outgoing tracks, data channel) share: the
// session's configuration and dependencies, its peer connection, and the few session actions they call.
import type {RTCPeerConnection} from 'werift';
import type {Clock} from '../../clock';
import type {ICEServerConfig} from '../../config/types';
import type {AppError} from '../../errors';
import type {Logger} from '../../log';
import type {RtcMetrics, RtpCounters} from '../../metrics';
import type {ForwardingMode} from '../fastpath/forwarder';
import type {HostCandidate} from '../net/iceMux';
import type {RtcTimeouts} from '../options';
import type {RtcSignal, SessionConfig} from '../types';
import type {PublishedTrack} from './published';

export interface SessionDeps {
  candidates: HostCandidate[];
  turnServers: ICEServerConfig[];
  enableAV1: boolean;
  forwarding: ForwardingMode;
  timeouts: RtcTimeouts;
  clock: Clock;
  logger: Logger;
  metrics: RtcMetrics;
  /** rtc_* metrics label: "default" in the plugin, the rtcd client id in rtcd. */
  groupID: string;
  /** Server-wide RTP counters. */
  counters: RtpCounters;
  /** Starts the session's ICE ufrag (a media worker's tag, how the primary routes to it). */
  ufragPrefix?: string;
}

export interface SessionEvents {
  signal: [signal: RtcSignal];
  voice: [on: boolean];
  /** A clear error for this session's client input; `fatal`: the session closes (`close` follows). */
  rejected: [error: AppError, fatal: boolean];
  /** The data channel is open: the session may now receive the call's tracks. */
  ready: [];
  publish: [track: PublishedTrack];
  unpublish: [track: PublishedTrack];
  close: [reason: string];
}

/** Which channel a session description came in on (and the answer goes out on). */
export type Via = 'ws' | 'dc';

/** The session as its parts see it. */
export interface SessionContext {
  readonly cfg: SessionConfig;
  readonly deps: SessionDeps;
  readonly logger: Logger;
  readonly pc: RTCPeerConnection;
  /** True from the moment close() is called. */
  readonly closed: boolean;
  emit<K extends keyof SessionEvents>(event: K, ...args: SessionEvents[K]): void;
  /** Logs and counts refused client input, tells the client; `fatal` also closes the session. */
  reject(err: AppError, fatal: boolean): void;
  close(reason: string): Promise<void>;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
