// The embedded SFU's public surface: create it from options (or from the plugin config) and use it
// through the RtcServer contract of ./types — in this process, or spread over media worker processes.
import type {Logger} from '../log';
import {configureRtcNative, rtcNativeUnavailableReason, type RtcNativeMode} from './fastpath/native';
import type {RtcServerOptions} from './options';
import {SfuServer, type RtcServerStats, type SessionSnapshot, type SfuDeps} from './server';
import type {RtcServer} from './types';
import {WorkerPoolServer} from './workers/workerPool';

export {rtcOptionsFromConfig, rtcEnvOverrides, DEFAULT_TIMEOUTS} from './options';
export type {RtcServerOptions, RtcTimeouts} from './options';
export {SfuServer} from './server';
export type {RtcServerStats, SessionSnapshot, SfuDeps} from './server';
export {WorkerPoolServer} from './workers/workerPool';
export {turnCredentials} from './net/turn';
export type * from './types';

/** What both forms of the embedded SFU offer beyond the RtcServer contract (banner, diagnostics, tests). */
export interface EmbeddedRtcServer extends RtcServer {
  readonly udpPort: number;
  readonly tcpPort: number | null;
  readonly advertisedCandidates: string[];
  getStats(): Promise<RtcServerStats>;
  inspect(sessionID: string): Promise<SessionSnapshot | undefined>;
}

/**
 * Binds the RTC ports (port 0 = ephemeral), runs STUN discovery if configured, and returns the server:
 * with `opts.workers` > 1, a primary that routes to that many media worker processes.
 */
export function createRtcServer(
  opts: RtcServerOptions,
  logger: Logger,
  deps: SfuDeps = {},
): Promise<EmbeddedRtcServer> {
  logRtcNative(logger, opts.native ?? 'auto');
  if ((opts.workers ?? 1) > 1) return WorkerPoolServer.create(opts, logger, {...deps, workers: opts.workers!});
  return SfuServer.create(opts, logger, deps);
}

/** Applies MM_CALLS_RTC_NATIVE for this process and says which forwarding path runs (workerMain applies it too). */
function logRtcNative(logger: Logger, mode: RtcNativeMode): void {
  if (configureRtcNative(mode)) logger.info({component: 'rtc'}, 'rtc forwarding: native AES-GCM and batched UDP sends');
  else
    logger.warn(
      {component: 'rtc', reason: rtcNativeUnavailableReason()},
      'rtc forwarding: native addon not in use, JavaScript path (slower)',
    );
}
