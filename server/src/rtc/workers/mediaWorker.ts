// One media worker process as the primary sees it: the child process, its share of the RTC sockets
// (source ids of the datagram pipe, handed-over ICE-TCP connections), its start, and the typed relay
// (workerRelay) its SFU is called through. The pool (workerPool.ts) decides what runs where.
import {fork, type ChildProcess} from 'node:child_process';
import type {Socket as UdpSocket} from 'node:dgram';
import type {Socket as NetSocket} from 'node:net';
import path from 'node:path';
import {AppError} from '../../errors';
import {RelayClient} from '../../relay/client';
import type {CallOps, RelayEvent, ReplyOf, RequestOf} from '../../relay/protocol';
import type {RtcServerOptions} from '../options';
import type {RtcNetwork} from '../server';
import type {TcpMuxEndpoint} from '../net/tcpMux';
import type {RtcInbound} from '../types';
import type {MuxEndpoint} from '../net/udpMux';
import {
  FrameWriter,
  workerRelay,
  type CandidatePlan,
  type FromWorker,
  type ToWorker,
  type WorkerRelay,
  type WorkerStatsReply,
} from './workerProtocol';

const RPC_TIMEOUT_MS = 30_000;
export const START_TIMEOUT_MS = 60_000;

/** What a worker needs from its pool, and tells it. */
export interface WorkerHost {
  readonly opts: RtcServerOptions;
  readonly network: RtcNetwork;
  readonly groupID: string;
  readonly logLevel: string;
  onWorkerError(worker: MediaWorker, err: Error): void;
  onWorkerEvent(worker: MediaWorker, e: RelayEvent<WorkerRelay['events']>): void;
  /** The worker's own messages (metrics, released sources, stray datagrams). */
  onWorkerMessage(worker: MediaWorker, m: Exclude<FromWorker, {t: 'relay'}>): void;
  onWorkerExit(worker: MediaWorker, code: number | null, signal: string | null): void;
}

/**
 * V8's young generation for a worker, per semi-space. V8 grows it to 16 MB under packet flow, and a worker's RSS
 * keeps the 32 MB: ≈ 56 KB a session at 300 sessions. At 4 MB the worker scavenges about three times as often, but
 * a scavenge's cost is what survives it, not the space: at 25×8×2 on two workers, 117 against 39 scavenges took 0.86
 * against 0.78 s of a minute (`--trace-gc`), and the worker holding 300 sessions used 236 KB a session against 310.
 * At 2 MB (2026-12-07) it used ≈ 12 KB a session less again, and 25×8×2 on two workers cost 14.9 against 14.7 µs a
 * packet, within the runs' noise.
 */
const WORKER_SEMI_SPACE_MB = 2;

/** The node flags of a worker: MM_CALLS_RTC_WORKER_NODE_ARGS, and the young generation's size unless it sets one. */
export function workerNodeArgs(env: NodeJS.ProcessEnv): string[] {
  const extra = (env.MM_CALLS_RTC_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const setsSemiSpace = extra.some((a) => /^--max[-_]semi[-_]space[-_]size(=|$)/.test(a));
  return setsSemiSpace ? extra : [`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`, ...extra];
}

/** How the primary starts a worker: the same runtime, with the TypeScript loader when running from source. */
function workerEntry(): {file: string; execArgv: string[]} {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `workerMain${ext}`);
  const extra = workerNodeArgs(process.env);
  return {file, execArgv: ext === '.ts' ? ['--import', 'tsx', ...extra] : extra};
}

/** One worker process as the primary sees it. */
export class MediaWorker {
  readonly index: number;
  readonly child: ChildProcess;
  readonly writer: FrameWriter;
  /** Source "host:port" → id in this worker's frames, per UDP socket index. */
  readonly sourceIDs: Map<string, number>[] = [];
  readonly udpEndpoints: MuxEndpoint[] = [];
  readonly tcpEndpoints: TcpMuxEndpoint[] = [];
  readonly sessions = new Set<string>();
  readonly #relay: RelayClient<WorkerRelay['ops'], WorkerRelay['events']>;
  #nextSource = 1;
  ready: Promise<void>;
  readonly startedAt = Date.now();
  /** It answered `ready` (the watchdog only watches started workers; a start has its own timeout). */
  started = false;
  /** Killed by the primary (watchdog, start timeout); its exit is on the way, so nothing new goes to it. */
  retiring = false;
  /** Told to stop because it held no session for the idle time (its exit is not a crash). */
  stopping = false;
  exited = false;
  /**
   * Its latest stats reply (workerStats.ts): what a worker too busy to answer a scrape in time is counted as,
   * and what it forwarded once it has exited, so the summed counters never go back.
   */
  lastStats: WorkerStatsReply | undefined;

  constructor(index: number, pool: WorkerHost) {
    this.index = index;
    const {file, execArgv} = workerEntry();
    this.child = fork(file, [], {
      execArgv,
      stdio: ['inherit', 'inherit', 'inherit', 'ipc', 'pipe'],
      serialization: 'json',
    });
    // Failed sends and kills are reported here; the exit handler does the cleanup.
    this.child.on('error', (err) => pool.onWorkerError(this, err));
    this.#relay = new RelayClient({
      protocol: workerRelay,
      post: (f) => this.#post({t: 'relay', f}),
      timeoutMs: RPC_TIMEOUT_MS,
      timeoutError: (op) => new AppError('app.rtc.worker_timeout', `media worker ${index} did not answer ${op}`, 503),
      onEvent: (e) => pool.onWorkerEvent(this, e),
      onInvalid: (err) => pool.onWorkerError(this, err),
    });
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
    this.ready.then(
      () => (this.started = true),
      () => undefined,
    );
    this.child.on('message', (m: FromWorker) => {
      if (m.t === 'relay') this.#relay.receive(m.f);
      else pool.onWorkerMessage(this, m);
    });
    this.child.once('exit', (code, signal) => {
      this.exited = true;
      this.#relay.failAll(new AppError('app.rtc.worker_exited', 'media worker exited', 503));
      pool.onWorkerExit(this, code, signal);
    });
    const plan: CandidatePlan[] = network.candidates.map((c) =>
      c.transport === 'udp'
        ? {
            transport: 'udp',
            socket: network.udp.sockets.indexOf(c.socket),
            address: c.address,
            port: c.port,
            advertise: c.advertise,
            reflexive: c.reflexive,
          }
        : {
            transport: 'tcp',
            listener: network.tcp!.listeners.indexOf(c.listener),
            address: c.address,
            port: c.port,
            advertise: c.advertise,
          },
    );
    this.#post({
      t: 'init',
      index,
      opts: pool.opts,
      groupID: pool.groupID,
      logLevel: pool.logLevel,
      candidates: plan,
      udp: network.udp.sockets.map((s) => ({
        localAddress: s.localAddress,
        port: s.port,
        reusePort: network.udp.reusePort,
      })),
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

  /** Signaling or state for one of its sessions (no reply). */
  send(msg: RtcInbound): void {
    this.#relay.notify('send', msg);
  }

  async call<K extends CallOps<WorkerRelay['ops']>>(
    op: K,
    req: RequestOf<WorkerRelay['ops'], K>,
    timeoutMs = RPC_TIMEOUT_MS,
  ): Promise<ReplyOf<WorkerRelay['ops'], K>> {
    if (this.exited) throw new AppError('app.rtc.worker_exited', 'media worker exited', 503);
    // A restarted worker takes requests once it has its sockets.
    await this.ready.catch(() => {
      throw new AppError('app.rtc.worker_exited', 'media worker did not start', 503);
    });
    return this.#relay.call(op, req, timeoutMs);
  }

  /** Asks the worker to close its sessions and exit; kills it if it has not exited after `killAfterMs`. */
  async stop(killAfterMs: number): Promise<void> {
    if (this.exited || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), killAfterMs);
    await this.call('close', undefined).catch(() => undefined);
    await exited;
    clearTimeout(timer);
  }
}
