// The SFU on every core: one media worker process per core, each a whole SfuServer, behind the same
// RtcServer contract. The primary keeps the one RTC port: it owns the UDP sockets and ICE-TCP listeners,
// routes each inbound datagram to the worker of its session (by the worker tag in the ICE ufrag, then by
// the learnt source address, as the single-process mux does by session) and hands accepted TCP
// connections over. Workers send straight from their copies of the shared socket, so the fan-out, which
// is most of the work, never crosses a process boundary. A call lives on one worker: its first session
// picks the least loaded one. Processes rather than threads because the socket handle can be shared
// (a worker thread would have to pass every outgoing packet back to the primary).
// A worker that dies or stops answering the watchdog is killed and started again; its calls are
// re-created at once on a live worker with their mute/screen/video state, and each client is told to
// negotiate again (`restart` → rtc_reconnect), so nobody leaves the call. Workers start when a call first
// needs one and stop after a while without sessions (workerIdle.ts), so an idle server is one process. One
// worker's process and relay: mediaWorker.ts; what is kept to re-create a session: workerSessions.ts; where
// calls go: callPlacement.ts; the watchdog and restart backoff: workerHealth.ts; the summed stats: workerStats.ts.
import {AppError} from '../../errors';
import {TypedEmitter} from '../../events';
import type {Logger} from '../../log';
import {newRtpCounters, noRtcMetrics, type RtcMetrics, type RtcWorkerStats} from '../../metrics';
import type {RelayEvent} from '../../relay/protocol';
import {callSessionOp, emitSfuEvent} from '../../relay/sfu';
import {DEFAULT_TIMEOUTS, type RtcServerOptions} from '../options';
import {describeCandidates, openRtcNetwork, type RtcNetwork} from '../net/rtcNetwork';
import {rtcNative} from '../fastpath/native';
import type {RtcServerStats, SfuDeps} from '../server';
import {MediaWorker, START_TIMEOUT_MS, type WorkerHost} from './mediaWorker';
import type {RtcInbound, RtcServer, RtcServerEvents, SessionConfig, SessionOpCall, SessionSnapshot} from '../types';
import {noteState, restoreMessages, type PoolSession} from './workerSessions';
import {CallPlacement} from './callPlacement';
import {MAX_RESTART_DELAY_MS, RestartBackoff, startWatchdog} from './workerHealth';
import {workerOfUfrag, type FromWorker, type WorkerRelay} from './workerProtocol';
import {addRtpCounters, perWorkerStats, poolRtpCounters, poolStats} from './workerStats';
import {applyWorkerMessage, releaseWorkerSources} from './workerMessages';
import {IdleWorkerStop} from './workerIdle';

/** A worker told to stop is killed if it has not exited after this long. */
const STOP_KILL_MS = 5000;

export interface WorkerPoolDeps extends SfuDeps {
  workers: number;
}

export class WorkerPoolServer extends TypedEmitter<RtcServerEvents> implements RtcServer, WorkerHost {
  readonly opts: RtcServerOptions;
  readonly network: RtcNetwork;
  readonly groupID: string;
  readonly logLevel: string;
  readonly #logger: Logger;
  readonly #metrics: RtcMetrics;
  /** One slot per configured worker: its process, or undefined while none runs (not started yet, or stopped idle). */
  readonly #slots: (MediaWorker | undefined)[];
  readonly #sessions = new Map<string, PoolSession>();
  readonly #placement = new CallPlacement({
    slots: () => this.#slots,
    start: (i) => {
      this.#logger.info({worker: i}, 'media worker starting for a call');
      const w = this.#start(i);
      w.ready.then(
        () => this.#logger.info({worker: i, startMs: Date.now() - w.startedAt}, 'media worker ready'),
        () => undefined,
      );
      return w;
    },
  });
  /** Undefined: workers start with the pool and keep running. */
  readonly #idle: IdleWorkerStop | undefined;
  /** What workers that have exited (stopped when idle, crashed, killed) counted, as of their last stats reply. */
  readonly #exitedCounters = newRtpCounters();
  readonly #callSessions = new Map<string, number>();
  readonly #unregister: (() => void)[] = [];
  readonly #backoff = new RestartBackoff();
  #watchdog: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(opts: RtcServerOptions, network: RtcNetwork, logger: Logger, deps: WorkerPoolDeps) {
    super();
    this.opts = opts;
    this.network = network;
    this.#logger = logger;
    this.#metrics = deps.metrics ?? noRtcMetrics;
    this.groupID = deps.groupID ?? 'default';
    this.logLevel = logger.level;
    this.#slots = new Array<MediaWorker | undefined>(deps.workers).fill(undefined);
    this.#idle = IdleWorkerStop.forOption(opts.workerIdleMs, STOP_KILL_MS, logger);
    for (const [k, socket] of network.udp.sockets.entries()) {
      socket.resolveUfrag = (ufrag) => this.#workerOfUfrag(ufrag)?.udpEndpoints[k];
    }
    for (const [k, listener] of (network.tcp?.listeners ?? []).entries()) {
      listener.resolveUfrag = (ufrag) => this.#workerOfUfrag(ufrag)?.tcpEndpoints[k];
    }
  }

  /** Opens the RTC ports here; the media workers start on them now (idle stop off) or when calls need them. */
  static async create(opts: RtcServerOptions, logger: Logger, deps: WorkerPoolDeps): Promise<WorkerPoolServer> {
    const log = logger.child({component: 'rtc'});
    // Workers receive their clients directly on sockets beside the primary's (directSockets.ts): SO_REUSEPORT.
    const reusePort = opts.directSockets !== false && deps.workers > 1 && !!rtcNative()?.udpReusePortSocket;
    const network = await openRtcNetwork(opts, log, {reusePort});
    const pool = new WorkerPoolServer(opts, network, log, deps);
    try {
      if (!pool.#idle) {
        for (let i = 0; i < deps.workers; i++) pool.#slots[i] = new MediaWorker(i, pool);
        await Promise.all(pool.#live().map((w) => w.ready));
      }
    } catch (err) {
      await pool.close();
      throw err;
    }
    pool.#unregister.push(
      pool.#metrics.registerRTPCounters?.(pool.groupID, () => poolRtpCounters(pool.#live(), pool.#exitedCounters)) ??
        (() => {}),
      pool.#metrics.registerWorkerStats?.(() => pool.workerStats()) ?? (() => {}),
    );
    pool.#watchdog = startWatchdog(
      () => pool.#live(),
      opts.timeouts?.workerWatchdogMs ?? DEFAULT_TIMEOUTS.workerWatchdogMs,
      () => pool.#closed,
      log,
    );
    log.info(
      {workers: deps.workers, onDemand: !!pool.#idle, idleStopMs: pool.#idle?.idleMs, udpPort: pool.udpPort},
      pool.#idle ? 'rtc media workers start when calls need them' : 'rtc media workers ready',
    );
    return pool;
  }

  get udpPort(): number {
    return this.network.udp.port;
  }

  get tcpPort(): number | null {
    return this.network.tcp?.port ?? null;
  }

  get advertisedCandidates(): string[] {
    return describeCandidates(this.network.candidates);
  }

  /** The configured number of media workers (running or not). */
  get workerCount(): number {
    return this.#slots.length;
  }

  /** Whether workers start on demand and stop when idle (the banner says so). */
  get workersOnDemand(): boolean {
    return this.#idle !== undefined;
  }

  /** The worker processes' ids, undefined for a slot with none running (diagnostics and tests). */
  get workerPids(): (number | undefined)[] {
    return this.#slots.map((w) => (w && !w.exited ? w.child.pid : undefined));
  }

  /** Which worker runs a session (diagnostics and tests). */
  workerOf(sessionID: string): number | undefined {
    return this.#sessions.get(sessionID)?.worker.index;
  }

  async initSession(cfg: SessionConfig): Promise<void> {
    if (this.#closed) throw new AppError('app.rtc.server_closed', 'rtc server is closed', 503);
    if (typeof cfg?.sessionID === 'string' && this.#sessions.has(cfg.sessionID)) {
      throw new AppError('app.rtc.session_exists', 'session is already connected', 400);
    }
    const worker = this.#placement.place(cfg.callID);
    this.#idle?.keep(worker);
    // Reserved before the answer, so the call's next session lands on the same worker.
    this.#sessions.set(cfg.sessionID, {
      worker,
      cfg,
      callID: cfg.callID,
      muted: false,
      screenStreamID: undefined,
      videoStreamID: undefined,
      recovering: false,
      initialized: false,
      closing: false,
    });
    this.#callSessions.set(cfg.callID, (this.#callSessions.get(cfg.callID) ?? 0) + 1);
    worker.sessions.add(cfg.sessionID);
    try {
      await worker.call('initSession', cfg);
    } catch (err) {
      const entry = this.#sessions.get(cfg.sessionID);
      // Its worker died while creating it: the recovery creates it on another one, and the join goes on.
      if (entry?.cfg === cfg && entry.recovered && (await entry.recovered)) {
        entry.initialized = true;
        return;
      }
      if (this.#sessions.get(cfg.sessionID)?.cfg === cfg) this.#forget(cfg.sessionID);
      throw err;
    }
    const entry = this.#sessions.get(cfg.sessionID);
    if (entry?.cfg === cfg) entry.initialized = true;
  }

  send(msg: RtcInbound): void {
    const entry = msg && typeof msg.sessionID === 'string' ? this.#sessions.get(msg.sessionID) : undefined;
    if (!entry) {
      this.#logger.debug({sessionID: msg?.sessionID, type: msg?.type}, 'rtc message for an unknown session');
      return;
    }
    noteState(entry, msg);
    entry.worker.send(msg);
  }

  async closeSession(sessionID: string): Promise<void> {
    const entry = this.#sessions.get(sessionID);
    if (!entry) return;
    entry.closing = true;
    if (entry.worker.exited) {
      // Its worker is gone and the session is waiting to be re-created: nothing else will report it closed.
      this.#forget(sessionID);
      this.emit('close', sessionID, 'closed by the server');
      return;
    }
    await entry.worker.call('closeSession', sessionID).catch(() => undefined);
  }

  getStats(): Promise<RtcServerStats> {
    return poolStats(this.#live(), this.network);
  }

  async inspect(sessionID: string): Promise<SessionSnapshot | undefined> {
    return this.#sessions.has(sessionID) ? callSessionOp(this, sessionID, 'inspect', undefined) : undefined;
  }

  async sessionOp(call: SessionOpCall): Promise<unknown> {
    const entry = this.#sessions.get(call.sessionID);
    if (!entry) throw new AppError('app.rtc.no_session', 'no such rtc session', 404);
    return entry.worker.call('sessionOp', call);
  }

  /** Each worker's CPU, memory, sessions and packets (rtc_worker_* metrics, the load test). */
  workerStats(): Promise<RtcWorkerStats[]> {
    return perWorkerStats(this.#live());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#watchdog);
    this.#idle?.close();
    for (const un of this.#unregister) un();
    await Promise.all(this.#live().map((w) => w.stop(STOP_KILL_MS)));
    // A net.Server waits for connections it handed to another process to be reported closed by it; the
    // workers are gone by now, so stop waiting after a moment (the listening socket itself is closed at once).
    const tcpClosed = this.network.tcp?.close();
    if (tcpClosed) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([tcpClosed, new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
      clearTimeout(timer);
    }
    await this.network.udp.close();
    this.#logger.info('rtc server closed');
  }

  // ---- called by MediaWorker

  onWorkerError(worker: MediaWorker, err: Error): void {
    this.#logger.warn({worker: worker.index, err: err.message}, 'media worker process error');
  }

  onWorkerEvent(worker: MediaWorker, e: RelayEvent<WorkerRelay['events']>): void {
    if (e.ev === 'close') {
      const sessionID = e.args[0];
      if (this.#sessions.get(sessionID)?.worker === worker) this.#forget(sessionID);
    }
    // The pool itself re-creates sessions; a worker has nothing to restart.
    if (e.ev !== 'restart') emitSfuEvent(this.emit.bind(this), e);
  }

  onWorkerMessage(worker: MediaWorker, m: Exclude<FromWorker, {t: 'relay'}>): void {
    applyWorkerMessage(worker, m, this.network, this.#metrics);
  }

  onWorkerExit(worker: MediaWorker, code: number | null, signal: string | null): void {
    this.#idle?.keep(worker);
    if (worker.lastStats) addRtpCounters(this.#exitedCounters, worker.lastStats);
    // A session already being re-created retries by itself when this was the worker it was moving to.
    const lost = [...worker.sessions]
      .map((id) => this.#sessions.get(id))
      .filter((e): e is PoolSession => e?.worker === worker && !e.recovering);
    releaseWorkerSources(worker, this.network);
    this.#placement.dropWorker(worker);
    const i = this.#slots.indexOf(worker);
    if (worker.stopping && lost.length === 0) {
      // Stopped for idleness: its slot is empty until a call needs it again (a call may have started a new
      // worker in it already).
      if (i >= 0) this.#slots[i] = undefined;
      return;
    }
    if (this.#idle && lost.length === 0 && !this.#closed) {
      // Nothing to move, and workers start on demand: the next call that needs this slot starts it.
      this.#logger.error({worker: worker.index, code, signal}, 'media worker exited holding no session');
      if (i >= 0) this.#slots[i] = undefined;
      return;
    }
    if (this.#closed) {
      for (const e of lost) {
        this.#forget(e.cfg.sessionID);
        this.emit('close', e.cfg.sessionID, 'media worker exited');
      }
      return;
    }
    const delay = this.#backoff.next(worker);
    this.#logger.error(
      {worker: worker.index, code, signal, sessions: lost.length, restartInMs: delay},
      'media worker exited; starting it again and moving its calls',
    );
    setTimeout(() => {
      if (this.#closed || i < 0 || this.#slots[i] !== worker) return;
      const next = this.#start(i);
      next.ready.then(
        () => {
          if (next.sessions.size === 0) this.#idle?.idleFrom(next);
        },
        (err: unknown) => this.#logger.error({err, worker: worker.index}, 'media worker did not restart'),
      );
    }, delay).unref();
    void this.#recover(lost, `media worker ${worker.index} ${signal ? `was killed (${signal})` : `exited (${code})`}`);
  }

  /**
   * Re-creates the sessions of a lost worker, a call at a time, on a live worker (the restarted one when
   * no other is left), restores their state and asks their clients to negotiate again. A session that
   * cannot be re-created is closed as before.
   */
  async #recover(lost: PoolSession[], reason: string): Promise<void> {
    const settle = new Map<PoolSession, (ok: boolean) => void>();
    for (const e of lost) {
      e.recovering = true;
      e.recovered = new Promise((resolve) => settle.set(e, resolve));
    }
    // A call at a time, so its sessions land on one worker.
    const byCall = new Map<string, PoolSession[]>();
    for (const e of lost) byCall.set(e.callID, [...(byCall.get(e.callID) ?? []), e]);
    for (const sessions of byCall.values()) {
      for (const e of sessions) {
        let ok = false;
        try {
          ok = await this.#recreate(e, reason);
        } finally {
          e.recovering = false;
          settle.get(e)?.(ok);
        }
      }
    }
  }

  /** Re-creates one session on a started worker; if that worker is lost too meanwhile, on the next one. */
  async #recreate(e: PoolSession, reason: string): Promise<boolean> {
    const id = e.cfg.sessionID;
    const deadline = Date.now() + START_TIMEOUT_MS + MAX_RESTART_DELAY_MS;
    const gone = () => this.#sessions.get(id) !== e || e.closing;
    const giveUp = () => {
      // A session still being created is the failed initSession's to drop (its join fails).
      if (this.#sessions.get(id) !== e || !e.initialized) return false;
      this.#forget(id);
      this.emit('close', id, 'media worker exited');
      return false;
    };
    for (;;) {
      if (gone()) return giveUp();
      let worker: MediaWorker;
      try {
        worker = await this.#placement.placeOnLive(e.callID, deadline, () => this.#closed);
      } catch (err) {
        this.#logger.error(
          {err: (err as Error).message, sessionID: id, callID: e.callID},
          'no media worker to move a session to',
        );
        return giveUp();
      }
      if (gone()) return giveUp();
      e.worker.sessions.delete(id);
      e.worker = worker;
      this.#idle?.keep(worker);
      worker.sessions.add(id);
      try {
        await worker.call('initSession', e.cfg);
      } catch (err) {
        if (!gone() && (worker.exited || worker.retiring) && !this.#closed && Date.now() < deadline) {
          this.#logger.info(
            {sessionID: id, worker: worker.index},
            'media worker lost while a session moved to it; trying another',
          );
          continue;
        }
        this.#logger.warn(
          {err: (err as Error).message, sessionID: id, callID: e.callID},
          're-creating a session on another media worker failed',
        );
        return giveUp();
      }
      if (gone()) {
        await worker.call('closeSession', id).catch(() => undefined);
        return giveUp();
      }
      for (const msg of restoreMessages(e)) worker.send(msg);
      if (e.initialized) {
        this.#logger.info(
          {sessionID: id, callID: e.callID, worker: worker.index},
          'session re-created on a media worker; client told to renegotiate',
        );
        this.emit('restart', id, reason);
      } else {
        this.#logger.info(
          {sessionID: id, callID: e.callID, worker: worker.index},
          'session created on another media worker (its first one was lost)',
        );
      }
      return true;
    }
  }

  // ---- internals

  #workerOfUfrag(ufrag: string): MediaWorker | undefined {
    const i = workerOfUfrag(ufrag);
    const w = i === undefined ? undefined : this.#slots[i];
    return w && !w.exited ? w : undefined;
  }

  /** The workers with a process (running, starting or on their way out). */
  #live(): MediaWorker[] {
    return this.#slots.filter((w): w is MediaWorker => w !== undefined);
  }

  /** Starts the worker of slot `index` (a call needs it, or it is restarted after dying). */
  #start(index: number): MediaWorker {
    const w = new MediaWorker(index, this);
    this.#slots[index] = w;
    return w;
  }

  #forget(sessionID: string): void {
    const entry = this.#sessions.get(sessionID);
    if (!entry) return;
    this.#sessions.delete(sessionID);
    entry.worker.sessions.delete(sessionID);
    if (entry.worker.sessions.size === 0) this.#idle?.idleFrom(entry.worker);
    const left = (this.#callSessions.get(entry.callID) ?? 1) - 1;
    if (left > 0) {
      this.#callSessions.set(entry.callID, left);
      return;
    }
    this.#callSessions.delete(entry.callID);
    this.#placement.release(entry.callID, entry.worker);
  }
}
