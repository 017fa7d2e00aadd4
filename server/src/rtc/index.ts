// The embedded SFU's public surface: create it from options (or from the plugin config) and use it
// through the RtcServer contract of ./types — in this process, or spread over media worker processes.
import type {Logger} from '../log';
import {configureRtcNative, rtcNativeUnavailableReason, type RtcNativeMode} from './fastpath/native';
import {configureNativeRoutes} from './fastpath/nativeRoute';
import {configureBatchedReceive} from './net/batchedReceive';
import type {RtcServerOptions} from './options';
import type {RtcServerStats, SfuDeps, SfuServer} from './server';
import type {RtcServer, SessionSnapshot} from './types';
import type {WorkerPoolServer} from './workers/workerPool';

export {rtcOptionsFromConfig, rtcEnvOverrides, DEFAULT_TIMEOUTS} from './options';
export type {RtcServerOptions, RtcTimeouts} from './options';
export type {SfuServer, RtcServerStats, SfuDeps, WorkerPoolServer};
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
  configureBatchedReceive(opts.batchedReceive !== false);
  configureNativeRoutes(opts.nativeRoutes !== false);
  // Loaded for the form in use only: a primary with media workers never loads the in-process SFU (werift and the
  // sessions' code, ~20 MB of its idle RSS), and the reverse.
  /* eslint-disable @typescript-eslint/no-require-imports -- synchronous lazy loads, in CommonJS as compiled */
  if ((opts.workers ?? 1) > 1) {
    const pool = require('./workers/workerPool') as {WorkerPoolServer: typeof WorkerPoolServer};
    return pool.WorkerPoolServer.create(opts, logger, {...deps, workers: opts.workers!});
  }
  const sfu = require('./server') as {SfuServer: typeof SfuServer};
  /* eslint-enable @typescript-eslint/no-require-imports */
  return sfu.SfuServer.create(opts, logger, deps);
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
