// Integrated mode: one node, which runs the SFU for every call. Its calls outlive a crash or restart of
// the process: the node keeps its id and each session's SFU settings in its data directory, so clients
// that come back within the reconnect grace get their media re-created (`restart` → rtc_reconnect), the
// others are reported as orphans, and calls pinned to any other id end at start (nothing could carry them).
import {badRequest} from '../errors';
import {TypedEmitter} from '../events';
import type {Logger} from '../log';
import type {RtcInbound, RtcServer, SessionConfig, SessionOpCall} from '../rtc/types';
import type {Store} from '../store';
import type {Call, CallsRepository} from '../store/types';
import {InProcessCallLock} from '../calls/lock';
import {restoreSessionState} from './restore';
import {SessionConfigStore} from './session-configs';
import type {Coordination, MediaPlacement, MediaRouter, MediaRouterEvents} from './types';

export interface LocalRouterOptions {
  calls: CallsRepository;
  configs: SessionConfigStore;
  /** How long a session of the previous run may take to come back (the reconnect grace). */
  graceMs: number;
  logger: Logger;
}

/** A session of this node's previous run whose client has not come back yet. */
interface Waiting {
  callID: string;
  channelID: string;
  userID: string;
}

export class LocalMediaRouter extends TypedEmitter<MediaRouterEvents> implements MediaRouter {
  readonly #o: LocalRouterOptions;
  readonly #log: Logger;
  readonly #waiting = new Map<string, Waiting>();
  #graceTimer: NodeJS.Timeout | undefined;
  #graceOver = false;

  constructor(
    private readonly rtc: RtcServer,
    private readonly nodeID: string,
    opts: LocalRouterOptions,
  ) {
    super();
    this.#o = opts;
    this.#log = opts.logger.child({module: 'local-media'});
    rtc.on('signal', (sid, sig) => this.emit('signal', sid, sig));
    rtc.on('voice', (sid, on) => this.emit('voice', sid, on));
    rtc.on('close', (sid, reason) => this.emit('close', sid, reason));
    rtc.on('rejected', (sid, err, fatal) => this.emit('rejected', sid, err, fatal));
    rtc.on('restart', (sid, reason) => this.emit('restart', sid, reason));
  }

  async propsForNewCall(): Promise<MediaPlacement> {
    return {node_id: this.nodeID};
  }

  async initSession(_call: Call, cfg: SessionConfig): Promise<void> {
    await this.#o.configs.save(cfg);
    await this.rtc.initSession(cfg);
  }

  send(_call: Call, msg: RtcInbound): void {
    this.rtc.send(msg);
  }

  async closeSession(_call: Call, sessionID: string): Promise<void> {
    this.#waiting.delete(sessionID);
    await this.#o.configs
      .delete(sessionID)
      .catch((err) => this.#log.warn({err: (err as Error).message, sessionID}, 'removing session settings failed'));
    await this.rtc.closeSession(sessionID);
  }

  sessionOp(_call: Call, c: SessionOpCall): Promise<unknown> {
    return this.rtc.sessionOp(c);
  }

  async adoptSession(call: Call, sessionID: string): Promise<void> {
    const waiting = this.#waiting.get(sessionID);
    // One node: a session it does not know is gone (upstream's "session not found"), unless it ran it
    // before a restart and its client came back in time.
    if (!waiting || waiting.callID !== call.id)
      throw badRequest('app.calls.reconnect.no_session', 'session not found for reconnect');
    this.#waiting.delete(sessionID);
    try {
      const saved = await this.#o.configs.get(sessionID);
      const cfg: SessionConfig =
        saved?.callID === call.id
          ? saved
          : {
              sessionID,
              userID: waiting.userID,
              callID: call.id,
              channelID: call.channelId,
              av1Support: false,
              dcSignaling: false,
            };
      await this.initSession(call, cfg);
      await restoreSessionState(this.rtc, this.#o.calls, cfg);
    } catch (err) {
      await this.rtc.closeSession(sessionID).catch(() => undefined);
      this.#keepWaiting(sessionID, waiting);
      throw err;
    }
    this.#log.info(
      {sessionID, callID: call.id},
      'session of the previous run back: media re-created, client told to renegotiate',
    );
    this.emit('restart', sessionID, 'the server restarted');
  }

  async endAtStart(call: Call): Promise<boolean> {
    const sessions = await this.#o.calls.getSessions(call.id);
    // Only this node could carry a call: one pinned to another id (a previous run that kept no id, a
    // data directory copied from elsewhere) or without sessions is over.
    if (call.props.node_id !== this.nodeID || sessions.length === 0) {
      for (const s of sessions) await this.#o.configs.delete(s.id);
      return true;
    }
    for (const s of sessions) this.#waiting.set(s.id, {callID: call.id, channelID: call.channelId, userID: s.userId});
    this.#graceTimer ??= setTimeout(() => this.#graceEnded(), this.#o.graceMs);
    this.#log.info(
      {callID: call.id, sessions: sessions.length, graceMs: this.#o.graceMs},
      'call of the previous run kept; its clients may come back',
    );
    return false;
  }

  async endAtShutdown(call: Call, hasLocalSessions: boolean): Promise<boolean> {
    return call.props.node_id === this.nodeID || hasLocalSessions;
  }

  async close(): Promise<void> {
    clearTimeout(this.#graceTimer);
    this.#waiting.clear();
    await this.rtc.close();
  }

  /** The grace is over: sessions whose clients did not come back are removed from their calls. */
  #graceEnded(): void {
    this.#graceOver = true;
    const gone = [...this.#waiting];
    this.#waiting.clear();
    if (gone.length > 0)
      this.#log.info({sessions: gone.length}, 'sessions of the previous run did not come back; removing them');
    for (const [sid, w] of gone) this.emit('orphan', sid, w.callID, w.channelID);
  }

  /** Re-creating the session failed: it stays an orphan candidate (removed at once if the grace is over). */
  #keepWaiting(sessionID: string, w: Waiting): void {
    if (!this.#graceOver) {
      this.#waiting.set(sessionID, w);
      return;
    }
    // After the caller has dropped its own record of the session (it ignores orphans it holds).
    setTimeout(() => this.emit('orphan', sessionID, w.callID, w.channelID), 0);
  }
}

export interface IntegratedOptions {
  rtc: RtcServer;
  nodeID: string;
  store: Store;
  /** Sessions of the previous run that do not come back within this are removed (the reconnect grace). */
  orphanGraceMs: number;
  logger: Logger;
}

export async function integratedCoordination(o: IntegratedOptions): Promise<Coordination> {
  const configs = new SessionConfigStore(o.store.db);
  // Settings of sessions that ended while a crash kept them from being removed.
  const pruned = await configs.prune();
  if (pruned > 0) o.logger.child({module: 'local-media'}).info({pruned}, 'settings of ended sessions removed');
  const media = new LocalMediaRouter(o.rtc, o.nodeID, {
    calls: o.store.calls,
    configs,
    graceMs: o.orphanGraceMs,
    logger: o.logger,
  });
  return {
    nodeID: o.nodeID,
    mode: 'integrated',
    media,
    lock: new InProcessCallLock(),
    rtc: o.rtc,
    relay: null,
    close: () => media.close(),
  };
}
