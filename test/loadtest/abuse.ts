// The "abuse" scenario (issue 10 items 3 and 4): one hostile user (abuser.ts, its own process and
// source address) floods the server with idle sockets, hostile frames, a join/leave storm and many
// sessions in one call, while a legitimate user logs in and joins again and again. Reports the main
// process's RSS before, at its peak and after the abuse has ended (resume window and grace passed, then
// a full GC), and the legitimate login + join latency during the storm. Figures, not assertions.
// Diagnosis: LT_ABUSE_SPEC='{"idleSockets":0,…}' changes the abuse (fields of AbuseSpec), LT_ABUSE_TRACE=1
// prints each probe's login and hello times.
import {fork} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type {AbuseReport, AbuseSpec, FromAbuser, ToAbuser} from './abuser';
import {HeapInspector, type HeapFigures} from './inspector';
import {Progress} from './progress';
import {freeRtcPort, startServerProcess} from './serverProcess';
import {login} from './setup';
import {CallsSocket} from '../support/calls-socket';
import {sleep} from '../support/wait';

const P = '/plugins/com.mattermost.calls';

export interface AbuseOptions {
  /** How long the storm lasts, seconds (the idle sockets, frames and sessions are sent at its start). */
  seconds?: number;
  /** Seconds to wait after the abuse before the last measure: the 60 s resume window, the 10 s grace and the 5 s sweep. */
  settleSeconds?: number;
  /** Environment of the started server (MM_CALLS_RTC_WORKERS, limits…). */
  serverEnv?: Record<string, string>;
  /** Extra node flags of the started server (e.g. --cpu-prof). */
  serverNodeArgs?: string[];
  /** Writes before/after .heapsnapshot files of the main process here. */
  heapSnapshotDir?: string;
  serverLog?: string;
  progress?: Progress;
}

export interface AbuseResult {
  spec: Omit<AbuseSpec, 'url' | 'token' | 'stormChannelID' | 'sessionsChannelID'>;
  rssMB: {before: number; peak: number; afterAbuse: number; after: number};
  /** process.memoryUsage() of the main process after a full GC, MiB: before the abuse and at the end. */
  heapMB: {before: HeapFigures; after: HeapFigures};
  /** Legitimate login + websocket + join latency, ms. */
  legitJoin: {
    baselineP50Ms: number;
    n: number;
    failed: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    errors: string[];
    /** [seconds into the storm when it started, ms it took] of every join. */
    samples: [number, number][];
  };
  /** GET /version during the storm, ms. */
  health: {p50Ms: number; p99Ms: number; maxMs: number; failed: number};
  abuser: AbuseReport;
}

/** Legitimate users taking turns at the probe joins. */
const LEGIT_USERS = 8;
const MiB = 1024 * 1024;
const inMiB = (h: HeapFigures): HeapFigures => ({
  rss: h.rss / MiB,
  heapUsed: h.heapUsed / MiB,
  heapTotal: h.heapTotal / MiB,
  external: h.external / MiB,
  arrayBuffers: h.arrayBuffers / MiB,
});

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

async function request(
  url: string,
  method: string,
  p: string,
  token: string,
  body?: unknown,
): Promise<{status: number; json: Record<string, unknown>}> {
  const res = await fetch(`${url}${p}`, {
    method,
    headers: {Authorization: `Bearer ${token}`, 'Content-Type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  try {
    return {status: res.status, json: JSON.parse(text) as Record<string, unknown>};
  } catch {
    return {status: res.status, json: {text}};
  }
}

async function createUser(url: string, adminToken: string, username: string, password: string): Promise<void> {
  const r = await request(url, 'POST', '/api/v4/users', adminToken, {username, password});
  if (r.status !== 201 && !JSON.stringify(r.json).includes('exists'))
    throw new Error(`creating ${username}: HTTP ${r.status}`);
}

async function createChannel(
  url: string,
  adminToken: string,
  teamID: string,
  name: string,
  members: string[],
): Promise<string> {
  const ch = await request(url, 'POST', '/api/v4/channels', adminToken, {
    team_id: teamID,
    name,
    display_name: name,
    type: 'O',
  });
  if (ch.status !== 201) throw new Error(`creating channel ${name}: HTTP ${ch.status}`);
  for (const m of members) {
    const r = await request(url, 'POST', `/api/v4/channels/${String(ch.json.id)}/members`, adminToken, {user_id: m});
    if (r.status !== 201) throw new Error(`adding a member to ${name}: HTTP ${r.status}`);
  }
  return String(ch.json.id);
}

/** One legitimate user's login, websocket and join; resolves with its duration, then leaves. */
async function legitJoin(url: string, username: string, password: string, channelID: string): Promise<number> {
  const t0 = performance.now();
  const trace = (what: string) =>
    process.env.LT_ABUSE_TRACE && process.stderr.write(`probe: ${what} ${Math.round(performance.now() - t0)} ms\n`);
  const {token} = await login(url, username, password);
  trace('login');
  const ws = new CallsSocket(url, token);
  try {
    await ws.connect({timeoutMs: 60_000});
    trace('hello');
    await ws.join(channelID, {}, Math.max(1, 60_000 - (performance.now() - t0)));
    const ms = performance.now() - t0;
    ws.send('leave');
    await sleep(50);
    return ms;
  } finally {
    void ws.close();
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function runAbuse(o: AbuseOptions = {}): Promise<AbuseResult> {
  const progress = o.progress ?? new Progress(false);
  const seconds = o.seconds ?? 30;
  const settle = o.settleSeconds ?? 80;
  const inspectPort = await freeRtcPort();
  progress.log('starting the server…');
  const server = await startServerProcess({
    env: o.serverEnv,
    logFile: o.serverLog,
    nodeArgs: [...(o.serverNodeArgs ?? []), `--inspect=127.0.0.1:${inspectPort}`],
  });
  const abuser = fork(path.join(__dirname, 'abuser.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let inspector: HeapInspector | undefined;
  const abuserExit = new Promise<void>((r) => abuser.once('exit', () => r()));
  try {
    const next = <T extends FromAbuser['ev']>(ev: T) =>
      new Promise<Extract<FromAbuser, {ev: T}>>((resolve, reject) => {
        const onMsg = (m: FromAbuser) => {
          if (m.ev !== ev) return;
          abuser.off('message', onMsg);
          resolve(m as Extract<FromAbuser, {ev: T}>);
        };
        abuser.on('message', onMsg);
        void abuserExit.then(() => reject(new Error('the abuser process exited')));
      });
    const ready = next('ready');
    const url = server.url;
    inspector = await HeapInspector.connect(inspectPort);
    const admin = await login(url, 'admin', server.adminPassword);
    const teams = await request(url, 'GET', '/api/v4/users/me/teams', admin.token);
    const teamID = String((teams.json as unknown as {id: string}[])[0].id);
    const password = 'abuse-password';
    await createUser(url, admin.token, 'abuse-storm', password);
    const storm = await login(url, 'abuse-storm', password);
    // Legitimate users take turns, each joining at a human pace (a few times a minute at most).
    const legitNames = Array.from({length: LEGIT_USERS}, (_, i) => `abuse-legit-${i}`);
    const legitIDs: string[] = [];
    for (const name of legitNames) {
      await createUser(url, admin.token, name, password);
      legitIDs.push((await login(url, name, password)).userID);
    }
    const tag = Date.now().toString(36);
    const stormChannelID = await createChannel(url, admin.token, teamID, `abuse-storm-${tag}`, [storm.userID]);
    const sessionsChannelID = await createChannel(url, admin.token, teamID, `abuse-sessions-${tag}`, [storm.userID]);
    const legitChannelID = await createChannel(url, admin.token, teamID, `abuse-legit-${tag}`, legitIDs);
    let turn = 0;
    const nextLegit = () => legitNames[turn++ % legitNames.length];

    // Baseline: a few legitimate joins on the idle server, then the memory after a full GC.
    progress.log('baseline…');
    const baseline: number[] = [];
    for (let i = 0; i < 5; i++) baseline.push(await legitJoin(url, nextLegit(), password, legitChannelID));
    await sleep(1000);
    await inspector.collectGarbage();
    const rssBefore = rssOf(server.pid);
    const heapBefore: HeapFigures = await inspector.memoryUsage();
    if (o.heapSnapshotDir) {
      fs.mkdirSync(o.heapSnapshotDir, {recursive: true});
      await inspector.snapshot(path.join(o.heapSnapshotDir, 'before.heapsnapshot'));
    }

    const spec: AbuseSpec = {
      url,
      token: storm.token,
      localAddress: '127.0.0.2',
      stormChannelID,
      sessionsChannelID,
      seconds,
      idleSockets: 2000,
      hostileFrames: 10_000,
      stormSockets: 25,
      stormJoinsPerSecond: 67,
      sessions: 150,
    };
    if (process.env.LT_ABUSE_SPEC) Object.assign(spec, JSON.parse(process.env.LT_ABUSE_SPEC));
    await ready;
    abuser.send({cmd: 'start', spec} satisfies ToAbuser);
    const reported = next('report');
    let peak = rssBefore;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssOf(server.pid));
      } catch {
        // the server is gone; the probe will say so
      }
    }, 250);
    const joins: number[] = [];
    const samples: [number, number][] = [];
    const health: number[] = [];
    const errors: string[] = [];
    let failed = 0;
    let healthFailed = 0;
    const started = Date.now();
    const end = started + seconds * 1000;
    // Probes start a moment in, once the abuse is under way, and run until the storm ends.
    await sleep(2000);
    while (Date.now() < end) {
      progress.update(
        'storm',
        Math.floor((Date.now() - started) / 1000),
        seconds,
        `${joins.length} legitimate joins, ${failed} failed`,
      );
      const at = (Date.now() - started) / 1000;
      const [j, h] = await Promise.allSettled([
        legitJoin(url, nextLegit(), password, legitChannelID),
        timed(async () => {
          const r = await fetch(`${url}${P}/version`, {signal: AbortSignal.timeout(10_000)});
          if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
        }),
      ]);
      if (j.status === 'fulfilled') {
        joins.push(j.value);
        samples.push([Math.round(at * 10) / 10, Math.round(j.value)]);
      } else {
        failed++;
        if (errors.length < 5) errors.push(String((j.reason as Error).message ?? j.reason));
      }
      if (h.status === 'fulfilled') health.push(h.value);
      else healthFailed++;
      await sleep(250);
    }
    const abuseReport = (await reported).report;
    abuser.send({cmd: 'stop'} satisfies ToAbuser);
    await abuserExit;
    await inspector.collectGarbage();
    const rssAfterAbuse = rssOf(server.pid);
    // Everything closed: wait out the resume window, the reconnect grace and the sweeps, then a full GC.
    const settleStart = Date.now();
    while (Date.now() < settleStart + settle * 1000) {
      progress.update('settle', Math.floor((Date.now() - settleStart) / 1000), settle);
      await sleep(1000);
    }
    clearInterval(sampler);
    await inspector.collectGarbage();
    await sleep(500);
    const rssAfter = rssOf(server.pid);
    const heapAfter = await inspector.memoryUsage();
    if (o.heapSnapshotDir) await inspector.snapshot(path.join(o.heapSnapshotDir, 'after.heapsnapshot'));
    progress.done();
    const MB = 1024 * 1024;
    const {url: _u, token: _t, stormChannelID: _s, sessionsChannelID: _c, ...shown} = spec;
    return {
      spec: shown,
      rssMB: {before: rssBefore / MB, peak: peak / MB, afterAbuse: rssAfterAbuse / MB, after: rssAfter / MB},
      heapMB: {before: inMiB(heapBefore), after: inMiB(heapAfter)},
      legitJoin: {
        baselineP50Ms: percentile(baseline, 50),
        n: joins.length,
        failed,
        p50Ms: percentile(joins, 50),
        p99Ms: percentile(joins, 99),
        maxMs: Math.max(...joins, 0),
        errors,
        samples,
      },
      health: {
        p50Ms: percentile(health, 50),
        p99Ms: percentile(health, 99),
        maxMs: Math.max(...health, 0),
        failed: healthFailed,
      },
      abuser: abuseReport,
    };
  } finally {
    inspector?.close();
    if (abuser.exitCode === null && abuser.signalCode === null) abuser.kill('SIGKILL');
    await server.stop();
  }
}

export function formatAbuse(r: AbuseResult): string {
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '–');
  const top = (m: Record<string, number>) =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([k, v]) => `${k} ×${v}`)
      .join('; ') || 'none';
  const s = r.spec;
  return [
    `Abuse: one user from one address — ${s.idleSockets} idle sockets, ${s.hostileFrames} hostile frames, a join/leave storm of`,
    `${s.stormJoinsPerSecond} joins/s over ${s.stormSockets} sockets for ${s.seconds} s, ${s.sessions} sessions in one call — while another user logs in and joins.`,
    '',
    `  main-process RSS MiB: before ${f(r.rssMB.before)}, peak ${f(r.rssMB.peak)}, right after the abuse ${f(r.rssMB.afterAbuse)}, after the resume window + GC ${f(r.rssMB.after)}` +
      `  (target: within 150 of the start → ${r.rssMB.after - r.rssMB.before <= 150 ? 'met' : 'NOT met'})`,
    `  after a full GC, MiB: V8 heap used ${f(r.heapMB.before.heapUsed)} → ${f(r.heapMB.after.heapUsed)}, heap committed ${f(r.heapMB.before.heapTotal)} → ${f(r.heapMB.after.heapTotal)},` +
      ` external ${f(r.heapMB.before.external)} → ${f(r.heapMB.after.external)} (the rest of RSS is code, stacks and memory the allocator keeps)`,
    `  legitimate login + join ms: idle p50 ${f(r.legitJoin.baselineP50Ms)}; during the storm p50 ${f(r.legitJoin.p50Ms)}, p99 ${f(r.legitJoin.p99Ms)}, max ${f(r.legitJoin.maxMs)}` +
      ` over ${r.legitJoin.n} joins, ${r.legitJoin.failed} failed  (target p50 ≤ 2000 → ${r.legitJoin.p50Ms <= 2000 && r.legitJoin.n > 0 ? 'met' : 'NOT met'})` +
      (r.legitJoin.errors.length ? `\n    failures: ${r.legitJoin.errors.join('; ')}` : ''),
    `  health (GET /version) ms during the storm: p50 ${f(r.health.p50Ms)}, p99 ${f(r.health.p99Ms)}, max ${f(r.health.maxMs)}, ${r.health.failed} failed`,
    `  the abuser: ${r.abuser.socketsOpened} sockets opened, ${r.abuser.framesSent} frames sent, ${r.abuser.joinsSent} storm joins sent, ${r.abuser.joinsAcked} accepted,` +
      ` ${r.abuser.sessionsJoined}/${s.sessions} sessions joined`,
    `    closed by the server: ${top(r.abuser.closes)}`,
    `    error events: ${top(r.abuser.errorIds)}`,
  ].join('\n');
}
