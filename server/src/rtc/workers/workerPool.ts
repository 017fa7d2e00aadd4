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
// negotiate again (`restart` → rtc_reconnect), so nobody leaves the call.
import {fork, type ChildProcess} from 'node:child_process';
import type {Socket as UdpSocket} from 'node:dgram';
import path from 'node:path';
import type {Socket as NetSocket} from 'node:net';
import {AppError} from '../../errors';
import {TypedEmitter} from '../../events';
import type {Logger} from '../../log';
import {noRtcMetrics, type RtcMetrics, type RtcWorkerStats, type RtpCounters} from '../../metrics';
import {DEFAULT_TIMEOUTS, type RtcServerOptions} from '../options';
import {describeCandidates, openRtcNetwork, type RtcNetwork, type RtcServerStats, type SessionSnapshot, type SfuDeps} from '../server';
import type {TcpMuxEndpoint} from '../net/tcpMux';
import type {RtcInbound, RtcServer, RtcServerEvents, SessionConfig} from '../types';
import type {MuxEndpoint} from '../net/udpMux';
import {FrameWriter, workerOfUfrag, type CandidatePlan, type FromWorker, type ToWorker, type WorkerRequest, type WorkerStatsReply} from './workerProtocol';

const RPC_TIMEOUT_MS = 30_000;
/**
 * Stats (metrics scrapes, the usage figures) wait this long for each worker: a worker that stops
 * answering is the watchdog's business, and must not hold a scrape up until it is replaced.
 */
const STATS_TIMEOUT_MS = 2_000;
const START_TIMEOUT_MS = 60_000;
/** A worker that exits on its own is started again after this pause, doubled while it keeps dying young. */
const RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 30_000;
/** A worker that ran this long before dying is not in a crash loop: its next restart is quick again. */
const HEALTHY_RUN_MS = 60_000;

export interface WorkerPoolDeps extends SfuDeps {
  workers: number;
}

/**
 * What the primary keeps of a session: its worker, and what it needs to re-create it on another worker
 * (its config and the state the signaling side gave it).
 */
interface PoolSession {
  worker: MediaWorker;
  readonly cfg: SessionConfig;
  readonly callID: string;
  muted: boolean;
  screenStreamID: string | undefined;
  videoStreamID: string | undefined;
  /** Being re-created after its worker was lost (one recovery at a time, which retries if it loses its worker too). */
  recovering: boolean;
  /** The outcome of the last recovery (true: re-created). */
  recovered?: Promise<boolean>;
  /** Its first initSession answered: its client may have negotiated, so a re-created session needs `restart`. */
  initialized: boolean;
  /** closeSession was asked for it. */
  closing: boolean;
}

/** How the primary starts a worker: the same runtime, with the TypeScript loader when running from source. */
function workerEntry(): {file: string; execArgv: string[]} {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `workerMain${ext}`);
  const extra = (process.env.MM_CALLS_RTC_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  return {file, execArgv: ext === '.ts' ? ['--import', 'tsx', ...extra] : extra};
}

/** One worker process as the primary sees it. */
class MediaWorker {
  readonly index: number;
  readonly child: ChildProcess;
  readonly writer: FrameWriter;
  /** Source "host:port" → id in this worker's frames, per UDP socket index. */
  readonly sourceIDs: Map<string, number>[] = [];
  readonly udpEndpoints: MuxEndpoint[] = [];
  readonly tcpEndpoints: TcpMuxEndpoint[] = [];
  readonly sessions = new Set<string>();
  #nextSource = 1;
  #nextCall = 1;
  readonly #calls = new Map<number, {resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout}>();
  ready: Promise<void>;
  readonly startedAt = Date.now();
  /** It answered `ready` (the watchdog only watches started workers; a start has its own timeout). */
  started = false;
  /** Killed by the primary (watchdog, start timeout); its exit is on the way, so nothing new goes to it. */
  retiring = false;
  exited = false;

  constructor(index: number, pool: WorkerPoolServer) {
    this.index = index;
    const {file, execArgv} = workerEntry();
    this.child = fork(file, [], {execArgv, stdio: ['inherit', 'inherit', 'inherit', 'ipc', 'pipe'], serialization: 'json'});
    // Failed sends and kills are reported here; the exit handler does the cleanup.
    this.child.on('error', (err) => pool.onWorkerError(this, err));
    const pipe = this.child.stdio[4] as NetSocket;
    pipe.on('error', () => {});
    this.writer = new FrameWriter((chunk) => {
      if (!pipe.destroyed) pipe.write(chunk);
    });
    const network = pool.network;
    network.udp.sockets.forEach((_socket, k) => {
      const ids = new Map<string, number>();
      this.sourceIDs.push(ids);
      this.udpEndpoints.push({
        receive: (data, addr, key) => {
          let id = ids.get(key);
          let address: string | undefined;
          if (id === undefined) {
            id = this.#nextSource++ >>> 0;
            ids.set(key, id);
            address = addr[0];
          }
          this.writer.push(k, id, address, addr[1], data);
        },
      });
    });
    (network.tcp?.listeners ?? []).forEach((_listener, k) => {
      this.tcpEndpoints.push({
        adopt: (socket, remote, frames, rest) => {
          const parts: Buffer[] = [];
          for (const f of frames) {
            const len = Buffer.alloc(2);
            len.writeUInt16BE(f.length, 0);
            parts.push(len, f);
          }
          parts.push(rest);
          socket.pause();
          this.#post({t: 'tcp', listener: k, remote, data: Buffer.concat(parts).toString('base64')}, socket);
        },
      });
    });
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`media worker ${index} did not start`));
        // A worker stuck while starting is replaced like one that stopped answering (its exit restarts it).
        this.retiring = true;
        this.child.kill('SIGKILL');
      }, START_TIMEOUT_MS);
      const onMessage = (m: FromWorker) => {
        if (m.t !== 'ready') return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve();
      };
      this.child.on('message', onMessage);
      this.child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`media worker ${index} exited while starting`));
      });
    });
    this.ready.then(() => (this.started = true), () => undefined);
    this.child.on('message', (m: FromWorker) => {
      if (m.t === 'reply') {
        const call = this.#calls.get(m.id);
        if (!call) return;
        this.#calls.delete(m.id);
        clearTimeout(call.timer);
        if (m.ok) call.resolve(m.result);
        else call.reject(new AppError(m.error.id, m.error.message, m.error.status));
        return;
      }
      pool.onWorkerMessage(this, m);
    });
    this.child.once('exit', (code, signal) => {
      this.exited = true;
      for (const call of this.#calls.values()) {
        clearTimeout(call.timer);
        call.reject(new AppError('app.rtc.worker_exited', 'media worker exited', 503));
      }
      this.#calls.clear();
      pool.onWorkerExit(this, code, signal);
    });
    const plan: CandidatePlan[] = network.candidates.map((c) => c.transport === 'udp'
      ? {transport: 'udp', socket: network.udp.sockets.indexOf(c.socket), address: c.address, port: c.port, advertise: c.advertise, reflexive: c.reflexive}
      : {transport: 'tcp', listener: network.tcp!.listeners.indexOf(c.listener), address: c.address, port: c.port, advertise: c.advertise});
    this.#post({
      t: 'init', index, opts: pool.opts, groupID: pool.groupID, logLevel: pool.logLevel, candidates: plan,
      udp: network.udp.sockets.map((s) => ({localAddress: s.localAddress, port: s.port})),
      tcp: (network.tcp?.listeners ?? []).map((l) => ({localAddress: l.localAddress, port: l.port})),
    });
    network.udp.sockets.forEach((s, k) => this.#post({t: 'udpSocket', index: k}, s.socket));
  }

  #post(m: ToWorker, handle?: UdpSocket | NetSocket): void {
    if (this.exited || !this.child.connected) return;
    try {
      if (handle) this.child.send(m, handle as unknown as NetSocket);
      else this.child.send(m);
    } catch {
      // the worker is going away; its exit handler cleans up
    }
  }

  post(m: ToWorker): void {
    this.#post(m);
  }

  async call<T>(req: WorkerRequest, timeoutMs = RPC_TIMEOUT_MS): Promise<T> {
    if (this.exited) throw new AppError('app.rtc.worker_exited', 'media worker exited', 503);
    // A restarted worker takes requests once it has its sockets.
    await this.ready.catch(() => {
      throw new AppError('app.rtc.worker_exited', 'media worker did not start', 503);
    });
    const id = this.#nextCall++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#calls.delete(id);
        reject(new AppError('app.rtc.worker_timeout', `media worker ${this.index} did not answer ${req.method}`, 503));
      }, timeoutMs);
      this.#calls.set(id, {resolve: resolve as (v: unknown) => void, reject, timer});
      this.#post({t: 'call', id, req});
    });
  }
}

export class WorkerPoolServer extends TypedEmitter<RtcServerEvents> implements RtcServer {
  readonly opts: RtcServerOptions;
  readonly network: RtcNetwork;
  readonly groupID: string;
  readonly logLevel: string;
  readonly #logger: Logger;
  readonly #metrics: RtcMetrics;
  readonly #workers: MediaWorker[] = [];
  readonly #sessions = new Map<string, PoolSession>();
  readonly #callWorker = new Map<string, MediaWorker>();
  readonly #callSessions = new Map<string, number>();
  readonly #unregister: (() => void)[] = [];
  /** Worker index → restarts in a row that died young (the crash-loop backoff). */
  readonly #restarts = new Map<number, number>();
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
    for (const [k, socket] of network.udp.sockets.entries()) {
      socket.resolveUfrag = (ufrag) => this.#workerOfUfrag(ufrag)?.udpEndpoints[k];
    }
    for (const [k, listener] of (network.tcp?.listeners ?? []).entries()) {
      listener.resolveUfrag = (ufrag) => this.#workerOfUfrag(ufrag)?.tcpEndpoints[k];
    }
  }

  /** Opens the RTC ports here, then starts `workers` media workers on them. */
  static async create(opts: RtcServerOptions, logger: Logger, deps: WorkerPoolDeps): Promise<WorkerPoolServer> {
    const log = logger.child({component: 'rtc'});
    const network = await openRtcNetwork(opts, log);
    const pool = new WorkerPoolServer(opts, network, log, deps);
    try {
      for (let i = 0; i < deps.workers; i++) pool.#workers.push(new MediaWorker(i, pool));
      await Promise.all(pool.#workers.map((w) => w.ready));
    } catch (err) {
      await pool.close();
      throw err;
    }
    pool.#unregister.push(
      pool.#metrics.registerRTPCounters?.(pool.groupID, () => pool.#rtpCounters()) ?? (() => {}),
      pool.#metrics.registerWorkerStats?.(() => pool.workerStats()) ?? (() => {}),
    );
    pool.#startWatchdog(opts.timeouts?.workerWatchdogMs ?? DEFAULT_TIMEOUTS.workerWatchdogMs);
    log.info({workers: deps.workers, udpPort: pool.udpPort}, 'rtc media workers ready');
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

  get workerCount(): number {
    return this.#workers.length;
  }

  /** The worker processes' ids (diagnostics and tests). */
  get workerPids(): (number | undefined)[] {
    return this.#workers.map((w) => (w.exited ? undefined : w.child.pid));
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
    const worker = this.#placeCall(cfg.callID);
    // Reserved before the answer, so the call's next session lands on the same worker.
    this.#sessions.set(cfg.sessionID, {worker, cfg, callID: cfg.callID, muted: false, screenStreamID: undefined, videoStreamID: undefined, recovering: false, initialized: false, closing: false});
    this.#callSessions.set(cfg.callID, (this.#callSessions.get(cfg.callID) ?? 0) + 1);
    worker.sessions.add(cfg.sessionID);
    try {
      await worker.call({method: 'initSession', cfg});
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
    entry.worker.post({t: 'send', msg});
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
    await entry.worker.call({method: 'closeSession', sessionID}).catch(() => undefined);
  }

  async getStats(): Promise<RtcServerStats> {
    const replies = await Promise.all(this.#workers.map((w) => w.call<WorkerStatsReply>({method: 'stats'}, STATS_TIMEOUT_MS).catch(() => undefined)));
    const sum = (f: (r: WorkerStatsReply) => number) => replies.reduce((n, r) => n + (r ? f(r) : 0), 0);
    return {
      calls: sum((r) => r.calls),
      sessions: sum((r) => r.sessions),
      udpPort: this.udpPort,
      tcpPort: this.tcpPort,
      droppedDatagrams: sum((r) => r.droppedDatagrams) + this.network.udp.sockets.reduce((n, s) => n + s.dropped, 0),
      muxEndpoints: sum((r) => r.muxEndpoints),
    };
  }

  async inspect(sessionID: string): Promise<SessionSnapshot | undefined> {
    const entry = this.#sessions.get(sessionID);
    if (!entry) return undefined;
    return entry.worker.call<SessionSnapshot | undefined>({method: 'inspect', sessionID});
  }

  /** Each worker's CPU, memory, sessions and packets (rtc_worker_* metrics, the load test). */
  async workerStats(): Promise<RtcWorkerStats[]> {
    const replies = await Promise.all(this.#workers.map(async (w) => ({w, r: await w.call<WorkerStatsReply>({method: 'stats'}, STATS_TIMEOUT_MS).catch(() => undefined)})));
    return replies.filter((x) => x.r).map(({w, r}) => ({
      worker: w.index, cpuSeconds: r!.cpuSeconds, rssBytes: r!.rssBytes, sessions: r!.sessions, packetsIn: r!.packetsIn, packetsOut: r!.packetsOut,
    }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#watchdog);
    for (const un of this.#unregister) un();
    await Promise.all(this.#workers.map(async (w) => {
      if (w.exited) return;
      const exited = new Promise<void>((resolve) => w.child.once('exit', () => resolve()));
      await w.call({method: 'close'}).catch(() => undefined);
      const timer = setTimeout(() => w.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }));
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

  onWorkerMessage(worker: MediaWorker, m: FromWorker): void {
    switch (m.t) {
      case 'event':
        if (m.name === 'signal') this.emit('signal', m.sessionID, m.signal);
        else if (m.name === 'voice') this.emit('voice', m.sessionID, m.on);
        else if (m.name === 'rejected') this.emit('rejected', m.sessionID, new AppError(m.error.id, m.error.message, m.error.status), m.fatal);
        else {
          if (this.#sessions.get(m.sessionID)?.worker === worker) this.#forget(m.sessionID);
          this.emit('close', m.sessionID, m.reason);
        }
        break;
      case 'metric': {
        const fn = (this.#metrics as unknown as Record<string, (...a: (string | number)[]) => void>)[m.m];
        if (typeof fn === 'function' && m.m !== 'registerRTPCounters' && m.m !== 'registerWorkerStats') fn.apply(this.#metrics, m.a);
        break;
      }
      case 'release': {
        const socket = this.network.udp.sockets[m.socket];
        const endpoint = worker.udpEndpoints[m.socket];
        if (!socket || !endpoint) break;
        socket.releaseSources(endpoint, m.keys);
        for (const key of m.keys) worker.sourceIDs[m.socket]?.delete(key);
        break;
      }
      case 'stray':
        this.network.udp.sockets[m.socket]?.deliver(Buffer.from(m.data, 'base64'), m.host, m.port, `${m.host}:${m.port}`);
        break;
      default:
        break;
    }
  }

  onWorkerExit(worker: MediaWorker, code: number | null, signal: string | null): void {
    // A session already being re-created retries by itself when this was the worker it was moving to.
    const lost = [...worker.sessions].map((id) => this.#sessions.get(id)).filter((e): e is PoolSession => e?.worker === worker && !e.recovering);
    for (const [k, socket] of this.network.udp.sockets.entries()) {
      const endpoint = worker.udpEndpoints[k];
      if (endpoint) socket.releaseSources(endpoint, [...(worker.sourceIDs[k]?.keys() ?? [])]);
    }
    for (const [callID, w] of this.#callWorker) if (w === worker) this.#callWorker.delete(callID);
    if (this.#closed) {
      for (const e of lost) {
        this.#forget(e.cfg.sessionID);
        this.emit('close', e.cfg.sessionID, 'media worker exited');
      }
      return;
    }
    const young = Date.now() - worker.startedAt < HEALTHY_RUN_MS;
    const delay = young ? Math.min(MAX_RESTART_DELAY_MS, RESTART_DELAY_MS * 2 ** (this.#restarts.get(worker.index) ?? 0)) : RESTART_DELAY_MS;
    this.#restarts.set(worker.index, young ? (this.#restarts.get(worker.index) ?? 0) + 1 : 0);
    this.#logger.error({worker: worker.index, code, signal, sessions: lost.length, restartInMs: delay},
      'media worker exited; starting it again and moving its calls');
    const i = this.#workers.indexOf(worker);
    setTimeout(() => {
      if (this.#closed || i < 0 || this.#workers[i] !== worker) return;
      const next = new MediaWorker(worker.index, this);
      this.#workers[i] = next;
      next.ready.catch((err: unknown) => this.#logger.error({err, worker: worker.index}, 'media worker did not restart'));
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
        worker = await this.#liveWorkerFor(e.callID, deadline);
      } catch (err) {
        this.#logger.error({err: (err as Error).message, sessionID: id, callID: e.callID}, 'no media worker to move a session to');
        return giveUp();
      }
      if (gone()) return giveUp();
      e.worker.sessions.delete(id);
      e.worker = worker;
      worker.sessions.add(id);
      try {
        await worker.call({method: 'initSession', cfg: e.cfg});
      } catch (err) {
        if (!gone() && (worker.exited || worker.retiring) && !this.#closed && Date.now() < deadline) {
          this.#logger.info({sessionID: id, worker: worker.index}, 'media worker lost while a session moved to it; trying another');
          continue;
        }
        this.#logger.warn({err: (err as Error).message, sessionID: id, callID: e.callID}, 're-creating a session on another media worker failed');
        return giveUp();
      }
      if (gone()) {
        await worker.call({method: 'closeSession', sessionID: id}).catch(() => undefined);
        return giveUp();
      }
      for (const msg of restoreMessages(e)) worker.post({t: 'send', msg});
      if (e.initialized) {
        this.#logger.info({sessionID: id, callID: e.callID, worker: worker.index}, 'session re-created on a media worker; client told to renegotiate');
        this.emit('restart', id, reason);
      } else {
        this.#logger.info({sessionID: id, callID: e.callID, worker: worker.index}, 'session created on another media worker (its first one was lost)');
      }
      return true;
    }
  }

  /** A live, started worker for a call: where it already lives, else the least loaded; waits for a restart if none is up. */
  async #liveWorkerFor(callID: string, deadline: number): Promise<MediaWorker> {
    for (;;) {
      if (this.#closed) throw new AppError('app.rtc.server_closed', 'rtc server is closed', 503);
      // A worker that is up now, rather than one still starting (it may never finish) or being killed.
      if (this.#workers.some((w) => w.started && !w.exited && !w.retiring)) return this.#placeCall(callID, true);
      if (Date.now() > deadline) throw new AppError('app.rtc.no_worker', 'no media worker is running', 503);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Pings every started worker; one that does not answer in time is killed (its exit restarts it). */
  #startWatchdog(timeoutMs: number): void {
    const inFlight = new Set<MediaWorker>();
    this.#watchdog = setInterval(() => {
      for (const w of this.#workers) {
        if (!w.started || w.exited || inFlight.has(w)) continue;
        inFlight.add(w);
        w.call({method: 'ping'}, timeoutMs).catch((err: AppError) => {
          if (w.exited || this.#closed || err.id !== 'app.rtc.worker_timeout') return;
          this.#logger.error({worker: w.index, pid: w.child.pid, timeoutMs}, 'media worker stopped answering; killing it');
          w.retiring = true;
          w.child.kill('SIGKILL');
        }).finally(() => inFlight.delete(w));
      }
    }, Math.max(50, Math.floor(timeoutMs / 3)));
    this.#watchdog.unref();
  }

  // ---- internals

  #workerOfUfrag(ufrag: string): MediaWorker | undefined {
    const i = workerOfUfrag(ufrag);
    const w = i === undefined ? undefined : this.#workers[i];
    return w && !w.exited ? w : undefined;
  }

  /** A call's worker: the one it already lives on, else the one with the fewest sessions (`started`: among those up). */
  #placeCall(callID: string, started = false): MediaWorker {
    const current = this.#callWorker.get(callID);
    if (current && !current.exited && !current.retiring && (!started || current.started)) return current;
    const live = this.#workers.filter((w) => !w.exited && !w.retiring && (!started || w.started));
    if (live.length === 0) throw new AppError('app.rtc.no_worker', 'no media worker is running', 503);
    const chosen = live.reduce((a, b) => (b.sessions.size < a.sessions.size ? b : a));
    this.#callWorker.set(callID, chosen);
    return chosen;
  }

  #forget(sessionID: string): void {
    const entry = this.#sessions.get(sessionID);
    if (!entry) return;
    this.#sessions.delete(sessionID);
    entry.worker.sessions.delete(sessionID);
    const left = (this.#callSessions.get(entry.callID) ?? 1) - 1;
    if (left > 0) {
      this.#callSessions.set(entry.callID, left);
      return;
    }
    this.#callSessions.delete(entry.callID);
    if (this.#callWorker.get(entry.callID) === entry.worker) this.#callWorker.delete(entry.callID);
  }

  async #rtpCounters(): Promise<RtpCounters> {
    const replies = await Promise.all(this.#workers.map((w) => w.call<WorkerStatsReply>({method: 'stats'}, STATS_TIMEOUT_MS).catch(() => undefined)));
    const out: RtpCounters = {packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0};
    for (const r of replies) {
      if (!r) continue;
      out.packetsIn += r.packetsIn;
      out.packetsOut += r.packetsOut;
      out.bytesIn += r.bytesIn;
      out.bytesOut += r.bytesOut;
    }
    return out;
  }
}

/** Keeps what the signaling side told a session, so it can be re-created elsewhere in the same state. */
function noteState(e: PoolSession, msg: RtcInbound): void {
  switch (msg.type) {
    case 'mute':
    case 'unmute':
      e.muted = msg.type === 'mute';
      break;
    case 'screen_on':
      e.screenStreamID = (msg.data as {screenStreamID?: unknown} | undefined)?.screenStreamID as string | undefined;
      break;
    case 'screen_off':
      e.screenStreamID = undefined;
      break;
    case 'video_on':
      e.videoStreamID = (msg.data as {videoStreamID?: unknown} | undefined)?.videoStreamID as string | undefined;
      break;
    case 'video_off':
      e.videoStreamID = undefined;
      break;
    default:
      break;
  }
}

/** The messages that put a re-created session back in the state it had. */
function restoreMessages(e: PoolSession): RtcInbound[] {
  const sessionID = e.cfg.sessionID;
  // A new SFU session starts unmuted, as the lost one did.
  const out: RtcInbound[] = e.muted ? [{sessionID, type: 'mute'}] : [];
  if (typeof e.screenStreamID === 'string') out.push({sessionID, type: 'screen_on', data: {screenStreamID: e.screenStreamID}});
  if (typeof e.videoStreamID === 'string') out.push({sessionID, type: 'video_on', data: {videoStreamID: e.videoStreamID}});
  return out;
}
