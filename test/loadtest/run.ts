// The load test itself: a server (its own process unless a URL is given), C calls of U users logged in
// through the REST API, joined over the websocket by client processes, M unmuted and S screen sharers
// per call; a warm-up, a measurement window bracketed by two scrapes of the server's metrics, and
// the numbers: join times, delivery, server CPU and memory, packet rates, CPU per forwarded packet.
import {fork, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {Progress} from './progress';
import {
  JOIN_STAGES,
  type FromPeers,
  type JoinStages,
  type LeanSample,
  type ToPeers,
  type UserSpec,
  type UserStats,
  mergeLossCauses,
  type LossCauses,
  sentPacketsPerSecond,
} from './protocol';
import {RTCD_METRICS, scrape, type ServerSnapshot} from './scrape';
import {startRtcdProcess, type RtcdProcess} from './rtcdProcess';
import {WindowProfiler} from './inspector';
import {freeRtcPort, startServerProcess, type ServerProcess} from './serverProcess';
import {waitForReceiveDrain, type DrainResult} from './receiveQueue';
import {pool, setupWorld} from './setup';
import {sleep} from '../support/wait';

export interface LoadTestOptions {
  calls: number;
  users: number;
  unmuted: number;
  screen: number;
  /** Measurement window, seconds. */
  duration: number;
  /** An already running server; otherwise one is started for the run. */
  url?: string;
  admin?: {username: string; password: string};
  /** Client processes (default: one per core, at least 2). */
  procs?: number;
  /** Seconds between the last join and the measurement window (default: 3 s + 1 s per 100 users). */
  warmup?: number;
  /** Joins in flight at once (default 8). */
  joinConcurrency?: number;
  /** Environment for the server this run starts (MM_CALLS_RTC_WORKERS, MM_CALLS_RTC_FORWARDING, …). */
  serverEnv?: Record<string, string>;
  /** Extra node flags for the started server (profiling). */
  serverNodeArgs?: string[];
  /** Writes a V8 CPU profile of the started server's main process for the measurement window. */
  profileFile?: string;
  /** Log file for the started server's output. */
  serverLog?: string;
  /** CPU budget (cores) of the started server and its workers from the warm-up on; see cpuLimit.ts. */
  serverCpuLimit?: number;
  /**
   * rtcd mode: an rtcd service process is started too and the server forwards through it
   * (MM_CALLS_RTCD_SERVICE_URL); the "server" figures are then the rtcd process's, the plugin's go to `plugin`.
   */
  rtcd?: boolean;
  /**
   * Receive-only users (neither speaking nor sharing, and not the decrypting sample) are lean receivers
   * (leanReceiver.ts): a real ICE/DTLS/SRTP peer each, counting per SSRC and decrypting one packet in `leanSample`.
   */
  lean?: boolean;
  /** Lean receivers decrypt one packet in this many per stream (default 50). */
  leanSample?: number;
  progress?: Progress;
}

export interface DeliveryFigures {
  expected: number;
  received: number;
  /** received / expected (1 when nothing was expected). */
  ratio: number;
}

export interface LoadTestResult {
  scenario: {calls: number; users: number; unmuted: number; screen: number; duration: number};
  /** Join time is from the websocket join to calls-dc open, of the attempt that succeeded; `retried` joins needed a second attempt. */
  join: {
    attempted: number;
    joined: number;
    failed: number;
    retried: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    /** Where the time went: p50 and p99 of each stage (see JoinStages). */
    stages: Record<keyof JoinStages, {p50Ms: number; p99Ms: number}>;
    /**
     * From the moment a user was in the call and another user of it was sending (whichever came later) until its
     * first RTP from the call arrived: the server's offer of the tracks, the answer, the first forwarded packet.
     * `users`: how many it covers; `none`: joined users with someone sending who got no RTP at all.
     */
    firstMedia: {p50Ms: number; p99Ms: number; users: number; none: number};
    errors: string[];
  };
  delivery: DeliveryFigures & {
    loss: number;
    audio: DeliveryFigures;
    video: DeliveryFigures;
    decryptedSample: DeliveryFigures;
    /** Lean receivers only: their decrypted samples (whole run) and stray RTP, summed. */
    leanSample?: LeanSample & {receivers: number; every: number};
  };
  server: {
    windowSeconds: number;
    cpuPercent: number;
    rssMB: number;
    inPps: number;
    outPps: number;
    usPerPacket: number;
    /** How long the window waited for the server's receive queue to drain after the warm-up (servers on this machine). */
    windowWait?: DrainResult;
    /** Event-loop lag p99 of the server's main process at the end of the window (ms). */
    eventLoopLagP99Ms: number;
    /** Per media worker: its CPU %, forwarded packets/s and its own CPU µs per packet it forwarded (empty without workers). */
    workers: {cpuPercent: number; outPps: number; usPerPacket: number}[];
    /** The primary process alone (with workers: routing and signaling), CPU %, and its kernel share. */
    mainCpuPercent: number;
    mainSystemPercent: number;
  };
  /** `lagMaxMs`: the longest event-loop stall of any client process; `lost`: joined users whose connection failed later. */
  clients: {
    processes: number;
    cpuPercent: number;
    lagMaxMs: number;
    /** The longest GC pause of any client process and the largest heap of one (MB). */
    gcMaxMs: number;
    heapMaxMB: number;
    lost: number;
    /**
     * Why users were lost after joining, by the first sign each saw, with when the first and last of them happened
     * (seconds since the first join began; the joins ended and the window ran at the times given beside).
     */
    lossCauses?: {
      joinsEndS: number;
      windowS: [number, number];
      causes: {what: string; n: number; firstS: number; lastS: number; ice?: string}[];
    };
  };
  /** In rtcd mode: the plugin process (signaling only, no SFU) beside the rtcd service measured under `server`. */
  plugin?: {cpuPercent: number; rssMB: number};
}

const PEER_ENTRY = path.join(__dirname, 'peerProcess.ts');

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

class PeerProcess {
  readonly child: ChildProcess;
  readonly #waiters = new Set<{
    pred: (m: FromPeers) => boolean;
    resolve: (m: FromPeers) => void;
    reject: (err: Error) => void;
  }>();
  stderr = '';

  constructor(url: string, env: Record<string, string> = {}) {
    this.child = fork(PEER_ENTRY, [], {
      // LT_PEER_NODE_ARGS adds node flags to every client process (e.g. --cpu-prof --cpu-prof-dir=DIR).
      execArgv: ['--import', 'tsx', ...(process.env.LT_PEER_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
      env: {...process.env, ...env, LT_URL: url},
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    // LT_PEER_LOG=file keeps every client process's stderr (e.g. with DEBUG=werift* for a failing join).
    const log = process.env.LT_PEER_LOG ? fs.createWriteStream(process.env.LT_PEER_LOG, {flags: 'a'}) : undefined;
    this.child.stderr!.on('data', (d: Buffer) => {
      log?.write(d);
      if (this.stderr.length < 20_000) this.stderr += d.toString();
    });
    this.child.once('exit', () => log?.end());
    this.child.on('message', (m) => {
      for (const w of [...this.#waiters]) {
        if (!w.pred(m as FromPeers)) continue;
        this.#waiters.delete(w);
        w.resolve(m as FromPeers);
      }
    });
    this.child.once('exit', () => {
      for (const w of this.#waiters) w.reject(new Error(`client process exited${this.#stderrTail()}`));
      this.#waiters.clear();
    });
  }

  #stderrTail(): string {
    return this.stderr ? `; stderr:\n${this.stderr.slice(-2000)}` : '';
  }

  send(m: ToPeers): void {
    if (this.child.connected) this.child.send(m);
  }

  /** Resolves with the first message matching `pred`. */
  next<T extends FromPeers>(pred: (m: FromPeers) => m is T, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(w);
        reject(new Error(`client process: timed out waiting for ${what}${this.#stderrTail()}`));
      }, timeoutMs);
      const w = {
        pred,
        resolve: (m: FromPeers) => {
          clearTimeout(timer);
          resolve(m as T);
        },
        reject: (err: Error) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.#waiters.add(w);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.send({cmd: 'leave'});
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

export function validateOptions(o: LoadTestOptions): string | undefined {
  for (const k of ['calls', 'users', 'duration'] as const)
    if (!Number.isInteger(o[k]) || o[k] < 1) return `--${k} must be a positive integer`;
  for (const k of ['unmuted', 'screen'] as const)
    if (!Number.isInteger(o[k]) || o[k] < 0) return `--${k} must be a non-negative integer`;
  if (o.unmuted > o.users) return '--unmuted cannot exceed --users';
  if (o.screen > 1) return '--screen is per call, and a call has at most one screen sharer';
  if (o.procs !== undefined && (!Number.isInteger(o.procs) || o.procs < 1)) return '--procs must be a positive integer';
  if (o.leanSample !== undefined && (!Number.isInteger(o.leanSample) || o.leanSample < 1))
    return '--lean-sample must be a positive integer';
  if (o.leanSample !== undefined && !o.lean) return '--lean-sample applies to --lean receivers';
  if (o.serverCpuLimit !== undefined && !(o.serverCpuLimit > 0))
    return '--cpu-limit must be a positive number of cores';
  if (o.serverCpuLimit !== undefined && o.url) return '--cpu-limit applies to the server lt starts, not to --url';
  if (o.rtcd && o.url) return '--rtcd starts an rtcd service and a server for it, not with --url';
  if (o.rtcd && (o.serverCpuLimit !== undefined || o.profileFile))
    return '--cpu-limit and --profile apply to the integrated server, not to --rtcd';
  return undefined;
}

export async function runLoadTest(o: LoadTestOptions): Promise<LoadTestResult> {
  const invalid = validateOptions(o);
  if (invalid) throw new Error(invalid);
  const progress = o.progress ?? new Progress(false);
  let server: ServerProcess | undefined;
  let rtcd: RtcdProcess | undefined;
  let inspectPort: number | undefined;
  const peers: PeerProcess[] = [];
  try {
    let url = o.url;
    let admin = o.admin ?? {username: 'admin', password: 'admin'};
    if (o.rtcd) {
      progress.log('starting the rtcd service…');
      rtcd = await startRtcdProcess();
    }
    if (!url) {
      progress.log('starting the server…');
      inspectPort = o.profileFile ? await freeRtcPort() : undefined;
      // Every simulated user connects from 127.0.0.1: the per-address caps (HTTP 500, websockets 1,000
      // by default) would refuse a large call's users, so the server lt starts allows them all.
      const perAddress = String(o.calls * o.users + 50);
      const env = {
        MM_CALLS_HTTP_MAX_CONNECTIONS_PER_IP: perAddress,
        MM_CALLS_WS_MAX_CONNECTIONS_PER_IP: perAddress,
        ...o.serverEnv,
      };
      server = await startServerProcess({
        env: rtcd ? {...env, MM_CALLS_RTCD_SERVICE_URL: rtcd.url} : env,
        logFile: o.serverLog,
        cpuLimit: o.serverCpuLimit,
        nodeArgs: [...(o.serverNodeArgs ?? []), ...(inspectPort ? [`--inspect=127.0.0.1:${inspectPort}`] : [])],
      });
      url = server.url;
      admin = {username: 'admin', password: server.adminPassword};
    }
    const total = o.calls * o.users;
    const world = await setupWorld(url, admin, o.calls, o.users, (done) => progress.update('login', done, total));
    const procs = o.procs ?? Math.max(2, os.availableParallelism());
    const peerEnv = o.leanSample ? {LT_LEAN_SAMPLE: String(o.leanSample)} : undefined;
    for (let i = 0; i < procs; i++) peers.push(new PeerProcess(url, peerEnv));
    await Promise.all(
      peers.map((p) => p.next((m): m is Extract<FromPeers, {ev: 'ready'}> => m.ev === 'ready', 60_000, 'ready')),
    );

    const specs: UserSpec[] = [];
    world.calls.forEach((call, c) =>
      call.users.forEach((u, i) =>
        specs.push({
          index: c * o.users + i,
          call: c,
          token: u.token,
          channelID: call.channelID,
          unmuted: i < o.unmuted,
          screen: i < o.screen,
          // The decrypting sample: the first muted user of each call (or its last user when everyone speaks);
          // everyone else counts SRTP datagrams without decrypting, to keep the clients' CPU for the server.
          full: i === Math.min(o.unmuted, o.users - 1),
          lean: !!o.lean,
        }),
      ),
    );
    const joinTimes: number[] = [];
    const stageTimes = Object.fromEntries(JOIN_STAGES.map((k) => [k, [] as number[]])) as Record<
      keyof JoinStages,
      number[]
    >;
    const errors: string[] = [];
    let joinsDone = 0;
    let retried = 0;
    const joinsStartAt = Date.now();
    await pool(specs, o.joinConcurrency ?? 8, async (spec) => {
      const peer = peers[spec.index % peers.length];
      const done = peer.next(
        (m): m is Extract<FromPeers, {ev: 'joined' | 'joinFailed'}> =>
          (m.ev === 'joined' || m.ev === 'joinFailed') && m.index === spec.index,
        90_000,
        `join of user ${spec.index}`,
      );
      peer.send({cmd: 'join', user: spec});
      const r = await done.catch((err: unknown) => ({
        ev: 'joinFailed' as const,
        index: spec.index,
        error: String(err),
      }));
      if (r.ev === 'joined') {
        joinTimes.push(r.joinMs);
        for (const k of JOIN_STAGES) stageTimes[k].push(r.stages[k]);
        if (r.retried) {
          retried++;
          if (errors.length < 10) errors.push(`retried: ${r.retried}`);
        }
      } else if (errors.length < 10) errors.push(r.error);
      const failed = joinsDone + 1 - joinTimes.length;
      progress.update(
        'join',
        ++joinsDone,
        total,
        [failed ? `${failed} failed` : '', retried ? `${retried} retried` : ''].filter(Boolean).join(', '),
      );
    });
    if (joinTimes.length === 0) throw new Error(`no user could join: ${errors[0] ?? 'unknown error'}`);
    const joinsEndAt = Date.now();

    server?.applyCpuLimit();
    const warmup = o.warmup ?? 3 + total / 100;
    for (let s = 0; s < warmup; s += 0.5) {
      progress.update('warm-up', Math.floor(s), Math.ceil(warmup));
      await sleep(500);
    }
    // A backlog the SFU is still working off (the kernel's receive queue of its port) would be counted in the window:
    // wait for it to be short, at most 30 s. Short: what arrives in about 100 ms.
    const rtcPort = rtcd?.rtcPort ?? server?.rtcPort;
    const inPps = o.calls * sentPacketsPerSecond(o.unmuted, o.screen);
    const drainFrom = Date.now();
    const drain = rtcPort
      ? await waitForReceiveDrain(rtcPort, Math.max(16 * 1024, inPps * 0.1 * 1024), 30_000, (queued) =>
          progress.update(
            'backlog',
            Math.floor((Date.now() - drainFrom) / 1000),
            30,
            `${Math.round(queued / 1024)} KB queued at the server`,
          ),
        )
      : undefined;
    // The window opens a little later so every client process has it; the server is scraped at its edges.
    const start = Date.now() + 300;
    const end = start + o.duration * 1000;
    for (const p of peers) p.send({cmd: 'window', start, end});
    const profiler = inspectPort ? await WindowProfiler.connect(inspectPort) : undefined;
    await sleep(start - Date.now());
    await profiler?.start();
    const beforePlugin = rtcd ? await scrape(url) : undefined;
    const scrapeServer = () => (rtcd ? scrape(rtcd.url, RTCD_METRICS) : scrape(url));
    const before = await scrapeServer();
    while (Date.now() < end) {
      progress.update('run', Math.floor((Date.now() - start) / 1000), o.duration);
      await sleep(Math.max(0, Math.min(500, end - Date.now())));
    }
    let after = await scrapeServer();
    // A media worker too busy to answer the scrape in time is reported as of its last answer (its CPU time
    // unchanged since the window's start): scrape again, so its packets of the window are not missed.
    for (let retry = 0; retry < 3 && after.workerCpuSeconds.some((c, i) => c === before.workerCpuSeconds[i]); retry++) {
      await sleep(1000);
      after = await scrapeServer();
    }
    const afterPlugin = rtcd ? await scrape(url) : undefined;
    if (profiler && o.profileFile) await profiler.stop(o.profileFile);
    progress.update('run', o.duration, o.duration);
    // Packets of the window still in flight, and client processes a little behind, finish counting.
    await sleep(1000);
    const reports = await Promise.all(
      peers.map((p) => {
        const r = p.next((m): m is Extract<FromPeers, {ev: 'report'}> => m.ev === 'report', 30_000, 'report');
        p.send({cmd: 'report'});
        return r;
      }),
    );
    progress.done();
    const result = summarize(o, joinTimes, stageTimes, retried, errors, reports, before, after);
    const causes = reports.reduce((all, r) => mergeLossCauses(all, r.lossCauses), {} as LossCauses);
    const sec = (at: number) => Math.round((at - joinsStartAt) / 100) / 10;
    if (drain) result.server.windowWait = drain;
    result.clients.lossCauses = {
      joinsEndS: sec(joinsEndAt),
      windowS: [sec(start), sec(end)],
      causes: Object.entries(causes)
        .sort((a, b) => b[1].n - a[1].n)
        .map(([what, c]) => ({what, n: c.n, firstS: sec(c.firstAt), lastS: sec(c.lastAt), ice: c.ice})),
    };
    if (beforePlugin && afterPlugin) {
      const dt = (afterPlugin.at - beforePlugin.at) / 1000;
      result.plugin = {
        cpuPercent: ((afterPlugin.cpuSeconds - beforePlugin.cpuSeconds) / dt) * 100,
        rssMB: afterPlugin.rssBytes / 1e6,
      };
    }
    return result;
  } finally {
    await Promise.all(peers.map((p) => p.stop().catch(() => undefined)));
    await server?.stop();
    await rtcd?.stop();
  }
}

/** Each joined user's wait for its first RTP from the call, sorted (see LoadTestResult.join.firstMedia). */
function firstMediaTimes(byCall: Map<number, UserStats[]>): {times: number[]; none: number} {
  const times: number[] = [];
  let none = 0;
  for (const members of byCall.values()) {
    for (const u of members) {
      if (!u.joinedAt) continue;
      const othersSending = members.filter((m) => m !== u && m.sendingAt).map((m) => m.sendingAt!);
      if (othersSending.length === 0) continue;
      const from = Math.max(u.joinedAt, Math.min(...othersSending));
      if (u.firstMediaAt === undefined) none++;
      else times.push(Math.max(0, u.firstMediaAt - from));
    }
  }
  return {times: times.sort((a, b) => a - b), none};
}

function figures(expected: number, received: number): DeliveryFigures {
  return {expected, received, ratio: expected > 0 ? received / expected : 1};
}

function summarize(
  o: LoadTestOptions,
  joinTimes: number[],
  stageTimes: Record<keyof JoinStages, number[]>,
  retried: number,
  errors: string[],
  reports: Extract<FromPeers, {ev: 'report'}>[],
  before: ServerSnapshot,
  after: ServerSnapshot,
): LoadTestResult {
  const users: UserStats[] = reports.flatMap((r) => r.users);
  const byCall = new Map<number, UserStats[]>();
  for (const u of users) byCall.set(u.call, [...(byCall.get(u.call) ?? []), u]);
  let expA = 0,
    recA = 0,
    expV = 0,
    recV = 0,
    expFull = 0,
    recFull = 0;
  for (const members of byCall.values()) {
    const sentA = members.reduce((n, u) => n + u.sentAudio, 0);
    const sentV = members.reduce((n, u) => n + u.sentVideo, 0);
    for (const r of members) {
      if (!r.joined) continue;
      const ea = sentA - r.sentAudio;
      const ev = sentV - r.sentVideo;
      expA += ea;
      expV += ev;
      recA += r.recvAudio;
      recV += r.recvVideo;
      if (r.full) {
        expFull += ea + ev;
        recFull += r.recvAudio + r.recvVideo;
      }
    }
  }
  const all = figures(expA + expV, recA + recV);
  const leanUsers = users.filter((u) => u.joined && u.lean);
  const leanSample = leanUsers.length
    ? {
        receivers: leanUsers.length,
        every: o.leanSample ?? 50,
        sampled: leanUsers.reduce((n, u) => n + u.lean!.sampled, 0),
        verified: leanUsers.reduce((n, u) => n + u.lean!.verified, 0),
        failed: leanUsers.reduce((n, u) => n + u.lean!.failed, 0),
        unexpected: leanUsers.reduce((n, u) => n + u.lean!.unexpected, 0),
      }
    : undefined;
  const sorted = [...joinTimes].sort((a, b) => a - b);
  const firstMedia = firstMediaTimes(byCall);
  const dt = (after.at - before.at) / 1000;
  const cpu = after.cpuSeconds - before.cpuSeconds;
  const out = after.packetsOut - before.packetsOut;
  const clientCpu = reports.reduce((n, r) => n + r.cpuMicros, 0) / 1e6;
  const clientWall = Math.max(...reports.map((r) => r.wallMs)) / 1000;
  return {
    scenario: {calls: o.calls, users: o.users, unmuted: o.unmuted, screen: o.screen, duration: o.duration},
    join: {
      attempted: o.calls * o.users,
      joined: joinTimes.length,
      failed: o.calls * o.users - joinTimes.length,
      retried,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted[sorted.length - 1] ?? 0,
      stages: Object.fromEntries(
        JOIN_STAGES.map((k) => {
          const v = [...stageTimes[k]].sort((a, b) => a - b);
          return [k, {p50Ms: percentile(v, 50), p99Ms: percentile(v, 99)}];
        }),
      ) as LoadTestResult['join']['stages'],
      firstMedia: {
        p50Ms: percentile(firstMedia.times, 50),
        p99Ms: percentile(firstMedia.times, 99),
        users: firstMedia.times.length,
        none: firstMedia.none,
      },
      errors,
    },
    delivery: {
      ...all,
      loss: Math.max(0, 1 - all.ratio),
      audio: figures(expA, recA),
      video: figures(expV, recV),
      decryptedSample: figures(expFull, recFull),
      leanSample,
    },
    server: {
      windowSeconds: dt,
      cpuPercent: (cpu / dt) * 100,
      rssMB: after.rssBytes / 1e6,
      inPps: (after.packetsIn - before.packetsIn) / dt,
      outPps: out / dt,
      usPerPacket: out > 0 ? (cpu * 1e6) / out : 0,
      eventLoopLagP99Ms: after.eventLoopLagP99 * 1000,
      workers: after.workerCpuSeconds.map((w, i) => {
        const wcpu = w - (before.workerCpuSeconds[i] ?? 0);
        const wout = (after.workerPacketsOut[i] ?? 0) - (before.workerPacketsOut[i] ?? 0);
        return {cpuPercent: (wcpu / dt) * 100, outPps: wout / dt, usPerPacket: wout > 0 ? (wcpu * 1e6) / wout : 0};
      }),
      mainSystemPercent: ((after.mainSystemSeconds - before.mainSystemSeconds) / dt) * 100,
      mainCpuPercent:
        ((cpu -
          after.workerCpuSeconds.reduce((a, b) => a + b, 0) +
          before.workerCpuSeconds.reduce((a, b) => a + b, 0)) /
          dt) *
        100,
    },
    clients: {
      processes: reports.length,
      cpuPercent: clientWall > 0 ? (clientCpu / clientWall) * 100 : 0,
      lagMaxMs: Math.max(0, ...reports.map((r) => r.lagMaxMs)),
      gcMaxMs: Math.max(0, ...reports.map((r) => r.gcMaxMs)),
      heapMaxMB: Math.max(0, ...reports.map((r) => r.heapMaxMB)),
      lost: reports.reduce((n, r) => n + r.lost, 0),
    },
  };
}
